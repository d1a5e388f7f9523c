/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's system call filter, built with libseccomp from the tables
 * of seccomp-policy.c. Runs at build time (seccomp-gen/seccomp-gen) and in the
 * unit test; x86ns programs load the result, lib/seccomp-programs.c.
 *
 * Design, in the order the kernel sees it:
 *  - an ABI the filter does not name (x32 on x86-64, anything foreign)
 *    kills the process;
 *  - an explicit denial wins over the allow-list; a denial that depends on
 *    arguments is paired with an "otherwise" action for the same call;
 *  - a call in the allow-list is allowed;
 *  - every other call fails with ENOSYS. A call newer than this list looks
 *    to the guest like a kernel that lacks it, so the C library and systemd
 *    fall back (clone3 -> clone, the new mount API -> mount(2)). EPERM
 *    would be taken as a real refusal, and the Flatpak advisory
 *    CVE-2021-41133 shows what an ageing deny-list lets through.
 */
#include "seccomp-build.h"
#include "confine.h"
#include "util.h"

#include <errno.h>
#include <sys/mman.h>

/* One ABI's context while it is built. `decided` holds the calls the
 * denial and argument tables settled: the allow-list adds no unconditional
 * rule for them, which would override the conditional ones. */
struct abi_build {
	scmp_filter_ctx ctx;
	uint32_t arch;
	unsigned relax;
	bool multiplexed;
	int decided[64];
	size_t n_decided;
};

static bool is_decided(const struct abi_build *b, int nr)
{
	for (size_t i = 0; i < b->n_decided; i++)
		if (b->decided[i] == nr)
			return true;
	return false;
}

static int mark_decided(struct abi_build *b, int nr)
{
	if (is_decided(b, nr))
		return 0;
	if (b->n_decided == ARRAY_SIZE(b->decided))
		return -E2BIG; /* the tables outgrew `decided` */
	b->decided[b->n_decided++] = nr;
	return 0;
}

/* The native number of `name`, which rules take (libseccomp translates it
 * for the context's ABI), or -ENOENT when this libseccomp does not know
 * the call or the ABI lacks it. libseccomp adds a rule even for a number
 * the ABI lacks, one that never matches: skipping it keeps the program
 * short. On a multiplexing ABI, libseccomp's pseudo numbers for the
 * socketcall and ipc calls stand for real calls and are kept. */
static int resolve(const struct abi_build *b, const char *name)
{
	int abi_nr = seccomp_syscall_resolve_name_arch(b->arch, name);
	bool muxed = (abi_nr <= __PNR_socket && abi_nr >= __PNR_sendmmsg) ||
		     (abi_nr <= __PNR_semop && abi_nr >= __PNR_shmctl);
	if (abi_nr < 0 && !(b->multiplexed && muxed))
		return -ENOENT;
	int nr = seccomp_syscall_resolve_name(name);
	return nr == __NR_SCMP_ERROR ? -ENOENT : nr;
}

static int add_arg_rules(struct abi_build *b)
{
	for (size_t i = 0; i < guest_arg_rules_count; i++) {
		const struct syscall_arg_rule *a = &guest_arg_rules[i];
		if ((b->relax & a->relaxed_by) || (b->multiplexed && a->socket_argument))
			continue;
		int nr = resolve(b, a->name);
		if (nr == -ENOENT)
			continue;
		int r = seccomp_rule_add_array(b->ctx, a->action, nr, a->n_cmp, a->cmp);
		if (r == 0)
			r = mark_decided(b, nr);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < guest_otherwise_count; i++) {
		const struct syscall_otherwise *o = &guest_otherwise[i];
		int nr = resolve(b, o->name);
		if (nr == -ENOENT || !is_decided(b, nr))
			continue; /* no argument rule is active: the allow-list decides */
		struct scmp_arg_cmp always = { .arg = o->arg, .op = SCMP_CMP_GE, .datum_a = 0 };
		int r = seccomp_rule_add_array(b->ctx, o->action, nr, 1, &always);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_denials(struct abi_build *b)
{
	for (size_t i = 0; i < guest_denied_count; i++) {
		const struct syscall_deny *x = &guest_denied[i];
		if (b->relax & x->relaxed_by)
			continue;
		int nr = resolve(b, x->name);
		if (nr == -ENOENT)
			continue;
		int r = mark_decided(b, nr);
		if (r == 0 && x->error != ENOSYS) /* ENOSYS: the default action already */
			r = seccomp_rule_add_array(b->ctx, SCMP_ACT_ERRNO(x->error), nr, 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_allowed(struct abi_build *b)
{
	for (size_t g = 0; g < guest_allowed_count; g++)
		for (size_t i = 0; i < guest_allowed[g].n_calls; i++) {
			int nr = resolve(b, guest_allowed[g].calls[i]);
			if (nr == -ENOENT || is_decided(b, nr))
				continue;
			int r = seccomp_rule_add_array(b->ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
			if (r < 0)
				return r;
		}
	return 0;
}

/* The attributes every ABI's context shares (seccomp_merge requires it). */
static int set_attributes(scmp_filter_ctx ctx, int optimize)
{
	/* No no_new_privs: setuid programs in the guest keep working, and the
	 * callers hold CAP_SYS_ADMIN in the guest's user namespace. The
	 * loader (seccomp.c) passes no flags either. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize);
	/* The kernel's errno, not libseccomp's -ECANCELED. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	return r;
}

static int filter_build(uint32_t arch, unsigned relax, bool multiplexed, int optimize,
			scmp_filter_ctx *ret)
{
	struct abi_build b = { .arch = arch, .relax = relax, .multiplexed = multiplexed };
	b.ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!b.ctx)
		return -ENOMEM;
	int r = set_attributes(b.ctx, optimize);
	if (r == 0 && arch != seccomp_arch_native()) {
		r = seccomp_arch_remove(b.ctx, seccomp_arch_native());
		if (r == 0)
			r = seccomp_arch_add(b.ctx, arch);
	}
	if (r == 0)
		r = add_arg_rules(&b);
	if (r == 0)
		r = add_denials(&b);
	if (r == 0)
		r = add_allowed(&b);
	if (r < 0) {
		seccomp_release(b.ctx);
		return r;
	}
	*ret = b.ctx;
	return 0;
}

int seccomp_build_guest_filter(unsigned relax, int optimize, scmp_filter_ctx *ret)
{
	uint32_t native = seccomp_arch_native();
	scmp_filter_ctx ctx;
	int r = filter_build(native, relax, false, optimize, &ctx);
	if (r < 0)
		return r;
	for (size_t i = 0; i < guest_abis_count; i++) {
		const struct guest_abi *abi = &guest_abis[i];
		if (abi->native != native || abi->compat == 0)
			continue;
		scmp_filter_ctx compat;
		r = filter_build(abi->compat, relax, abi->compat_multiplexed, optimize, &compat);
		if (r == 0) {
			r = seccomp_merge(ctx, compat); /* takes compat over */
			if (r < 0)
				seccomp_release(compat);
		}
		if (r < 0) {
			seccomp_release(ctx);
			return r;
		}
	}
	*ret = ctx;
	return 0;
}

int seccomp_build_shell_filter(scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx)
		return -ENOMEM;
	/* Native ABI only (seccomp_init's): any other kills the process. */
	int r = set_attributes(ctx, SHELL_FILTER_OPTIMIZE);
	for (size_t i = 0; r == 0 && i < shell_allowed_count; i++) {
		int nr = seccomp_syscall_resolve_name(shell_allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
	}
	for (size_t i = 0; r == 0 && i < shell_arg_rules_count; i++) {
		const struct syscall_arg_rule *a = &shell_arg_rules[i];
		int nr = seccomp_syscall_resolve_name(a->name);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add_array(ctx, a->action, nr, a->n_cmp, a->cmp);
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

unsigned seccomp_guest_relax_mask(void)
{
	unsigned mask = 0;
	for (size_t i = 0; i < guest_denied_count; i++)
		mask |= guest_denied[i].relaxed_by;
	for (size_t i = 0; i < guest_arg_rules_count; i++)
		mask |= guest_arg_rules[i].relaxed_by;
	return mask;
}

int seccomp_export_program(const scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = memfd_create("x86ns-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return negerrno();
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return negerrno();
	size_t n = (size_t)size / sizeof(struct sock_filter);
	if (n == 0 || (size_t)size % sizeof(struct sock_filter) != 0)
		return -EBADMSG;
	if (n > BPF_MAXINSNS)
		return -E2BIG; /* the kernel takes no longer program */
	_cleanup_free_ struct sock_filter *insns = malloc((size_t)size);
	if (!insns)
		return -ENOMEM;
	ssize_t got = pread(fd, insns, (size_t)size, 0);
	if (got < 0)
		return negerrno();
	if (got != size)
		return -EIO;
	*ret = TAKE_PTR(insns);
	*ret_len = n;
	return 0;
}
