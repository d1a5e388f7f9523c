/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups: moving a process into x86ns/<name> (once, or
 * through a handle that keeps the cgroup.procs files open for the monitor),
 * and the cgroup2 group's fd for clone3(CLONE_INTO_CGROUP). Part of
 * libx86ns.a with cgroup.c (cgroup.h); used by the launcher and the monitor.
 * Runs in: host root, host mount namespace (launcher, monitor). */
#include "cgroup.h"
#include "cgroup-internal.h"

#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

static int attach(const char *name, pid_t pid, bool v1_only)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	char text[16];
	r = xsnprintf(text, sizeof(text), "%d", (int)pid);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		if (v1_only && hs.list[i].v2)
			continue;
		_cleanup_close_ int group_fd = -1;
		r = cg_open_group(&hs.list[i], name, &group_fd);
		if (r >= 0)
			r = cg_write_file(group_fd, "cgroup.procs", text);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_attach(const char *name, pid_t pid)
{
	return attach(name, pid, false);
}

int cgroup_attach_v1(const char *name, pid_t pid)
{
	return attach(name, pid, true);
}

int cgroup_open_v2(const char *name, int *ret)
{
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++)
		if (hs.list[i].v2)
			return cg_open_group(&hs.list[i], name, ret);
	return -ENOENT;
}

int cgroup_attach_handle_open(const char *name, struct cgroup_attach_handle *ret)
{
	*ret = (struct cgroup_attach_handle){ .count = 0 };
	struct cgroup_hierarchies hs;
	int r = cg_validate_and_list(name, &hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		int group_fd = -1;
		r = cg_open_group(&hs.list[i], name, &group_fd);
		if (r >= 0) {
			ret->group_fd[i] = group_fd;
			ret->procs_fd[i] = -1;
			ret->count++;
			r = open_beneath_ret(group_fd, "cgroup.procs", O_WRONLY, 0,
					     &ret->procs_fd[i]);
		}
		if (r < 0) {
			cgroup_attach_handle_close(ret);
			return r;
		}
	}
	return 0;
}

static int write_pid(int procs_fd, const char *text, size_t len)
{
	ssize_t n = pwrite(procs_fd, text, len, 0);
	return n < 0 ? negerrno() : 0;
}

/* cgroup v2 refuses processes in a group whose children have controllers
 * enabled ("no internal processes"), which is what a guest's systemd does
 * with its root. Sessions then go into a leaf of their own. */
static int write_pid_leaf(int group_fd, const char *text, size_t len)
{
	if (mkdirat(group_fd, CGROUP_SESSION_LEAF, 0755) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int leaf = -1, procs = -1;
	int r = open_beneath_ret(group_fd, CGROUP_SESSION_LEAF, O_RDONLY | O_DIRECTORY, 0, &leaf);
	if (r >= 0)
		r = open_beneath_ret(leaf, "cgroup.procs", O_WRONLY, 0, &procs);
	return r < 0 ? r : write_pid(procs, text, len);
}

int cgroup_attach_handle(const struct cgroup_attach_handle *h, pid_t pid)
{
	char text[16];
	int r = xsnprintf(text, sizeof(text), "%d", (int)pid);
	if (r < 0)
		return r;
	size_t len = (size_t)r;
	for (size_t i = 0; i < h->count; i++) {
		r = write_pid(h->procs_fd[i], text, len);
		if (r == -EBUSY)
			r = write_pid_leaf(h->group_fd[i], text, len);
		if (r < 0)
			return r;
	}
	return 0;
}

void cgroup_attach_handle_close(struct cgroup_attach_handle *h)
{
	for (size_t i = 0; i < h->count; i++) {
		close(h->group_fd[i]);
		if (h->procs_fd[i] >= 0)
			close(h->procs_fd[i]);
	}
	h->count = 0;
}
