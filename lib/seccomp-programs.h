/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's system call filters as BPF programs, one for each
 * combination of the relax bits the policy depends on. Defined in
 * lib/seccomp-programs.c, which seccomp-gen/seccomp-gen writes at build time from
 * the tables of seccomp-policy.c; seccomp.c loads them. */
#pragma once

#include <linux/filter.h>

struct seccomp_program {
	const struct sock_filter *insns;
	unsigned short len;
};

/* The relax bits that select a program; seccomp_programs has an entry for
 * every index up to it, and each `relax & seccomp_programs_relax_mask` is
 * one with a program. */
extern const unsigned seccomp_programs_relax_mask;
extern const struct seccomp_program seccomp_programs[];

/* x86ns-shell's own filter once it has joined (seccomp-policy.c, shell_allowed). */
extern const struct seccomp_program seccomp_shell_program;
