/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proto.h"

#include "tree.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

int runtime_dir(uid_t uid, char *buf, size_t len)
{
	return xsnprintf(buf, len, X86NS_RUNDIR "/%u", (unsigned)uid);
}

int runtime_socket_path(uid_t uid, char *buf, size_t len)
{
	return xsnprintf(buf, len, X86NS_RUNDIR "/%u/monitor.sock", (unsigned)uid);
}

int runtime_ready_path(uid_t uid, char *buf, size_t len)
{
	return xsnprintf(buf, len, X86NS_RUNDIR "/%u/" READY_FILE_NAME, (unsigned)uid);
}

void runtime_ready_remove(uid_t uid)
{
	char path[108], tmp[112];
	if (runtime_ready_path(uid, path, sizeof(path)) < 0 ||
	    xsnprintf(tmp, sizeof(tmp), "%s" READY_FILE_TMP_SUFFIX, path) < 0)
		return;
	unlink(path);
	unlink(tmp);
}

int runtime_notify_create(uid_t uid, uid_t root_uid, gid_t root_gid, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[64];
	int r = runtime_dir(uid, dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_close_ int run = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		return negerrno();
	r = runtime_notify_remove(uid);
	if (r < 0)
		return r;
	if (mkdirat(run, NOTIFY_DIR_NAME, 0700) < 0)
		return negerrno();
	r = xsnprintf(sa.sun_path, sizeof(sa.sun_path),
		      "%s/" NOTIFY_DIR_NAME "/" NOTIFY_SOCKET_NAME, dir);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negerrno();
	int one = 1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return negerrno();
	/* The socket first, the directory last: until then guest root cannot
	 * reach into it, and nothing runs in the guest yet anyway. */
	if (lchown(sa.sun_path, root_uid, root_gid) < 0 ||
	    fchownat(run, NOTIFY_DIR_NAME, root_uid, root_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int runtime_notify_remove(uid_t uid)
{
	char dir[64];
	int r = runtime_dir(uid, dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_close_ int run = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		return errno == ENOENT ? 0 : negerrno();
	/* The directory was guest root's: whatever it holds goes, removed by
	 * a walk of directory fds that follows no symbolic link and stays on
	 * this file system (/run/x86ns/<uid> itself is root's). */
	return tree_remove_at(run, NOTIFY_DIR_NAME);
}

static int monitor_socket(uid_t uid, struct sockaddr_un *sa, int *ret_fd)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	int r = runtime_socket_path(uid, sa->sun_path, sizeof(sa->sun_path));
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	*ret_fd = fd;
	return 0;
}

int monitor_connect(uid_t uid, int *ret_fd)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	int r = monitor_socket(uid, &sa, &fd);
	if (r < 0)
		return r;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int monitor_listen(uid_t uid, int *ret_fd)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	int r = monitor_socket(uid, &sa, &fd);
	if (r < 0)
		return r;
	(void)unlink(sa.sun_path);
	/* Bound under the launcher's umask 022: until the chown below only
	 * root may connect (connect needs write permission on the file). */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negerrno();
	/* Only the user and root (whom the mode does not stop) may connect:
	 * another user could hold connections and starve the user's logins.
	 * The directory is root's, so the path names our socket. The monitor
	 * checks SO_PEERCRED as well (a user may chmod their own socket). */
	if (chown(sa.sun_path, uid, 0) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(fd, MONITOR_BACKLOG) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int proto_send(int fd, const char *fmt, ...)
{
	char buf[PROTO_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	/* MSG_NOSIGNAL: a vanished peer must not kill a PAM application. */
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		return negerrno();
	return 0;
}

int proto_recv(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return negerrno();
		if (r == 0)
			return -ETIMEDOUT;
		break;
	}
	ssize_t n = recv(fd, buf, len - 1, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return negerrno();
	if (n == 0)
		return -ECONNRESET;
	buf[n] = '\0';
	return (int)n;
}

int proto_get(const char *msg, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	for (const char *p = msg; (p = strstr(p, key)); p += klen) {
		if ((p != msg && p[-1] != ' ') || p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		size_t vlen = strcspn(v, " \n");
		if (vlen >= len)
			return -ENAMETOOLONG;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		return 0;
	}
	return -ENOENT;
}

int proto_get_u64(const char *msg, const char *key, unsigned long long *ret)
{
	char v[32];
	int r = proto_get(msg, key, v, sizeof(v));
	if (r < 0)
		return r;
	uint64_t u;
	r = parse_u64(v, &u);
	if (r < 0)
		return r;
	*ret = u;
	return 0;
}

int proto_call(int fd, const char *request, char *reply, size_t len, int timeout_ms,
	       void (*on_progress)(const char *text, void *userdata), void *userdata)
{
	int r = proto_send(fd, "%s", request);
	if (r < 0)
		return r;
	for (;;) {
		r = proto_recv(fd, reply, len, timeout_ms);
		if (r < 0)
			return r;
		if (strncmp(reply, "progress ", 9) == 0) {
			if (on_progress)
				on_progress(reply + 9, userdata);
			continue;
		}
		if (strncmp(reply, "ok", 2) == 0 && (reply[2] == '\0' || reply[2] == ' '))
			return 0;
		if (strncmp(reply, "err ", 4) == 0) {
			memmove(reply, reply + 4, strlen(reply + 4) + 1);
			return -EPROTO;
		}
		return -EBADMSG;
	}
}
