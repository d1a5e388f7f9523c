/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's system call filter built with libseccomp from the tables of
 * seccomp-policy.c. For build tools only, never in libx86ns.a: seccomp-gen/seccomp-gen
 * turns the filters into lib/seccomp-programs.c at build time, and
 * tests/unit/test-seccomp checks the embedded programs against them.
 *
 * Compile with -iquote lib, not -Ilib: lib/seccomp.h would shadow
 * libseccomp's <seccomp.h>, which seccomp-policy.h includes. */
#pragma once

#include "seccomp-policy.h"

#include <linux/filter.h>
#include <stddef.h>

/* The optimisation level of the embedded programs: libseccomp's binary
 * tree of system call numbers. A call is decided after about 10 jumps
 * instead of a walk down a list of some 300 numbers, and the kernel
 * prepares its per-call action cache (seccomp_cache_prepare) as fast.
 * tests/unit/test-seccomp proves that it decides every call as the plain
 * list (level 1) does and leaves the kernel's cache the same calls. */
#define GUEST_FILTER_OPTIMIZE 2

/* Runs in: build host or unit test; changes no kernel state.
 * The filter for `relax` (enum confine_relax) on this libseccomp's native
 * ABI and, from guest_abis, its compat ABI merged into one context. */
int seccomp_build_guest_filter(unsigned relax, int optimize, scmp_filter_ctx *ret);

/* x86ns-shell's filter (shell_allowed, shell_arg_rules), native ABI only.
 * A short list: libseccomp's plain order is as fast as a tree. */
#define SHELL_FILTER_OPTIMIZE 2
int seccomp_build_shell_filter(scmp_filter_ctx *ret);

/* The relax bits the tables depend on: one program for every combination
 * of them. RELAX_SECCOMP is not among them (no filter at all). */
unsigned seccomp_guest_relax_mask(void);

/* The classic BPF program of `ctx` as the kernel would get it, in a heap
 * array of *ret_len instructions (at most BPF_MAXINSNS). */
int seccomp_export_program(const scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len);
