/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl guest create: the build steps (guest-build.h) that guest.c runs
 * from its table, in its order: the temporary tree, debootstrap and its
 * progress display, the mirror, the translator checks and the foreign
 * second stage, the preparation of the tree, the rename into place. Linked
 * into x86nsctl only.
 *
 * Runs in: x86nsctl, as root, host namespaces. */

#include "guest-build.h"

#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define DEBOOTSTRAP      "/usr/sbin/debootstrap"
#define APT_SOURCES_LIST "/etc/apt/sources.list"
#define APT_SOURCES_DIR  "/etc/apt/sources.list.d"
/* What a full guest needs: an init, the system bus, cron, and ps. */
/* openssh-sftp-server: sftp and scp run the guest's own (x86ns-shell(1)). */
#define BASE_PACKAGES "systemd,systemd-sysv,dbus,cron,procps,openssh-sftp-server"
/* A log gets the current status at least this often, so that a long stage
 * (a foreign second stage takes minutes) shows that it is alive. */
#define LOG_NOTE_SECONDS 30

static volatile sig_atomic_t interrupted;
static volatile pid_t debootstrap_pgid;

void guest_build_on_signal(int sig)
{
	interrupted = sig;
	if (debootstrap_pgid > 0)
		kill(-debootstrap_pgid, SIGTERM);
}

double guest_seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

bool guest_build_interrupted(int *ret_sig)
{
	*ret_sig = (int)interrupted;
	return interrupted != 0;
}

/* ---- the temporary tree ---------------------------------------------------- */

int guest_mkdir_parents(const char *dir)
{
	char path[PATH_MAX];
	if (xsnprintf(path, sizeof(path), "%s", dir) < 0)
		return -ENAMETOOLONG;
	for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return negerrno();
		if (!slash)
			return 0;
		*slash = '/';
	}
}

void guest_warn_leftovers(const char *dir)
{
	char pattern[PATH_MAX];
	glob_t g;
	if (xsnprintf(pattern, sizeof(pattern), "%s.tmp-*", dir) < 0 ||
	    glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		fprintf(stderr,
			"x86nsctl: warning: %s is left from an interrupted run; remove it\n",
			g.gl_pathv[i]);
	globfree(&g);
}

int step_tempdir(struct guest_build *b)
{
	int r = xsnprintf(b->tmp, sizeof(b->tmp), "%s.tmp-XXXXXX", b->dir);
	if (r < 0)
		return r;
	if (!mkdtemp(b->tmp)) {
		r = negerrno();
		b->tmp[0] = '\0';
		return r;
	}
	/* mkdtemp makes it 0700; every user's container reads the tree. */
	b->tree.root_fd = open(b->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->tree.root_fd < 0 || fchmod(b->tree.root_fd, 0755) < 0)
		return negerrno();
	return 0;
}

/* ---- debootstrap and its progress ------------------------------------------ */

static void progress_draw(struct progress *p)
{
	if (!p->tty)
		return;
	struct winsize ws;
	int width = 80;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col;
	fprintf(stderr, "\r\033[K  [%3.0f s] %.*s", guest_seconds_since(&p->start), width - 12,
		p->status);
}

static void progress_clear(const struct progress *p)
{
	if (p->tty)
		fputs("\r\033[K", stderr);
}

static bool progress_verb_is_new(struct progress *p, const char *text)
{
	char verb[sizeof(p->verbs[0])];
	snprintf(verb, sizeof(verb), "%.*s", (int)strcspn(text, " "), text);
	size_t i;
	for (i = 0; i < ARRAY_SIZE(p->verbs) && p->verbs[i][0]; i++)
		if (strcmp(p->verbs[i], verb) == 0)
			return false;
	if (i < ARRAY_SIZE(p->verbs))
		memcpy(p->verbs[i], verb, sizeof(verb));
	return true;
}

/* Without a terminal: the status with the elapsed time, when the log has
 * had no line for a while. */
static void progress_note(struct progress *p)
{
	double now = guest_seconds_since(&p->start);
	if (p->tty || !p->status[0] || now - p->noted < LOG_NOTE_SECONDS)
		return;
	fprintf(stderr, "  debootstrap: [%.0f s] %s\n", now, p->status);
	p->noted = now;
}

/* A terminal gets one status line that updates; a log gets the first "I:"
 * line of each kind ("Retrieving", "Unpacking"), not one per package, and
 * the current one every LOG_NOTE_SECONDS. Warnings and errors always get
 * a line of their own. */
static void progress_line(struct progress *p, const char *line)
{
	snprintf(p->tail[p->n_lines++ % TAIL_LINES], TEXT_MAX, "%s", line);
	if (strncmp(line, "I: ", 3) == 0) {
		snprintf(p->status, sizeof(p->status), "%s", line + 3);
		if (p->tty) {
			progress_draw(p);
		} else if (progress_verb_is_new(p, line + 3)) {
			fprintf(stderr, "  debootstrap: %s\n", line + 3);
			p->noted = guest_seconds_since(&p->start);
		} else {
			progress_note(p);
		}
	} else if (strncmp(line, "W: ", 3) == 0 || strncmp(line, "E: ", 3) == 0) {
		progress_clear(p);
		fprintf(stderr, "  debootstrap: %s\n", line);
		progress_draw(p);
	}
}

static void progress_print_tail(const struct progress *p)
{
	unsigned n = p->n_lines < TAIL_LINES ? p->n_lines : TAIL_LINES;
	if (n > 0)
		fputs("x86nsctl: the last lines of debootstrap's output:\n", stderr);
	for (unsigned i = p->n_lines - n; i < p->n_lines; i++)
		fprintf(stderr, "  %s\n", p->tail[i % TAIL_LINES]);
}

/* Feeds every complete line in buf to the progress; keeps the rest. */
static void progress_feed(struct progress *p, char *buf, size_t *len, bool flush)
{
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', *len - (size_t)(start - buf)))) {
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		progress_line(p, start);
		start = nl + 1;
	}
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
	if (*len > 0 && (flush || *len >= TEXT_MAX)) {
		buf[*len] = '\0';
		progress_line(p, buf);
		*len = 0;
	}
}

/* debootstrap's own log says which package failed and why; the tree, and
 * the log with it, is removed after a failure. */
static void print_debootstrap_log_tail(int root_fd)
{
	_cleanup_close_ int fd =
	    openat(root_fd, "debootstrap/debootstrap.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[2048];
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (end <= 0)
		return;
	off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *start = from > 0 && strchr(buf, '\n') ? strchr(buf, '\n') + 1 : buf;
	fprintf(stderr, "x86nsctl: the end of debootstrap's log:\n%s%s", start,
		buf[n - 1] == '\n' ? "" : "\n");
}

/* Runs in: the child of fork, before execve. */
static void __attribute__((noreturn)) debootstrap_exec(char **argv, int out_fd)
{
	static const char *const passed[] = { "http_proxy", "https_proxy", "no_proxy" };
	char *envp[4 + ARRAY_SIZE(passed) + 1] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
						   "HOME=/root", "DEBIAN_FRONTEND=noninteractive" };
	size_t n = 4;
	for (size_t i = 0; i < ARRAY_SIZE(passed); i++) {
		const char *v = getenv(passed[i]);
		char *entry;
		if (v && asprintf(&entry, "%s=%s", passed[i], v) >= 0)
			envp[n++] = entry;
	}
	envp[n] = NULL;
	guest_child_signals_default();
	/* Its own process group, so that an interrupt reaches dpkg in the chroot too. */
	setpgid(0, 0);
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	execve(argv[0], argv, envp);
	dprintf(STDERR_FILENO, "E: cannot execute %s: %m\n", argv[0]);
	_exit(127);
}

static bool has_exited(pid_t pid, bool block)
{
	siginfo_t info = { 0 };
	/* WNOWAIT: the zombie keeps its process group alive for the kill below */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) < 0)
		if (errno != EINTR)
			return true;
	return info.si_pid == pid;
}

static int debootstrap_wait(struct guest_build *b, const char *what, pid_t pid, int out_fd)
{
	char buf[TEXT_MAX + 1];
	size_t len = 0;
	for (;;) {
		struct pollfd pfd = { .fd = out_fd, .events = POLLIN };
		int n = poll(&pfd, 1, 1000);
		if (n == 0) {
			progress_draw(&b->progress);
			progress_note(&b->progress);
			/* Something it started may hold the pipe after it exited. */
			if (has_exited(pid, false))
				break;
			continue;
		}
		if (n < 0)
			continue; /* EINTR: a signal, forwarded by on_signal */
		ssize_t got = read(out_fd, buf + len, TEXT_MAX - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		progress_feed(&b->progress, buf, &len, false);
	}
	progress_feed(&b->progress, buf, &len, true);
	progress_clear(&b->progress);
	has_exited(pid, true);
	debootstrap_pgid = 0;
	kill(-pid, SIGKILL); /* whatever of its group is left */
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negerrno();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(b->detail, sizeof(b->detail), "%s failed with exit status %d", what,
			 WEXITSTATUS(status));
	else
		snprintf(b->detail, sizeof(b->detail), "%s was killed by signal %d", what,
			 WTERMSIG(status));
	return -EPROTO;
}

/* Follows a started debootstrap, the leader of its process group, to its
 * end: shows its progress, and on failure the end of its output and log. */
static int debootstrap_follow(struct guest_build *b, const char *what, pid_t pid, int out_fd,
			      const struct timespec *start, double *ret_seconds)
{
	struct progress *p = &b->progress;
	memset(p->verbs, 0, sizeof(p->verbs));
	p->n_lines = 0;
	p->status[0] = '\0';
	debootstrap_pgid = pid;
	if (interrupted)
		kill(-pid, SIGTERM);
	int r = debootstrap_wait(b, what, pid, out_fd);
	*ret_seconds = guest_seconds_since(start);
	if (r < 0 && !interrupted) {
		progress_print_tail(p);
		print_debootstrap_log_tail(b->tree.root_fd);
	} else if (r == 0) {
		fprintf(stderr, "x86nsctl: %s finished in %.0f s\n", what, *ret_seconds);
	}
	return r;
}

int step_debootstrap(struct guest_build *b)
{
	if (access(DEBOOTSTRAP, X_OK) < 0) {
		snprintf(b->detail, sizeof(b->detail), "%s is missing: apt-get install debootstrap",
			 DEBOOTSTRAP);
		return -EPROTO;
	}
	char arch[32], include[1024], components[160], keyring[300];
	if (xsnprintf(arch, sizeof(arch), "--arch=%s", b->arch) < 0 ||
	    xsnprintf(include, sizeof(include), "--include=%s%s%s", BASE_PACKAGES,
		      b->include ? "," : "", b->include ? b->include : "") < 0 ||
	    xsnprintf(components, sizeof(components), "--components=%s",
		      b->mirror.components[0] ? b->mirror.components : "main") < 0 ||
	    xsnprintf(keyring, sizeof(keyring), "--keyring=%s", b->mirror.keyring) < 0)
		return -ENAMETOOLONG;
	char *argv[11];
	size_t n = 0;
	argv[n++] = DEBOOTSTRAP;
	argv[n++] = "--variant=minbase";
	if (b->target->translator)
		argv[n++] = "--foreign"; /* unpack only: the tree's programs cannot run here */
	argv[n++] = arch;
	argv[n++] = include;
	argv[n++] = components;
	if (b->mirror.keyring[0])
		argv[n++] = keyring;
	argv[n++] = (char *)b->suite;
	argv[n++] = b->tmp;
	argv[n++] = b->mirror.uri;
	argv[n] = NULL;
	fprintf(stderr, "x86nsctl: debootstrap %s%s %s from %s (found in %s)\n",
		b->target->translator ? "--foreign " : "", b->suite, b->arch, b->mirror.uri,
		b->mirror.origin);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid = fork();
	if (pid < 0) {
		int r = negerrno();
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0)
		debootstrap_exec(argv, fds[1]);
	close(fds[1]);
	setpgid(pid, pid); /* also here: a signal may come before the child's own call */
	int r = debootstrap_follow(b, "debootstrap", pid, fds[0], &start, &b->debootstrap_seconds);
	close(fds[0]);
	return r;
}

int step_mirror(struct guest_build *b)
{
	int r = apt_mirror_find(APT_SOURCES_LIST, APT_SOURCES_DIR, b->suite, &b->mirror);
	if (r == -ENOENT) {
		snprintf(b->detail, sizeof(b->detail),
			 "no Debian mirror in the host's apt configuration: %s and %s/*.list, "
			 "*.sources have no enabled \"deb\" entry with an http, https or file "
			 "URI, other than the security archive",
			 APT_SOURCES_LIST, APT_SOURCES_DIR);
		return -EPROTO;
	}
	return r;
}

/* Each tree step names the path that failed in the error. */
static int tree_step_done(struct guest_build *b, int r)
{
	if (r < 0)
		snprintf(b->detail, sizeof(b->detail), "%s", b->tree.failed);
	return r;
}

int step_machine_id(struct guest_build *b)
{
	return tree_step_done(b, guest_tree_reset_machine_id(&b->tree));
}

int step_hostname(struct guest_build *b)
{
	return tree_step_done(b, guest_tree_set_hostname(&b->tree, b->name));
}

static void report_masked(const char *unit, const char *reason)
{
	fprintf(stderr, "x86nsctl: masked %s: %s\n", unit, reason);
}

int step_mask_units(struct guest_build *b)
{
	return tree_step_done(b, guest_tree_mask_units(&b->tree, report_masked));
}

int step_apt_caches(struct guest_build *b)
{
	uint64_t bytes = 0;
	int r = tree_step_done(b, guest_tree_remove_apt_caches(&b->tree, &bytes));
	if (r >= 0)
		fprintf(stderr,
			"x86nsctl: removed %.0f MB of apt caches (\"apt-get update\" in "
			"the guest fetches the package lists again)\n",
			(double)bytes / 1e6);
	return r;
}

/* ---- a foreign architecture: the translator and the second stage ----------- */

/* The translator must be a program of this host, and static: the second
 * stage and the guest's containers run it chrooted, where a dynamic
 * build's libraries are not (the F flag opens only the file itself). */
int step_translator(struct guest_build *b)
{
	const char *path = b->target->translator;
	snprintf(b->detail, sizeof(b->detail), "%s", path);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(b->detail, sizeof(b->detail),
			 "%s is missing: install qemu-user-static (apt-get install "
			 "qemu-user-static), which runs %s programs",
			 path, b->arch);
		return -EPROTO;
	}
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return negerrno();
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		return -EACCES;
	struct elf_info elf;
	int r = elf_inspect(fd, &elf);
	if (r < 0)
		return r;
	if (elf.machine != (int)binfmt_host_machine() || !elf.is_static) {
		snprintf(b->detail, sizeof(b->detail),
			 "%s is not a static program for this %s host: install "
			 "qemu-user-static",
			 path, binfmt_machine_name(binfmt_host_machine()));
		return -EPROTO;
	}
	return 0;
}

/* Before anything is downloaded: can this kernel register the translator
 * in a user namespace of its own (Linux 6.7+)? */
int step_binfmt_probe(struct guest_build *b)
{
	struct tree_command probe = { .machine = b->target->machine,
				      .translator = b->target->translator };
	return tree_step_done(b, guest_tree_run_probe(&b->tree, &probe));
}

/* Runs the tree's own debootstrap, chrooted, in new namespaces whose user
 * namespace alone has the translator registered. */
int step_second_stage(struct guest_build *b)
{
	static char *argv[] = { "/debootstrap/debootstrap", "--second-stage", NULL };
	/* container=lxc: debootstrap skips its mknod test, which a user
	 * namespace forbids; the first stage made the device nodes as host
	 * root. No proxies: everything was downloaded by the first stage. */
	static char *envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",      "HOME=/root",
		"DEBIAN_FRONTEND=noninteractive",     "container=lxc", NULL,
	};
	fprintf(stderr,
		"x86nsctl: debootstrap --second-stage: every program of the tree runs through %s, "
		"registered only in the build's own user namespace (arm64: 3 to 6 minutes)\n",
		b->target->translator);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	_cleanup_close_ int out_read = fds[0], out_write = fds[1];
	struct tree_command command = { .root_path = b->tmp,
					.machine = b->target->machine,
					.translator = b->target->translator,
					.argv = argv,
					.envp = envp,
					.out_fd = out_write };
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid;
	int r = tree_step_done(b, guest_tree_run_start(&b->tree, &command, &pid));
	if (r < 0)
		return r;
	close(TAKE_FD(out_write));
	return debootstrap_follow(b, "debootstrap --second-stage", pid, out_read, &start,
				  &b->second_stage_seconds);
}

int step_rename(struct guest_build *b)
{
	/* On disk before it is visible under its name. */
	if (syncfs(b->tree.root_fd) < 0)
		return negerrno();
	if (renameat2(AT_FDCWD, b->tmp, AT_FDCWD, b->dir, RENAME_NOREPLACE) < 0) {
		snprintf(b->detail, sizeof(b->detail), "%s", b->dir);
		return negerrno();
	}
	b->tmp[0] = '\0';
	return 0;
}
