/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the host gets its Debian packages: the archive URI for a suite,
 * read from the host's apt sources (never written into x86ns itself). */
#pragma once

#include <limits.h>

struct apt_mirror {
	char uri[512];
	char components[128];  /* comma-separated, as debootstrap's --components */
	char keyring[256];     /* the entry's Signed-By file, or "" */
	char origin[PATH_MAX]; /* the file the entry is in */
	int rank;              /* 2: the entry lists the suite, 1: another suite of its archive */
};

/* Looks through sources_list (one-line format), then the *.list and
 * *.sources files of sources_dir in alphabetical order, for an enabled
 * "deb" entry with an http, https or file URI. An entry that lists SUITE
 * wins; otherwise the first of the main archive (not the security archive,
 * which has only the "-security" pockets).
 * Returns -ENOENT when there is none. */
int apt_mirror_find(const char *sources_list, const char *sources_dir, const char *suite,
		    struct apt_mirror *ret);
