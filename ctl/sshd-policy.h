/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sshd's forwarding against the guests' networks.
 *
 * sshd serves every forward itself, on the host: TCP forwards (-L, -R, -D,
 * -W) and tunnels in the host's network namespace, streamlocal forwards on
 * the host's file system, the X11 listener on the host's loopback. None of
 * it passes through the guest, so a guest with a network of its own
 * (network = none, and every other mode that gives the guest its own
 * network namespace) would have its "no network" bypassed by its own user.
 * The policy table in sshd-policy.c says which sshd keyword must be off for
 * which users; `x86nsctl sshd-config` prints the sshd_config snippet that
 * turns them off, `x86nsctl check` (and check-sshd) reads sshd's effective
 * settings per user (`sshd -T -C user=...`) and fails where they
 * contradict it.
 *
 * Runs in: x86nsctl, host root, host namespaces. Uses NSS (host users). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#define SSHD_CONFIG_DEFAULT "/etc/ssh/sshd_config"
#define SSHD_BINARY         "/usr/sbin/sshd"

/* One result line of the check: `label` names the user, `ok` says whether
 * sshd obeys the policy, `detail` names the keyword and its value. */
typedef void (*sshd_policy_report)(void *ctx, const char *label, bool ok, const char *detail);

/* Print the snippet for every user the configuration selects. */
int sshd_policy_print_snippet(FILE *out, const char *config_path);

/* Ask sshd (with sshd_config, e.g. SSHD_CONFIG_DEFAULT) for each selected
 * user's effective settings and report each user once. Returns the number
 * of users whose settings contradict the policy, or -errno when the
 * configuration or sshd cannot be read (reported too). */
int sshd_policy_check(const char *config_path, const char *sshd_config, sshd_policy_report report,
		      void *ctx);
