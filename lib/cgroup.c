/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-container cgroups, the common part: which hierarchies this host has
 * (from /proc/self/mountinfo), the paths and fds of x86ns's groups in them,
 * and the safe open/read/write helpers the other cgroup-*.c files share
 * (cgroup-internal.h). Creating and limiting a group is cgroup-create.c,
 * moving processes cgroup-attach.c, killing and removing cgroup-kill.c. See
 * cgroup.h for the layout and the contract. Linked (libx86ns.a) by the
 * launcher, the monitor, x86nsctl and the PAM module.
 * Runs in: host root, host mount namespace (launcher, monitor, x86nsctl). */
#include "cgroup.h"
#include "cgroup-internal.h"

#include "util.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

/* The directory x86ns's groups are in: its own "x86ns", or on systemd hosts
 * the slice whose scopes systemd creates (cgroup_use_systemd_slice). */
const char *cg_group_base = CGROUP_BASE;
bool cg_systemd_slice;

const struct cgroup_controller_name cg_controller_names[CGROUP_CONTROLLER_COUNT] = {
	{ "pids", CGROUP_CONTROLLER_PIDS },
	{ "memory", CGROUP_CONTROLLER_MEMORY },
	{ "cpu", CGROUP_CONTROLLER_CPU },
	{ "freezer", CGROUP_CONTROLLER_FREEZER },
};

uint64_t cg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* /sys/fs/cgroup itself is the host's and root-owned; RESOLVE_BENEATH
 * starts below it. */
int cg_open_root(int *ret)
{
	int fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	*ret = fd;
	return 0;
}

int cg_opendir_beneath(int dir_fd, const char *path, DIR **ret)
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
int cg_write_file(int dir_fd, const char *file, const char *value)
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

int cg_read_file(int dir_fd, const char *file, size_t max, char **ret)
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
	for (size_t i = 0; i < ARRAY_SIZE(cg_controller_names); i++)
		if (strcmp(cg_controller_names[i].name, name) == 0)
			return cg_controller_names[i].bit;
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
	int r = cg_open_root(&root_fd);
	if (r < 0)
		return r;
	char path[96];
	r = xsnprintf(path, sizeof(path), "%s%scgroup.controllers", dir, *dir ? "/" : "");
	if (r < 0)
		return r;
	r = cg_read_file(root_fd, path, 4096, &text);
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

int cg_validate_and_list(const char *name, struct cgroup_hierarchies *ret)
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
			 hierarchy_dir, cg_group_base, name);
}

/* The hierarchy's root directory, checked to really be a cgroup mount. */
int cg_open_hierarchy(const struct cgroup_hierarchy *h, int *ret)
{
	_cleanup_close_ int root_fd = -1, fd = -1;
	int r = cg_open_root(&root_fd);
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
int cg_open_group(const struct cgroup_hierarchy *h, const char *name, int *ret)
{
	_cleanup_close_ int hier_fd = -1;
	int r = cg_open_hierarchy(h, &hier_fd);
	if (r < 0)
		return r;
	char path[2 * CGROUP_NAME_MAX + 2];
	r = xsnprintf(path, sizeof(path), "%s/%s", cg_group_base, name);
	if (r < 0)
		return r;
	return open_beneath_ret(hier_fd, path, O_RDONLY | O_DIRECTORY, 0, ret);
}

void cgroup_use_systemd_slice(const char *slice)
{
	cg_group_base = slice;
	cg_systemd_slice = true;
}

bool cgroup_in_systemd_slice(void)
{
	return cg_systemd_slice;
}
