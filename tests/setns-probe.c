/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setns-probe PID: try to join every namespace of PID through a pidfd, as
 * x86ns-shell does, and print the result ("ok" or the errno name).
 * Exit 0 when the join worked. Used by the tests to prove that one user
 * cannot enter another user's container. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: setns-probe PID\n");
		return 2;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	if (pidfd < 0) {
		printf("pidfd_open: %s\n", strerrorname_np(errno));
		return 1;
	}
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		    CLONE_NEWCGROUP;
	if (setns(pidfd, flags) < 0) {
		printf("setns: %s\n", strerrorname_np(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}
