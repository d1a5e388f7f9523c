/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for lib/cgroup.c against the real cgroup hierarchies of this host.
 * Runs as root. Every group is named test-cg-<pid>-N and removed at exit,
 * also after a failed check; x86ns/ and x86ns/monitors are removed only if
 * this test created them and they are empty. */
#include "cgroup.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DELEG_UID  ((uid_t)3999000)
#define DELEG_GID  ((gid_t)3999005)
#define MEMORY_MAX (256ULL << 20)
#define FORKER_MAX 400

static char names[4][CGROUP_NAME_MAX];
static pid_t children[8];
static size_t nchildren;
static bool base_existed[CGROUP_HIERARCHY_MAX], monitors_existed[CGROUP_HIERARCHY_MAX];
static struct cgroup_hierarchies hs;

static void cleanup(void)
{
	for (size_t i = 0; i < nchildren; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!names[i][0])
			continue;
		(void)cgroup_kill(names[i]);
		(void)cgroup_destroy(names[i]);
	}
	for (size_t i = 0; i < hs.count; i++) {
		char path[256];
		if (!monitors_existed[i] &&
		    cgroup_path(hs.list[i].dir, CGROUP_MONITOR_GROUP, path, sizeof(path)) >= 0)
			rmdir(path);
		if (!base_existed[i] && cgroup_path(hs.list[i].dir, "x", path, sizeof(path)) >= 0) {
			path[strlen(path) - 2] = '\0'; /* strip "/x": the x86ns/ base */
			rmdir(path);
		}
	}
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int group_file(const struct cgroup_hierarchy *h, const char *name, const char *file,
		      char *buf, size_t len)
{
	char dir[200];
	int r = cgroup_path(h->dir, name, dir, sizeof(dir));
	return r < 0 ? r : snprintf(buf, len, "%s%s%s", dir, *file ? "/" : "", file);
}

/* First line of a group's file, or "" */
static void read_group_file(const struct cgroup_hierarchy *h, const char *name, const char *file,
			    char *buf, size_t len)
{
	char path[256];
	buf[0] = '\0';
	group_file(h, name, file, path, sizeof(path));
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static uid_t owner_of(const struct cgroup_hierarchy *h, const char *name, const char *file)
{
	char path[256];
	struct stat st;
	group_file(h, name, file, path, sizeof(path));
	return lstat(path, &st) == 0 ? st.st_uid : (uid_t)-2;
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (pid > 0 && nchildren < ARRAY_SIZE(children))
		children[nchildren++] = pid;
	return pid;
}

/* A child that, once released through the pipe, keeps forking. */
static pid_t spawn_forker(int *release_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		/* Bounded by itself, not only by pids.max, which a host may lack. */
		for (int i = 0; i < FORKER_MAX; i++) {
			if (fork() == 0)
				for (;;)
					pause();
			usleep(1000);
		}
		for (;;)
			pause();
	}
	close(p[0]);
	*release_fd = p[1];
	if (pid > 0 && nchildren < ARRAY_SIZE(children))
		children[nchildren++] = pid;
	return pid;
}

static bool reaped_by_sigkill(pid_t pid)
{
	int status;
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (r < 0)
			return false;
		usleep(10000);
	}
	return false;
}

/* /proc/PID/cgroup has a line for the hierarchy ending in /x86ns/<name>. */
static bool proc_in_group(pid_t pid, const struct cgroup_hierarchy *h, const char *name)
{
	char path[64], line[512], want_tail[128], want_key[80];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want_tail, sizeof(want_tail), ":/x86ns/%s\n", name);
	snprintf(want_key, sizeof(want_key), ":%s:", h->v2 ? "" : h->subsystems);
	FILE *f = fopen(path, "re");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *key = strchr(line, ':');
		size_t tail_len = strlen(want_tail), len = strlen(line);
		found = key && strncmp(key, want_key, strlen(want_key)) == 0 && len >= tail_len &&
			strcmp(line + len - tail_len, want_tail) == 0;
	}
	if (f)
		fclose(f);
	return found;
}

static void check_limits_and_owners(const char *name)
{
	for (size_t i = 0; i < hs.count; i++) {
		const struct cgroup_hierarchy *h = &hs.list[i];
		char got[128];
		unsigned c = h->controllers;
		if (c & CGROUP_CONTROLLER_PIDS) {
			read_group_file(h, name, "pids.max", got, sizeof(got));
			CHECK_STR_EQ(got, "100", "[%s] pids.max", h->dir);
		}
		if (c & CGROUP_CONTROLLER_MEMORY) {
			read_group_file(h, name, h->v2 ? "memory.max" : "memory.limit_in_bytes",
					got, sizeof(got));
			CHECK_STR_EQ(got, "268435456", "[%s] memory limit", h->dir);
		}
		if ((c & CGROUP_CONTROLLER_CPU) && h->v2) {
			read_group_file(h, name, "cpu.max", got, sizeof(got));
			CHECK_STR_EQ(got, "50000 100000", "[%s] cpu.max", h->dir);
		} else if (c & CGROUP_CONTROLLER_CPU) {
			read_group_file(h, name, "cpu.cfs_quota_us", got, sizeof(got));
			CHECK_STR_EQ(got, "50000", "[%s] cpu.cfs_quota_us", h->dir);
			read_group_file(h, name, "cpu.cfs_period_us", got, sizeof(got));
			CHECK_STR_EQ(got, "100000", "[%s] cpu.cfs_period_us", h->dir);
		}
		uid_t want = h->delegated ? DELEG_UID : 0;
		CHECK_INT_EQ(owner_of(h, name, ""), want, "[%s] directory owner", h->dir);
		CHECK_INT_EQ(owner_of(h, name, "cgroup.procs"), want, "[%s] cgroup.procs owner",
			     h->dir);
		const char *extra = h->v2 ? "cgroup.subtree_control" : "tasks";
		CHECK_INT_EQ(owner_of(h, name, extra), want, "[%s] %s owner", h->dir, extra);
		if (h->v2)
			CHECK_INT_EQ(owner_of(h, name, "cgroup.threads"), want,
				     "[%s] cgroup.threads owner", h->dir);
		const char *limit = h->v2                          ? "cgroup.max.depth"
				    : (c & CGROUP_CONTROLLER_PIDS) ? "pids.max"
								   : NULL;
		if (limit)
			CHECK_INT_EQ(owner_of(h, name, limit), 0, "[%s] %s stays root's", h->dir,
				     limit);
	}
}

static void check_gone(const char *name, const char *what)
{
	bool any = false;
	char path[256];
	for (size_t i = 0; i < hs.count; i++)
		if (cgroup_path(hs.list[i].dir, name, path, sizeof(path)) >= 0 && exists(path)) {
			any = true;
			printf("# still there: %s\n", path);
		}
	CHECK(!any, "%s: no directory left in any hierarchy", what);
}

static void test_hierarchies(void)
{
	unsigned all = 0;
	bool systemd = false, v2 = false;
	for (size_t i = 0; i < hs.count; i++) {
		const struct cgroup_hierarchy *h = &hs.list[i];
		printf("# hierarchy \"%s\" subsystems=\"%s\" v2=%d delegated=%d controllers=%#x\n",
		       h->dir, h->subsystems, h->v2, h->delegated, h->controllers);
		all |= h->controllers;
		systemd |= strcmp(h->subsystems, "name=systemd") == 0;
		v2 |= h->v2;
	}
	unsigned want = CGROUP_CONTROLLER_PIDS | CGROUP_CONTROLLER_MEMORY | CGROUP_CONTROLLER_CPU;
	CHECK((all & want) == want, "pids, memory and cpu are available (got %#x)", all);
	if (hs.layout != CGROUP_UNIFIED) {
		CHECK(all & CGROUP_CONTROLLER_FREEZER, "v1 freezer hierarchy found");
		CHECK(systemd, "name=systemd hierarchy found");
	}
	CHECK(hs.layout == CGROUP_LEGACY || v2, "cgroup2 hierarchy found");
	char path[128];
	CHECK(cgroup_path("systemd", "u1", path, sizeof(path)) >= 0 &&
		  strcmp(path, "/sys/fs/cgroup/systemd/x86ns/u1") == 0,
	      "cgroup_path systemd/u1");
	CHECK(cgroup_path("", "u1", path, sizeof(path)) >= 0 &&
		  strcmp(path, "/sys/fs/cgroup/x86ns/u1") == 0,
	      "cgroup_path for cgroup2 at the root");
}

static void test_bad_names(void)
{
	char too_long[CGROUP_NAME_MAX + 2];
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	const char *const bad[] = { "",     ".",       "..",   "a/b",   "../x",
				    "a..b", ".hidden", "x\ny", too_long };
	struct cgroup_limits none = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char path[256];
		CHECK_INT_EQ(cgroup_create(bad[i], &none, (uid_t)-1, (gid_t)-1), -EINVAL,
			     "create rejects bad name #%zu", i);
		CHECK_INT_EQ(cgroup_path("pids", bad[i], path, sizeof(path)), -EINVAL,
			     "cgroup_path rejects bad name #%zu", i);
		CHECK_INT_EQ(cgroup_attach(bad[i], getpid()), -EINVAL,
			     "attach rejects bad name #%zu", i);
	}
	CHECK_INT_EQ(cgroup_create(CGROUP_MONITOR_GROUP, &none, (uid_t)-1, (gid_t)-1), -EINVAL,
		     "create rejects the reserved monitor group name");
	CHECK(cgroup_populated(".."), "populated() is conservative for a bad name");
}

static void test_lifecycle(const char *name)
{
	struct cgroup_limits l = { .pids_max = 100, .memory_max = MEMORY_MAX, .cpu_percent = 50 };
	int r = cgroup_create(name, &l, DELEG_UID, DELEG_GID);
	CHECK_INT_EQ(r, 0, "create %s", name);
	if (r < 0)
		return;
	check_limits_and_owners(name);
	unsigned enforced = 0;
	CHECK_INT_EQ(cgroup_enforced_controllers(name, &enforced), 0, "enforced_controllers");
	CHECK((enforced & 7) == 7, "pids, memory, cpu enforced (got %#x)", enforced);
	CHECK(!cgroup_populated(name), "new group is empty");

	pid_t pid = spawn_sleeper();
	CHECK_INT_EQ(cgroup_attach(name, pid), 0, "attach sleeping child");
	for (size_t i = 0; i < hs.count; i++)
		CHECK(proc_in_group(pid, &hs.list[i], name), "/proc/PID/cgroup: [%s] x86ns/%s",
		      hs.list[i].subsystems, name);
	CHECK(cgroup_populated(name), "populated after attach");
	CHECK_INT_EQ(cgroup_create(name, &l, DELEG_UID, DELEG_GID), -EBUSY,
		     "create on a populated group is -EBUSY");
	CHECK_INT_EQ(cgroup_destroy(name), -EBUSY, "destroy on a populated group is -EBUSY");

	CHECK_INT_EQ(cgroup_kill(name), 0, "cgroup_kill");
	CHECK(reaped_by_sigkill(pid), "sleeping child died of SIGKILL");
	CHECK(!cgroup_populated(name), "empty after kill");

	int release = -1;
	pid = spawn_forker(&release);
	CHECK_INT_EQ(cgroup_attach(name, pid), 0, "attach forking child");
	CHECK(write(release, "x", 1) == 1, "release the forking child");
	close(release);
	usleep(200000);
	char current[32];
	read_group_file(&hs.list[0], name, "cgroup.procs", current, sizeof(current));
	CHECK(current[0], "forking child is running in the group");
	CHECK_INT_EQ(cgroup_kill(name), 0, "cgroup_kill on a forking loop");
	CHECK(reaped_by_sigkill(pid), "forking child died of SIGKILL");
	CHECK(!cgroup_populated(name), "empty after killing the forking loop");

	CHECK_INT_EQ(cgroup_destroy(name), 0, "destroy");
	check_gone(name, "destroy");
	CHECK_INT_EQ(cgroup_destroy(name), 0, "destroy of a missing group succeeds");
	CHECK_INT_EQ(cgroup_kill(name), 0, "kill of a missing group succeeds");
}

/* mkdir a/b/c below the group in every delegated hierarchy, as a guest
 * would; returns false if that failed. */
static bool make_guest_children(const char *name)
{
	for (size_t i = 0; i < hs.count; i++) {
		char path[256];
		if (!hs.list[i].delegated)
			continue;
		for (const char *sub = "a"; sub; sub = !strcmp(sub, "a")     ? "a/b"
						       : !strcmp(sub, "a/b") ? "a/b/c"
									     : NULL) {
			if (group_file(&hs.list[i], name, sub, path, sizeof(path)) < 0 ||
			    mkdir(path, 0755) < 0)
				return false;
		}
	}
	return true;
}

static void test_guest_subtree_and_v1_kill(const char *name)
{
	struct cgroup_limits l = { .pids_max = 100 };
	if (!CHECK_INT_EQ(cgroup_create(name, &l, (uid_t)-1, (gid_t)-1), 0, "create %s", name))
		return;
	for (size_t i = 0; i < hs.count; i++)
		if (hs.list[i].delegated)
			CHECK_INT_EQ(owner_of(&hs.list[i], name, ""), 0,
				     "[%s] no delegation when uid is -1", hs.list[i].dir);
	CHECK(make_guest_children(name), "guest-made a/b/c in delegated hierarchies");
	int release = -1;
	pid_t forker = spawn_forker(&release), sleeper = spawn_sleeper();
	CHECK_INT_EQ(cgroup_attach(name, forker), 0, "attach forking child");
	CHECK_INT_EQ(cgroup_attach(name, sleeper), 0, "attach sleeper");
	/* As a guest would: move the sleeper into a/b in the delegated trees. */
	for (size_t i = 0; i < hs.count; i++) {
		char path[256], pid_text[16];
		if (!hs.list[i].delegated)
			continue;
		group_file(&hs.list[i], name, "a/b/cgroup.procs", path, sizeof(path));
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		int n = snprintf(pid_text, sizeof(pid_text), "%d", (int)sleeper);
		CHECK(fd >= 0 && write(fd, pid_text, (size_t)n) == n, "[%s] sleeper moved to a/b",
		      hs.list[i].dir);
		if (fd >= 0)
			close(fd);
	}
	CHECK(write(release, "x", 1) == 1, "release the forking child");
	close(release);
	usleep(200000);
	CHECK_INT_EQ(cgroup_kill_v1(name), 0, "cgroup_kill_v1 (freeze, kill, thaw)");
	CHECK(reaped_by_sigkill(forker), "forking child died of SIGKILL");
	CHECK(reaped_by_sigkill(sleeper), "sleeper in a/b died of SIGKILL");
	CHECK(!cgroup_populated(name), "empty after the v1 kill");
	CHECK_INT_EQ(cgroup_destroy(name), 0, "destroy with a guest-made subtree");
	check_gone(name, "destroy with a guest-made subtree");
}

static void test_stale_recreate(const char *name)
{
	struct cgroup_limits l = { .pids_max = 100, .memory_max = MEMORY_MAX, .cpu_percent = 50 };
	if (!CHECK_INT_EQ(cgroup_create(name, &l, DELEG_UID, DELEG_GID), 0, "create %s", name))
		return;
	CHECK(make_guest_children(name), "leave a stale guest-made subtree");
	CHECK_INT_EQ(cgroup_create(name, &l, DELEG_UID, DELEG_GID), 0,
		     "create over a stale empty group");
	bool stale_left = false;
	for (size_t i = 0; i < hs.count; i++) {
		char path[256];
		group_file(&hs.list[i], name, "a", path, sizeof(path));
		stale_left |= exists(path);
	}
	CHECK(!stale_left, "stale subtree removed on re-create");
	check_limits_and_owners(name);
	CHECK_INT_EQ(cgroup_destroy(name), 0, "destroy re-created group");
	check_gone(name, "destroy re-created group");
}

static void test_monitor_group(void)
{
	CHECK_INT_EQ(cgroup_create_monitor_group(), 0, "create monitor group");
	CHECK_INT_EQ(cgroup_create_monitor_group(), 0, "create monitor group again");
	pid_t pid = spawn_sleeper();
	CHECK_INT_EQ(cgroup_attach(CGROUP_MONITOR_GROUP, pid), 0, "attach a monitor");
	for (size_t i = 0; i < hs.count; i++)
		CHECK(proc_in_group(pid, &hs.list[i], CGROUP_MONITOR_GROUP),
		      "monitor in [%s] x86ns/monitors", hs.list[i].subsystems);
	kill(pid, SIGKILL);
	CHECK(reaped_by_sigkill(pid), "monitor stand-in stopped");
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok - test-cgroup must run as root\n");
		return 1;
	}
	enum cgroup_layout layout;
	CHECK_INT_EQ(cgroup_detect(&layout), 0, "detect layout");
	printf("# layout: %s\n", layout == CGROUP_UNIFIED  ? "unified"
				 : layout == CGROUP_HYBRID ? "hybrid"
							   : "legacy");
	if (!CHECK_INT_EQ(cgroup_hierarchies(&hs), 0, "list hierarchies"))
		return tap_exit();
	CHECK(hs.layout == layout, "hierarchy list has the detected layout");
	for (size_t i = 0; i < hs.count; i++) {
		char path[256];
		cgroup_path(hs.list[i].dir, CGROUP_MONITOR_GROUP, path, sizeof(path));
		monitors_existed[i] = exists(path);
		path[strlen(path) - strlen(CGROUP_MONITOR_GROUP) - 1] = '\0';
		base_existed[i] = exists(path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		snprintf(names[i], sizeof(names[i]), "test-cg-%d-%zu", (int)getpid(), i);
	atexit(cleanup);

	test_hierarchies();
	test_bad_names();
	test_lifecycle(names[0]);
	test_guest_subtree_and_v1_kill(names[1]);
	test_stale_recreate(names[2]);
	test_monitor_group();
	return tap_exit();
}
