/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for lib/safe-open.c in a scratch directory: open_beneath refuses
 * symbolic links (last component and on the way), "..", absolute paths
 * and /proc magic links; open_resolve applies the caller's mask. */
#include "safe-open.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void test_refusals(int dir)
{
	CHECK_INT_EQ(open_beneath(dir, "link", O_RDONLY, 0), -ELOOP, "a symbolic link: ELOOP");
	CHECK_INT_EQ(open_beneath(dir, "dirlink/file", O_RDONLY, 0), -ELOOP,
		     "a symbolic link on the way: ELOOP");
	CHECK_INT_EQ(open_beneath(dir, "../x", O_RDONLY, 0), -EXDEV, "\"..\" above dir_fd: EXDEV");
	CHECK_INT_EQ(open_beneath(dir, "sub/../../x", O_RDONLY, 0), -EXDEV,
		     "\"..\" above dir_fd from below: EXDEV");
	CHECK_INT_EQ(open_beneath(dir, "/etc/passwd", O_RDONLY, 0), -EXDEV,
		     "an absolute path: EXDEV");
	CHECK_INT_EQ(open_beneath(dir, "missing", O_RDONLY, 0), -ENOENT, "a missing file: ENOENT");

	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)getpid());
	_cleanup_close_ int proc = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT_EQ(open_beneath(proc, "exe", O_PATH, 0), -ELOOP, "the magic link exe: ELOOP");
	CHECK_INT_EQ(open_beneath(proc, "fd/0", O_PATH, 0), -ELOOP, "the magic link fd/0: ELOOP");
	CHECK_INT_EQ(open_resolve(proc, "cwd", O_PATH, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
		     -ELOOP, "open_resolve with RESOLVE_NO_MAGICLINKS refuses cwd");
}

static void test_opens(int dir)
{
	int fd = open_beneath(dir, "sub/file", O_RDONLY, 0644);
	CHECK(fd >= 0, "a file below: opened (a mode without O_CREAT is ignored)");
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "the fd is close-on-exec");
	if (fd >= 0)
		close(fd);

	fd = open_beneath(dir, "new", O_WRONLY | O_CREAT | O_EXCL, 0640);
	struct stat st = { 0 };
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640,
	      "O_CREAT: created with the mode given");
	if (fd >= 0)
		close(fd);

	int got = -1;
	CHECK_INT_EQ(open_beneath_ret(dir, "sub", O_PATH | O_DIRECTORY, 0, &got), 0,
		     "open_beneath_ret: 0");
	CHECK(got >= 0, "open_beneath_ret: the fd in *ret_fd");
	if (got >= 0)
		close(got);
	got = -7;
	CHECK_INT_EQ(open_beneath_ret(dir, "link", O_RDONLY, 0, &got), -ELOOP,
		     "open_beneath_ret: -ELOOP for a link");
	CHECK_INT_EQ(got, -7, "open_beneath_ret: *ret_fd untouched on failure");

	/* RESOLVE_IN_ROOT: "/sub/file" is the tree's own, below dir. */
	_cleanup_close_ int a = open_resolve(dir, "abslink", O_RDONLY, 0, RESOLVE_IN_ROOT);
	_cleanup_close_ int b = open_beneath(dir, "sub/file", O_RDONLY, 0);
	CHECK(a >= 0 && b >= 0 && same_file(a, b),
	      "open_resolve RESOLVE_IN_ROOT: an absolute link stays in the tree");
}

int main(void)
{
	char tmp[] = "/tmp/x86ns-test-safe-open.XXXXXX";
	if (!mkdtemp(tmp)) {
		printf("not ok - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	umask(022);
	_cleanup_close_ int dir = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = -1;
	bool ok = dir >= 0 && mkdirat(dir, "sub", 0755) == 0 &&
		  (fd = openat(dir, "sub/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0 &&
		  symlinkat("sub/file", dir, "link") == 0 &&
		  symlinkat("sub", dir, "dirlink") == 0 &&
		  symlinkat("/sub/file", dir, "abslink") == 0;
	if (fd >= 0)
		close(fd);
	if (ok) {
		test_refusals(dir);
		test_opens(dir);
	} else {
		printf("not ok - set up %s: %s\n", tmp, strerror(errno));
	}
	const char *const names[] = { "abslink", "dirlink", "link", "new", "sub/file" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		unlinkat(dir, names[i], 0);
	unlinkat(dir, "sub", AT_REMOVEDIR);
	rmdir(tmp);
	return ok ? tap_exit() : 1;
}
