/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a Debian tree needs before its systemd boots in an x86ns container.
 * The tree is opened with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS:
 * package scripts wrote it, and nothing here follows their links out.
 * Runs in: x86nsctl, as root, host namespaces. */

#include "guest-tree.h"

#include "tree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define RESOLVE_TREE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* Units that cannot work in a user-namespaced x86ns container, masked with
 * a link to /dev/null in the guest's /etc/systemd/system; a unit is masked
 * only when the tree ships it (shipped_as: the file that provides it).
 * Measured with a bookworm tree (systemd 252) booted in a user namespace:
 * with these masked the state is "running" and no unit fails. Deliberately
 * not masked: systemd-logind (it works and gives each login its session
 * and /run/user); the API-filesystem mounts and systemd-remount-fs (they
 * skip themselves by condition in a container); the timers (apt-daily,
 * e2scrub_all, fstrim, dpkg-db-backup: they start and succeed or skip). */
struct masked_unit {
	const char *unit;
	const char *shipped_as;
	const char *reason;
};

static const struct masked_unit masked_units[] = {
	{ "console-getty.service", "console-getty.service",
	  "no login prompt on /dev/console: x86ns hands a terminal to each login itself, "
	  "and the console is the guest's log (unmasked, agetty runs on it)" },
	{ "getty@tty1.service", "getty@.service",
	  "no login prompt on a virtual terminal: a container has none" },
};

/* Files debootstrap leaves that a guest does not need (about 90 MB):
 * downloaded packages and the package lists, which "apt-get update" in the
 * guest fetches again. Only regular files directly in each directory. */
struct cache_dir {
	const char *path;
	const char *suffix; /* NULL: every file */
	const char *keep;   /* NULL: none */
};

static const struct cache_dir apt_cache_dirs[] = {
	{ "var/cache/apt/archives", ".deb", NULL },
	{ "var/cache/apt/archives/partial", NULL, NULL },
	{ "var/cache/apt", ".bin", NULL },
	{ "var/lib/apt/lists", NULL, "lock" },
	{ "var/lib/apt/lists/partial", NULL, NULL },
};

static int open_in_tree(int root_fd, const char *path, int flags, mode_t mode, int *ret_fd)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.mode = (flags & O_CREAT) ? mode : 0,
				.resolve = RESOLVE_TREE };
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return negerrno();
	*ret_fd = (int)fd;
	return 0;
}

static int tree_failed(struct guest_tree *t, const char *path, int r)
{
	snprintf(t->failed, sizeof(t->failed), "/%s", path);
	return r;
}

static int write_tree_file(struct guest_tree *t, const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r = open_in_tree(t->root_fd, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &fd);
	if (r == 0 && (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0))
		r = negerrno();
	if (r == 0)
		r = write_all(fd, text, strlen(text));
	return r < 0 ? tree_failed(t, path, r) : 0;
}

/* D-Bus reads /var/lib/dbus/machine-id before /etc/machine-id; debootstrap
 * leaves a fixed id there that every container would share. */
int guest_tree_reset_machine_id(struct guest_tree *t)
{
	int r = write_tree_file(t, "etc/machine-id", "", 0444);
	if (r < 0)
		return r;
	_cleanup_close_ int dbus_fd = -1;
	r = open_in_tree(t->root_fd, "var/lib/dbus", O_RDONLY | O_DIRECTORY, 0, &dbus_fd);
	if (r == -ENOENT)
		return 0;
	struct stat st;
	if (r == 0 && fstatat(dbus_fd, "machine-id", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) &&
	    (unlinkat(dbus_fd, "machine-id", 0) < 0 ||
	     symlinkat("/etc/machine-id", dbus_fd, "machine-id") < 0 ||
	     fchownat(dbus_fd, "machine-id", 0, 0, AT_SYMLINK_NOFOLLOW) < 0))
		r = negerrno();
	return r < 0 ? tree_failed(t, "var/lib/dbus/machine-id", r) : 0;
}

/* debootstrap copies the host's /etc/hostname and writes no /etc/hosts;
 * the guest's own name must resolve without DNS (sudo, hostname -f). */
int guest_tree_set_hostname(struct guest_tree *t, const char *hostname)
{
	char text[2 * HOST_NAME_MAX + 128];
	int r = xsnprintf(text, sizeof(text), "%s\n", hostname);
	if (r >= 0)
		r = write_tree_file(t, "etc/hostname", text, 0644);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = -1;
	r = open_in_tree(t->root_fd, "etc/hosts", O_PATH, 0, &fd);
	if (r != -ENOENT)
		return r < 0 ? tree_failed(t, "etc/hosts", r) : 0;
	r = xsnprintf(text, sizeof(text),
		      "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
		      "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
		      "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n",
		      hostname);
	return r < 0 ? r : write_tree_file(t, "etc/hosts", text, 0644);
}

static bool unit_is_shipped(int root_fd, const char *unit)
{
	static const char *const dirs[] = { "usr/lib/systemd/system", "lib/systemd/system" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[PATH_MAX];
		/* RESOLVE_IN_ROOT: the guest's own /lib -> usr/lib link applies */
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		if (xsnprintf(path, sizeof(path), "%s/%s", dirs[i], unit) < 0)
			continue;
		long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd >= 0) {
			close((int)fd);
			return true;
		}
	}
	return false;
}

int guest_tree_mask_units(struct guest_tree *t,
			  void (*masked)(const char *unit, const char *reason))
{
	static const char dir[] = "etc/systemd/system";
	_cleanup_close_ int dir_fd = -1;
	int r = open_in_tree(t->root_fd, dir, O_RDONLY | O_DIRECTORY, 0, &dir_fd);
	if (r < 0)
		return tree_failed(t, dir, r);
	for (size_t i = 0; i < ARRAY_SIZE(masked_units); i++) {
		const struct masked_unit *m = &masked_units[i];
		if (!unit_is_shipped(t->root_fd, m->shipped_as))
			continue;
		r = 0;
		if (symlinkat("/dev/null", dir_fd, m->unit) < 0) {
			/* only an existing mask is fine; an admin's unit is not replaced */
			char target[16];
			ssize_t n = readlinkat(dir_fd, m->unit, target, sizeof(target) - 1);
			if (n != 9 || memcmp(target, "/dev/null", 9) != 0)
				r = -EEXIST;
		}
		if (r == 0 && fchownat(dir_fd, m->unit, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
			r = negerrno();
		if (r < 0) {
			snprintf(t->failed, sizeof(t->failed), "/%s/%s", dir, m->unit);
			return r;
		}
		masked(m->unit, m->reason);
	}
	return 0;
}

static int remove_cache_files(int root_fd, const struct cache_dir *c, uint64_t *bytes)
{
	_cleanup_close_ int fd = -1;
	int r = open_in_tree(root_fd, c->path, O_RDONLY | O_DIRECTORY, 0, &fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	DIR *d = fdopendir(fd);
	if (!d)
		return negerrno();
	TAKE_FD(fd);
	struct dirent *de;
	size_t suffix_len = c->suffix ? strlen(c->suffix) : 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;
		if ((c->keep && strcmp(de->d_name, c->keep) == 0) ||
		    (c->suffix && (len <= suffix_len ||
				   strcmp(de->d_name + len - suffix_len, c->suffix) != 0)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = negerrno();
			break;
		}
		*bytes += (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
	return r;
}

int guest_tree_remove_apt_caches(struct guest_tree *t, uint64_t *bytes)
{
	for (size_t i = 0; i < ARRAY_SIZE(apt_cache_dirs); i++) {
		int r = remove_cache_files(t->root_fd, &apt_cache_dirs[i], bytes);
		if (r < 0)
			return tree_failed(t, apt_cache_dirs[i].path, r);
	}
	return 0;
}

/* mountinfo writes blanks and backslashes in a path as \ooo. */
static void unescape_mount_point(char *s)
{
	char *out = s;
	for (const char *in = s; *in; out++)
		if (in[0] == '\\' && strspn(in + 1, "01234567") >= 3) {
			*out = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	*out = '\0';
}

static void unmount_beneath(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char *points[64];
	size_t n_points = 0, len = strlen(path);
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	while (getline(&line, &size, f) > 0 && n_points < ARRAY_SIZE(points)) {
		char point[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape_mount_point(point);
		if (strncmp(point, path, len) == 0 && (point[len] == '/' || point[len] == '\0'))
			points[n_points++] = strdup(point);
	}
	/* mountinfo lists a mount after its parent: detach from the end */
	while (n_points > 0) {
		char *point = points[--n_points];
		if (point)
			umount2(point, MNT_DETACH | UMOUNT_NOFOLLOW);
		free(point);
	}
}

int guest_tree_remove(const char *path)
{
	unmount_beneath(path);
	return tree_remove_at(AT_FDCWD, path);
}
