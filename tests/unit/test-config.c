/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/config.c. Runs as root: the loader refuses files not
 * owned by root, and the tests chown files to prove it. Every file lives
 * under a mkdtemp directory that is removed at the end. */
#include "binfmt.h"
#include "config.h"
#include "confine.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/x86ns-test-config.XXXXXX";
static unsigned case_counter;

/* One test case's files: DIR/x86ns.conf and DIR/x86ns.conf.d/. */
struct fixture {
	char dir[64];
	char main_path[96];
	char dropin_dir[96];
	char err[CONFIG_ERROR_MAX];
	struct config *config;
};

static void die(const char *what)
{
	printf("not ok - test setup: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/case-%03u", tmpdir, ++case_counter);
	snprintf(f->main_path, sizeof(f->main_path), "%s/x86ns.conf", f->dir);
	snprintf(f->dropin_dir, sizeof(f->dropin_dir), "%s/x86ns.conf.d", f->dir);
	if (mkdir(f->dir, 0755) < 0)
		die(f->dir);
}

/* Writes DIR/REL (REL under x86ns.conf.d/ creates that directory). */
static void fixture_write(struct fixture *f, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	if (strncmp(rel, "x86ns.conf.d/", 13) == 0 && mkdir(f->dropin_dir, 0755) < 0 &&
	    errno != EEXIST)
		die(f->dropin_dir);
	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		die(path);
	close(fd);
}

static int fixture_load(struct fixture *f)
{
	return config_load(f->main_path, f->dropin_dir, &f->config, f->err, sizeof(f->err));
}

/* One check that r (a load result) is 0; the loader's message if not. */
static bool check_loaded(const struct fixture *f, int r, const char *desc)
{
	char reason[CONFIG_ERROR_MAX + 32];
	snprintf(reason, sizeof(reason), "r=%d: %s", r, f->err);
	return tap_check(r == 0, reason, "%s", desc);
}

static void fixture_done(struct fixture *f)
{
	config_free(f->config);
	f->config = NULL;
}

/* Loads `main_text` (and optionally one drop-in) and checks for -EINVAL
 * with exactly "FILE:LINE: " in front and the needles in the message. */
static void check_error(const char *desc, const char *main_text, const char *dropin_name,
			const char *dropin_text, unsigned line, const char *needle1,
			const char *needle2)
{
	struct fixture f;
	char rel[128], prefix[192], reason[1024];
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", main_text, 0644);
	if (dropin_name && dropin_text) {
		snprintf(rel, sizeof(rel), "x86ns.conf.d/%s", dropin_name);
		fixture_write(&f, rel, dropin_text, 0644);
		snprintf(prefix, sizeof(prefix), "%s/%s:%u: ", f.dropin_dir, dropin_name, line);
	} else {
		snprintf(prefix, sizeof(prefix), "%s:%u: ", f.main_path, line);
	}
	int r = fixture_load(&f);
	bool ok = r == -EINVAL && strncmp(f.err, prefix, strlen(prefix)) == 0 &&
		  strstr(f.err + strlen(prefix), needle1) &&
		  (!needle2 || strstr(f.err + strlen(prefix), needle2)) && !strchr(f.err, '\n');
	snprintf(reason, sizeof(reason), "r=%d err=\"%s\", expected \"%s...%s...%s\"", r, f.err,
		 prefix, needle1, needle2 ? needle2 : "");
	tap_check(ok, reason, "error: %s", desc);
	fixture_done(&f);
}

#define GUEST_A "[guest a]\nroot = /srv/a\n"

static const char *full_main = "# x86ns test configuration\n"
			       "; semicolon comment\n"
			       "\n"
			       "[guest debian]\n"
			       "root = /srv/guests/debian\n"
			       "init = /sbin/init\n"
			       "ready = notify\n"
			       "ready-timeout = 2m\n"
			       "ready-timeout-action = warn\n"
			       "translator = /opt/mcst/bin/x86\n"
			       "hostname = debian-x86\n"
			       "stop-signal = SIGRTMIN+3\n"
			       "stop-timeout = 30s\n"
			       "\n"
			       "[guest bb]\n"
			       "\troot=/srv/guests/bb\r\n"
			       "\n"
			       "[default]\n"
			       "guest = none\n"
			       "stop = last-logout\n"
			       "network = host\n"
			       "bind = ~/.x86rc\n"
			       "\n"
			       "[group x86users]\n"
			       "guest = debian\n"
			       "memory = 2G\n"
			       "pids = 512\n"
			       "cpu = 150%\n"
			       "bind = /srv/shared:ro\n"
			       "\n"
			       "  [ user   alice ]  \n"
			       "stop = linger=10m\n"
			       "bind = /data:/mnt/data:rw\n";

static void check_bind(const struct user_policy *p, size_t i, const char *source,
		       const char *target, bool read_only, const char *who)
{
	if (!CHECK(i < p->n_binds, "%s: bind %zu exists", who, i))
		return;
	CHECK_STR_EQ(p->binds[i].source, source, "%s: bind %zu source", who, i);
	CHECK_STR_EQ(p->binds[i].target, target, "%s: bind %zu target", who, i);
	CHECK_INT_EQ(p->binds[i].read_only, read_only, "%s: bind %zu read-only flag", who, i);
}

static void test_full_example(void)
{
	struct fixture f;
	struct user_policy p;
	const char *x86users[] = { "users", "x86users" };
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", full_main, 0644);
	/* Written in the "wrong" order on purpose: the loader sorts. */
	fixture_write(&f, "x86ns.conf.d/20-late.conf",
		      "[user alice]\nstop = never\ncpu = 75%\n[group x86users]\nmemory = 4G\n",
		      0644);
	fixture_write(&f, "x86ns.conf.d/10-early.conf",
		      "[guest extra]\nroot = /srv/extra\n[user alice]\ncpu = 50%\n"
		      "[user bob]\nguest = bb\nnetwork = none\n"
		      "[user dora]\nguest = bb\nnetwork = private\n",
		      0644);
	fixture_write(&f, "x86ns.conf.d/README", "not a config file\n", 0644);
	fixture_write(&f, "x86ns.conf.d/30-old.conf.bak", "garbage\n", 0644);
	fixture_write(&f, "x86ns.conf.d/.hidden.conf", "garbage\n", 0644);
	int r = fixture_load(&f);
	if (!check_loaded(&f, r, "full example loads"))
		return;

	CHECK_INT_EQ(config_n_guests(f.config), 3, "three guests defined");
	const struct guest_config *deb = config_guest(f.config, 0), *bb = config_guest(f.config, 1);
	CHECK_STR_EQ(deb->name, "debian", "guests keep reading order");
	CHECK_STR_EQ(deb->root, "/srv/guests/debian", "guest root");
	CHECK_STR_EQ(deb->init, "/sbin/init", "guest init path");
	CHECK_INT_EQ(deb->ready, READY_NOTIFY, "ready = notify");
	CHECK_INT_EQ(deb->ready_timeout_sec, 120, "ready-timeout = 2m");
	CHECK_INT_EQ(deb->ready_timeout_action, TIMEOUT_WARN, "ready-timeout-action = warn");
	CHECK_STR_EQ(deb->translator, "/opt/mcst/bin/x86", "translator path");
	CHECK_STR_EQ(deb->hostname, "debian-x86", "hostname");
	CHECK_INT_EQ(deb->stop_signal, SIGRTMIN + 3, "stop-signal = SIGRTMIN+3");
	CHECK_INT_EQ(deb->stop_timeout_sec, 30, "stop-timeout = 30s");
	CHECK_STR_EQ(deb->file, f.main_path, "guest remembers its file");
	CHECK_INT_EQ(deb->line, 4, "guest remembers its header line");

	CHECK_STR_EQ(bb->root, "/srv/guests/bb", "key=value without spaces, tab and CR trimmed");
	CHECK(bb->init == NULL, "init defaults to builtin");
	CHECK(bb->translator == NULL, "translator defaults to none");
	CHECK_STR_EQ(bb->hostname, "bb", "hostname defaults to the guest name");
	CHECK_INT_EQ(bb->ready, READY_IMMEDIATE, "ready defaults to immediate");
	CHECK_INT_EQ(bb->ready_timeout_sec, 60, "ready-timeout defaults to 60");
	CHECK_INT_EQ(bb->ready_timeout_action, TIMEOUT_DENY,
		     "ready-timeout-action defaults to deny");
	CHECK_INT_EQ(bb->stop_signal, SIGTERM, "stop-signal defaults to SIGTERM for builtin init");
	CHECK_INT_EQ(bb->stop_timeout_sec, 10, "stop-timeout defaults to 10");
	char extra_file[PATH_MAX];
	snprintf(extra_file, sizeof(extra_file), "%s/10-early.conf", f.dropin_dir);
	CHECK_STR_EQ(config_guest(f.config, 2)->file, extra_file, "guest from a drop-in names it");
	CHECK(config_guest(f.config, 3) == NULL, "config_guest past the end is NULL");

	r = config_resolve(f.config, "alice", x86users, 2, &p);
	CHECK_INT_EQ(r, 0, "resolve alice");
	CHECK(p.guest == deb, "alice gets the guest of her group");
	CHECK_INT_EQ(p.stop, STOP_NEVER, "a later drop-in overrides the main file (stop)");
	CHECK_INT_EQ(p.memory_max, 4ULL << 30, "a drop-in overrides a group value (memory)");
	CHECK_INT_EQ(p.cpu_percent, 75, "drop-ins are read in lexical order (cpu)");
	CHECK_INT_EQ(p.pids_max, 512, "group value kept when not overridden (pids)");
	CHECK_INT_EQ(p.network, NETWORK_HOST, "network host");
	CHECK_INT_EQ(p.n_binds, 3, "alice has three binds");
	check_bind(&p, 0, "~/.x86rc", NULL, false, "alice");
	check_bind(&p, 1, "/srv/shared", NULL, true, "alice");
	check_bind(&p, 2, "/data", "/mnt/data", false, "alice");
	user_policy_done(&p);
	CHECK(p.binds == NULL && p.n_binds == 0 && p.guest == NULL, "user_policy_done clears");

	r = config_resolve(f.config, "bob", NULL, 0, &p);
	CHECK(r == 0 && p.guest == bb, "bob selected by a drop-in [user] section");
	CHECK_INT_EQ(p.network, NETWORK_NONE, "bob: network none");
	CHECK(!p.machined, "bob: machined defaults to no");
	struct user_policy carol;
	r = config_resolve(f.config, "dora", NULL, 0, &carol);
	CHECK(r == 0 && carol.network == NETWORK_PRIVATE, "dora: network private");
	user_policy_done(&carol);
	CHECK_INT_EQ(p.stop, STOP_LAST_LOGOUT, "bob: stop from [default]");
	CHECK(p.memory_max == 0 && p.pids_max == 0 && p.cpu_percent == 0, "bob: no limits");
	CHECK(p.layer_size == LAYER_SIZE_DEFAULT && p.layer_size == 10ULL << 30,
	      "bob: layer-size defaults to 10G");
	CHECK(p.protect_home, "bob: protect-home defaults to yes");
	CHECK_INT_EQ(p.n_binds, 1, "bob: only the default bind");
	user_policy_done(&p);

	const char *users[] = { "users" };
	r = config_resolve(f.config, "carol", users, 1, &p);
	CHECK(r == 0 && p.guest == NULL, "carol: no rule selects her, guest NULL");
	user_policy_done(&p);
	fixture_done(&f);
}

static void test_precedence(void)
{
	struct fixture f;
	struct user_policy p;
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf",
		      "[guest a]\nroot = /a\n[guest b]\nroot = /b\n"
		      "[user alice]\npids = 300\n"
		      "[group staff]\npids = 200\nguest = b\n"
		      "[default]\npids = 100\nguest = a\nmemory = 1G\n"
		      "[group wheel]\npids = 250\n"
		      "[group staff]\nmemory = 2G\n"
		      "[user alice]\nmemory = 3G\n"
		      "[user dave]\nguest = none\n",
		      0644);
	if (!check_loaded(&f, fixture_load(&f), "precedence config loads"))
		return;
	const struct guest_config *a = config_guest(f.config, 0), *b = config_guest(f.config, 1);
	const char *staff[] = { "staff" }, *staff_wheel[] = { "staff", "wheel" },
		   *wheel_staff[] = { "wheel", "staff" };

	config_resolve(f.config, "alice", staff, 1, &p);
	CHECK_INT_EQ(p.pids_max, 300, "[user] beats [group] even when written earlier");
	CHECK(p.guest == b, "[group] beats [default] (guest)");
	CHECK_INT_EQ(p.memory_max, 3ULL << 30, "duplicate [user] sections merge, later wins");
	user_policy_done(&p);

	config_resolve(f.config, "bob", staff_wheel, 2, &p);
	CHECK_INT_EQ(p.pids_max, 250, "groups apply in reading order");
	CHECK_INT_EQ(p.memory_max, 2ULL << 30, "second [group staff] section applies too");
	user_policy_done(&p);
	config_resolve(f.config, "bob", wheel_staff, 2, &p);
	CHECK_INT_EQ(p.pids_max, 250, "order of the user's groups does not matter");
	user_policy_done(&p);

	config_resolve(f.config, "carol", NULL, 0, &p);
	CHECK(p.guest == a && p.pids_max == 100 && p.memory_max == 1ULL << 30,
	      "[default] applies to everyone");
	user_policy_done(&p);

	config_resolve(f.config, "dave", staff, 1, &p);
	CHECK(p.guest == NULL, "guest = none in [user] un-selects a group's guest");
	user_policy_done(&p);
	CHECK_INT_EQ(config_resolve(f.config, NULL, NULL, 0, &p), -EINVAL, "NULL user is -EINVAL");
	fixture_done(&f);
}

static void test_binds(void)
{
	struct fixture f;
	struct user_policy p;
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf",
		      GUEST_A "[default]\nguest = a\nbind = ~/\nbind = /etc/resolv.conf:ro\n"
			      "[group dev]\nbind = /opt/tools:/opt/tools:ro\nbind = ~/work:/work\n"
			      "[group clean]\nbind =\n"
			      "[user alice]\nbind =\nbind = /srv/alice:/data\n"
			      "[user bob]\nbind = /x:rw\n"
			      "[user dave]\nbind = /one\nbind = \nbind = /two\n"
			      "[user erin]\nbind = /e\n",
		      0644);
	if (!check_loaded(&f, fixture_load(&f), "bind config loads"))
		return;
	const char *dev[] = { "dev" }, *clean_dev[] = { "clean", "dev" };

	config_resolve(f.config, "bob", dev, 1, &p);
	CHECK_INT_EQ(p.n_binds, 5, "binds accumulate default, group, user");
	check_bind(&p, 0, "~/", NULL, false, "bob");
	check_bind(&p, 1, "/etc/resolv.conf", NULL, true, "bob");
	check_bind(&p, 2, "/opt/tools", "/opt/tools", true, "bob");
	check_bind(&p, 3, "~/work", "/work", false, "bob");
	check_bind(&p, 4, "/x", NULL, false, "bob");
	user_policy_done(&p);

	config_resolve(f.config, "alice", dev, 1, &p);
	CHECK_INT_EQ(p.n_binds, 1, "\"bind =\" in [user] drops default and group binds");
	check_bind(&p, 0, "/srv/alice", "/data", false, "alice");
	user_policy_done(&p);

	config_resolve(f.config, "dave", NULL, 0, &p);
	CHECK_INT_EQ(p.n_binds, 1, "\"bind =\" inside a section drops the earlier lines");
	check_bind(&p, 0, "/two", NULL, false, "dave");
	user_policy_done(&p);

	/* dev is read before clean, so clean's reset drops dev's binds too. */
	config_resolve(f.config, "erin", clean_dev, 2, &p);
	CHECK_INT_EQ(p.n_binds, 1, "reset in a group section, user binds still added");
	check_bind(&p, 0, "/e", NULL, false, "erin");
	user_policy_done(&p);
	fixture_done(&f);
}

/* Loads "[guest a]" plus "[user u] guest = a" and KEY = VALUE in [user u]. */
static int load_user_value(struct fixture *f, const char *key, const char *value,
			   struct user_policy *p)
{
	char text[512];
	snprintf(text, sizeof(text), GUEST_A "[user u]\nguest = a\n%s = %s\n", key, value);
	fixture_init(f);
	fixture_write(f, "x86ns.conf", text, 0644);
	int r = fixture_load(f);
	if (r == 0)
		r = config_resolve(f->config, "u", NULL, 0, p);
	return r;
}

static void check_user_u64(const char *key, const char *value, size_t field, uint64_t want)
{
	struct fixture f;
	struct user_policy p;
	int r = load_user_value(&f, key, value, &p);
	if (r < 0)
		tap_check(false, f.err, "%s = %s", key, value);
	else
		CHECK_INT_EQ(*(const uint64_t *)((const char *)&p + field), want, "%s = %s", key,
			     value);
	if (r == 0)
		user_policy_done(&p);
	fixture_done(&f);
}

static void check_user_unsigned(const char *key, const char *value, size_t field, unsigned want)
{
	struct fixture f;
	struct user_policy p;
	int r = load_user_value(&f, key, value, &p);
	if (r < 0)
		tap_check(false, f.err, "%s = %s", key, value);
	else
		CHECK_INT_EQ(*(const unsigned *)((const char *)&p + field), want, "%s = %s", key,
			     value);
	if (r == 0)
		user_policy_done(&p);
	fixture_done(&f);
}

static void check_user_bool(const char *key, const char *value, size_t field, bool want)
{
	struct fixture f;
	struct user_policy p;
	int r = load_user_value(&f, key, value, &p);
	if (r < 0)
		tap_check(false, f.err, "%s = %s", key, value);
	else
		CHECK(*(const bool *)((const char *)&p + field) == want, "%s = %s", key, value);
	if (r == 0)
		user_policy_done(&p);
	fixture_done(&f);
}

static void check_user_invalid(const char *key, const char *value)
{
	char text[512];
	snprintf(text, sizeof(text), GUEST_A "[user u]\nguest = a\n%s = %s\n", key, value);
	char desc[128];
	snprintf(desc, sizeof(desc), "%s = \"%s\" is a bad value", key, value);
	check_error(desc, text, NULL, NULL, 5, key, *value ? value : "\"\"");
}

static void test_policy_values(void)
{
	const size_t mem = offsetof(struct user_policy, memory_max);
	const size_t pids = offsetof(struct user_policy, pids_max);
	const size_t cpu = offsetof(struct user_policy, cpu_percent);
	const size_t linger = offsetof(struct user_policy, linger_sec);
	const size_t stop = offsetof(struct user_policy, stop);
	check_user_u64("memory", "123", mem, 123);
	check_user_u64("memory", "1K", mem, 1024);
	check_user_u64("memory", "1k", mem, 1024);
	check_user_u64("memory", "512M", mem, 512ULL << 20);
	check_user_u64("memory", "2G", mem, 2ULL << 30);
	check_user_u64("memory", "1T", mem, 1ULL << 40);
	check_user_u64("memory", "max", mem, 0);
	check_user_u64("pids", "1", pids, 1);
	check_user_u64("pids", "4194304", pids, 4194304);
	check_user_u64("pids", "max", pids, 0);
	check_user_unsigned("cpu", "150%", cpu, 150);
	check_user_unsigned("cpu", "1%", cpu, 1);
	check_user_unsigned("cpu", "max", cpu, 0);
	check_user_unsigned("stop", "linger=1h", linger, 3600);
	check_user_unsigned("stop", "linger=30m", linger, 1800);
	check_user_unsigned("stop", "linger=45s", linger, 45);
	check_user_unsigned("stop", "linger=10", linger, 10);
	check_user_unsigned("stop", "linger=10", stop, STOP_LINGER);
	check_user_unsigned("stop", "never", stop, STOP_NEVER);
	check_user_unsigned("stop", "last-logout", stop, STOP_LAST_LOGOUT);
	const size_t layer = offsetof(struct user_policy, layer_size);
	check_user_u64("layer-size", "8M", layer, 8ULL << 20);
	check_user_u64("layer-size", "4M", layer, LAYER_SIZE_MIN);
	check_user_u64("layer-size", "20G", layer, 20ULL << 30);
	check_user_u64("layer-size", "max", layer, 0);
	const size_t protect = offsetof(struct user_policy, protect_home);
	check_user_bool("protect-home", "no", protect, false);
	check_user_bool("protect-home", "yes", protect, true);
	const size_t machined = offsetof(struct user_policy, machined);
	check_user_bool("machined", "yes", machined, true);
	check_user_bool("machined", "no", machined, false);

	const char *bad[][2] = {
		{ "memory", "0" },
		{ "memory", "12X" },
		{ "memory", "1.5G" },
		{ "memory", "-1" },
		{ "memory", "1KB" },
		{ "memory", "G" },
		{ "memory", "99999999999T" },
		{ "memory", "" },
		{ "pids", "0" },
		{ "pids", "4194305" },
		{ "pids", "-3" },
		{ "pids", "ten" },
		{ "pids", "5 # five" },
		{ "cpu", "150" },
		{ "cpu", "0%" },
		{ "cpu", "%" },
		{ "cpu", "1.5%" },
		{ "stop", "linger" },
		{ "stop", "linger=" },
		{ "stop", "linger=1d" },
		{ "stop", "sometimes" },
		{ "network", "user-mode" },
		{ "layer-size", "3M" },
		{ "layer-size", "0" },
		{ "layer-size", "unlimited" },
		{ "layer-size", "" },
		{ "protect-home", "true" },
		{ "protect-home", "" },
		{ "machined", "true" },
		{ "machined", "" },
		{ "guest", "a/b" },
		{ "bind", "relative:/x" },
		{ "bind", "/a:relative" },
		{ "bind", "/a:/b:rx" },
		{ "bind", "/a:/b:/c" },
		{ "bind", "~user/x" },
		{ "bind", "/a/../b" },
		{ "bind", "/a:" },
		{ "bind", ":/a" },
		{ "bind", "~" },
		{ "bind", "/a:~/b" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check_user_invalid(bad[i][0], bad[i][1]);
}

/* A single guest section "[guest g]\nroot = /g\n" plus `extra` lines. */
static const struct guest_config *load_guest(struct fixture *f, const char *extra)
{
	char text[512];
	snprintf(text, sizeof(text), "[guest g]\nroot = /g\n%s\n", extra);
	fixture_init(f);
	fixture_write(f, "x86ns.conf", text, 0644);
	return fixture_load(f) == 0 ? config_guest(f->config, 0) : NULL;
}

static void check_stop_signal(const char *value, int want)
{
	struct fixture f;
	char line[128];
	snprintf(line, sizeof(line), "stop-signal = %s", value);
	const struct guest_config *g = load_guest(&f, line);
	if (!g)
		tap_check(false, f.err, "stop-signal = %s", value);
	else
		CHECK_INT_EQ(g->stop_signal, want, "stop-signal = %s", value);
	fixture_done(&f);
}

static void check_guest_invalid(const char *key, const char *value)
{
	char text[512], desc[128];
	snprintf(text, sizeof(text), "[guest g]\nroot = /g\n%s = %s\n", key, value);
	snprintf(desc, sizeof(desc), "[guest] %s = \"%s\" is a bad value", key, value);
	check_error(desc, text, NULL, NULL, 3, key, value);
}

static void test_guest_values(void)
{
	struct fixture f;
	const struct guest_config *g;
	check_stop_signal("TERM", SIGTERM);
	check_stop_signal("SIGTERM", SIGTERM);
	check_stop_signal("sigterm", SIGTERM);
	check_stop_signal("9", SIGKILL);
	check_stop_signal("SIGKILL", SIGKILL);
	check_stop_signal("SIGPWR", SIGPWR);
	check_stop_signal("RTMIN+4", SIGRTMIN + 4);
	check_stop_signal("SIGRTMIN+4", SIGRTMIN + 4);
	check_stop_signal("RTMIN", SIGRTMIN);
	check_stop_signal("SIGRTMAX-1", SIGRTMAX - 1);
	check_stop_signal("64", 64);

	g = load_guest(&f, "init = /sbin/init");
	CHECK_INT_EQ(g ? g->stop_signal : -1, SIGRTMIN + 4,
		     "stop-signal defaults to RTMIN+4 for a guest init");
	fixture_done(&f);
	g = load_guest(&f, "init = /sbin/init\ninit = builtin\ntranslator = /t\ntranslator = none");
	CHECK(g && !g->init && !g->translator && g->stop_signal == SIGTERM,
	      "init = builtin and translator = none reset to defaults");
	fixture_done(&f);
	g = load_guest(&f, "ready-timeout = 90\nstop-timeout = 0");
	CHECK(g && g->ready_timeout_sec == 90 && g->stop_timeout_sec == 0,
	      "ready-timeout = 90, stop-timeout = 0");
	fixture_done(&f);
	g = load_guest(&f, "ready-timeout = 5s\nstop-timeout = 1m");
	CHECK(g && g->ready_timeout_sec == 5 && g->stop_timeout_sec == 60,
	      "ready-timeout = 5s, stop-timeout = 1m");
	fixture_done(&f);
	/* 64 characters, the kernel's limit; a DNS label stops at 63. */
	g = load_guest(
	    &f, "hostname = a2345678901234567890123456789012.a234567890123456789012345678901");
	CHECK(g && strlen(g->hostname) == 64, "64-character hostname accepted");
	fixture_done(&f);

	const char *bad[][2] = {
		{ "stop-signal", "SIGFOO" },
		{ "stop-signal", "0" },
		{ "stop-signal", "65" },
		{ "stop-signal", "RTMIN+99" },
		{ "stop-signal", "RTMIN-1" },
		{ "stop-signal", "RTMAX+1" },
		{ "ready-timeout", "1h" },
		{ "ready-timeout", "0" },
		{ "ready-timeout", "ten" },
		{ "stop-timeout", "1h" },
		{ "ready", "timeout" },
		{ "ready-timeout-action", "kill" },
		{ "hostname", "-bad" },
		{ "hostname", "a..b" },
		{ "hostname", "under_score" },
		{ "hostname", "a2345678901234567890123456789012.a2345678901234567890123456789012" },
		{ "hostname", "a234567890123456789012345678901234567890123456789012345678901234" },
		{ "root", "srv/a" },
		{ "root", "/srv/../etc" },
		{ "init", "sbin/init" },
		{ "translator", "bin/x86" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check_guest_invalid(bad[i][0], bad[i][1]);
}

static void test_syntax_errors(void)
{
	check_error("unknown key in a guest", GUEST_A "colour = blue\n", NULL, NULL, 3,
		    "\"colour\"", "[guest a]");
	check_error("unknown key in a user section", GUEST_A "\n[user bob]\nroot = /x\n", NULL,
		    NULL, 5, "\"root\"", "[user bob]");
	check_error("unknown key in [default]", "[default]\nready = notify\n", NULL, NULL, 2,
		    "\"ready\"", "[default]");
	check_error("key outside any section", "# hi\nguest = a\n", NULL, NULL, 2, "outside", NULL);
	check_error("unknown section type", "\n[host x]\n", NULL, NULL, 2, "\"host\"", NULL);
	check_error("malformed line", "[default]\njust some words\n", NULL, NULL, 2, "malformed",
		    NULL);
	check_error("line with no key", "[default]\n = none\n", NULL, NULL, 2, "malformed", NULL);
	check_error("unterminated section header", "[default\n", NULL, NULL, 1, "malformed", NULL);
	check_error("trailing comment is part of the value", "[default]\npids = 5 # five\n", NULL,
		    NULL, 2, "\"pids\"", "5 # five");
	check_error("missing root, at the header line",
		    "[guest a]\ninit = /sbin/init\n\n[default]\n", NULL, NULL, 1, "\"root\"", NULL);
	check_error("missing root at end of file", "[default]\n\n[guest z]\nready = notify\n", NULL,
		    NULL, 3, "\"root\"", NULL);
	check_error("guest name that is no hostname needs hostname",
		    "[guest my_guest]\nroot = /a\n", NULL, NULL, 1, "hostname", NULL);
	check_error("undefined guest", "[default]\nguest = nosuch\n", NULL, NULL, 2, "\"nosuch\"",
		    NULL);
	check_error("undefined guest in a drop-in", GUEST_A, "10-a.conf",
		    "[user x]\n\nguest = ghost\n", 3, "\"ghost\"", NULL);
	check_error("duplicate guest across files", GUEST_A, "10-a.conf",
		    "\n[guest a]\nroot = /b\n", 2, "duplicate", NULL);
	check_error("guest name with a slash", "[guest a/b]\nroot = /a\n", NULL, NULL, 1, "a/b",
		    NULL);
	check_error("guest section without a name", "[guest]\nroot = /a\n", NULL, NULL, 1, "guest",
		    NULL);
	check_error("guest named none", "[guest none]\nroot = /a\n", NULL, NULL, 1, "none", NULL);
	check_error("user name with whitespace", "[user a b]\n", NULL, NULL, 1, "a b", NULL);
	check_error("group section without a name", "[group]\n", NULL, NULL, 1, "group", NULL);
	check_error("[default] with a name", "[default x]\n", NULL, NULL, 1, "default", NULL);
	check_error("drop-in error names the drop-in", GUEST_A, "50-x.conf",
		    "# ok\n[default]\nmemory = lots\n", 3, "\"memory\"", "lots");

	struct fixture f;
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A "[user x]\nguest = b\n", 0644);
	fixture_write(&f, "x86ns.conf.d/20-b.conf", "[guest b]\nroot = /b\n", 0644);
	check_loaded(&f, fixture_load(&f), "guest defined in a later file may be named");
	fixture_done(&f);
}

static void check_refused(struct fixture *f, int want_r, const char *path, const char *msg,
			  const char *desc)
{
	char want[256];
	snprintf(want, sizeof(want), "%s: %s", path, msg);
	int r = fixture_load(f);
	char reason[1024];
	snprintf(reason, sizeof(reason), "r=%d err=\"%s\", expected r=%d err=\"%s\"", r, f->err,
		 want_r, want);
	tap_check(r == want_r && strcmp(f->err, want) == 0, reason, "%s", desc);
	fixture_done(f);
}

static void test_file_safety(void)
{
	struct fixture f;
	char path[PATH_MAX];

	fixture_init(&f);
	check_refused(&f, -ENOENT, f.main_path, "No such file or directory", "missing main file");

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0646);
	check_refused(&f, -EPERM, f.main_path, "writable by group or others, refused",
		      "main file writable by others refused");

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0644);
	fixture_write(&f, "x86ns.conf.d/10-a.conf", "", 0664);
	snprintf(path, sizeof(path), "%s/10-a.conf", f.dropin_dir);
	check_refused(&f, -EPERM, path, "writable by group or others, refused",
		      "drop-in writable by group refused");

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0644);
	if (chown(f.main_path, 65534, 65534) < 0)
		die("chown");
	check_refused(&f, -EPERM, f.main_path, "not owned by root, refused",
		      "file not owned by root refused");

	fixture_init(&f);
	fixture_write(&f, "real.conf", GUEST_A, 0644);
	if (symlink("real.conf", f.main_path) < 0)
		die("symlink");
	check_refused(&f, -ELOOP, f.main_path, "is a symbolic link, refused", "symlink refused");

	fixture_init(&f);
	if (mkdir(f.main_path, 0755) < 0)
		die("mkdir");
	check_refused(&f, -EINVAL, f.main_path, "not a regular file, refused",
		      "directory as main file refused");

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0644);
	fixture_write(&f, "x86ns.conf.d/README", "", 0644);
	snprintf(path, sizeof(path), "%s/50-fifo.conf", f.dropin_dir);
	if (mkfifo(path, 0644) < 0)
		die("mkfifo");
	check_refused(&f, -EINVAL, path, "not a regular file, refused",
		      "FIFO drop-in refused without blocking");

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0644);
	fixture_write(&f, "x86ns.conf.d/README", "", 0644);
	if (chmod(f.dropin_dir, 0777) < 0)
		die("chmod");
	check_refused(&f, -EPERM, f.dropin_dir, "writable by group or others, refused",
		      "drop-in directory writable by others refused");
}

static void test_file_limits(void)
{
	struct fixture f;
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", "[default]\n\0\n", 0644);
	/* fixture_write stops at the NUL: write it by hand. */
	int fd = open(f.main_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, "[default]\n\0\n", 12) != 12)
		die("write NUL");
	close(fd);
	check_refused(&f, -EINVAL, f.main_path, "contains a NUL byte, refused", "NUL byte refused");

	char *big = malloc(1024 * 1024 + 2);
	if (!big)
		die("malloc");
	memset(big, '#', 1024 * 1024);
	big[1024 * 1024 - 1] = '\n';
	big[1024 * 1024] = '\0';
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", big, 0644);
	check_loaded(&f, fixture_load(&f), "file of exactly 1 MiB accepted");
	fixture_done(&f);
	big[1024 * 1024] = '\n';
	big[1024 * 1024 + 1] = '\0';
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", big, 0644);
	check_refused(&f, -EFBIG, f.main_path, "larger than 1 MiB, refused",
		      "file over 1 MiB refused");
	free(big);

	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", GUEST_A, 0644);
	check_loaded(&f, fixture_load(&f), "missing drop-in directory is fine");
	fixture_done(&f);
	CHECK_INT_EQ(config_load(f.main_path, NULL, &f.config, f.err, sizeof(f.err)), 0,
		     "NULL drop-in directory is fine");
	fixture_done(&f);

	char *dir = config_dropin_dir("/etc/security/x86ns.conf");
	CHECK_STR_EQ(dir, "/etc/security/x86ns.conf.d", "config_dropin_dir");
	free(dir);
}

/* Reads a file of the source tree; tests run from the top directory or
 * from tests/unit. */
static char *read_source_file(const char *rel)
{
	char path[PATH_MAX];
	const char *prefixes[] = { "", "../../" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		snprintf(path, sizeof(path), "%s%s", prefixes[i], rel);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		char *text = NULL;
		int r = read_fd_bounded(fd, 1024 * 1024, &text, NULL);
		close(fd);
		return r < 0 ? NULL : text;
	}
	return NULL;
}

/* Every "#key = value" and "#[section]" line of the shipped file is an
 * example: with the '#' removed they must form a valid configuration. */
static void uncomment_examples(char *text)
{
	char *out = text;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		bool example = line[0] == '#' && len > 1 && line[1] != ' ' && line[1] != '#';
		memmove(out, line + example, len - example);
		out += len - example;
		line += len;
		if (*line == '\n')
			*out++ = *line++;
	}
	*out = '\0';
}

static void test_shipped_files(void)
{
	struct fixture f;
	struct user_policy p;
	const char *groups[] = { "x86users" };
	char *profile = read_source_file("conf/x86ns.conf.d/qemu-user.conf");
	if (CHECK(profile, "conf/x86ns.conf.d/qemu-user.conf found")) {
		fixture_init(&f);
		fixture_write(&f, "x86ns.conf",
			      "[guest g]\nroot = /g\ninit = /sbin/init\n"
			      "translator = /usr/bin/qemu-aarch64-static\n"
			      "translator-machines = aarch64\ntranslator-profile = qemu-user\n",
			      0644);
		fixture_write(&f, "x86ns.conf.d/qemu-user.conf", profile, 0644);
		const struct guest_config *g =
		    fixture_load(&f) == 0 ? config_guest(f.config, 0) : NULL;
		const struct translator_profile *t = g ? g->translator_profile : NULL;
		CHECK(t && t->require_static && t->signal_offset == 2 &&
			  t->n_reset_credentials == 4,
		      "the shipped qemu-user profile loads: static, offset 2, four units");
		fixture_done(&f);
		free(profile);
	}
	char *text = read_source_file("conf/x86ns.conf");
	if (!CHECK(text, "conf/x86ns.conf found"))
		return;
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", text, 0644);
	int r = fixture_load(&f);
	check_loaded(&f, r, "shipped x86ns.conf loads");
	if (r == 0) {
		config_resolve(f.config, "alice", groups, 1, &p);
		CHECK(p.guest == NULL && config_n_guests(f.config) == 0,
		      "shipped x86ns.conf selects nobody");
		user_policy_done(&p);
	}
	fixture_done(&f);

	uncomment_examples(text);
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", text, 0644);
	r = fixture_load(&f);
	check_loaded(&f, r, "examples of x86ns.conf, uncommented, load");
	if (r == 0) {
		config_resolve(f.config, "bob", groups, 1, &p);
		CHECK(p.guest && strcmp(p.guest->name, "debian-x86") == 0 && p.n_binds == 2,
		      "uncommented examples select x86users");
		user_policy_done(&p);
	}
	fixture_done(&f);
	free(text);

	/* The man page's first .nf block is its example configuration. */
	text = read_source_file("conf/x86ns.conf.5");
	char *start = text ? strstr(text, "\n.nf\n") : NULL,
	     *end = start ? strstr(start, "\n.fi\n") : NULL;
	if (!CHECK(start && end, "example found in conf/x86ns.conf.5")) {
		free(text);
		return;
	}
	end[1] = '\0';
	char *out = start;
	for (const char *in = start + 5; *in; in++) /* drop roff's "\" before "-" */
		if (!(in[0] == '\\' && in[1] == '-'))
			*out++ = *in;
	*out = '\0';
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", start, 0644);
	r = fixture_load(&f);
	check_loaded(&f, r, "man page example loads");
	if (r == 0) {
		config_resolve(f.config, "alice", groups, 1, &p);
		CHECK(p.guest && strcmp(p.guest->name, "busybox") == 0 && p.n_binds == 1 &&
			  strcmp(p.binds[0].source, "~/bb-data") == 0 && p.stop == STOP_LINGER &&
			  p.linger_sec == 900,
		      "man page example: alice gets busybox, one bind, group's linger");
		user_policy_done(&p);
	}
	fixture_done(&f);
	free(text);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static const char *qemu_profile = "[translator-profile q]\nstatic = yes\nsignal-offset = 2\n"
				  "reset-credentials = a.service b@x.service\n";

/* translator, translator-machines, translator-profile, the confinement
 * switches, and [translator-profile] sections. */
static void test_translator_and_confinement(void)
{
	struct fixture f;
	char text[1024];
	snprintf(text, sizeof(text),
		 "[guest g]\nroot = /g\ninit = /sbin/init\nstop-signal = RTMIN+4\n"
		 "translator = /usr/bin/qemu -L / -cpu max\ntranslator-machines = aarch64 arm\n"
		 "translator-profile = q\n%s",
		 qemu_profile);
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf", text, 0644);
	const struct guest_config *g = fixture_load(&f) == 0 ? config_guest(f.config, 0) : NULL;
	if (CHECK(g, "a guest with a translator, its machines and a profile loads")) {
		CHECK_STR_EQ(g->translator, "/usr/bin/qemu", "translator path");
		CHECK(g->translator_args[0] && strcmp(g->translator_args[0], "-L") == 0 &&
			  g->translator_args[3] && strcmp(g->translator_args[3], "max") == 0 &&
			  !g->translator_args[4],
		      "translator arguments, in order");
		CHECK_INT_EQ(g->translator_machines, (1u << MACHINE_AARCH64) | (1u << MACHINE_ARM),
			     "translator-machines = aarch64 arm");
		const struct translator_profile *t = g->translator_profile;
		CHECK(t && t->require_static && t->signal_offset == 2 &&
			  t->n_reset_credentials == 2 &&
			  strcmp(t->reset_credentials[1], "b@x.service") == 0,
		      "the profile is linked with its fields");
		CHECK_INT_EQ(guest_stop_signal_for_host(g), SIGRTMIN + 6,
			     "the stop signal is shifted by the profile's signal-offset");
		CHECK_INT_EQ(g->relax, 0, "every confinement layer is on by default");
	}
	fixture_done(&f);

	const struct guest_config *r =
	    load_guest(&f, "seccomp = no\nnested-userns = allow\nio-uring = allow\nlandlock = no");
	CHECK(r && r->relax ==
		       (RELAX_SECCOMP | RELAX_NESTED_USERNS | RELAX_IO_URING | RELAX_LANDLOCK),
	      "seccomp = no, nested-userns = allow, io-uring = allow, landlock = no");
	fixture_done(&f);
	r = load_guest(&f, "landlock = no\nlandlock = yes\nnested-userns = allow\n"
			   "nested-userns = deny");
	CHECK(r && r->relax == 0, "a later line turns a layer back on");
	fixture_done(&f);
	r = load_guest(&f, "translator = /t");
	CHECK(r && guest_stop_signal_for_host(r) == SIGTERM,
	      "no shift without a profile and with the builtin init");
	fixture_done(&f);

	static const char *const bad[][2] = {
		{ "translator", "relative/qemu" },
		{ "translator", "/usr/bin/q:emu" },
		{ "translator", "/q 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17" },
		{ "translator-machines", "vax" },
		{ "translator-machines", "x86_64" }, /* the host's own */
		{ "translator-profile", "a/b" },
		{ "seccomp", "off" },
		{ "nested-userns", "yes" },
		{ "io-uring", "1" },
		{ "landlock", "maybe" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check_guest_invalid(bad[i][0], bad[i][1]);

	check_error("machines without a translator",
		    "[guest g]\nroot = /g\ntranslator-machines = aarch64\n", NULL, NULL, 1,
		    "no \"translator\"", NULL);
	check_error("an undefined translator profile",
		    "[guest g]\nroot = /g\ntranslator = /t\ntranslator-profile = nope\n", NULL,
		    NULL, 1, "translator profile \"nope\" is not defined", NULL);
	check_error("a profile defined twice", "[translator-profile q]\n[translator-profile q]\n",
		    NULL, NULL, 2, "duplicate [translator-profile q]", NULL);
	check_error("an unknown profile key", "[translator-profile q]\nspeed = fast\n", NULL, NULL,
		    2, "unknown key \"speed\" in [translator-profile q]", NULL);
	check_error("a bad signal-offset", "[translator-profile q]\nsignal-offset = 9\n", NULL,
		    NULL, 2, "signal-offset", "-8 to 8");
	check_error("a bad unit name", "[translator-profile q]\nreset-credentials = a/b\n", NULL,
		    NULL, 2, "reset-credentials", NULL);
	/* The profile may come from a drop-in read after the guest's file. */
	fixture_init(&f);
	fixture_write(&f, "x86ns.conf",
		      "[guest g]\nroot = /g\ntranslator = /t\ntranslator-profile = q\n", 0644);
	fixture_write(&f, "x86ns.conf.d/q.conf", qemu_profile, 0644);
	g = fixture_load(&f) == 0 ? config_guest(f.config, 0) : NULL;
	CHECK(g && g->translator_profile && g->translator_profile->signal_offset == 2,
	      "a profile from a drop-in links to a guest of the main file");
	fixture_done(&f);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok - test-config must run as root (config files must be root-owned)\n");
		return 1;
	}
	if (!mkdtemp(tmpdir))
		die("mkdtemp");
	test_full_example();
	test_precedence();
	test_binds();
	test_policy_values();
	test_guest_values();
	test_translator_and_confinement();
	test_syntax_errors();
	test_file_safety();
	test_file_limits();
	test_shipped_files();
	CHECK(nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0, "temporary files removed");
	return tap_exit();
}
