/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal test output for tests/run: one "ok - DESC" or
 * "not ok - DESC: REASON" line per check, exit status from tap_exit().
 * Include in exactly one file per test program. */
#pragma once

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_checks_failed;
static unsigned tap_checks_run;

static inline bool tap_vcheck(bool ok, const char *reason, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static inline bool tap_vcheck(bool ok, const char *reason, const char *fmt, va_list ap)
{
	tap_checks_run++;
	if (!ok)
		tap_checks_failed++;
	fputs(ok ? "ok - " : "not ok - ", stdout);
	vprintf(fmt, ap);
	if (!ok)
		printf(": %s", reason ? reason : "failed");
	putchar('\n');
	fflush(stdout);
	return ok;
}

/* Records one check; `reason` is printed only when it failed. */
static inline bool tap_check(bool ok, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool tap_check(bool ok, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ok = tap_vcheck(ok, reason, fmt, ap);
	va_end(ap);
	return ok;
}

static inline bool tap_check_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool tap_check_str(const char *got, const char *want, const char *fmt, ...)
{
	char reason[1024];
	bool ok = (!got && !want) || (got && want && strcmp(got, want) == 0);
	snprintf(reason, sizeof(reason), "got \"%s\", expected \"%s\"", got ? got : "(null)",
		 want ? want : "(null)");
	va_list ap;
	va_start(ap, fmt);
	ok = tap_vcheck(ok, reason, fmt, ap);
	va_end(ap);
	return ok;
}

static inline bool tap_check_int(intmax_t got, intmax_t want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool tap_check_int(intmax_t got, intmax_t want, const char *fmt, ...)
{
	char reason[96];
	snprintf(reason, sizeof(reason), "got %jd, expected %jd", got, want);
	va_list ap;
	va_start(ap, fmt);
	bool ok = tap_vcheck(got == want, reason, fmt, ap);
	va_end(ap);
	return ok;
}

/* CHECK(cond, "description %d", args...): the description is printf-style. */
#define CHECK(cond, ...)             tap_check(!!(cond), "expected " #cond, __VA_ARGS__)
#define CHECK_STR_EQ(got, want, ...) tap_check_str((got), (want), __VA_ARGS__)
#define CHECK_INT_EQ(got, want, ...) tap_check_int((intmax_t)(got), (intmax_t)(want), __VA_ARGS__)

/* Exit status for main(): 0 only if every check passed and one ran. */
static inline int tap_exit(void)
{
	if (tap_checks_run == 0) {
		printf("not ok - no checks ran\n");
		return 1;
	}
	fprintf(stderr, "# %u of %u checks failed\n", tap_checks_failed, tap_checks_run);
	return tap_checks_failed ? 1 : 0;
}
