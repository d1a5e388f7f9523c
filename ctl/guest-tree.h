/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Preparing a freshly bootstrapped guest tree for a container boot,
 * running a foreign-machine program inside it, and removing a tree that was
 * not finished. Functions return -errno and never log; on failure t->failed
 * names the path in the tree, or the set-up step, that failed.
 * Runs in: x86nsctl, as root, host namespaces. */
#pragma once

#include "binfmt.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct guest_tree {
	int root_fd;           /* the tree's root directory */
	char failed[PATH_MAX]; /* "/etc/hostname": where a call failed */
};

/* An empty /etc/machine-id (mode 0444), so that systemd makes a new id at
 * each boot; /var/lib/dbus/machine-id becomes a link to it. */
int guest_tree_reset_machine_id(struct guest_tree *t);

/* /etc/hostname; /etc/hosts with localhost and the name when it is missing. */
int guest_tree_set_hostname(struct guest_tree *t, const char *hostname);

/* Masks the units of the table in guest-tree.c that the tree ships; calls
 * masked() for each with the reason. */
int guest_tree_mask_units(struct guest_tree *t,
			  void (*masked)(const char *unit, const char *reason));

/* Removes downloaded packages and package lists; adds the bytes freed. */
int guest_tree_remove_apt_caches(struct guest_tree *t, uint64_t *bytes);

/* A program of the tree's own machine, which this host cannot execute:
 * it runs through a translator registered only for it (see below). */
struct tree_command {
	/* The tree's host path, t->root_fd's directory: the command's root is
	 * opened again by it in the new mount namespace. A root taken from the
	 * host's fd would stay in the host's mount tree, where the command sees
	 * none of its namespace's mounts and can make none (EINVAL). */
	const char *root_path;
	enum binfmt_machine machine;
	const char *translator; /* host path of a static translator for machine */
	char *const *argv;      /* argv[0] is a path in the tree; NULL: a probe */
	char *const *envp;
	int out_fd; /* standard output and error; standard input is /dev/null */
};

/* Starts c->argv chrooted into t->root_fd, in new user (ids 0-65535 map to
 * themselves: what the command writes is owned as if host root wrote it),
 * mount, pid, network, UTS and IPC namespaces, with c->translator registered
 * for c->machine (flags FP) in that user namespace's own binfmt_misc
 * instance (Linux 6.7 and later). The host's binfmt_misc is neither read
 * nor mounted nor changed; the registration and every mount end with the
 * namespaces. *ret_pid is the namespaces' init and the leader of a new
 * process group; its exit status is the command's (128 + the signal when
 * the command was killed), and it kills what is left when the command
 * ends. Returns once the command is executing; when the set-up failed,
 * returns -errno and t->failed names the step ("mount binfmt_misc"). */
int guest_tree_run_start(struct guest_tree *t, const struct tree_command *c, pid_t *ret_pid);

/* The same set-up without a tree or a command (c->argv is NULL), then
 * waits: can this kernel and this translator run the tree's programs? */
int guest_tree_run_probe(struct guest_tree *t, const struct tree_command *c);

/* Detaches every mount at or below path (a killed debootstrap leaves proc
 * and sys mounted), then removes the tree without leaving its file system. */
int guest_tree_remove(const char *path);

/* Runs in: a child of x86nsctl before it execs a build command. Undo the
 * signal mask and the handlers that x86nsctl set for the interrupt of a
 * build, so that the command (or the init of its namespaces) takes the
 * signals the build sends. */
void guest_child_signals_default(void);
