/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the cgroup-*.c files of libx86ns share and nobody else uses: the
 * state set by cgroup_use_systemd_slice(), the controller table and the
 * helpers that open, read and write below /sys/fs/cgroup through
 * safe-open.h's open_beneath (cgroup.c). Same contract as cgroup.h: >= 0 or -errno. */
#pragma once

#include "cgroup.h"
#include "safe-open.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

/* Guests nest cgroups (systemd: a handful of levels). The v1 walks stop at
 * this depth; on cgroup2 the kernel enforces it (cgroup.max.depth). */
#define WALK_DEPTH_MAX 32

/* The directory x86ns's groups are in: its own "x86ns", or on systemd hosts
 * the slice whose scopes systemd creates (cgroup_use_systemd_slice). */
extern const char *cg_group_base;
extern bool cg_systemd_slice;

#define CGROUP_CONTROLLER_COUNT 4
struct cgroup_controller_name {
	const char *name;
	unsigned bit;
};
extern const struct cgroup_controller_name cg_controller_names[CGROUP_CONTROLLER_COUNT];

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))

uint64_t cg_now_ms(void);
void cg_sleep_ms(unsigned ms);

int cg_open_root(int *ret);
int cg_opendir_beneath(int dir_fd, const char *path, DIR **ret);
/* cgroup files take one write() per value. */
int cg_write_file(int dir_fd, const char *file, const char *value);
int cg_read_file(int dir_fd, const char *file, size_t max, char **ret);

/* name checked (cgroup.h's rules), and the hierarchies of this host. */
int cg_validate_and_list(const char *name, struct cgroup_hierarchies *ret);
/* The hierarchy's root directory, checked to really be a cgroup mount. */
int cg_open_hierarchy(const struct cgroup_hierarchy *h, int *ret);
/* x86ns/<name> in one hierarchy; -ENOENT if it does not exist. */
int cg_open_group(const struct cgroup_hierarchy *h, const char *name, int *ret);

/* cgroup-kill.c: true if any hierarchy's group holds a process (or that
 * cannot be established). */
bool cg_populated_anywhere(const struct cgroup_hierarchies *hs, const char *name);
