/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SELinux labels of a user's container (see selinux/README.md, "Categories").
 * Each user's guest runs as system_u:system_r:x86ns_container_t:s0:cA,cB
 * with a category pair derived from the uid (lib/mcs.c), its files are
 * x86ns_file_t with the same pair. No libselinux: lib/label.c says why.
 * Every function is a no-op returning 0 when SELinux is not enabled on the
 * running system (selinuxfs not mounted at /sys/fs/selinux when
 * label_probe() ran) or label_probe() was not called. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Runs in: the main() of a program that labels (x86ns-launch, x86ns-shell),
 * at start, while the host's /sys is in view: later calls may run after the
 * switch into a guest, whose /sys may be its own. One statfs; programs that
 * never label (the monitor, the PAM module in every login program,
 * x86nsctl) do not pay for it. */
void label_probe(void);

bool label_enabled(void);

/* ",context=\"...\"" for the mount options of the container's own file
 * systems (overlay, tmpfs, devpts), or "" when SELinux is off. */
int label_mount_option(uid_t uid, char *buf, size_t len);

/* The same context alone, for a mount made with fsconfig(2) (the ext4
 * image of the writable layer), or "" when SELinux is off. */
int label_file_context(uid_t uid, char *buf, size_t len);

/* setexeccon() for the next execve: the guest init, or a joined session. */
int label_exec_container(uid_t uid);

/* Runs in: x86ns-shell at start. Login programs start the shell in the
 * user's domain; re-execute once through /proc/self/exe so that the
 * policy's transition puts it in x86ns_shell_t. Returns only when no
 * re-execution is needed (or SELinux is off). */
int label_shell_enter_domain(char **argv);
