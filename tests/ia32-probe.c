/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ia32-probe: can this kernel run 32-bit x86 code? Exit 0 when it can, 1
 * when it cannot (a kernel built without IA32 emulation, or booted with
 * ia32_emulation=0, kills the caller of int $0x80 with SIGSEGV), 2 on a
 * host that is not x86-64. Tests of i386 guests skip with the reason when
 * it exits non-zero; the check runs in a child so that its death is ours to
 * read, not ours to die of. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
static long ia32_getpid(void)
{
	long ret = 20; /* __NR_getpid of the i386 table */

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}

int main(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("ia32-probe: fork");
		return 2;
	}
	if (pid == 0)
		_exit(ia32_getpid() == (long)getpid() ? 0 : 1);
	if (waitpid(pid, &status, 0) < 0) {
		perror("ia32-probe: waitpid");
		return 2;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "ia32-probe: this kernel cannot run 32-bit x86 code (%s)\n",
		WIFSIGNALED(status) ? "int $0x80 was killed" : "int $0x80 failed");
	return 1;
}
#else
int main(void)
{
	fprintf(stderr, "ia32-probe: not an x86-64 host\n");
	return 2;
}
#endif
