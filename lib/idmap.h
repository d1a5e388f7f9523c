/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uid/gid maps of a user's container: the user's own id maps to itself,
 * every other guest id (root first) maps into the user's subordinate range.
 * Pure computation plus the libsubid look-up; the writing is done by the
 * launcher (idmap_write in launch/start.c). */
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
