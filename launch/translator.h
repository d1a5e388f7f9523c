/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's binary translator inside the container: its binfmt_misc
 * registrations and the guest-side workarounds its profile asks for.
 * Runs in: container child, guest root in the container's user and mount
 * namespaces, before pivot_root (the translator is in view by its host
 * path, and root_fd is the merged guest root with /proc and /run mounted). */
#pragma once

#include "config.h"
#include "plan.h"

#include <stdbool.h>

/* With mode TRANSLATE_CONTAINER (the plan's, lib/plan.h), register the
 * translator for each of g->translator_machines in the container's own
 * binfmt_misc instance (*ret_registered: every program of those machines
 * runs through it). With TRANSLATE_HOST the host's registrations run them
 * (before Linux 6.7), which is written to console_fd (the user's log);
 * then, as without machines, the translator runs the init. */
int translator_register(int root_fd, const struct guest_config *g, enum translation mode,
			int console_fd, bool *ret_registered);

/* Runtime drop-ins (/run/systemd/system/UNIT.d/) that reset LoadCredential=
 * of the units the profile names. */
int translator_reset_credentials(int root_fd, const struct translator_profile *t);

/* Runs in: the launcher, host root. The translator is an executable for
 * this machine, static when its profile says so. 0 or -errno, described
 * by translator_file_error() (lib/binfmt.h). */
int translator_check(const struct guest_config *g);
