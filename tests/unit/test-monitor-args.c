/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the launcher -> monitor hand-over (lib/monitor-args.c):
 * what the launcher writes the monitor reads back, and anything else is
 * refused with a message naming the key. */
#include "monitor-args.h"
#include "util.h"

#include "tap.h"

#include <errno.h>

static void sample(struct monitor_args *a)
{
	monitor_args_init(a);
	snprintf(a->user, sizeof(a->user), "alice");
	a->uid = 1001;
	snprintf(a->guest, sizeof(a->guest), "debian");
	snprintf(a->translator, sizeof(a->translator), "/usr/bin/qemu-aarch64-static");
	snprintf(a->cgroup, sizeof(a->cgroup), "u1001");
	a->listen_fd = 3;
	a->init_pidfd = 4;
	a->spawner_pidfd = 5;
	a->init_pid = 4242;
	a->userns_ino = 4026532000ULL;
	a->console_fd = 6;
	a->console_hold_fd = 7;
	a->log_fd = 8;
	snprintf(a->stop_policy, sizeof(a->stop_policy), "linger");
	a->linger_sec = 30;
	a->stop_signal = 37;
	a->stop_timeout_sec = 10;
	a->ready_timeout_sec = 60;
	a->ready_timeout_warns = true;
	a->personality = 8;
	a->relax = 2;
	snprintf(a->network, sizeof(a->network), "private-for-landlock");
	a->landlock = false;
	snprintf(a->translation, sizeof(a->translation), "init-only");
}

static void check_round_trip(void)
{
	struct monitor_args a, b;
	struct monitor_argv v;
	struct error e = { 0 };
	sample(&a);
	CHECK_INT_EQ(monitor_args_to_argv(&a, &v, &e), 0, "the sample serializes (%s)", e.message);
	CHECK_STR_EQ(v.argv[0], "x86ns-monitor", "argv[0] is the program");
	int argc = 0;
	while (v.argv[argc])
		argc++;
	CHECK_INT_EQ(argc, 25, "no optional key without its value");
	CHECK_INT_EQ(monitor_args_parse(argc, v.argv, &b, &e), 0, "it parses back");
	CHECK(memcmp(&a, &b, sizeof(a)) == 0, "the parsed struct equals the written one");

	/* The optional keys, each pid with its pidfd. */
	snprintf(a.cgroup_slice, sizeof(a.cgroup_slice), "x86ns.slice");
	a.net_pid = 77;
	a.net_pidfd = 9;
	a.notify_fd = 10;
	a.session_pid = 99;
	a.session_pidfd = 11;
	CHECK_INT_EQ(monitor_args_to_argv(&a, &v, &e), 0, "the optional keys serialize");
	for (argc = 0; v.argv[argc];)
		argc++;
	CHECK_INT_EQ(argc, 31, "every optional key written");
	CHECK_INT_EQ(monitor_args_parse(argc, v.argv, &b, &e), 0, "they parse back");
	CHECK(memcmp(&a, &b, sizeof(a)) == 0, "with the same values");
	CHECK_INT_EQ(b.notify_fd, 10, "notify-fd read");
	CHECK_INT_EQ(b.session_pid, 99, "session-pid read");
}

/* Parse the sample with argument `key` replaced by `arg` (or appended when
 * `key` is NULL); return the result and the message. */
static int parse_changed(const char *key, const char *arg, struct error *e)
{
	struct monitor_args a, b;
	struct monitor_argv v;
	sample(&a);
	if (monitor_args_to_argv(&a, &v, e) < 0)
		return -999;
	char *argv[MONITOR_ARGS_MAX + 3];
	int n = 0;
	bool replaced = false;
	for (int i = 0; v.argv[i]; i++) {
		size_t klen = key ? strlen(key) : 0;
		if (key && strncmp(v.argv[i], key, klen) == 0 && v.argv[i][klen] == '=') {
			replaced = true;
			if (arg)
				argv[n++] = (char *)arg;
			continue;
		}
		argv[n++] = v.argv[i];
	}
	if (!replaced && arg)
		argv[n++] = (char *)arg;
	argv[n] = NULL;
	*e = (struct error){ 0 };
	return monitor_args_parse(n, argv, &b, e);
}

static void check_refused(void)
{
	static const struct {
		const char *key, *arg, *message;
	} cases[] = {
		{ "uid", "uid=12x", "launcher argument uid= is not an unsigned number: \"12x\"" },
		{ "uid", "uid=-1", "launcher argument uid= is not an unsigned number: \"-1\"" },
		{ "uid", "uid=", "launcher argument uid= is not an unsigned number: \"\"" },
		{ "listen-fd", "listen-fd=-1",
		  "launcher argument listen-fd= is not a file descriptor number: \"-1\"" },
		{ "listen-fd", "listen-fd=4294967295",
		  "launcher argument listen-fd= is not a file descriptor number: \"4294967295\"" },
		{ "log-fd", "log-fd=3",
		  "launcher arguments listen-fd= and log-fd= name the same fd 3" },
		{ "init-pid", "init-pid=0",
		  "launcher argument init-pid= is not a process id: \"0\"" },
		{ "userns", "userns=0",
		  "launcher argument userns= is not a positive number: \"0\"" },
		{ "stop-signal", "stop-signal=65",
		  "launcher argument stop-signal= is not a signal number, 1 to 64: \"65\"" },
		{ "landlock", "landlock=2", "launcher argument landlock= is not 0 or 1: \"2\"" },
		{ "stop", "stop=sometimes",
		  "launcher argument stop= is not one of the known values: \"sometimes\"" },
		{ "network", "network=bridge",
		  "launcher argument network= is not one of the known values: \"bridge\"" },
		{ "user", "user=al ice",
		  "launcher argument user= is not non-empty text without blanks: \"al ice\"" },
		{ "guest",
		  "guest=", "launcher argument guest= is not non-empty text without blanks: \"\"" },
		{ NULL, "cgroup-slice=../x",
		  "launcher argument cgroup-slice= is not a slice name without '/': \"../x\"" },
		{ NULL, "cgroup-slice=.hidden",
		  "launcher argument cgroup-slice= is not a slice name without '/': \".hidden\"" },
		{ NULL, "colour=blue", "unknown launcher argument colour=" },
		{ NULL, "uid=1001", "launcher argument uid= given twice" },
		{ NULL, "noequals", "launcher argument 25 is not key=value" },
		{ "log-fd", NULL, "launcher argument log-fd= is missing" },
		{ "init-pidfd", NULL, "launcher argument init-pidfd= is missing" },
		{ NULL, "net-pid=5", "launcher arguments net-pid= and net-pidfd= come together" },
		{ NULL, "session-pidfd=12",
		  "launcher arguments session-pid= and session-pidfd= come together" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct error e;
		int r = parse_changed(cases[i].key, cases[i].arg, &e);
		CHECK_INT_EQ(r, -EINVAL, "%s refused", cases[i].arg ? cases[i].arg : cases[i].key);
		CHECK_STR_EQ(e.message, cases[i].message, "%s: the message names it",
			     cases[i].arg ? cases[i].arg : cases[i].key);
	}
}

/* The writer refuses what the reader would refuse, and long values. */
static void check_writer_refuses(void)
{
	struct monitor_args a;
	struct monitor_argv v;
	struct error e = { 0 };
	sample(&a);
	a.console_fd = -1;
	CHECK_INT_EQ(monitor_args_to_argv(&a, &v, &e), -EINVAL, "a required fd of -1 refused");
	CHECK_STR_EQ(e.message,
		     "launcher argument console-fd= is not a file descriptor number: \"-1\"",
		     "and named");
	sample(&a);
	memset(a.translator, 'x', sizeof(a.translator) - 1);
	a.translator[sizeof(a.translator) - 1] = '\0';
	CHECK_INT_EQ(monitor_args_to_argv(&a, &v, &e), 0, "the longest translator path fits");
	sample(&a);
	a.net_pidfd = 9; /* net_pid left -1 */
	CHECK_INT_EQ(monitor_args_to_argv(&a, &v, &e), -EINVAL, "a pidfd without its pid refused");
	CHECK_STR_EQ(e.message, "launcher argument net-pid= is not a process id: \"-1\"",
		     "and named");
}

/* A refused argument leaves the keys before it parsed, so that the monitor
 * can still kill the guest they name. */
static void check_partial(void)
{
	struct monitor_args b;
	struct error e;
	char *argv[] = { "x86ns-monitor", "init-pidfd=4", "cgroup=u1", "log-fd=8", "bad", NULL };
	CHECK_INT_EQ(monitor_args_parse(5, argv, &b, &e), -EINVAL, "a bad argument fails");
	CHECK_INT_EQ(b.init_pidfd, 4, "the init's pidfd before it is kept");
	CHECK_STR_EQ(b.cgroup, "u1", "and the cgroup");
	CHECK_INT_EQ(b.listen_fd, -1, "a fd not given is -1");
}

int main(void)
{
	check_round_trip();
	check_refused();
	check_writer_refuses();
	check_partial();
	return tap_exit();
}
