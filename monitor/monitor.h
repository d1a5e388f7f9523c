/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-monitor's state, shared by its two halves: monitor.c (the event
 * loop and the guest's life) and clients.c (the control socket's peers and
 * their requests). Everything runs in: x86ns-monitor, host root, host
 * namespaces, one thread. */
#pragma once

#include "cgroup.h"
#include "monitor-args.h"
#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define MAX_SESSIONS 256
/* Root's and the user's slots (lib/proto.h); other peers get none. */
#define MAX_CLIENTS  (2 * MONITOR_CLIENTS_PER_UID)
#define CONSOLE_TAIL 1024 /* what a not-ready message quotes of the console */

enum state { RUNNING, LINGERING, STOPPING };
struct session {
	pid_t pid;
	int pidfd;
};

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	int pidfd;                  /* the peer process at connect time (SO_PEERPIDFD), or -1 */
	bool waiting;               /* its attach or wait is answered when the guest is ready */
	long long idle_deadline_ms; /* closed unless it asks by then; 0 while waiting */
};

struct monitor {
	struct monitor_args args; /* from the launcher; its fds are closed to -1 */
	int signal_fd;            /* SIGTERM, SIGINT, SIGHUP: stop the container in order */
	struct cgroup_attach_handle attach; /* the container's cgroup.procs files */
	/* state */
	bool ready;
	bool ready_late;       /* the timeout passed and the action was warn */
	char boot_status[128]; /* last STATUS= from the guest's init, escaped
				  (text_escape): it reaches terminals */
	long long ready_deadline_ms;
	char console_tail[CONSOLE_TAIL];
	size_t console_tail_len;
	enum state state;
	bool had_session;
	struct timespec started;
	long long deadline_ms; /* linger end or kill time; 0 = none */
	struct session sessions[MAX_SESSIONS];
	size_t n_sessions;
	struct client clients[MAX_CLIENTS];
	size_t n_clients;
};

/* monitor.c: the guest's life. */
long long now_ms(void);
/* The answer to attach and wait, also written to the ready file. */
int ready_message(const struct monitor *m, char *buf, size_t len);
/* Stop the guest in order: its stop signal, then the kill at the deadline. */
void stop_begin(struct monitor *m, const char *why);
/* Apply the stop policy after the sessions changed. */
void sessions_changed(struct monitor *m);
void session_remove(struct monitor *m, size_t i);
/* Track the login session held by process pid (open <pid>). */
int session_add(struct monitor *m, pid_t pid);

/* clients.c: the control socket. */
void reply_ready(const struct monitor *m, int fd);
/* Answer every client waiting for the guest: ready when err is NULL. */
void waiting_clients_answer(struct monitor *m, const char *err);
/* Pass the guest's boot status to every client waiting for it. */
void waiting_clients_progress(struct monitor *m);
/* Take the pending connections. */
void clients_accept(struct monitor *m);
/* Close the connections that asked nothing in time; returns the earliest
 * deadline left (0 = none). */
long long clients_expire(struct monitor *m);
/* Read and answer client i's request; it may close it. */
void client_read(struct monitor *m, size_t i);
