/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check on this machine: the report has its fixed shape, the
 * facilities x86ns cannot live without are found, a missing one is counted,
 * and the probes leave the host as they found it (no mount, no child).
 * Needs root. */
#include "../../ctl/check.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The status word on the report line for label, or NULL. */
static const char *item_status(const char *report, const char *label, char *buf, size_t size)
{
	size_t len = strlen(label);
	for (const char *line = report; *line;) {
		const char *end = strchrnul(line, '\n');
		if (strncmp(line, label, len) == 0 && line[len] == ':') {
			const char *status = line + len + 1 + strspn(line + len + 1, " ");
			if (xsnprintf(buf, size, "%.*s", (int)strcspn(status, " \n"), status) < 0)
				return NULL;
			return buf;
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static bool is_status_word(const char *s, size_t len)
{
	return (len == 2 && strncmp(s, "ok", 2) == 0) ||
	       (len == 7 && strncmp(s, "missing", 7) == 0) ||
	       (len == 7 && strncmp(s, "warning", 7) == 0);
}

/* Every line is a group header, the title, the result, or an item line
 * "<label>: ok|missing|warning [(detail)]". */
static void expect_shape(const char *report, const char *which)
{
	char why[200] = "";
	for (const char *line = report; *line && !why[0];) {
		const char *end = strchrnul(line, '\n');
		int len = (int)(end - line);
		const char *colon = memchr(line, ':', (size_t)len);
		const char *status = colon ? colon + 1 + strspn(colon + 1, " ") : NULL;
		bool header = strncmp(line, "--- ", 4) == 0 ||
			      strncmp(line, "x86ns system check", 18) == 0 ||
			      strncmp(line, "Result: ", 8) == 0;
		bool item = status && is_status_word(status, strcspn(status, " \n"));
		if (!header && !item)
			(void)xsnprintf(why, sizeof(why), "unexpected line: %.*s", len, line);
		line = *end ? end + 1 : end;
	}
	tap_check(!why[0], why,
		  "%s report: every line is a header or \"<item>: ok|missing|warning\"", which);
}

static char *read_mountinfo(void)
{
	char *text = NULL;
	_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_fd_bounded(fd, 4u << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static char *run_check(bool verbose, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return NULL;
	*ret = check_system(mem, verbose, NULL, NULL);
	fclose(mem);
	return buf;
}

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? negerrno() : write_all(fd, text, strlen(text));
}

/* A system without user namespaces: in a child, own a user namespace in
 * which user.max_user_namespaces is 0 (the host's setting is untouched).
 * The check must then call user namespaces missing and count it. */
static void expect_missing_userns_counted(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int missing = 0;
		char status[32] = "";
		if (unshare(CLONE_NEWUSER) < 0 || write_text("/proc/self/setgroups", "deny") < 0 ||
		    write_text("/proc/self/uid_map", "0 0 1\n") < 0 ||
		    write_text("/proc/self/gid_map", "0 0 1\n") < 0 ||
		    write_text("/proc/sys/user/max_user_namespaces", "0\n") < 0)
			_exit(2);
		_cleanup_free_ char *report = run_check(false, &missing);
		const char *got = report ? item_status(report, "user namespaces (unprivileged)",
						       status, sizeof(status))
					 : NULL;
		_exit(missing > 0 && got && strcmp(got, "missing") == 0 ? 0 : 1);
	}
	int wstatus = 0;
	if (pid > 0)
		(void)waitpid(pid, &wstatus, 0);
	const char *why = pid < 0 ? "fork failed" : "not reported";
	if (pid > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 2)
		why = "set-up of the namespace failed";
	tap_check(pid > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, why,
		  "without user namespaces the check reports them missing and returns > 0");
}

/* The guests of a configuration: a static translator is ok, a dynamic one
 * under a static profile is missing (and counted), a native guest is ok,
 * and the result line still comes last. */
static void expect_guests_checked(void)
{
	char dir[] = "/tmp/x86ns-test-check.XXXXXX", path[64], dropins[80], profile[112];
	if (!tap_check(mkdtemp(dir) != NULL, strerror(errno), "temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/x86ns.conf", dir);
	snprintf(dropins, sizeof(dropins), "%s.d", path);
	snprintf(profile, sizeof(profile), "%s/p.conf", dropins);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	bool written =
	    fd >= 0 &&
	    write_all(fd,
		      "[guest arm]\nroot = /a\ntranslator = /usr/bin/qemu-aarch64-static\n"
		      "translator-machines = aarch64\ntranslator-profile = p\n"
		      "[guest dyn]\nroot = /d\ntranslator = /bin/true\n"
		      "translator-profile = p\n[guest nat]\nroot = /n\n",
		      strlen("[guest arm]\nroot = /a\ntranslator = "
			     "/usr/bin/qemu-aarch64-static\ntranslator-machines = aarch64\n"
			     "translator-profile = p\n[guest dyn]\nroot = /d\ntranslator = "
			     "/bin/true\ntranslator-profile = p\n[guest nat]\nroot = /n\n")) == 0;
	if (fd >= 0)
		close(fd);
	written = written && mkdir(dropins, 0755) == 0;
	fd = written ? open(profile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
	written = fd >= 0 && write_all(fd, "[translator-profile p]\nstatic = yes\n", 35) == 0;
	if (fd >= 0)
		close(fd);
	if (tap_check(written, strerror(errno), "a configuration with three guests written")) {
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		int missing = mem ? check_system(mem, false, path, NULL) : -1;
		if (mem)
			fclose(mem);
		char status[32];
		CHECK(buf && strstr(buf, "\n--- Guests on this kernel (what a start does) ---\n"),
		      "the guests group is there");
		CHECK_STR_EQ(item_status(buf, "guest arm: translator", status, sizeof(status)),
			     "ok", "a static translator is ok");
		CHECK_STR_EQ(item_status(buf, "guest arm", status, sizeof(status)), "ok",
			     "the arm guest can start (the launcher's plan)");
		CHECK(buf && strstr(buf, "aarch64 through /usr/bin/qemu-aarch64-static, registered in "
					 "the container's binfmt_misc"),
		      "its machines run through the per-container binfmt_misc on this kernel");
		CHECK_STR_EQ(item_status(buf, "guest dyn: translator", status, sizeof(status)),
			     "missing", "a dynamic translator under a static profile is missing");
		CHECK(buf && strstr(buf, "/bin/true: dynamically linked"),
		      "... naming the file and why");
		CHECK_STR_EQ(item_status(buf, "guest nat", status, sizeof(status)), "ok",
			     "a native guest is ok");
		CHECK_INT_EQ(missing, 1, "the unusable translator is counted as missing");
		const char *result = buf ? strstr(buf, "Result: ") : NULL;
		CHECK(result && !strstr(result, "--- "), "the result line comes after every group");
		free(buf);
	}
	unlink(profile);
	rmdir(dropins);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static const char *const must_be_ok[] = {
		"CONFIG_NAMESPACES",
		"CONFIG_USER_NS",
		"CONFIG_PID_NS",
		"CONFIG_OVERLAY_FS",
		"CONFIG_DEVPTS_MULTIPLE_INSTANCES",
		"user namespaces (unprivileged)",
		"overlayfs in a user namespace",
		"idmapped mounts",
		"setns with a pidfd",
		"sandboxed binfmt_misc",
		"clone3 with CLONE_INTO_CGROUP",
		"cgroup layout",
		"cgroup controller pids",
		"cgroup controller memory",
		"seccomp filters",
		"Landlock",
		"/etc/subuid",
		"/etc/subgid",
	};

	if (geteuid() != 0) {
		tap_check(false, "x86nsctl check probes need host root", "test-check runs as root");
		return tap_exit();
	}
	_cleanup_free_ char *mounts_before = read_mountinfo();
	int missing = -1, missing_quiet = -1;
	_cleanup_free_ char *report = run_check(true, &missing);
	_cleanup_free_ char *quiet = run_check(false, &missing_quiet);
	_cleanup_free_ char *mounts_after = read_mountinfo();
	if (!tap_check(report && quiet, "open_memstream failed", "check_system writes a report"))
		return tap_exit();
	for (const char *p = report; *p;) { /* the report itself, as comments */
		const char *end = strchrnul(p, '\n');
		printf("# %.*s\n", (int)(end - p), p);
		p = *end ? end + 1 : end;
	}

	CHECK_INT_EQ(missing, 0,
		     "check_system returns 0 (nothing required missing) on this machine");
	CHECK_INT_EQ(missing_quiet, missing, "quiet and verbose runs count the same");
	expect_shape(report, "verbose");
	expect_shape(quiet, "quiet");
	CHECK(strstr(report, "\n--- Kernel configuration (/proc/config.gz) ---\n"),
	      "the kernel configuration is read from /proc/config.gz");
	CHECK(strstr(report, "\n--- Hardening sysctls (recommended) ---\n"),
	      "the hardening sysctls group is there");
	CHECK(strstr(report, "needed for"), "the verbose report says what each item is needed for");
	CHECK(!strstr(quiet, "ok (needed for"), "the quiet report does not explain ok items");
	for (size_t i = 0; i < ARRAY_SIZE(must_be_ok); i++) {
		char status[32];
		const char *got = item_status(report, must_be_ok[i], status, sizeof(status));
		CHECK_STR_EQ(got, "ok", "\"%s\" is ok", must_be_ok[i]);
	}
	char status[32];
	CHECK(item_status(report, "dev.tty.legacy_tiocsti", status, sizeof(status)),
	      "the hardening sysctl dev.tty.legacy_tiocsti is reported");

	expect_missing_userns_counted();
	expect_guests_checked();
	CHECK(mounts_before && mounts_after && strcmp(mounts_before, mounts_after) == 0,
	      "the probes leave the host's mounts unchanged");
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	      "the probes leave no child behind");
	return tap_exit();
}
