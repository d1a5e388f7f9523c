/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest session's account data and environment.
 * Runs in: x86ns-shell, as the user. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct guest_account {
	char name[64];
	char home[512];
	char shell[256];
};

/* An allow-listed copy of the caller's environment, taken on the host side
 * (host paths such as SSH_AUTH_SOCK and XDG_RUNTIME_DIR mean nothing in the
 * guest and are dropped). */
char **guest_env_build(char **host_env);

/* Runs in: the guest's mount namespace. The user's entry in the guest's
 * /etc/passwd (parsed as text, not through NSS); falls back to the host's
 * $USER/$HOME and /bin/sh. */
void guest_account_lookup(uid_t uid, struct guest_account *ret);

/* Runs in: host namespaces, before the join. Whether the guest's init is
 * in our network namespace (network = host): only then does sshd's X11
 * listener on the host's 127.0.0.1 reach the guest. */
bool guest_shares_host_network(pid_t init);

/* Remove DISPLAY from envp; true when it was there. */
bool guest_env_drop_display(char **envp);

/* Append one "NAME=VALUE" (kept by the caller) before guest_env_finish. */
int guest_env_add(char ***envp, char *entry);

/* Add HOME, USER, LOGNAME, SHELL and PATH for the guest. */
int guest_env_finish(char ***envp, const struct guest_account *acct);
