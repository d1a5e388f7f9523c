/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "label.h"

#include "mcs.h"
#include "util.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>

/* What x86ns asks of SELinux is three files, read and written directly
 * instead of through libselinux: selinuxfs mounted at /sys/fs/selinux means
 * SELinux is on (libselinux's is_selinux_enabled() tests the same), and a
 * process's context and next exec context are /proc/thread-self/attr/current
 * and attr/exec. Linking libselinux cost every login's x86ns-shell the
 * library's constructor (which, on kernels with SELinux built in but off,
 * reads /proc/filesystems and /proc/mounts) and pcre2. The contexts are raw
 * (no mcstrans), as the policy writes them. */

#define CONTAINER_DOMAIN "system_u:system_r:x86ns_container_t:s0:"
#define CONTAINER_FILE   "system_u:object_r:x86ns_file_t:s0:"
#define SHELL_TYPE       ":x86ns_shell_t:"

/* Set by label_probe(); false until then. */
static bool selinux_on;

void label_probe(void)
{
	struct statfs fs;
	selinux_on = statfs("/sys/fs/selinux", &fs) == 0 && fs.f_type == SELINUX_MAGIC;
}

bool label_enabled(void)
{
	return selinux_on;
}

static int context_for(uid_t uid, const char *prefix, char *buf, size_t len)
{
	char pair[SELINUX_MCS_PAIR_MAX];
	int r = selinux_mcs_pair_for_uid(uid, pair, sizeof(pair));
	if (r < 0)
		return r;
	return xsnprintf(buf, len, "%s%s", prefix, pair);
}

int label_mount_option(uid_t uid, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!label_enabled())
		return 0;
	char ctx[128];
	int r = context_for(uid, CONTAINER_FILE, ctx, sizeof(ctx));
	return r < 0 ? r : xsnprintf(buf, len, ",context=\"%s\"", ctx);
}

int label_file_context(uid_t uid, char *buf, size_t len)
{
	buf[0] = '\0';
	return label_enabled() ? context_for(uid, CONTAINER_FILE, buf, len) : 0;
}

int label_exec_container(uid_t uid)
{
	if (!label_enabled())
		return 0;
	char ctx[128];
	int r = context_for(uid, CONTAINER_DOMAIN, ctx, sizeof(ctx));
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	size_t n = strlen(ctx) + 1; /* with the NUL, as libselinux writes it */
	ssize_t w = write(fd, ctx, n);
	if (w < 0)
		return negerrno();
	return (size_t)w == n ? 0 : -EIO;
}

int label_shell_enter_domain(char **argv)
{
	if (!label_enabled())
		return 0;
	char con[256];
	_cleanup_close_ int fd = open("/proc/thread-self/attr/current", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	ssize_t n = read(fd, con, sizeof(con) - 1);
	if (n < 0)
		return negerrno();
	con[n] = '\0';
	if (strstr(con, SHELL_TYPE))
		return 0;
	/* Once only: if the policy did not move us, fail instead of looping. */
	if (getenv("X86NS_SHELL_REEXEC"))
		return -EPERM;
	if (setenv("X86NS_SHELL_REEXEC", "1", 1) < 0)
		return negerrno();
	extern char **environ;
	execve("/proc/self/exe", argv, environ);
	return negerrno();
}
