/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's three small wire formats, each with one format and one
 * parse function that both ends use (the monitor's own protocol is in
 * proto.h):
 *
 *   reply   x86ns-launch's stdout to its caller (pam_x86ns.so): lines of
 *           "key=value" words;
 *   status  the monitor-to-be's pipe to the launcher: "ok pid=N" once the
 *           container runs, "err STEP: MESSAGE" when a step failed;
 *   sync    the socket between the monitor-to-be and the container child:
 *           "go" (with the guest tree and the writable layer), "spawner"
 *           (with x86ns-spawner's pidfd), "failed STEP: MESSAGE".
 *
 * Parsers take text from another process and check all of it: a malformed
 * message is -EBADMSG, never half understood. */
#pragma once

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- reply: x86ns-launch -> pam_x86ns.so -------------------------------
 * "open" and "start" say guest= and translator= first, on a line of their
 * own (before anything can fail, so that a failed start is audited with
 * its guest), then pid= and started=; "close" and "stop" say stopping=;
 * "reset" says reset=1. A value has no white space. */
enum {
	LAUNCH_REPLY_GUEST = 1 << 0,    /* guest=, translator= */
	LAUNCH_REPLY_STARTED = 1 << 1,  /* pid=, started= */
	LAUNCH_REPLY_STOPPING = 1 << 2, /* stopping= */
	LAUNCH_REPLY_RESET = 1 << 3,    /* reset= */
};

struct launch_reply {
	unsigned fields; /* LAUNCH_REPLY_*: which of the values below were said */
	char guest[64];
	char translator[192]; /* its path, or "none" */
	uint32_t init_pid;    /* the guest's init; 0 when not known */
	bool started;         /* this request started the container */
	bool stopping;        /* the container stops (close: it was the last session) */
	bool reset;
};

/* One line ("key=value ...\n") with the values r->fields names.
 * -EINVAL for a value with white space, -ENAMETOOLONG if len is short. */
int launch_reply_format(const struct launch_reply *r, unsigned fields, char *buf, size_t len);
/* Every line of text; ret->fields says what was there. */
int launch_reply_parse(const char *text, struct launch_reply *ret);

/* ---- status: monitor-to-be -> launcher ---------------------------------
 * "ok pid=N\n" is written just before the exec of x86ns-monitor; an
 * "err STEP: MESSAGE\n" may follow it (the exec failed) or come alone. */
struct launch_status {
	bool ok;
	uint32_t init_pid;  /* ok: the guest's init */
	struct error error; /* !ok: the failing step and why */
};

int launch_status_format(const struct launch_status *s, char *buf, size_t len);
/* All that came through the pipe until EOF: an "err" record wins over an
 * "ok" one; -ENODATA for nothing at all. */
int launch_status_parse(const char *text, struct launch_status *ret);

/* ---- sync: monitor-to-be <-> container child ---------------------------
 * One SOCK_SEQPACKET message each, the fds in SCM_RIGHTS. */
#define SYNC_MAX_FDS 2

enum sync_kind {
	SYNC_GO,      /* monitor -> child: fds guest tree, writable layer */
	SYNC_SPAWNER, /* child -> monitor: fd x86ns-spawner's pidfd */
	SYNC_FAILED,  /* child -> monitor: no fd; the failing step */
};

struct sync_message {
	enum sync_kind kind;
	struct error error; /* SYNC_FAILED */
};

/* How many fds a message of this kind carries. */
size_t sync_message_fds(enum sync_kind kind);
/* The text of the message (NUL-terminated); its length, or -errno. */
int sync_message_format(const struct sync_message *m, char *buf, size_t len);
/* text: the len bytes received (not NUL-terminated); n_fds: how many fds
 * came with them, which must be what the kind carries. */
int sync_message_parse(const char *text, size_t len, size_t n_fds, struct sync_message *ret);
