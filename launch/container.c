/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container child: everything between clone() and the exec of the guest
 * init, as one ordered table of named steps.
 *
 * Runs in: container child. It was cloned with new user, PID, mount, UTS and
 * IPC namespaces (and network with network = none) from a process whose
 * effective uid was the user's, so the user owns the namespaces. From here
 * on it holds capabilities only inside them: every step works with the
 * user's power, never host root's.
 *
 * Ordering rules:
 *  - credentials first: nothing runs before the monitor has written the id
 *    maps and placed this process in the container's cgroups;
 *  - the cgroup namespace is unshared only after that placement, so that its
 *    root is the container's cgroup;
 *  - propagation is made private before the first mount, so that no mount
 *    can ever reach the host;
 *  - every mount point below the merged root is resolved with openat2
 *    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: the upper layer is the guest's
 *    to write, and a guest symlink must not redirect a mount;
 *  - /proc and /sys are masked before the translator's binfmt_misc
 *    instance is mounted over the then read-only /proc/sys, and that before
 *    pivot_root: registration opens the translator by its host path;
 *  - pivot_root comes last, then the mounts are locked and the capability
 *    bounding set is trimmed; the system call filter and the Landlock
 *    domain come after everything that needs what they refuse (unshare of
 *    a user namespace), and the guest init is exec'd with no fd of ours
 *    left open;
 *  - x86ns-spawner is forked last of all, just before that exec, so that
 *    it (and every session it forks) has every wall init has, the
 *    Landlock domain included. */

#include "caps.h"
#include "confine.h"
#include "fd-pass.h"
#include "home.h"
#include "label.h"
#include "landlock.h"
#include "launch-proto.h"
#include "launch.h"
#include "mounts.h"
#include "proto.h"
#include "seccomp.h"
#include "spawn-proto.h"
#include "translator.h"
#include "util.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#define STAGING_LOWER       "lower"
#define STAGING_MERGED      "merged"
#define STAGING_LAYER       "layer"
#define USER_NET_TIMEOUT_MS 10000

struct child_state {
	const struct container_plan *plan;
	int sync_fd;
	int lower_fd;           /* detached, idmapped mount of the shared guest tree */
	int layer_fd;           /* detached mount of the writable layer (upper/, work/) */
	int staging_fd;         /* the private tmpfs that holds lower/ and merged/ */
	int root_fd;            /* merged/ */
	int notify_dir_fd;      /* ready = notify: /run/x86ns/<uid>/notify, opened before staging */
	bool binfmt_registered; /* the translator runs every program of its machines */
	char label[160];        /* SELinux: ",context=..." of our tmpfs and devpts mounts, or "" */
	char staging[64];
};

static int step_credentials(struct child_state *s, struct error *e)
{
	/* The monitor sends "go" with the idmapped guest tree and the
	 * writable layer once the maps are written and we sit in our cgroups. */
	char buf[16];
	int fds[SYNC_MAX_FDS];
	size_t n_fds = 0;
	ssize_t n = fd_recv(s->sync_fd, buf, sizeof(buf), fds, SYNC_MAX_FDS, &n_fds, 0);
	if (n <= 0)
		return error_set(e, "credentials", n < 0 ? (int)n : -ECONNRESET,
				 "no go from the monitor");
	struct sync_message m;
	int r = sync_message_parse(buf, (size_t)n, n_fds, &m);
	if (r < 0 || m.kind != SYNC_GO) {
		fd_close_all(fds, n_fds);
		return error_set(e, "credentials", -EBADMSG, "no guest tree and layer received");
	}
	s->lower_fd = fds[0];
	s->layer_fd = fds[1];

	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return error_set(e, "credentials", negerrno(), "become guest root");
	if (setgroups(0, NULL) < 0)
		return error_set(e, "credentials", negerrno(), "clear groups");
	/* The euid switch around clone left us non-dumpable, which makes our
	 * own /proc/self/fd unreadable to guest root; every mount below goes
	 * through it. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return error_set(e, "credentials", negerrno(), "set dumpable");
	return 0;
}

/* With network = none the container's network namespace has only a
 * loopback device, and it starts down; guest root cannot raise it later
 * (the namespace belongs to the outer user namespace, see lock mounts). */
static int loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	struct ifreq ifr = { .ifr_name = "lo" };
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return negerrno();
	ifr.ifr_flags |= IFF_UP;
	return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? negerrno() : 0;
}

static int step_namespaces(struct child_state *s, struct error *e)
{
	if (s->plan->decision.network == NETWORK_NONE) {
		int r = loopback_up();
		if (r < 0)
			return error_set(e, "namespaces", r, "bring up the loopback device");
	}
	if (unshare(CLONE_NEWCGROUP) < 0)
		return error_set(e, "namespaces", negerrno(), "unshare the cgroup namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_set(e, "namespaces", negerrno(), "make / private");
	return 0;
}

static int step_overlay(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	/* A private tmpfs over the runtime directory holds the mount points;
	 * it is in this mount namespace only. */
	int r = runtime_dir(p->user->uid, s->staging, sizeof(s->staging));
	if (r < 0)
		return error_set(e, "overlay", r, "runtime path");
	if (p->guest->ready == READY_NOTIFY) {
		/* Open it now: the staging tmpfs is about to cover its parent. */
		char notify[96];
		r = xsnprintf(notify, sizeof(notify), "%s/" NOTIFY_DIR_NAME, s->staging);
		if (r < 0)
			return error_set(e, "overlay", r, "notify directory path");
		s->notify_dir_fd = open(notify, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->notify_dir_fd < 0)
			return error_set(e, "overlay", negerrno(), "open %s", notify);
	}
	if (mount("x86ns", s->staging, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return error_set(e, "overlay", negerrno(), "staging tmpfs on %s", s->staging);
	s->staging_fd = open(s->staging, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->staging_fd < 0)
		return error_set(e, "overlay", negerrno(), "open %s", s->staging);
	if (mkdirat(s->staging_fd, STAGING_LOWER, 0700) < 0 ||
	    mkdirat(s->staging_fd, STAGING_LAYER, 0700) < 0 ||
	    mkdirat(s->staging_fd, STAGING_MERGED, 0755) < 0)
		return error_set(e, "overlay", negerrno(), "staging directories");
	if (mount_move_fd(s->lower_fd, s->staging_fd, STAGING_LOWER) < 0)
		return error_set(e, "overlay", negerrno(), "attach the guest tree");
	if (mount_move_fd(s->layer_fd, s->staging_fd, STAGING_LAYER) < 0)
		return error_set(e, "overlay", negerrno(), "attach the writable layer");

	r = label_mount_option(p->user->uid, s->label, sizeof(s->label));
	if (r < 0)
		return error_set(e, "overlay", r, "SELinux label of the container's files");
	_cleanup_close_ int lower = -1, layer = -1, upper = -1, work = -1, merged = -1;
	r = mountpoint_open(s->staging_fd, STAGING_LOWER, true, &lower);
	if (r >= 0)
		r = mountpoint_open(s->staging_fd, STAGING_LAYER, true, &layer);
	/* A new image has neither yet; its root belongs to guest root. */
	if (r >= 0)
		r = mountpoint_open(layer, "upper", true, &upper);
	if (r >= 0)
		r = mountpoint_open(layer, "work", true, &work);
	if (r >= 0)
		r = mountpoint_open(s->staging_fd, STAGING_MERGED, true, &merged);
	if (r < 0)
		return error_set(e, "overlay", r, "open the layers");
	/* The layers by the fds just opened: overlay resolves /proc/self/fd/N
	 * to exactly those directories, nothing is looked up by name again. */
	char opts[768], target[32];
	r = xsnprintf(opts, sizeof(opts),
		      "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,"
		      "workdir=/proc/self/fd/%d,userxattr%s",
		      lower, upper, work, s->label);
	if (r >= 0)
		r = xsnprintf(target, sizeof(target), "/proc/self/fd/%d", merged);
	if (r < 0)
		return error_set(e, "overlay", r, "options too long");
	if (mount("overlay", target, "overlay", 0, opts) < 0)
		return error_set(e, "overlay", negerrno(), "mount overlay of guest '%s' (%s)",
				 p->guest->name, p->guest->root);
	/* Again by name: the fd above names the directory below the mount. */
	r = mountpoint_open(s->staging_fd, STAGING_MERGED, true, &s->root_fd);
	if (r < 0)
		return error_set(e, "overlay", r, "open merged root");
	return 0;
}

static int step_api_filesystems(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	int r = mounts_proc(s->root_fd);
	if (r < 0)
		return error_set(e, "api filesystems", r, "mount proc on /proc");
	r = mounts_sys(s->root_fd, p->decision.network != NETWORK_HOST);
	if (r < 0)
		return error_set(e, "api filesystems", r, "mount /sys");
	r = mounts_cgroup(s->root_fd, s->label);
	if (r < 0)
		return error_set(e, "api filesystems", r, "mount /sys/fs/cgroup");
	r = mounts_dev(s->root_fd, s->label);
	if (r < 0)
		return error_set(e, "api filesystems", r, "populate /dev");
	/* By path: a bind source must be a mount of our own namespace, and
	 * the fd we inherited names the monitor's. */
	r = mounts_bind(s->root_fd, p->console_path, "/dev/console", false);
	if (r < 0)
		return error_set(e, "api filesystems", r, "bind the console pty %s on /dev/console",
				 p->console_path);
	r = mounts_tmpfs(s->root_fd, "run", "mode=0755,size=20%", s->label);
	if (r < 0)
		return error_set(e, "api filesystems", r, "mount tmpfs on /run");
	r = mounts_tmpfs(s->root_fd, "tmp", "mode=1777,size=50%", s->label);
	if (r < 0)
		return error_set(e, "api filesystems", r, "mount tmpfs on /tmp");
	if (s->notify_dir_fd >= 0) {
		r = mounts_bind_fd(s->root_fd, s->notify_dir_fd, "run/host/notify", true);
		if (r < 0)
			return error_set(e, "api filesystems", r, "bind the notify socket");
	}
	return 0;
}

static int step_masks(struct child_state *s, struct error *e)
{
	int r = mounts_mask(s->root_fd, s->plan->decision.network != NETWORK_HOST, s->label);
	if (r < 0)
		return error_set(e, "masks", r, "mask /proc and /sys");
	return 0;
}

static int step_translator(struct child_state *s, struct error *e)
{
	const struct guest_config *g = s->plan->guest;
	int r = translator_register(s->root_fd, g, s->plan->decision.translation,
				    s->plan->console_fd, &s->binfmt_registered);
	if (r < 0)
		return error_set(e, "translator", r, "register %s in binfmt_misc", g->translator);
	if (g->translator && g->init) {
		r = translator_reset_credentials(s->root_fd, g->translator_profile);
		if (r < 0)
			return error_set(e, "translator", r, "credential drop-ins of profile %s",
					 g->translator_profile->name);
	}
	return 0;
}

static int step_binds(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	int r = mounts_bind(s->root_fd, p->user->home, p->user->home, false);
	if (r < 0)
		return error_set(e, "binds", r, "bind the home %s", p->user->home);
	for (size_t i = 0; i < p->policy->n_binds; i++) {
		const struct bind_mount *b = &p->policy->binds[i];
		char source[4096];
		if (strncmp(b->source, "~/", 2) == 0)
			r = xsnprintf(source, sizeof(source), "%s/%s", p->user->home,
				      b->source + 2);
		else
			r = xsnprintf(source, sizeof(source), "%s", b->source);
		if (r < 0)
			return error_set(e, "binds", r, "source path too long");
		const char *target = b->target ? b->target : source;
		r = mounts_bind(s->root_fd, source, target, b->read_only);
		if (r < 0)
			return error_set(e, "binds", r, "bind %s to %s", source, target);
	}
	return 0;
}

/* After the binds, so that whatever ended up at these paths is covered. */
static int step_protect_home(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	if (!p->policy->protect_home)
		return 0;
	const char *path;
	int r = home_protect(s->root_fd, p->user->home, p->user->uid, p->user->gid, &path);
	if (r < 0)
		return error_set(e, "protect home", -EPERM,
				 "%s/%s cannot be made read-only (%s); fix it or "
				 "set \"protect-home = no\" for %s",
				 p->user->home, path, home_protect_error(r), p->user->name);
	return 0;
}

static int step_account(struct child_state *s, struct error *e)
{
	const struct launch_user *u = s->plan->user;
	int r = guest_account_ensure(s->root_fd, u->name, u->uid, u->gid, u->gecos, u->home);
	if (r < 0)
		return error_set(e, "user account", r, "add %s to the guest's passwd/group",
				 u->name);
	return 0;
}

static int step_pivot(struct child_state *s, struct error *e)
{
	const struct guest_config *g = s->plan->guest;
	const char *hostname = g->hostname ? g->hostname : g->name;
	if (sethostname(hostname, strlen(hostname)) < 0)
		return error_set(e, "pivot", negerrno(), "sethostname %s", hostname);
	if (fchdir(s->root_fd) < 0)
		return error_set(e, "pivot", negerrno(), "chdir to the guest root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return error_set(e, "pivot", negerrno(), "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return error_set(e, "pivot", negerrno(), "detach the host root");
	if (chdir("/") < 0)
		return error_set(e, "pivot", negerrno(), "chdir /");
	return 0;
}

/* The maps of the inner user namespace: every id of the outer one maps to
 * itself, so ids on the host are unchanged. */
static int identity_map_format(const struct idmap *outer, char *text, size_t size, size_t *ret_len)
{
	size_t off = 0;
	for (size_t i = 0; i < outer->n; i++) {
		int r = xsnprintf(text + off, size - off, "%u %u %u\n", outer->extent[i].inside,
				  outer->extent[i].inside, outer->extent[i].count);
		if (r < 0)
			return r;
		off += (size_t)r;
	}
	*ret_len = off;
	return 0;
}

/* The helper that writes them from the outer namespace. It runs in our
 * memory (CLONE_VM: no copy of it to make, none to tear down) on a stack of
 * its own, and makes nothing but system calls: everything it needs is
 * prepared here, its result comes back in `result`. */
struct map_helper {
	int go_fd;   /* a byte arrives once we are in the inner namespace */
	int proc_fd; /* our /proc/<pid> */
	char uid_text[256], gid_text[256];
	size_t uid_len, gid_len;
	int result; /* 0 or -errno */
};

static int map_helper_main(void *arg)
{
	struct map_helper *h = arg;
	char c;
	if (read(h->go_fd, &c, 1) != 1)
		return 1;
	h->result = idmap_file_write(h->proc_fd, "gid_map", h->gid_text);
	if (h->result == 0)
		h->result = idmap_file_write(h->proc_fd, "uid_map", h->uid_text);
	return 0;
}

/* Lock every mount placed so far: moving into a new user namespace together
 * with a new mount namespace copies the mount table with each mount locked
 * (MNT_LOCKED), so guest root, which from here on holds its capabilities
 * only in the inner namespace, can no longer unmount or move what x86ns
 * mounted (and uncover what lies below, such as the host's /sys/fs/cgroup).
 * The inner namespace is a child of the outer one, so the user, who owns the
 * outer one, can still join it without privilege.
 * A helper left in the outer namespace writes the inner maps (a process
 * cannot map itself beyond its own id). */
static int step_lock_mounts(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	static char helper_stack[16 * 1024] __attribute__((aligned(16)));
	struct map_helper h = { .proc_fd = -1, .result = -ECHILD };
	if (identity_map_format(&p->uid_map, h.uid_text, sizeof(h.uid_text), &h.uid_len) < 0 ||
	    identity_map_format(&p->gid_map, h.gid_text, sizeof(h.gid_text), &h.gid_len) < 0)
		return error_set(e, "lock mounts", -EINVAL, "format the inner maps");
	_cleanup_close_ int proc_fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int go[2];
	if (proc_fd < 0 || pipe2(go, O_CLOEXEC) < 0)
		return error_set(e, "lock mounts", negerrno(), "open /proc/self, pipe");
	h.proc_fd = proc_fd;
	h.go_fd = go[0];
	pid_t helper =
	    clone(map_helper_main, helper_stack + sizeof(helper_stack), CLONE_VM | SIGCHLD, &h);
	close(go[0]);
	if (helper < 0) {
		close(go[1]);
		return error_set(e, "lock mounts", negerrno(), "start the map helper");
	}
	/* A UTS namespace of the inner user namespace too (it starts with
	 * the guest's host name), so that guest root can change it. */
	int r = unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS) < 0 ? negerrno() : 0;
	if (r == 0 && write(go[1], "x", 1) != 1)
		r = negerrno();
	close(go[1]); /* without the byte, the helper ends */
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return error_set(e, "lock mounts", r, "enter the inner user namespace");
	if (h.result < 0)
		return error_set(e, "lock mounts", h.result, "map the inner user namespace");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return error_set(e, "lock mounts", negerrno(), "become inner root");
	return 0;
}

static int step_capabilities(struct child_state *s, struct error *e)
{
	int r = caps_trim_bounding_set();
	if (r < 0)
		return error_set(e, "capabilities", r, "trim the bounding set");
	return 0;
}

/* The listening socket of x86ns-spawner, at its path in the guest (a fresh
 * /run of ours, so nothing of the guest's is there yet): anyone in the
 * guest may connect, and gets a session with their own ids only. */
static int spawner_socket(int *ret_fd)
{
	if (mkdir(SPAWN_SOCKET_DIR, 0755) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SPAWN_SOCKET_PATH };
	mode_t old = umask(0);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 128) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Runs in: container child, after pivot_root and every wall (Landlock,
 * seccomp, personality, SELinux exec label): fork x86ns-spawner, which
 * inherits them all, so that the sessions it forks for x86ns-shell are in
 * the guest's Landlock domain. It becomes a child of the guest's init. */
static int spawner_start(struct child_state *s, struct error *e)
{
	_cleanup_close_ int listen_fd = -1;
	int r = spawner_socket(&listen_fd);
	if (r < 0)
		return error_set(e, "exec init", r, "socket %s", SPAWN_SOCKET_PATH);
	/* The spawner reports a failed exec here: a guest without it would run,
	 * but refuse every login. */
	int err_pipe[2];
	if (pipe2(err_pipe, O_CLOEXEC) < 0)
		return error_set(e, "exec init", negerrno(), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		int err_fd = err_pipe[1];
		if (err_fd == SPAWN_LISTEN_FD) /* keep it clear of the dup2 below */
			err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, SPAWN_LISTEN_FD + 1);
		/* Everything above stderr is closed at exec but the socket. */
		if (err_fd >= 0 && syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0 &&
		    (listen_fd == SPAWN_LISTEN_FD ? fcntl(listen_fd, F_SETFD, 0)
						  : dup2(listen_fd, SPAWN_LISTEN_FD)) >= 0) {
			char *argv[] = { "x86ns-spawner", NULL };
			char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
			syscall(SYS_execveat, s->plan->spawner_fd, "", argv, envp, AT_EMPTY_PATH);
		}
		int err = errno;
		(void)!write(err_fd, &err, sizeof(err));
		_exit(127);
	}
	int saved = errno;
	close(err_pipe[1]);
	int err = 0;
	ssize_t n = pid < 0 ? 0 : read(err_pipe[0], &err, sizeof(err));
	close(err_pipe[0]);
	if (pid < 0)
		return error_set(e, "exec init", -saved, "fork");
	if (n == (ssize_t)sizeof(err))
		return error_set(e, "exec init", -err, "exec x86ns-spawner");
	/* The monitor watches it: guest root may end it, and a guest without
	 * its spawner refuses every login, so the monitor then stops the guest
	 * (our child is not reaped yet: the pid is still the spawner's). */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return error_set(e, "exec init", negerrno(), "pidfd of x86ns-spawner");
	r = sync_send(s->sync_fd, &(struct sync_message){ .kind = SYNC_SPAWNER }, &pidfd, 1);
	if (r < 0)
		return error_set(e, "exec init", r, "hand x86ns-spawner to the monitor");
	return 0;
}

/* network = private: the guest's first programs find the network
 * configured, as they would with the host's. */
static int step_network(struct child_state *s, struct error *e)
{
	if (s->plan->decision.network != NETWORK_PRIVATE)
		return 0;
	int r = user_net_wait_configured(USER_NET_TIMEOUT_MS);
	if (r < 0)
		return error_set(e, "network", r,
				 "pasta did not configure the guest's network within %u s",
				 USER_NET_TIMEOUT_MS / 1000);
	return 0;
}

/* The walls that stay with the guest: a Landlock domain that the whole
 * guest shares (its services can signal each other and reach each other's
 * abstract sockets, nothing outside), then the system call filter. */
static int step_confine(struct child_state *s, struct error *e)
{
	const struct guest_config *g = s->plan->guest;
	/* The plan decided (lib/plan.h): where the kernel lacks the scope,
	 * the guest has a network namespace of its own instead. */
	if (s->plan->decision.landlock) {
		int r = landlock_scope_self();
		if (r < 0)
			return error_set(e, "confine", r, "Landlock scope of the guest");
	}
	int r = seccomp_apply_guest_filter(g->relax);
	if (r < 0)
		return error_set(e, "confine", r, "load the system call filter");
	return 0;
}

static int step_exec_init(struct child_state *s, struct error *e)
{
	const struct container_plan *p = s->plan;
	const struct guest_config *g = p->guest;

	if (setsid() < 0)
		return error_set(e, "exec init", negerrno(), "setsid");
	if (dup2(p->console_fd, 0) < 0 || dup2(p->console_fd, 1) < 0 || dup2(p->console_fd, 2) < 0)
		return error_set(e, "exec init", negerrno(), "console descriptors");
	/* Nothing of ours may reach the guest: every fd above stderr is
	 * closed at exec, including the sync socket, whose EOF tells the
	 * monitor that the exec happened. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return error_set(e, "exec init", negerrno(), "close_range");

	char *envp[] = { "container=x86ns",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "HOME=/root",
			 "TERM=dumb",
			 g->ready == READY_NOTIFY ? "NOTIFY_SOCKET=" NOTIFY_SOCKET_IN_GUEST : NULL,
			 NULL };
	if (g->personality == PERSONALITY_X86 && personality(PER_LINUX32) < 0)
		return error_set(e, "exec init", negerrno(), "32-bit personality");
	/* Under SELinux the guest runs in x86ns_container_t with the user's
	 * categories; without the label it would fail closed at plain s0. */
	int lr = label_exec_container(p->user->uid);
	if (lr < 0)
		return error_set(e, "exec init", lr, "SELinux exec context");
	lr = spawner_start(s, e);
	if (lr < 0)
		return lr;
	if (!g->init) {
		char *argv[] = { "x86ns-init", NULL };
		syscall(SYS_execveat, p->init_fd, "", argv, envp, AT_EMPTY_PATH);
		return error_set(e, "exec init", negerrno(), "exec the builtin init");
	}
	if (g->translator && !s->binfmt_registered) {
		/* No registration: the translator runs the init itself. */
		char *argv[TRANSLATOR_ARGS_MAX + 3] = { g->translator };
		size_t n = 1;
		for (size_t i = 0; g->translator_args[i]; i++)
			argv[n++] = g->translator_args[i];
		argv[n++] = g->init;
		argv[n] = NULL;
		syscall(SYS_execveat, p->init_fd, "", argv, envp, AT_EMPTY_PATH);
		return error_set(e, "exec init", negerrno(), "exec %s %s", g->translator, g->init);
	}
	char *argv[] = { g->init, NULL };
	execve(g->init, argv, envp);
	return error_set(e, "exec init", negerrno(), "exec %s in guest '%s'", g->init, g->name);
}

/* The steps in order (the ordering rules are at the top of this file);
 * each name is the one docs/ARCHITECTURE.md's step table gives, and the
 * one the user's error names when the step fails. */
struct child_step {
	const char *name;
	int (*run)(struct child_state *s, struct error *e);
};

static const struct child_step child_steps[] = {
	{ "credentials", step_credentials },
	{ "namespaces", step_namespaces },
	{ "overlay", step_overlay },
	{ "api filesystems", step_api_filesystems },
	{ "masks", step_masks },
	{ "translator", step_translator },
	{ "binds", step_binds },
	{ "protect home", step_protect_home },
	{ "user account", step_account },
	{ "pivot", step_pivot },
	{ "lock mounts", step_lock_mounts },
	{ "capabilities", step_capabilities },
	{ "network", step_network },
	{ "confine", step_confine },
	{ "exec init", step_exec_init },
};

/* Run the steps until one fails; the failing step's name goes into e
 * whatever name its helpers used. Returns only on failure. */
static int child_steps_run(struct child_state *s, struct error *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(child_steps); i++) {
		int r = child_steps[i].run(s, e);
		if (r < 0) {
			snprintf(e->step, sizeof(e->step), "%s", child_steps[i].name);
			if (!e->message[0])
				error_set(e, child_steps[i].name, r, "failed");
			return r;
		}
	}
	return error_set(e, "exec init", -ENOEXEC, "the guest init did not start");
}

void container_child_main(const struct container_plan *plan, int sync_fd)
{
	struct child_state s = { .plan = plan,
				 .sync_fd = sync_fd,
				 .lower_fd = -1,
				 .layer_fd = -1,
				 .staging_fd = -1,
				 .root_fd = -1,
				 .notify_dir_fd = -1 };
	struct error e = { { 0 }, { 0 } };

	/* Die with the monitor: an orphaned half-built container helps no one. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)child_steps_run(&s, &e);
	struct sync_message failed = { .kind = SYNC_FAILED, .error = e };
	(void)sync_send(sync_fd, &failed, NULL, 0);
	_exit(127);
}
