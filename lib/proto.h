/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runtime paths and the monitor's control protocol.
 *
 * Each running container has one monitor (root, resident) listening on a
 * SOCK_SEQPACKET socket /run/x86ns/<uid>/monitor.sock. One request per
 * message, one line of text; replies are "ok key=value ..." or
 * "err <one-line message>"; while a request waits for the guest to become
 * ready the monitor may first send "progress <text>" messages.
 *
 * Every request the monitor (monitor/clients.c, handle_request) answers,
 * who may send it, and its final reply:
 *
 *   open <pid>   (root)  record a login session held by process <pid>;
 *                        once the guest is ready: the ready answer (below)
 *   close <pid>  (root)  forget that session: "ok stopping=0|1 monitor=PID",
 *                        stopping=1 when it was the last one and the
 *                        container now stops
 *   attach       (root or the container's user) move the caller into the
 *                        container's cgroup; once ready: the ready answer,
 *                        whose pid= and userns= the caller verifies before
 *                        it setns
 *   wait         (root or the user) as attach without the cgroup move: the
 *                        launcher's "start" and x86ns-shell's join ask it;
 *                        once ready: the ready answer
 *   status       (root or the user) "ok state=booting|running|lingering|
 *                        stopping pid= guest= translator= user= sessions=
 *                        uptime= ready= monitor= userns= network= net-pid=
 *                        landlock= translation= boot-status=", boot-status
 *                        (the guest's STATUS=, escaped) last: it is free text
 *   stop         (root)  stop the container now: "ok stopping=1 monitor=PID"
 *
 * The ready answer (also the ready file's content, below): "ok pid=INIT
 * userns=INODE guest=NAME monitor=PID ready=0|1 personality=N relax=N".
 * Before it, open, attach and wait may get "progress <text>" messages
 * (the guest's STATUS=); when the guest does not become ready in time or
 * stops first, they get "err <why>" instead. While the container stops, every request but
 * status gets "err stopping monitor=PID"; a request not in this list, or
 * from a peer not allowed it, gets "err request refused".
 *
 * Who may connect: the socket file is the user's, mode 0600, so only the
 * user and root can; the monitor also checks SO_PEERCRED at accept and
 * closes any other peer at once, without giving it a slot. Root and the
 * user each have MONITOR_CLIENTS_PER_UID slots (one cannot starve the
 * other), and a connection that sends no request for MONITOR_IDLE_SEC is
 * closed (one waiting for the guest to become ready is not idle). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define X86NS_RUNDIR   "/run/x86ns"
#define X86NS_STATEDIR "/var/lib/x86ns"
#define X86NS_LOGDIR   "/var/log/x86ns"
#define PROTO_MSG_MAX  1024

/* x86ns-launch's exit status for a user whose configuration selects no
 * guest: pam_x86ns then answers PAM_IGNORE. */
#define EXIT_NOT_SELECTED 2

/* The user-mode network stack (Debian package passt); the launcher runs
 * it, the kernel probe checks that it is there. */
#ifndef X86NS_PASTA
#define X86NS_PASTA "/usr/bin/pasta"
#endif

#define MONITOR_BACKLOG         64
#define MONITOR_CLIENTS_PER_UID 64
#define MONITOR_IDLE_SEC        10

/* "/run/x86ns/<uid>" and its socket. */
int runtime_dir(uid_t uid, char *buf, size_t len);
int runtime_socket_path(uid_t uid, char *buf, size_t len);

/* "/run/x86ns/<uid>/ready": once the guest is ready, its monitor's answer
 * to "wait" ("ok pid=... userns=..."), root-owned, readable by all, removed
 * when the guest stops. Joins that need no cgroup move read it instead of
 * asking; they verify what it names as they verify the monitor's answer. */
#define READY_FILE_NAME       "ready"
#define READY_FILE_TMP_SUFFIX ".new" /* written under this name, then renamed */
int runtime_ready_path(uid_t uid, char *buf, size_t len);
/* Remove the ready file (and a half-written one), if any. */
void runtime_ready_remove(uid_t uid);

/* ready = notify: the sd_notify socket lives in /run/x86ns/<uid>/notify/,
 * which the guest sees read-only at /run/host/notify. */
#define NOTIFY_DIR_NAME        "notify"
#define NOTIFY_SOCKET_NAME     "notify.sock"
#define NOTIFY_SOCKET_IN_GUEST "/run/host/notify/" NOTIFY_SOCKET_NAME

/* Runs in: the launcher, host root. Bind the notify socket (SO_PASSCRED) and
 * hand it and its directory to guest root (root_uid/root_gid). */
int runtime_notify_create(uid_t uid, uid_t root_uid, gid_t root_gid, int *ret_fd);
/* Remove the notify directory, if any, and whatever is in it (guest root
 * owned it): no symbolic link is followed, no other file system entered. */
int runtime_notify_remove(uid_t uid);

/* Connect to the monitor of uid's container: -ENOENT or -ECONNREFUSED when
 * no container runs. */
int monitor_connect(uid_t uid, int *ret_fd);

/* Runs in: the launcher, host root. Bind and listen on uid's socket (an
 * old one is replaced). */
int monitor_listen(uid_t uid, int *ret_fd);

int proto_send(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Receive one message, NUL-terminated, waiting at most timeout_ms (-1 =
 * forever). -ETIMEDOUT, -ECONNRESET on EOF. */
int proto_recv(int fd, char *buf, size_t len, int timeout_ms);

/* Copy the value of key from "ok a=1 b=2" into buf. -ENOENT if absent. */
int proto_get(const char *msg, const char *key, char *buf, size_t len);
int proto_get_u64(const char *msg, const char *key, unsigned long long *ret);

/* Send one request and wait for its final reply (skipping "progress"
 * messages, which are passed to on_progress when it is not NULL).
 * A reply "err X" becomes -EPROTO with the message left in reply. */
int proto_call(int fd, const char *request, char *reply, size_t len, int timeout_ms,
	       void (*on_progress)(const char *text, void *userdata), void *userdata);
