/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capabilities of guest processes. */
#pragma once

/* Drop from the bounding set what guest root never needs and what reaches
 * kernel state that is not namespaced (the set systemd-nspawn drops, plus
 * BPF and PERFMON). Needs CAP_SETPCAP in the current user namespace. */
int caps_trim_bounding_set(void);

/* Trim the bounding set, then clear the permitted, effective, inheritable
 * and ambient sets: for a joined session before it execs. */
int caps_drop_all(void);
