/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap.h"

#include "util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <shadow/subid.h>

/* Ids inside the container span at most 65536 (a classic 16-bit range is
 * what guest distributions expect: nobody = 65534). A larger subordinate
 * range is used only up to that. */
#define IDMAP_INSIDE_MAX 65536u

int idmap_compute(uint32_t own_id, uint64_t sub_start, uint64_t sub_count, struct idmap *ret)
{
	if (sub_count == 0 || sub_start == 0)
		return -EINVAL;
	if (sub_start + sub_count - 1 > UINT32_MAX - 1 || sub_start + sub_count < sub_start)
		return -EINVAL;
	if (own_id >= sub_start && own_id < sub_start + sub_count)
		return -EINVAL;
	if (own_id == 0)
		return -EINVAL;

	uint32_t count = (uint32_t)(sub_count < IDMAP_INSIDE_MAX ? sub_count : IDMAP_INSIDE_MAX);
	uint32_t start = (uint32_t)sub_start;
	struct idmap m = { .n = 0 };

	if (own_id >= count) {
		/* own_id lies above the subordinate block: two disjoint extents. */
		m.extent[m.n++] = (struct idmap_extent){ 0, start, count };
		m.extent[m.n++] = (struct idmap_extent){ own_id, own_id, 1 };
	} else {
		/* own_id falls inside [0, count): the range is split around it and
		 * the id that own_id displaces is dropped (count-1 subordinate ids). */
		if (own_id > 0)
			m.extent[m.n++] = (struct idmap_extent){ 0, start, own_id };
		m.extent[m.n++] = (struct idmap_extent){ own_id, own_id, 1 };
		if (count - 1 > own_id)
			m.extent[m.n++] =
			    (struct idmap_extent){ own_id + 1, start + own_id, count - 1 - own_id };
	}
	*ret = m;
	return 0;
}

int idmap_format(const struct idmap *m, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		int r = xsnprintf(buf + off, len - off, "%u %u %u\n", m->extent[i].inside,
				  m->extent[i].outside, m->extent[i].count);
		if (r < 0)
			return r;
		off += (size_t)r;
	}
	return (int)off;
}

int64_t idmap_to_host(const struct idmap *m, uint32_t inside)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct idmap_extent *e = &m->extent[i];
		if (inside >= e->inside && inside - e->inside < e->count)
			return (int64_t)e->outside + (inside - e->inside);
	}
	return -ERANGE;
}

/* libsubid is loaded when a range is first needed, not at every exec of
 * the launcher: it brings ten libraries (libselinux, libsemanage, libpam,
 * ...) whose loading costs 0.7 ms, which the launcher's other commands
 * (a login joining a running guest, a logout) need not pay. The name is the
 * SONAME that -lsubid would record, resolved by the dynamic loader the
 * same way. */
#define LIBSUBID_SONAME "libsubid.so.4"

static __typeof__(subid_get_uid_ranges) *get_uid, *get_gid;

int subid_library_load(void)
{
	if (get_uid)
		return 0;
	void *lib = dlopen(LIBSUBID_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -ELIBACC;
	get_uid = (__typeof__(get_uid))dlsym(lib, "subid_get_uid_ranges");
	get_gid = (__typeof__(get_gid))dlsym(lib, "subid_get_gid_ranges");
	if (!get_uid || !get_gid) {
		get_uid = get_gid = NULL;
		return -ELIBBAD;
	}
	return 0;
}

int subid_range_for(const char *user, int gid_type, uint64_t *ret_start, uint64_t *ret_count)
{
	int r = subid_library_load();
	if (r < 0)
		return r;
	struct subid_range *ranges = NULL;
	int n = gid_type ? get_gid(user, &ranges) : get_uid(user, &ranges);
	if (n < 0) {
		free(ranges);
		return -EIO;
	}
	if (n == 0) {
		free(ranges);
		return -ENOENT;
	}
	/* The largest range serves best: it gives the guest the most ids. */
	int best = 0;
	for (int i = 1; i < n; i++)
		if (ranges[i].count > ranges[best].count)
			best = i;
	*ret_start = ranges[best].start;
	*ret_count = ranges[best].count;
	free(ranges);
	return 0;
}

int idmap_file_write(int proc_fd, const char *name, const char *text)
{
	int fd = openat(proc_fd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negerrno();
	/* A map must come in one write(2); a second one is refused. */
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int r = n < 0 ? negerrno() : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return r;
}
