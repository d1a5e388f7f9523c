/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/binfmt.c: the binfmt_misc registration lines and the
 * ELF reader behind the translator checks. */
#include "binfmt.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* The arm64 line that Debian's qemu-user-static registers (magic and mask
 * of /usr/share/binfmts/qemu-aarch64), with our name and flags. */
static const char aarch64_line[] =
    ":x86ns-aarch64:M::"
    "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00"
    "\\xb7\\x00:"
    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
    "\\xff\\xff:/usr/bin/qemu-aarch64-static:FP";

static void test_register_lines(void)
{
	char buf[512];
	int n =
	    binfmt_register_line(MACHINE_AARCH64, "/usr/bin/qemu-aarch64-static", buf, sizeof(buf));
	CHECK_INT_EQ(n, (int)strlen(aarch64_line), "aarch64: the line's length is returned");
	CHECK_STR_EQ(buf, aarch64_line, "aarch64: Debian's magic and mask, flags FP");
	n = binfmt_register_line(MACHINE_S390X, "/q", buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "\\x02\\x02\\x01") && strstr(buf, "\\x00\\x02\\x00\\x16:") &&
		  strstr(buf, "\\xff\\xff\\xff\\xfe\\xff\\xff:/q:FP"),
	      "s390x: big-endian class, e_type and e_machine, mask of e_type swapped");
	CHECK_INT_EQ(binfmt_register_line(MACHINE_ARM, "/usr/bin/q:x", buf, sizeof(buf)), -EINVAL,
		     "an interpreter with ':' is refused");
	CHECK_INT_EQ(binfmt_register_line(MACHINE_ARM, "q", buf, sizeof(buf)), -EINVAL,
		     "a relative interpreter is refused");
	CHECK(binfmt_register_line(MACHINE_ARM, "/q", buf, 40) < 0,
	      "a buffer too small is an error, not a cut line");
	for (int m = 0; m < N_MACHINES; m++)
		CHECK_INT_EQ(binfmt_machine_from_name(binfmt_machine_name((enum binfmt_machine)m)),
			     m, "machine %s: name and number agree", binfmt_machine_name(m));
	CHECK_INT_EQ(binfmt_machine_from_name("vax"), -EINVAL, "an unknown machine");
#ifdef __x86_64__
	CHECK_INT_EQ(binfmt_host_machine(), MACHINE_X86_64, "this host is x86_64");
#endif
}

static void check_elf(const char *path, int machine, bool is_static)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct elf_info e;
	int r = fd < 0 ? -errno : elf_inspect(fd, &e);
	if (fd >= 0)
		close(fd);
	if (!tap_check(r == 0, strerror(-r), "elf_inspect %s", path))
		return;
	CHECK_INT_EQ(e.machine, machine, "%s: machine", path);
	CHECK_INT_EQ(e.is_static, is_static, "%s: %s", path, is_static ? "static" : "dynamic");
}

static void test_elf(void)
{
	check_elf("/usr/bin/qemu-aarch64-static", (int)binfmt_host_machine(), true);
	check_elf("/bin/true", (int)binfmt_host_machine(), false);
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	struct elf_info e;
	CHECK_INT_EQ(elf_inspect(fd, &e), -ENOEXEC, "a text file is not ELF");
	close(fd);
	CHECK_INT_EQ(translator_file_check("/usr/bin/qemu-aarch64-static", true), 0,
		     "qemu-aarch64-static passes a static profile");
	CHECK_INT_EQ(translator_file_check("/bin/true", true), -ELIBBAD,
		     "a dynamic program fails a static profile");
	CHECK_INT_EQ(translator_file_check("/bin/true", false), 0, "... and passes without one");
	CHECK_INT_EQ(translator_file_check("/etc/passwd", false), -EACCES,
		     "a file not executable by all is refused");
	CHECK_INT_EQ(translator_file_check("/nonexistent/q", false), -ENOENT, "a missing file");
	CHECK(strstr(translator_file_error(-ELIBBAD), "static"),
	      "the message for a dynamic translator names the static build");
}

int main(void)
{
	test_register_lines();
	test_elf();
	return tap_exit();
}
