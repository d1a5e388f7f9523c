/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers as systemd units, on hosts whose init is systemd.
 *
 * Each container gets two transient scopes in x86ns.slice:
 *  - x86ns-UID-monitor.scope: the monitor alone;
 *  - x86ns-UID.scope: the guest, Delegate=yes, the user's limits as
 *    MemoryMax, TasksMax and CPUQuotaPerSecUSec; Before= the monitor's
 *    scope and PropagatesStopTo= it.
 * Both are After= local-fs.target, remote-fs.target and
 * systemd-journald.service. systemd stops units in the reverse order of
 * After=, so at shutdown (and at `systemctl stop` or `machinectl terminate`
 * of the guest's scope) the monitor's scope stops first: its SIGTERM makes
 * the monitor stop the guest in order within the guest's stop-timeout, and
 * only then do the (by then empty) guest scope, file systems and journald
 * go. CollectMode=inactive-or-failed: no unit outlives its processes.
 * docs/ARCHITECTURE.md ("systemd hosts") has the reasoning.
 *
 * Every function runs as host root in the host's namespaces and returns
 * >= 0 or -errno; e (lib/error.h, may be NULL) then gets one line, with
 * systemd's own words where it has some, and no ": strerror" where those
 * words are the whole story. */
#pragma once

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSTEMD_SLICE    "x86ns.slice"
#define SYSTEMD_UNIT_MAX 64

/* As sd_booted(3) decides: /run/systemd/system is a directory (systemd
 * creates it, root-owned, early at boot). Looked at without following a
 * symbolic link in its last component. */
bool systemd_is_init(void);

/* Whether containers go into systemd units here: systemd is init and the
 * cgroup layout is unified (cgroup v2 only). On hybrid hosts x86ns keeps
 * managing its own x86ns/ groups in every hierarchy, as without systemd. */
bool systemd_units_wanted(void);

/* "x86ns-UID.scope" and "x86ns-UID-monitor.scope". */
int systemd_guest_unit(uid_t uid, char *buf, size_t len);
int systemd_monitor_unit(uid_t uid, char *buf, size_t len);

struct systemd_bus;

/* Loads libsystemd and connects to systemd: through the system bus, or
 * where no dbus-daemon listens, systemd's private socket (what systemctl
 * does as root). -ELIBACC: no libsystemd.so.0. */
int systemd_bus_open(struct systemd_bus **ret, struct error *e);
void systemd_bus_close(struct systemd_bus *bus);

struct systemd_scope {
	const char *name;        /* "x86ns-1000.scope" */
	const char *description; /* for systemctl status */
	pid_t pid;               /* moved into the scope by systemd */
	bool delegate;
	const char *before;              /* NULL or a unit: Before= and PropagatesStopTo= */
	uint64_t timeout_stop_usec;      /* 0: systemd's default */
	uint64_t memory_max;             /* bytes; 0: no limit */
	uint64_t tasks_max;              /* 0: no limit (TasksMax=infinity) */
	uint64_t cpu_quota_per_sec_usec; /* 0: no limit */
};

/* StartTransientUnit and wait for its job's JobRemoved. A unit of that name
 * left by an earlier container (its processes being killed) is stopped and
 * the start retried for up to about 5 s. Where systemd does not know a
 * property (PropagatesStopTo needs systemd 249), the start is retried
 * without it. */
int systemd_scope_start(struct systemd_bus *bus, const struct systemd_scope *scope,
			struct error *e);

/* systemd-machined's RegisterMachine for a container whose init (leader)
 * already runs in its scope: class "container", service "x86ns". */
int systemd_machine_register(struct systemd_bus *bus, const char *name, pid_t leader,
			     const char *root_directory, struct error *e);

/* The machine name of a user: "x86ns-USER" where USER makes a valid host
 * name label, else "x86ns-UID". */
int systemd_machine_name(const char *user, uid_t uid, char *buf, size_t len);
