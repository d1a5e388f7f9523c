/* The error carrier shared by every program: see error.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int error_vset(struct error *e, const char *step, int r, bool with_errno,
		      const char *fmt, va_list ap)
{
	if (r >= 0)
		r = -EIO;
	if (!e)
		return r;
	char what[sizeof(e->message)];
	if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
		what[0] = '\0';
	snprintf(e->step, sizeof(e->step), "%s", step);
	if (with_errno)
		snprintf(e->message, sizeof(e->message), "%s: %s", what, strerror(-r));
	else
		snprintf(e->message, sizeof(e->message), "%s", what);
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
