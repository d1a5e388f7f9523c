/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "label.h"

#include "util.h"

#ifdef HAVE_SELINUX
#include "../selinux/mcs.h"

#include <selinux/selinux.h>

#define CONTAINER_DOMAIN "system_u:system_r:x86ns_container_t:s0:"
#define CONTAINER_FILE   "system_u:object_r:x86ns_file_t:s0:"
#define SHELL_TYPE       ":x86ns_shell_t:"

bool label_enabled(void)
{
	return is_selinux_enabled() > 0;
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

int label_exec_container(uid_t uid)
{
	if (!label_enabled())
		return 0;
	char ctx[128];
	int r = context_for(uid, CONTAINER_DOMAIN, ctx, sizeof(ctx));
	if (r < 0)
		return r;
	return setexeccon(ctx) < 0 ? negerrno() : 0;
}

int label_shell_enter_domain(char **argv)
{
	if (!label_enabled())
		return 0;
	char *con = NULL;
	if (getcon(&con) < 0)
		return negerrno();
	bool inside = strstr(con, SHELL_TYPE) != NULL;
	freecon(con);
	if (inside)
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

#else /* !HAVE_SELINUX */

bool label_enabled(void)
{
	return false;
}

int label_mount_option(uid_t uid, char *buf, size_t len)
{
	buf[0] = '\0';
	return 0;
}

int label_exec_container(uid_t uid)
{
	return 0;
}

int label_shell_enter_domain(char **argv)
{
	return 0;
}

#endif
