/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pam_x86ns.so: the session module.
 *
 * Runs in: the PAM application (sshd's privileged monitor, login, su), as
 * root. It stays thin: it resolves the user once with NSS, starts the
 * launcher with a fixed environment and waits for it, and never calls
 * setns/unshare/chdir/setuid, creates threads, exits, or leaves a signal
 * handler, umask or credential of the caller changed. The launcher makes
 * sure the container runs and records the session; x86ns-shell joins it.
 *
 *   session required|optional pam_x86ns.so [config=FILE] [debug]
 *                                          [launcher=PATH]
 */

#include "audit-record.h"
#include "config.h"
#include "launch-proto.h"
#include "proto.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#define LAUNCHER_DEFAULT X86NS_LIBEXECDIR "/x86ns-launch"
#define SESSION_DATA     "x86ns_session"

/* What open_session leaves for close_session (pam_set_data). */
struct session_data {
	pid_t pid; /* the process that holds the session */
	char guest[64];
	char vm_pid[16]; /* the container's init */
};
#define LAUNCH_TIMEOUT_MS (10 * 60 * 1000)
#define LAUNCH_OUTPUT_MAX 2048

struct module_args {
	const char *config;
	const char *launcher;
	bool debug;
};

static int parse_module_args(pam_handle_t *pamh, int argc, const char **argv, struct module_args *a)
{
	*a = (struct module_args){ .config = X86NS_CONFIG_PATH, .launcher = LAUNCHER_DEFAULT };
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			a->config = argv[i] + 7;
		else if (strncmp(argv[i], "launcher=", 9) == 0 && argv[i][9] == '/')
			a->launcher = argv[i] + 9;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or malformed argument '%s'", argv[i]);
			pam_error(pamh,
				  "x86ns: the PAM configuration of this service is wrong "
				  "(unknown or malformed argument '%s')",
				  argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Output of one launcher run. */
struct launch_result {
	int exit_status; /* -1: killed or not run */
	char out[LAUNCH_OUTPUT_MAX];
	char err[LAUNCH_OUTPUT_MAX];
};

static void read_into(int fd, char *buf, size_t *len, size_t max)
{
	ssize_t n = read(fd, buf + *len, max - 1 - *len);
	if (n > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/* Collect stdout/stderr until both close and the child exits, with a bound. */
static int collect(pid_t pid, int pidfd, int out_fd, int err_fd, struct launch_result *res)
{
	size_t out_len = 0, err_len = 0;
	struct pollfd p[3] = { { .fd = out_fd, .events = POLLIN },
			       { .fd = err_fd, .events = POLLIN },
			       { .fd = pidfd, .events = POLLIN } };
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (p[0].fd >= 0 || p[1].fd >= 0 || p[2].fd >= 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= LAUNCH_TIMEOUT_MS) {
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			break;
		}
		int r = poll(p, 3, (int)(LAUNCH_TIMEOUT_MS - elapsed));
		if (r < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			size_t before = out_len;
			read_into(out_fd, res->out, &out_len, sizeof(res->out));
			if (out_len == before)
				p[0].fd = -1;
		}
		if (p[1].revents) {
			size_t before = err_len;
			read_into(err_fd, res->err, &err_len, sizeof(res->err));
			if (err_len == before)
				p[1].fd = -1;
		}
		if (p[2].revents)
			p[2].fd = -1;
	}
	siginfo_t si = { 0 };
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
		return negerrno();
	(void)pid;
	res->exit_status = si.si_code == CLD_EXITED ? si.si_status : -1;
	return 0;
}

/* fork + execve of the launcher with a fixed environment. SIGCHLD is set
 * to default and blocked only for the duration, so neither the caller's
 * handler nor SA_NOCLDWAIT can steal the launcher's status; the caller's
 * disposition and mask are restored before returning. */
static int run_launcher(const char *launcher, char *const argv[], struct launch_result *res)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, saved_action;
	sigset_t chld, saved_mask;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* Touch the disposition only when it is not already the default, so
	 * that a caller's state stays bit-for-bit what it was. */
	sigaction(SIGCHLD, NULL, &saved_action);
	bool swap_action =
	    saved_action.sa_handler != SIG_DFL || (saved_action.sa_flags & SA_NOCLDWAIT);
	if (swap_action)
		sigaction(SIGCHLD, &dfl, NULL);
	sigprocmask(SIG_BLOCK, &chld, &saved_mask);

	res->exit_status = -1;
	res->out[0] = res->err[0] = '\0';
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r = 0;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = negerrno();
		goto restore;
	}
	int pidfd = -1;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
	if (pid < 0) {
		r = negerrno();
		goto restore;
	}
	if (pid == 0) {
		static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(127);
		sigprocmask(SIG_SETMASK, &saved_mask, NULL);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		umask(022);
		execve(launcher, argv, envp);
		dprintf(2, "cannot execute %s: %m", launcher);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	r = collect(pid, pidfd, out[0], err[0], res);
	close(pidfd);
restore:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	if (swap_action)
		sigaction(SIGCHLD, &saved_action, NULL);
	return r;
}

/* Keep the first line only: what the user is told is one line. */
static void first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

static bool launcher_trusted(pam_handle_t *pamh, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		pam_syslog(pamh, LOG_ERR,
			   "launcher %s is missing, not root-owned or writable by others", path);
		return false;
	}
	return true;
}

/* The audit record (lib/audit-record.h) with the login's tty and host. */
static void audit_session(pam_handle_t *pamh, const struct audit_record *rec, bool ok)
{
	const void *tty = NULL, *rhost = NULL;
	pam_get_item(pamh, PAM_TTY, &tty);
	pam_get_item(pamh, PAM_RHOST, &rhost);
	audit_record_send(rec, rhost, tty, ok);
}

/* op=start; new_guest is NULL for a start that failed. */
static void audit_start(pam_handle_t *pamh, const char *user, uid_t uid,
			const struct launch_reply *reply, const char *vm_pid, const char *new_guest,
			bool ok)
{
	audit_session(pamh,
		      &(struct audit_record){ .op = "start",
					      .vm = reply->guest,
					      .vm_pid = vm_pid,
					      .user = user,
					      .uid = uid,
					      .translator = reply->translator,
					      .new_guest = new_guest },
		      ok);
}

/* The user's groups as names, for [group] sections. */
static size_t user_groups(const struct passwd *pw, char names[][64], size_t max)
{
	gid_t gids[64];
	int n = 64;
	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0)
		n = 64;
	size_t count = 0;
	for (int i = 0; i < n && count < max; i++) {
		struct group gr, *res = NULL;
		char buf[4096];
		if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &res) == 0 && res)
			snprintf(names[count++], 64, "%s", res->gr_name);
	}
	return count;
}

static void fail_user(pam_handle_t *pamh, const char *user, const char *why)
{
	pam_syslog(pamh, LOG_ERR, "container for %s: %s", user, why);
	pam_error(pamh, "x86ns: %s", why);
}

static void session_data_free(pam_handle_t *pamh, void *data, int error_status)
{
	free(data);
}

/* The launcher's "open" request: its argv and the strings it points to. */
struct open_request {
	char uid[16], gid[16], session_pid[16];
	char groups[32][64];
	const char *argv[24 + 2 * 32];
};

static void open_request_build(const struct passwd *pw, const struct module_args *a,
			       pid_t session_pid, struct open_request *req)
{
	size_t n_groups = user_groups(pw, req->groups, ARRAY_SIZE(req->groups));
	snprintf(req->uid, sizeof(req->uid), "%u", (unsigned)pw->pw_uid);
	snprintf(req->gid, sizeof(req->gid), "%u", (unsigned)pw->pw_gid);
	snprintf(req->session_pid, sizeof(req->session_pid), "%d", (int)session_pid);
	const char *head[] = { "x86ns-launch",  "open",           "--user",
			       pw->pw_name,     "--uid",          req->uid,
			       "--gid",         req->gid,         "--home",
			       pw->pw_dir,      "--gecos",        pw->pw_gecos ? pw->pw_gecos : "",
			       "--session-pid", req->session_pid, "--config",
			       a->config };
	size_t n = 0;
	for (; n < ARRAY_SIZE(head); n++)
		req->argv[n] = head[n];
	for (size_t i = 0; i < n_groups; i++) {
		req->argv[n++] = "--group";
		req->argv[n++] = req->groups[i];
	}
	req->argv[n] = NULL;
}

/* The launcher refused or failed the start: audit it with the guest it
 * named (if it got that far) and tell the user its one line. */
static int open_failed(pam_handle_t *pamh, const char *user, uid_t uid,
		       const struct launch_result *res)
{
	const char *why = res->err[0] ? res->err : "cannot start the container";
	if (strncmp(why, "x86ns: ", 7) == 0)
		why += 7;
	struct launch_reply reply;
	if (launch_reply_parse(res->out, &reply) < 0 || !(reply.fields & LAUNCH_REPLY_GUEST))
		reply = (struct launch_reply){ .guest = "?", .translator = "?" };
	audit_start(pamh, user, uid, &reply, "0", NULL, false);
	fail_user(pamh, user, why);
	return PAM_SESSION_ERR;
}

/* The container runs and has the session: tell the session its guest,
 * audit the start, and leave close_session what it needs. */
static int open_succeeded(pam_handle_t *pamh, const struct module_args *a, const char *user,
			  uid_t uid, pid_t session_pid, const struct launch_reply *reply)
{
	struct session_data *sd = calloc(1, sizeof(*sd));
	if (!sd) {
		fail_user(pamh, user, "out of memory");
		return PAM_SESSION_ERR;
	}
	sd->pid = session_pid;
	snprintf(sd->guest, sizeof(sd->guest), "%s", reply->guest);
	snprintf(sd->vm_pid, sizeof(sd->vm_pid), "%u", (unsigned)reply->init_pid);
	char env[128];
	snprintf(env, sizeof(env), "X86NS_GUEST=%s", sd->guest);
	pam_putenv(pamh, env);
	snprintf(env, sizeof(env), "X86NS_SESSION=%d", (int)session_pid);
	pam_putenv(pamh, env);
	audit_start(pamh, user, uid, reply, sd->vm_pid, reply->started ? "1" : "0", true);
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "session of %s in guest %s (init %s, new=%d)", user,
			   sd->guest, sd->vm_pid, reply->started);

	/* close_session may run in another process (a forked child of the
	 * application): remember which process holds the session. Freeing is
	 * all the cleanup does, so PAM_DATA_SILENT needs no special case. */
	if (pam_set_data(pamh, SESSION_DATA, sd, session_data_free) != PAM_SUCCESS)
		free(sd);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct module_args a;
	if (parse_module_args(pamh, argc, argv, &a) < 0)
		return PAM_SESSION_ERR;
	const char *user = NULL;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
		return PAM_USER_UNKNOWN;
	struct passwd pwbuf, *pw = NULL;
	char buf[8192];
	if (getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw) {
		pam_syslog(pamh, LOG_ERR, "cannot resolve user %s", user);
		return PAM_USER_UNKNOWN;
	}
	/* Root is never put in a container (its id cannot be mapped into a
	 * user namespace it owns), so a broken configuration cannot lock the
	 * administrator out. */
	if (pw->pw_uid == 0)
		return PAM_IGNORE;
	if (!launcher_trusted(pamh, a.launcher))
		return PAM_SESSION_ERR;

	pid_t session_pid = getpid();
	struct open_request req;
	open_request_build(pw, &a, session_pid, &req);
	struct launch_result res;
	int r = run_launcher(a.launcher, (char *const *)req.argv, &res);
	first_line(res.err);
	if (r < 0 || res.exit_status < 0) {
		fail_user(pamh, user, "the container launcher did not finish");
		return PAM_SESSION_ERR;
	}
	if (res.exit_status == EXIT_NOT_SELECTED) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "%s is not selected by %s", user, a.config);
		return PAM_IGNORE;
	}
	if (res.exit_status != 0)
		return open_failed(pamh, user, pw->pw_uid, &res);
	/* "guest=NAME translator=PATH|none\npid=N started=0|1\n" */
	struct launch_reply reply;
	if (launch_reply_parse(res.out, &reply) < 0 ||
	    reply.fields != (LAUNCH_REPLY_GUEST | LAUNCH_REPLY_STARTED)) {
		fail_user(pamh, user, "the container launcher's answer is malformed");
		return PAM_SESSION_ERR;
	}
	return open_succeeded(pamh, &a, user, pw->pw_uid, session_pid, &reply);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct module_args a;
	if (parse_module_args(pamh, argc, argv, &a) < 0)
		return PAM_SESSION_ERR;
	const void *data = NULL;
	if (pam_get_data(pamh, SESSION_DATA, &data) != PAM_SUCCESS || !data)
		return PAM_IGNORE; /* open_session did not put this session in a container */
	const char *user = NULL;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user)
		return PAM_SESSION_ERR;
	struct passwd pwbuf, *pw = NULL;
	char buf[8192];
	if (getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw)
		return PAM_SESSION_ERR;
	if (!launcher_trusted(pamh, a.launcher))
		return PAM_SESSION_ERR;
	char uid[16], spid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)pw->pw_uid);
	const struct session_data *sd = data;
	snprintf(spid, sizeof(spid), "%d", (int)sd->pid);
	const char *largv[] = {
		"x86ns-launch", "close", "--uid", uid, "--session-pid", spid, NULL
	};
	struct launch_result res;
	int r = run_launcher(a.launcher, (char *const *)largv, &res);
	first_line(res.err);
	bool ok = r >= 0 && res.exit_status == 0;
	struct launch_reply reply;
	if (launch_reply_parse(res.out, &reply) < 0)
		reply.stopping = false;
	audit_session(pamh,
		      &(struct audit_record){ .op = "stop",
					      .vm = sd->guest,
					      .vm_pid = sd->vm_pid,
					      .user = user,
					      .uid = pw->pw_uid,
					      .stopping = reply.stopping ? "1" : "0" },
		      ok);
	if (!ok) {
		pam_syslog(pamh, LOG_ERR, "closing the container session of %s: %s", user,
			   res.err[0] ? res.err : "launcher failed");
		return PAM_SESSION_ERR;
	}
	return PAM_SUCCESS;
}
