/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where systemd runs the units: the monitor's scope and the machine that
 * machined lists (the guest's own scope is made in start.c).
 *
 * Runs in: the monitor-to-be, host root. */

#include "launch.h"
#include "systemd.h"
#include "util.h"

#include <stdio.h>

/* The monitor gets a scope of its own in x86ns.slice (so that systemctl
 * and the shutdown ordering know it); its SIGTERM at shutdown is the
 * monitor's cue to stop the guest in order, which may take the guest's
 * stop-timeout and the kill's few seconds. Opens p->systemd. */
int monitor_scope_create(struct container_plan *p, struct error *e)
{
	struct error se = { 0 };
	char description[128];
	int r = systemd_bus_open(&p->systemd, &se);
	if (r < 0)
		return error_set(e, "systemd unit", r, "%s", se.message);
	snprintf(description, sizeof(description), "x86ns monitor of %s (guest %s)", p->user->name,
		 p->guest->name);
	struct systemd_scope scope = {
		.name = p->monitor_unit,
		.description = description,
		.pid = getpid(),
		.timeout_stop_usec = ((uint64_t)p->guest->stop_timeout_sec + 15) * 1000000,
	};
	r = systemd_scope_start(p->systemd, &scope, &se);
	return r < 0 ? error_set(e, "systemd unit", r, "%s", se.message) : 0;
}

/* machined = yes: the guest becomes a machine that machinectl lists, in
 * the scope its init runs in. */
int machine_register(const struct container_plan *p, pid_t init_pid, struct error *e)
{
	char name[80];
	struct error se = { 0 };
	int r = systemd_machine_name(p->user->name, p->user->uid, name, sizeof(name));
	if (r >= 0)
		r = systemd_machine_register(p->systemd, name, init_pid, p->guest->root, &se);
	if (r < 0)
		return error_set(e, "machined", r,
				 "%s (machined = yes; is systemd-container installed?)",
				 se.message[0] ? se.message : name);
	return 0;
}
