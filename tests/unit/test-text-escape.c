/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for text_escape (lib/util.c): guest-controlled text on its way
 * to an administrator's terminal. */
#include "util.h"

#include "tap.h"

static void check_cases(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain text 123", "plain text 123" },
		{ "\033]0;pwned\007", "\\x1b]0;pwned\\x07" },
		{ "a\033[2Jb", "a\\x1b[2Jb" },
		{ "tab\there\r\n", "tab\\x09here\\x0d\\x0a" },
		{ "del\177", "del\\x7f" },
		{ "c1 \302\233m", "c1 \\xc2\\x9bm" },
		{ "raw \233", "raw \\x9b" },
		{ "", "" },
	};
	char out[128];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_STR_EQ(text_escape(cases[i].in, out, sizeof(out)), cases[i].want,
			     "case %zu escapes to %s", i, cases[i].want);
}

/* Truncation never cuts an escape in half and always terminates. */
static void check_truncation(void)
{
	char out[8];
	CHECK_STR_EQ(text_escape("abcdefghij", out, sizeof(out)), "abcdefg",
		     "plain text is cut to the buffer");
	CHECK_STR_EQ(text_escape("abcde\033x", out, sizeof(out)), "abcde",
		     "an escape that does not fit is left out whole");
	CHECK_STR_EQ(text_escape("\033\033", out, 5), "\\x1b", "one escape in five bytes");
	CHECK_STR_EQ(text_escape("a", out, 1), "", "a one-byte buffer holds the terminator");
}

int main(void)
{
	check_cases();
	check_truncation();
	return tap_exit();
}
