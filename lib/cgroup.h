/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups on cgroup v2 (unified) and v1/hybrid hosts.
 *
 * Every container gets "x86ns/<name>" in each hierarchy x86ns uses:
 *  - unified layout: the one cgroup2 tree at /sys/fs/cgroup;
 *  - hybrid/legacy: the v1 hierarchies holding pids, memory, cpu and
 *    freezer, name=systemd (/sys/fs/cgroup/systemd) and the cgroup2 tree at
 *    /sys/fs/cgroup/unified when present. A controller that v1 lacks but the
 *    hybrid cgroup2 tree offers is driven through cgroup2.
 * Only the cgroup2 and name=systemd directories are delegated to the
 * container's root (the directory and cgroup.procs, cgroup.threads,
 * cgroup.subtree_control, tasks); resource files stay root-owned.
 * Per-container monitors live in "x86ns/monitors", an unlimited group, so
 * that the login session's cgroup does not hold them.
 *
 * All functions run as host root in the host's mount namespace and return
 * >= 0 on success, -errno on failure. Names must be non-empty, at most
 * CGROUP_NAME_MAX bytes, without '/', "..", control characters or a
 * leading '.'; anything else is -EINVAL. Everything below /sys/fs/cgroup is
 * opened with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS)
 * because the delegated subtrees are guest-writable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_ROOT          "/sys/fs/cgroup"
#define CGROUP_BASE          "x86ns"
#define CGROUP_MONITOR_GROUP "monitors" /* reserved: no container may use it */
#define CGROUP_NAME_MAX      64

enum cgroup_layout { CGROUP_UNIFIED, CGROUP_HYBRID, CGROUP_LEGACY };

/* statfs(/sys/fs/cgroup): cgroup2 -> unified; cgroup2 at .../unified ->
 * hybrid; anything else -> legacy. */
int cgroup_detect(enum cgroup_layout *ret);

/* The controllers x86ns drives (bit set). */
enum {
	CGROUP_CONTROLLER_PIDS = 1u << 0,
	CGROUP_CONTROLLER_MEMORY = 1u << 1,
	CGROUP_CONTROLLER_CPU = 1u << 2,
	CGROUP_CONTROLLER_FREEZER = 1u << 3, /* v1 only; cgroup2 uses cgroup.kill */
};

#define CGROUP_HIERARCHY_MAX 8

struct cgroup_hierarchy {
	/* Directory below /sys/fs/cgroup: "" when cgroup2 is mounted there
	 * itself, else "unified", "systemd", "pids", "cpu,cpuacct", ... */
	char dir[64];
	/* v1 mount options that name the hierarchy ("cpu,cpuacct",
	 * "name=systemd"), for the container-side mounts; "" on cgroup2. */
	char subsystems[64];
	bool v2;
	bool delegated;       /* chowned to the container's root */
	unsigned controllers; /* CGROUP_CONTROLLER_* driven through it */
};

struct cgroup_hierarchies {
	enum cgroup_layout layout;
	size_t count;
	struct cgroup_hierarchy list[CGROUP_HIERARCHY_MAX];
};

/* The hierarchies x86ns uses on this host (from /proc/self/mountinfo). */
int cgroup_hierarchies(struct cgroup_hierarchies *ret);

/* "/sys/fs/cgroup[/<dir>]/x86ns/<name>" for a hierarchy's dir. */
int cgroup_path(const char *hierarchy_dir, const char *name, char *buf, size_t len);

struct cgroup_limits {
	uint64_t pids_max;    /* 0 = unlimited */
	uint64_t memory_max;  /* bytes; the kernel rounds down to pages; 0 = unlimited */
	unsigned cpu_percent; /* of one CPU (200 = two CPUs); 0 = unlimited */
};

/* Create x86ns/<name> everywhere, set the limits this host can enforce,
 * and delegate to deleg_uid:deleg_gid ((uid_t)-1: no delegation). A stale
 * empty group is removed first; a populated one is -EBUSY. Limits whose
 * controller is missing are left out: see cgroup_enforced_controllers().
 * On failure nothing is left behind. Callers serialize per name (two
 * concurrent creates of one name: the loser gets -EBUSY). */
int cgroup_create(const char *name, const struct cgroup_limits *limits, uid_t deleg_uid,
		  gid_t deleg_gid);

/* On hosts where systemd runs the containers' units (lib/systemd.h), this
 * process addresses "<slice>/<name>" instead of "x86ns/<name>": name is then
 * a scope that systemd created, with its limits, in the slice. slice must
 * live as long as the process (SYSTEMD_SLICE). cgroup_create, _destroy and
 * _create_monitor_group are not for units: systemd makes and removes them. */
void cgroup_use_systemd_slice(const char *slice);
bool cgroup_in_systemd_slice(void);

/* For a group made by someone else (a systemd scope with Delegate=yes):
 * cgroup.max.depth as cgroup_create sets it, and the delegation to
 * deleg_uid:deleg_gid (cgroup2 only). */
int cgroup_delegate(const char *name, uid_t deleg_uid, gid_t deleg_gid);

/* CGROUP_CONTROLLER_* whose limit files exist in x86ns/<name>. */
int cgroup_enforced_controllers(const char *name, unsigned *ret);

/* Move pid (a whole process) into x86ns/<name> in every hierarchy. Each
 * such migration takes the kernel's cgroup_threadgroup_rwsem for writing,
 * which waits for an RCU grace period (1.5-20 ms on the test host) unless
 * cgroup2 is mounted with favordynmods; moves made within one grace period
 * share it. */
int cgroup_attach(const char *name, pid_t pid);

/* x86ns/<name> (or CGROUP_MONITOR_GROUP) in the cgroup2 hierarchy, as an
 * O_RDONLY directory fd for clone3(CLONE_INTO_CGROUP): the kernel places
 * the child there at birth, with no migration. -ENOENT on hosts without
 * cgroup2 (legacy layout). */
int cgroup_open_v2(const char *name, int *ret);

/* cgroup_attach() for a process that clone3 already placed in the cgroup2
 * group: the v1 hierarchies only, so nothing at all on a unified host. */
int cgroup_attach_v1(const char *name, pid_t pid);

/* The same, for a process that moves many processes into one group (the
 * monitor): the cgroup.procs files are opened once, and each move is one
 * write per hierarchy. Where cgroup v2 refuses the group itself (EBUSY: the
 * guest enabled controllers for its children), the process goes into the
 * leaf CGROUP_SESSION_LEAF below it. */
struct cgroup_attach_handle {
	size_t count;
	int group_fd[CGROUP_HIERARCHY_MAX];
	int procs_fd[CGROUP_HIERARCHY_MAX];
};
/* Where sessions go on cgroup v2: the guest's x86ns-spawner moves there when
 * it starts, and the monitor moves a joiner there once the guest enabled
 * controllers in the container's group (see cgroup_attach_handle). */
#define CGROUP_SESSION_LEAF "x86ns-sessions"
int cgroup_attach_handle_open(const char *name, struct cgroup_attach_handle *ret);
int cgroup_attach_handle(const struct cgroup_attach_handle *h, pid_t pid);
void cgroup_attach_handle_close(struct cgroup_attach_handle *h);

/* x86ns/monitors: created if missing, never limited or delegated. */
int cgroup_create_monitor_group(void);

/* True if any process is in x86ns/<name> or below in any hierarchy (also
 * when that cannot be established). */
bool cgroup_populated(const char *name);

/* SIGKILL everything in x86ns/<name> and below until empty, for at most
 * about 5 s (-ETIMEDOUT): cgroup.kill where cgroup2 offers it, then the
 * v1 loop for whatever is left. A missing group is success. */
int cgroup_kill(const char *name);

/* The v1 loop on its own (freeze, SIGKILL every pid, thaw, until empty);
 * exposed so that tests can run it on hosts that have cgroup.kill. */
int cgroup_kill_v1(const char *name);

/* rmdir x86ns/<name> and everything the guest created below it, deepest
 * first, in every hierarchy; retries briefly while the kernel reports
 * EBUSY. A missing group is success. */
int cgroup_destroy(const char *name);
