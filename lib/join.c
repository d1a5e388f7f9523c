/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "join.h"

#include "caps.h"
#include "confine.h"
#include "seccomp.h"
#include "proto.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* Ready waits are answered by the monitor; this only bounds a hung one. */
#define FIND_TIMEOUT_MS (15 * 60 * 1000)

static int ns_inode(const char *path, ino_t *ret)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return negerrno();
	*ret = st.st_ino;
	return 0;
}

/* Runs in: the joining process, host namespaces. */
static int verify_init(uid_t owner, pid_t pid, int pidfd, unsigned long long userns_ino)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return negerrno();
	/* The pidfd was opened first: if that process is still alive now,
	 * the /proc entry we opened is its own, not a recycled pid's. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	struct stat st;
	if (fstat(ns, &st) < 0)
		return negerrno();
	if ((unsigned long long)st.st_ino != userns_ino)
		return -ESTALE;
	/* The init lives in an inner user namespace (created to lock the
	 * container's mounts) whose parent is the one the user owns. */
	_cleanup_close_ int outer = ioctl(ns, NS_GET_PARENT);
	if (outer < 0)
		return negerrno();
	uid_t ns_owner;
	if (ioctl(outer, NS_GET_OWNER_UID, &ns_owner) < 0)
		return negerrno();
	if (ns_owner != owner)
		return -EPERM;
	return 0;
}

/* "attach" (or "wait"), then wait for the monitor's answer, which comes
 * when the guest is ready; a long wait is reported once a second through
 * `waiting`. */
static int attach_wait_ready(int fd, bool move, char *reply, size_t len,
			     void (*waiting)(unsigned seconds, const char *status))
{
	char status[PROTO_MSG_MAX] = "";
	int r = proto_send(fd, move ? "attach" : "wait");
	if (r < 0)
		return r;
	for (unsigned waited = 0; waited * 1000 < FIND_TIMEOUT_MS; waited++) {
		r = proto_recv(fd, reply, len, 1000);
		if (r == -ETIMEDOUT) {
			if (waiting)
				waiting(waited + 1, status);
			continue;
		}
		if (r < 0)
			return r;
		if (strncmp(reply, "progress ", 9) == 0) {
			snprintf(status, sizeof(status), "%s", reply + 9);
			continue;
		}
		if (strncmp(reply, "ok", 2) == 0)
			return 0;
		if (strncmp(reply, "err ", 4) == 0) {
			memmove(reply, reply + 4, strlen(reply + 4) + 1);
			return -EPROTO;
		}
		return -EBADMSG;
	}
	return -ETIMEDOUT;
}

/* The monitor's answer as it left it in the ready file (lib/proto.h), for
 * a join that needs no cgroup move: no round trip. The file is root's, in
 * a directory only root writes; anything unexpected sends the caller to
 * the monitor. */
static int ready_file_read(uid_t owner, char *reply, size_t len)
{
	char path[108];
	int r = runtime_ready_path(owner, path, sizeof(path));
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (!S_ISREG(st.st_mode) || st.st_uid != 0)
		return -EPERM;
	ssize_t n = read(fd, reply, len - 1);
	if (n < 0)
		return negerrno();
	reply[n] = '\0';
	return strncmp(reply, "ok ", 3) == 0 ? 0 : -EBADMSG;
}

/* Pin and verify the init an "ok pid=... userns=..." answer names. */
static int container_from_reply(uid_t owner, const char *reply, struct container_ref *ret)
{
	unsigned long long pid, userns;
	if (proto_get_u64(reply, "pid", &pid) < 0 || proto_get_u64(reply, "userns", &userns) < 0)
		return -EBADMSG;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return negerrno();
	int r = verify_init(owner, (pid_t)pid, pidfd, userns);
	if (r < 0)
		return r;
	unsigned long long ready = 1;
	proto_get_u64(reply, "ready", &ready);
	unsigned long long persona = 0;
	proto_get_u64(reply, "personality", &persona);
	/* Without the field, confine fully (lib/confine.h). */
	unsigned long long relax = 0;
	if (proto_get_u64(reply, "relax", &relax) < 0 || relax > UINT_MAX)
		relax = 0;
	*ret = (struct container_ref){ .pid = (pid_t)pid,
				       .pidfd = TAKE_FD(pidfd),
				       .ready = ready,
				       .personality = (unsigned long)persona,
				       .relax = (unsigned)relax };
	proto_get(reply, "guest", ret->guest, sizeof(ret->guest));
	return 0;
}

int container_find(uid_t owner, bool move_into_cgroup, struct container_ref *ret, struct error *e,
		   void (*waiting)(unsigned seconds, const char *status))
{
	char reply[PROTO_MSG_MAX];
	/* A stale file (its init gone, or another process on its pid) fails
	 * the verification: then the monitor decides. */
	if (!move_into_cgroup && ready_file_read(owner, reply, sizeof(reply)) == 0 &&
	    container_from_reply(owner, reply, ret) == 0)
		return 0;
	_cleanup_close_ int fd = -1;
	int r = monitor_connect(owner, &fd);
	if (r == -ECONNREFUSED)
		r = -ENOENT;
	if (r < 0)
		return r;
	r = attach_wait_ready(fd, move_into_cgroup, reply, sizeof(reply), waiting);
	if (r == -EPROTO)
		return error_set_text(e, "monitor", r, "%s", reply);
	if (r < 0)
		return r;
	return container_from_reply(owner, reply, ret);
}

int container_join(const struct container_ref *c)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		    CLONE_NEWCGROUP;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	ino_t ours, theirs;
	if (ns_inode("/proc/self/ns/net", &ours) == 0 && ns_inode(path, &theirs) == 0 &&
	    ours != theirs)
		flags |= CLONE_NEWNET;
	if (setns(c->pidfd, flags) < 0)
		return negerrno();
	return 0;
}

int container_become(uid_t uid, gid_t gid)
{
	if (uid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return negerrno();
		return caps_trim_bounding_set();
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return negerrno();
	return caps_drop_all();
}

int container_confine(const struct container_ref *c)
{
	/* The caller's session keyring (pam_keyinit's, or an administrator's
	 * for x86nsctl exec) must not follow into the guest: a fresh, empty
	 * one, before the filter refuses keyctl. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return negerrno();
	/* No Landlock domain here: a domain is entered only by being forked
	 * inside it, and one of our own would be a sibling of the guest's,
	 * unable to signal the user's other sessions or the guest's services.
	 * The session itself is forked by the guest's x86ns-spawner, inside
	 * the guest's domain (lib/spawn.h); this filter covers the joining
	 * process until then. */
	return seccomp_apply_guest_filter(c->relax);
}

int container_confine_relay(const struct container_ref *c)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return negerrno();
	/* seccomp = no is the administrator's way out of a filter that stops
	 * something: it lifts this one too. */
	if (c->relax & RELAX_SECCOMP)
		return 0;
	return seccomp_apply_shell_filter();
}

void container_ref_done(struct container_ref *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}
