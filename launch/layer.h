/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's writable layer (layer.c): an ext4 image of layer-size bytes,
 * or with layer-size = max a directory, below the root-only
 * /var/lib/x86ns/<uid>. */
#pragma once

#include "launch.h"

/* Runs in: the launcher, host root, user's lock held. Makes
 * /var/lib/x86ns/<uid> root's 0700, creates the layer if missing, and
 * leaves its fd (the image, or the <guest> directory) in p->layer_fd. */
int layer_prepare(struct container_plan *p);
/* Why layer_prepare failed, in words (EEXIST: an unlimited directory layer
 * is in the way; ENOPKG: no mke2fs). */
const char *layer_prepare_error(int r);

/* Runs in: the monitor-to-be, host root. A detached mount (nosuid, nodev)
 * whose root holds upper/ and work/ (made by the child when missing). */
int layer_mount(const struct container_plan *p, int *ret_fd);
/* Why layer_mount failed (EBUSY: an earlier container's mount lives on). */
const char *layer_mount_error(int r);

/* Runs in: the launcher, host root, user's lock held, no container
 * running. Remove one guest's layer (its directory and its image), or with
 * guest NULL every layer of the user: state_fd is /var/lib/x86ns/<uid>. */
int layer_remove(int state_fd, const char *guest);
