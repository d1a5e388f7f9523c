/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading the guest's system call filter. The programs are built at build
 * time (seccomp-gen/seccomp-gen, from seccomp-policy.c through seccomp-build.c):
 * building one with libseccomp takes milliseconds, longer than the whole
 * rest of a login's join, and loading a ready one a fraction of that. */
#include "seccomp.h"
#include "confine.h"
#include "seccomp-programs.h"
#include "util.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int seccomp_apply_guest_filter(unsigned relax)
{
	if (relax & RELAX_SECCOMP)
		return 0;
	const struct seccomp_program *p = &seccomp_programs[relax & seccomp_programs_relax_mask];
	/* The kernel copies the program and only reads it. */
	struct sock_fprog prog = { .len = p->len, .filter = (struct sock_filter *)p->insns };
	/* No flags: no no_new_privs (setuid programs in the guest keep working;
	 * the callers hold CAP_SYS_ADMIN in the guest's user namespace), and no
	 * thread sync, as libseccomp's seccomp_load did with these attributes. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return negerrno();
	return 0;
}

int seccomp_apply_shell_filter(void)
{
	struct sock_fprog prog = { .len = seccomp_shell_program.len,
				   .filter = (struct sock_filter *)seccomp_shell_program.insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return negerrno();
	return 0;
}
