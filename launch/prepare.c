/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container plan: what the launcher computes before anything is made.
 *
 * Runs in: the launcher, host root, host namespaces, under the user's lock.
 * The ids come from the user's subordinate ranges, the layer is prepared
 * below /var/lib/x86ns/<uid>, the translator is checked, this kernel's
 * features decide what the start may do, and the programs the container
 * child execs are opened now, before any guest file is in view. */

#include "launch.h"
#include "layer.h"
#include "proto.h"
#include "systemd.h"
#include "cgroup.h"
#include "translator.h"
#include "util.h"

#include <fcntl.h>

/* The uid or gid map of the user's container, from the subordinate range. */
static int idmap_for_user(const char *user, uint32_t own_id, bool gid, struct idmap *ret,
			  struct error *e)
{
	const char *kind = gid ? "gid" : "uid";
	uint64_t start, count;
	int r = subid_range_for(user, gid, &start, &count);
	if (r == -ELIBACC || r == -ELIBBAD)
		return error_set_text(e, "id maps", r,
				      "cannot use shadow's libsubid (libsubid.so.4, Debian package "
				      "libsubid4) to look up subordinate ids: %s",
				      strerror(-r));
	if (r == -ENOENT)
		return error_set_text(
		    e, "id maps", r,
		    "user %s has no subordinate %s range (/etc/sub%s or the subid "
		    "service); see x86ns.conf(5)",
		    user, kind, kind);
	if (r < 0 || (r = idmap_compute(own_id, start, count, ret)) < 0)
		return error_set_text(e, "id maps", r,
				      "user %s: unusable subordinate %s range %llu+%llu", user,
				      kind, (unsigned long long)start, (unsigned long long)count);
	return 0;
}

/* The ids, the cgroup names and the units: who the container is. */
static int plan_identity(const struct launch_user *u, struct container_plan *p, struct error *e)
{
	if (!u->name || u->gid == (gid_t)-1 || !u->home || u->home[0] != '/')
		return error_set_text(e, "arguments", -EINVAL,
				      "--user, --gid and an absolute --home are required");
	int r = idmap_for_user(u->name, u->uid, false, &p->uid_map, e);
	if (r >= 0)
		r = idmap_for_user(u->name, u->gid, true, &p->gid_map, e);
	if (r < 0)
		return r;
	p->root_uid = (uid_t)idmap_to_host(&p->uid_map, 0);
	p->root_gid = (gid_t)idmap_to_host(&p->gid_map, 0);
	/* Decided once per start, before any cgroup is touched: the
	 * launcher, the monitor-to-be and the monitor agree on it. */
	p->systemd_units = systemd_units_wanted();
	if (p->systemd_units) {
		cgroup_use_systemd_slice(SYSTEMD_SLICE);
		systemd_guest_unit(u->uid, p->cgroup_name, sizeof(p->cgroup_name));
		systemd_monitor_unit(u->uid, p->monitor_unit, sizeof(p->monitor_unit));
	} else {
		snprintf(p->cgroup_name, sizeof(p->cgroup_name), "%u", (unsigned)u->uid);
	}
	return 0;
}

/* O_PATH fds of the programs the container child execs: the builtin init
 * or the translator, and x86ns-spawner. */
static int plan_programs(struct container_plan *p, struct error *e)
{
	const char *exe = p->guest->init ? p->guest->translator : NULL;
	char init_path[4096];
	if (!p->guest->init) {
		int r = launch_sibling_path("x86ns-init", init_path, sizeof(init_path));
		exe = r < 0 ? NULL : init_path;
	}
	if (exe) {
		p->init_fd = open(exe, O_PATH | O_CLOEXEC);
		if (p->init_fd < 0)
			return error_set(e, "programs", negerrno(), "cannot open %s", exe);
	}
	char spawner[4096];
	int r = launch_sibling_path("x86ns-spawner", spawner, sizeof(spawner));
	if (r < 0)
		return error_set(e, "programs", r, "cannot locate x86ns-spawner");
	p->spawner_fd = open(spawner, O_PATH | O_CLOEXEC);
	if (p->spawner_fd < 0)
		return error_set(e, "programs", negerrno(), "cannot open %s", spawner);
	return 0;
}

int plan_prepare(const struct launch_user *u, const struct user_policy *pol, int state_fd,
		 struct container_plan *p, struct error *e)
{
	*p = (struct container_plan){ .user = u,
				      .policy = pol,
				      .guest = pol->guest,
				      .state_fd = state_fd,
				      .notify_fd = -1,
				      .layer_fd = -1,
				      .init_fd = -1,
				      .spawner_fd = -1,
				      .spawner_pidfd = -1,
				      .console_fd = -1,
				      .net_pidfd = -1 };
	int r = plan_identity(u, p, e);
	if (r < 0)
		return r;
	r = layer_prepare(p);
	if (r == -EEXIST)
		return error_set_text(
		    e, "layer", r,
		    "the writable layer %s/%u/%s of %s %s: \"x86nsctl reset %s\" discards it, "
		    "or set \"layer-size = max\" for %s",
		    X86NS_STATEDIR, (unsigned)u->uid, p->guest->name, u->name,
		    layer_prepare_error(r), u->name, u->name);
	if (r < 0)
		return error_set_text(
		    e, "layer", r,
		    "cannot prepare the writable layer of %s in %s/%u (layer-size): %s", u->name,
		    X86NS_STATEDIR, (unsigned)u->uid, layer_prepare_error(r));
	r = translator_check(p->guest);
	if (r < 0)
		return error_set_text(
		    e, "translator", r, "guest '%s': cannot use the translator %s: %s",
		    p->guest->name, p->guest->translator, translator_file_error(r));
	/* What this kernel lets the start do, decided as x86nsctl check
	 * decides it: a guest that cannot work is refused here, in one line,
	 * rather than started to fail every login. */
	struct kernel_features k;
	kernel_features_probe(guest_plan_probes(p->guest), &k);
	guest_plan_make(p->guest, pol->network, &k, &p->decision);
	if (!p->decision.startable)
		return error_set_text(e, "kernel", -EOPNOTSUPP, "cannot start for %s: %s", u->name,
				      p->decision.text);
	return plan_programs(p, e);
}

/* The plan's fds in the launcher (the monitor-to-be has its own copies). */
void plan_release(struct container_plan *p)
{
	closep(&p->init_fd);
	closep(&p->spawner_fd);
	closep(&p->layer_fd);
	closep(&p->notify_fd);
}
