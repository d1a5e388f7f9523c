/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Creating the container: the host-root half.
 *
 * Runs in: the future monitor process, host root, host namespaces.
 *
 * Host root does only what needs host privilege: it creates the user
 * namespace *as the user* (effective uid switched around clone, so the user
 * owns every namespace and can later join without privilege), writes the id
 * maps, places the child in the container's cgroups, and gives the child an
 * idmapped mount of the shared guest tree (mount_setattr MOUNT_ATTR_IDMAP
 * needs CAP_SYS_ADMIN in the initial namespace). Everything else happens in
 * the child with the user's power only (container.c). */

#include "cgroup.h"
#include "launch-proto.h"
#include "launch.h"
#include "layer.h"
#include "proto.h"
#include "systemd.h"
#include "fd-pass.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Clone the container child with the user's effective ids, so that the new
 * user namespace (and every namespace created with it) is owned by the
 * user. The saved ids stay 0, so this process gets root back at once. The
 * file-system uid stays 0 around the clone: the kernel checks the move into
 * the cgroup2 group (CLONE_INTO_CGROUP) against cgroup.procs of the common
 * ancestor, which is root's. The child keeps that fsuid, unmapped in its
 * new namespace, only until step_credentials makes it guest root; it
 * touches no file before. */
static pid_t clone_as_user(const struct container_plan *p, int cgroup_fd, int *ret_pidfd)
{
	uint64_t flags =
	    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
	if (p->decision.network != NETWORK_HOST)
		flags |= CLONE_NEWNET;

	if (setresgid(-1, p->user->gid, -1) < 0 || setresuid(-1, p->user->uid, -1) < 0)
		return (pid_t)negerrno();
	if (cgroup_fd >= 0)
		setfsuid(0); /* allowed: the saved uid is 0 */
	pid_t pid = clone3_fork(flags, cgroup_fd, ret_pidfd);
	if (pid == 0)
		return 0;
	/* Back to full root in the parent; failure here would leave a
	 * half-privileged root process: stop hard. */
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		abort();
	return pid;
}

/* Runs in: monitor, host root; child is stopped in step_credentials. */
static int idmap_write(int proc_fd, const struct container_plan *p, struct error *e)
{
	char text[256];
	int r = idmap_format(&p->gid_map, text, sizeof(text));
	if (r >= 0)
		r = idmap_file_write(proc_fd, "gid_map", text);
	if (r < 0)
		return error_set(e, "id maps", r, "write gid_map");
	r = idmap_format(&p->uid_map, text, sizeof(text));
	if (r >= 0)
		r = idmap_file_write(proc_fd, "uid_map", text);
	if (r < 0)
		return error_set(e, "id maps", r, "write uid_map");
	return 0;
}

/* A detached mount of the shared guest tree, read-only, whose ids are shown
 * through the container's user namespace: on-disk root is guest root. One
 * tree on disk serves every user's subordinate range. */
static int guest_tree_idmapped(const struct container_plan *p, int proc_fd, int *ret_fd,
			       struct error *e)
{
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, AT_FDCWD, p->guest->root,
						OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return error_set(e, "guest tree", negerrno(), "open guest tree %s", p->guest->root);
	_cleanup_close_ int userns = openat(proc_fd, "ns/user", O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return error_set(e, "guest tree", negerrno(), "open the user namespace");
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV,
		.userns_fd = (uint64_t)userns,
	};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0)
		return error_set(e, "guest tree", negerrno(),
				 "idmapped mount of %s (the file system must support "
				 "idmapped mounts)",
				 p->guest->root);
	*ret_fd = TAKE_FD(tree);
	return 0;
}

int sync_send(int sync_fd, const struct sync_message *m, const int *fds, size_t n)
{
	char text[sizeof(struct error) + 32];
	if (n != sync_message_fds(m->kind))
		return -EINVAL;
	int len = sync_message_format(m, text, sizeof(text));
	if (len < 0)
		return len;
	return fd_send(sync_fd, text, (size_t)len, fds, n, 0);
}

/* Where systemd runs the units: the child, still waiting for its "go" (it
 * has not forked, so one pid is the whole container), moves from the
 * monitor's scope into a delegated scope of its own, which carries the
 * user's limits; guest root then owns the scope's group, as it would own
 * x86ns/<uid>. A limit systemd could not apply fails the start. */
static int guest_scope_create(const struct container_plan *p, pid_t pid, struct error *e)
{
	const struct user_policy *pol = p->policy;
	char description[128];
	struct error se = { 0 };
	snprintf(description, sizeof(description), "x86ns guest %s of %s", p->guest->name,
		 p->user->name);
	struct systemd_scope scope = {
		.name = p->cgroup_name,
		.description = description,
		.pid = pid,
		.delegate = true,
		.before = p->monitor_unit,
		.timeout_stop_usec = 10ULL * 1000000,
		.memory_max = pol->memory_max,
		.tasks_max = pol->pids_max,
		.cpu_quota_per_sec_usec = (uint64_t)pol->cpu_percent * 10000,
	};
	int r = systemd_scope_start(p->systemd, &scope, &se);
	if (r < 0)
		return error_set(e, "systemd unit", r, "%s", se.message);
	r = cgroup_delegate(p->cgroup_name, p->root_uid, p->root_gid);
	if (r < 0)
		return error_set(e, "cgroup", r, "delegate %s/%s", SYSTEMD_SLICE, p->cgroup_name);
	unsigned have = 0;
	r = cgroup_enforced_controllers(p->cgroup_name, &have);
	if (r < 0)
		return error_set(e, "cgroup", r, "read %s/%s", SYSTEMD_SLICE, p->cgroup_name);
	const char *missing = pol->pids_max && !(have & CGROUP_CONTROLLER_PIDS)       ? "pids"
			      : pol->memory_max && !(have & CGROUP_CONTROLLER_MEMORY) ? "memory"
			      : pol->cpu_percent && !(have & CGROUP_CONTROLLER_CPU)   ? "cpu"
										      : NULL;
	if (missing)
		return error_set(e, "cgroup", -EOPNOTSUPP,
				 "the configuration sets a %s limit for %s, but systemd "
				 "did not enable the %s controller",
				 missing, p->user->name, missing);
	return 0;
}

/* Everything between clone and the child's "go". */
static int prepare_child(struct container_plan *p, pid_t pid, int sync_fd, struct error *e)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	/* The child is ours and not yet reaped: its pid cannot be reused. */
	_cleanup_close_ int proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return error_set(e, "id maps", negerrno(), "open %s", path);
	int r = idmap_write(proc_fd, p, e);
	if (r < 0)
		return r;
	/* As early as the namespaces are complete: pasta configures the
	 * network while the child builds the rest. */
	if (p->decision.network == NETWORK_PRIVATE) {
		r = user_net_start(p, proc_fd, e);
		if (r < 0)
			return r;
	}
	/* clone3 placed the child in the cgroup2 group; the v1 hierarchies of
	 * hybrid and legacy hosts need a move (the monitor's own move, just
	 * made, paid the grace period it waits for). */
	if (p->systemd_units) {
		r = guest_scope_create(p, pid, e);
		if (r < 0)
			return r;
	} else {
		r = cgroup_attach_v1(p->cgroup_name, pid);
		if (r < 0)
			return error_set(e, "cgroup", r, "move the container into its cgroup");
	}
	_cleanup_close_ int tree = -1;
	r = guest_tree_idmapped(p, proc_fd, &tree, e);
	if (r < 0)
		return r;
	_cleanup_close_ int layer = -1;
	r = layer_mount(p, &layer);
	if (r < 0)
		return error_set(e, "layer", r, "mount the writable layer (%s; layer-size): %s",
				 p->layer_is_image ? "an ext4 image on a loop device"
						   : "a directory",
				 layer_mount_error(r));
	/* "go" carries the guest tree and the writable layer, in that order. */
	r = sync_send(sync_fd, &(struct sync_message){ .kind = SYNC_GO }, (int[]){ tree, layer },
		      2);
	if (r < 0)
		return error_set(e, "start", r, "wake the container child");
	return 0;
}

/* One message of the child; the fd it carried (if any) is in *ret_fd.
 * Returns 1 for a message, 0 at the end of the stream, or -errno. */
static int child_message_recv(int sync_fd, struct sync_message *ret, int *ret_fd)
{
	char text[sizeof(struct error) + 32];
	int fds[SYNC_MAX_FDS];
	size_t n_fds = 0;
	ssize_t n = fd_recv(sync_fd, text, sizeof(text), fds, SYNC_MAX_FDS, &n_fds, 0);
	if (n <= 0)
		return (int)n;
	int r = sync_message_parse(text, (size_t)n, n_fds, ret);
	if (r < 0 || n_fds != 1) {
		fd_close_all(fds, n_fds);
		return r < 0 ? r : 1;
	}
	*ret_fd = fds[0];
	return 1;
}

/* A user-mode network stack that ends before the guest runs (pasta
 * refused its options, AppArmor, no route on the host) fails the start at
 * once, instead of the child's wait for a configured network. */
static int wait_child_or_network(int sync_fd, int net_pidfd, const char *user, struct error *e)
{
	struct pollfd p[2] = { { .fd = sync_fd, .events = POLLIN },
			       { .fd = net_pidfd, .events = POLLIN } };
	for (;;) {
		int r = poll(p, net_pidfd >= 0 ? 2 : 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_set(e, "start", negerrno(), "wait for the container");
		if (p[0].revents)
			return 0;
		siginfo_t si = { 0 };
		(void)waitid(P_PIDFD, (id_t)net_pidfd, &si, WEXITED | WNOHANG);
		return error_set(e, "network", -ENETDOWN,
				 "%s ended (%s %d) before the guest started; its messages are "
				 "in " X86NS_LOGDIR "/%s.log",
				 "pasta", si.si_code == CLD_EXITED ? "status" : "signal",
				 si.si_status, user);
	}
}

/* The child closes its end at exec (CLOEXEC): EOF means the guest init is
 * running; before it comes the spawner's pidfd; a "failed" message names
 * the failing step. */
static int wait_child_exec(int sync_fd, int net_pidfd, const char *user, int *ret_spawner_pidfd,
			   struct error *e)
{
	for (;;) {
		int r = wait_child_or_network(sync_fd, net_pidfd, user, e);
		if (r < 0)
			return r;
		struct sync_message m;
		int fd = -1;
		r = child_message_recv(sync_fd, &m, &fd);
		if (r < 0)
			return error_set(e, "start", r, "the container child's message");
		if (r == 0)
			break;
		if (m.kind == SYNC_FAILED) {
			*e = m.error;
			return -EIO;
		}
		if (m.kind != SYNC_SPAWNER || *ret_spawner_pidfd >= 0) {
			if (fd >= 0)
				close(fd);
			return error_set(e, "start", -EBADMSG,
					 "unexpected message from the container child");
		}
		*ret_spawner_pidfd = fd;
	}
	if (*ret_spawner_pidfd < 0)
		return error_set(e, "spawner", -EBADMSG, "no pidfd of x86ns-spawner");
	return 0;
}

/* The user namespace init ended up in (the inner one, see step_lock_mounts):
 * the one joiners enter, and whose inode they verify. */
static int userns_of(pid_t pid, unsigned long long *ret_ino, struct error *e)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	struct stat st;
	if (stat(path, &st) < 0)
		return error_set(e, "start", negerrno(), "stat %s", path);
	*ret_ino = (unsigned long long)st.st_ino;
	return 0;
}

int container_spawn(struct container_plan *plan, int *ret_pidfd, pid_t *ret_pid,
		    unsigned long long *ret_userns_ino, struct error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err, "start", negerrno(), "socketpair");
	_cleanup_close_ int parent_end = sv[0];
	int child_end = sv[1];

	_cleanup_close_ int cgroup_fd = -1, pidfd = -1;
	/* A scope needs its pid at creation: with systemd units the child is
	 * born in the monitor's scope and moved before it runs (prepare_child). */
	int r = plan->systemd_units ? -ENOENT : cgroup_open_v2(plan->cgroup_name, &cgroup_fd);
	if (r < 0 && r != -ENOENT)
		return error_set(err, "cgroup", r, "open the container's cgroup");
	pid_t pid = clone_as_user(plan, cgroup_fd, &pidfd);
	if (pid == 0) {
		close(parent_end);
		if (cgroup_fd >= 0)
			close(cgroup_fd);
		container_child_main(plan, child_end);
	}
	close(child_end);
	if (pid < 0)
		return error_set(err, "clone", pid,
				 "create the namespaces (are user namespaces allowed?)");

	r = prepare_child(plan, pid, parent_end, err);
	if (r >= 0)
		r = wait_child_exec(parent_end, plan->net_pidfd, plan->user->name,
				    &plan->spawner_pidfd, err);
	if (r >= 0)
		r = userns_of(pid, ret_userns_ino, err);
	if (r < 0) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		waitpid(pid, NULL, 0);
		user_net_stop(plan);
		return r;
	}
	*ret_pidfd = TAKE_FD(pidfd);
	*ret_pid = pid;
	return 0;
}
