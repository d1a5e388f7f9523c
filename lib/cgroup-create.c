/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups: making x86ns/<name> in every hierarchy, its
 * limits (pids, memory, cpu) and its delegation to the container's root;
 * the monitors' group. Part of libx86ns.a with cgroup.c (cgroup.h); used by
 * the launcher.
 * Runs in: host root, host mount namespace (launcher, x86nsctl). */
#include "cgroup.h"
#include "cgroup-internal.h"

#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#define CPU_PERIOD_US 100000ULL

/* Delegated to the container's root, as the kernel's cgroup-v2 delegation
 * model and systemd expect. Deliberately not delegated: every resource
 * file (pids.*, memory.*, cpu.*, cgroup.max.*), cgroup.kill, cgroup.freeze:
 * the limits and the kill switch stay the host's. Missing files are
 * skipped (cgroup.threads and cgroup.subtree_control are v2 only, tasks is
 * v1 only). */
static const char *const delegated_files[] = {
	"cgroup.procs",
	"cgroup.threads",
	"cgroup.subtree_control",
	"tasks",
};

/* Best effort: a controller the kernel refuses (absent, or cpu with
 * realtime tasks around) is left out and shows in
 * cgroup_enforced_controllers(). */
static void enable_v2_controllers(int dir_fd, unsigned controllers)
{
	for (size_t i = 0; i < ARRAY_SIZE(cg_controller_names); i++) {
		if (!(controllers & cg_controller_names[i].bit))
			continue;
		char value[32];
		if (xsnprintf(value, sizeof(value), "+%s", cg_controller_names[i].name) >= 0)
			(void)cg_write_file(dir_fd, "cgroup.subtree_control", value);
	}
}

/* -ENOENT (the controller is not enabled here) leaves the limit out. */
static int write_limit(int group_fd, const char *file, uint64_t value, const char *suffix)
{
	char text[48];
	int r = xsnprintf(text, sizeof(text), "%" PRIu64 "%s", value, suffix);
	if (r >= 0)
		r = cg_write_file(group_fd, file, text);
	return r == -ENOENT ? 0 : r;
}

static int apply_limits(const struct cgroup_hierarchy *h, int group_fd,
			const struct cgroup_limits *l)
{
	unsigned c = h->controllers;
	uint64_t quota = (uint64_t)l->cpu_percent * CPU_PERIOD_US / 100;
	int r = 0;
	if ((c & CGROUP_CONTROLLER_PIDS) && l->pids_max)
		r = write_limit(group_fd, "pids.max", l->pids_max, "");
	if (r >= 0 && (c & CGROUP_CONTROLLER_MEMORY) && l->memory_max)
		r = write_limit(group_fd, h->v2 ? "memory.max" : "memory.limit_in_bytes",
				l->memory_max, "");
	if (r >= 0 && (c & CGROUP_CONTROLLER_CPU) && l->cpu_percent) {
		if (h->v2) {
			r = write_limit(group_fd, "cpu.max", quota, " 100000");
		} else {
			r = write_limit(group_fd, "cpu.cfs_period_us", CPU_PERIOD_US, "");
			if (r >= 0)
				r = write_limit(group_fd, "cpu.cfs_quota_us", quota, "");
		}
	}
	return r;
}

/* Files first, directory last: until the directory is chowned the guest
 * cannot create anything in it. */
static int delegate(int group_fd, uid_t uid, gid_t gid)
{
	for (size_t i = 0; i < ARRAY_SIZE(delegated_files); i++)
		if (fchownat(group_fd, delegated_files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			return negerrno();
	return fchown(group_fd, uid, gid) < 0 ? negerrno() : 0;
}

/* mkdir <hierarchy>/x86ns (shared, root-owned) and x86ns/<name>; returns
 * the new group's fd. -EEXIST if x86ns/<name> exists. */
static int make_group(const struct cgroup_hierarchy *h, const char *name, int *ret)
{
	_cleanup_close_ int hier_fd = -1, base_fd = -1;
	int r = cg_open_hierarchy(h, &hier_fd);
	if (r < 0)
		return r;
	if (h->v2)
		enable_v2_controllers(hier_fd, h->controllers);
	if (mkdirat(hier_fd, CGROUP_BASE, 0755) < 0 && errno != EEXIST)
		return negerrno();
	r = open_beneath_ret(hier_fd, CGROUP_BASE, O_RDONLY | O_DIRECTORY, 0, &base_fd);
	if (r < 0)
		return r;
	if (h->v2)
		enable_v2_controllers(base_fd, h->controllers);
	if (mkdirat(base_fd, name, 0755) < 0)
		return negerrno();
	return open_beneath_ret(base_fd, name, O_RDONLY | O_DIRECTORY, 0, ret);
}

static int create_in_hierarchy(const struct cgroup_hierarchy *h, const char *name,
			       const struct cgroup_limits *l, uid_t uid, gid_t gid)
{
	_cleanup_close_ int group_fd = -1;
	int r = make_group(h, name, &group_fd);
	if (r < 0)
		return r;
	r = apply_limits(h, group_fd, l);
	if (r < 0)
		return r;
	if (h->v2) {
		r = write_limit(group_fd, "cgroup.max.depth", WALK_DEPTH_MAX, "");
		if (r < 0)
			return r;
	} else {
		/* v1: a group's release makes the kernel run the hierarchy's
		 * release_agent as host root. The group inherits the flag from
		 * x86ns/ (a host systemd sets it on its own groups); groups the
		 * guest makes below inherit ours, 0. The file stays root's here;
		 * in groups guest root creates in the delegated name=systemd
		 * subtree it is guest root's (docs/ARCHITECTURE.md, cgroup v1). */
		r = write_limit(group_fd, "notify_on_release", 0, "");
		if (r < 0)
			return r;
	}
	if (h->delegated && uid != (uid_t)-1)
		return delegate(group_fd, uid, gid);
	return 0;
}

int cgroup_delegate(const char *name, uid_t deleg_uid, gid_t deleg_gid)
{
	_cleanup_close_ int group_fd = -1;
	int r = cgroup_open_v2(name, &group_fd);
	if (r >= 0)
		r = write_limit(group_fd, "cgroup.max.depth", WALK_DEPTH_MAX, "");
	return r < 0 ? r : delegate(group_fd, deleg_uid, deleg_gid);
}

int cgroup_create(const char *name, const struct cgroup_limits *limits, uid_t deleg_uid,
		  gid_t deleg_gid)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	if (strcmp(name, CGROUP_MONITOR_GROUP) == 0)
		return -EINVAL;
	if (cg_systemd_slice)
		return -EOPNOTSUPP;
	if (cg_populated_anywhere(&hs, name))
		return -EBUSY;
	r = cgroup_destroy(name); /* stale and empty: from a crash */
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		r = create_in_hierarchy(&hs.list[i], name, limits, deleg_uid, deleg_gid);
		if (r == -EEXIST)
			return -EBUSY; /* a concurrent create: not ours to remove */
		if (r < 0) {
			(void)cgroup_destroy(name);
			return r;
		}
	}
	return 0;
}

int cgroup_enforced_controllers(const char *name, unsigned *ret)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	unsigned bits = 0;
	for (size_t i = 0; i < hs.count; i++) {
		const struct cgroup_hierarchy *h = &hs.list[i];
		_cleanup_close_ int group_fd = -1;
		r = cg_open_group(h, name, &group_fd);
		if (r < 0)
			return r;
		const struct {
			unsigned bit;
			const char *file;
		} probes[] = {
			{ CGROUP_CONTROLLER_PIDS, "pids.max" },
			{ CGROUP_CONTROLLER_MEMORY,
			  h->v2 ? "memory.max" : "memory.limit_in_bytes" },
			{ CGROUP_CONTROLLER_CPU, h->v2 ? "cpu.max" : "cpu.cfs_quota_us" },
			{ CGROUP_CONTROLLER_FREEZER, "freezer.state" },
		};
		for (size_t j = 0; j < ARRAY_SIZE(probes); j++)
			if ((h->controllers & probes[j].bit) &&
			    faccessat(group_fd, probes[j].file, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				bits |= probes[j].bit;
	}
	*ret = bits;
	return 0;
}

int cgroup_create_monitor_group(void)
{
	if (cg_systemd_slice)
		return -EOPNOTSUPP;
	struct cgroup_hierarchies hs;
	int r = cgroup_hierarchies(&hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		_cleanup_close_ int group_fd = -1;
		r = make_group(&hs.list[i], CGROUP_MONITOR_GROUP, &group_fd);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}
