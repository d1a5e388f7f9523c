/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Passing file descriptors over a Unix socket (SCM_RIGHTS): one message,
 * some bytes of text and up to FD_PASS_MAX fds. Header-only, libc only, so
 * that the static guest programs (guest/spawner.c), which link no lib/
 * code, use the same pair as the host side. Received fds are always
 * close-on-exec. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define FD_PASS_MAX 4

/* Sends len bytes of data (len >= 1) with n_fds fds (0 to FD_PASS_MAX) in
 * one sendmsg(2); flags are added to MSG_NOSIGNAL. Returns 0 when all of
 * data went, -EINVAL for too many fds, -EIO for a short send, or -errno. */
static inline int fd_send(int sock, const void *data, size_t len, const int *fds, size_t n_fds,
			  int flags)
{
	union {
		char buf[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	if (n_fds > FD_PASS_MAX)
		return -EINVAL;
	memset(&control, 0, sizeof(control));
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n_fds > 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	ssize_t n;
	while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL | flags)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno > 0 ? -errno : -EIO;
	return (size_t)n == len ? 0 : -EIO;
}

/* Closes fds[0..n) and sets them to -1. */
static inline void fd_close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Receives one message: up to size bytes into buf (not terminated) and up
 * to max_fds (<= FD_PASS_MAX) fds into fds[], the rest of which is set to
 * -1; *ret_n_fds is how many came. Retries on EINTR; flags are added to
 * MSG_CMSG_CLOEXEC (MSG_DONTWAIT: -EAGAIN when nothing waits). Returns the
 * number of bytes (0: end of stream, or an empty message), or -errno;
 * -EMSGSIZE when the text did not fit in size or more than max_fds fds (or
 * other control data) came: then every fd received is closed. */
static inline ssize_t fd_recv(int sock, void *buf, size_t size, int *fds, size_t max_fds,
			      size_t *ret_n_fds, int flags)
{
	union {
		char buf[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	*ret_n_fds = 0;
	if (max_fds > FD_PASS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < max_fds; i++)
		fds[i] = -1;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = CMSG_SPACE(max_fds * sizeof(int)) };
	ssize_t n;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno > 0 ? -errno : -EIO;
	bool foreign = false;
	size_t got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			foreign = true;
			continue;
		}
		/* The buffer is rounded up to a multiple of 8 bytes: one fd more
		 * than max_fds may fit. */
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k; j++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
			if (got < max_fds) {
				fds[got++] = fd;
			} else {
				close(fd);
				foreign = true;
			}
		}
	}
	*ret_n_fds = got;
	if (foreign || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		fd_close_all(fds, got);
		*ret_n_fds = 0;
		return -EMSGSIZE;
	}
	return n;
}
