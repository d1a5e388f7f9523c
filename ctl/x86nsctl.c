/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl: the administrator's view of the containers.
 *
 * Runs in: an administrator's shell, as root, host namespaces. It resolves
 * users with NSS (it is a host tool: no guest file is in view when it does)
 * and leaves all container work to the launcher and the monitors. */

#include "caps.h"
#include "check.h"
#include "config.h"
#include "error.h"
#include "guest.h"
#include "join.h"
#include "proto.h"
#include "pty.h"
#include "spawn.h"
#include "sshd-policy.h"
#include "cli.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#define EXIT_NOT_RUNNING 3

static const char *config_path = X86NS_CONFIG_PATH;

static const char usage[] = "usage: x86nsctl [--config FILE] COMMAND\n"
			    "       x86nsctl list\n"
			    "       x86nsctl status USER\n"
			    "       x86nsctl start USER\n"
			    "       x86nsctl stop USER\n"
			    "       x86nsctl reset USER [GUEST]\n"
			    "       x86nsctl exec USER [--user] -- COMMAND [ARG...]\n"
			    "       x86nsctl check-config [--config FILE]\n"
			    "       x86nsctl check [-v] [--sshd-config FILE]\n"
			    "       x86nsctl check-sshd [--sshd-config FILE]\n"
			    "       x86nsctl sshd-config\n"
			    "       x86nsctl guest create NAME --suite SUITE --arch amd64|i386 "
			    "[--include PKGS] [--dir DIR]\n";

struct user_info {
	struct passwd pw;
	char buf[8192];
};

/* -ENOENT: no such user (or NSS could not say). */
static int user_lookup(const char *name, struct user_info *u)
{
	struct passwd *res = NULL;
	if (getpwnam_r(name, &u->pw, u->buf, sizeof(u->buf), &res) != 0 || !res)
		return -ENOENT;
	return 0;
}

static int launcher_path(char *buf, size_t len)
{
	/* Next to x86nsctl when run from the build tree, else the installed one. */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (xsnprintf(buf, len, "%s/x86ns-launch", self) >= 0 &&
			    access(buf, X_OK) == 0)
				return 0;
		}
	}
	return xsnprintf(buf, len, "%s/x86ns-launch", X86NS_LIBEXECDIR);
}

/* Run the launcher: its exit status, or -errno and e. */
static int run_launcher(char **argv, struct error *e)
{
	char path[4096];
	if (launcher_path(path, sizeof(path)) < 0)
		return error_set_text(e, "launcher", -ENAMETOOLONG, "launcher path too long");
	pid_t pid = fork();
	if (pid < 0)
		return error_set(e, "fork", negerrno(), "fork");
	if (pid == 0) {
		char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		execve(path, argv, envp);
		fprintf(stderr, "x86nsctl: cannot execute %s: %m\n", path);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(e, "wait", negerrno(), "wait");
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
}

static int status_query(uid_t uid, char *reply, size_t len)
{
	_cleanup_close_ int fd = -1;
	int r = monitor_connect(uid, &fd);
	if (r < 0)
		return r;
	return proto_call(fd, "status", reply, len, 5000, NULL, NULL);
}

static int cmd_list(void)
{
	DIR *d = opendir(X86NS_RUNDIR);
	printf("%-16s %-8s %-12s %-8s %-9s %-10s %s\n", "USER", "UID", "GUEST", "PID", "SESSIONS",
	       "UPTIME", "STATE");
	if (!d)
		return EXIT_SUCCESS;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint32_t uid;
		if (parse_u32(de->d_name, &uid) < 0)
			continue;
		char reply[PROTO_MSG_MAX], user[64] = "?", guest[64] = "?", pid[16] = "?",
					   sessions[16] = "?", uptime[24] = "?", state[16] = "?";
		if (status_query(uid, reply, sizeof(reply)) < 0)
			continue;
		proto_get(reply, "user", user, sizeof(user));
		proto_get(reply, "guest", guest, sizeof(guest));
		proto_get(reply, "pid", pid, sizeof(pid));
		proto_get(reply, "sessions", sessions, sizeof(sessions));
		proto_get(reply, "uptime", uptime, sizeof(uptime));
		proto_get(reply, "state", state, sizeof(state));
		char *col[] = { user, guest, pid, sessions, uptime, state };
		char safe[ARRAY_SIZE(col)][64];
		for (size_t i = 0; i < ARRAY_SIZE(col); i++)
			text_escape(col[i], safe[i], sizeof(safe[i]));
		printf("%-16s %-8u %-12s %-8s %-9s %-10s %s\n", safe[0], uid, safe[1], safe[2],
		       safe[3], safe[4], safe[5]);
	}
	closedir(d);
	return EXIT_SUCCESS;
}

static int cmd_status(const char *name)
{
	struct user_info u;
	if (user_lookup(name, &u) < 0)
		cli_die("unknown user '%s'", name);
	char reply[PROTO_MSG_MAX];
	int r = status_query(u.pw.pw_uid, reply, sizeof(reply));
	if (r == -ENOENT || r == -ECONNREFUSED) {
		printf("%s: not running\n", name);
		return EXIT_NOT_RUNNING;
	}
	/* The monitor escapes what the guest wrote (STATUS=, the console);
	 * this terminal gets escaped text again, whatever the reply holds. */
	char safe[4 * PROTO_MSG_MAX];
	if (r < 0)
		cli_die("status of %s: %s", name,
			r == -EPROTO ? text_escape(reply, safe, sizeof(safe)) : strerror(-r));
	static const char *const keys[] = { "state",    "guest",   "translator", "pid",
					    "sessions", "uptime",  "ready",      "monitor",
					    "network",  "net-pid", "landlock",   "translation" };
	printf("%s:\n", name);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char v[160];
		if (proto_get(reply + 3, keys[i], v, sizeof(v)) < 0 ||
		    (strcmp(keys[i], "net-pid") == 0 && strcmp(v, "0") == 0))
			continue;
		/* The plan's stand-in, said in words (lib/plan.h). */
		if (strcmp(v, "private-for-landlock") == 0)
			snprintf(v, sizeof(v),
				 "private (pasta; stands in for the Landlock scoping "
				 "this kernel lacks)");
		else if (strcmp(v, "host-binfmt") == 0)
			snprintf(v, sizeof(v),
				 "host-binfmt (the host's binfmt_misc registrations; "
				 "this kernel has no per-container one)");
		printf("  %-11s %s%s\n", keys[i], text_escape(v, safe, sizeof(safe)),
		       strcmp(keys[i], "uptime") == 0 ? " s" : "");
	}
	const char *boot = strstr(reply, " boot-status=");
	if (boot && boot[13])
		printf("  %-11s %s\n", "boot", text_escape(boot + 13, safe, sizeof(safe)));
	return EXIT_SUCCESS;
}

static int cmd_start(const char *name)
{
	struct user_info u;
	if (user_lookup(name, &u) < 0)
		cli_die("unknown user '%s'", name);
	char uid[16], gid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)u.pw.pw_uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)u.pw.pw_gid);
	char *argv[12 + 2 * 32] = { "x86ns-launch", "start",     "--user",   u.pw.pw_name,
				    "--uid",        uid,         "--gid",    gid,
				    "--home",       u.pw.pw_dir, "--config", (char *)config_path };
	size_t n = 12;
	gid_t gids[32];
	int ng = 32;
	static char names[32][64];
	if (getgrouplist(u.pw.pw_name, u.pw.pw_gid, gids, &ng) < 0)
		ng = 32;
	for (int i = 0; i < ng; i++) {
		struct group *g = getgrgid(gids[i]);
		if (!g)
			continue;
		snprintf(names[i], sizeof(names[i]), "%s", g->gr_name);
		argv[n++] = "--group";
		argv[n++] = names[i];
	}
	argv[n] = NULL;
	struct error e = { 0 };
	int r = run_launcher(argv, &e);
	if (r < 0)
		cli_die("%s", e.message);
	if (r == 2)
		cli_die("%s is not selected by the configuration (no guest)", name);
	return r;
}

static int cmd_stop(const char *name)
{
	struct user_info u;
	if (user_lookup(name, &u) < 0)
		cli_die("unknown user '%s'", name);
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)u.pw.pw_uid);
	char *argv[] = { "x86ns-launch", "stop", "--uid", uid, NULL };
	struct error e = { 0 };
	int r = run_launcher(argv, &e);
	if (r < 0)
		cli_die("%s", e.message);
	return r;
}

static int cmd_reset(const char *name, const char *guest)
{
	struct user_info u;
	if (user_lookup(name, &u) < 0)
		cli_die("unknown user '%s'", name);
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)u.pw.pw_uid);
	char *argv[] = { "x86ns-launch",           "reset",       "--uid", uid,
			 guest ? "--guest" : NULL, (char *)guest, NULL };
	struct error e = { 0 };
	int r = run_launcher(argv, &e);
	if (r < 0)
		cli_die("%s", e.message);
	return r;
}

/* Runs CMD inside the container as guest root, or as the user with --user. */
/* The first executable NAME in the guest's PATH (NAME itself when it has
 * a '/'). Runs in: x86nsctl exec, inside the guest's mount namespace. */
static int resolve_in_guest_path(const char *name, const char *search, char *buf, size_t len)
{
	if (strchr(name, '/'))
		return xsnprintf(buf, len, "%s", name) < 0 || access(buf, X_OK) < 0 ? -ENOENT : 0;
	char dirs[256];
	if (xsnprintf(dirs, sizeof(dirs), "%s", search) < 0)
		return -ENAMETOOLONG;
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if (xsnprintf(buf, len, "%s/%s", d, name) >= 0 && access(buf, X_OK) == 0)
			return 0;
	return -ENOENT;
}

static int cmd_exec(const char *name, bool as_user, char **cmd)
{
	struct user_info u;
	if (user_lookup(name, &u) < 0)
		cli_die("unknown user '%s'", name);
	uid_t uid = u.pw.pw_uid;
	gid_t gid = u.pw.pw_gid;
	struct container_ref c;
	struct error why = { 0 };
	int r = container_find(uid, false, &c, &why, NULL);
	if (r == -ENOENT)
		cli_die("no container runs for %s", name);
	if (r < 0)
		cli_die("cannot find the container of %s: %s", name,
			r == -EPROTO ? why.message : strerror(-r));
	r = container_join(&c);
	if (r < 0)
		cli_die("cannot enter the container of %s: %s", name, strerror(-r));
	r = container_confine(&c);
	if (r < 0)
		cli_die("cannot confine the command as the guest is confined: %s", strerror(-r));
	container_ref_done(&c);
	r = as_user ? container_become(uid, gid) : container_become(0, 0);
	if (r < 0)
		cli_die("cannot become %s in the guest: %s", as_user ? name : "guest root",
			strerror(-r));
	/* Forked by the guest's spawner, inside the guest's Landlock domain,
	 * like the user's logins. */
	static const char guest_path[] =
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char path[4096];
	if (resolve_in_guest_path(cmd[0], guest_path, path, sizeof(path)) < 0)
		cli_die("%s: not found in the guest (PATH=%s)", cmd[0], guest_path);
	char home[600];
	snprintf(home, sizeof(home), "HOME=%s", as_user ? u.pw.pw_dir : "/root");
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "TERM=dumb", home, NULL };
	/* The administrator's terminal never reaches guest code: a terminal
	 * among fds 0-2 is replaced by a pty of the guest's, relayed until
	 * the command ends. */
	struct pty_stdio io;
	r = pty_stdio_open(&io);
	if (r < 0)
		cli_die("cannot allocate a terminal in the guest: %s", strerror(-r));
	bool tty = r > 0;
	struct spawn_request req = { .tty = tty,
				     .cwd = as_user ? u.pw.pw_dir : "/",
				     .path = path,
				     .argv = cmd,
				     .envp = envp,
				     .fds = { io.fds[0], io.fds[1], io.fds[2] } };
	struct spawned session;
	struct error e = { 0 };
	r = spawn_session(&req, &session, &e);
	if (r < 0 && strcmp(e.step, "exec") == 0)
		cli_die("cannot execute %s in the guest: %s", path, strerror(-r));
	if (r < 0)
		cli_die("%s", e.message);
	int status;
	r = spawned_run(&session, &io, &status, &e);
	if (r < 0)
		cli_die("%s", e.message);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_check_config(int argc, char **argv)
{
	const char *path = config_path;
	if (argc >= 2 && strcmp(argv[0], "--config") == 0)
		path = argv[1];
	else if (argc > 0)
		cli_die("check-config takes only [--config FILE]");
	_cleanup_free_ char *dropins = config_dropin_dir(path);
	char err[CONFIG_ERROR_MAX];
	struct config *c = NULL;
	if (config_load(path, dropins, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	printf("%s: ok, %zu guest(s)\n", path, config_n_guests(c));
	for (size_t i = 0; i < config_n_guests(c); i++) {
		const struct guest_config *g = config_guest(c, i);
		printf("  guest %-12s root=%s init=%s translator=%s\n", g->name, g->root,
		       g->init ? g->init : "builtin", g->translator ? g->translator : "none");
	}
	config_free(c);
	return EXIT_SUCCESS;
}

/* check [-v] [--sshd-config FILE], check-sshd [--sshd-config FILE]. */
static int cmd_check(bool sshd_only, int argc, char **argv)
{
	bool verbose = false;
	const char *sshd_config = SSHD_CONFIG_DEFAULT;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0 && !sshd_only)
			verbose = true;
		else if (strcmp(argv[i], "--sshd-config") == 0 && i + 1 < argc)
			sshd_config = argv[++i];
		else
			cli_die("check: unknown argument '%s'\n%s", argv[i], usage);
	}
	if (sshd_only)
		return check_sshd_only(stdout, config_path, sshd_config) ? EXIT_FAILURE
									 : EXIT_SUCCESS;
	return check_system(stdout, verbose, config_path, sshd_config) ? EXIT_FAILURE
								       : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	cli.prefix = "x86nsctl";
	if (argc >= 3 && strcmp(argv[1], "--config") == 0) {
		config_path = argv[2];
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(argc - 2, argv + 2);
	if (strcmp(cmd, "check") == 0 || strcmp(cmd, "check-sshd") == 0)
		return cmd_check(strcmp(cmd, "check-sshd") == 0, argc - 2, argv + 2);
	if (strcmp(cmd, "sshd-config") == 0)
		return sshd_policy_print_snippet(stdout, config_path) < 0 ? EXIT_FAILURE
									  : EXIT_SUCCESS;
	if (geteuid() != 0)
		cli_die("%s needs root", cmd);
	if (strcmp(cmd, "guest") == 0)
		return guest_main(argc - 2, argv + 2);
	if (strcmp(cmd, "list") == 0)
		return cmd_list();
	if (argc < 3)
		cli_die("%s needs a USER\n%s", cmd, usage);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argv[2]);
	if (strcmp(cmd, "start") == 0)
		return cmd_start(argv[2]);
	if (strcmp(cmd, "stop") == 0)
		return cmd_stop(argv[2]);
	if (strcmp(cmd, "reset") == 0)
		return cmd_reset(argv[2], argc > 3 ? argv[3] : NULL);
	if (strcmp(cmd, "exec") == 0) {
		int i = 3;
		bool as_user = false;
		if (i < argc && strcmp(argv[i], "--user") == 0) {
			as_user = true;
			i++;
		}
		if (i < argc && strcmp(argv[i], "--") == 0)
			i++;
		if (i >= argc)
			cli_die("exec needs a COMMAND");
		return cmd_exec(argv[2], as_user, argv + i);
	}
	cli_die("unknown command '%s'\n%s", cmd, usage);
}
