/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system call filter of a guest: an allow-list that boots a full
 * distribution, explicit denials of what user namespaces do not confine,
 * and ENOSYS for every call the list does not know. The policy tables and
 * their reasons are in seccomp-policy.c; the design of the filter is in
 * seccomp-build.c, which turns them into BPF at build time. */
#pragma once

/* Runs in: container child before exec of the guest init, and x86ns-shell
 * after setns, both with CAP_SYS_ADMIN in the guest's user namespace.
 * Load the prebuilt filter for `relax` (enum confine_relax, lib/confine.h)
 * into the calling thread without no_new_privs; it stays across execve
 * and is inherited by every child. Returns 0 at once with RELAX_SECCOMP.
 * -EACCES without CAP_SYS_ADMIN in the current user namespace. */
int seccomp_apply_guest_filter(unsigned relax);

/* Runs in: x86ns-shell after it joined and gave up every capability.
 * Set no_new_privs (the shell execs nothing) and load its own filter
 * (seccomp-policy.c, shell_allowed). */
int seccomp_apply_shell_filter(void);
