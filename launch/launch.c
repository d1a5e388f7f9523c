/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-launch: make sure a user's container runs, and talk to its monitor.
 *
 * Runs in: a child of the PAM application (or of x86nsctl), host root, with
 * the fixed environment the caller built. Usage (internal interface):
 *
 *   x86ns-launch open  --user N --uid U --gid G --home H [--gecos S]
 *                      [--group NAME]... --session-pid P [--config FILE]
 *   x86ns-launch start (same, without --session-pid)
 *   x86ns-launch close --uid U --session-pid P
 *   x86ns-launch stop  --uid U
 *   x86ns-launch reset --uid U [--guest NAME]
 *
 * stdout: lines of key=value results for the caller (lib/launch-proto.h);
 * stderr: one line for the user when something fails. Exit: 0 done, 2 user not selected by
 * the configuration, 1 failure. */

#include "cgroup.h"
#include "launch-proto.h"
#include "launch.h"
#include "layer.h"
#include "monitor-args.h"
#include "proto.h"
#include "systemd.h"
#include "cli.h"
#include "binfmt.h"
#include "label.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>


struct launch_args {
	const char *command;
	struct launch_user user;
	pid_t session_pid;
	const char *config;
	const char *guest; /* reset: only this guest's layer */
};

int launch_sibling_path(const char *name, char *buf, size_t len)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return negerrno();
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	return xsnprintf(buf, len, "%s/%s", self, name);
}

static int parse_args(int argc, char **argv, struct launch_args *a, struct error *e)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'n' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "home", required_argument, NULL, 'h' },
		{ "gecos", required_argument, NULL, 'c' },
		{ "group", required_argument, NULL, 'G' },
		{ "session-pid", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'C' },
		{ "guest", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	if (argc < 2)
		return error_set_text(e, "arguments", -EINVAL,
				      "usage: x86ns-launch open|start|close|stop [options]");
	a->command = argv[1];
	a->user.uid = (uid_t)-1;
	a->user.gid = (gid_t)-1;
	a->config = X86NS_CONFIG_PATH;
	optind = 2;
	int c;
	uint32_t v;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->user.name = optarg; break;
		case 'u':
			if (parse_u32(optarg, &v) < 0)
				return error_set_text(e, "arguments", -EINVAL, "bad --uid %s",
						      optarg);
			a->user.uid = v;
			break;
		case 'g':
			if (parse_u32(optarg, &v) < 0)
				return error_set_text(e, "arguments", -EINVAL, "bad --gid %s",
						      optarg);
			a->user.gid = v;
			break;
		case 'h': a->user.home = optarg; break;
		case 'c': a->user.gecos = optarg; break;
		case 'G':
			if (a->user.n_groups == LAUNCH_GROUPS_MAX)
				return error_set_text(e, "arguments", -EINVAL, "too many --group");
			a->user.groups[a->user.n_groups++] = optarg;
			break;
		case 'p':
			if (parse_u32(optarg, &v) < 0 || v == 0)
				return error_set_text(e, "arguments", -EINVAL,
						      "bad --session-pid %s", optarg);
			a->session_pid = (pid_t)v;
			break;
		case 'C': a->config = optarg; break;
		case 'R': a->guest = optarg; break;
		default: return error_set_text(e, "arguments", -EINVAL, "bad arguments");
		}
	}
	if (a->user.uid == (uid_t)-1)
		return error_set_text(e, "arguments", -EINVAL, "--uid is required");
	return 0;
}

static int enter_host_mount_namespace(void)
{
	_cleanup_close_ int ns = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return negerrno();
	if (setns(ns, CLONE_NEWNS) < 0)
		return negerrno();
	return chdir("/") < 0 ? negerrno() : 0;
}

/* What the monitor-to-be has made so far (its failure path undoes it) and
 * hands to x86ns-monitor. */
struct monitor_setup {
	int log_fd;
	int console_master;
	int pidfd; /* the guest's init, once it runs; else -1 */
	pid_t pid;
	unsigned long long userns_ino;
	int session_pidfd;
	char monitor[4096]; /* the path of x86ns-monitor */
};

/* Runs in: the monitor-to-be. One record of the status pipe. */
static void status_write(int status_fd, const struct launch_status *st)
{
	char text[sizeof(struct error) + 32];
	int n = launch_status_format(st, text, sizeof(text));
	if (n > 0)
		(void)write_all(status_fd, text, (size_t)n);
}

/* Runs in: the monitor-to-be, host root. The mount namespace and the
 * cgroup (or systemd scope) it builds the container from. */
static int monitor_place(struct container_plan *p, struct error *e)
{
	/* The container derives from the host's mount namespace, not from the
	 * PAM application's: sshd may run in a namespace of its own (systemd's
	 * ProtectSystem=, PrivateTmp=), whose view the guest must not inherit.
	 * Where PID 1's namespace is out of reach (PID 1 shielded from ptrace
	 * access, as in some sandboxes), the caller's namespace is used. */
	int r = enter_host_mount_namespace();
	if (r < 0 && r != -EACCES && r != -EPERM)
		return error_set(e, "mount namespace", r, "enter the mount namespace of PID 1");
	if (p->systemd_units)
		return monitor_scope_create(p, e);
	/* Born in x86ns/monitors of cgroup2; the v1 hierarchies (hybrid and
	 * legacy hosts) need a move, whose grace period the container child's
	 * move then shares. */
	r = cgroup_attach_v1(CGROUP_MONITOR_GROUP, getpid());
	if (r < 0)
		return error_set(e, "cgroup", r, "move the monitor to x86ns/monitors");
	return 0;
}

/* Runs in: the monitor-to-be, host root. The log, the console and the
 * container itself (start.c), registered with machined if asked. */
static int monitor_container_create(const struct launch_args *a, struct container_plan *p,
				    struct monitor_setup *m, struct error *e)
{
	int r = log_open(a->user.name, &m->log_fd);
	if (r < 0)
		return error_set(e, "log", r, "open %s/%s.log", X86NS_LOGDIR, a->user.name);
	r = console_open(p, &m->console_master, &p->console_fd);
	if (r < 0)
		return error_set(e, "console", r, "allocate the console pty");
	dprintf(m->log_fd, "x86ns: guest %s on this kernel: %s\n", p->guest->name,
		p->decision.text);
	r = container_spawn(p, &m->pidfd, &m->pid, &m->userns_ino, e);
	if (r < 0) {
		console_drain(m->console_master, m->log_fd);
		return r;
	}
	if (p->systemd && p->policy->machined) {
		r = machine_register(p, m->pid, e);
		if (r < 0)
			return r;
	}
	/* The monitor talks to no bus: systemd and machined follow the
	 * scopes' processes themselves. */
	systemd_bus_close(p->systemd);
	p->systemd = NULL;
	return 0;
}

/* Runs in: the monitor-to-be, host root. What x86ns-monitor takes over
 * besides the container: its own path, and the session of an "open". */
static int monitor_handover_prepare(const struct launch_args *a, const struct container_plan *p,
				    struct monitor_setup *m, struct error *e)
{
	int r = launch_sibling_path("x86ns-monitor", m->monitor, sizeof(m->monitor));
	if (r < 0)
		return error_set(e, "monitor", r, "locate x86ns-monitor");
	/* A guest that is ready once its init runs is ready now: the launcher
	 * answers the login itself and hands its session to the monitor,
	 * pinned here while the PAM application still waits for us. */
	if (a->session_pid > 0 && p->notify_fd < 0) {
		m->session_pidfd = (int)syscall(SYS_pidfd_open, a->session_pid, 0);
		if (m->session_pidfd < 0)
			return error_set(e, "monitor", negerrno(), "track session process %d",
					 (int)a->session_pid);
	}
	return 0;
}

/* Runs in: the monitor-to-be, host root. Become x86ns-monitor; returns
 * only if the exec failed. */
static int monitor_exec(const struct launch_args *a, const struct container_plan *p,
			const struct monitor_setup *m, int listen_fd, int status_fd,
			struct error *e)
{
	int pidfd = m->pidfd, console_master = m->console_master, log_fd = m->log_fd;
	int session_pidfd = m->session_pidfd;
	pid_t pid = m->pid;
	unsigned long long userns_ino = m->userns_ino;
	const struct user_policy *pol = p->policy;
	const struct guest_config *g = p->guest;
	struct monitor_args ma;
	monitor_args_init(&ma);
	snprintf(ma.user, sizeof(ma.user), "%s", a->user.name);
	ma.uid = a->user.uid;
	snprintf(ma.guest, sizeof(ma.guest), "%s", g->name);
	snprintf(ma.translator, sizeof(ma.translator), "%s",
		 g->translator ? g->translator : "none");
	snprintf(ma.cgroup, sizeof(ma.cgroup), "%s", p->cgroup_name);
	if (p->systemd_units)
		snprintf(ma.cgroup_slice, sizeof(ma.cgroup_slice), "%s", SYSTEMD_SLICE);
	ma.listen_fd = listen_fd;
	ma.init_pidfd = pidfd;
	ma.spawner_pidfd = p->spawner_pidfd;
	ma.init_pid = pid;
	ma.userns_ino = userns_ino;
	ma.console_fd = console_master;
	ma.console_hold_fd = p->console_fd;
	ma.log_fd = log_fd;
	snprintf(ma.stop_policy, sizeof(ma.stop_policy), "%s",
		 pol->stop == STOP_NEVER    ? "never"
		 : pol->stop == STOP_LINGER ? "linger"
					    : "last-logout");
	ma.linger_sec = pol->linger_sec;
	ma.stop_signal = guest_stop_signal_for_host(g);
	ma.stop_timeout_sec = g->stop_timeout_sec;
	ma.ready_timeout_sec = g->ready_timeout_sec;
	ma.ready_timeout_warns = g->ready_timeout_action == TIMEOUT_WARN;
	ma.personality = g->personality == PERSONALITY_X86 ? PER_LINUX32 : PER_LINUX;
	ma.relax = g->relax;
	snprintf(ma.network, sizeof(ma.network), "%s%s", network_mode_name(p->decision.network),
		 p->decision.network_stands_in ? "-for-landlock" : "");
	ma.landlock = p->decision.landlock;
	snprintf(ma.translation, sizeof(ma.translation), "%s",
		 p->decision.translation == TRANSLATE_HOST        ? "host-binfmt"
		 : p->decision.translation == TRANSLATE_CONTAINER ? "container-binfmt"
		 : p->decision.translation == TRANSLATE_INIT      ? "init-only"
								  : "none");
	if (p->net_pidfd >= 0) {
		ma.net_pid = p->net_pid;
		ma.net_pidfd = p->net_pidfd;
	}
	ma.notify_fd = p->notify_fd;
	if (session_pidfd >= 0) {
		ma.session_pid = a->session_pid;
		ma.session_pidfd = session_pidfd;
	}
	struct monitor_argv argv;
	int r = monitor_args_to_argv(&ma, &argv, e);
	if (r < 0)
		return r;
	/* These fds are the monitor's to keep across exec. */
	int keep[] = { listen_fd,    pidfd,         console_master,   p->console_fd, log_fd,
		       p->notify_fd, session_pidfd, p->spawner_pidfd, p->net_pidfd };
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	/* Read by the launcher at EOF, which the exec makes (CLOEXEC). */
	status_write(status_fd, &(struct launch_status){ .ok = true, .init_pid = (uint32_t)pid });
	execve(m->monitor, argv.argv, envp);
	return error_set(e, "monitor", negerrno(), "exec %s", m->monitor);
}

/* Runs in: the detached monitor process (grandchild of the launcher). Builds
 * the container, then becomes x86ns-monitor; on failure tells the launcher
 * through status_fd and removes what it made, in one place. */
static void monitor_process(const struct launch_args *a, struct container_plan *p, int listen_fd,
			    int status_fd) __attribute__((noreturn));
static void monitor_process(const struct launch_args *a, struct container_plan *p, int listen_fd,
			    int status_fd)
{
	struct launch_status failed = { .ok = false, .error = { "monitor", "" } };
	struct monitor_setup m = {
		.log_fd = -1, .console_master = -1, .pidfd = -1, .session_pidfd = -1
	};
	int r = monitor_place(p, &failed.error);
	if (r >= 0)
		r = monitor_container_create(a, p, &m, &failed.error);
	if (r >= 0)
		r = monitor_handover_prepare(a, p, &m, &failed.error);
	if (r >= 0)
		monitor_exec(a, p, &m, listen_fd, status_fd, &failed.error);
	if (m.pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, m.pidfd, SIGKILL, NULL, 0);
		waitpid(m.pid, NULL, 0);
	}
	user_net_stop(p);
	status_write(status_fd, &failed);
	leftovers_remove(a->user.uid, p->cgroup_name);
	systemd_bus_close(p->systemd);
	_exit(EXIT_FAILURE); /* our own scope, empty now, goes with us */
}

/* A configured limit that the host cannot enforce fails the start: a limit
 * that silently does nothing is worse than a clear refusal. */
static const char *limits_unenforced(const char *cgroup_name, const struct cgroup_limits *l)
{
	unsigned have = 0;
	if (cgroup_enforced_controllers(cgroup_name, &have) < 0)
		have = 0;
	if (l->pids_max && !(have & CGROUP_CONTROLLER_PIDS))
		return "pids";
	if (l->memory_max && !(have & CGROUP_CONTROLLER_MEMORY))
		return "memory";
	if (l->cpu_percent && !(have & CGROUP_CONTROLLER_CPU))
		return "cpu";
	return NULL;
}

/* A start in the launcher: the plan and what is made for the monitor. */
struct start {
	const struct launch_args *a;
	const struct user_policy *pol;
	struct container_plan plan;
	char run_dir[64];
	int run_fd, listen_fd, monitor_cgroup;
};

static void start_release(struct start *s)
{
	plan_release(&s->plan);
	closep(&s->run_fd);
	closep(&s->listen_fd);
	closep(&s->monitor_cgroup);
}

static int start_runtime_dir(struct start *s, struct error *e)
{
	int r = runtime_dir(s->a->user.uid, s->run_dir, sizeof(s->run_dir));
	if (r >= 0)
		r = root_dir_open(AT_FDCWD, s->run_dir, 0755, &s->run_fd);
	return r < 0 ? error_set(e, "runtime directory", r, "cannot prepare %s", s->run_dir) : 0;
}

/* With systemd units, the monitor-to-be has systemd make the scopes
 * (monitor_scope_create, then start.c) and checks the limits there. */
static int start_cgroups(struct start *s, struct error *e)
{
	const struct container_plan *p = &s->plan;
	if (p->systemd_units)
		return 0;
	struct cgroup_limits limits = { .pids_max = s->pol->pids_max,
					.memory_max = s->pol->memory_max,
					.cpu_percent = s->pol->cpu_percent };
	int r = cgroup_create_monitor_group();
	if (r >= 0)
		r = cgroup_create(p->cgroup_name, &limits, p->root_uid, p->root_gid);
	if (r < 0)
		return error_set(e, "cgroup", r, "cannot create the cgroup x86ns/%s",
				 p->cgroup_name);
	const char *missing = limits_unenforced(p->cgroup_name, &limits);
	if (missing)
		return error_set_text(e, "cgroup", -EOPNOTSUPP,
				      "the configuration sets a %s limit for %s, but this host has "
				      "no %s cgroup controller to enforce it",
				      missing, s->a->user.name, missing);
	return 0;
}

static int start_notify_socket(struct start *s, struct error *e)
{
	struct container_plan *p = &s->plan;
	if (s->pol->guest->ready != READY_NOTIFY)
		return 0;
	int r = runtime_notify_create(s->a->user.uid, p->root_uid, p->root_gid, &p->notify_fd);
	if (r < 0)
		return error_set(e, "notify socket", r, "cannot create the notify socket in %s",
				 s->run_dir);
	return 0;
}

static int start_monitor_socket(struct start *s, struct error *e)
{
	int r = monitor_listen(s->a->user.uid, &s->listen_fd);
	if (r < 0)
		return error_set(e, "monitor socket", r, "cannot listen on %s/monitor.sock",
				 s->run_dir);
	return 0;
}

static int start_monitor_cgroup(struct start *s, struct error *e)
{
	int r = s->plan.systemd_units ? -ENOENT
				      : cgroup_open_v2(CGROUP_MONITOR_GROUP, &s->monitor_cgroup);
	if (r < 0 && r != -ENOENT)
		return error_set(e, "monitor cgroup", r, "cannot open the cgroup x86ns/%s",
				 CGROUP_MONITOR_GROUP);
	return 0;
}

/* The launcher's steps of a start, in order, after the plan: each makes
 * something the monitor-to-be takes over, and leftovers_remove() undoes
 * them all. Their messages are complete lines; the step names them in e. */
static const struct {
	const char *name;
	int (*run)(struct start *s, struct error *e);
} start_steps[] = {
	{ "runtime directory", start_runtime_dir }, { "cgroup", start_cgroups },
	{ "notify socket", start_notify_socket },   { "monitor socket", start_monitor_socket },
	{ "monitor cgroup", start_monitor_cgroup },
};

/* Runs in: the first child of the launcher. Detach: own session, parent
 * gone, stdio off the PAM caller's pipes (or the caller would wait for the
 * monitor's exit); the second fork is born in x86ns/monitors. */
static void monitor_detach(struct start *s, const int status[2]) __attribute__((noreturn));
static void monitor_detach(struct start *s, const int status[2])
{
	setsid();
	pid_t second = clone3_fork(0, s->monitor_cgroup, NULL);
	if (second < 0) {
		struct launch_status failed = { .ok = false };
		error_set(&failed.error, "monitor", second, "create the monitor in x86ns/%s",
			  CGROUP_MONITOR_GROUP);
		status_write(status[1], &failed);
		_exit(EXIT_FAILURE);
	}
	if (second > 0)
		_exit(EXIT_SUCCESS);
	close(status[0]);
	closep(&s->monitor_cgroup);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(null_fd, 0);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	monitor_process(s->a, &s->plan, s->listen_fd, status[1]);
}

/* Fork the monitor-to-be; *ret_status_fd reads its status pipe. */
static int monitor_fork(struct start *s, int *ret_status_fd, struct error *e)
{
	int status[2];
	if (pipe2(status, O_CLOEXEC) < 0)
		return error_set(e, "monitor", negerrno(), "pipe");
	pid_t first = fork();
	if (first < 0) {
		int r = error_set(e, "monitor", negerrno(), "fork");
		close(status[0]);
		close(status[1]);
		return r;
	}
	if (first == 0)
		monitor_detach(s, status);
	close(status[1]);
	waitpid(first, NULL, 0);
	*ret_status_fd = status[0];
	return 0;
}

/* "ok pid=N" and EOF: the monitor runs; "err STEP: MESSAGE" (after it or
 * alone): what failed. */
static int monitor_status_read(int status_fd, const struct start *s, uint32_t *ret_pid,
			       struct error *e)
{
	char text[2 * PROTO_MSG_MAX];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(text) - 1 &&
	       ((n = read(status_fd, text + len, sizeof(text) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	text[len] = '\0';
	struct launch_status st;
	const char *guest = s->pol->guest->name, *user = s->a->user.name;
	if (launch_status_parse(text, &st) < 0)
		return error_set_text(e, "monitor", -EIO,
				      "cannot start guest '%s' for %s: the monitor ended without "
				      "a word",
				      guest, user);
	if (!st.ok)
		return error_set_text(e, st.error.step, -EIO,
				      "cannot start guest '%s' for %s: %s: %s", guest, user,
				      st.error.step, st.error.message);
	*ret_pid = st.init_pid;
	return 0;
}

/* Start the container (the caller holds the user's lock). Returns when the
 * guest init runs and the monitor listens. A guest that is ready once its
 * init runs is ready then: the init's pid is returned, and the session of
 * an "open" is the monitor's already; a notify guest returns 0 (ask the
 * monitor, which answers at READY=1). */
static pid_t container_start(const struct launch_args *a, const struct user_policy *pol,
			     int state_fd, struct error *e)
{
	struct start s = {
		.a = a, .pol = pol, .run_fd = -1, .listen_fd = -1, .monitor_cgroup = -1
	};
	int r = plan_prepare(&a->user, pol, state_fd, &s.plan, e);
	if (r < 0) {
		start_release(&s);
		return r;
	}
	leftovers_remove(a->user.uid, s.plan.cgroup_name);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(start_steps); i++) {
		r = start_steps[i].run(&s, e);
		if (r < 0)
			snprintf(e->step, sizeof(e->step), "%s", start_steps[i].name);
	}
	_cleanup_close_ int status_fd = -1;
	if (r >= 0)
		r = monitor_fork(&s, &status_fd, e);
	if (r < 0)
		leftovers_remove(a->user.uid, s.plan.cgroup_name);
	uint32_t pid = 0;
	if (r >= 0) /* a failed monitor-to-be removed what it made itself */
		r = monitor_status_read(status_fd, &s, &pid, e);
	/* As monitor_process decided: a notify guest has its socket. */
	bool notify = s.plan.notify_fd >= 0;
	start_release(&s);
	if (r < 0)
		return r;
	return notify ? 0 : (pid_t)pid;
}

/* One line of the reply to the caller (lib/launch-proto.h), now. */
static int reply_print(const struct launch_reply *reply, unsigned fields, struct error *e)
{
	char line[512];
	int r = launch_reply_format(reply, fields, line, sizeof(line));
	if (r < 0)
		return error_set(e, "reply", r, "answer the caller");
	fputs(line, stdout);
	fflush(stdout);
	return 0;
}

static int policy_load(const struct launch_args *a, struct user_policy *pol, struct error *e)
{
	char err[CONFIG_ERROR_MAX];
	struct config *c = NULL;
	_cleanup_free_ char *dropins = config_dropin_dir(a->config);
	if (config_load(a->config, dropins, &c, err, sizeof(err)) < 0)
		return error_set_text(e, "configuration", -EINVAL, "configuration error: %s", err);
	if (config_resolve(c, a->user.name, a->user.groups, a->user.n_groups, pol) < 0)
		return error_set_text(e, "configuration", -EINVAL,
				      "cannot resolve the configuration for %s", a->user.name);
	return 0;
}

/* Ask the running container's monitor for the session (or the ready
 * guest): 1 answered, 0 the monitor stopped (try again), -errno. */
static int monitor_ask(const struct launch_args *a, const struct user_policy *pol, int fd,
		       bool with_session, struct launch_reply *reply, struct error *e)
{
	const struct guest_config *g = pol->guest;
	char req[64], answer[PROTO_MSG_MAX];
	if (with_session)
		snprintf(req, sizeof(req), "open %d", (int)a->session_pid);
	else
		snprintf(req, sizeof(req), "wait");
	/* The monitor answers when the guest is ready or its ready-timeout
	 * passed; allow it that long and a margin. */
	int r = proto_call(fd, req, answer, sizeof(answer), (int)(g->ready_timeout_sec + 10) * 1000,
			   NULL, NULL);
	if (r == -EPROTO && strncmp(answer, "stopping", 8) == 0) {
		monitor_wait_exit(answer, g->stop_timeout_sec + 10);
		return 0;
	}
	if (r == -ECONNRESET || r == -EPIPE) {
		monitor_wait_gone(a->user.uid, g->stop_timeout_sec + 10);
		return 0;
	}
	if (r == -EPROTO)
		return error_set_text(e, "monitor", r, "guest '%s' for %s: %s", g->name,
				      a->user.name, answer);
	if (r < 0)
		return error_set_text(
		    e, "monitor", r,
		    "guest '%s' for %s: no answer from its monitor (see " X86NS_LOGDIR
		    "/%s.log): %s",
		    g->name, a->user.name, a->user.name, strerror(-r));
	char pid[16] = "";
	proto_get(answer, "pid", pid, sizeof(pid));
	if (parse_u32(pid, &reply->init_pid) < 0)
		reply->init_pid = 0;
	return 1;
}

/* "open" (with_session) and "start": make sure the container runs. */
static int cmd_open(const struct launch_args *a, bool with_session, struct error *e)
{
	struct user_policy pol;
	int r = policy_load(a, &pol, e);
	if (r < 0)
		return r;
	if (!pol.guest)
		return EXIT_NOT_SELECTED;
	/* Said first, so that even a failure can be audited with the guest. */
	struct launch_reply reply = { 0 };
	snprintf(reply.guest, sizeof(reply.guest), "%s", pol.guest->name);
	snprintf(reply.translator, sizeof(reply.translator), "%s",
		 pol.guest->translator ? pol.guest->translator : "none");
	r = reply_print(&reply, LAUNCH_REPLY_GUEST, e);
	if (r < 0)
		return r;

	_cleanup_close_ int base = -1, lock = -1;
	r = root_dir_open(AT_FDCWD, X86NS_RUNDIR, 0755, &base);
	if (r < 0)
		return error_set(e, "lock", r, "cannot prepare %s", X86NS_RUNDIR);
	r = user_lock(a->user.uid, &lock);
	if (r < 0)
		return error_set(e, "lock", r, "cannot lock %s/%u", X86NS_STATEDIR,
				 (unsigned)a->user.uid);

	for (int attempt = 0; attempt < 3; attempt++) {
		_cleanup_close_ int fd = -1;
		r = monitor_connect(a->user.uid, &fd);
		if (r == -ENOENT || r == -ECONNREFUSED) {
			pid_t init = container_start(a, &pol, lock, e);
			if (init < 0)
				return init;
			reply.started = true;
			reply.init_pid = (uint32_t)init;
			if (init > 0)
				return reply_print(&reply, LAUNCH_REPLY_STARTED, e) < 0
					   ? -EIO
					   : EXIT_SUCCESS;
			continue;
		}
		if (r < 0)
			return error_set(e, "monitor", r, "cannot reach the monitor of %s",
					 a->user.name);
		r = monitor_ask(a, &pol, fd, with_session, &reply, e);
		if (r < 0)
			return r;
		if (r > 0)
			return reply_print(&reply, LAUNCH_REPLY_STARTED, e) < 0 ? -EIO
										: EXIT_SUCCESS;
	}
	return error_set_text(e, "monitor", -EIO, "guest '%s' for %s did not start",
			      pol.guest->name, a->user.name);
}

static int cmd_open_session(const struct launch_args *a, struct error *e)
{
	if (a->session_pid <= 0)
		return error_set_text(e, "arguments", -EINVAL, "open needs --session-pid");
	return cmd_open(a, true, e);
}

static int cmd_start(const struct launch_args *a, struct error *e)
{
	return cmd_open(a, false, e);
}

static int cmd_close_or_stop(const struct launch_args *a, bool stop, struct error *e)
{
	_cleanup_close_ int fd = -1;
	int r = monitor_connect(a->user.uid, &fd);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return EXIT_SUCCESS; /* nothing runs: nothing to close */
	if (r < 0)
		return error_set(e, "monitor", r, "cannot reach the monitor of uid %u",
				 (unsigned)a->user.uid);
	char req[64], answer[PROTO_MSG_MAX];
	if (stop)
		snprintf(req, sizeof(req), "stop");
	else
		snprintf(req, sizeof(req), "close %d", (int)a->session_pid);
	r = proto_call(fd, req, answer, sizeof(answer), 10000, NULL, NULL);
	if (r == -EPROTO && strncmp(answer, "stopping", 8) == 0)
		r = 0;
	else if (r < 0)
		return error_set_text(e, "monitor", r, "monitor of uid %u: %s",
				      (unsigned)a->user.uid, r == -EPROTO ? answer : strerror(-r));
	unsigned long long stopping = 0;
	proto_get_u64(answer, "stopping", &stopping);
	if (stop)
		monitor_wait_exit(answer, 60);
	struct launch_reply reply = { .stopping = stop || stopping };
	return reply_print(&reply, LAUNCH_REPLY_STOPPING, e) < 0 ? -EIO : EXIT_SUCCESS;
}

static int cmd_close(const struct launch_args *a, struct error *e)
{
	return cmd_close_or_stop(a, false, e);
}

static int cmd_stop(const struct launch_args *a, struct error *e)
{
	return cmd_close_or_stop(a, true, e);
}

/* Discard the user's writable layer(s): the guest trees as shipped come
 * back at the next start. Only while no container runs, under the lock. */
static int cmd_reset(const struct launch_args *a, struct error *e)
{
	_cleanup_close_ int lock = -1;
	int r = user_lock(a->user.uid, &lock);
	if (r < 0)
		return error_set(e, "lock", r, "cannot lock %s/%u", X86NS_STATEDIR,
				 (unsigned)a->user.uid);
	_cleanup_close_ int fd = -1;
	if (monitor_connect(a->user.uid, &fd) == 0)
		return error_set_text(e, "reset", -EBUSY,
				      "the container of uid %u runs: stop it first (x86nsctl stop)",
				      (unsigned)a->user.uid);
	if (a->guest && !config_guest_name_is_valid(a->guest))
		return error_set_text(e, "arguments", -EINVAL, "bad guest name '%s'", a->guest);
	r = layer_remove(lock, a->guest);
	if (r < 0)
		return error_set(e, "reset", r, "cannot remove the writable layer of uid %u",
				 (unsigned)a->user.uid);
	struct launch_reply reply = { .reset = true };
	return reply_print(&reply, LAUNCH_REPLY_RESET, e) < 0 ? -EIO : EXIT_SUCCESS;
}

static const struct {
	const char *name;
	int (*run)(const struct launch_args *a, struct error *e);
} commands[] = {
	{ "open", cmd_open_session }, { "start", cmd_start }, { "close", cmd_close },
	{ "stop", cmd_stop },         { "reset", cmd_reset },
};

/* The boundary: every failure below comes back here as -errno with its
 * message in e, and is said once. Exit: 0 done, EXIT_NOT_SELECTED, 1. */
int main(int argc, char **argv)
{
	if (geteuid() != 0)
		cli_die(
		    "x86ns-launch must run as root (it is started by pam_x86ns.so and x86nsctl)");
	umask(022);
	label_probe();
	struct launch_args a = { 0 };
	struct error e = { "", "" };
	int r = parse_args(argc, argv, &a, &e);
	size_t i = 0;
	while (r >= 0 && i < ARRAY_SIZE(commands) && strcmp(a.command, commands[i].name) != 0)
		i++;
	if (r >= 0 && i == ARRAY_SIZE(commands))
		r = error_set_text(&e, "arguments", -EINVAL, "unknown command '%s'", a.command);
	if (r >= 0)
		r = commands[i].run(&a, &e);
	if (r < 0)
		cli_die("%s", e.message[0] ? e.message : strerror(-r));
	return r;
}
