/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Preparing a freshly bootstrapped guest tree for a container boot, and
 * removing a tree that was not finished. Functions return -errno and never
 * log; on failure t->failed names the path in the tree that failed.
 * Runs in: x86nsctl, as root, host namespaces. */
#pragma once

#include <limits.h>
#include <stdint.h>

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

/* Detaches every mount at or below path (a killed debootstrap leaves proc
 * and sys mounted), then removes the tree without leaving its file system. */
int guest_tree_remove(const char *path);
