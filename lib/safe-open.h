/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening paths in trees the user or the guest can write (homes, layers,
 * guest trees, delegated cgroups): openat2(2) relative to a directory fd,
 * never by string concatenation, so that a symbolic link, a ".." or a
 * /proc magic link planted there cannot lead root outside. Every fd is
 * O_CLOEXEC. */
#pragma once

#include <linux/openat2.h>
#include <stdint.h>
#include <sys/types.h>

/* The one resolve mask for such trees: stay below dir_fd (no absolute
 * path, no ".." above it), follow no symbolic link and no magic link. */
#define RESOLVE_SAFE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* openat2(dir_fd, path) with RESOLVE_SAFE; flags get O_CLOEXEC, mode
 * applies with O_CREAT or O_TMPFILE only. Returns the fd or -errno (ELOOP
 * for a symbolic link or magic link, EXDEV for a path that leaves dir_fd). */
int open_beneath(int dir_fd, const char *path, int flags, mode_t mode);

/* The same, with the fd in *ret_fd and 0 returned. */
int open_beneath_ret(int dir_fd, const char *path, int flags, mode_t mode, int *ret_fd);

/* openat2 with a resolve mask of the caller's (RESOLVE_NO_SYMLINKS for an
 * absolute host path, RESOLVE_IN_ROOT for a tree's own links); flags get
 * O_CLOEXEC. Returns the fd or -errno. */
int open_resolve(int dir_fd, const char *path, int flags, mode_t mode, uint64_t resolve);
