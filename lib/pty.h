/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The terminal of a guest session: guest code never gets a host terminal.
 * When any of the caller's fds 0-2 is a terminal, a pty is allocated inside
 * the guest (its devpts), the session gets its slave in place of each
 * terminal, and the caller relays between its terminal (sshd's pty, the
 * administrator's) and the guest pty master. When the session ends the
 * relay ends and the master is closed: whatever in the guest still holds
 * the slave is hung up, and never reaches the caller's terminal.
 *
 * Use, in x86ns-shell and x86nsctl exec after joining the guest's namespaces:
 *
 *     pty_stdio_open(&io);    1: io.fds has the slave for each terminal;
 *     the guest's x86ns-spawner forks the session with io.fds and the
 *     slave as its controlling terminal (lib/spawn.h); close io.slave;
 *     pty_relay(io.master, io.host_in, io.host_out,
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

/* Relays host_in -> master and master -> host_out (both may be one fd;
 * host_in may be -1: no input) until the session ends, then drains what
 * the guest still printed, and stores the session's wait status (as
 * waitpid() gives it).
 *  - host_in, if a terminal, is in raw mode meanwhile (else host_out, if a
 *    terminal, without output processing); its termios, the fds'
 *    O_NONBLOCK flags and the signal mask are restored on every return
 *    path;
 *  - SIGWINCH: that terminal's window size goes to the guest pty;
 *  - SIGHUP, SIGTERM, SIGINT, SIGQUIT received by the caller go to the
 *    session (its process group when it is our child; SIGHUP also with
 *    SIGCONT, as a hangup does); SIGINT and SIGQUIT also to the guest
 *    terminal's foreground group, through the kernel (TIOCSIG), never by
 *    a group number the guest could have forged;
 *  - EOF on host_in stops input only; the guest ends the session.
 * While it runs these signals and SIGPIPE and SIGCHLD are blocked and
 * consumed through a signalfd, so the caller's handlers do not see them.
 * On error the session is left running (and a child unreaped). */
int pty_relay(int master, int host_in, int host_out, const struct pty_session *session,
	      int *ret_status);

/* The caller's fds 0-2 as a guest session is to get them. */
struct pty_stdio {
	int fds[3];   /* the session's 0, 1, 2: the slave for each terminal */
	int master;   /* -1 when none of 0-2 is a terminal (fds are 0, 1, 2) */
	int slave;    /* -1 likewise; close it once the session has it */
	int host_in;  /* the relay's input: 0 if a terminal, else -1 */
	int host_out; /* the relay's output: the first terminal of 1, 2, 0 */
};

/* Runs in: the joining process, in the guest's mount namespace. 0 when no
 * fd of 0-2 is a terminal (nothing opened: pass 0-2 as they are); 1 when
 * a pty of the guest's devpts is open, its termios and window size from
 * the caller's terminal. Pipes, sockets and files are passed as they are:
 * no terminal request reaches the caller's terminal through them. */
int pty_stdio_open(struct pty_stdio *ret);
void pty_stdio_close(struct pty_stdio *p);
