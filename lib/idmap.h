/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uid/gid maps of a user's container: the user's own id maps to itself,
 * every other guest id (root first) maps into the user's subordinate range.
 * Pure computation plus the libsubid look-up, and the one writer of the
 * /proc/<pid>/{uid_map,gid_map,setgroups} files (idmap_file_write). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IDMAP_MAX_EXTENTS 4

struct idmap_extent {
	uint32_t inside;  /* first id inside the container */
	uint32_t outside; /* first id on the host */
	uint32_t count;
};

struct idmap {
	struct idmap_extent extent[IDMAP_MAX_EXTENTS];
	size_t n;
};

/* Map for own_id with the subordinate range [sub_start, sub_start+sub_count).
 * Inside ids 0.. are filled from the range, skipping own_id, which maps to
 * itself. Fails with -EINVAL when the range is empty, overflows, contains
 * host id 0 or own_id (such a range would hand the user ids it must not own). */
int idmap_compute(uint32_t own_id, uint64_t sub_start, uint64_t sub_count, struct idmap *ret);

/* "inside outside count\n" lines as /proc/PID/uid_map wants them. */
int idmap_format(const struct idmap *m, char *buf, size_t len);

/* Writes text (NUL-terminated) to name (uid_map, gid_map or setgroups) below
 * proc_fd (a /proc/<pid> directory fd, or AT_FDCWD with an absolute path),
 * in the one write(2) the kernel takes for a map. Returns 0, -errno, or
 * -EIO for a short write.
 * Runs in: any process, and also a CLONE_VM child on a small stack of its
 * own (the inner maps' helper of launch/container.c): it makes three system
 * calls (openat, write, close), allocates nothing, takes no lock and keeps
 * no state. In such a child errno is its parent's: the parent must make no
 * failing system call until the child has ended (it waits in waitpid). */
int idmap_file_write(int proc_fd, const char *name, const char *text);

/* Host id of inside id `inside`, or -ERANGE when unmapped. */
int64_t idmap_to_host(const struct idmap *m, uint32_t inside);

/* The user's first subordinate uid or gid range, from shadow's libsubid
 * (which reads /etc/subuid, /etc/subgid or a directory service), loaded on
 * first use. -ENOENT when the user has none; -ELIBACC when libsubid.so.4
 * cannot be loaded, -ELIBBAD when it lacks the functions. */
int subid_range_for(const char *user, int gid_type, uint64_t *ret_start, uint64_t *ret_count);

/* Load libsubid now (subid_range_for does it on first use): 0, -ELIBACC
 * or -ELIBBAD as above. */
int subid_library_load(void);
