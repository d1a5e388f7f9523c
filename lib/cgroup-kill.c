/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups: whether a group (and what the guest made below it)
 * holds processes, killing them all (cgroup.kill, or freeze and SIGKILL on
 * v1), and removing the groups deepest first. Everything below x86ns/<name>
 * may be guest-made. Part of libx86ns.a with cgroup.c (cgroup.h); used by
 * the launcher, the monitor and x86nsctl.
 * Runs in: host root, host mount namespace (launcher, monitor, x86nsctl). */
#include "cgroup.h"
#include "cgroup-internal.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#define KILL_TIMEOUT_MS    5000
#define DESTROY_TIMEOUT_MS 2000
#define PROCS_FILE_MAX     (1024 * 1024)

/* ---- walking a (possibly guest-made) subtree ---------------------------- */

typedef int (*visit_fn)(int group_fd, void *userdata);

/* visit(dir) and then every descendant; stops at the first non-zero
 * result. -ELOOP past WALK_DEPTH_MAX. */
static int walk_tree(int dir_fd, unsigned depth, visit_fn visit, void *userdata)
{
	int r = visit(dir_fd, userdata);
	if (r != 0)
		return r;
	_cleanup_closedir_ DIR *d = NULL;
	r = cg_opendir_beneath(dir_fd, ".", &d);
	if (r < 0)
		return r;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (depth >= WALK_DEPTH_MAX)
			return -ELOOP;
		_cleanup_close_ int child_fd = -1;
		r = open_beneath_ret(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY, 0, &child_fd);
		if (r == -ENOENT)
			continue; /* removed meanwhile */
		if (r >= 0)
			r = walk_tree(child_fd, depth + 1, visit, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

static int visit_has_procs(int group_fd, void *userdata)
{
	_cleanup_free_ char *procs = NULL;
	int r = cg_read_file(group_fd, "cgroup.procs", PROCS_FILE_MAX, &procs);
	if (r < 0)
		return r;
	return procs[0] != '\0';
}

static int visit_kill_procs(int group_fd, void *userdata)
{
	_cleanup_free_ char *procs = NULL;
	int r = cg_read_file(group_fd, "cgroup.procs", PROCS_FILE_MAX, &procs);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		uint32_t pid;
		/* Never ourselves or the host's init, whatever the file says. */
		if (parse_u32(tok, &pid) < 0 || pid <= 1 || pid > INT32_MAX ||
		    (pid_t)pid == getpid())
			continue;
		(void)kill((pid_t)pid, SIGKILL);
	}
	return 0;
}

/* 1 populated, 0 empty or missing, < 0 cannot tell. */
static int populated_in(const struct cgroup_hierarchy *h, const char *name)
{
	_cleanup_close_ int group_fd = -1;
	int r = cg_open_group(h, name, &group_fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!h->v2)
		return walk_tree(group_fd, 0, visit_has_procs, NULL);
	_cleanup_free_ char *events = NULL;
	r = cg_read_file(group_fd, "cgroup.events", 4096, &events);
	if (r < 0)
		return r;
	return strstr(events, "populated 0") ? 0 : 1;
}

bool cg_populated_anywhere(const struct cgroup_hierarchies *hs, const char *name)
{
	for (size_t i = 0; i < hs->count; i++)
		if (populated_in(&hs->list[i], name) != 0)
			return true;
	return false;
}

bool cgroup_populated(const char *name)
{
	struct cgroup_hierarchies hs;
	if (cg_validate_and_list(name, &hs) < 0)
		return true;
	return cg_populated_anywhere(&hs, name);
}

/* ---- kill ------------------------------------------------------------- */

static bool wait_empty(const struct cgroup_hierarchies *hs, const char *name, uint64_t deadline)
{
	for (;;) {
		if (!cg_populated_anywhere(hs, name))
			return true;
		if (cg_now_ms() >= deadline)
			return false;
		cg_sleep_ms(10);
	}
}

/* Frozen tasks cannot fork or exit, so no pid read from cgroup.procs is
 * reused before our SIGKILL reaches it. A task stuck in the kernel can
 * keep the group FREEZING: go on after a while, the loop retries. */
static int freeze(int freezer_fd, const char *state)
{
	int r = cg_write_file(freezer_fd, "freezer.state", state);
	if (r < 0 || strcmp(state, "FROZEN") != 0)
		return r;
	for (unsigned i = 0; i < 100; i++) {
		_cleanup_free_ char *now = NULL;
		r = cg_read_file(freezer_fd, "freezer.state", 64, &now);
		if (r < 0 || strncmp(now, "FROZEN", 6) == 0)
			return r;
		cg_sleep_ms(5);
	}
	return 0;
}

static int kill_v1_until(const struct cgroup_hierarchies *hs, const char *name, uint64_t deadline)
{
	_cleanup_close_ int freezer_fd = -1;
	for (size_t i = 0; i < hs->count; i++)
		if (hs->list[i].controllers & CGROUP_CONTROLLER_FREEZER)
			(void)cg_open_group(&hs->list[i], name, &freezer_fd);
	for (;;) {
		if (freezer_fd >= 0)
			(void)freeze(freezer_fd, "FROZEN");
		/* Every hierarchy: later logins may sit only in delegated ones. */
		for (size_t i = 0; i < hs->count; i++) {
			_cleanup_close_ int group_fd = -1;
			if (cg_open_group(&hs->list[i], name, &group_fd) >= 0)
				(void)walk_tree(group_fd, 0, visit_kill_procs, NULL);
		}
		if (freezer_fd >= 0)
			(void)freeze(freezer_fd, "THAWED");
		if (wait_empty(hs, name, cg_now_ms() + 50))
			return 0;
		if (cg_now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

int cgroup_kill_v1(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	return kill_v1_until(&hs, name, cg_now_ms() + KILL_TIMEOUT_MS);
}

int cgroup_kill(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	uint64_t deadline = cg_now_ms() + KILL_TIMEOUT_MS;
	bool killed = false;
	for (size_t i = 0; i < hs.count; i++) {
		_cleanup_close_ int group_fd = -1;
		if (hs.list[i].v2 && cg_open_group(&hs.list[i], name, &group_fd) >= 0)
			killed |= cg_write_file(group_fd, "cgroup.kill", "1") >= 0;
	}
	/* cgroup.kill is synchronous for signalling; dying takes a moment. */
	if (killed && wait_empty(&hs, name, cg_now_ms() + 1000))
		return 0;
	return kill_v1_until(&hs, name, deadline);
}

/* ---- destroy ---------------------------------------------------------- */

/* Descends from x86ns/<name> to a leaf, holding only the leaf's parent
 * and the leaf (so a deep guest-made tree costs time, not fds), and
 * removes it. 1 = removed a descendant (call again), 0 = removed
 * x86ns/<name> itself or it is gone. */
static int remove_one_leaf(int base_fd, const char *name)
{
	_cleanup_closedir_ DIR *parent = NULL, *leaf = NULL;
	int r = cg_opendir_beneath(base_fd, name, &leaf);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	char leaf_name[256];
	(void)xsnprintf(leaf_name, sizeof(leaf_name), "%s", name);
	for (struct dirent *de; (de = readdir(leaf));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		DIR *child = NULL;
		r = cg_opendir_beneath(dirfd(leaf), de->d_name, &child);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		(void)xsnprintf(leaf_name, sizeof(leaf_name), "%s", de->d_name);
		if (parent)
			closedir(parent);
		parent = leaf; /* readdir() goes on in the child */
		leaf = child;
	}
	int parent_fd = parent ? dirfd(parent) : base_fd;
	if (unlinkat(parent_fd, leaf_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return negerrno();
	return parent ? 1 : 0;
}

static int destroy_in(const struct cgroup_hierarchy *h, const char *name, uint64_t deadline)
{
	_cleanup_close_ int hier_fd = -1, base_fd = -1;
	int r = cg_open_hierarchy(h, &hier_fd);
	if (r >= 0)
		r = open_beneath_ret(hier_fd, CGROUP_BASE, O_RDONLY | O_DIRECTORY, 0, &base_fd);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (;;) {
		r = remove_one_leaf(base_fd, name);
		if (r == 0)
			return 0;
		if (r == -EBUSY)
			cg_sleep_ms(20); /* just emptied: the kernel lets go shortly */
		else if (r < 0)
			return r;
		if (cg_now_ms() >= deadline)
			return r < 0 ? r : -ETIMEDOUT;
	}
}

int cgroup_destroy(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0 || cg_systemd_slice)
		return r; /* systemd removes a unit's group with the unit */
	uint64_t deadline = cg_now_ms() + DESTROY_TIMEOUT_MS;
	int first_error = 0;
	for (size_t i = 0; i < hs.count; i++) {
		r = destroy_in(&hs.list[i], name, deadline);
		if (r < 0 && first_error == 0)
			first_error = r;
	}
	return first_error;
}
