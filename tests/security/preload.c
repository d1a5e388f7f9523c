/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A library that guest root plants in the guest's /etc/ld.so.preload
 * (tests/security/t-sftp-fallback.sh): whatever dynamic program loads it
 * appends to /tmp/x86ns-preload.log whether it reached the host's abstract
 * unix socket @PRELOAD_TARGET (connect=ok: it ran outside the guest's
 * Landlock domain; connect=EPERM: inside). No C library: it must load into
 * any program, also one whose libraries came from another tree. x86-64. */
#ifndef PRELOAD_TARGET
#error "build with -DPRELOAD_TARGET='\"name\"'"
#endif

static long sys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static char address[110]; /* sa_family_t, then @NAME; zeroed: in .bss */

__attribute__((constructor)) static void preload_ran(void)
{
	static const char name[] = PRELOAD_TARGET;
	address[0] = 1; /* AF_UNIX, little endian */
	unsigned long n = 0;
	for (; name[n] && n < 100; n++)
		address[3 + n] = name[n];
	long fd = sys3(41 /* socket */, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0);
	long r = fd < 0 ? fd : sys3(42 /* connect */, fd, (long)address, (long)(3 + n));
	const char *msg = r == 0    ? "preload ran connect=ok\n"
			  : r == -1 ? "preload ran connect=EPERM\n"
				    : "preload ran connect=other\n";
	unsigned long len = 0;
	while (msg[len])
		len++;
	long log = sys3(2 /* open */, (long)"/tmp/x86ns-preload.log",
			02000 | 0100 | 01 /* O_APPEND | O_CREAT | O_WRONLY */, 0666);
	if (log >= 0)
		sys3(1 /* write */, log, (long)msg, (long)len);
}
