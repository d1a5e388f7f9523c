/* The one error contract of x86ns (docs/HACKING.md).
 *
 * Functions return >= 0 on success and -errno on failure; they do not print
 * or exit. Where the errno alone would not tell the user what failed (which
 * step of a start, which unit systemd refused and why), the function also
 * fills a struct error that its caller passed down; the program's boundary
 * (main(), the launcher's step runner, the PAM entry points, x86nsctl's
 * command layer) prints it once. */
#pragma once

struct error {
	char step[48];     /* the step's name, as ARCHITECTURE's step tables say */
	/* What failed and why, one line: "what: strerror(r)". 512: it may quote
	 * a peer's whole reason (the monitor's, with the guest's console tail). */
	char message[512];
};

/* Fill e (which may be NULL) and return r (or -EIO if r is not negative),
 * so that a failure reads "return error_set(e, step, r, ...);". */
int error_set(struct error *e, const char *step, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same, where the message is already complete (a peer's text, an
 * sd-bus error): no ": strerror" is appended. */
int error_set_text(struct error *e, const char *step, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
