/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's hand-over to x86ns-monitor: what the monitor is told on
 * its command line, as one struct with one writer and one reader.
 *
 * The launcher's monitor-to-be (host root) fills struct monitor_args,
 * turns it into argv with monitor_args_to_argv() and execs the monitor;
 * the monitor (host root) reads it back with monitor_args_parse(). Each
 * argument is "key=value", one per key, in the order of the table in
 * monitor-args.c; the fds named are inherited across the exec. The parser
 * checks every value and refuses an unknown, repeated or missing key, so a
 * launcher and a monitor of different builds fail the start clearly
 * instead of running a guest half-configured. */
#pragma once

#include "error.h"

#include <stdbool.h>
#include <sys/types.h>

struct monitor_args {
	char user[64];
	uid_t uid;
	char guest[64];
	char translator[256];  /* "none" or the translator's host path */
	char cgroup[32];       /* the container's cgroup name under x86ns/ */
	char cgroup_slice[32]; /* optional: systemd's slice that holds it, or "" */
	int listen_fd;         /* the control socket, listening (lib/proto.h) */
	int init_pidfd;        /* the guest's init, our child-to-be */
	int spawner_pidfd;     /* the guest's x86ns-spawner */
	pid_t init_pid;
	unsigned long long userns_ino;
	int console_fd;       /* the console pty's master */
	int console_hold_fd;  /* its slave, held so that the master never reads EIO
			       * while the guest reopens /dev/console */
	int log_fd;           /* /var/log/x86ns/<user>.log */
	char stop_policy[16]; /* last-logout, linger, never */
	unsigned linger_sec;
	int stop_signal; /* sent to init to stop the guest, 1 to 64 */
	unsigned stop_timeout_sec;
	unsigned ready_timeout_sec;
	bool ready_timeout_warns;  /* ready-timeout-action = warn */
	unsigned long personality; /* joined sessions take the guest's (PER_LINUX32) */
	unsigned relax;            /* enum confine_relax, passed on to joined sessions */
	char network[32];          /* host, none, private, each maybe with -for-landlock */
	bool landlock;             /* the Landlock scope is applied */
	char translation[24];      /* none, init-only, container-binfmt, host-binfmt */
	/* Optional, -1 when absent; each pid comes with its pidfd. */
	pid_t net_pid; /* network private: the user-mode stack (pasta) */
	int net_pidfd;
	int notify_fd;     /* ready = notify: the sd_notify socket */
	pid_t session_pid; /* the login that started the guest, pinned */
	int session_pidfd;
};

#define MONITOR_ARGS_MAX    32  /* keys in the table */
#define MONITOR_ARG_LEN_MAX 300 /* longest "key=value", translator paths included */

/* Argument vector for execve: argv[0] is "x86ns-monitor", NULL-terminated. */
struct monitor_argv {
	char buf[MONITOR_ARGS_MAX][MONITOR_ARG_LEN_MAX];
	char *argv[MONITOR_ARGS_MAX + 2];
};

/* Every fd -1, every field empty or zero, nothing else set. */
void monitor_args_init(struct monitor_args *a);

/* Runs in: the launcher's monitor-to-be, host root. Fill out->argv from a
 * (optional fds that are -1 are left out). -EINVAL (with e filled) when a
 * value would not parse back: a fd or pid out of range, a name that does
 * not fit or that the parser would refuse. */
int monitor_args_to_argv(const struct monitor_args *a, struct monitor_argv *out, struct error *e);

/* Runs in: x86ns-monitor, host root, before its event loop. Parse argv
 * (argv[0] is skipped) into a, which is monitor_args_init()ed first. On
 * -EINVAL e names the argument or key, and a keeps the keys that parsed,
 * so that the caller can still stop the guest they name. */
int monitor_args_parse(int argc, char *const *argv, struct monitor_args *a, struct error *e);
