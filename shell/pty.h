/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The interactive terminal of x86ns-shell: a pty allocated inside the
 * guest (its devpts), the session child on the slave side, and a relay
 * between the user's terminal (sshd's pty) and the guest pty master.
 *
 * Use, in x86ns-shell after joining the guest's namespaces:
 *
 *     pty_open_guest(STDIN_FILENO, &master, path, sizeof(path));
 *     open(path) -> slave; the guest's x86ns-spawner forks the session
 *     with the slave as its controlling terminal (lib/spawn.h);
 *     pty_relay(master, STDIN_FILENO, STDOUT_FILENO,
 *               &(struct pty_session){ 0, pidfd, spawner connection }, &status);
 *
 * All functions return >= 0 on success and -errno on failure; none logs. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Opens a pty on this mount namespace's /dev/ptmx (O_CLOEXEC master) and
 * stores the slave's path. If host_tty_fd (may be -1) is a terminal, the
 * new pty starts with its termios and window size. That copy happens here,
 * in the parent and before any fork, because pty_relay() puts the host
 * terminal into raw mode: a child copying it later could copy raw mode. */
int pty_open_guest(int host_tty_fd, int *ret_master, char *slave_path, size_t len);

/* The session the relay serves: a child of the caller (child > 0; it is
 * reaped here), or a session that another process forked and reports
 * (child == 0: pidfd names it and status_fd, the x86ns-spawner connection,
 * says "exit status=N" when it ends). */
struct pty_session {
	pid_t child;
	int pidfd;     /* child == 0: required; else opened here if -1 */
	int status_fd; /* child == 0: required; else -1 */
};

/* Relays host_in -> master and master -> host_out (both may be one fd)
 * until the session ends, then drains what the guest still printed, and
 * stores the session's wait status (as waitpid() gives it).
 *  - host_in, if a terminal, is in raw mode meanwhile; its termios, the
 *    fds' O_NONBLOCK flags and the signal mask are restored on every
 *    return path;
 *  - SIGWINCH: host_in's window size goes to the guest pty;
 *  - SIGHUP, SIGTERM, SIGINT, SIGQUIT received by the caller go to the
 *    session (its process group when it is our child) and the guest
 *    terminal's foreground group (SIGHUP also with SIGCONT, as a hangup
 *    does);
 *  - EOF on host_in stops input only; the guest ends the session.
 * While it runs these signals and SIGPIPE and SIGCHLD are blocked and
 * consumed through a signalfd, so the caller's handlers do not see them.
 * On error the session is left running (and a child unreaped). */
int pty_relay(int master, int host_in, int host_out, const struct pty_session *session,
	      int *ret_status);
