/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MCS category pair of each user's container (see selinux/README.md,
 * "Categories").  Pure computation: no libselinux, no I/O. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Categories c0..c1023 of the reference policy's MCS, taken two at a time. */
#define SELINUX_MCS_CATEGORIES 1024u
#define SELINUX_MCS_PAIRS      (SELINUX_MCS_CATEGORIES * (SELINUX_MCS_CATEGORIES - 1u) / 2u)

/* Longest result: "c1022,c1023" and the NUL. */
#define SELINUX_MCS_PAIR_MAX 12

/* Writes the category pair of `uid` as "cA,cB" (A < B) into buf: the
 * container of that user runs as system_u:system_r:x86ns_container_t:s0:cA,cB.
 * Deterministic; two uids get the same pair only when they are congruent
 * modulo SELINUX_MCS_PAIRS (523776), so any 523776 consecutive uids get
 * distinct pairs.  Returns the length written, or -ENAMETOOLONG when len is
 * too small. */
int selinux_mcs_pair_for_uid(uid_t uid, char *buf, size_t len);
