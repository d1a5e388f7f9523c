/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one error exit of x86ns's programs (launcher, x86nsctl, x86ns-shell):
 * "PREFIX: message" on stderr, then exit. Library code never calls it; a
 * program's main and its direct helpers do, at the boundary. */
#pragma once

struct cli_identity {
	const char *prefix; /* "x86ns", "x86nsctl", "x86ns-shell" */
	int exit_code;      /* status of a failed run */
};

extern struct cli_identity cli;

void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
