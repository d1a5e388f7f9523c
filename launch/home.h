/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The home's authentication and host-session files, read-only in the guest.
 * Runs in: container child, guest root, before pivot_root (home.c). */
#pragma once

#include <sys/types.h>

/* Bind every protected path below the guest's view of `home` (absolute
 * guest path, below root_fd) read-only over itself, creating missing ones
 * for the user uid:gid. On failure *ret_path names the path (relative to
 * the home). */
int home_protect(int root_fd, const char *home, uid_t uid, gid_t gid, const char **ret_path);

/* Why home_protect failed, for the user: ELOOP, ENOTDIR, EMLINK explained. */
const char *home_protect_error(int r);
