/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check. Kernel options are read from the running kernel's
 * configuration; everything that matters at run time is also tried for real
 * in a forked probe, because a config option says nothing about sysctls,
 * LSM policy or a kernel too old for a flag. */
#include "check.h"
#include "systemd.h"
#include "binfmt.h"
#include "config.h"
#include "check-probe.h"
#include "plan.h"
#include "idmap.h"
#include "sshd-policy.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <zlib.h>

#define LABEL_WIDTH 46
#define KCONFIG_MAX (8u << 20)

struct report {
	FILE *out;
	bool verbose;
	int missing_required;
	int warnings;
};

/* ---- output ------------------------------------------------------------ */

static void report_item(struct report *rep, const char *label, enum level level, bool ok,
			const char *detail, const char *needed_for)
{
	const char *status = ok ? "ok" : level == REQUIRED ? "missing" : "warning";
	char name[LABEL_WIDTH + 16];
	bool has_detail = detail && *detail;
	bool show_why = needed_for && (!ok || rep->verbose);

	if (xsnprintf(name, sizeof(name), "%s:", label) < 0)
		name[sizeof(name) - 1] = '\0';
	fprintf(rep->out, "%-*s %s", LABEL_WIDTH, name, status);
	if (has_detail || show_why)
		fprintf(rep->out, " (%s%s%s%s)", has_detail ? detail : "",
			has_detail && show_why ? "; " : "", show_why ? "needed for " : "",
			show_why ? needed_for : "");
	fputc('\n', rep->out);
	if (!ok && level == REQUIRED)
		rep->missing_required++;
	else if (!ok)
		rep->warnings++;
}

static void report_group(struct report *rep, const char *title)
{
	fprintf(rep->out, "--- %s ---\n", title);
}

/* ---- kernel configuration ---------------------------------------------- */

static void gzclosep(gzFile *gz)
{
	if (*gz)
		gzclose(*gz);
}

static int read_gzip_file(const char *path, size_t max, char **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negerrno();
	__attribute__((cleanup(gzclosep))) gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	_cleanup_free_ char *buf = malloc(max);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	for (;;) {
		if (len == max - 1)
			return -EFBIG;
		int n = gzread(gz, buf + len, (unsigned)(max - 1 - len));
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

struct kconfig_item {
	const char *name;
	enum level level;
	const char *needed_for;
	unsigned always_on_since; /* major * 100 + minor: option removed, feature built in */
};

/* The kernel facilities of the source thesis plus what x86ns adds. Left out
 * on purpose: CONFIG_CGROUP_BPF (device control on cgroup v2 is not needed:
 * a user namespace cannot create usable device nodes anyway). */
static const struct kconfig_item kconfig_items[] = {
	{ "CONFIG_NAMESPACES", REQUIRED, "every namespace below", 0 },
	{ "CONFIG_UTS_NS", REQUIRED, "the guest's own hostname", 0 },
	{ "CONFIG_IPC_NS", REQUIRED, "separating guest System V IPC from the host", 0 },
	{ "CONFIG_PID_NS", REQUIRED, "hiding host processes from the guest", 0 },
	{ "CONFIG_USER_NS", REQUIRED, "a guest root without host privilege", 0 },
	{ "CONFIG_NET_NS", REQUIRED, "network = none", 0 },
	{ "CONFIG_CGROUPS", REQUIRED, "limits and stopping a container as a whole", 0 },
	{ "CONFIG_CGROUP_PIDS", REQUIRED, "the pids limit", 0 },
	{ "CONFIG_MEMCG", REQUIRED, "the memory limit", 0 },
	{ "CONFIG_CGROUP_SCHED", REQUIRED, "the cpu limit", 0 },
	{ "CONFIG_CGROUP_CPUACCT", RECOMMENDED, "CPU accounting on cgroup v1 hosts", 0 },
	{ "CONFIG_CGROUP_DEVICE", RECOMMENDED, "the device allow-list on cgroup v1 hosts", 0 },
	{ "CONFIG_CPUSETS", RECOMMENDED, "pinning guests to CPUs", 0 },
	{ "CONFIG_OVERLAY_FS", REQUIRED, "the per-user layer over the shared guest tree", 0 },
	{ "CONFIG_SECCOMP_FILTER", REQUIRED, "the system call filter", 0 },
	{ "CONFIG_SECURITY_LANDLOCK", RECOMMENDED,
	  "scoping guest signals and abstract sockets (else network host becomes private)", 0 },
	{ "CONFIG_BINFMT_MISC", RECOMMENDED, "running every guest program through a translator",
	  0 },
	{ "CONFIG_DEVPTS_MULTIPLE_INSTANCES", REQUIRED, "a private /dev/pts per container", 407 },
#if defined(__x86_64__)
	{ "CONFIG_IA32_EMULATION", RECOMMENDED, "32-bit x86 guest programs", 0 },
#endif
};

/* Copy the value of `name` ("y", "m", a string) into value; -ENOENT when
 * the option is unset ("# ... is not set") or absent. */
static int kconfig_lookup(const char *text, const char *name, char *value, size_t size)
{
	size_t name_len = strlen(name);
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		if ((size_t)(end - line) > name_len && strncmp(line, name, name_len) == 0 &&
		    line[name_len] == '=') {
			const char *v = line + name_len + 1;
			return xsnprintf(value, size, "%.*s", (int)(end - v), v);
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static void kconfig_load(struct check_context *ctx)
{
	static char boot_path[96];

	if (read_gzip_file("/proc/config.gz", KCONFIG_MAX, &ctx->kconfig) >= 0) {
		ctx->kconfig_source = "/proc/config.gz";
		return;
	}
	if (xsnprintf(boot_path, sizeof(boot_path), "/boot/config-%s", ctx->release) >= 0 &&
	    read_small_file(boot_path, KCONFIG_MAX, &ctx->kconfig) >= 0)
		ctx->kconfig_source = boot_path;
}

static void check_kernel_config(struct report *rep, const struct check_context *ctx)
{
	char title[160];
	(void)xsnprintf(title, sizeof(title), "Kernel configuration (%s)",
			ctx->kconfig ? ctx->kconfig_source : "/proc/config.gz, /boot/config-*");
	report_group(rep, title);
	if (!ctx->kconfig) {
		report_item(rep, "kernel configuration", RECOMMENDED, false,
			    "not readable; the run-time checks below still apply", NULL);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kconfig_items); i++) {
		const struct kconfig_item *item = &kconfig_items[i];
		char value[64] = "";
		if (item->always_on_since &&
		    ctx->kernel_major * 100 + ctx->kernel_minor >= item->always_on_since) {
			(void)xsnprintf(value, sizeof(value), "always on since Linux %u.%u",
					item->always_on_since / 100, item->always_on_since % 100);
			report_item(rep, item->name, item->level, true, value, item->needed_for);
			continue;
		}
		bool ok = kconfig_lookup(ctx->kconfig, item->name, value, sizeof(value)) >= 0 &&
			  (strcmp(value, "y") == 0 || strcmp(value, "m") == 0);
		report_item(rep, item->name, item->level, ok,
			    ok ? (value[0] == 'm' ? "module" : "") : "not set", item->needed_for);
	}
}

static void report_probes(struct report *rep, const struct check_context *ctx,
			  const struct probe_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char detail[DETAIL_MAX];
		bool ok = run_probe(&items[i], ctx, detail, sizeof(detail));
		report_item(rep, items[i].label, items[i].level, ok, detail, items[i].needed_for);
	}
}

static const struct probe_item namespace_probes[] = {
	{ "user namespaces (unprivileged)", REQUIRED, "a container owned by the user",
	  probe_userns },
	{ "overlayfs in a user namespace", REQUIRED,
	  "the per-user layer, mounted with the user's power only", probe_overlay_in_userns },
	{ "idmapped mounts", REQUIRED, "mounting the shared guest tree with each user's ids",
	  probe_idmapped_mount },
	{ "setns with a pidfd", REQUIRED, "joining a container without privilege",
	  probe_pidfd_setns },
	{ "sandboxed binfmt_misc", RECOMMENDED,
	  "a per-container translator registration; without it translated guests need a "
	  "host-wide registration",
	  probe_binfmt_misc_in_userns },
};

static const struct probe_item cgroup_probes[] = {
	{ "clone3 with CLONE_INTO_CGROUP", RECOMMENDED,
	  "starting processes directly in a container's cgroup", probe_clone_into_cgroup },
};

static const struct probe_item confinement_probes[] = {
	{ "seccomp filters", REQUIRED, "the system call filter", probe_seccomp },
	{ "Landlock", RECOMMENDED,
	  "scoping guest signals and abstract sockets; without it a guest whose network is host "
	  "gets a private user-mode network instead",
	  probe_landlock },
};

/* ---- sysctls ------------------------------------------------------------ */

enum comparison { EQUAL, AT_LEAST };

struct sysctl_rule {
	const char *name;
	enum comparison cmp;
	uint64_t want;
	bool absent_ok; /* the setting does not exist on this kernel: fine */
	const char *needed_for;
};

/* Distribution switches that stop unprivileged users from creating user
 * namespaces; the user namespace probe above shows their effect. */
static const struct sysctl_rule userns_sysctls[] = {
	{ "kernel.unprivileged_userns_clone", EQUAL, 1, true, "a container owned by the user" },
	{ "kernel.apparmor_restrict_unprivileged_userns", EQUAL, 0, true,
	  "full capabilities inside the user's namespace" },
};

/* Host settings that close paths out of a container (security-anchors 3.8). */
static const struct sysctl_rule hardening_sysctls[] = {
	{ "dev.tty.legacy_tiocsti", EQUAL, 0, false,
	  "keeping guests from injecting input into host terminals" },
	{ "dev.tty.ldisc_autoload", EQUAL, 0, false,
	  "keeping guests from autoloading line disciplines" },
	{ "vm.unprivileged_userfaultfd", EQUAL, 0, false, "keeping userfaultfd from guests" },
	{ "kernel.io_uring_disabled", AT_LEAST, 1, false, "keeping io_uring from guests" },
	{ "kernel.unprivileged_bpf_disabled", AT_LEAST, 1, false, "keeping bpf from guests" },
	{ "kernel.dmesg_restrict", EQUAL, 1, false, "hiding kernel messages from guests" },
	{ "kernel.kptr_restrict", AT_LEAST, 1, false, "hiding kernel addresses from guests" },
	{ "fs.protected_symlinks", EQUAL, 1, false, "safe symlinks in sticky directories" },
	{ "fs.protected_hardlinks", EQUAL, 1, false, "refusing hard links to others' files" },
	{ "fs.protected_fifos", EQUAL, 2, false, "safe FIFOs in sticky directories" },
	{ "fs.protected_regular", EQUAL, 2, false, "safe files in sticky directories" },
	{ "kernel.yama.ptrace_scope", AT_LEAST, 1, false, "keeping ptrace to descendants" },
};

static void report_sysctls(struct report *rep, const struct sysctl_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sysctl_rule *rule = &rules[i];
		const char *relation = rule->cmp == EQUAL ? "" : ">= ";
		char detail[DETAIL_MAX];
		uint64_t value;
		int r = read_sysctl(rule->name, &value);
		bool ok;

		if (r == -ENOENT) {
			ok = rule->absent_ok;
			(void)xsnprintf(detail, sizeof(detail), "%s",
					ok ? "not present" : "not available on this kernel");
		} else if (r < 0) {
			ok = false;
			(void)xsnprintf(detail, sizeof(detail), "unreadable: %s", strerror(-r));
		} else {
			ok = rule->cmp == EQUAL ? value == rule->want : value >= rule->want;
			if (ok)
				(void)xsnprintf(detail, sizeof(detail), "%" PRIu64, value);
			else
				(void)xsnprintf(detail, sizeof(detail),
						"%" PRIu64 ", recommended %s%" PRIu64, value,
						relation, rule->want);
		}
		report_item(rep, rule->name, RECOMMENDED, ok, detail, rule->needed_for);
	}
}

/* ---- cgroups -------------------------------------------------------------- */

struct cgroup_layout {
	bool v1_present;
	char v1_mount[3][256]; /* per wanted controller, "" when not on v1 */
	char *v2_controllers;  /* root cgroup.controllers, NULL without v2 */
};

static const char *const wanted_controllers[] = { "pids", "memory", "cpu" };

/* Is word one of the items of list, separated by any of seps? */
static bool list_has_word(const char *list, const char *word, const char *seps)
{
	size_t word_len = strlen(word);
	for (const char *p = list; p && *p;) {
		p += strspn(p, seps);
		size_t len = strcspn(p, seps);
		if (len == word_len && strncmp(p, word, len) == 0)
			return true;
		p += len;
	}
	return false;
}

/* One mountinfo line: "ID PARENT DEV ROOT MOUNTPOINT ... - FSTYPE SOURCE SUPEROPTS". */
static void layout_add_mount(struct check_context *ctx, struct cgroup_layout *layout,
			     const char *line)
{
	char mountpoint[256], fstype[32], superopts[512];
	const char *sep = strstr(line, " - ");
	if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mountpoint) != 1 ||
	    sscanf(sep + 3, "%31s %*s %511s", fstype, superopts) != 2)
		return;
	if (strcmp(fstype, "cgroup2") == 0 && !ctx->cgroup2_mount[0]) {
		(void)xsnprintf(ctx->cgroup2_mount, sizeof(ctx->cgroup2_mount), "%s", mountpoint);
	} else if (strcmp(fstype, "cgroup") == 0) {
		layout->v1_present = true;
		for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++)
			if (list_has_word(superopts, wanted_controllers[i], ","))
				(void)xsnprintf(layout->v1_mount[i], sizeof(layout->v1_mount[i]),
						"%s", mountpoint);
	}
}

/* Who makes the containers' groups at a start: systemd (transient units,
 * which also order the guests' stop at host shutdown) or x86ns itself. */
static void check_cgroup_manager(struct report *rep)
{
	const char *label = "cgroup manager";
	char detail[DETAIL_MAX];
	struct error err = { 0 };
	if (!systemd_is_init()) {
		report_item(rep, label, RECOMMENDED, true,
			    "no systemd as PID 1: x86ns manages /sys/fs/cgroup/x86ns"
			    " itself",
			    "limits and stopping a container as a whole");
		return;
	}
	if (!systemd_units_wanted()) {
		report_item(rep, label, RECOMMENDED, false,
			    "systemd runs the host with v1 cgroups: x86ns manages its own x86ns/ "
			    "groups, and host shutdown does not stop guests in "
			    "order (boot with systemd.unified_cgroup_hierarchy=1)",
			    "guests stopped in order at host shutdown");
		return;
	}
	struct systemd_bus *bus = NULL;
	int r = systemd_bus_open(&bus, &err);
	systemd_bus_close(bus);
	if (r >= 0)
		(void)xsnprintf(detail, sizeof(detail),
				"systemd: scopes x86ns-UID.scope (Delegate=yes) and "
				"x86ns-UID-monitor.scope in " SYSTEMD_SLICE);
	else
		(void)xsnprintf(detail, sizeof(detail), "systemd runs the host, but %s",
				err.message);
	report_item(rep, label, REQUIRED, r >= 0, detail,
		    "containers in systemd units, stopped in order at host shutdown");
}

/* cgroup v1 name=systemd is delegated to guest root, who can set
 * notify_on_release in the groups it makes there: the kernel then runs the
 * hierarchy's release agent as host root each time such a group empties. */
static void check_release_agent(struct report *rep)
{
	_cleanup_free_ char *agent = NULL;
	if (read_small_file("/sys/fs/cgroup/systemd/release_agent", 4096, &agent) < 0)
		return; /* no v1 name=systemd hierarchy: nothing delegated in v1 */
	agent[strcspn(agent, "\n")] = '\0';
	char detail[DETAIL_MAX];
	(void)xsnprintf(detail, sizeof(detail),
			*agent ? "guests can make the host run %s as root for groups they empty"
			       : "none set%s",
			agent);
	report_item(rep, "cgroup v1 name=systemd release agent", RECOMMENDED, !*agent, detail,
		    "keeping guests from starting host programs through the delegated subtree");
}

static void check_cgroups(struct report *rep, struct check_context *ctx)
{
	struct cgroup_layout layout = { 0 };
	_cleanup_free_ char *mountinfo = NULL;
	char detail[DETAIL_MAX] = "";
	struct statfs sfs;

	report_group(rep, "Control groups");
	int r = read_small_file("/proc/self/mountinfo", MOUNTINFO_MAX, &mountinfo);
	for (char *save = NULL, *line = r >= 0 ? strtok_r(mountinfo, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		layout_add_mount(ctx, &layout, line);
	if (ctx->cgroup2_mount[0]) {
		char path[PATH_MAX];
		if (xsnprintf(path, sizeof(path), "%s/cgroup.controllers", ctx->cgroup2_mount) >= 0)
			(void)read_small_file(path, 4096, &layout.v2_controllers);
	}

	bool unified = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	if (unified || (!layout.v1_present && ctx->cgroup2_mount[0]))
		(void)xsnprintf(detail, sizeof(detail), "unified, cgroup2 at %s",
				ctx->cgroup2_mount);
	else if (layout.v1_present && ctx->cgroup2_mount[0])
		(void)xsnprintf(detail, sizeof(detail), "hybrid, v1 controllers and cgroup2 at %s",
				ctx->cgroup2_mount);
	else if (layout.v1_present)
		(void)xsnprintf(detail, sizeof(detail), "legacy, v1 only");
	else
		(void)xsnprintf(detail, sizeof(detail), "no cgroup file system mounted");
	report_item(rep, "cgroup layout", REQUIRED, layout.v1_present || ctx->cgroup2_mount[0],
		    detail, "limits and stopping a container as a whole");

	for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++) {
		char label[64];
		bool on_v2 = list_has_word(layout.v2_controllers, wanted_controllers[i], " \n");
		if (on_v2)
			(void)xsnprintf(detail, sizeof(detail), "cgroup2");
		else if (layout.v1_mount[i][0])
			(void)xsnprintf(detail, sizeof(detail), "v1 at %s", layout.v1_mount[i]);
		else
			(void)xsnprintf(detail, sizeof(detail), "not mounted or not enabled");
		(void)xsnprintf(label, sizeof(label), "cgroup controller %s",
				wanted_controllers[i]);
		report_item(rep, label, REQUIRED, on_v2 || layout.v1_mount[i][0], detail,
			    i == 0   ? "the pids limit"
			    : i == 1 ? "the memory limit"
				     : "the cpu limit");
	}
	free(layout.v2_controllers);
	report_probes(rep, ctx, cgroup_probes, ARRAY_SIZE(cgroup_probes));
	check_cgroup_manager(rep);
	check_release_agent(rep);
}

/* ---- subordinate ids ------------------------------------------------------ */

/* libsubid can also take ranges from an NSS module ("subid:" in
 * nsswitch.conf); the files are then not needed. */
static bool subid_from_nss(char *module, size_t size)
{
	_cleanup_free_ char *text = NULL;
	if (read_small_file("/etc/nsswitch.conf", 64 * 1024, &text) < 0)
		return false;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (strncmp(line, "subid:", 6) == 0) {
			line += 6 + strspn(line + 6, " \t");
			return xsnprintf(module, size, "%.*s", (int)strcspn(line, " \t#"), line) >
			       0;
		}
	}
	return false;
}

static void check_subids(struct report *rep)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	report_group(rep, "Subordinate ids");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char detail[DETAIL_MAX] = "", module[64];
		struct stat st;
		bool ok = stat(files[i], &st) == 0 && S_ISREG(st.st_mode);
		if (!ok && subid_from_nss(module, sizeof(module))) {
			ok = true;
			(void)xsnprintf(detail, sizeof(detail), "ranges from NSS module %s",
					module);
		} else if (!ok) {
			(void)xsnprintf(detail, sizeof(detail), "no such file");
		}
		report_item(rep, files[i], REQUIRED, ok, detail,
			    "mapping guest root and guest users to ids the user owns");
	}
	int r = subid_library_load();
	report_item(rep, "libsubid.so.4", REQUIRED, r == 0, r == 0 ? "" : strerror(-r),
		    "reading the ranges (shadow's library; Debian package libsubid4)");
}

/* ---- entry point ---------------------------------------------------------- */

static void context_init(struct check_context *ctx)
{
	struct utsname u;
	*ctx = (struct check_context){ 0 };
	if (uname(&u) == 0) {
		(void)xsnprintf(ctx->release, sizeof(ctx->release), "%s", u.release);
		if (sscanf(u.release, "%u.%u", &ctx->kernel_major, &ctx->kernel_minor) != 2)
			ctx->kernel_major = ctx->kernel_minor = 0;
	}
	kconfig_load(ctx);
}

/* ---- guests and their translators ------------------------------------ */

static void check_guest_translator(struct report *rep, const struct guest_config *g)
{
	char label[128], detail[DETAIL_MAX];
	(void)xsnprintf(label, sizeof(label), "guest %s: translator", g->name);
	const struct translator_profile *t = g->translator_profile;
	int r = translator_file_check(g->translator, t && t->require_static);
	(void)xsnprintf(detail, sizeof(detail), "%s%s%s", g->translator, r < 0 ? ": " : "",
			r < 0 ? translator_file_error(r) : "");
	report_item(rep, label, REQUIRED, r >= 0, detail, "starting the guest");
}

/* The writable layers' size limit (layer-size, launch/layer.c): an ext4
 * image on a loop device, made with mke2fs. What [default] gives; a user
 * or group section may say otherwise, and a start where the limit cannot
 * be enforced is refused, never run without it. */
static void check_layer_limit(struct report *rep, const struct config *c)
{
	struct user_policy pol;
	if (config_resolve(c, "", NULL, 0, &pol) < 0)
		return;
	uint64_t size = pol.layer_size;
	user_policy_done(&pol);
	char detail[DETAIL_MAX];
	if (size == 0) {
		report_item(rep, "writable layer limit", RECOMMENDED, false,
			    "layer-size = max in [default]: a guest can fill /var/lib",
			    "keeping one user's guest from filling the host's disk");
		return;
	}
	const char *missing = NULL;
	_cleanup_free_ char *filesystems = NULL;
	_cleanup_close_ int fs_fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
	if (access("/dev/loop-control", R_OK | W_OK) < 0)
		missing = "no /dev/loop-control (loop driver)";
	else if (access("/usr/sbin/mke2fs", X_OK) < 0 && access("/sbin/mke2fs", X_OK) < 0)
		missing = "no mke2fs (e2fsprogs)";
	else if (fs_fd < 0 || read_fd_bounded(fs_fd, 65536, &filesystems, NULL) < 0 ||
		 !strstr(filesystems, "\text4\n"))
		missing = "no ext4 in this kernel";
	(void)xsnprintf(detail, sizeof(detail), "%s%s%llu MiB ext4 image on a loop device",
			missing ? missing : "", missing ? "; needed: a " : "a ",
			(unsigned long long)(size >> 20));
	report_item(rep, "writable layer limit (layer-size)", REQUIRED, !missing, detail,
		    "starting guests with a layer-size limit (or set layer-size = max)");
}

/* What a start of each guest will do on this kernel, for each network mode
 * the configuration gives users: the launcher's own decision
 * (guest_plan_make, lib/plan.h), so that check and the first login agree. */
static void check_guests(struct report *rep, const char *config_path)
{
	char err[CONFIG_ERROR_MAX];
	struct config *c = NULL;
	_cleanup_free_ char *dropins = config_dropin_dir(config_path);
	report_group(rep, "Guests on this kernel (what a start does)");
	if (config_load(config_path, dropins, &c, err, sizeof(err)) < 0) {
		report_item(rep, "configuration", REQUIRED, false, err, "every guest");
		return;
	}
	unsigned probes = 0;
	for (size_t i = 0; i < config_n_guests(c); i++)
		probes |= guest_plan_probes(config_guest(c, i));
	struct kernel_features k;
	kernel_features_probe(probes, &k);
	unsigned modes = config_network_modes(c);
	bool several = modes & (modes - 1);
	for (size_t i = 0; i < config_n_guests(c); i++) {
		const struct guest_config *g = config_guest(c, i);
		for (int m = NETWORK_HOST; m <= NETWORK_PRIVATE; m++) {
			if (!(modes & (1u << m)))
				continue;
			struct guest_plan plan;
			char label[128];
			guest_plan_make(g, (enum network_mode)m, &k, &plan);
			if (several)
				(void)xsnprintf(label, sizeof(label), "guest %s (network %s)",
						g->name, network_mode_name((enum network_mode)m));
			else
				(void)xsnprintf(label, sizeof(label), "guest %s", g->name);
			report_item(rep, label, REQUIRED, plan.startable, plan.text, NULL);
		}
		if (g->translator)
			check_guest_translator(rep, g);
	}
	check_layer_limit(rep, c);
	config_free(c);
}

/* The oldest kernel, and what stands in for the layers a kernel lacks. */
static void check_kernel_plan(struct report *rep)
{
	struct kernel_features k;
	char detail[DETAIL_MAX];
	kernel_features_probe(0, &k);
	bool new_enough = !k.major || k.major > KERNEL_OLDEST_MAJOR ||
			  (k.major == KERNEL_OLDEST_MAJOR && k.minor >= KERNEL_OLDEST_MINOR);
	(void)xsnprintf(detail, sizeof(detail), "%u.%u, the oldest supported is %d.%d", k.major,
			k.minor, KERNEL_OLDEST_MAJOR, KERNEL_OLDEST_MINOR);
	report_item(rep, "Linux version", REQUIRED, new_enough, detail,
		    "overlayfs over the idmapped guest tree");
	(void)xsnprintf(detail, sizeof(detail), "%s", k.user_net ? "pasta" : k.user_net_missing);
	report_item(
	    rep, "user-mode network (network = private)",
	    k.landlock_scoping ? RECOMMENDED : REQUIRED, k.user_net, detail,
	    k.landlock_scoping
		? "network = private"
		: "network = private, which stands in for Landlock scoping with network = host");
}

/* ---- sshd's forwarding (ctl/sshd-policy.c) ------------------------------ */

static void report_sshd_user(void *ctx, const char *label, bool ok, const char *detail)
{
	report_item(ctx, label, REQUIRED, ok, detail, "the guests' network isolation over ssh");
}

static void check_sshd(struct report *rep, const char *config_path, const char *sshd_config)
{
	report_group(rep, "sshd forwarding");
	sshd_policy_check(config_path, sshd_config, report_sshd_user, rep);
}

static int report_result(struct report *rep)
{
	if (rep->missing_required == 0)
		fprintf(rep->out, "Result: x86ns can run on this system (%d warning%s).\n",
			rep->warnings, rep->warnings == 1 ? "" : "s");
	else
		fprintf(rep->out, "Result: x86ns cannot run: %d required item%s missing.\n",
			rep->missing_required, rep->missing_required == 1 ? "" : "s");
	fflush(rep->out);
	return rep->missing_required;
}

int check_sshd_only(FILE *out, const char *config_path, const char *sshd_config)
{
	struct report rep = { .out = out };
	check_sshd(&rep, config_path, sshd_config);
	return report_result(&rep);
}

int check_system(FILE *out, bool verbose, const char *config_path, const char *sshd_config)
{
	struct report rep = { .out = out, .verbose = verbose };
	struct sigaction default_chld = { .sa_handler = SIG_DFL }, saved_chld;
	struct check_context ctx;

	/* An inherited SIG_IGN would reap the probes before we read their verdict. */
	sigaction(SIGCHLD, &default_chld, &saved_chld);
	context_init(&ctx);
	fprintf(out, "x86ns system check, kernel %s\n", ctx.release);
	check_kernel_config(&rep, &ctx);

	report_group(&rep, "Namespaces and mounts");
	report_probes(&rep, &ctx, namespace_probes, ARRAY_SIZE(namespace_probes));
	report_sysctls(&rep, userns_sysctls, ARRAY_SIZE(userns_sysctls));

	check_cgroups(&rep, &ctx);

	report_group(&rep, "Confinement");
	report_probes(&rep, &ctx, confinement_probes, ARRAY_SIZE(confinement_probes));
	check_kernel_plan(&rep);

	check_subids(&rep);

	report_group(&rep, "Hardening sysctls (recommended)");
	report_sysctls(&rep, hardening_sysctls, ARRAY_SIZE(hardening_sysctls));

	if (config_path)
		check_guests(&rep, config_path);
	if (config_path && sshd_config)
		check_sshd(&rep, config_path, sshd_config);

	free(ctx.kconfig);
	sigaction(SIGCHLD, &saved_chld, NULL);
	return report_result(&rep);
}
