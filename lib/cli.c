/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct cli_identity cli = { .prefix = "x86ns", .exit_code = EXIT_FAILURE };

void cli_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", cli.prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(cli.exit_code);
}
