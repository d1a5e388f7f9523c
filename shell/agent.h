/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH agent forwarding into the guest session (ssh -A).
 *
 * sshd creates the forwarded agent's socket on the host, where the guest
 * cannot see it. x86ns-shell relays it, for this session only:
 *
 *   host namespaces                     | guest namespaces
 *   sshd's $SSH_AUTH_SOCK  <-- relay ---+--- <dir>/agent.sock (listening)
 *   (the user's own socket)   (forked   |    <dir> = mkdtemp-like, 0700,
 *                              before   |    in /run/user/UID or /tmp
 *                              the join)|    SSH_AUTH_SOCK in the session
 *
 * The relay is a child of x86ns-shell that never joins the guest: the user,
 * the host's namespaces, no privilege, no_new_privs and the shell's own
 * system call filter. It holds one host path only, the agent socket's
 * directory (opened and checked before the fork: a directory and a socket
 * owned by the user, reached without symbolic links), so nothing else of
 * the host becomes reachable through it. The shell, once in the guest with
 * the user's ids, makes the directory and the listening socket and hands
 * both (and the directory's parent) to the relay over a socketpair; the
 * relay accepts guest connections, connects each to the agent and copies
 * bytes both ways. When the shell ends (its end of the socketpair closes),
 * the relay unlinks the socket and the directory through the descriptors
 * it holds, never by a path the guest could redirect, and exits.
 *
 * Who can use the socket in the guest: the user's processes, and guest
 * root, which can enter any directory of the guest. Guest root is the
 * user's own: the user owns the container's user namespace and can become
 * its root at will, so it is granted nothing the user could not reach. No
 * other user's session and no other session of this user sees this agent:
 * each session has its own directory and relay. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct agent_forward {
	pid_t relay; /* 0: no agent is forwarded */
	int control; /* our end of the socketpair; its close ends the relay */
};

/* Runs in: x86ns-shell, as the user, host namespaces, before the join.
 * With $SSH_AUTH_SOCK set (sshd sets it for ssh -A only): check it names a
 * socket of `uid` in a directory of `uid`, reached without symbolic links,
 * and fork the relay. `filter`: load the shell's system call filter in the
 * relay (false when the guest's configuration lifts seccomp). Without the
 * variable, ret->relay stays 0 and nothing is made. */
int agent_relay_start(const char *host_socket, uid_t uid, bool filter, struct agent_forward *ret);

/* Runs in: x86ns-shell, after the join and container_become (the user's
 * ids in the guest), before the shell's own filter. Makes the session's
 * directory and listening socket in the guest, passes them to the relay
 * and writes "SSH_AUTH_SOCK=PATH" into env. Nothing is left behind on
 * failure (the relay removes what it was given, the rest is removed here). */
int agent_guest_listen(struct agent_forward *a, uid_t uid, char *env, size_t envlen);

/* Release what the shell holds; the relay ends when `control` closes. */
void agent_forward_done(struct agent_forward *a);
