/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl guest create: make a Debian guest tree with debootstrap and
 * prepare it to boot its own systemd inside an x86ns container.
 *
 * Runs in: x86nsctl, as root, host namespaces. The tree is built in a
 * temporary sibling of its final directory and renamed into place only when
 * every step succeeded; a failure or an interrupt removes the sibling.
 *
 * A foreign architecture (arm64, ...) is built in two stages: debootstrap
 * --foreign unpacks the packages on the host; its --second-stage, which runs
 * the tree's own programs, runs in namespaces of its own where the qemu-user
 * translator is registered in a binfmt_misc instance of that user namespace
 * only (guest_tree_run_start). The host's binfmt_misc is never touched. */

#include "guest.h"
#include "guest-build.h"
#include "plan.h"

#include "binfmt.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#define GUESTS_DIR "/var/lib/x86ns-guests"

static const char usage[] =
    "usage: x86nsctl guest create NAME --suite SUITE --arch ARCH\n"
    "                             [--include PKG,PKG...] [--dir DIR]\n"
    "ARCH: amd64 or i386 (native), or arm64, armhf, armel, ppc64el, riscv64, s390x\n"
    "      (through qemu-user-static)\n";

/* The Debian architectures guest create builds: see struct guest_arch. */
static const struct guest_arch guest_archs[] = {
	{ "amd64", MACHINE_X86_64, NULL },
	{ "i386", MACHINE_I386, NULL },
	{ "arm64", MACHINE_AARCH64, "/usr/bin/qemu-aarch64-static" },
	{ "armhf", MACHINE_ARM, "/usr/bin/qemu-arm-static" },
	{ "armel", MACHINE_ARM, "/usr/bin/qemu-arm-static" },
	{ "ppc64el", MACHINE_PPC64LE, "/usr/bin/qemu-ppc64le-static" },
	{ "riscv64", MACHINE_RISCV64, "/usr/bin/qemu-riscv64-static" },
	{ "s390x", MACHINE_S390X, "/usr/bin/qemu-s390x-static" },
};

struct build_step {
	const char *name;
	int (*run)(struct guest_build *b);
	bool foreign_only; /* only for an architecture run through a translator */
};

/* In this order: nothing is made before the mirror is known and, for a
 * foreign architecture, before the translator and the kernel are known to
 * work; the tree is prepared completely before it gets its name. The
 * preparation only writes files from the host, for every architecture:
 * nothing of the tree runs after the second stage. */
static const struct build_step build_steps[] = {
	{ "find the Debian mirror", step_mirror, false },
	{ "check the translator", step_translator, true },
	{ "check the private binfmt_misc", step_binfmt_probe, true },
	{ "make the temporary directory", step_tempdir, false },
	{ "debootstrap", step_debootstrap, false },
	{ "debootstrap second stage", step_second_stage, true },
	{ "empty /etc/machine-id", step_machine_id, false },
	{ "write /etc/hostname and /etc/hosts", step_hostname, false },
	{ "mask units", step_mask_units, false },
	{ "remove apt caches", step_apt_caches, false },
	{ "rename into place", step_rename, false },
};

static int run_build(struct guest_build *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(build_steps); i++) {
		if (build_steps[i].foreign_only && !b->target->translator)
			continue;
		b->detail[0] = '\0';
		int r = build_steps[i].run(b), sig = 0;
		bool interrupted = guest_build_interrupted(&sig);
		if (r >= 0 && interrupted)
			r = -EINTR;
		if (r >= 0)
			continue;
		if (interrupted)
			fprintf(stderr, "x86nsctl: guest create %s: interrupted by signal %d\n",
				b->name, sig);
		else if (r == -EPROTO)
			fprintf(stderr, "x86nsctl: guest create %s: %s: %s\n", b->name,
				build_steps[i].name, b->detail);
		else
			fprintf(stderr, "x86nsctl: guest create %s: %s: %s%s%s\n", b->name,
				build_steps[i].name, b->detail, b->detail[0] ? ": " : "",
				strerror(-r));
		return r;
	}
	return 0;
}

/* The section must start on this kernel: the launcher's plan for it, for
 * users on the default network. Where it cannot, say why (a comment in the
 * section and a line on stderr) instead of printing one that fails every
 * login. */
static void print_plan_for_section(const struct guest_build *b)
{
	struct guest_config g = { .name = (char *)b->name, .root = (char *)b->dir };
	if (b->target->translator) {
		g.translator = (char *)b->target->translator;
		g.translator_machines = 1u << b->target->machine;
	}
	struct kernel_features k;
	struct guest_plan plan;
	kernel_features_probe(guest_plan_probes(&g), &k);
	guest_plan_make(&g, NETWORK_HOST, &k, &plan);
	printf("# on this kernel: %s%s\n", plan.startable ? "" : "CANNOT START: ", plan.text);
	if (!plan.startable)
		fprintf(stderr, "x86nsctl: guest create %s: on this kernel %s\n", b->name,
			plan.text);
}

static void print_config_section(const struct guest_build *b)
{
	printf("# x86nsctl guest create: Debian %s %s\n", b->suite, b->arch);
	printf("[guest %s]\n", b->name);
	printf("root = %s\n", b->dir);
	printf("init = /sbin/init\n");
	printf("ready = notify\n");
	if (strcmp(b->arch, "i386") == 0) {
		printf("# a 32-bit guest: the 32-bit personality (uname -m says i686)\n");
		printf("personality = x86\n");
	}
	if (b->target->translator) {
		printf("# every program of this %s guest runs through qemu-user, registered\n"
		       "# only in the container's own binfmt_misc (Linux 6.7 or later)\n",
		       b->arch);
		printf("translator = %s\n", b->target->translator);
		printf("translator-machines = %s\n", binfmt_machine_name(b->target->machine));
		printf("# [translator-profile qemu-user] comes with x86ns, in "
		       "x86ns.conf.d/qemu-user.conf\n");
		printf("translator-profile = qemu-user\n");
		printf("# systemd's power-off signal, as the guest gets it\n");
		printf("stop-signal = RTMIN+4\n");
	}
	print_plan_for_section(b);
}

static bool packages_are_valid(const char *list)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *p = list;
	for (;;) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
		if (n < 2 || !strchr(first, p[0]))
			return false;
		p += n;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* 1: --help (printed); -EINVAL with e, step "usage" when the usage should
 * follow the message. */
static int parse_create_args(int argc, char **argv, struct guest_build *b, struct error *e)
{
	static const struct option options[] = { { "suite", required_argument, NULL, 's' },
						 { "arch", required_argument, NULL, 'a' },
						 { "include", required_argument, NULL, 'i' },
						 { "dir", required_argument, NULL, 'd' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	const char *dir = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 's': b->suite = optarg; break;
		case 'a': b->arch = optarg; break;
		case 'i': b->include = optarg; break;
		case 'd': dir = optarg; break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			return error_set_text(e, "usage", -EINVAL, "guest create: bad option '%s'",
					      argv[optind - 1]);
		}
	}
	if (optind != argc - 1 || !b->suite || !b->arch)
		return error_set_text(e, "usage", -EINVAL,
				      "guest create needs a NAME, --suite and --arch");
	b->name = argv[optind];
	if (!config_guest_name_is_valid(b->name) || !config_hostname_is_valid(b->name))
		return error_set_text(e, "name", -EINVAL,
				      "guest create: \"%s\" is not a valid guest name (letters, "
				      "digits, '-' and '.', as in a host name)",
				      b->name);
	if (strspn(b->suite, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(b->suite) ||
	    !isalnum((unsigned char)b->suite[0]))
		return error_set_text(e, "suite", -EINVAL,
				      "guest create: \"%s\" is not a suite name", b->suite);
	for (size_t i = 0; i < ARRAY_SIZE(guest_archs); i++)
		if (strcmp(b->arch, guest_archs[i].name) == 0)
			b->target = &guest_archs[i];
	if (!b->target)
		return error_set_text(e, "arch", -EINVAL,
				      "guest create: --arch must be amd64 or i386 (native), or "
				      "arm64, armhf, armel, ppc64el, riscv64 or s390x (through "
				      "qemu-user-static)");
	if (b->include && !packages_are_valid(b->include))
		return error_set_text(
		    e, "include", -EINVAL,
		    "guest create: --include takes package names separated by commas");
	if (dir && dir[0] != '/')
		return error_set_text(e, "dir", -EINVAL,
				      "guest create: --dir must be an absolute path");
	if (xsnprintf(b->dir, sizeof(b->dir), "%s", dir ? dir : GUESTS_DIR "/") < 0 ||
	    (!dir && strlen(b->dir) + strlen(b->name) >= sizeof(b->dir)))
		return error_set_text(e, "dir", -ENAMETOOLONG,
				      "guest create: directory name too long");
	if (!dir)
		strcat(b->dir, b->name);
	while (strlen(b->dir) > 1 && b->dir[strlen(b->dir) - 1] == '/')
		b->dir[strlen(b->dir) - 1] = '\0';
	return 0;
}

/* Checks what needs no change on the host; then makes the parent directory
 * and resolves it, so that the temporary sibling's path is canonical. */
static int check_create_target(struct guest_build *b, struct error *e)
{
	struct utsname u;
	if (!b->target->translator && (uname(&u) < 0 || strcmp(u.machine, "x86_64") != 0))
		return error_set_text(e, "target", -EINVAL,
				      "guest create: amd64 and i386 guests are built natively on "
				      "an x86_64 host; this host is %s",
				      u.machine);
	if (b->target->translator && b->target->machine == binfmt_host_machine())
		return error_set_text(e, "target", -EINVAL,
				      "guest create: %s is this host's own machine, which guest "
				      "create does not build natively",
				      b->arch);
	struct stat st;
	if (lstat(b->dir, &st) == 0)
		return error_set_text(e, "target", -EEXIST,
				      "guest create: %s exists; remove it or choose another --dir",
				      b->dir);
	char *slash = strrchr(b->dir, '/');
	char parent[PATH_MAX], real[PATH_MAX], base[PATH_MAX];
	snprintf(parent, sizeof(parent), "%.*s", slash == b->dir ? 1 : (int)(slash - b->dir),
		 b->dir);
	snprintf(base, sizeof(base), "%s", slash + 1);
	int r = guest_mkdir_parents(parent);
	if (r < 0)
		return error_set(e, "target", r, "guest create: cannot make %s", parent);
	if (!realpath(parent, real))
		return error_set(e, "target", negerrno(), "guest create: %s", parent);
	if (xsnprintf(b->dir, sizeof(b->dir), "%s/%s", strcmp(real, "/") == 0 ? "" : real, base) <
	    0)
		return error_set_text(e, "target", -ENAMETOOLONG,
				      "guest create: directory name too long");
	guest_warn_leftovers(b->dir);
	return 0;
}

static int guest_create(int argc, char **argv)
{
	struct guest_build b = { .tree.root_fd = -1 };
	struct error e = { 0 };
	int r = parse_create_args(argc, argv, &b, &e);
	if (r > 0)
		return EXIT_SUCCESS;
	if (r >= 0)
		r = check_create_target(&b, &e);
	if (r < 0)
		cli_die("%s%s%s", e.message, strcmp(e.step, "usage") == 0 ? "\n" : "",
			strcmp(e.step, "usage") == 0 ? usage : "");
	b.progress.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &b.progress.start);

	struct sigaction sa = { .sa_handler = guest_build_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r = run_build(&b);
	if (b.tree.root_fd >= 0)
		close(b.tree.root_fd);
	if (r < 0) {
		if (b.tmp[0]) {
			int q = guest_tree_remove(b.tmp);
			if (q < 0)
				fprintf(stderr, "x86nsctl: cannot remove %s: %s\n", b.tmp,
					strerror(-q));
		}
		return EXIT_FAILURE;
	}
	if (b.target->translator)
		fprintf(stderr,
			"x86nsctl: guest %s is ready in %s (%.0f s: debootstrap %.0f s, second "
			"stage %.0f s)\n",
			b.name, b.dir, guest_seconds_since(&b.progress.start),
			b.debootstrap_seconds, b.second_stage_seconds);
	else
		fprintf(stderr, "x86nsctl: guest %s is ready in %s (%.0f s, debootstrap %.0f s)\n",
			b.name, b.dir, guest_seconds_since(&b.progress.start),
			b.debootstrap_seconds);
	fprintf(stderr, "x86nsctl: add this section to /etc/security/x86ns.conf or a file in "
			"/etc/security/x86ns.conf.d/:\n");
	fflush(stderr);
	print_config_section(&b);
	return EXIT_SUCCESS;
}

int guest_main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return guest_create(argc, argv);
	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(usage, stdout);
		return EXIT_SUCCESS;
	}
	cli_die("guest needs a sub-command\n%s", usage);
}
