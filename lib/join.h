/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding and joining a user's running container: shared by x86ns-shell
 * (as the user, no privilege) and `x86nsctl exec` (as root).
 *
 * Order, as nsenter does it: everything on the host side first (monitor
 * socket, pidfd, verification), then one setns(2) on the pidfd. */
#pragma once

#include "error.h"

#include <stdbool.h>
#include <sys/types.h>

struct container_ref {
	pid_t pid; /* the container's init, host pid */
	int pidfd; /* pins it: a recycled pid cannot be joined */
	char guest[64];
	bool ready;                /* false: its ready-timeout passed and the action is warn */
	unsigned long personality; /* the guest's execution domain (PER_LINUX32): sessions
				    * inherit it from the spawner, a process the
				    * joiner forks itself must take it */
	unsigned relax;            /* enum confine_relax: what the guest's config turned off */
};

/* Ask the monitor of owner's container to move the calling process into the
 * container's cgroup (only with move_into_cgroup: sessions forked by the
 * guest's spawner are in it already), wait until the guest is ready, and
 * pin and verify the init: the pidfd's user namespace
 * must be the one the monitor reported and be owned by `owner`. While the
 * guest is not ready, `waiting` (may be NULL) is called once a second with
 * the seconds waited and the guest's last boot status (may be ""). -ENOENT:
 * no container runs. On -EPROTO, e (may be NULL) holds the monitor's reason
 * (step "monitor"). */
int container_find(uid_t owner, bool move_into_cgroup, struct container_ref *ret, struct error *e,
		   void (*waiting)(unsigned seconds, const char *status));

/* setns into the user, mount, PID, UTS, IPC and cgroup namespaces of the
 * container, and its network namespace when it has its own. The PID
 * namespace applies to children: the caller forks next. */
int container_join(const struct container_ref *c);

/* Runs in: the joining process, after container_join, while it still holds
 * CAP_SYS_ADMIN in the guest's user namespace (so no no_new_privs is
 * needed). A fresh session keyring and the system call filter of the
 * guest's init, as c->relax says. The Landlock domain of the guest's init
 * only a process forked inside it can have: sessions are forked by the
 * guest's x86ns-spawner (lib/spawn.h). */
int container_confine(const struct container_ref *c);

/* Runs in: x86ns-shell, after container_join and container_become, when
 * the guest's spawner forks its session and the shell only relays. A fresh
 * session keyring, no_new_privs and the shell's own filter, shorter than
 * the guest's and quicker to load (seccomp-gen/seccomp-policy.c, shell_allowed). */
int container_confine_relay(const struct container_ref *c);

/* Runs in: the joining process, after container_join. Take guest ids: uid 0
 * = guest root (bounding set trimmed), else the user with only their own
 * group and no capability left. */
int container_become(uid_t uid, gid_t gid);

void container_ref_done(struct container_ref *c);
