/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for idmap_file_write (lib/idmap.c) on a child in a user namespace
 * of its own: setgroups, gid_map and uid_map written once each, the
 * kernel's refusals come back as -errno, a link is not followed, and it
 * works from a CLONE_VM helper on a small stack, as launch/container.c
 * uses it. */
#include "idmap.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* A child in a new user namespace that waits until fd closes. */
static pid_t userns_child(int *ret_release)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		char c;
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	*ret_release = p[1];
	return pid;
}

/* Waits until the child has its own user namespace. */
static bool userns_ready(pid_t pid)
{
	char path[64];
	struct stat ours, theirs;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	for (int i = 0; i < 5000; i++) {
		if (stat("/proc/self/ns/user", &ours) == 0 && stat(path, &theirs) == 0 &&
		    ours.st_ino != theirs.st_ino)
			return true;
		usleep(1000);
	}
	return false;
}

static bool map_is(int proc_fd, const char *name, const char *want)
{
	char buf[128] = "";
	int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	unsigned a, b, c;
	char expect[64];
	if (n <= 0 || sscanf(buf, "%u %u %u", &a, &b, &c) != 3)
		return false;
	snprintf(expect, sizeof(expect), "%u %u %u\n", a, b, c);
	return strcmp(expect, want) == 0;
}

struct helper {
	int proc_fd;
	int result;
};

static int helper_main(void *arg)
{
	struct helper *h = arg;
	h->result = idmap_file_write(h->proc_fd, "gid_map", "0 0 1\n");
	if (h->result == 0)
		h->result = idmap_file_write(h->proc_fd, "uid_map", "0 0 1\n");
	return 0;
}

static void finish(pid_t pid, int release)
{
	close(release);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int main(void)
{
	int release;
	pid_t pid = userns_child(&release);
	if (pid < 0 || !userns_ready(pid)) {
		printf("not ok - a child in a user namespace of its own\n");
		return 1;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	_cleanup_close_ int proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK_INT_EQ(idmap_file_write(proc_fd, "gid_map", "nonsense\n"), -EINVAL,
		     "a map the kernel cannot parse: EINVAL");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "no_such_map", "0 0 1\n"), -ENOENT,
		     "a missing file: ENOENT");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "exe", "0 0 1\n"), -ELOOP,
		     "a link is not followed: ELOOP");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "setgroups", "deny"), 0, "setgroups: deny written");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "gid_map", "0 0 1\n"), 0, "gid_map written");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "uid_map", "0 0 1\n"), 0, "uid_map written");
	CHECK(map_is(proc_fd, "uid_map", "0 0 1\n") && map_is(proc_fd, "gid_map", "0 0 1\n"),
	      "the child's maps read back as written");
	CHECK_INT_EQ(idmap_file_write(proc_fd, "uid_map", "0 0 1\n"), -EPERM,
		     "a second uid_map: EPERM");
	finish(pid, release);

	/* As in launch/container.c: a CLONE_VM helper on a 16 KiB stack. */
	static char stack[16 * 1024] __attribute__((aligned(16)));
	pid = userns_child(&release);
	if (pid < 0 || !userns_ready(pid)) {
		printf("not ok - a second child in a user namespace of its own\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	_cleanup_close_ int proc2 = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct helper h = { .proc_fd = proc2, .result = -ECHILD };
	pid_t helper = clone(helper_main, stack + sizeof(stack), CLONE_VM | SIGCHLD, &h);
	while (helper > 0 && waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	CHECK_INT_EQ(h.result, 0, "from a CLONE_VM helper: both maps written");
	CHECK(map_is(proc2, "uid_map", "0 0 1\n"), "from a CLONE_VM helper: uid_map reads back");
	finish(pid, release);
	return tap_exit();
}
