/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a start of a guest will do on this kernel: one decision, made by
 * guest_plan_make() from the guest's configuration, the user's network
 * mode and what the kernel offers, and used by the launcher (which starts
 * exactly that or refuses with the plan's one line) and by x86nsctl check
 * and guest create (which print it), so that check and the first login
 * cannot disagree.
 *
 * Missing layers (README, "Kernels"):
 *  - Landlock scoping (Linux 6.12, ABI 6): with network = host a private
 *    user-mode network stands in (host abstract sockets are per network
 *    namespace, so they are not there); with none or private nothing is
 *    needed; without pasta the start is refused.
 *  - binfmt_misc in a user namespace (Linux 6.7): a host-wide registration
 *    with the F flag for each translated machine stands in; else refused.
 *  - Linux before 5.19 (overlayfs over an idmapped lower layer): refused. */
#pragma once

#include "binfmt.h"
#include "config.h"

#include <stdbool.h>

/* Oldest kernel: the shared guest tree is an idmapped mount used as an
 * overlay's lower layer, which overlayfs accepts since Linux 5.19. */
#define KERNEL_OLDEST_MAJOR 5
#define KERNEL_OLDEST_MINOR 19

#define PLAN_TEXT_MAX 400

/* What this kernel and system offer, as far as starts depend on it. */
struct kernel_features {
	unsigned major, minor; /* 0.0 when unknown */
	int landlock_abi;      /* 0: Landlock missing or off */
	bool landlock_scoping; /* a ruleset with signal and abstract socket scopes works */
	bool binfmt_userns;    /* binfmt_misc mountable in a user namespace (Linux 6.7) */
	bool binfmt_probed;    /* binfmt_userns and host_binfmt were looked at */
	unsigned host_binfmt;  /* machines (1 << enum binfmt_machine) that an enabled
				* host-wide registration with the F flag runs */
	char host_binfmt_name[N_MACHINES][64]; /* that registration's name */
	bool user_net;                         /* pasta and a /dev/net/tun users may open */
	char user_net_missing[160];            /* !user_net: what is missing */
};

enum feature_probe {
	PROBE_BINFMT = 1u << 0, /* fork a probe (binfmt_misc in a user namespace),
				 * read the host's registrations */
};

/* Runs in: host root (the launcher before a start, x86nsctl check),
 * single-threaded: PROBE_BINFMT forks a child that drops to "nobody".
 * Everything else is a system call or a stat. */
int kernel_features_probe(unsigned what, struct kernel_features *ret);

/* Which features a guest's plan needs probed (PROBE_BINFMT for guests
 * with translator-machines). */
unsigned guest_plan_probes(const struct guest_config *g);

enum translation {
	TRANSLATE_NONE,      /* no translator */
	TRANSLATE_INIT,      /* the translator runs the init; no registration */
	TRANSLATE_CONTAINER, /* the container's own binfmt_misc registrations */
	TRANSLATE_HOST,      /* the host's registrations (F flag), before Linux 6.7 */
};

struct guest_plan {
	bool startable;
	enum network_mode network; /* what the container gets */
	bool network_stands_in;    /* private, instead of host, for Landlock scoping */
	bool landlock;             /* the Landlock scope is applied */
	enum translation translation;
	/* One line: when !startable why, naming the guest and the key to
	 * change; else what the start will do. */
	char text[PLAN_TEXT_MAX];
};

/* Pure: decide for guest g and a user whose network is `network`. */
void guest_plan_make(const struct guest_config *g, enum network_mode network,
		     const struct kernel_features *k, struct guest_plan *ret);

const char *network_mode_name(enum network_mode m);
