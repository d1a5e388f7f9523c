/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between config.c (files and sections) and config-guest.c (the
 * keys of [guest] and [translator-profile] sections). Not for other users. */
#pragma once

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
