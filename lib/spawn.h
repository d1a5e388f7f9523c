/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking the guest's x86ns-spawner for a session (lib/spawn-proto.h).
 * Runs in: a joining process (x86ns-shell, x86nsctl exec) that has
 * entered the guest's namespaces and taken the session's ids: the spawner
 * gives the session the ids it connects with. */
#pragma once

#include "error.h"

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

/* -errno on failure; e (may be NULL) then has the step that failed,
 * "connect", "request" or the spawner's own ("exec": the program), and one
 * line for the user about it. */
int spawn_session(const struct spawn_request *req, struct spawned *ret, struct error *e);

/* Wait until the session ends; its wait status. */
int spawn_wait(const struct spawned *s, int *ret_status);

void spawned_done(struct spawned *s);

struct pty_stdio;
/* Runs in: the joining process (x86ns-shell, x86nsctl exec), after
 * spawn_session() with io's fds. Closes io's slave (the session has it),
 * relays the pty until the session ends (or only waits when io has no
 * pty), then releases the session and io. On failure e (may be NULL) names
 * the failed part ("terminal relay" or "wait"). */
int spawned_run(struct spawned *s, struct pty_stdio *io, int *ret_status, struct error *e);
