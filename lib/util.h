/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every x86ns program: cleanup attributes, the
 * -errno error contract, bounded string formatting. No logging here:
 * libraries return -errno and the caller logs once at its boundary. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_   __attribute__((cleanup(freep)))
#define _cleanup_close_  __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

/* Hand ownership of an fd or pointer out of a cleanup scope. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd_ = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_fd_;                                                                              \
	})
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p_ = (p);                                                           \
		(p) = NULL;                                                                        \
		_p_;                                                                               \
	})

/* Turn a libc-style "-1 and errno" result into -errno. */
static inline int negerrno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* snprintf that reports truncation as -ENAMETOOLONG. */
int xsnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copy guest-controlled text for a terminal: printable ASCII as is, every
 * other byte (control characters, ESC, DEL, C1 and all non-ASCII) as
 * "\xNN", so that nothing the guest wrote can drive an administrator's
 * terminal. Truncates to fit len (>= 1); returns out. */
char *text_escape(const char *in, char *out, size_t len);

/* Parse a decimal unsigned integer that must fill the whole string. */
int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);

/* Read at most max-1 bytes of a regular file (opened by the caller) into a
 * NUL-terminated heap buffer. -EFBIG when the file is larger. */
int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* fork(2) through clone3(2): flags adds namespaces and CLONE_PIDFD (the
 * child's pidfd then lands in *ret_pidfd); cgroup_fd >= 0 is a cgroup2
 * directory the kernel places the child in at birth (CLONE_INTO_CGROUP),
 * which, unlike a later move, waits for no RCU grace period. Returns the
 * child's pid in the parent, 0 in the child, -errno on failure. The child
 * skips libc's fork handlers: it must stay single-threaded and exec or
 * _exit. */
pid_t clone3_fork(uint64_t flags, int cgroup_fd, int *ret_pidfd);
