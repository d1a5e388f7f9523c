/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-timer: time whole commands, interleaved, for tests/bench/run.
 *
 *   bench-timer [--runs N] [--warmup N] [--rounds R] [--gap-ms MS] [--log FILE] SPEC...
 *   SPEC:  --cmd  NAME [--as UID:GID] PROGRAM [ARG...]
 *          --post NAME [--as UID:GID] PROGRAM [ARG...]
 *
 * Runs in: host root (tests/bench/run). Each sample is one fork, execv of
 * PROGRAM (an absolute path, no shell) and wait, timed with CLOCK_MONOTONIC
 * from before the fork to after the wait, like "hyperfine -N". With --as
 * the child takes UID:GID (no supplementary groups) before the exec, so the
 * command runs as that user without a runuser or setpriv in between.
 * A --post command runs right after the preceding --cmd every time, timed
 * on its own (start, then stop). In every round each command first runs
 * --warmup times untimed, then --runs times; within a round the commands
 * take turns, and the turn order rotates so no command always follows the
 * same one. stdin and stdout of the commands are /dev/null, stderr goes to
 * --log (default: inherited). --gap-ms sleeps that long (untimed) before
 * every run, for "isolated" timings where nothing the previous run left
 * warm (caches, RCU grace periods) helps the next one. A command that exits
 * non-zero ends the benchmark: a failing command is not a measurement.
 *
 * Output, one line per timed run: "NAME ROUND NANOSECONDS". */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 16

struct command {
	const char *name;
	char **argv;
	bool as_user;
	uid_t uid;
	gid_t gid;
	struct command *post;
};

struct options {
	unsigned runs, warmup, rounds, gap_ms;
	const char *log;
	struct command cmds[MAX_COMMANDS];
	unsigned n_cmds;
};

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: bench-timer [--runs N] [--warmup N] [--rounds R] [--gap-ms MS]\n"
			"                   [--log FILE] "
			"--cmd NAME [--as UID:GID] PROGRAM [ARG...] [--post NAME ...]...\n");
	exit(2);
}

static unsigned parse_count(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 1000000)
		usage();
	return (unsigned)v;
}

static bool is_spec_start(const char *arg)
{
	return strcmp(arg, "--cmd") == 0 || strcmp(arg, "--post") == 0;
}

/* argv[*i] is "--cmd" or "--post"; on return *i is the command's last word.
 * The words are copied so that the command's argv ends in NULL. */
static void parse_spec(int argc, char **argv, int *i, struct command *c)
{
	if (*i + 2 >= argc)
		usage();
	c->name = argv[++*i];
	(*i)++;
	if (strcmp(argv[*i], "--as") == 0) {
		unsigned u, g;
		if (*i + 2 >= argc || sscanf(argv[*i + 1], "%u:%u", &u, &g) != 2)
			usage();
		c->as_user = true;
		c->uid = u;
		c->gid = g;
		*i += 2;
	}
	if (argv[*i][0] != '/') {
		fprintf(stderr, "bench-timer: %s: program must be an absolute path\n", c->name);
		exit(2);
	}
	int first = *i;
	while (*i + 1 < argc && !is_spec_start(argv[*i + 1]))
		(*i)++;
	size_t words = (size_t)(*i - first + 1);
	c->argv = calloc(words + 1, sizeof(char *));
	if (!c->argv) {
		perror("bench-timer");
		exit(1);
	}
	memcpy(c->argv, argv + first, words * sizeof(char *));
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .runs = 100, .warmup = 5, .rounds = 1 };
	struct command *last = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
			o->runs = parse_count(argv[++i]);
		} else if (strcmp(a, "--warmup") == 0 && i + 1 < argc) {
			o->warmup = parse_count(argv[++i]);
		} else if (strcmp(a, "--rounds") == 0 && i + 1 < argc) {
			o->rounds = parse_count(argv[++i]);
		} else if (strcmp(a, "--gap-ms") == 0 && i + 1 < argc) {
			o->gap_ms = parse_count(argv[++i]);
		} else if (strcmp(a, "--log") == 0 && i + 1 < argc) {
			o->log = argv[++i];
		} else if (is_spec_start(a)) {
			bool post = strcmp(a, "--post") == 0;
			if (o->n_cmds == MAX_COMMANDS || (post && (!last || last->post)))
				usage();
			struct command *c = &o->cmds[o->n_cmds++];
			parse_spec(argc, argv, &i, c);
			if (post)
				last->post = c;
			else
				last = c;
		} else {
			usage();
		}
	}
	if (!last)
		usage();
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs in: the forked child, still root; becomes the command. */
static void exec_command(const struct command *c, int log_fd) __attribute__((noreturn));
static void exec_command(const struct command *c, int log_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		_exit(125);
	if (log_fd >= 0 && dup2(log_fd, STDERR_FILENO) < 0)
		_exit(125);
	if (c->as_user && (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
			   setresuid(c->uid, c->uid, c->uid) < 0)) {
		fprintf(stderr, "bench-timer: %s: cannot become %u:%u: %m\n", c->name,
			(unsigned)c->uid, (unsigned)c->gid);
		_exit(125);
	}
	execv(c->argv[0], c->argv);
	fprintf(stderr, "bench-timer: %s: exec %s: %m\n", c->name, c->argv[0]);
	_exit(127);
}

/* One timed run; exits the benchmark when the command fails. */
static uint64_t run_once(const struct command *c, int log_fd)
{
	uint64_t start = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench-timer: fork");
		exit(1);
	}
	if (pid == 0)
		exec_command(c, log_fd);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("bench-timer: waitpid");
			exit(1);
		}
	}
	uint64_t elapsed = now_ns() - start;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-timer: %s failed (%s %d)\n", c->name,
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		exit(1);
	}
	return elapsed;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void run_group(const struct command *c, int log_fd, unsigned round, bool timed,
		      unsigned gap_ms)
{
	for (; c; c = c->post) {
		if (gap_ms)
			sleep_ms(gap_ms);
		uint64_t ns = run_once(c, log_fd);
		if (timed)
			printf("%s %u %llu\n", c->name, round, (unsigned long long)ns);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);
	int log_fd = -1;
	if (o.log) {
		log_fd = open(o.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			fprintf(stderr, "bench-timer: %s: %m\n", o.log);
			return 1;
		}
	}
	/* The groups: every --cmd with its --post. */
	const struct command *groups[MAX_COMMANDS];
	unsigned n = 0;
	for (unsigned i = 0; i < o.n_cmds; i++) {
		bool is_post = false;
		for (unsigned j = 0; j < o.n_cmds; j++)
			is_post |= o.cmds[j].post == &o.cmds[i];
		if (!is_post)
			groups[n++] = &o.cmds[i];
	}
	for (unsigned round = 1; round <= o.rounds; round++) {
		for (unsigned it = 0; it < o.warmup + o.runs; it++) {
			for (unsigned k = 0; k < n; k++)
				run_group(groups[(it + k) % n], log_fd, round, it >= o.warmup,
					  o.gap_ms);
		}
		fflush(stdout);
	}
	return 0;
}
