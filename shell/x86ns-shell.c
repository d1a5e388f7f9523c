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
 *     and wait until the guest is ready (it also moves the sftp fallback
 *     into the container's cgroup); pin the init with a pidfd and verify
 *     its user namespace is the reported one and is owned by us;
 *  3. setns on the pidfd into all of its namespaces;
 *  4. drop to the user's ids inside, give up every capability and load
 *     the shell's own system call filter;
 *  5. fork (the PID namespace applies to children) and exec the guest's
 *     shell; interactive sessions get a pty of the guest's devpts. */

#include "agent.h"
#include "caps.h"
#include "confine.h"
#include "guest_env.h"
#include "hostexec.h"
#include "join.h"
#include "label.h"
#include "pty.h"
#include "spawn.h"
#include "cli.h"
#include "util.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define EXIT_CANNOT_JOIN 126

struct shell_args {
	const char *command;       /* -c CMD, or NULL */
	bool login;                /* argv[0] starts with '-' or -l */
	struct hostexec *sftp;     /* the host's sftp-server, opened for a fallback */
	unsigned long personality; /* the guest's, for that fallback */
	uid_t uid;
};

static void parse_args(int argc, char **argv, struct shell_args *a)
{
	a->login = argv[0] && argv[0][0] == '-';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			a->command = argv[++i];
		} else if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--login") == 0) {
			a->login = true;
		} else {
			cli_die("unsupported argument '%s' (use -c COMMAND)", argv[i]);
		}
	}
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

/* Runs in: session child, inside every namespace of the guest. Only for
 * the host's sftp-server, which runs from fds that x86ns-shell holds (see
 * hostexec.h): it cannot be started by the guest's spawner. */
static void exec_host_sftp_server(const struct guest_account *acct, const struct shell_args *a,
				  char **envp) __attribute__((noreturn));
static void exec_host_sftp_server(const struct guest_account *acct, const struct shell_args *a,
				  char **envp)
{
	if (chdir(acct->home) < 0 && chdir("/") < 0)
		_exit(EXIT_CANNOT_JOIN);
	/* No fd the shell was started with beyond stdio reaches the guest
	 * (su or a console login may pass some); hostexec's are its own. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(EXIT_CANNOT_JOIN);
	/* What the spawner's sessions inherit from the guest, this one is
	 * given here: the guest's personality and SELinux context. */
	int r = a->personality && personality(a->personality) < 0 ? negerrno() : 0;
	if (r == 0)
		r = label_exec_container(a->uid);
	if (r < 0) {
		fprintf(stderr, "x86ns-shell: cannot run the host's sftp-server as the guest: %s\n",
			strerror(-r));
		_exit(EXIT_CANNOT_JOIN);
	}
	r = hostexec_run(a->sftp, "sftp-server", envp);
	fprintf(stderr, "x86ns-shell: the guest has no %s and the host's cannot run in it: %s\n",
		a->command, strerror(-r));
	_exit(127);
}

/* The guest shell, forked by the guest's x86ns-spawner inside the guest's
 * Landlock domain, with fds 0-2 from `fds`; exits on failure. */
static void spawn_guest_shell(const struct guest_account *acct, const struct shell_args *a,
			      char **envp, bool tty, const int fds[3], struct spawned *ret)
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
	const char *step = "connect";
	int r = spawn_session(&req, ret, &step);
	if (r < 0 && strncmp(step, "exec", 4) == 0) {
		fprintf(stderr, "x86ns-shell: cannot execute %s in the guest: %s\n", acct->shell,
			strerror(-r));
		exit(127);
	}
	if (r < 0)
		cli_die("%s", spawn_error(r, step));
}

static int run_interactive(const struct guest_account *acct, const struct shell_args *a,
			   char **envp)
{
	int master;
	char slave[64];
	int r = pty_open_guest(STDIN_FILENO, &master, slave, sizeof(slave));
	if (r < 0)
		cli_die("cannot allocate a terminal in the guest: %s", strerror(-r));
	_cleanup_close_ int slave_fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave_fd < 0)
		cli_die("guest terminal %s: %m", slave);
	struct spawned session;
	spawn_guest_shell(acct, a, envp, true, (int[3]){ slave_fd, slave_fd, slave_fd }, &session);
	closep(&slave_fd); /* the master reads EIO once the guest's side is closed */
	int status = 0;
	r = pty_relay(master, STDIN_FILENO, STDOUT_FILENO,
		      &(struct pty_session){ 0, session.pidfd, session.conn }, &status);
	if (r < 0)
		cli_die("terminal relay: %s", strerror(-r));
	spawned_done(&session);
	return exit_code(status);
}

static int run_plain(const struct guest_account *acct, const struct shell_args *a, char **envp)
{
	/* The relay of a plain session only waits; signals from sshd would
	 * end it, not the command, as for a plain shell's child. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	int status;
	if (a->sftp && access(a->command, X_OK) < 0) {
		pid_t child = fork();
		if (child < 0)
			cli_die("fork: %m");
		if (child == 0)
			exec_host_sftp_server(acct, a, envp);
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				cli_die("wait: %m");
		return exit_code(status);
	}
	struct spawned session;
	spawn_guest_shell(acct, a, envp, false,
			  (int[3]){ STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO }, &session);
	int r = spawn_wait(&session, &status);
	if (r < 0)
		cli_die("wait: %s", strerror(-r));
	spawned_done(&session);
	return exit_code(status);
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

int main(int argc, char **argv)
{
	cli.prefix = "x86ns-shell";
	cli.exit_code = EXIT_CANNOT_JOIN;
	struct shell_args a = { 0 };
	int r = label_shell_enter_domain(argv);
	if (r < 0)
		cli_die("SELinux did not move the shell into x86ns_shell_t: %s", strerror(-r));
	parse_args(argc, argv, &a);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		cli_die("prctl: %m");
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (uid == 0)
		cli_die("root has no guest container; use x86nsctl exec USER -- CMD");

	struct container_ref c;
	char why[512];
	/* The session is forked by the guest's spawner, in the container's
	 * cgroup; only the host's sftp-server, forked here, needs us in it. */
	bool sftp = a.command && hostexec_is_sftp_server(a.command);
	r = container_find(uid, sftp, &c, why, sizeof(why), show_wait);
	if (r == -ENOENT)
		cli_die("no running guest for uid %u (logins start it through pam_x86ns; an "
			"administrator can run x86nsctl start)",
			(unsigned)uid);
	if (r == -EPROTO)
		cli_die("the guest refused this session: %s", why);
	if (r < 0)
		cli_die("cannot join the guest of uid %u: %s", (unsigned)uid, strerror(-r));

	if (wait_shown)
		fputs("\r\033[K", stderr); /* clear the progress line */
	if (!c.ready)
		fprintf(stderr, "x86ns-shell: warning: guest '%s' did not report ready in time\n",
			c.guest);
	/* sftp and scp must work in guests without an sftp-server: open the
	 * host's now, while its files are in view. */
	struct hostexec sftp_exec;
	if (sftp && hostexec_prepare(a.command, &sftp_exec) == 0)
		a.sftp = &sftp_exec;

	/* ssh -A: this session's agent, relayed into the guest (shell/agent.h). */
	struct agent_forward agent = { .control = -1 };
	if (!sftp && (r = agent_relay_start(getenv("SSH_AUTH_SOCK"), uid,
					    !(c.relax & RELAX_SECCOMP), &agent)) < 0)
		fprintf(stderr, "x86ns-shell: warning: agent forwarding: SSH_AUTH_SOCK: %s\n",
			strerror(-r));

	/* Host side done: from here on we see only the guest. */
	char **envp = guest_env_build(environ);
	if (!guest_shares_host_network(c.pid) && guest_env_drop_display(envp))
		fprintf(stderr,
			"x86ns-shell: warning: X11 forwarding does not reach guest '%s' (it has a "
			"network of its own; use network = host): DISPLAY is not set\n",
			c.guest);
	r = container_join(&c);
	if (r < 0)
		cli_die("cannot enter the guest '%s': %s", c.guest, strerror(-r));
	/* The host's sftp-server, forked here, is confined as the guest's init
	 * is, loaded while we still hold CAP_SYS_ADMIN in the guest (so no
	 * no_new_privs stands in the way of its SELinux transition). Every
	 * other session is forked by the spawner: we only relay, under a
	 * filter of our own. */
	if (sftp && (r = container_confine(&c)) < 0)
		cli_die("cannot confine the session as the guest is confined: %s", strerror(-r));
	r = container_become(uid, gid);
	if (r < 0)
		cli_die("cannot take the user's ids in the guest: %s", strerror(-r));
	static char agent_env[200];
	if (agent.relay && (r = agent_guest_listen(&agent, uid, agent_env, sizeof(agent_env))) == 0)
		r = guest_env_add(&envp, agent_env);
	if (agent.relay && r < 0) {
		fprintf(stderr,
			"x86ns-shell: warning: agent forwarding: no socket in the guest: %s\n",
			strerror(-r));
		agent_forward_done(&agent); /* the relay removes what it was given */
	}
	if (!sftp && (r = container_confine_relay(&c)) < 0)
		cli_die("cannot confine the session: %s", strerror(-r));
	a.personality = c.personality;
	a.uid = uid;
	container_ref_done(&c);

	struct guest_account acct = { 0 };
	guest_account_lookup(uid, &acct);
	r = guest_env_finish(&envp, &acct);
	if (r < 0)
		cli_die("environment: %s", strerror(-r));
	bool interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	return interactive ? run_interactive(&acct, &a, envp) : run_plain(&acct, &a, envp);
}
