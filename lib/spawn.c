/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"
#include "pty.h"

#include "fd-pass.h"
#include "spawn-proto.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Append s and its NUL; -E2BIG when the request would be too long. */
static int put(char *buf, size_t *off, const char *s)
{
	size_t len = strlen(s) + 1;
	if (*off + len > SPAWN_REQUEST_MAX)
		return -E2BIG;
	memcpy(buf + *off, s, len);
	*off += len;
	return 0;
}

static int request_build(const struct spawn_request *req, char *buf, size_t *ret_len)
{
	size_t off = 0;
	int r = put(buf, &off, SPAWN_MAGIC);
	if (r == 0)
		r = put(buf, &off, req->tty ? "tty" : "-");
	if (r == 0)
		r = put(buf, &off, req->cwd);
	if (r == 0)
		r = put(buf, &off, req->path);
	for (size_t i = 0; r == 0 && req->argv[i]; i++)
		r = put(buf, &off, req->argv[i]);
	if (r == 0)
		r = put(buf, &off, "");
	for (size_t i = 0; r == 0 && req->envp[i]; i++)
		r = put(buf, &off, req->envp[i]);
	*ret_len = off;
	return r;
}

static int send_request(int fd, const char *buf, size_t len, const int fds[3])
{
	return fd_send(fd, buf, len, fds, 3, 0);
}

/* "ok pid=N" with the session's pidfd, or "err errno=N step=WORD". */
static int receive_reply(int fd, int *ret_pidfd, const char **step)
{
	static char text[SPAWN_REPLY_MAX];
	int pidfd;
	size_t n_fds;
	ssize_t n = fd_recv(fd, text, sizeof(text) - 1, &pidfd, 1, &n_fds, 0);
	if (n <= 0) {
		fd_close_all(&pidfd, n_fds);
		return n < 0 ? (int)n : -ECONNRESET;
	}
	text[n] = '\0';
	int err = 0;
	if (strncmp(text, "ok ", 3) == 0 && pidfd >= 0) {
		*ret_pidfd = pidfd;
		return 0;
	}
	if (pidfd >= 0)
		close(pidfd);
	char *s = strstr(text, " step=");
	if (s && step)
		*step = s + 6;
	return sscanf(text, "err errno=%d", &err) == 1 && err > 0 ? -err : -EBADMSG;
}

int spawn_session(const struct spawn_request *req, struct spawned *ret, const char **step)
{
	if (step)
		*step = "connect";
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SPAWN_SOCKET_PATH };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negerrno();
	if (step)
		*step = "request";
	_cleanup_free_ char *buf = malloc(SPAWN_REQUEST_MAX);
	if (!buf)
		return -ENOMEM;
	size_t len;
	int r = request_build(req, buf, &len);
	if (r == 0)
		r = send_request(fd, buf, len, req->fds);
	int pidfd = -1;
	if (r == 0)
		r = receive_reply(fd, &pidfd, step);
	if (r < 0)
		return r;
	*ret = (struct spawned){ .conn = TAKE_FD(fd), .pidfd = pidfd };
	return 0;
}

int spawn_wait(const struct spawned *s, int *ret_status)
{
	char msg[SPAWN_REPLY_MAX];
	ssize_t n;
	while ((n = recv(s->conn, msg, sizeof(msg) - 1, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return negerrno();
	msg[n > 0 ? n : 0] = '\0';
	/* A spawner that went away without a word: exit status 255. */
	if (n == 0 || sscanf(msg, "exit status=%d", ret_status) != 1)
		*ret_status = 255 << 8;
	return 0;
}

void spawned_done(struct spawned *s)
{
	closep(&s->conn);
	closep(&s->pidfd);
}

const char *spawn_error(int r, const char *step)
{
	static char text[256];
	if (strcmp(step, "connect") == 0)
		snprintf(text, sizeof(text),
			 "the guest's session spawner is not running (%s: %s; guest root may have "
			 "ended it): its monitor stops the guest, and the next login starts it "
			 "again",
			 SPAWN_SOCKET_PATH, strerror(-r));
	else
		snprintf(text, sizeof(text), "the guest's session spawner failed at %.20s: %s",
			 step, strerror(-r));
	return text;
}

int spawned_run(struct spawned *s, struct pty_stdio *io, int *ret_status, const char **ret_what)
{
	bool tty = io->master >= 0;
	closep(&io->slave); /* the master reads EIO once the guest's side is closed */
	*ret_status = 0;
	*ret_what = tty ? "terminal relay" : "wait";
	int r = tty ? pty_relay(io->master, io->host_in, io->host_out,
				&(struct pty_session){ 0, s->pidfd, s->conn }, ret_status)
		    : spawn_wait(s, ret_status);
	if (r < 0)
		return r;
	spawned_done(s);
	pty_stdio_close(io);
	return 0;
}
