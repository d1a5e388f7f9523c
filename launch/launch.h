/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher: the one place that runs as host root to create a container.
 * See docs/ARCHITECTURE.md for the process diagram. */
#pragma once

#include "config.h"
#include "error.h"
#include "idmap.h"
#include "plan.h"

#include <stdbool.h>
#include <sys/types.h>

#define LAUNCH_GROUPS_MAX 64

/* Everything the launcher knows about the user: resolved by the caller (the
 * PAM module or x86nsctl) with NSS, passed as numbers and names; the
 * launcher itself never uses NSS. */
struct launch_user {
	const char *name;
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *gecos;
	const char *groups[LAUNCH_GROUPS_MAX];
	size_t n_groups;
};

/* What the container needs, computed on the host side before clone. */
struct container_plan {
	const struct launch_user *user;
	const struct user_policy *policy;
	const struct guest_config *guest;
	struct idmap uid_map;
	struct idmap gid_map;
	uid_t root_uid; /* host ids of guest root */
	gid_t root_gid;
	char cgroup_name[32]; /* x86ns/<uid>, or on systemd hosts the guest's scope */
	/* Where systemd runs the units (lib/systemd.h): the connection to it,
	 * open in the monitor-to-be from its own scope's creation until the
	 * exec of the monitor; NULL where x86ns manages its own cgroups. */
	bool systemd_units;
	struct systemd_bus *systemd;
	char monitor_unit[64];
	int state_fd; /* /var/lib/x86ns/<uid> (flocked by the launcher) */
	int layer_fd; /* the writable layer: <guest>.img, or the <guest> directory */
	bool layer_is_image;
	int init_fd;                /* O_PATH of the builtin init or the translator; -1 */
	int spawner_fd;             /* O_PATH of x86ns-spawner */
	int spawner_pidfd;          /* the running spawner, from the container child */
	int console_fd;             /* slave of the console pty: init's stdio, /dev/console */
	char console_path[32];      /* its /dev/pts/N, for the bind in the child's namespace */
	int notify_fd;              /* ready = notify: the monitor's sd_notify socket; else -1 */
	struct guest_plan decision; /* what this kernel lets the start do (lib/plan.h) */
	pid_t net_pid;              /* network private: the user-mode stack (pasta); else 0 */
	int net_pidfd;              /* its pidfd; else -1 */
};

/* start.c — Runs in: the future monitor process, host root. Creates the
 * container, waits until its init has been exec'd; returns init's pidfd. */
int container_spawn(struct container_plan *plan, int *ret_pidfd, pid_t *ret_pid,
		    unsigned long long *ret_userns_ino, struct error *err);

/* start.c — send one message of the sync socket (lib/launch-proto.h) with
 * the n fds its kind carries. */
struct sync_message;
int sync_send(int sync_fd, const struct sync_message *m, const int *fds, size_t n);

/* container.c — Runs in: container child (new user namespace). Never
 * returns on success (execs the guest init); writes the error to sync_fd. */
void container_child_main(const struct container_plan *plan, int sync_fd) __attribute__((noreturn));

/* network.c — Runs in: the future monitor process, host root. Start the
 * user-mode network stack for the container whose /proc/<pid> is proc_fd,
 * as the user, attached to its user and network namespaces. */
int user_net_start(struct container_plan *plan, int proc_fd, struct error *e);
/* Kill and reap it (if it runs). */
void user_net_stop(struct container_plan *plan);

/* network.c — Runs in: container child, guest root, after pivot_root.
 * Wait until the stack has configured the namespace (a default route). */
int user_net_wait_configured(unsigned timeout_ms);

/* prepare.c — Runs in: the launcher, host root, under the user's lock.
 * The plan of a start (ids, layer, translator, this kernel's decision, the
 * fds of the programs the child execs); plan_release closes its fds. */
int plan_prepare(const struct launch_user *u, const struct user_policy *pol, int state_fd,
		 struct container_plan *p, struct error *e);
void plan_release(struct container_plan *p);

/* runtime.c — Runs in: the launcher or the monitor-to-be, host root.
 * A root-owned directory nobody else writes (created if missing); the
 * per-user lock (flock on /var/lib/x86ns/<uid>, which outlives containers);
 * the user's log in /var/log/x86ns; removal of what a crashed container
 * left (cgroups, socket, ready file, notify directory). */
int root_dir_open(int parent_fd, const char *name, mode_t mode, int *ret_fd);
int user_lock(uid_t uid, int *ret_fd);
int log_open(const char *user, int *ret_fd);
/* The old container's monitor on its way out: its pid from a "stopping
 * monitor=PID" reply, or its socket still taking connections it resets. */
void monitor_wait_exit(const char *reply, unsigned timeout_sec);
void monitor_wait_gone(uid_t uid, unsigned timeout_sec);
void leftovers_remove(uid_t uid, const char *cgroup_name);

/* console.c — Runs in: the monitor-to-be, host root. The guest's console
 * pty (its slave path in p->console_path), and on a failed start its
 * first output copied into the user's log. */
int console_open(struct container_plan *p, int *ret_master, int *ret_slave);
void console_drain(int master, int log_fd);

/* scope.c — Runs in: the monitor-to-be, host root, where systemd runs the
 * units: the monitor's own scope (opens p->systemd), and the machine that
 * machined lists (machined = yes). */
int monitor_scope_create(struct container_plan *p, struct error *e);
int machine_register(const struct container_plan *p, pid_t init_pid, struct error *e);

/* The directory of the running executable's siblings (monitor, init). */
int launch_sibling_path(const char *name, char *buf, size_t len);
