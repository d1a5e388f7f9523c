/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounts of the container's file system tree.
 * Runs in: container child, guest root in the new user and mount namespace,
 * before pivot_root. root_fd is the merged overlay root; every path below it
 * is resolved with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, because the
 * guest can write the upper layer. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Open (creating missing directories 0755) the mount point `path` below
 * root_fd as an O_PATH fd. */
int mountpoint_open(int root_fd, const char *path, bool directory, int *ret_fd);

/* Attach a detached mount (open_tree) at dir_fd/name. */
int mount_move_fd(int mount_fd, int dir_fd, const char *name);

int mounts_proc(int root_fd);
int mounts_sys(int root_fd, bool own_network);
/* `label` (in these and mounts_mask): under SELinux the ",context=..."
 * option of the container's own tmpfs and devpts mounts; "" for none. */
int mounts_cgroup(int root_fd, const char *label);
int mounts_dev(int root_fd, const char *label);
int mounts_tmpfs(int root_fd, const char *path, const char *options, const char *label);
/* Make the mount at `path` (a directory below root_fd) read-only. */
int mounts_read_only(int root_fd, const char *path);
/* Mask and make read-only the /proc and /sys paths that reach the host
 * (after proc and sys are mounted). */
int mounts_mask(int root_fd, bool own_network, const char *label);
/* Mount the container's own binfmt_misc instance on /proc/sys/fs/binfmt_misc
 * and open its register file. */
int mounts_binfmt_misc(int root_fd, int *ret_register_fd);
/* Bind host `source` (an absolute host path, resolved with the caller's
 * credentials) onto `target` inside the guest, nosuid,nodev. */
int mounts_bind(int root_fd, const char *source, const char *target, bool read_only);
/* Bind what source_fd (an O_PATH fd of this mount namespace) names onto
 * `target` (relative to root_fd), nosuid,nodev. */
int mounts_bind_fd(int root_fd, int source_fd, const char *target, bool read_only);

/* Add the user to the guest's /etc/passwd and /etc/group (in the upper
 * layer) unless an entry with that uid / gid is there. */
int guest_account_ensure(int root_fd, const char *name, uid_t uid, gid_t gid, const char *gecos,
			 const char *home);
