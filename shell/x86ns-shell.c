/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-shell: the login shell of containerized users.
 *
 * Runs in: the user's login process (sshd, login, su), as the user, with no
 * privilege. It never falls back to a host shell: when it cannot join the
 * user's container it says why in one line and exits non-zero.
 *
 *   x86ns-shell            interactive login shell in the guest
 *   x86ns-shell -c CMD     run CMD with the guest's shell, return its status
 *
 * Steps (host side first, then the switch, as nsenter does it):
 *  1. become non-dumpable: nothing in the guest may ptrace us once we join;
 *  2. find the guest's init in the monitor's ready file, or ask the monitor
 *     and wait until the guest is ready; pin the init with a pidfd and
 *     verify its user namespace is the reported one and is owned by us;
 *  3. setns on the pidfd into all of its namespaces;
 *  4. drop to the user's ids inside, give up every capability and load
 *     the shell's own system call filter;
 *  5. have the guest's spawner fork the guest's shell; when any of fds
 *     0-2 is a terminal, the session gets a pty of the guest's devpts in
 *     its place, which we relay: guest code never holds our terminal. */

#include "agent.h"
#include "caps.h"
#include "confine.h"
#include "error.h"
#include "guest_env.h"
#include "join.h"
#include "label.h"
#include "pty.h"
#include "spawn.h"
#include "cli.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define EXIT_CANNOT_JOIN 126

struct shell_args {
	const char *command; /* -c CMD, or NULL */
	bool login;          /* argv[0] starts with '-' or -l */
};

static int parse_args(int argc, char **argv, struct shell_args *a, struct error *e)
{
	a->login = argv[0] && argv[0][0] == '-';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			a->command = argv[++i];
		else if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--login") == 0)
			a->login = true;
		else
			return error_set_text(e, "arguments", -EINVAL,
					      "unsupported argument '%s' (use -c COMMAND)",
					      argv[i]);
	}
	return 0;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILURE;
}

/* argv[0] of the guest shell: "-bash" for a login shell, else "bash". */
static char *shell_argv0(const struct guest_account *acct, const struct shell_args *a, char *buf,
			 size_t len)
{
	const char *base = strrchr(acct->shell, '/');
	base = base ? base + 1 : acct->shell;
	snprintf(buf, len, "%s%s", a->login && !a->command ? "-" : "", base);
	return buf;
}

/* sshd's sftp subsystem (and scp, which speaks sftp): a bare path whose
 * last part is sftp-server. */
static bool is_sftp_server(const char *command)
{
	if (!command || command[0] != '/' || strpbrk(command, " \t;|&$`'\"<>"))
		return false;
	return strcmp(strrchr(command, '/') + 1, "sftp-server") == 0;
}

/* The guest shell, forked by the guest's x86ns-spawner inside the guest's
 * Landlock domain, with fds 0-2 from `fds`. On failure e->step is "exec"
 * when the shell could not be executed. */
static int spawn_guest_shell(const struct guest_account *acct, const struct shell_args *a,
			     char **envp, bool tty, const int fds[3], struct spawned *ret,
			     struct error *e)
{
	char argv0[sizeof(acct->shell) + 1];
	shell_argv0(acct, a, argv0, sizeof(argv0));
	char *argv[] = { argv0, a->command ? "-c" : NULL, (char *)a->command, NULL };
	struct spawn_request req = { .tty = tty,
				     .cwd = acct->home,
				     .path = acct->shell,
				     .argv = argv,
				     .envp = envp,
				     .fds = { fds[0], fds[1], fds[2] } };
	return spawn_session(&req, ret, e);
}

/* On a pty of the guest when any of fds 0-2 is a terminal (pty.h), else
 * with the caller's fds: pipes, sockets, files, as sshd gives them to
 * `ssh host cmd`, scp and sftp. The session's wait status, or -errno and e
 * (step "exec": the guest's shell could not be executed). */
static int run_session(const struct guest_account *acct, const struct shell_args *a, char **envp,
		       int *ret_status, struct error *e)
{
	struct pty_stdio io;
	int r = pty_stdio_open(&io);
	if (r < 0)
		return error_set(e, "terminal", r, "cannot allocate a terminal in the guest");
	bool tty = r > 0;
	if (!tty) {
		/* The wait only relays; signals from sshd would end it, not
		 * the command, as for a plain shell's child. */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	struct spawned session;
	r = spawn_guest_shell(acct, a, envp, tty, io.fds, &session, e);
	if (r < 0)
		return r;
	return spawned_run(&session, &io, ret_status, e);
}

/* A one-line progress message, rewritten in place, for an interactive wait. */
static bool wait_shown;
static void show_wait(unsigned seconds, const char *status)
{
	if (seconds >= 1 && isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[Kx86ns: the guest is starting (%u s)%s%.60s", seconds,
			status[0] ? ": " : "", status);
		wait_shown = true;
	}
}

/* ssh -A: this session's agent, relayed into the guest (shell/agent.h);
 * an sftp-server session has no use for it. A failure is a warning. */
static void agent_start(const struct shell_args *a, uid_t uid, const struct container_ref *c,
			struct agent_forward *agent)
{
	int r;
	if (!is_sftp_server(a->command) &&
	    (r = agent_relay_start(getenv("SSH_AUTH_SOCK"), uid, !(c->relax & RELAX_SECCOMP),
				   agent)) < 0)
		fprintf(stderr, "x86ns-shell: warning: agent forwarding: SSH_AUTH_SOCK: %s\n",
			strerror(-r));
}

/* The agent's socket in the guest, named in envp. A failure is a warning. */
static void agent_listen(struct agent_forward *agent, uid_t uid, char ***envp)
{
	static char agent_env[200];
	int r = 0;
	if (agent->relay && (r = agent_guest_listen(agent, uid, agent_env, sizeof(agent_env))) == 0)
		r = guest_env_add(envp, agent_env);
	if (agent->relay && r < 0) {
		fprintf(stderr,
			"x86ns-shell: warning: agent forwarding: no socket in the guest: %s\n",
			strerror(-r));
		agent_forward_done(agent); /* the relay removes what it was given */
	}
}

/* Host side done: from here on we see only the guest. Joins c's
 * namespaces, takes the user's ids, and confines the relay. */
static int enter_guest(const struct container_ref *c, uid_t uid, gid_t gid,
		       struct agent_forward *agent, char ***envp, struct error *e)
{
	int r = container_join(c);
	if (r < 0)
		return error_set(e, "join", r, "cannot enter the guest '%s'", c->guest);
	/* Every session is forked by the guest's spawner, inside the guest's
	 * Landlock domain and filter: we only relay, under a filter of our own. */
	r = container_become(uid, gid);
	if (r < 0)
		return error_set(e, "ids", r, "cannot take the user's ids in the guest");
	agent_listen(agent, uid, envp);
	r = container_confine_relay(c);
	if (r < 0)
		return error_set(e, "confine", r, "cannot confine the session");
	return 0;
}

/* Finds the user's running guest, waiting while it starts. -EPROTO: the
 * guest refused, e has the monitor's reason as it is. */
static int find_guest(uid_t uid, struct container_ref *c, struct error *e)
{
	/* The session is forked by the guest's spawner, in the container's
	 * cgroup: we need not be in it. */
	int r = container_find(uid, false, c, e, show_wait);
	if (r == -ENOENT)
		return error_set_text(e, "find", r,
				      "no running guest for uid %u (logins start it through "
				      "pam_x86ns; an administrator can run x86nsctl start)",
				      (unsigned)uid);
	if (r < 0 && r != -EPROTO)
		return error_set(e, "find", r, "cannot join the guest of uid %u", (unsigned)uid);
	if (r < 0)
		return r;
	if (wait_shown)
		fputs("\r\033[K", stderr); /* clear the progress line */
	if (!c->ready)
		fprintf(stderr, "x86ns-shell: warning: guest '%s' did not report ready in time\n",
			c->guest);
	return 0;
}

int main(int argc, char **argv)
{
	cli.prefix = "x86ns-shell";
	cli.exit_code = EXIT_CANNOT_JOIN;
	struct shell_args a = { 0 };
	struct error e = { 0 };
	label_probe();
	int r = label_shell_enter_domain(argv);
	if (r < 0)
		cli_die("SELinux did not move the shell into x86ns_shell_t: %s", strerror(-r));
	if (parse_args(argc, argv, &a, &e) < 0)
		cli_die("%s", e.message);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		cli_die("prctl: %m");
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (uid == 0)
		cli_die("root has no guest container; use x86nsctl exec USER -- CMD");

	struct container_ref c;
	r = find_guest(uid, &c, &e);
	if (r == -EPROTO)
		cli_die("the guest refused this session: %s", e.message);
	if (r < 0)
		cli_die("%s", e.message);
	struct agent_forward agent = { .control = -1 };
	agent_start(&a, uid, &c, &agent);
	char **envp = guest_env_build(environ);
	if (!guest_shares_host_network(c.pid) && guest_env_drop_display(envp))
		fprintf(stderr,
			"x86ns-shell: warning: X11 forwarding does not reach guest '%s' (it has a "
			"network of its own; use network = host): DISPLAY is not set\n",
			c.guest);
	if (enter_guest(&c, uid, gid, &agent, &envp, &e) < 0)
		cli_die("%s", e.message);
	char guest[sizeof(c.guest)];
	snprintf(guest, sizeof(guest), "%s", c.guest);
	container_ref_done(&c);

	struct guest_account acct = { 0 };
	guest_account_lookup(uid, &acct);
	r = guest_env_finish(&envp, &acct);
	if (r < 0)
		cli_die("environment: %s", strerror(-r));
	/* No host program runs in the guest: nothing of the guest's (its
	 * ld.so.preload, its NSS) may be loaded outside its walls. sftp and
	 * scp need the guest's own sftp-server. */
	if (is_sftp_server(a.command) && access(a.command, X_OK) < 0) {
		fprintf(stderr,
			"x86ns-shell: guest '%s' has no %s: sftp and scp need it installed in "
			"the guest (Debian: openssh-sftp-server)\n",
			guest, a.command);
		return 127;
	}
	int status;
	r = run_session(&acct, &a, envp, &status, &e);
	if (r < 0 && strcmp(e.step, "exec") == 0) {
		fprintf(stderr, "x86ns-shell: cannot execute %s in the guest: %s\n", acct.shell,
			strerror(-r));
		return 127;
	}
	if (r < 0)
		cli_die("%s", e.message);
	return exit_code(status);
}
