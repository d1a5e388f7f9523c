/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/mcs.c, the uid -> MCS category pair mapping. */
#include "mcs.h"

#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static bool parse_pair(const char *s, unsigned *low, unsigned *high)
{
	int used = 0;
	return sscanf(s, "c%u,c%u%n", low, high, &used) == 2 && s[used] == '\0';
}

static void check_known_pairs(void)
{
	static const struct {
		uid_t uid;
		const char *pair;
	} cases[] = {
		{ 0, "c0,c1" },
		{ 1, "c0,c2" },
		{ 2, "c1,c2" },
		{ 3, "c0,c3" },
		{ 1000, "c10,c45" },
		{ SELINUX_MCS_PAIRS - 1, "c1022,c1023" },
		{ SELINUX_MCS_PAIRS, "c0,c1" },
		{ SELINUX_MCS_PAIRS + 1000, "c10,c45" },
	};
	char buf[SELINUX_MCS_PAIR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = selinux_mcs_pair_for_uid(cases[i].uid, buf, sizeof(buf));
		CHECK_STR_EQ(r >= 0 ? buf : "(error)", cases[i].pair, "uid %u maps to %s",
			     (unsigned)cases[i].uid, cases[i].pair);
	}
}

/* Every index below SELINUX_MCS_PAIRS gives a different valid pair: no two
 * uids of any SELINUX_MCS_PAIRS consecutive ones share a pair. */
static void check_all_pairs_distinct(uid_t first)
{
	unsigned char *seen = calloc(SELINUX_MCS_CATEGORIES * SELINUX_MCS_CATEGORIES / 8, 1);
	char buf[SELINUX_MCS_PAIR_MAX];
	unsigned bad = 0, dup = 0, low, high;

	if (!seen) {
		CHECK(false, "memory for the distinctness check");
		return;
	}
	for (uid_t n = 0; n < SELINUX_MCS_PAIRS; n++) {
		if (selinux_mcs_pair_for_uid(first + n, buf, sizeof(buf)) < 0 ||
		    !parse_pair(buf, &low, &high) || low >= high ||
		    high >= SELINUX_MCS_CATEGORIES) {
			bad++;
			continue;
		}
		unsigned bit = low * SELINUX_MCS_CATEGORIES + high;
		if (seen[bit / 8] & (1u << (bit % 8)))
			dup++;
		seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
	}
	free(seen);
	CHECK_INT_EQ(bad, 0, "uids %u.. map to well-formed pairs cA,cB with A < B <= 1023",
		     (unsigned)first);
	CHECK_INT_EQ(dup, 0, "%u consecutive uids from %u get %u distinct pairs", SELINUX_MCS_PAIRS,
		     (unsigned)first, SELINUX_MCS_PAIRS);
}

static void check_buffer_too_small(void)
{
	char buf[SELINUX_MCS_PAIR_MAX];

	CHECK_INT_EQ(selinux_mcs_pair_for_uid(SELINUX_MCS_PAIRS - 1, buf, SELINUX_MCS_PAIR_MAX - 1),
		     -ENAMETOOLONG, "a buffer one byte short is -ENAMETOOLONG");
	CHECK_INT_EQ(selinux_mcs_pair_for_uid(SELINUX_MCS_PAIRS - 1, buf, SELINUX_MCS_PAIR_MAX),
		     (int)SELINUX_MCS_PAIR_MAX - 1, "SELINUX_MCS_PAIR_MAX fits the longest pair");
}

int main(void)
{
	check_known_pairs();
	check_all_pairs_distinct(0);
	check_all_pairs_distinct(1000);
	check_buffer_too_small();
	return tap_exit();
}
