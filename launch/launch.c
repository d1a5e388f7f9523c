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
 * stdout: one line of key=value results for the caller; stderr: one line
 * for the user when something fails. Exit: 0 done, 2 user not selected by
 * the configuration, 1 failure. */

#include "cgroup.h"
#include "launch.h"
#include "layer.h"
#include "proto.h"
#include "systemd.h"
#include "cli.h"
#include "binfmt.h"
#include "label.h"
#include "translator.h"
#include "tree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/personality.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#define EXIT_NOT_SELECTED 2
#define RESOLVE_SAFE      (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

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

static void parse_args(int argc, char **argv, struct launch_args *a)
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
		cli_die("usage: x86ns-launch open|start|close|stop [options]");
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
				cli_die("bad --uid %s", optarg);
			a->user.uid = v;
			break;
		case 'g':
			if (parse_u32(optarg, &v) < 0)
				cli_die("bad --gid %s", optarg);
			a->user.gid = v;
			break;
		case 'h': a->user.home = optarg; break;
		case 'c': a->user.gecos = optarg; break;
		case 'G':
			if (a->user.n_groups == LAUNCH_GROUPS_MAX)
				cli_die("too many --group");
			a->user.groups[a->user.n_groups++] = optarg;
			break;
		case 'p':
			if (parse_u32(optarg, &v) < 0 || v == 0)
				cli_die("bad --session-pid %s", optarg);
			a->session_pid = (pid_t)v;
			break;
		case 'C': a->config = optarg; break;
		case 'R': a->guest = optarg; break;
		default: cli_die("bad arguments");
		}
	}
	if (a->user.uid == (uid_t)-1)
		cli_die("--uid is required");
}

/* A root-owned directory that nobody else can write, created if missing. */
static int root_dir_open(int parent_fd, const char *name, mode_t mode, int *ret_fd)
{
	if (mkdirat(parent_fd, name, mode) < 0 && errno != EEXIST)
		return negerrno();
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve =
				    parent_fd == AT_FDCWD ? RESOLVE_NO_SYMLINKS : RESOLVE_SAFE };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, parent_fd, name, &how, sizeof(how));
	if (fd < 0)
		return negerrno();
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The per-user lock is a flock on the user's state directory
 * /var/lib/x86ns/<uid>, which outlives containers by design (it holds the
 * upper layer), so no lock file is left in /run. Serializes start, join and
 * the wait for a stopping container; the monitor never takes it. */
static int user_lock(uid_t uid, int *ret_fd)
{
	_cleanup_close_ int base = -1;
	int r = root_dir_open(AT_FDCWD, X86NS_STATEDIR, 0755, &base);
	if (r < 0)
		return r;
	char name[16];
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (mkdirat(base, name, 0700) < 0 && errno != EEXIST)
		return negerrno();
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_SAFE };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, base, name, &how, sizeof(how));
	if (fd < 0)
		return negerrno();
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int log_open(const char *user, int *ret_fd)
{
	if (!user || !*user || strchr(user, '/') || user[0] == '.')
		return -EINVAL;
	_cleanup_close_ int dir = -1;
	int r = root_dir_open(AT_FDCWD, X86NS_LOGDIR, 0750, &dir);
	if (r < 0)
		return r;
	char name[300];
	r = xsnprintf(name, sizeof(name), "%s.log", user);
	if (r < 0)
		return r;
	struct open_how how = { .flags = O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC,
				.mode = 0640,
				.resolve = RESOLVE_SAFE };
	int fd = (int)syscall(SYS_openat2, dir, name, &how, sizeof(how));
	if (fd < 0)
		return negerrno();
	*ret_fd = fd;
	return 0;
}

/* Whatever a crashed earlier container left behind. */
static void leftovers_remove(uid_t uid, const char *cgroup_name)
{
	if (cgroup_populated(cgroup_name))
		cgroup_kill(cgroup_name);
	cgroup_destroy(cgroup_name);
	char path[108];
	if (runtime_socket_path(uid, path, sizeof(path)) >= 0)
		unlink(path);
	runtime_ready_remove(uid);
	runtime_notify_remove(uid);
	if (runtime_dir(uid, path, sizeof(path)) >= 0)
		rmdir(path);
}

/* The uid or gid map of the user's container, from the subordinate range. */
static void idmap_for_user(const char *user, uint32_t own_id, bool gid, struct idmap *ret)
{
	const char *kind = gid ? "gid" : "uid";
	uint64_t start, count;
	int r = subid_range_for(user, gid, &start, &count);
	if (r == -ELIBACC || r == -ELIBBAD)
		cli_die("cannot use shadow's libsubid (libsubid.so.4, Debian package libsubid4) to "
			"look up subordinate ids: %s",
			strerror(-r));
	if (r == -ENOENT)
		cli_die("user %s has no subordinate %s range (/etc/sub%s or the subid service); "
			"see x86ns.conf(5)",
			user, kind, kind);
	if (r < 0 || idmap_compute(own_id, start, count, ret) < 0)
		cli_die("user %s: unusable subordinate %s range %llu+%llu", user, kind,
			(unsigned long long)start, (unsigned long long)count);
}

static int plan_prepare(const struct launch_args *a, const struct user_policy *pol, int state_fd,
			struct container_plan *p)
{
	*p = (struct container_plan){ .user = &a->user,
				      .policy = pol,
				      .guest = pol->guest,
				      .state_fd = state_fd,
				      .notify_fd = -1,
				      .layer_fd = -1,
				      .init_fd = -1,
				      .spawner_fd = -1,
				      .spawner_pidfd = -1,
				      .console_fd = -1,
				      .net_pidfd = -1 };
	if (!a->user.name || a->user.gid == (gid_t)-1 || !a->user.home || a->user.home[0] != '/')
		cli_die("--user, --gid and an absolute --home are required");
	idmap_for_user(a->user.name, a->user.uid, false, &p->uid_map);
	idmap_for_user(a->user.name, a->user.gid, true, &p->gid_map);
	p->root_uid = (uid_t)idmap_to_host(&p->uid_map, 0);
	p->root_gid = (gid_t)idmap_to_host(&p->gid_map, 0);
	/* Decided once per start, before any cgroup is touched: the
	 * launcher, the monitor-to-be and the monitor agree on it. */
	p->systemd_units = systemd_units_wanted();
	if (p->systemd_units) {
		cgroup_use_systemd_slice(SYSTEMD_SLICE);
		systemd_guest_unit(a->user.uid, p->cgroup_name, sizeof(p->cgroup_name));
		systemd_monitor_unit(a->user.uid, p->monitor_unit, sizeof(p->monitor_unit));
	} else {
		snprintf(p->cgroup_name, sizeof(p->cgroup_name), "%u", (unsigned)a->user.uid);
	}

	int r = layer_prepare(p);
	if (r == -EEXIST)
		cli_die("the writable layer %s/%u/%s of %s %s: \"x86nsctl reset %s\" discards it, "
			"or set \"layer-size = max\" for %s",
			X86NS_STATEDIR, (unsigned)a->user.uid, p->guest->name, a->user.name,
			layer_prepare_error(r), a->user.name, a->user.name);
	if (r < 0)
		cli_die("cannot prepare the writable layer of %s in %s/%u (layer-size): %s",
			a->user.name, X86NS_STATEDIR, (unsigned)a->user.uid,
			layer_prepare_error(r));
	r = translator_check(p->guest);
	if (r < 0)
		cli_die("guest '%s': cannot use the translator %s: %s", p->guest->name,
			p->guest->translator, translator_file_error(r));
	/* What this kernel lets the start do, decided as x86nsctl check
	 * decides it: a guest that cannot work is refused here, in one line,
	 * rather than started to fail every login. */
	struct kernel_features k;
	kernel_features_probe(guest_plan_probes(p->guest), &k);
	guest_plan_make(p->guest, pol->network, &k, &p->decision);
	if (!p->decision.startable)
		cli_die("cannot start for %s: %s", a->user.name, p->decision.text);
	const char *exe = p->guest->init ? p->guest->translator : NULL;
	char init_path[4096];
	if (!p->guest->init) {
		r = launch_sibling_path("x86ns-init", init_path, sizeof(init_path));
		exe = r < 0 ? NULL : init_path;
	}
	if (exe) {
		p->init_fd = open(exe, O_PATH | O_CLOEXEC);
		if (p->init_fd < 0)
			cli_die("cannot open %s: %m", exe);
	}
	char spawner[4096];
	r = launch_sibling_path("x86ns-spawner", spawner, sizeof(spawner));
	if (r < 0)
		cli_die("cannot locate x86ns-spawner: %s", strerror(-r));
	p->spawner_fd = open(spawner, O_PATH | O_CLOEXEC);
	if (p->spawner_fd < 0)
		cli_die("cannot open %s: %m", spawner);
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

/* The guest's console: a pty whose slave is init's stdio and /dev/console,
 * owned by guest root and the guest's tty group, and whose master the
 * monitor copies into the user's log. Output post-processing is off so the
 * log gets the guest's bytes as they are. */
static int console_open(struct container_plan *p, int *ret_master, int *ret_slave)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0)
		return negerrno();
	char name[64];
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)))
		return negerrno();
	if (xsnprintf(p->console_path, sizeof(p->console_path), "%s", name) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return negerrno();
	struct termios t;
	if (tcgetattr(slave, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &t);
	}
	int64_t tty_gid = idmap_to_host(&p->gid_map, 5);
	if (fchown(slave, p->root_uid, tty_gid >= 0 ? (gid_t)tty_gid : p->root_gid) < 0 ||
	    fchmod(slave, 0620) < 0)
		return negerrno();
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

/* Runs in: the monitor-to-be, host root. Where systemd runs the units, the
 * monitor gets a scope of its own in x86ns.slice (so that systemctl and
 * the shutdown ordering know it); its SIGTERM at shutdown is the monitor's
 * cue to stop the guest in order, which may take the guest's stop-timeout
 * and the kill's few seconds. */
static int monitor_scope_create(const struct launch_args *a, struct container_plan *p,
				struct error *e)
{
	struct error se = { 0 };
	char description[128];
	int r = systemd_bus_open(&p->systemd, &se);
	if (r < 0)
		return error_set(e, "systemd unit", r, "%s", se.message);
	snprintf(description, sizeof(description), "x86ns monitor of %s (guest %s)", a->user.name,
		 p->guest->name);
	struct systemd_scope scope = {
		.name = p->monitor_unit,
		.description = description,
		.pid = getpid(),
		.timeout_stop_usec = ((uint64_t)p->guest->stop_timeout_sec + 15) * 1000000,
	};
	r = systemd_scope_start(p->systemd, &scope, &se);
	return r < 0 ? error_set(e, "systemd unit", r, "%s", se.message) : 0;
}

/* machined = yes: the guest becomes a machine that machinectl lists, in
 * the scope its init runs in. */
static int machine_register(const struct launch_args *a, const struct container_plan *p,
			    pid_t init_pid, struct error *e)
{
	char name[80];
	struct error se = { 0 };
	int r = systemd_machine_name(a->user.name, a->user.uid, name, sizeof(name));
	if (r >= 0)
		r = systemd_machine_register(p->systemd, name, init_pid, p->guest->root, &se);
	if (r < 0)
		return error_set(e, "machined", r,
					"%s (machined = yes; is systemd-container installed?)",
					se.message[0] ? se.message : name);
	return 0;
}

/* A start that failed: what the console holds (pasta's messages, the
 * guest's first lines) goes to the user's log, which the error names. */
static void console_drain(int master, int log_fd)
{
	char buf[4096];
	ssize_t n;
	for (size_t total = 0; total < 16 * 1024 && (n = read(master, buf, sizeof(buf))) > 0;
	     total += (size_t)n)
		(void)write_all(log_fd, buf, (size_t)n);
}

/* Runs in: the detached monitor process (grandchild of the launcher). Builds
 * the container, then becomes x86ns-monitor; on failure tells the launcher
 * through status_fd and removes what it made. */
static void monitor_process(const struct launch_args *a, struct container_plan *p, int listen_fd,
			    int status_fd) __attribute__((noreturn));
static void monitor_process(const struct launch_args *a, struct container_plan *p, int listen_fd,
			    int status_fd)
{
	struct error e = { "monitor", "" };
	/* The container derives from the host's mount namespace, not from the
	 * PAM application's: sshd may run in a namespace of its own (systemd's
	 * ProtectSystem=, PrivateTmp=), whose view the guest must not inherit.
	 * Where PID 1's namespace is out of reach (PID 1 shielded from ptrace
	 * access, as in some sandboxes), the caller's namespace is used. */
	int r = enter_host_mount_namespace();
	if (r < 0 && r != -EACCES && r != -EPERM) {
		error_set(&e, "mount namespace", r, "enter the mount namespace of PID 1");
		goto fail;
	}
	if (p->systemd_units) {
		r = monitor_scope_create(a, p, &e);
		if (r < 0)
			goto fail;
	} else {
		/* Born in x86ns/monitors of cgroup2; the v1 hierarchies (hybrid
		 * and legacy hosts) need a move, whose grace period the
		 * container child's move then shares. */
		r = cgroup_attach_v1(CGROUP_MONITOR_GROUP, getpid());
		if (r < 0) {
			error_set(&e, "cgroup", r, "move the monitor to x86ns/monitors");
			goto fail;
		}
	}
	_cleanup_close_ int log_fd = -1;
	r = log_open(a->user.name, &log_fd);
	if (r < 0) {
		error_set(&e, "log", r, "open %s/%s.log", X86NS_LOGDIR, a->user.name);
		goto fail;
	}
	int console_master = -1;
	r = console_open(p, &console_master, &p->console_fd);
	if (r < 0) {
		error_set(&e, "console", r, "allocate the console pty");
		goto fail;
	}
	dprintf(log_fd, "x86ns: guest %s on this kernel: %s\n", p->guest->name, p->decision.text);
	int pidfd;
	pid_t pid;
	unsigned long long userns_ino;
	r = container_spawn(p, &pidfd, &pid, &userns_ino, &e);
	if (r < 0) {
		console_drain(console_master, log_fd);
		goto fail;
	}

	if (p->systemd && p->policy->machined) {
		r = machine_register(a, p, pid, &e);
		if (r < 0)
			goto fail_running;
	}
	/* The monitor talks to no bus: systemd and machined follow the
	 * scopes' processes themselves. */
	systemd_bus_close(p->systemd);
	p->systemd = NULL;

	char monitor[4096];
	r = launch_sibling_path("x86ns-monitor", monitor, sizeof(monitor));
	if (r < 0) {
		error_set(&e, "monitor", r, "locate x86ns-monitor");
		goto fail_running;
	}
	/* A guest that is ready once its init runs is ready now: the launcher
	 * answers the login itself and hands its session to the monitor,
	 * pinned here while the PAM application still waits for us. */
	int session_pidfd = -1;
	if (a->session_pid > 0 && p->notify_fd < 0) {
		session_pidfd = (int)syscall(SYS_pidfd_open, a->session_pid, 0);
		if (session_pidfd < 0) {
			error_set(&e, "monitor", negerrno(), "track session process %d",
					 (int)a->session_pid);
			goto fail_running;
		}
	}
	const struct user_policy *pol = p->policy;
	const struct guest_config *g = p->guest;
	char args[30][160];
	int n = 0;
#define ARG(...) snprintf(args[n++], sizeof(args[0]), __VA_ARGS__)
	ARG("user=%s", a->user.name);
	ARG("uid=%u", (unsigned)a->user.uid);
	ARG("guest=%s", g->name);
	ARG("translator=%s", g->translator ? g->translator : "none");
	ARG("cgroup=%s", p->cgroup_name);
	if (p->systemd_units)
		ARG("cgroup-slice=%s", SYSTEMD_SLICE);
	ARG("listen-fd=%d", listen_fd);
	ARG("init-pidfd=%d", pidfd);
	ARG("spawner-pidfd=%d", p->spawner_pidfd);
	ARG("init-pid=%d", (int)pid);
	ARG("userns=%llu", userns_ino);
	ARG("console-fd=%d", console_master);
	ARG("console-hold-fd=%d", p->console_fd);
	ARG("log-fd=%d", log_fd);
	ARG("stop=%s", pol->stop == STOP_NEVER    ? "never"
		       : pol->stop == STOP_LINGER ? "linger"
						  : "last-logout");
	ARG("linger=%u", pol->linger_sec);
	ARG("stop-signal=%d", guest_stop_signal_for_host(g));
	ARG("stop-timeout=%u", g->stop_timeout_sec);
	ARG("ready-timeout=%u", g->ready_timeout_sec);
	ARG("ready-timeout-warns=%d", g->ready_timeout_action == TIMEOUT_WARN);
	ARG("personality=%d", g->personality == PERSONALITY_X86 ? PER_LINUX32 : PER_LINUX);
	ARG("relax=%u", g->relax);
	ARG("network=%s%s", network_mode_name(p->decision.network),
	    p->decision.network_stands_in ? "-for-landlock" : "");
	ARG("landlock=%d", p->decision.landlock);
	ARG("translation=%s", p->decision.translation == TRANSLATE_HOST        ? "host-binfmt"
			      : p->decision.translation == TRANSLATE_CONTAINER ? "container-binfmt"
			      : p->decision.translation == TRANSLATE_INIT      ? "init-only"
									       : "none");
	if (p->net_pidfd >= 0) {
		ARG("net-pid=%d", (int)p->net_pid);
		ARG("net-pidfd=%d", p->net_pidfd);
	}
	if (p->notify_fd >= 0)
		ARG("notify-fd=%d", p->notify_fd);
	if (session_pidfd >= 0) {
		ARG("session-pid=%d", (int)a->session_pid);
		ARG("session-pidfd=%d", session_pidfd);
	}
#undef ARG
	char *argv[ARRAY_SIZE(args) + 2] = { "x86ns-monitor" };
	for (int i = 0; i < n; i++)
		argv[i + 1] = args[i];
	argv[n + 1] = NULL;
	/* These fds are the monitor's to keep across exec. */
	int keep[] = { listen_fd,    pidfd,         console_master,   p->console_fd, log_fd,
		       p->notify_fd, session_pidfd, p->spawner_pidfd, p->net_pidfd };
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	/* Read by the launcher at EOF, which the exec makes (CLOEXEC). */
	dprintf(status_fd, "ok pid=%d\n", (int)pid);
	execve(monitor, argv, envp);
	error_set(&e, "monitor", negerrno(), "exec %s", monitor);
fail_running:
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	waitpid(pid, NULL, 0);
	user_net_stop(p);
fail:
	dprintf(status_fd, "err %s: %s", e.step, e.message);
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

/* Start the container (the caller holds the user's lock). Returns when the
 * guest init runs and the monitor listens, or dies with the reason. A guest
 * that is ready once its init runs is ready then: the init's pid is
 * returned, and the session of an "open" is the monitor's already; a notify
 * guest returns 0 (ask the monitor, which answers at READY=1). */
static pid_t container_start(const struct launch_args *a, const struct user_policy *pol,
			     int state_fd)
{
	struct container_plan plan;
	plan_prepare(a, pol, state_fd, &plan);
	leftovers_remove(a->user.uid, plan.cgroup_name);

	_cleanup_close_ int run = -1;
	char dir[64];
	runtime_dir(a->user.uid, dir, sizeof(dir));
	int r = root_dir_open(AT_FDCWD, dir, 0755, &run);
	if (r < 0)
		cli_die("cannot prepare %s: %s", dir, strerror(-r));
	struct cgroup_limits limits = { .pids_max = pol->pids_max,
					.memory_max = pol->memory_max,
					.cpu_percent = pol->cpu_percent };
	/* With systemd units, the monitor-to-be has systemd make the scopes
	 * (monitor_scope_create, then start.c) and checks the limits there. */
	r = plan.systemd_units ? 0 : cgroup_create_monitor_group();
	if (r >= 0 && !plan.systemd_units)
		r = cgroup_create(plan.cgroup_name, &limits, plan.root_uid, plan.root_gid);
	if (r < 0) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("cannot create the cgroup x86ns/%s: %s", plan.cgroup_name, strerror(-r));
	}
	const char *missing =
	    plan.systemd_units ? NULL : limits_unenforced(plan.cgroup_name, &limits);
	if (missing) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("the configuration sets a %s limit for %s, but this host has no %s cgroup "
			"controller to enforce it",
			missing, a->user.name, missing);
	}
	_cleanup_close_ int notify_fd = -1;
	if (pol->guest->ready == READY_NOTIFY) {
		r = runtime_notify_create(a->user.uid, plan.root_uid, plan.root_gid, &notify_fd);
		if (r < 0) {
			leftovers_remove(a->user.uid, plan.cgroup_name);
			cli_die("cannot create the notify socket in %s: %s", dir, strerror(-r));
		}
	}
	plan.notify_fd = notify_fd;
	_cleanup_close_ int listen_fd = -1;
	r = monitor_listen(a->user.uid, &listen_fd);
	if (r < 0) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("cannot listen on %s/monitor.sock: %s", dir, strerror(-r));
	}
	_cleanup_close_ int monitor_cgroup = -1;
	r = plan.systemd_units ? -ENOENT : cgroup_open_v2(CGROUP_MONITOR_GROUP, &monitor_cgroup);
	if (r < 0 && r != -ENOENT) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("cannot open the cgroup x86ns/%s: %s", CGROUP_MONITOR_GROUP, strerror(-r));
	}
	int status[2];
	if (pipe2(status, O_CLOEXEC) < 0) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("pipe: %m");
	}
	pid_t first = fork();
	if (first < 0) {
		leftovers_remove(a->user.uid, plan.cgroup_name);
		cli_die("fork: %m");
	}
	if (first == 0) {
		/* Detach: own session, parent gone, stdio off the PAM caller's
		 * pipes (or the caller would wait for the monitor's exit). */
		setsid();
		pid_t second = clone3_fork(0, monitor_cgroup, NULL);
		if (second < 0) {
			dprintf(status[1], "err monitor: create the monitor in x86ns/%s: %s",
				CGROUP_MONITOR_GROUP, strerror(-second));
			_exit(EXIT_FAILURE);
		}
		if (second > 0)
			_exit(EXIT_SUCCESS);
		close(status[0]);
		if (monitor_cgroup >= 0)
			close(monitor_cgroup);
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null_fd, 0);
		dup2(null_fd, 1);
		dup2(null_fd, 2);
		monitor_process(a, &plan, listen_fd, status[1]);
	}
	close(status[1]);
	waitpid(first, NULL, 0);
	/* "ok pid=N" and EOF: the monitor runs; "err ..." (after it or alone):
	 * what failed. */
	char msg[2 * PROTO_MSG_MAX];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(msg) - 1 &&
	       ((n = read(status[0], msg + len, sizeof(msg) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(status[0]);
	msg[len] = '\0';
	const char *err = strstr(msg, "err ");
	uint32_t pid = 0;
	if (!err) {
		msg[strcspn(msg, "\n")] = '\0';
		if (strncmp(msg, "ok pid=", 7) != 0 || parse_u32(msg + 7, &pid) < 0 || pid == 0)
			err = "err the monitor ended without a word";
	}
	if (err)
		cli_die("cannot start guest '%s' for %s: %s", pol->guest->name, a->user.name,
			err + 4);
	/* As monitor_process decided: a notify guest has its socket. */
	return plan.notify_fd >= 0 ? 0 : (pid_t)pid;
}

/* Wait for a stopping monitor to exit, so that a new start never meets
 * the old container's cgroups or socket. */
static void monitor_wait_exit(const char *reply, unsigned timeout_sec)
{
	unsigned long long pid;
	if (proto_get_u64(reply, "monitor", &pid) < 0)
		return;
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	poll(&pfd, 1, (int)(timeout_sec * 1000));
}

static int cmd_open(const struct launch_args *a, bool with_session)
{
	char err[CONFIG_ERROR_MAX];
	struct config *c = NULL;
	_cleanup_free_ char *dropins = config_dropin_dir(a->config);
	if (config_load(a->config, dropins, &c, err, sizeof(err)) < 0)
		cli_die("configuration error: %s", err);
	struct user_policy pol;
	if (config_resolve(c, a->user.name, a->user.groups, a->user.n_groups, &pol) < 0)
		cli_die("cannot resolve the configuration for %s", a->user.name);
	if (!pol.guest)
		return EXIT_NOT_SELECTED;
	/* Said first, so that even a failure can be audited with the guest. */
	printf("guest=%s translator=%s\n", pol.guest->name,
	       pol.guest->translator ? pol.guest->translator : "none");
	fflush(stdout);

	_cleanup_close_ int base = -1, lock = -1;
	int r = root_dir_open(AT_FDCWD, X86NS_RUNDIR, 0755, &base);
	if (r < 0)
		cli_die("cannot prepare %s: %s", X86NS_RUNDIR, strerror(-r));
	r = user_lock(a->user.uid, &lock);
	if (r < 0)
		cli_die("cannot lock %s/%u: %s", X86NS_STATEDIR, (unsigned)a->user.uid,
			strerror(-r));

	bool started = false;
	for (int attempt = 0; attempt < 3; attempt++) {
		_cleanup_close_ int fd = -1;
		r = monitor_connect(a->user.uid, &fd);
		if (r == -ENOENT || r == -ECONNREFUSED) {
			pid_t init = container_start(a, &pol, lock);
			if (init > 0) {
				printf("pid=%d started=1\n", (int)init);
				return EXIT_SUCCESS;
			}
			started = true;
			continue;
		}
		if (r < 0)
			cli_die("cannot reach the monitor of %s: %s", a->user.name, strerror(-r));
		char req[64], reply[PROTO_MSG_MAX];
		if (with_session)
			snprintf(req, sizeof(req), "open %d", (int)a->session_pid);
		else
			snprintf(req, sizeof(req), "wait");
		/* The monitor answers when the guest is ready or its
		 * ready-timeout passed; allow it that long and a margin. */
		r = proto_call(fd, req, reply, sizeof(reply),
			       (int)(pol.guest->ready_timeout_sec + 10) * 1000, NULL, NULL);
		if (r == -EPROTO && strncmp(reply, "stopping", 8) == 0) {
			monitor_wait_exit(reply, pol.guest->stop_timeout_sec + 10);
			continue;
		}
		if (r == -EPROTO)
			cli_die("guest '%s' for %s: %s", pol.guest->name, a->user.name, reply);
		if (r < 0)
			cli_die("guest '%s' for %s: no answer from its monitor (see " X86NS_LOGDIR
				"/%s.log): %s",
				pol.guest->name, a->user.name, a->user.name, strerror(-r));
		char pid[16] = "";
		proto_get(reply, "pid", pid, sizeof(pid));
		printf("pid=%s started=%d\n", pid, started);
		return EXIT_SUCCESS;
	}
	cli_die("guest '%s' for %s did not start", pol.guest->name, a->user.name);
}

static int cmd_close_or_stop(const struct launch_args *a, bool stop)
{
	_cleanup_close_ int fd = -1;
	int r = monitor_connect(a->user.uid, &fd);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return EXIT_SUCCESS; /* nothing runs: nothing to close */
	if (r < 0)
		cli_die("cannot reach the monitor of uid %u: %s", (unsigned)a->user.uid,
			strerror(-r));
	char req[64], reply[PROTO_MSG_MAX];
	if (stop)
		snprintf(req, sizeof(req), "stop");
	else
		snprintf(req, sizeof(req), "close %d", (int)a->session_pid);
	r = proto_call(fd, req, reply, sizeof(reply), 10000, NULL, NULL);
	if (r == -EPROTO && strncmp(reply, "stopping", 8) == 0)
		r = 0;
	else if (r < 0)
		cli_die("monitor of uid %u: %s", (unsigned)a->user.uid,
			r == -EPROTO ? reply : strerror(-r));
	unsigned long long stopping = 0;
	proto_get_u64(reply, "stopping", &stopping);
	if (stop)
		monitor_wait_exit(reply, 60);
	printf("stopping=%llu\n", stop ? 1ULL : stopping);
	return EXIT_SUCCESS;
}

/* Discard the user's writable layer(s): the guest trees as shipped come
 * back at the next start. Only while no container runs, under the lock. */
static int cmd_reset(const struct launch_args *a)
{
	_cleanup_close_ int lock = -1;
	int r = user_lock(a->user.uid, &lock);
	if (r < 0)
		cli_die("cannot lock %s/%u: %s", X86NS_STATEDIR, (unsigned)a->user.uid,
			strerror(-r));
	_cleanup_close_ int fd = -1;
	if (monitor_connect(a->user.uid, &fd) == 0)
		cli_die("the container of uid %u runs: stop it first (x86nsctl stop)",
			(unsigned)a->user.uid);
	if (a->guest) {
		if (!config_guest_name_is_valid(a->guest))
			cli_die("bad guest name '%s'", a->guest);
		char image[300];
		r = xsnprintf(image, sizeof(image), "%s.img", a->guest);
		if (r >= 0)
			r = tree_remove_at(lock, a->guest);
		if (r >= 0)
			r = tree_remove_at(lock, image);
	} else {
		DIR *d = fdopendir(fcntl(lock, F_DUPFD_CLOEXEC, 3));
		struct dirent *de;
		r = d ? 0 : negerrno();
		while (d && r >= 0 && (de = readdir(d)))
			if (de->d_name[0] != '.')
				r = tree_remove_at(lock, de->d_name);
		if (d)
			closedir(d);
	}
	if (r < 0)
		cli_die("cannot remove the writable layer of uid %u: %s", (unsigned)a->user.uid,
			strerror(-r));
	printf("reset=1\n");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	if (geteuid() != 0)
		cli_die(
		    "x86ns-launch must run as root (it is started by pam_x86ns.so and x86nsctl)");
	umask(022);
	label_probe();
	struct launch_args a = { 0 };
	parse_args(argc, argv, &a);
	if (strcmp(a.command, "open") == 0) {
		if (a.session_pid <= 0)
			cli_die("open needs --session-pid");
		return cmd_open(&a, true);
	}
	if (strcmp(a.command, "start") == 0)
		return cmd_open(&a, false);
	if (strcmp(a.command, "close") == 0)
		return cmd_close_or_stop(&a, false);
	if (strcmp(a.command, "stop") == 0)
		return cmd_close_or_stop(&a, true);
	if (strcmp(a.command, "reset") == 0)
		return cmd_reset(&a);
	cli_die("unknown command '%s'", a.command);
}
