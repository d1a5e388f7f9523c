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

/* "ok pid=N" with the session's pidfd, or "err errno=N step=WORD": the
 * spawner's step goes into e. */
static int receive_reply(int fd, int *ret_pidfd, struct error *e)
{
	char text[SPAWN_REPLY_MAX];
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
	const char *s = strstr(text, " step=");
	if (s && e)
		snprintf(e->step, sizeof(e->step), "%.*s", (int)strcspn(s + 6, " \n"), s + 6);
	return sscanf(text, "err errno=%d", &err) == 1 && err > 0 ? -err : -EBADMSG;
}

/* The user's line about a failed spawn_session() at e->step. */
static int spawn_failed(struct error *e, int r)
{
	if (!e)
		return r;
	if (strcmp(e->step, "connect") == 0)
		return error_set_text(
		    e, "connect", r,
		    "the guest's session spawner is not running (%s: %s; guest root may have "
		    "ended it): its monitor stops the guest, and the next login starts it again",
		    SPAWN_SOCKET_PATH, strerror(-r));
	char step[sizeof(e->step)];
	snprintf(step, sizeof(step), "%s", e->step);
	return error_set(e, step, r, "the guest's session spawner failed at %.20s", step);
}

static int spawn_connect(int *ret)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SPAWN_SOCKET_PATH };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negerrno();
	*ret = TAKE_FD(fd);
	return 0;
}

int spawn_session(const struct spawn_request *req, struct spawned *ret, struct error *e)
{
	struct error local;
	if (!e)
		e = &local;
	snprintf(e->step, sizeof(e->step), "connect");
	_cleanup_close_ int fd = -1;
	int r = spawn_connect(&fd);
	if (r < 0)
		return spawn_failed(e, r);
	snprintf(e->step, sizeof(e->step), "request");
	_cleanup_free_ char *buf = malloc(SPAWN_REQUEST_MAX);
	if (!buf)
		return spawn_failed(e, -ENOMEM);
	size_t len;
	r = request_build(req, buf, &len);
	if (r == 0)
		r = send_request(fd, buf, len, req->fds);
	int pidfd = -1;
	if (r == 0)
		r = receive_reply(fd, &pidfd, e);
	if (r < 0)
		return spawn_failed(e, r);
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

int spawned_run(struct spawned *s, struct pty_stdio *io, int *ret_status, struct error *e)
{
	bool tty = io->master >= 0;
	closep(&io->slave); /* the master reads EIO once the guest's side is closed */
	*ret_status = 0;
	const char *what = tty ? "terminal relay" : "wait";
	int r = tty ? pty_relay(io->master, io->host_in, io->host_out,
				&(struct pty_session){ 0, s->pidfd, s->conn }, ret_status)
		    : spawn_wait(s, ret_status);
	if (r < 0)
		return error_set(e, what, r, "%s", what);
	spawned_done(s);
	pty_stdio_close(io);
	return 0;
}
