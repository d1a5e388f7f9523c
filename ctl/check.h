/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check: what this kernel and system lack for x86ns, one line per
 * item ("<item>: ok|missing|warning (detail)"), grouped like lxc-checkconfig.
 * Required items that fail print "missing"; recommended ones print "warning". */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Print the report to out. Returns the number of required items that are
 * missing: 0 means the system can run x86ns. verbose adds to every line
 * what x86ns needs the item for (failed items always say so).
 * Runs in: x86nsctl, host root, single-threaded (probes fork; every change
 * they make - ids, namespaces, mounts, seccomp - dies with the probe). */
/* With config_path (may be NULL), also the guests of that configuration:
 * each translator is an executable for this machine (static when its
 * profile says so), and a guest with translator machines has a kernel with
 * a per-container binfmt_misc. */
/* With sshd_config (may be NULL), also sshd's forwarding for every user the
 * configuration selects (ctl/sshd-policy.h): a contradiction is a missing
 * required item. */
int check_system(FILE *out, bool verbose, const char *config_path, const char *sshd_config);

/* Only the sshd forwarding group, with its own result line. */
int check_sshd_only(FILE *out, const char *config_path, const char *sshd_config);
