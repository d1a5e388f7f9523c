/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Landlock scoping of a guest (Linux 6.12, Landlock ABI 6): processes in
 * the domain can neither signal processes outside it nor connect to
 * abstract unix sockets bound outside it. With the host's network
 * namespace shared (network = host), this is what keeps guest code away
 * from the host's abstract sockets (X11, D-Bus buses, systemd). */
#pragma once

#include <stdbool.h>

#define LANDLOCK_SCOPE_ABI 6

/* The kernel's Landlock ABI version; 0 when Landlock is missing or off. */
int landlock_abi(void);

/* A ruleset with both scopes can be made (no process is restricted):
 * the kernel implements ABI 6, whatever number it reports. */
bool landlock_scope_supported(void);

/* Runs in: the process that is about to become (or fork) the guest, with
 * CAP_SYS_ADMIN in its user namespace (no_new_privs is not needed then).
 * Restrict it and every future child to a new scoped domain.
 * -EOPNOTSUPP when the kernel's ABI is below LANDLOCK_SCOPE_ABI. */
int landlock_scope_self(void);
