/* The error carrier shared by every program: see error.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int error_vset(struct error *e, const char *step, int r, bool with_errno, const char *fmt,
		      va_list ap)
{
	if (r >= 0)
		r = -EIO;
	if (!e)
		return r;
	/* Straight into the message: a complete line is not cut short. */
	if (vsnprintf(e->message, sizeof(e->message), fmt, ap) < 0)
		e->message[0] = '\0';
	snprintf(e->step, sizeof(e->step), "%s", step);
	if (with_errno) {
		size_t len = strlen(e->message);
		snprintf(e->message + len, sizeof(e->message) - len, ": %s", strerror(-r));
	}
	return r;
}

int error_set(struct error *e, const char *step, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r = error_vset(e, step, r, true, fmt, ap);
	va_end(ap);
	return r;
}

int error_set_text(struct error *e, const char *step, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r = error_vset(e, step, r, false, fmt, ap);
	va_end(ap);
	return r;
}
