/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>

int xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

char *text_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f;
		if (o + (plain ? 1 : 4) >= len)
			break;
		if (plain) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
	return out;
}

int parse_u64(const char *s, uint64_t *ret)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len)
{
	/* Grow as needed: most files are small, and max may be large. */
	size_t size = max < 4096 ? max : 4096, len = 0;
	_cleanup_free_ char *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == size - 1) {
			if (size == max) {
				char extra;
				ssize_t n = read(fd, &extra, 1);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return negerrno();
				if (n > 0)
					return -EFBIG;
				break;
			}
			size_t grown = size * 2 < max ? size * 2 : max;
			char *p = realloc(buf, grown);
			if (!p)
				return -ENOMEM;
			buf = p;
			size = grown;
		}
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negerrno();
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negerrno();
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Only what clone3 needs; avoids mixing <linux/sched.h> with <sched.h>.
 * The layout is CLONE_ARGS_SIZE_VER2 (Linux 5.7, with the cgroup field). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t clone3_fork(uint64_t flags, int cgroup_fd, int *ret_pidfd)
{
	int pidfd = -1;
	struct clone3_args args = { .flags = flags, .exit_signal = SIGCHLD };
	if (flags & CLONE_PIDFD)
		args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return (pid_t)negerrno();
	if (pid > 0 && ret_pidfd)
		*ret_pidfd = pidfd;
	return pid;
}
