/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include "util.h"

#include <sys/capability.h>
#include <sys/prctl.h>

/* Deliberately kept: what booting a guest's systemd needs (SYS_ADMIN,
 * SETUID/SETGID, NET_BIND_SERVICE, SYS_PTRACE, ...), all confined to the
 * container's user namespace. */
static const cap_value_t dropped_caps[] = {
	CAP_SYS_MODULE, CAP_SYS_RAWIO,    CAP_SYS_TIME,   CAP_SYS_PACCT,          CAP_SYSLOG,
	CAP_MAC_ADMIN,  CAP_MAC_OVERRIDE, CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND,      CAP_AUDIT_CONTROL,
	CAP_AUDIT_READ, CAP_BPF,          CAP_PERFMON,    CAP_CHECKPOINT_RESTORE,
};

int caps_trim_bounding_set(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dropped_caps); i++)
		/* EINVAL: a capability this kernel does not know. */
		if (cap_drop_bound(dropped_caps[i]) < 0 && errno != EINVAL)
			return negerrno();
	return 0;
}

int caps_drop_all(void)
{
	int r = caps_trim_bounding_set();
	if (r < 0)
		return r;
	/* One call instead of libcap's per-capability loop. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return negerrno();
	cap_t empty = cap_init();
	if (!empty)
		return negerrno();
	r = cap_set_proc(empty) < 0 ? negerrno() : 0;
	cap_free(empty);
	return r;
}
