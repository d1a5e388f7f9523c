/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Removing a directory tree that someone else (a guest) could write. */
#pragma once

/* rm -r of parent_fd/name: never follows a symlink (each entry is unlinked
 * or opened O_NOFOLLOW relative to its parent), never leaves the file system
 * of name, and refuses trees deeper than TREE_DEPTH_MAX (-ELOOP) instead of
 * exhausting the stack. A missing name is success. */
#define TREE_DEPTH_MAX 256
int tree_remove_at(int parent_fd, const char *name);
