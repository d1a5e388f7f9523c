/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The paths of the home that host services read to let someone in as the
 * user, or to run something as the user outside the container: bound
 * read-only over themselves inside the guest, so that guest code cannot
 * change them.
 *
 * Runs in: container child, guest root in the user's user namespace, after
 * the home and the configured binds are mounted, before pivot_root. Guest
 * root is capable over the user's files there (the user's uid is mapped),
 * which is exactly why these binds are needed; lock mounts later makes
 * them permanent for the guest (locked, and their read-only flag locked).
 * Every path is resolved below the home's mount with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: the home is
 * the user's (and the guest's) to write, and a symlink there must not
 * redirect a bind. A path that is a symlink refuses the start. */

#include "home.h"

#include "safe-open.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What guest code must not change. A path that does not exist is created
 * (an empty directory, or an empty file, owned by the user, 0700 / 0600)
 * and bound like the others: otherwise the guest could create it.
 * Deliberately left out:
 *  - shell start-up files (.profile, .bashrc, ...): a host shell of the
 *    user reads them, but every login of a contained user lands in the
 *    guest; no host service reads them to authenticate;
 *  - ~/.gnupg, ~/.netrc, ~/.pgpass and other credentials the user's own
 *    programs read: they do not let anyone in, and the guest needs them;
 *  - crontabs and at jobs: they live in /var/spool, not in the home;
 *  - ~/.config/autostart and desktop files: only a host desktop session
 *    runs them, and no login of a contained user gets one. */
static const struct protected_path {
	const char *path; /* below the home */
	bool directory;
} protected_paths[] = {
	/* sshd: authorized_keys(2), authorized_principals, rc (run by the
	 * host's /bin/sh before the login shell), environment; also the
	 * user's ssh client config and known_hosts, which become read-only. */
	{ ".ssh", true },
	/* Kerberos: principals that may log in as the user, and use ksu. */
	{ ".k5login", false },
	{ ".k5users", false },
	/* rsh, rlogin, sshd host-based authentication. */
	{ ".rhosts", false },
	{ ".shosts", false },
	/* The mail system: a "|command" line runs as the user on the host. */
	{ ".forward", false },
	/* pam_env user_readenv=1 (Debian's sshd and login stacks): the
	 * environment of every later host session. */
	{ ".pam_environment", false },
	/* The user's systemd manager on a systemd host (started by
	 * pam_systemd for every login, also logins that land in a guest) runs
	 * the units found here and takes the environment from here. */
	{ ".config/systemd", true },
	{ ".config/environment.d", true },
	{ ".local/share/systemd", true },
};

/* A placeholder the user owns, as if they had made it themselves (sshd and
 * Kerberos refuse files owned by anyone else). */
static int placeholder_create(int dir_fd, const char *name, bool directory, uid_t uid, gid_t gid)
{
	if (directory) {
		if (mkdirat(dir_fd, name, 0700) < 0)
			return negerrno();
	} else {
		int fd = openat(dir_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd < 0)
			return negerrno();
		close(fd);
	}
	if (fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return negerrno();
	return 0;
}

/* Open path below home_fd, creating what is missing (parents as
 * directories). ELOOP: a component is a symlink. */
static int protected_open(int home_fd, const struct protected_path *pp, uid_t uid, gid_t gid,
			  int *ret_fd)
{
	char buf[256];
	if (xsnprintf(buf, sizeof(buf), "%s", pp->path) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int cur = -1;
	int dir = home_fd;
	char *save = NULL, *next;
	for (char *comp = strtok_r(buf, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		bool directory = next || pp->directory;
		/* No O_NOFOLLOW: with it a symlink would open as itself (and
		 * fail O_DIRECTORY as ENOTDIR); RESOLVE_NO_SYMLINKS says ELOOP. */
		int flags = O_PATH | (directory ? O_DIRECTORY : 0);
		int fd;
		int r = open_beneath_ret(dir, comp, flags, 0, &fd);
		if (r == -ENOENT) {
			r = placeholder_create(dir, comp, directory, uid, gid);
			if (r < 0 && r != -EEXIST)
				return r;
			r = open_beneath_ret(dir, comp, flags, 0, &fd);
		}
		if (r < 0)
			return r;
		closep(&cur);
		cur = fd;
		dir = cur;
	}
	*ret_fd = TAKE_FD(cur);
	return 0;
}

/* A second name of a protected file, elsewhere in the home, would be a
 * writable way to the same inode: refuse such files. For directories,
 * their regular files are checked. */
static int hard_links_check(int fd, bool directory)
{
	struct stat st;
	if (!directory) {
		if (fstat(fd, &st) < 0)
			return negerrno();
		return S_ISREG(st.st_mode) && st.st_nlink > 1 ? -EMLINK : 0;
	}
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return negerrno();
	DIR *d = fdopendir(dfd);
	if (!d) {
		int r = negerrno();
		close(dfd);
		return r;
	}
	int r = 0;
	for (struct dirent *de; r == 0 && (de = readdir(d));) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = negerrno();
		else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			r = -EMLINK;
	}
	closedir(d);
	return r;
}

/* Bind what fd names over itself (with whatever is mounted below it),
 * read-only or not, from the fd: nothing is resolved by path again. */
static int bind_onto_itself(int fd, bool read_only)
{
	_cleanup_close_ int tree =
	    (int)syscall(SYS_open_tree, fd, "",
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return negerrno();
	struct mount_attr attr = { .attr_set =
				       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				       (read_only ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC : 0) };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0)
		return negerrno();
	if (syscall(SYS_move_mount, tree, "", fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return negerrno();
	return 0;
}

/* A parent of a protected path (~/.config for ~/.config/systemd) could be
 * renamed away with the bind inside it, and a new one made in its place.
 * A mount point cannot be renamed or removed (EBUSY): bind each parent
 * over itself, writable as before. */
static int parents_pin(int home_fd, const struct protected_path *pp, uid_t uid, gid_t gid)
{
	const char *slash = pp->path;
	while ((slash = strchr(slash, '/'))) {
		char prefix[256];
		if (xsnprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - pp->path), pp->path) <
		    0)
			return -ENAMETOOLONG;
		slash++;
		const struct protected_path parent = { prefix, true };
		_cleanup_close_ int fd = -1;
		int r = protected_open(home_fd, &parent, uid, gid, &fd);
		if (r < 0)
			return r;
		struct statx stx;
		if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
			return negerrno();
		if (stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
			continue; /* pinned for an earlier path */
		r = bind_onto_itself(fd, false);
		if (r < 0)
			return r;
	}
	return 0;
}

int home_protect(int root_fd, const char *home, uid_t uid, gid_t gid, const char **ret_path)
{
	if (home[0] != '/')
		return -EINVAL;
	*ret_path = "";
	_cleanup_close_ int home_fd = -1;
	int r = open_beneath_ret(root_fd, home + 1, O_PATH | O_DIRECTORY, 0, &home_fd);
	if (r < 0)
		return r;
	/* Check every path first, so that a refused start creates nothing. */
	for (size_t i = 0; i < ARRAY_SIZE(protected_paths); i++) {
		const struct protected_path *pp = &protected_paths[i];
		*ret_path = pp->path;
		_cleanup_close_ int fd = -1;
		r = open_beneath_ret(home_fd, pp->path, O_PATH | (pp->directory ? O_DIRECTORY : 0),
				     0, &fd);
		if (r >= 0)
			r = hard_links_check(fd, pp->directory);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(protected_paths); i++) {
		const struct protected_path *pp = &protected_paths[i];
		*ret_path = pp->path;
		_cleanup_close_ int fd = -1;
		r = parents_pin(home_fd, pp, uid, gid);
		if (r >= 0)
			r = protected_open(home_fd, pp, uid, gid, &fd);
		if (r >= 0)
			r = hard_links_check(fd, pp->directory);
		if (r >= 0)
			r = bind_onto_itself(fd, true);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *home_protect_error(int r)
{
	switch (r) {
	case -ELOOP: return "it is, or lies below, a symbolic link";
	case -ENOTDIR: return "it is not a directory";
	case -EMLINK: return "a file there has another hard link";
	default: return strerror(-r);
	}
}
