/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking the guest's x86ns-spawner for a session (lib/spawn-proto.h).
 * Runs in: a joining process (x86ns-shell, x86nsctl exec) that has
 * entered the guest's namespaces and taken the session's ids: the spawner
 * gives the session the ids it connects with. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct spawn_request {
	bool tty; /* the first terminal of fds becomes the session's controlling one */
	const char *cwd;
	const char *path; /* absolute, in the guest */
	char *const *argv;
	char *const *envp;
	int fds[3]; /* the session's stdin, stdout, stderr */
};

struct spawned {
	int conn;  /* reports the exit: spawn_wait(), or pty_session.status_fd */
	int pidfd; /* the session */
};

/* -errno on failure; *step (may be NULL) then names what failed:
 * "connect", "request" or the spawner's step ("exec": the program). */
int spawn_session(const struct spawn_request *req, struct spawned *ret, const char **step);

/* Wait until the session ends; its wait status. */
int spawn_wait(const struct spawned *s, int *ret_status);

void spawned_done(struct spawned *s);

struct pty_stdio;
/* Runs in: the joining process (x86ns-shell, x86nsctl exec), after
 * spawn_session() with io's fds. Closes io's slave (the session has it),
 * relays the pty until the session ends (or only waits when io has no
 * pty), then releases the session and io. *ret_what names the failed part
 * ("terminal relay" or "wait") for the caller's one line. */
int spawned_run(struct spawned *s, struct pty_stdio *io, int *ret_status,
		const char **ret_what);

/* One line for the user about a failed spawn_session(). */
const char *spawn_error(int r, const char *step);
