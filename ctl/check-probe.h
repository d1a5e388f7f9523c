/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check, private to check.c: the run-time probes and the small
 * readers both sides use. Each probe runs in a child forked by run_probe(),
 * so whatever it changes - ids, namespaces, mounts, seccomp - dies with it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETAIL_MAX    512
#define MOUNTINFO_MAX (4u << 20)

enum level { REQUIRED, RECOMMENDED };

struct check_context {
	unsigned kernel_major, kernel_minor;
	char release[65];
	char *kconfig; /* NULL when no configuration was found */
	const char *kconfig_source;
	char cgroup2_mount[256]; /* "" when no cgroup2 hierarchy is mounted */
};

struct probe_item {
	const char *label;
	enum level level;
	const char *needed_for;
	/* 1: supported, 0: not (detail says why). */
	int (*probe)(const struct check_context *ctx, char *detail, size_t size);
};

int read_small_file(const char *path, size_t max, char **ret);
/* Read /proc/sys/<name with dots as slashes> as an unsigned number. */
int read_sysctl(const char *name, uint64_t *ret);

/* Fork, run item's probe there, and return its verdict; detail gets its
 * explanation (or why the probe could not run). */
bool run_probe(const struct probe_item *item, const struct check_context *ctx, char *detail,
	       size_t size);

/* Runs in: probe child, host root (each). */
int probe_userns(const struct check_context *ctx, char *detail, size_t size);
int probe_overlay_in_userns(const struct check_context *ctx, char *detail, size_t size);
int probe_idmapped_mount(const struct check_context *ctx, char *detail, size_t size);
int probe_pidfd_setns(const struct check_context *ctx, char *detail, size_t size);
int probe_binfmt_misc_in_userns(const struct check_context *ctx, char *detail, size_t size);
int probe_clone_into_cgroup(const struct check_context *ctx, char *detail, size_t size);
int probe_seccomp(const struct check_context *ctx, char *detail, size_t size);
int probe_landlock(const struct check_context *ctx, char *detail, size_t size);
