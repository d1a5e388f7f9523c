/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl guest create: what the command (guest.c) and its build steps
 * (guest-steps.c) share: the state of one build and the steps, each
 * returning >= 0 or -errno with b->detail saying what it adds to the
 * error (-EPROTO: b->detail is the whole message). Linked into x86nsctl
 * only.
 * Runs in: x86nsctl, as root, host namespaces. */
#pragma once

#include "binfmt.h"
#include "guest-apt.h"
#include "guest-tree.h"

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#define TAIL_LINES 15
#define TEXT_MAX   256

/* The Debian architectures guest create builds. A native one runs on this
 * x86-64 host as it is; a foreign one runs through its qemu-user translator
 * (Debian package qemu-user-static: static, so that it works chrooted),
 * registered only in the namespaces of the build and of the guest's
 * containers. Only arm64 is measured (its second stage: 166 s here, 378 s
 * in the research under load); the others follow the same recipe. */
struct guest_arch {
	const char *name;
	enum binfmt_machine machine;
	const char *translator; /* NULL: native */
};

struct progress {
	bool tty;
	struct timespec start;
	char verbs[16][32]; /* the "I:" verbs shown so far, when not a terminal */
	char status[TEXT_MAX];
	double noted; /* when a log last got a line */
	char tail[TAIL_LINES][TEXT_MAX];
	unsigned n_lines;
};

struct guest_build {
	const char *name, *suite, *arch, *include;
	const struct guest_arch *target;
	char dir[PATH_MAX];
	char tmp[PATH_MAX];     /* "" until made */
	struct guest_tree tree; /* the temporary tree */
	struct apt_mirror mirror;
	struct progress progress;
	double debootstrap_seconds;
	double second_stage_seconds; /* foreign architectures */
	char detail[PATH_MAX + 256]; /* what a failing step adds to its error */
};

/* SIGINT, SIGTERM, SIGHUP during a build: remembered, and debootstrap's
 * process group gets SIGTERM. */
void guest_build_on_signal(int sig);
/* Whether a signal came; *ret_sig is it. */
bool guest_build_interrupted(int *ret_sig);
double guest_seconds_since(const struct timespec *start);

int guest_mkdir_parents(const char *dir);
/* A warning for each temporary sibling of dir an interrupted run left. */
void guest_warn_leftovers(const char *dir);

int step_mirror(struct guest_build *b);
int step_translator(struct guest_build *b);
int step_binfmt_probe(struct guest_build *b);
int step_tempdir(struct guest_build *b);
int step_debootstrap(struct guest_build *b);
int step_second_stage(struct guest_build *b);
int step_machine_id(struct guest_build *b);
int step_hostname(struct guest_build *b);
int step_mask_units(struct guest_build *b);
int step_apt_caches(struct guest_build *b);
int step_rename(struct guest_build *b);
