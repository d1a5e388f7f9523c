/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uid -> MCS category pair.  The pairs are numbered in the combinatorial
 * number system: index k is the pair (a, b), a < b, with k = b(b-1)/2 + a.
 * So index 0 is c0,c1, 1 is c0,c2, 2 is c1,c2, 3 is c0,c3 ...; every pair of
 * c0..c1023 has exactly one index below SELINUX_MCS_PAIRS, and a uid takes
 * the index uid mod SELINUX_MCS_PAIRS.  Two different pairs never dominate
 * each other, which is what keeps two users' guests apart (as sVirt does
 * for virtual machines); the reference policy's MCS constraints do the rest.
 * The mapping must never change: labels written on disk under
 * /var/lib/x86ns/<uid>/upper carry it. */
#include "mcs.h"

#include "util.h"

int selinux_mcs_pair_for_uid(uid_t uid, char *buf, size_t len)
{
	unsigned index = (unsigned)(uid % SELINUX_MCS_PAIRS);
	unsigned high = 1;

	/* The largest high with high(high-1)/2 <= index; at most 1023 steps. */
	while ((high + 1) * high / 2 <= index)
		high++;
	unsigned low = index - high * (high - 1) / 2;

	return xsnprintf(buf, len, "c%u,c%u", low, high);
}
