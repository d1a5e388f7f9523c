/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "safe-open.h"
#include "util.h"

#include <fcntl.h>
#include <sys/syscall.h>

int open_resolve(int dir_fd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	/* openat2 refuses a mode without O_CREAT or O_TMPFILE (EINVAL). */
	bool takes_mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.mode = takes_mode ? mode : 0,
				.resolve = resolve };
	long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
	return fd < 0 ? negerrno() : (int)fd;
}

int open_beneath(int dir_fd, const char *path, int flags, mode_t mode)
{
	return open_resolve(dir_fd, path, flags, mode, RESOLVE_SAFE);
}

int open_beneath_ret(int dir_fd, const char *path, int flags, mode_t mode, int *ret_fd)
{
	int fd = open_beneath(dir_fd, path, flags, mode);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}
