/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/launch-proto.c: the launcher's reply to pam_x86ns.so,
 * the monitor-to-be's status pipe and the sync socket with the container
 * child. Each format goes through its parser unchanged; malformed text,
 * which another process could send, is refused whole. */
#include "launch-proto.h"
#include "util.h"

#include "tap.h"

#include <errno.h>

static void check_reply_round_trip(void)
{
	struct launch_reply r = { .init_pid = 4242, .started = true };
	snprintf(r.guest, sizeof(r.guest), "debian");
	snprintf(r.translator, sizeof(r.translator), "/usr/bin/box64");
	char line1[256], line2[64], both[320];
	CHECK(launch_reply_format(&r, LAUNCH_REPLY_GUEST, line1, sizeof(line1)) > 0,
	      "reply: the guest line formats");
	CHECK_STR_EQ(line1, "guest=debian translator=/usr/bin/box64\n", "reply: guest line text");
	CHECK(launch_reply_format(&r, LAUNCH_REPLY_STARTED, line2, sizeof(line2)) > 0,
	      "reply: the pid line formats");
	CHECK_STR_EQ(line2, "pid=4242 started=1\n", "reply: pid line text");
	snprintf(both, sizeof(both), "%s%s", line1, line2);
	struct launch_reply got;
	CHECK_INT_EQ(launch_reply_parse(both, &got), 0, "reply: both lines parse");
	CHECK_INT_EQ(got.fields, LAUNCH_REPLY_GUEST | LAUNCH_REPLY_STARTED,
		     "reply: guest and started were said");
	CHECK_STR_EQ(got.guest, "debian", "reply: guest comes back");
	CHECK_STR_EQ(got.translator, "/usr/bin/box64", "reply: translator comes back");
	CHECK_INT_EQ(got.init_pid, 4242, "reply: pid comes back");
	CHECK(got.started, "reply: started comes back");

	CHECK_INT_EQ(launch_reply_parse(line1, &got), 0,
		     "reply: a failed start's guest line alone");
	CHECK_INT_EQ(got.fields, LAUNCH_REPLY_GUEST, "reply: ... says the guest only");
	CHECK_INT_EQ(launch_reply_parse("", &got), 0, "reply: nothing said parses");
	CHECK_INT_EQ(got.fields, 0, "reply: ... with no field");

	struct launch_reply s = { .stopping = true };
	CHECK(launch_reply_format(&s, LAUNCH_REPLY_STOPPING, line2, sizeof(line2)) > 0,
	      "reply: stopping formats");
	CHECK_STR_EQ(line2, "stopping=1\n", "reply: stopping text");
	CHECK(launch_reply_parse(line2, &got) == 0 && got.stopping &&
		  got.fields == LAUNCH_REPLY_STOPPING,
	      "reply: stopping comes back");
}

static void check_reply_refused(void)
{
	struct launch_reply r = { 0 };
	char buf[256];
	snprintf(r.guest, sizeof(r.guest), "two words");
	snprintf(r.translator, sizeof(r.translator), "none");
	CHECK_INT_EQ(launch_reply_format(&r, LAUNCH_REPLY_GUEST, buf, sizeof(buf)), -EINVAL,
		     "reply: a value with a space is not written");
	snprintf(r.guest, sizeof(r.guest), "g");
	CHECK_INT_EQ(launch_reply_format(&r, LAUNCH_REPLY_GUEST, buf, 8), -ENAMETOOLONG,
		     "reply: a short buffer is an error, not a cut line");
	CHECK_INT_EQ(launch_reply_format(&r, 0, buf, sizeof(buf)), -EINVAL,
		     "reply: an empty reply is not written");

	static const char *const bad[] = {
		"pid=12x started=1\n",
		"pid= started=1\n",
		"started=2\n",
		"guest=debian\n",
		"owner=root\n",
		"garbage\n",
		"=1\n",
		"stopping=yes\n",
		"pid=99999999999 started=0\n",
		"translator=none\n",
		"guest= translator=x\n",
	};
	struct launch_reply got;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT_EQ(launch_reply_parse(bad[i], &got), -EBADMSG, "reply: refused: %.*s",
			     (int)strcspn(bad[i], "\n"), bad[i]);
}

static void check_status(void)
{
	char buf[512];
	struct launch_status ok = { .ok = true, .init_pid = 77 }, got;
	CHECK(launch_status_format(&ok, buf, sizeof(buf)) > 0, "status: ok formats");
	CHECK_STR_EQ(buf, "ok pid=77\n", "status: ok text");
	CHECK(launch_status_parse(buf, &got) == 0 && got.ok && got.init_pid == 77,
	      "status: ok comes back with the pid");

	struct launch_status err = { .ok = false };
	snprintf(err.error.step, sizeof(err.error.step), "overlay");
	snprintf(err.error.message, sizeof(err.error.message), "mount: a\nb: No such file");
	char err_text[256];
	CHECK(launch_status_format(&err, err_text, sizeof(err_text)) > 0, "status: err formats");
	CHECK_STR_EQ(err_text, "err overlay: mount: a b: No such file\n",
		     "status: err text is one line");
	snprintf(buf, sizeof(buf), "ok pid=77\n%s", err_text);
	CHECK(launch_status_parse(buf, &got) == 0 && !got.ok, "status: err after ok wins");
	CHECK_STR_EQ(got.error.step, "overlay", "status: the step comes back");
	CHECK_STR_EQ(got.error.message, "mount: a b: No such file", "status: the message too");
	CHECK(launch_status_parse("err monitor: exec x: Permission denied", &got) == 0 && !got.ok &&
		  strcmp(got.error.step, "monitor") == 0,
	      "status: err without a line end");

	CHECK_INT_EQ(launch_status_parse("", &got), -ENODATA, "status: nothing is -ENODATA");
	static const char *const bad[] = {
		"ok pid=0\n", "ok pid=\n",      "ok pid=12 \n",         "ok\n",
		"err \n",     "err no colon\n", "ok pid=1\nok pid=2\n", "hello\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT_EQ(launch_status_parse(bad[i], &got), -EBADMSG, "status: refused: %.*s",
			     (int)strcspn(bad[i], "\n"), bad[i]);
	snprintf(err.error.step, sizeof(err.error.step), "a:b");
	CHECK_INT_EQ(launch_status_format(&err, buf, sizeof(buf)), -EINVAL,
		     "status: a step with a colon is not written");
}

static void check_sync(void)
{
	char buf[1024];
	struct sync_message got;
	int n = sync_message_format(&(struct sync_message){ .kind = SYNC_GO }, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "go", "sync: go text");
	CHECK(n == 2 && sync_message_parse(buf, (size_t)n, 2, &got) == 0 && got.kind == SYNC_GO,
	      "sync: go with two fds comes back");
	CHECK_INT_EQ(sync_message_parse(buf, (size_t)n, 1, &got), -EBADMSG,
		     "sync: go with one fd is refused");
	n = sync_message_format(&(struct sync_message){ .kind = SYNC_SPAWNER }, buf, sizeof(buf));
	CHECK(n > 0 && sync_message_parse(buf, (size_t)n, 1, &got) == 0 && got.kind == SYNC_SPAWNER,
	      "sync: spawner with its pidfd comes back");
	CHECK_INT_EQ(sync_message_parse(buf, (size_t)n, 0, &got), -EBADMSG,
		     "sync: spawner without a pidfd is refused");

	struct sync_message failed = { .kind = SYNC_FAILED };
	snprintf(failed.error.step, sizeof(failed.error.step), "protect home");
	snprintf(failed.error.message, sizeof(failed.error.message), "/home/a/.ssh: symlink");
	n = sync_message_format(&failed, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "failed protect home: /home/a/.ssh: symlink", "sync: failed text");
	CHECK(n > 0 && sync_message_parse(buf, (size_t)n, 0, &got) == 0 && got.kind == SYNC_FAILED,
	      "sync: failed comes back");
	CHECK_STR_EQ(got.error.step, "protect home", "sync: the failing step comes back");
	CHECK_STR_EQ(got.error.message, "/home/a/.ssh: symlink", "sync: and its message");
	CHECK_INT_EQ(sync_message_parse(buf, (size_t)n, 1, &got), -EBADMSG,
		     "sync: failed with an fd is refused");

	static const char *const bad[] = { "gone",     "go!",       "spawner2", "failed",
					   "failed x", "failed :x", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT_EQ(sync_message_parse(bad[i], strlen(bad[i]), 0, &got), -EBADMSG,
			     "sync: refused: '%s'", bad[i]);
	CHECK_INT_EQ(sync_message_parse("failed a\0b: c", 13, 0, &got), -EBADMSG,
		     "sync: a NUL inside is refused");
}

/* The launcher's complete lines (a layer's path, both ways out) are longer
 * than a short buffer: they go through error_set_text and the status pipe
 * whole. */
static void check_long_message(void)
{
	char want[600];
	memset(want, 'x', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	struct launch_status st = { .ok = false }, got;
	CHECK_INT_EQ(error_set_text(&st.error, "layer", -EEXIST, "%s", want), -EEXIST,
		     "error_set_text returns the error");
	CHECK_INT_EQ(strlen(st.error.message), sizeof(want) - 1,
		     "error_set_text keeps a 599-byte line whole");
	char buf[sizeof(struct error) + 32];
	CHECK(launch_status_format(&st, buf, sizeof(buf)) > 0, "status: a long err formats");
	CHECK(launch_status_parse(buf, &got) == 0 && !got.ok, "status: a long err parses");
	CHECK_STR_EQ(got.error.message, want, "status: the long message comes back whole");
}

int main(void)
{
	check_long_message();
	check_reply_round_trip();
	check_reply_refused();
	check_status();
	check_sync();
	return tap_exit();
}
