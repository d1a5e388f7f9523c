/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher -> monitor hand-over (monitor-args.h): one table of keys,
 * read by both the writer and the parser. Pure: no system calls. */
#include "monitor-args.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define STEP "monitor-args"

enum arg_type {
	ARG_NAME,   /* non-empty text without blanks or control bytes */
	ARG_SLICE,  /* a NAME that is one path component, not hidden */
	ARG_CHOICE, /* one of the entry's choices */
	ARG_UINT,   /* unsigned, 32 bits */
	ARG_ULONG,  /* unsigned long, 32 bits on the wire */
	ARG_U64,    /* unsigned, 64 bits, not 0 */
	ARG_BOOL,   /* 0 or 1 */
	ARG_FD,     /* 0 to INT_MAX */
	ARG_PID,    /* 1 to INT_MAX */
	ARG_SIGNAL, /* 1 to 64 */
};

struct arg_key {
	const char *key;
	enum arg_type type;
	size_t offset, size;
	bool optional;
	const char *with;           /* optional: present exactly when this key is */
	const char *const *choices; /* ARG_CHOICE: NULL-terminated */
};

static const char *const stop_choices[] = { "last-logout", "linger", "never", NULL };
static const char *const network_choices[] = {
	"host", "none", "private", "host-for-landlock", "none-for-landlock", "private-for-landlock",
	NULL
};
static const char *const translation_choices[] = { "none", "init-only", "container-binfmt",
						   "host-binfmt", NULL };

#define FIELD(f) offsetof(struct monitor_args, f), sizeof(((struct monitor_args *)0)->f)
#define REQ(k, t, f)                                                                               \
	{                                                                                          \
		.key = k, .type = t, FIELD(f)                                                      \
	}
#define OPT(k, t, f, w)                                                                            \
	{                                                                                          \
		.key = k, .type = t, FIELD(f), .optional = true, .with = w                         \
	}
#define CHOICE(k, f, list)                                                                         \
	{                                                                                          \
		.key = k, .type = ARG_CHOICE, FIELD(f), .choices = list                            \
	}

/* In the order the launcher writes them. */
static const struct arg_key keys[] = {
	REQ("user", ARG_NAME, user),
	REQ("uid", ARG_UINT, uid),
	REQ("guest", ARG_NAME, guest),
	REQ("translator", ARG_NAME, translator),
	REQ("cgroup", ARG_NAME, cgroup),
	OPT("cgroup-slice", ARG_SLICE, cgroup_slice, NULL),
	REQ("listen-fd", ARG_FD, listen_fd),
	REQ("init-pidfd", ARG_FD, init_pidfd),
	REQ("spawner-pidfd", ARG_FD, spawner_pidfd),
	REQ("init-pid", ARG_PID, init_pid),
	REQ("userns", ARG_U64, userns_ino),
	REQ("console-fd", ARG_FD, console_fd),
	REQ("console-hold-fd", ARG_FD, console_hold_fd),
	REQ("log-fd", ARG_FD, log_fd),
	CHOICE("stop", stop_policy, stop_choices),
	REQ("linger", ARG_UINT, linger_sec),
	REQ("stop-signal", ARG_SIGNAL, stop_signal),
	REQ("stop-timeout", ARG_UINT, stop_timeout_sec),
	REQ("ready-timeout", ARG_UINT, ready_timeout_sec),
	REQ("ready-timeout-warns", ARG_BOOL, ready_timeout_warns),
	REQ("personality", ARG_ULONG, personality),
	REQ("relax", ARG_UINT, relax),
	CHOICE("network", network, network_choices),
	REQ("landlock", ARG_BOOL, landlock),
	CHOICE("translation", translation, translation_choices),
	OPT("net-pid", ARG_PID, net_pid, "net-pidfd"),
	OPT("net-pidfd", ARG_FD, net_pidfd, NULL),
	OPT("notify-fd", ARG_FD, notify_fd, NULL),
	OPT("session-pid", ARG_PID, session_pid, "session-pidfd"),
	OPT("session-pidfd", ARG_FD, session_pidfd, NULL),
};
_Static_assert(ARRAY_SIZE(keys) <= MONITOR_ARGS_MAX, "MONITOR_ARGS_MAX too small");

void monitor_args_init(struct monitor_args *a)
{
	/* Field by field after the memset, so that padding stays zero and
	 * two structs compare whole (the unit test does). */
	memset(a, 0, sizeof(*a));
	int *unset[] = { &a->listen_fd,    &a->init_pidfd,      &a->spawner_pidfd, &a->init_pid,
			 &a->console_fd,   &a->console_hold_fd, &a->log_fd,        &a->stop_signal,
			 &a->net_pid,      &a->net_pidfd,       &a->notify_fd,     &a->session_pid,
			 &a->session_pidfd };
	for (size_t i = 0; i < ARRAY_SIZE(unset); i++)
		*unset[i] = -1;
}

static const struct arg_key *key_find(const char *key, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].key) == len && strncmp(keys[i].key, key, len) == 0)
			return &keys[i];
	return NULL;
}

static bool name_valid(const char *v)
{
	if (!v[0])
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool choice_valid(const char *const *choices, const char *v)
{
	for (; *choices; choices++)
		if (strcmp(*choices, v) == 0)
			return true;
	return false;
}

static int text_value(const struct arg_key *k, const char *v, char *field)
{
	if (!name_valid(v) || strlen(v) >= k->size)
		return -EINVAL;
	if (k->type == ARG_SLICE && (strchr(v, '/') || v[0] == '.'))
		return -EINVAL;
	if (k->type == ARG_CHOICE && !choice_valid(k->choices, v))
		return -EINVAL;
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

/* Store v, checked for k's type, into its field of a. */
static int value_parse(const struct arg_key *k, const char *v, struct monitor_args *a)
{
	char *field = (char *)a + k->offset;
	uint64_t u64;
	uint32_t u;
	if (k->type == ARG_NAME || k->type == ARG_SLICE || k->type == ARG_CHOICE)
		return text_value(k, v, field);
	if (k->type == ARG_U64) {
		if (parse_u64(v, &u64) < 0 || u64 == 0)
			return -EINVAL;
		*(unsigned long long *)(void *)field = u64;
		return 0;
	}
	if (parse_u32(v, &u) < 0)
		return -EINVAL;
	switch (k->type) {
	case ARG_UINT: *(unsigned *)(void *)field = u; return 0;
	case ARG_ULONG: *(unsigned long *)(void *)field = u; return 0;
	case ARG_BOOL:
		if (u > 1)
			return -EINVAL;
		*(bool *)(void *)field = u;
		return 0;
	case ARG_FD:
	case ARG_PID:
	case ARG_SIGNAL:
		if (u > INT_MAX || (k->type == ARG_PID && u == 0) ||
		    (k->type == ARG_SIGNAL && (u == 0 || u > 64)))
			return -EINVAL;
		*(int *)(void *)field = (int)u; /* pid_t is int */
		return 0;
	default: return -EINVAL;
	}
}

static const char *type_wants(const struct arg_key *k)
{
	switch (k->type) {
	case ARG_NAME: return "non-empty text without blanks";
	case ARG_SLICE: return "a slice name without '/'";
	case ARG_CHOICE: return "one of the known values";
	case ARG_U64: return "a positive number";
	case ARG_BOOL: return "0 or 1";
	case ARG_FD: return "a file descriptor number";
	case ARG_PID: return "a process id";
	case ARG_SIGNAL: return "a signal number, 1 to 64";
	default: return "an unsigned number";
	}
}

/* The fds the monitor takes over are distinct: two keys naming one fd
 * would have it closed twice or read as the wrong thing. */
static int fds_check(const struct monitor_args *a, struct error *e)
{
	const int *fd[ARRAY_SIZE(keys)];
	const char *name[ARRAY_SIZE(keys)];
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].type == ARG_FD) {
			fd[n] = (const int *)(const void *)((const char *)a + keys[i].offset);
			name[n++] = keys[i].key;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (*fd[i] >= 0 && *fd[i] == *fd[j])
				return error_set_text(
				    e, STEP, -EINVAL,
				    "launcher arguments %s= and %s= name the same fd %d", name[i],
				    name[j], *fd[i]);
	return 0;
}

static const struct arg_key *key_by_name(const char *name)
{
	return key_find(name, strlen(name));
}

/* After every argument: each required key given, each pair complete. */
static int keys_complete(const bool *seen, struct error *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct arg_key *k = &keys[i];
		if (!k->optional && !seen[i])
			return error_set_text(e, STEP, -EINVAL, "launcher argument %s= is missing",
					      k->key);
		if (k->with && seen[i] != seen[key_by_name(k->with) - keys])
			return error_set_text(e, STEP, -EINVAL,
					      "launcher arguments %s= and %s= come together",
					      k->key, k->with);
	}
	return 0;
}

int monitor_args_parse(int argc, char *const *argv, struct monitor_args *a, struct error *e)
{
	bool seen[ARRAY_SIZE(keys)] = { false };
	monitor_args_init(a);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		if (!eq)
			return error_set_text(e, STEP, -EINVAL,
					      "launcher argument %d is not key=value", i);
		const struct arg_key *k = key_find(arg, (size_t)(eq - arg));
		if (!k)
			return error_set_text(e, STEP, -EINVAL,
					      "unknown launcher argument %.*s=", (int)(eq - arg),
					      arg);
		if (seen[k - keys])
			return error_set_text(e, STEP, -EINVAL, "launcher argument %s= given twice",
					      k->key);
		seen[k - keys] = true;
		if (value_parse(k, eq + 1, a) < 0)
			return error_set_text(e, STEP, -EINVAL,
					      "launcher argument %s= is not %s: \"%.64s\"", k->key,
					      type_wants(k), eq + 1);
	}
	int r = keys_complete(seen, e);
	return r < 0 ? r : fds_check(a, e);
}

static bool key_present(const struct monitor_args *a, const struct arg_key *k)
{
	if (!k->optional)
		return true;
	if (k->with)
		return key_present(a, key_by_name(k->with));
	const char *field = (const char *)a + k->offset;
	if (k->type == ARG_FD || k->type == ARG_PID)
		return *(const int *)(const void *)field >= 0;
	return field[0] != '\0';
}

static int value_format(const struct monitor_args *a, const struct arg_key *k, char *buf,
			size_t len)
{
	const void *field = (const char *)a + k->offset;
	switch (k->type) {
	case ARG_NAME:
	case ARG_SLICE:
	case ARG_CHOICE: return xsnprintf(buf, len, "%s=%s", k->key, (const char *)field);
	case ARG_UINT: return xsnprintf(buf, len, "%s=%u", k->key, *(const unsigned *)field);
	case ARG_ULONG: return xsnprintf(buf, len, "%s=%lu", k->key, *(const unsigned long *)field);
	case ARG_U64:
		return xsnprintf(buf, len, "%s=%llu", k->key, *(const unsigned long long *)field);
	case ARG_BOOL: return xsnprintf(buf, len, "%s=%d", k->key, *(const bool *)field ? 1 : 0);
	default: return xsnprintf(buf, len, "%s=%d", k->key, *(const int *)field);
	}
}

int monitor_args_to_argv(const struct monitor_args *a, struct monitor_argv *out, struct error *e)
{
	int n = 0;
	out->argv[n++] = "x86ns-monitor";
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!key_present(a, &keys[i]))
			continue;
		char *buf = out->buf[n - 1];
		if (value_format(a, &keys[i], buf, sizeof(out->buf[0])) < 0)
			return error_set_text(e, STEP, -EINVAL, "monitor argument %s= too long",
					      keys[i].key);
		out->argv[n++] = buf;
	}
	out->argv[n] = NULL;
	/* What the monitor would refuse is refused here, where the launcher
	 * can still say so to the login. */
	struct monitor_args check;
	return monitor_args_parse(n, out->argv, &check, e);
}
