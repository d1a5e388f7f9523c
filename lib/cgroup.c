/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups: see cgroup.h for the layout and the contract.
 * Runs in: host root, host mount namespace (launcher, monitor, x86nsctl). */
#include "cgroup.h"

#include "safe-open.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

#define CPU_PERIOD_US      100000ULL
#define KILL_TIMEOUT_MS    5000
#define DESTROY_TIMEOUT_MS 2000
/* Guests nest cgroups (systemd: a handful of levels). The v1 walks below
 * stop at this depth; on cgroup2 the kernel enforces it (cgroup.max.depth). */
#define WALK_DEPTH_MAX 32
#define PROCS_FILE_MAX (1024 * 1024)

/* The directory x86ns's groups are in: its own "x86ns", or on systemd hosts
 * the slice whose scopes systemd creates (cgroup_use_systemd_slice). */
static const char *group_base = CGROUP_BASE;
static bool systemd_slice;

/* Delegated to the container's root, as the kernel's cgroup-v2 delegation
 * model and systemd expect. Deliberately not delegated: every resource
 * file (pids.*, memory.*, cpu.*, cgroup.max.*), cgroup.kill, cgroup.freeze:
 * the limits and the kill switch stay the host's. Missing files are
 * skipped (cgroup.threads and cgroup.subtree_control are v2 only, tasks is
 * v1 only). */
static const char *const delegated_files[] = {
	"cgroup.procs",
	"cgroup.threads",
	"cgroup.subtree_control",
	"tasks",
};

static const struct {
	const char *name;
	unsigned bit;
} controller_names[] = {
	{ "pids", CGROUP_CONTROLLER_PIDS },
	{ "memory", CGROUP_CONTROLLER_MEMORY },
	{ "cpu", CGROUP_CONTROLLER_CPU },
	{ "freezer", CGROUP_CONTROLLER_FREEZER },
};

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* /sys/fs/cgroup itself is the host's and root-owned; RESOLVE_BENEATH
 * starts below it. */
static int open_cgroup_root(int *ret)
{
	int fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	*ret = fd;
	return 0;
}

static int opendir_beneath(int dir_fd, const char *path, DIR **ret)
{
	int fd = -1;
	int r = open_beneath_ret(dir_fd, path, O_RDONLY | O_DIRECTORY, 0, &fd);
	if (r < 0)
		return r;
	DIR *d = fdopendir(fd);
	if (!d) {
		r = negerrno();
		close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

static int validate_name(const char *name)
{
	if (!name || !*name || name[0] == '.' || strlen(name) > CGROUP_NAME_MAX ||
	    strstr(name, ".."))
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return 0;
}

/* cgroup files take one write() per value. */
static int write_file_at(int dir_fd, const char *file, const char *value)
{
	_cleanup_close_ int fd = -1;
	int r = open_beneath_ret(dir_fd, file, O_WRONLY, 0, &fd);
	if (r < 0)
		return r;
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return negerrno();
	return (size_t)n == len ? 0 : -EIO;
}

static int read_file_at(int dir_fd, const char *file, size_t max, char **ret)
{
	_cleanup_close_ int fd = -1;
	int r = open_beneath_ret(dir_fd, file, O_RDONLY, 0, &fd);
	if (r < 0)
		return r;
	return read_fd_bounded(fd, max, ret, NULL);
}

int cgroup_detect(enum cgroup_layout *ret)
{
	struct statfs fs;
	if (statfs(CGROUP_ROOT, &fs) < 0)
		return negerrno();
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = CGROUP_UNIFIED;
		return 0;
	}
	if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		*ret = CGROUP_HYBRID;
	else
		*ret = CGROUP_LEGACY;
	return 0;
}

static unsigned controller_bit(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++)
		if (strcmp(controller_names[i].name, name) == 0)
			return controller_names[i].bit;
	return 0;
}

/* Mount options of a v1 hierarchy that are flags, not subsystem names. */
static bool is_v1_mount_flag(const char *opt)
{
	static const char *const flags[] = {
		"rw", "ro", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods"
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(opt, flags[i]) == 0)
			return true;
	return strncmp(opt, "release_agent=", 14) == 0;
}

static int add_hierarchy(struct cgroup_hierarchies *hs, const char *dir, bool v2, bool delegated,
			 unsigned controllers, const char *subsystems)
{
	struct cgroup_hierarchy *h = NULL;
	/* A later mount on the same point hides the earlier one. */
	for (size_t i = 0; i < hs->count; i++)
		if (strcmp(hs->list[i].dir, dir) == 0)
			h = &hs->list[i];
	if (!h) {
		if (hs->count == CGROUP_HIERARCHY_MAX)
			return -E2BIG;
		h = &hs->list[hs->count++];
	}
	memset(h, 0, sizeof(*h));
	int r = xsnprintf(h->dir, sizeof(h->dir), "%s", dir);
	if (r < 0)
		return r;
	r = xsnprintf(h->subsystems, sizeof(h->subsystems), "%s", subsystems);
	if (r < 0)
		return r;
	h->v2 = v2;
	h->delegated = delegated;
	h->controllers = controllers;
	return 0;
}

/* One mountinfo line: "id parent maj:min root MOUNTPOINT opts [tags] -
 * FSTYPE source SUPEROPTS". Records v1 hierarchies at /sys/fs/cgroup/X that
 * carry a controller we drive or name=systemd. */
static int parse_mountinfo_line(char *line, struct cgroup_hierarchies *hs)
{
	char *save = NULL, *mountpoint = NULL, *fstype = NULL, *superopts = NULL;
	unsigned field = 0, after_separator = 0;
	for (char *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (after_separator) {
			if (after_separator == 1)
				fstype = tok;
			else if (after_separator == 3)
				superopts = tok;
			after_separator++;
		} else if (field == 4) {
			mountpoint = tok;
		} else if (field > 5 && strcmp(tok, "-") == 0) {
			after_separator = 1;
		}
		field++;
	}
	static const char prefix[] = CGROUP_ROOT "/";
	if (!mountpoint || !fstype || !superopts || strcmp(fstype, "cgroup") != 0 ||
	    strncmp(mountpoint, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	const char *dir = mountpoint + sizeof(prefix) - 1;
	if (!*dir || strpbrk(dir, "/\\") || dir[0] == '.')
		return 0;

	char subsystems[64] = "";
	unsigned controllers = 0;
	bool systemd = false;
	for (char *opt = strtok_r(superopts, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (is_v1_mount_flag(opt))
			continue;
		controllers |= controller_bit(opt);
		systemd |= strcmp(opt, "name=systemd") == 0;
		size_t used = strlen(subsystems);
		int r = xsnprintf(subsystems + used, sizeof(subsystems) - used, "%s%s",
				  used ? "," : "", opt);
		if (r < 0)
			return r;
	}
	if (!controllers && !systemd)
		return 0;
	/* One hierarchy mounted twice: keep the first, or mkdir would clash. */
	for (size_t i = 0; i < hs->count; i++)
		if (strcmp(hs->list[i].subsystems, subsystems) == 0 && strcmp(hs->list[i].dir, dir))
			return 0;
	return add_hierarchy(hs, dir, false, systemd, controllers, subsystems);
}

/* Controllers we drive that a cgroup2 tree offers (its cgroup.controllers). */
static int v2_offered_controllers(const char *dir, unsigned *ret)
{
	_cleanup_close_ int root_fd = -1;
	_cleanup_free_ char *text = NULL;
	int r = open_cgroup_root(&root_fd);
	if (r < 0)
		return r;
	char path[96];
	r = xsnprintf(path, sizeof(path), "%s%scgroup.controllers", dir, *dir ? "/" : "");
	if (r < 0)
		return r;
	r = read_file_at(root_fd, path, 4096, &text);
	if (r < 0)
		return r;
	unsigned bits = 0;
	char *save = NULL;
	for (char *tok = strtok_r(text, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		bits |= controller_bit(tok);
	*ret = bits & ~CGROUP_CONTROLLER_FREEZER;
	return 0;
}

static int hierarchies_scan(struct cgroup_hierarchies *ret)
{
	memset(ret, 0, sizeof(*ret));
	int r = cgroup_detect(&ret->layout);
	if (r < 0)
		return r;
	unsigned v2_bits = 0;
	if (ret->layout == CGROUP_UNIFIED) {
		r = v2_offered_controllers("", &v2_bits);
		return r < 0 ? r : add_hierarchy(ret, "", true, true, v2_bits, "");
	}

	_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	_cleanup_free_ char *text = NULL;
	r = read_fd_bounded(fd, 4 * 1024 * 1024, &text, NULL);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		r = parse_mountinfo_line(line, ret);
		if (r < 0)
			return r;
	}
	if (ret->layout == CGROUP_HYBRID) {
		unsigned v1_bits = 0;
		for (size_t i = 0; i < ret->count; i++)
			v1_bits |= ret->list[i].controllers;
		r = v2_offered_controllers("unified", &v2_bits);
		if (r < 0)
			return r;
		r = add_hierarchy(ret, "unified", true, true, v2_bits & ~v1_bits, "");
	}
	return r;
}

/* One start asks for the list a dozen times; the answer depends only on
 * the mount namespace, so it is kept per namespace (the monitor-to-be
 * changes namespace between two calls). */
int cgroup_hierarchies(struct cgroup_hierarchies *ret)
{
	static struct cgroup_hierarchies cached;
	static ino_t cached_ns;
	struct stat st;
	if (stat("/proc/self/ns/mnt", &st) < 0)
		return negerrno();
	if (cached_ns == 0 || cached_ns != st.st_ino) {
		int r = hierarchies_scan(&cached);
		if (r < 0)
			return r;
		cached_ns = st.st_ino;
	}
	*ret = cached;
	return 0;
}

static bool populated_anywhere(const struct cgroup_hierarchies *hs, const char *name);

static int validate_and_list(const char *name, struct cgroup_hierarchies *ret)
{
	int r = validate_name(name);
	return r < 0 ? r : cgroup_hierarchies(ret);
}

int cgroup_path(const char *hierarchy_dir, const char *name, char *buf, size_t len)
{
	int r = validate_name(name);
	if (r < 0)
		return r;
	return xsnprintf(buf, len, "%s%s%s/%s/%s", CGROUP_ROOT, *hierarchy_dir ? "/" : "",
			 hierarchy_dir, group_base, name);
}

/* The hierarchy's root directory, checked to really be a cgroup mount. */
static int open_hierarchy(const struct cgroup_hierarchy *h, int *ret)
{
	_cleanup_close_ int root_fd = -1, fd = -1;
	int r = open_cgroup_root(&root_fd);
	if (r < 0)
		return r;
	r = open_beneath_ret(root_fd, *h->dir ? h->dir : ".", O_RDONLY | O_DIRECTORY, 0, &fd);
	if (r < 0)
		return r;
	struct statfs fs;
	if (fstatfs(fd, &fs) < 0)
		return negerrno();
	if (fs.f_type != (h->v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
		return -ENOMEDIUM;
	*ret = TAKE_FD(fd);
	return 0;
}

/* x86ns/<name> in one hierarchy; -ENOENT if it does not exist. */
static int open_group(const struct cgroup_hierarchy *h, const char *name, int *ret)
{
	_cleanup_close_ int hier_fd = -1;
	int r = open_hierarchy(h, &hier_fd);
	if (r < 0)
		return r;
	char path[2 * CGROUP_NAME_MAX + 2];
	r = xsnprintf(path, sizeof(path), "%s/%s", group_base, name);
	if (r < 0)
		return r;
	return open_beneath_ret(hier_fd, path, O_RDONLY | O_DIRECTORY, 0, ret);
}

/* Best effort: a controller the kernel refuses (absent, or cpu with
 * realtime tasks around) is left out and shows in
 * cgroup_enforced_controllers(). */
static void enable_v2_controllers(int dir_fd, unsigned controllers)
{
	for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++) {
		if (!(controllers & controller_names[i].bit))
			continue;
		char value[32];
		if (xsnprintf(value, sizeof(value), "+%s", controller_names[i].name) >= 0)
			(void)write_file_at(dir_fd, "cgroup.subtree_control", value);
	}
}

/* -ENOENT (the controller is not enabled here) leaves the limit out. */
static int write_limit(int group_fd, const char *file, uint64_t value, const char *suffix)
{
	char text[48];
	int r = xsnprintf(text, sizeof(text), "%" PRIu64 "%s", value, suffix);
	if (r >= 0)
		r = write_file_at(group_fd, file, text);
	return r == -ENOENT ? 0 : r;
}

static int apply_limits(const struct cgroup_hierarchy *h, int group_fd,
			const struct cgroup_limits *l)
{
	unsigned c = h->controllers;
	uint64_t quota = (uint64_t)l->cpu_percent * CPU_PERIOD_US / 100;
	int r = 0;
	if ((c & CGROUP_CONTROLLER_PIDS) && l->pids_max)
		r = write_limit(group_fd, "pids.max", l->pids_max, "");
	if (r >= 0 && (c & CGROUP_CONTROLLER_MEMORY) && l->memory_max)
		r = write_limit(group_fd, h->v2 ? "memory.max" : "memory.limit_in_bytes",
				l->memory_max, "");
	if (r >= 0 && (c & CGROUP_CONTROLLER_CPU) && l->cpu_percent) {
		if (h->v2) {
			r = write_limit(group_fd, "cpu.max", quota, " 100000");
		} else {
			r = write_limit(group_fd, "cpu.cfs_period_us", CPU_PERIOD_US, "");
			if (r >= 0)
				r = write_limit(group_fd, "cpu.cfs_quota_us", quota, "");
		}
	}
	return r;
}

/* Files first, directory last: until the directory is chowned the guest
 * cannot create anything in it. */
static int delegate(int group_fd, uid_t uid, gid_t gid)
{
	for (size_t i = 0; i < ARRAY_SIZE(delegated_files); i++)
		if (fchownat(group_fd, delegated_files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			return negerrno();
	return fchown(group_fd, uid, gid) < 0 ? negerrno() : 0;
}

/* mkdir <hierarchy>/x86ns (shared, root-owned) and x86ns/<name>; returns
 * the new group's fd. -EEXIST if x86ns/<name> exists. */
static int make_group(const struct cgroup_hierarchy *h, const char *name, int *ret)
{
	_cleanup_close_ int hier_fd = -1, base_fd = -1;
	int r = open_hierarchy(h, &hier_fd);
	if (r < 0)
		return r;
	if (h->v2)
		enable_v2_controllers(hier_fd, h->controllers);
	if (mkdirat(hier_fd, CGROUP_BASE, 0755) < 0 && errno != EEXIST)
		return negerrno();
	r = open_beneath_ret(hier_fd, CGROUP_BASE, O_RDONLY | O_DIRECTORY, 0, &base_fd);
	if (r < 0)
		return r;
	if (h->v2)
		enable_v2_controllers(base_fd, h->controllers);
	if (mkdirat(base_fd, name, 0755) < 0)
		return negerrno();
	return open_beneath_ret(base_fd, name, O_RDONLY | O_DIRECTORY, 0, ret);
}

static int create_in_hierarchy(const struct cgroup_hierarchy *h, const char *name,
			       const struct cgroup_limits *l, uid_t uid, gid_t gid)
{
	_cleanup_close_ int group_fd = -1;
	int r = make_group(h, name, &group_fd);
	if (r < 0)
		return r;
	r = apply_limits(h, group_fd, l);
	if (r < 0)
		return r;
	if (h->v2) {
		r = write_limit(group_fd, "cgroup.max.depth", WALK_DEPTH_MAX, "");
		if (r < 0)
			return r;
	} else {
		/* v1: a group's release makes the kernel run the hierarchy's
		 * release_agent as host root. The group inherits the flag from
		 * x86ns/ (a host systemd sets it on its own groups); groups the
		 * guest makes below inherit ours, 0. The file stays root's here;
		 * in groups guest root creates in the delegated name=systemd
		 * subtree it is guest root's (docs/ARCHITECTURE.md, cgroup v1). */
		r = write_limit(group_fd, "notify_on_release", 0, "");
		if (r < 0)
			return r;
	}
	if (h->delegated && uid != (uid_t)-1)
		return delegate(group_fd, uid, gid);
	return 0;
}

void cgroup_use_systemd_slice(const char *slice)
{
	group_base = slice;
	systemd_slice = true;
}

bool cgroup_in_systemd_slice(void)
{
	return systemd_slice;
}

int cgroup_delegate(const char *name, uid_t deleg_uid, gid_t deleg_gid)
{
	_cleanup_close_ int group_fd = -1;
	int r = cgroup_open_v2(name, &group_fd);
	if (r >= 0)
		r = write_limit(group_fd, "cgroup.max.depth", WALK_DEPTH_MAX, "");
	return r < 0 ? r : delegate(group_fd, deleg_uid, deleg_gid);
}

int cgroup_create(const char *name, const struct cgroup_limits *limits, uid_t deleg_uid,
		  gid_t deleg_gid)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	if (strcmp(name, CGROUP_MONITOR_GROUP) == 0)
		return -EINVAL;
	if (systemd_slice)
		return -EOPNOTSUPP;
	if (populated_anywhere(&hs, name))
		return -EBUSY;
	r = cgroup_destroy(name); /* stale and empty: from a crash */
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		r = create_in_hierarchy(&hs.list[i], name, limits, deleg_uid, deleg_gid);
		if (r == -EEXIST)
			return -EBUSY; /* a concurrent create: not ours to remove */
		if (r < 0) {
			(void)cgroup_destroy(name);
			return r;
		}
	}
	return 0;
}

int cgroup_enforced_controllers(const char *name, unsigned *ret)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	unsigned bits = 0;
	for (size_t i = 0; i < hs.count; i++) {
		const struct cgroup_hierarchy *h = &hs.list[i];
		_cleanup_close_ int group_fd = -1;
		r = open_group(h, name, &group_fd);
		if (r < 0)
			return r;
		const struct {
			unsigned bit;
			const char *file;
		} probes[] = {
			{ CGROUP_CONTROLLER_PIDS, "pids.max" },
			{ CGROUP_CONTROLLER_MEMORY,
			  h->v2 ? "memory.max" : "memory.limit_in_bytes" },
			{ CGROUP_CONTROLLER_CPU, h->v2 ? "cpu.max" : "cpu.cfs_quota_us" },
			{ CGROUP_CONTROLLER_FREEZER, "freezer.state" },
		};
		for (size_t j = 0; j < ARRAY_SIZE(probes); j++)
			if ((h->controllers & probes[j].bit) &&
			    faccessat(group_fd, probes[j].file, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				bits |= probes[j].bit;
	}
	*ret = bits;
	return 0;
}

static int attach(const char *name, pid_t pid, bool v1_only)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	char text[16];
	r = xsnprintf(text, sizeof(text), "%d", (int)pid);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		if (v1_only && hs.list[i].v2)
			continue;
		_cleanup_close_ int group_fd = -1;
		r = open_group(&hs.list[i], name, &group_fd);
		if (r >= 0)
			r = write_file_at(group_fd, "cgroup.procs", text);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_attach(const char *name, pid_t pid)
{
	return attach(name, pid, false);
}

int cgroup_attach_v1(const char *name, pid_t pid)
{
	return attach(name, pid, true);
}

int cgroup_open_v2(const char *name, int *ret)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++)
		if (hs.list[i].v2)
			return open_group(&hs.list[i], name, ret);
	return -ENOENT;
}

int cgroup_attach_handle_open(const char *name, struct cgroup_attach_handle *ret)
{
	*ret = (struct cgroup_attach_handle){ .count = 0 };
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		int group_fd = -1;
		r = open_group(&hs.list[i], name, &group_fd);
		if (r >= 0) {
			ret->group_fd[i] = group_fd;
			ret->procs_fd[i] = -1;
			ret->count++;
			r = open_beneath_ret(group_fd, "cgroup.procs", O_WRONLY, 0,
					     &ret->procs_fd[i]);
		}
		if (r < 0) {
			cgroup_attach_handle_close(ret);
			return r;
		}
	}
	return 0;
}

static int write_pid(int procs_fd, const char *text, size_t len)
{
	ssize_t n = pwrite(procs_fd, text, len, 0);
	return n < 0 ? negerrno() : 0;
}

/* cgroup v2 refuses processes in a group whose children have controllers
 * enabled ("no internal processes"), which is what a guest's systemd does
 * with its root. Sessions then go into a leaf of their own. */
static int write_pid_leaf(int group_fd, const char *text, size_t len)
{
	if (mkdirat(group_fd, CGROUP_SESSION_LEAF, 0755) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int leaf = -1, procs = -1;
	int r = open_beneath_ret(group_fd, CGROUP_SESSION_LEAF, O_RDONLY | O_DIRECTORY, 0, &leaf);
	if (r >= 0)
		r = open_beneath_ret(leaf, "cgroup.procs", O_WRONLY, 0, &procs);
	return r < 0 ? r : write_pid(procs, text, len);
}

int cgroup_attach_handle(const struct cgroup_attach_handle *h, pid_t pid)
{
	char text[16];
	int r = xsnprintf(text, sizeof(text), "%d", (int)pid);
	if (r < 0)
		return r;
	size_t len = (size_t)r;
	for (size_t i = 0; i < h->count; i++) {
		r = write_pid(h->procs_fd[i], text, len);
		if (r == -EBUSY)
			r = write_pid_leaf(h->group_fd[i], text, len);
		if (r < 0)
			return r;
	}
	return 0;
}

void cgroup_attach_handle_close(struct cgroup_attach_handle *h)
{
	for (size_t i = 0; i < h->count; i++) {
		close(h->group_fd[i]);
		if (h->procs_fd[i] >= 0)
			close(h->procs_fd[i]);
	}
	h->count = 0;
}

int cgroup_create_monitor_group(void)
{
	if (systemd_slice)
		return -EOPNOTSUPP;
	struct cgroup_hierarchies hs;
	int r = cgroup_hierarchies(&hs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < hs.count; i++) {
		_cleanup_close_ int group_fd = -1;
		r = make_group(&hs.list[i], CGROUP_MONITOR_GROUP, &group_fd);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

/* ---- walking a (possibly guest-made) subtree ---------------------------- */

typedef int (*visit_fn)(int group_fd, void *userdata);

/* visit(dir) and then every descendant; stops at the first non-zero
 * result. -ELOOP past WALK_DEPTH_MAX. */
static int walk_tree(int dir_fd, unsigned depth, visit_fn visit, void *userdata)
{
	int r = visit(dir_fd, userdata);
	if (r != 0)
		return r;
	_cleanup_closedir_ DIR *d = NULL;
	r = opendir_beneath(dir_fd, ".", &d);
	if (r < 0)
		return r;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (depth >= WALK_DEPTH_MAX)
			return -ELOOP;
		_cleanup_close_ int child_fd = -1;
		r = open_beneath_ret(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY, 0, &child_fd);
		if (r == -ENOENT)
			continue; /* removed meanwhile */
		if (r >= 0)
			r = walk_tree(child_fd, depth + 1, visit, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

static int visit_has_procs(int group_fd, void *userdata)
{
	_cleanup_free_ char *procs = NULL;
	int r = read_file_at(group_fd, "cgroup.procs", PROCS_FILE_MAX, &procs);
	if (r < 0)
		return r;
	return procs[0] != '\0';
}

static int visit_kill_procs(int group_fd, void *userdata)
{
	_cleanup_free_ char *procs = NULL;
	int r = read_file_at(group_fd, "cgroup.procs", PROCS_FILE_MAX, &procs);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		uint32_t pid;
		/* Never ourselves or the host's init, whatever the file says. */
		if (parse_u32(tok, &pid) < 0 || pid <= 1 || pid > INT32_MAX ||
		    (pid_t)pid == getpid())
			continue;
		(void)kill((pid_t)pid, SIGKILL);
	}
	return 0;
}

/* 1 populated, 0 empty or missing, < 0 cannot tell. */
static int populated_in(const struct cgroup_hierarchy *h, const char *name)
{
	_cleanup_close_ int group_fd = -1;
	int r = open_group(h, name, &group_fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!h->v2)
		return walk_tree(group_fd, 0, visit_has_procs, NULL);
	_cleanup_free_ char *events = NULL;
	r = read_file_at(group_fd, "cgroup.events", 4096, &events);
	if (r < 0)
		return r;
	return strstr(events, "populated 0") ? 0 : 1;
}

static bool populated_anywhere(const struct cgroup_hierarchies *hs, const char *name)
{
	for (size_t i = 0; i < hs->count; i++)
		if (populated_in(&hs->list[i], name) != 0)
			return true;
	return false;
}

bool cgroup_populated(const char *name)
{
	struct cgroup_hierarchies hs;
	if (validate_and_list(name, &hs) < 0)
		return true;
	return populated_anywhere(&hs, name);
}

/* ---- kill ------------------------------------------------------------- */

static bool wait_empty(const struct cgroup_hierarchies *hs, const char *name, uint64_t deadline)
{
	for (;;) {
		if (!populated_anywhere(hs, name))
			return true;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(10);
	}
}

/* Frozen tasks cannot fork or exit, so no pid read from cgroup.procs is
 * reused before our SIGKILL reaches it. A task stuck in the kernel can
 * keep the group FREEZING: go on after a while, the loop retries. */
static int freeze(int freezer_fd, const char *state)
{
	int r = write_file_at(freezer_fd, "freezer.state", state);
	if (r < 0 || strcmp(state, "FROZEN") != 0)
		return r;
	for (unsigned i = 0; i < 100; i++) {
		_cleanup_free_ char *now = NULL;
		r = read_file_at(freezer_fd, "freezer.state", 64, &now);
		if (r < 0 || strncmp(now, "FROZEN", 6) == 0)
			return r;
		sleep_ms(5);
	}
	return 0;
}

static int kill_v1_until(const struct cgroup_hierarchies *hs, const char *name, uint64_t deadline)
{
	_cleanup_close_ int freezer_fd = -1;
	for (size_t i = 0; i < hs->count; i++)
		if (hs->list[i].controllers & CGROUP_CONTROLLER_FREEZER)
			(void)open_group(&hs->list[i], name, &freezer_fd);
	for (;;) {
		if (freezer_fd >= 0)
			(void)freeze(freezer_fd, "FROZEN");
		/* Every hierarchy: later logins may sit only in delegated ones. */
		for (size_t i = 0; i < hs->count; i++) {
			_cleanup_close_ int group_fd = -1;
			if (open_group(&hs->list[i], name, &group_fd) >= 0)
				(void)walk_tree(group_fd, 0, visit_kill_procs, NULL);
		}
		if (freezer_fd >= 0)
			(void)freeze(freezer_fd, "THAWED");
		if (wait_empty(hs, name, now_ms() + 50))
			return 0;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

int cgroup_kill_v1(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	return kill_v1_until(&hs, name, now_ms() + KILL_TIMEOUT_MS);
}

int cgroup_kill(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0)
		return r;
	uint64_t deadline = now_ms() + KILL_TIMEOUT_MS;
	bool killed = false;
	for (size_t i = 0; i < hs.count; i++) {
		_cleanup_close_ int group_fd = -1;
		if (hs.list[i].v2 && open_group(&hs.list[i], name, &group_fd) >= 0)
			killed |= write_file_at(group_fd, "cgroup.kill", "1") >= 0;
	}
	/* cgroup.kill is synchronous for signalling; dying takes a moment. */
	if (killed && wait_empty(&hs, name, now_ms() + 1000))
		return 0;
	return kill_v1_until(&hs, name, deadline);
}

/* ---- destroy ---------------------------------------------------------- */

/* Descends from x86ns/<name> to a leaf, holding only the leaf's parent
 * and the leaf (so a deep guest-made tree costs time, not fds), and
 * removes it. 1 = removed a descendant (call again), 0 = removed
 * x86ns/<name> itself or it is gone. */
static int remove_one_leaf(int base_fd, const char *name)
{
	_cleanup_closedir_ DIR *parent = NULL, *leaf = NULL;
	int r = opendir_beneath(base_fd, name, &leaf);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	char leaf_name[256];
	(void)xsnprintf(leaf_name, sizeof(leaf_name), "%s", name);
	for (struct dirent *de; (de = readdir(leaf));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		DIR *child = NULL;
		r = opendir_beneath(dirfd(leaf), de->d_name, &child);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		(void)xsnprintf(leaf_name, sizeof(leaf_name), "%s", de->d_name);
		if (parent)
			closedir(parent);
		parent = leaf; /* readdir() goes on in the child */
		leaf = child;
	}
	int parent_fd = parent ? dirfd(parent) : base_fd;
	if (unlinkat(parent_fd, leaf_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return negerrno();
	return parent ? 1 : 0;
}

static int destroy_in(const struct cgroup_hierarchy *h, const char *name, uint64_t deadline)
{
	_cleanup_close_ int hier_fd = -1, base_fd = -1;
	int r = open_hierarchy(h, &hier_fd);
	if (r >= 0)
		r = open_beneath_ret(hier_fd, CGROUP_BASE, O_RDONLY | O_DIRECTORY, 0, &base_fd);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (;;) {
		r = remove_one_leaf(base_fd, name);
		if (r == 0)
			return 0;
		if (r == -EBUSY)
			sleep_ms(20); /* just emptied: the kernel lets go shortly */
		else if (r < 0)
			return r;
		if (now_ms() >= deadline)
			return r < 0 ? r : -ETIMEDOUT;
	}
}

int cgroup_destroy(const char *name)
{
	struct cgroup_hierarchies hs;
	int r = validate_and_list(name, &hs);
	if (r < 0 || systemd_slice)
		return r; /* systemd removes a unit's group with the unit */
	uint64_t deadline = now_ms() + DESTROY_TIMEOUT_MS;
	int first_error = 0;
	for (size_t i = 0; i < hs.count; i++) {
		r = destroy_in(&hs.list[i], name, deadline);
		if (r < 0 && first_error == 0)
			first_error = r;
	}
	return first_error;
}
