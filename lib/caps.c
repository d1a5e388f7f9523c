/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include "util.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* Two system calls, not libcap: every login's x86ns-shell would otherwise
 * pay for loading the library at exec, for two calls it makes once. */

/* Deliberately kept: what booting a guest's systemd needs (SYS_ADMIN,
 * SETUID/SETGID, NET_BIND_SERVICE, SYS_PTRACE, ...), all confined to the
 * container's user namespace. */
static const unsigned dropped_caps[] = {
	CAP_SYS_MODULE, CAP_SYS_RAWIO,    CAP_SYS_TIME,   CAP_SYS_PACCT,          CAP_SYSLOG,
	CAP_MAC_ADMIN,  CAP_MAC_OVERRIDE, CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND,      CAP_AUDIT_CONTROL,
	CAP_AUDIT_READ, CAP_BPF,          CAP_PERFMON,    CAP_CHECKPOINT_RESTORE,
};

int caps_trim_bounding_set(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dropped_caps); i++)
		/* EINVAL: a capability this kernel does not know. */
		if (prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0) < 0 && errno != EINVAL)
			return negerrno();
	return 0;
}

int caps_drop_all(void)
{
	int r = caps_trim_bounding_set();
	if (r < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return negerrno();
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
	if (syscall(SYS_capset, &header, none) < 0)
		return negerrno();
	return 0;
}
