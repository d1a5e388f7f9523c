/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's host paths: root-owned directories, the per-user lock, the
 * user's log, what a crashed container left behind, and the wait for an
 * old container's monitor on its way out.
 *
 * Runs in: the launcher (and the monitor-to-be), host root. */

#include "cgroup.h"
#include "launch.h"
#include "proto.h"
#include "safe-open.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* A root-owned directory that nobody else can write, created if missing. */
int root_dir_open(int parent_fd, const char *name, mode_t mode, int *ret_fd)
{
	if (mkdirat(parent_fd, name, mode) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int fd =
	    open_resolve(parent_fd, name, O_RDONLY | O_DIRECTORY, 0,
			 parent_fd == AT_FDCWD ? RESOLVE_NO_SYMLINKS : RESOLVE_SAFE);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The per-user lock is a flock on the user's state directory
 * /var/lib/x86ns/<uid>, which outlives containers by design (it holds the
 * upper layer), so no lock file is left in /run. Serializes start, join and
 * the wait for a stopping container; the monitor never takes it. */
int user_lock(uid_t uid, int *ret_fd)
{
	_cleanup_close_ int base = -1;
	int r = root_dir_open(AT_FDCWD, X86NS_STATEDIR, 0755, &base);
	if (r < 0)
		return r;
	char name[16];
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (mkdirat(base, name, 0700) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int fd = open_beneath(base, name, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int log_open(const char *user, int *ret_fd)
{
	if (!user || !*user || strchr(user, '/') || user[0] == '.')
		return -EINVAL;
	_cleanup_close_ int dir = -1;
	int r = root_dir_open(AT_FDCWD, X86NS_LOGDIR, 0750, &dir);
	if (r < 0)
		return r;
	char name[300];
	r = xsnprintf(name, sizeof(name), "%s.log", user);
	if (r < 0)
		return r;
	int fd = open_beneath(dir, name, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0640);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

/* Whatever a crashed earlier container left behind. */
void leftovers_remove(uid_t uid, const char *cgroup_name)
{
	if (cgroup_populated(cgroup_name))
		cgroup_kill(cgroup_name);
	cgroup_destroy(cgroup_name);
	char path[108];
	if (runtime_socket_path(uid, path, sizeof(path)) >= 0)
		unlink(path);
	runtime_ready_remove(uid);
	runtime_notify_remove(uid);
	if (runtime_dir(uid, path, sizeof(path)) >= 0)
		rmdir(path);
}

/* Wait for a stopping monitor to exit, so that a new start never meets
 * the old container's cgroups or socket. */
void monitor_wait_exit(const char *reply, unsigned timeout_sec)
{
	unsigned long long pid;
	if (proto_get_u64(reply, "monitor", &pid) < 0)
		return;
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	poll(&pfd, 1, (int)(timeout_sec * 1000));
}

/* A monitor that closed our connection without a word is exiting: its
 * socket took the connection into the backlog after its last accept. Wait
 * until the socket is gone or refuses, so that the next attempt starts
 * anew (the user lock keeps any other start away meanwhile). */
void monitor_wait_gone(uid_t uid, unsigned timeout_sec)
{
	for (unsigned waited_ms = 0; waited_ms < timeout_sec * 1000; waited_ms += 20) {
		_cleanup_close_ int fd = -1;
		int r = monitor_connect(uid, &fd);
		if (r == -ENOENT || r == -ECONNREFUSED)
			return;
		poll(NULL, 0, 20);
	}
}
