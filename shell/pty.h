/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The interactive terminal of x86ns-shell: a pty allocated inside the
 * guest (its devpts), the session child on the slave side, and a relay
 * between the user's terminal (sshd's pty) and the guest pty master.
 *
 * Use, in x86ns-shell after joining the guest's namespaces:
 *
 *     pty_open_guest(STDIN_FILENO, &master, path, sizeof(path));
 *     child = fork();
 *     child == 0:  pty_prepare_slave(path); execve(guest shell);
 *     parent:      pty_relay(master, STDIN_FILENO, STDOUT_FILENO, child, &status);
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

/* Runs in: the session child, after fork() and before exec, in the guest's
 * namespaces. New session, slave as controlling terminal and as fds
 * 0, 1, 2. The master stays open only until exec (O_CLOEXEC). */
int pty_prepare_slave(const char *slave_path);

/* Runs in: the parent of `child`, which must be its child (it is reaped
 * here). Relays host_in -> master and master -> host_out (both may be one
 * fd) until the child exits, then drains what the guest still printed,
 * and stores the child's wait status (as waitpid() gives it).
 *  - host_in, if a terminal, is in raw mode meanwhile; its termios, the
 *    fds' O_NONBLOCK flags and the signal mask are restored on every
 *    return path;
 *  - SIGWINCH: host_in's window size goes to the guest pty;
 *  - SIGHUP, SIGTERM, SIGINT, SIGQUIT received by the caller go to the
 *    child's process group and the guest terminal's foreground group
 *    (SIGHUP also with SIGCONT, as a hangup does);
 *  - EOF on host_in stops input only; the guest ends the session.
 * While it runs these signals and SIGPIPE and SIGCHLD are blocked and
 * consumed through a signalfd, so the caller's handlers do not see them.
 * On error the child is left running and unreaped. */
int pty_relay(int master, int host_in, int host_out, pid_t child, int *ret_status);
