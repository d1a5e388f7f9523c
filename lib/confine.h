/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The confinement a guest's configuration relaxes. Every layer is on by
 * default; a guest section turns one off with a documented reason
 * (x86ns.conf(5)). The set travels from the configuration through the
 * launcher and the monitor to every joined session as one number, and 0 is
 * the strictest value, so a missing or unparsable number confines fully:
 * a joined session is never less confined than the guest's init. */
#pragma once

enum confine_relax {
	RELAX_SECCOMP = 1u << 0,       /* seccomp = no: no system call filter at all */
	RELAX_NESTED_USERNS = 1u << 1, /* nested-userns = allow */
	RELAX_IO_URING = 1u << 2,      /* io-uring = allow */
	RELAX_LANDLOCK = 1u << 3,      /* landlock = no: no signal/abstract socket scope */
};
