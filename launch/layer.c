/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's writable layer: where it lives, how large it may grow, and
 * the detached mount of it that the container child gets with "go".
 *
 * /var/lib/x86ns/<uid>/ is root's, 0700: no host shell of the user reaches
 * it, not even one that maps the user's subordinate ids with newuidmap
 * (guest root's host id owns nothing on the way). Below it, per guest:
 *  - layer-size = SIZE (default 10G): <guest>.img, a sparse file of SIZE
 *    bytes holding an ext4 file system (made once with mke2fs, root
 *    directory owned by guest root), attached to a loop device with
 *    autoclear and mounted detached (fsmount) by the monitor. A guest that
 *    fills it gets ENOSPC; /var/lib never holds more than SIZE for it, and
 *    what the guest deletes is punched out of the file again (discard).
 *  - layer-size = max: <guest>/ (root's, 0711) with upper/ and work/ owned
 *    by guest root; the detached mount is a bind of <guest>/ (open_tree).
 * Either way the child attaches the mount in its private staging tmpfs and
 * mounts the overlay from fds (/proc/self/fd/N), never by a host path. */

#include "layer.h"

#include "label.h"
#include "proto.h"
#include "safe-open.h"
#include "tree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/mount.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Where mke2fs may be: a fixed list, never $PATH. */
static const char *const mke2fs_paths[] = { "/usr/sbin/mke2fs", "/sbin/mke2fs" };

static int dir_open_owned(int dir_fd, const char *name, mode_t mode, uid_t uid, gid_t gid,
			  int *ret_fd)
{
	if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
		return negerrno();
	_cleanup_close_ int fd = -1;
	int r = open_beneath_ret(dir_fd, name, O_RDONLY | O_DIRECTORY, 0, &fd);
	if (r < 0)
		return r;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int directory_layer_prepare(struct container_plan *p, int user_dir)
{
	_cleanup_close_ int guest_dir = -1, upper = -1, work = -1;
	int r = dir_open_owned(user_dir, p->guest->name, 0711, 0, 0, &guest_dir);
	if (r >= 0)
		r = dir_open_owned(guest_dir, "upper", 0755, p->root_uid, p->root_gid, &upper);
	if (r >= 0)
		r = dir_open_owned(guest_dir, "work", 0755, p->root_uid, p->root_gid, &work);
	if (r < 0)
		return r;
	p->layer_fd = TAKE_FD(guest_dir);
	p->layer_is_image = false;
	return 0;
}

/* Runs in: a child of the launcher, host root: mke2fs with a fixed argv and
 * environment on the image, which is fd 3. */
static int mke2fs_run(int image_fd, const struct container_plan *p)
{
	char extended[128];
	int r = xsnprintf(extended, sizeof(extended),
			  "root_owner=%u:%u,lazy_itable_init=1,lazy_journal_init=1,nodiscard",
			  (unsigned)p->root_uid, (unsigned)p->root_gid);
	if (r < 0)
		return r;
	char *argv[] = { "mke2fs", "-q", "-F",          "-t", "ext4",   "-m",
			 "0",      "-L", "x86ns-layer", "-E", extended, "/proc/self/fd/3",
			 NULL };
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	pid_t pid = fork();
	if (pid < 0)
		return negerrno();
	if (pid == 0) {
		/* dup2 clears close-on-exec on its target, except when the fd
		 * is already the target: then it is cleared by hand. */
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 ||
		    dup2(null_fd, 2) < 0 ||
		    (image_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(image_fd, 3)) < 0)
			_exit(126);
		for (size_t i = 0; i < ARRAY_SIZE(mke2fs_paths); i++)
			execve(mke2fs_paths[i], argv, envp);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negerrno();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOPKG; /* no mke2fs */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A new image, made under a temporary name and renamed into place, so that
 * a failure leaves nothing half-made. */
static int image_create(struct container_plan *p, int user_dir, const char *name)
{
	char tmp[300];
	int r = xsnprintf(tmp, sizeof(tmp), "%s.new", name);
	if (r < 0)
		return r;
	unlinkat(user_dir, tmp, 0);
	_cleanup_close_ int fd = -1;
	r = open_beneath_ret(user_dir, tmp, O_RDWR | O_CREAT | O_EXCL, 0600, &fd);
	if (r < 0)
		return r;
	if (ftruncate(fd, (off_t)p->policy->layer_size) < 0)
		r = negerrno();
	if (r >= 0)
		r = mke2fs_run(fd, p);
	if (r >= 0 && fsync(fd) < 0)
		r = negerrno();
	if (r >= 0 && renameat(user_dir, tmp, user_dir, name) < 0)
		r = negerrno();
	if (r < 0)
		unlinkat(user_dir, tmp, 0);
	return r;
}

static int image_layer_prepare(struct container_plan *p, int user_dir)
{
	/* A directory layer has no limit; quietly using a new image beside it
	 * would hide the user's files. */
	struct stat st;
	if (fstatat(user_dir, p->guest->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	char name[300];
	int r = xsnprintf(name, sizeof(name), "%s.img", p->guest->name);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = -1;
	r = open_beneath_ret(user_dir, name, O_RDWR, 0, &fd);
	if (r == -ENOENT) {
		r = image_create(p, user_dir, name);
		if (r < 0)
			return r;
		r = open_beneath_ret(user_dir, name, O_RDWR, 0, &fd);
	}
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_nlink != 1 || (st.st_mode & 077))
		return -EPERM;
	p->layer_fd = TAKE_FD(fd);
	p->layer_is_image = true;
	return 0;
}

int layer_prepare(struct container_plan *p)
{
	int user_dir = p->state_fd;
	if (fchown(user_dir, 0, 0) < 0 || fchmod(user_dir, 0700) < 0)
		return negerrno();
	if (p->policy->layer_size == 0)
		return directory_layer_prepare(p, user_dir);
	return image_layer_prepare(p, user_dir);
}

const char *layer_prepare_error(int r)
{
	switch (r) {
	case -EEXIST:
		return "it is a directory without a size limit (made with layer-size = max, or "
		       "before x86ns had layer-size)";
	case -ENOPKG: return "mke2fs (e2fsprogs) is missing";
	case -EIO: return "mke2fs failed";
	case -EPERM: return "the image is not a plain root-owned file of mode 0600";
	default: return strerror(-r);
	}
}

/* A free loop device backed by image_fd, cleared when its last user (the
 * mount) goes. */
static int loop_attach(int image_fd, char *path, size_t len, int *ret_fd)
{
	_cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (control < 0)
		return negerrno();
	for (int attempt = 0; attempt < 16; attempt++) {
		int n = ioctl(control, LOOP_CTL_GET_FREE);
		if (n < 0)
			return negerrno();
		int r = xsnprintf(path, len, "/dev/loop%d", n);
		if (r < 0)
			return r;
		_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return negerrno();
		struct loop_config config = { .fd = (uint32_t)image_fd };
		config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		snprintf((char *)config.info.lo_file_name, sizeof(config.info.lo_file_name),
			 "x86ns-layer");
		if (ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
			*ret_fd = TAKE_FD(fd);
			return 0;
		}
		if (errno != EBUSY) /* EBUSY: another process took it first */
			return negerrno();
	}
	return -EBUSY;
}

static int image_mount(int image_fd, uid_t uid, int *ret_fd)
{
	/* Under SELinux the image's files get the container's file context,
	 * as the overlay's upper layer does (host root may give context= to
	 * an ext4 mount; inside the user namespace it could not). */
	char context[128];
	int r = label_file_context(uid, context, sizeof(context));
	if (r < 0)
		return r;
	/* Two ext4 mounts of one image would corrupt it. An earlier
	 * container's mount outlives its stop while some process still holds
	 * a file of it open; its loop device then still holds this open file
	 * description, and with it this lock, which goes when the loop
	 * device does. */
	if (flock(image_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : negerrno();
	char device[32];
	_cleanup_close_ int loop = -1;
	r = loop_attach(image_fd, device, sizeof(device), &loop);
	if (r < 0)
		return r;
	_cleanup_close_ int fs = (int)syscall(SYS_fsopen, "ext4", FSOPEN_CLOEXEC);
	if (fs < 0)
		return negerrno();
	/* noinit_itable: the kernel would fill the image's unused inode tables
	 * with zeros, which would cost host space the guest never used. */
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", device, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "discard", NULL, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "noinit_itable", NULL, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "errors", "remount-ro", 0) < 0 ||
	    (context[0] &&
	     syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "context", context, 0) < 0) ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return negerrno();
	int mnt =
	    (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return negerrno();
	*ret_fd = mnt;
	return 0;
}

const char *layer_mount_error(int r)
{
	if (r == -EBUSY)
		return "the image is still mounted by an earlier container: a process holds one of "
		       "its files open";
	return strerror(-r);
}

int layer_mount(const struct container_plan *p, int *ret_fd)
{
	if (p->layer_is_image)
		return image_mount(p->layer_fd, p->user->uid, ret_fd);
	_cleanup_close_ int tree = (int)syscall(
	    SYS_open_tree, p->layer_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return negerrno();
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return negerrno();
	*ret_fd = TAKE_FD(tree);
	return 0;
}

/* Remove the user's layers: one guest's, or all. */
int layer_remove(int state_fd, const char *guest)
{
	if (guest) {
		char image[300];
		int r = xsnprintf(image, sizeof(image), "%s.img", guest);
		if (r >= 0)
			r = tree_remove_at(state_fd, guest);
		if (r >= 0)
			r = tree_remove_at(state_fd, image);
		return r;
	}
	DIR *d = fdopendir(fcntl(state_fd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	int r = d ? 0 : negerrno();
	while (d && r >= 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = tree_remove_at(state_fd, de->d_name);
	if (d)
		closedir(d);
	return r;
}
