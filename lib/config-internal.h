/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between config.c (files and sections), config-guest.c (the keys
 * of [guest] and [translator-profile] sections) and config-policy.c (the
 * keys of [default], [group] and [user] sections, and the resolution).
 * Not for other users. */
#pragma once

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum section_kind { SECTION_DEFAULT, SECTION_GROUP, SECTION_USER };

/* One [default], [group NAME] or [user NAME] section as written. */
struct policy_section {
	enum section_kind kind;
	char *name;       /* NULL for [default] */
	const char *file; /* points into config.files */
	bool guest_set, stop_set, pids_set, memory_set, cpu_set, network_set;
	bool protect_home_set, layer_size_set, machined_set;
	bool protect_home, machined;
	uint64_t layer_size;
	char *guest_name; /* NULL: "guest = none" */
	unsigned guest_line;
	const struct guest_config *guest; /* linked once every file is read */
	enum stop_policy stop;
	unsigned linger_sec;
	uint64_t pids_max, memory_max;
	unsigned cpu_percent;
	enum network_mode network;
	bool binds_reset; /* "bind =" seen: binds of earlier sections are dropped */
	struct bind_mount *binds;
	size_t n_binds;
};

struct config {
	struct guest_config **guests;
	size_t n_guests;
	struct translator_profile **profiles;
	size_t n_profiles;
	struct policy_section **sections; /* in reading order */
	size_t n_sections;
	char **files; /* names of the files read, for messages */
	size_t n_files;
};

/* Grow a heap array by one element; a macro so that each array keeps its type. */
#define GROW_BY_ONE(array, n)                                                                      \
	({                                                                                         \
		__typeof__(array) _grown_ = reallocarray((array), (n) + 1, sizeof(*(array)));      \
		if (_grown_)                                                                       \
			(array) = _grown_;                                                         \
		_grown_ ? 0 : -ENOMEM;                                                             \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline int replace_string(char **field, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Set one key; -ENOENT for a key the section does not have, -EINVAL for
 * a bad value (then *expected describes a good one). */
int config_guest_set(struct guest_config *g, const char *key, const char *value,
		     const char **expected);
int config_profile_set(struct translator_profile *t, const char *key, const char *value,
		       const char **expected);

void config_guest_free(struct guest_config *g);
void config_profile_free(struct translator_profile *t);

/* config-policy.c: one key of a [default], [group] or [user] section, as
 * config_guest_set. */
int config_policy_set(struct policy_section *s, const char *key, const char *value,
		      const char **expected);
void config_policy_section_free(struct policy_section *s);
