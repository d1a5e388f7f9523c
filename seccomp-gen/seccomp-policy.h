/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's system call policy as data: the tables of seccomp-policy.c,
 * which seccomp-build.c turns into a filter at build time. Not for other
 * users; the unit test reads the tables to check every name. Like
 * seccomp-build.h, compiled with -iquote lib -iquote seccomp-gen: see there. */
#pragma once

#include <seccomp.h> /* libseccomp's */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A group of allowed calls. */
struct syscall_group {
	const char *name; /* systemd's name for a similar group */
	const char *const *calls;
	size_t n_calls;
};

/* A call denied whatever its arguments. The denials win over the
 * allow-list; those whose error is ENOSYS (the filter's default) only keep
 * the allow-list off the call. */
struct syscall_deny {
	const char *name;
	int error;
	unsigned relaxed_by; /* enum confine_relax bit that lifts the denial, 0: none */
};

/* A decision on arguments: `action` when every comparison holds. */
struct syscall_arg_rule {
	const char *name;
	uint32_t action;
	unsigned relaxed_by;  /* enum confine_relax bit that drops the rule, 0: none */
	bool socket_argument; /* a socket(2) argument: not on i386 (see guest_abis) */
	unsigned n_cmp;
	struct scmp_arg_cmp cmp[2];
};

/* What a call with argument rules does when none of them holds. */
struct syscall_otherwise {
	const char *name;
	unsigned arg;
	uint32_t action;
};

/* An ABI the guest can call the host kernel with, besides the native one. */
struct guest_abi {
	uint32_t native;
	uint32_t compat;         /* 0: none */
	bool compat_multiplexed; /* the compat ABI has socketcall(2) and ipc(2) */
};

extern const struct syscall_group guest_allowed[];
extern const size_t guest_allowed_count;
extern const struct syscall_deny guest_denied[];
extern const size_t guest_denied_count;
extern const struct syscall_arg_rule guest_arg_rules[];
extern const size_t guest_arg_rules_count;
extern const struct syscall_otherwise guest_otherwise[];
extern const size_t guest_otherwise_count;
extern const struct guest_abi guest_abis[];
extern const size_t guest_abis_count;

/* x86ns-shell's filter after it joined: allowed calls, and calls allowed
 * only with the arguments of a rule (actions other than allow are not
 * used). Native ABI only. */
extern const char *const shell_allowed[];
extern const size_t shell_allowed_count;
extern const struct syscall_arg_rule shell_arg_rules[];
extern const size_t shell_arg_rules_count;
