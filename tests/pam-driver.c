/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pam-driver: drive a PAM session through the real libpam, the way a login
 * program does, for the PAM integration tests.
 *
 *   pam-driver --confdir DIR --service NAME --user USER [--tty TTY]
 *              [--rhost HOST] [--hold-fd N] [--fork-end] [--snapshot]
 *
 * Prints, one per line: "open=<pam_strerror>", "env NAME=VALUE" for each
 * pam_getenvlist entry, "msg <text>" for each message the modules send,
 * "close=<pam_strerror>". --hold-fd N prints "holding" and waits for a line
 * (or EOF) on fd N before closing the session. --fork-end forks after the
 * open; the child calls pam_end(PAM_SUCCESS | PAM_DATA_SILENT) and exits, as
 * sshd's session child does. --snapshot records the caller's process state
 * (namespaces, cwd, root, umask, credentials, capabilities, signal
 * dispositions and mask, threads, fds, cgroup, environment) before and after
 * pam_open_session and after pam_close_session, and prints
 * "state-unchanged=yes|no" and "state-unchanged-after-close=yes|no", each after
 * its "diff ..." lines. A new close-on-exec socket connected to the socket
 * /dev/log names is syslog's and allowed ("note ..." line).
 * Exit status: 0 when open and close both succeeded, 1 otherwise, 2 on usage.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <security/pam_appl.h>

#include "util.h"

struct options {
	const char *confdir;
	const char *service;
	const char *user;
	const char *tty;
	const char *rhost;
	int hold_fd;
	bool fork_end;
	bool snapshot;
	const char *sigchld;
	int rounds;
};

/* A snapshot is a list of "key=value" strings; keys are unique. */
struct snapshot {
	char **items;
	size_t count;
	size_t capacity;
};

extern char **environ;

static void snapshot_free(struct snapshot *snap)
{
	for (size_t i = 0; i < snap->count; i++)
		free(snap->items[i]);
	free(snap->items);
	*snap = (struct snapshot){ 0 };
}

static void die_oom(void)
{
	fputs("pam-driver: out of memory\n", stderr);
	exit(1);
}

__attribute__((format(printf, 2, 3))) static void snapshot_add(struct snapshot *snap,
							       const char *fmt, ...)
{
	va_list ap;
	char *item;

	if (snap->count == snap->capacity) {
		size_t capacity = snap->capacity ? snap->capacity * 2 : 256;
		char **items = realloc(snap->items, capacity * sizeof(*items));
		if (!items)
			die_oom();
		snap->items = items;
		snap->capacity = capacity;
	}
	va_start(ap, fmt);
	if (vasprintf(&item, fmt, ap) < 0)
		die_oom();
	va_end(ap);
	snap->items[snap->count++] = item;
}

/* Value part of the item with KEY, or NULL. */
static const char *snapshot_find(const struct snapshot *snap, const char *key, size_t key_len)
{
	for (size_t i = 0; i < snap->count; i++)
		if (strncmp(snap->items[i], key, key_len) == 0 && snap->items[i][key_len] == '=')
			return snap->items[i] + key_len + 1;
	return NULL;
}

static void snapshot_add_link(struct snapshot *snap, const char *key, int dirfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0)
		snapshot_add(snap, "%s=error:%s", key, strerror(errno));
	else
		snapshot_add(snap, "%s=%.*s", key, (int)n, target);
}

static void snapshot_namespaces(struct snapshot *snap)
{
	DIR *dir = opendir("/proc/self/ns");
	struct dirent *entry;
	char key[300];

	if (!dir) {
		snapshot_add(snap, "ns=error:%s", strerror(errno));
		return;
	}
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(key, sizeof(key), "ns.%s", entry->d_name);
		snapshot_add_link(snap, key, dirfd(dir), entry->d_name);
	}
	closedir(dir);
}

/* Lines of /proc/self/status that describe credentials and confinement. */
static void snapshot_status(struct snapshot *snap)
{
	static const char *const fields[] = {
		"Umask",  "Uid",    "Gid",    "Groups", "Threads",    "CapInh",
		"CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
	};
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[4096];

	if (!f) {
		snapshot_add(snap, "status=error:%s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *value;
		if (!colon)
			continue;
		*colon = '\0';
		value = colon + 1 + strspn(colon + 1, " \t");
		value[strcspn(value, "\n")] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
			if (strcmp(line, fields[i]) == 0)
				snapshot_add(snap, "status.%s=%s", line, value);
	}
}

static void snapshot_signals(struct snapshot *snap)
{
	sigset_t blocked;
	unsigned long long mask = 0;

	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		struct sigaction sa;
		unsigned long long sa_mask = 0;
		if (sigaction(sig, NULL, &sa) < 0) {
			snapshot_add(snap, "signal.%d=error:%s", sig, strerror(errno));
			continue;
		}
		for (int s = 1; s <= 64 && s < NSIG; s++)
			if (sigismember(&sa.sa_mask, s) == 1)
				sa_mask |= 1ULL << (s - 1);
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			snapshot_add(snap, "signal.%d=handler:%s flags:%#x mask:%#llx", sig,
				     sa.sa_handler == SIG_DFL ? "default" : "ignore",
				     (unsigned)sa.sa_flags, sa_mask);
		else
			snapshot_add(snap, "signal.%d=handler:%p flags:%#x mask:%#llx", sig,
				     (void *)sa.sa_handler, (unsigned)sa.sa_flags, sa_mask);
	}
	pthread_sigmask(SIG_BLOCK, NULL, &blocked);
	for (int s = 1; s <= 64 && s < NSIG; s++)
		if (sigismember(&blocked, s) == 1)
			mask |= 1ULL << (s - 1);
	snapshot_add(snap, "sigprocmask=%#llx", mask);
}

/* " peer=PATH" for a unix socket connected to a path, plus " syslog" when
 * PATH is the socket /dev/log leads to (on systemd hosts a symlink). */
static void describe_peer(int fd, char *buf, size_t size)
{
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);
	char path[sizeof(addr.sun_path) + 1];
	struct stat peer_st, log_st;
	bool syslog;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&addr, &len) < 0 || addr.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || addr.sun_path[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%.*s", (int)(len - offsetof(struct sockaddr_un, sun_path)),
		 addr.sun_path);
	syslog = stat(path, &peer_st) == 0 && stat("/dev/log", &log_st) == 0 &&
		 peer_st.st_dev == log_st.st_dev && peer_st.st_ino == log_st.st_ino;
	snprintf(buf, size, " peer=%s%s", path, syslog ? " syslog" : "");
}

static void snapshot_fds(struct snapshot *snap)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;

	if (!dir) {
		snapshot_add(snap, "fd=error:%s", strerror(errno));
		return;
	}
	while ((entry = readdir(dir))) {
		char target[PATH_MAX], peer[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
		int fd = atoi(entry->d_name);
		int flags;
		ssize_t n;

		if (entry->d_name[0] == '.' || fd == dirfd(dir))
			continue;
		n = readlinkat(dirfd(dir), entry->d_name, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		flags = fcntl(fd, F_GETFD);
		describe_peer(fd, peer, sizeof(peer));
		snapshot_add(snap, "fd.%d=%s cloexec=%d%s", fd, target,
			     flags >= 0 && (flags & FD_CLOEXEC) ? 1 : 0, peer);
	}
	closedir(dir);
}

static void snapshot_take(struct snapshot *snap)
{
	char path[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];

	snapshot_namespaces(snap);
	snapshot_add(snap, "cwd=%s", getcwd(path, sizeof(path)) ? path : strerror(errno));
	snapshot_add_link(snap, "root", AT_FDCWD, "/proc/self/root");
	snapshot_status(snap);
	snapshot_add(snap, "dumpable=%d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	snapshot_signals(snap);
	snapshot_fds(snap);
	f = fopen("/proc/self/cgroup", "re");
	for (int i = 0; f && fgets(line, sizeof(line), f); i++) {
		line[strcspn(line, "\n")] = '\0';
		snapshot_add(snap, "cgroup.%d=%s", i, line);
	}
	for (size_t i = 0; environ && environ[i]; i++)
		snapshot_add(snap, "environ.%zu=%s", i, environ[i]);
}

static bool is_syslog_socket(const char *item)
{
	size_t len = strlen(item);

	return strncmp(item, "fd.", 3) == 0 && strstr(item, "=socket:") &&
	       strstr(item, " cloexec=1 peer=") && len > 7 &&
	       strcmp(item + len - 7, " syslog") == 0;
}

/* Print "diff" lines for every difference; return true when there is none. */
static bool snapshot_compare(const struct snapshot *before, const struct snapshot *after)
{
	bool same = true;

	for (size_t i = 0; i < before->count; i++) {
		const char *item = before->items[i];
		size_t key_len = strcspn(item, "=");
		const char *now = snapshot_find(after, item, key_len);
		if (!now) {
			printf("diff gone %s\n", item);
			same = false;
		} else if (strcmp(now, item + key_len + 1) != 0) {
			printf("diff changed %.*s: %s -> %s\n", (int)key_len, item,
			       item + key_len + 1, now);
			same = false;
		}
	}
	for (size_t i = 0; i < after->count; i++) {
		const char *item = after->items[i];
		if (snapshot_find(before, item, strcspn(item, "=")))
			continue;
		if (is_syslog_socket(item)) {
			printf("note new syslog socket %s\n", item);
			continue;
		}
		printf("diff new %s\n", item);
		same = false;
	}
	return same;
}

static void snapshot_print(const char *label, const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->count; i++)
		printf("%s %s\n", label, snap->items[i]);
}

/* Print the modules' messages; refuse prompts (sessions never ask). */
static int conversation(int count, const struct pam_message **msgs, struct pam_response **ret,
			void *data)
{
	struct pam_response *replies = calloc((size_t)count, sizeof(*replies));

	if (!replies)
		return PAM_BUF_ERR;
	for (int i = 0; i < count; i++) {
		switch (msgs[i]->msg_style) {
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO: printf("msg %s\n", msgs[i]->msg ? msgs[i]->msg : ""); break;
		default:
			printf("msg (prompt refused) %s\n", msgs[i]->msg ? msgs[i]->msg : "");
			free(replies);
			return PAM_CONV_ERR;
		}
	}
	*ret = replies;
	return PAM_SUCCESS;
}

static void usage(void)
{
	fputs("usage: pam-driver --confdir DIR --service NAME --user USER [--tty TTY]\n"
	      "                  [--rhost HOST] [--hold-fd N] [--fork-end] [--snapshot]\n"
	      "                  [--sigchld reap|ignore|nocldwait] [--rounds N]\n",
	      stderr);
	exit(2);
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "service", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "tty", required_argument, NULL, 't' },
		{ "rhost", required_argument, NULL, 'r' },
		{ "hold-fd", required_argument, NULL, 'H' },
		{ "fork-end", no_argument, NULL, 'f' },
		{ "snapshot", no_argument, NULL, 'S' },
		{ "sigchld", required_argument, NULL, 'C' },
		{ "rounds", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	*opt = (struct options){ .hold_fd = -1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opt->confdir = optarg; break;
		case 's': opt->service = optarg; break;
		case 'u': opt->user = optarg; break;
		case 't': opt->tty = optarg; break;
		case 'r': opt->rhost = optarg; break;
		case 'f': opt->fork_end = true; break;
		case 'S': opt->snapshot = true; break;
		case 'C': opt->sigchld = optarg; break;
		case 'R': opt->rounds = atoi(optarg); break;
		case 'H':
			errno = 0;
			opt->hold_fd = (int)strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || opt->hold_fd < 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || !opt->confdir || !opt->service || !opt->user)
		usage();
}

/* Child: what a login program's session child does with its copy of the
 * handle: end it without tearing the session down. */
static void fork_and_end_in_child(pam_handle_t *pamh)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("fork-end error=%s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		int r = pam_end(pamh, PAM_SUCCESS | PAM_DATA_SILENT);
		printf("fork-end child pam_end=%s\n", pam_strerror(NULL, r));
		fflush(stdout);
		_exit(r == PAM_SUCCESS ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	printf("fork-end child-exit=%d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void wait_for_line(int fd)
{
	char c;
	ssize_t n;

	printf("holding\n");
	fflush(stdout);
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
	}
}

static void print_env(pam_handle_t *pamh)
{
	char **env = pam_getenvlist(pamh);

	for (size_t i = 0; env && env[i]; i++) {
		printf("env %s\n", env[i]);
		free(env[i]);
	}
	free(env);
}

/* A caller with its own SIGCHLD policy, as sshd and su have: the module
 * must still get its helper's status and leave the policy as it was. */
static volatile sig_atomic_t reaped_by_handler;
static void reap_all(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped_by_handler++;
}

static void install_sigchld(const char *mode)
{
	struct sigaction sa = { 0 };
	if (strcmp(mode, "reap") == 0) {
		sa.sa_handler = reap_all;
	} else if (strcmp(mode, "ignore") == 0) {
		sa.sa_handler = SIG_IGN;
	} else if (strcmp(mode, "nocldwait") == 0) {
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = SA_NOCLDWAIT;
	} else {
		usage();
	}
	sigaction(SIGCHLD, &sa, NULL);
}

/* --rounds N: open and close N sessions; fds must not grow. */
static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;
}

static int run_rounds(pam_handle_t *pamh, int rounds)
{
	int before = count_fds(), failures = 0;
	for (int i = 0; i < rounds; i++) {
		if (pam_open_session(pamh, 0) != PAM_SUCCESS ||
		    pam_close_session(pamh, 0) != PAM_SUCCESS)
			failures++;
	}
	printf("rounds=%d failures=%d fds-before=%d fds-after=%d\n", rounds, failures, before,
	       count_fds());
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct pam_conv conv = { conversation, NULL };
	struct snapshot before = { 0 }, after_open = { 0 }, after_close = { 0 };
	struct options opt;
	pam_handle_t *pamh = NULL;
	int r, open_r, close_r = PAM_SESSION_ERR;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv, &opt);
	r = pam_start_confdir(opt.service, opt.user, &conv, opt.confdir, &pamh);
	if (r != PAM_SUCCESS) {
		printf("start=%s\n", pam_strerror(pamh, r));
		return 1;
	}
	if (opt.tty)
		pam_set_item(pamh, PAM_TTY, opt.tty);
	if (opt.rhost)
		pam_set_item(pamh, PAM_RHOST, opt.rhost);

	if (opt.sigchld)
		install_sigchld(opt.sigchld);
	if (opt.rounds > 0) {
		r = run_rounds(pamh, opt.rounds);
		pam_end(pamh, PAM_SUCCESS);
		return r;
	}
	if (opt.snapshot)
		snapshot_take(&before);
	open_r = pam_open_session(pamh, 0);
	if (opt.snapshot)
		snapshot_take(&after_open);
	printf("open=%s\n", pam_strerror(pamh, open_r));
	if (opt.snapshot) {
		snapshot_print("before", &before);
		snapshot_print("after-open", &after_open);
		printf("state-unchanged=%s\n",
		       snapshot_compare(&before, &after_open) ? "yes" : "no");
	}
	if (open_r == PAM_SUCCESS)
		print_env(pamh);
	if (open_r == PAM_SUCCESS && opt.fork_end)
		fork_and_end_in_child(pamh);
	if (opt.hold_fd >= 0)
		wait_for_line(opt.hold_fd);

	if (open_r == PAM_SUCCESS) {
		close_r = pam_close_session(pamh, 0);
		printf("close=%s\n", pam_strerror(pamh, close_r));
	} else {
		printf("close=not-called\n");
	}
	if (opt.snapshot) {
		snapshot_take(&after_close);
		snapshot_print("after-close", &after_close);
		printf("state-unchanged-after-close=%s\n",
		       snapshot_compare(&before, &after_close) ? "yes" : "no");
	}
	if (opt.sigchld)
		printf("sigchld-handler-reaped=%d\n", (int)reaped_by_handler);
	pam_end(pamh, open_r == PAM_SUCCESS ? close_r : open_r);
	snapshot_free(&before);
	snapshot_free(&after_open);
	snapshot_free(&after_close);
	return open_r == PAM_SUCCESS && close_r == PAM_SUCCESS ? 0 : 1;
}
