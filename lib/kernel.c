/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kernel_features_probe (lib/plan.h): what this kernel and system offer
 * that a start depends on. Probed at run time, never guessed from the
 * version: distributions backport features (and RHEL 9 reported a Landlock
 * ABI it did not implement), so each one is tried. */
#include "plan.h"
#include "idmap.h"
#include "landlock.h"
#include "proto.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define HOST_BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define NOBODY          65534u

/* Runs in: the probe child, host root, until it becomes "nobody". Mount a
 * binfmt_misc instance in a user namespace of its own, as the container
 * child does; it all dies with the child. */
static int binfmt_userns_child(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ||
	    unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 1;
	if (idmap_file_write(AT_FDCWD, "/proc/self/setgroups", "deny") < 0 ||
	    idmap_file_write(AT_FDCWD, "/proc/self/uid_map", "0 65534 1\n") < 0 ||
	    idmap_file_write(AT_FDCWD, "/proc/self/gid_map", "0 65534 1\n") < 0)
		return 1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("x86ns-probe", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0 ||
	    mkdir("/tmp/binfmt", 0700) < 0)
		return 1;
	return mount("binfmt_misc", "/tmp/binfmt", "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL) < 0
		   ? 2
		   : 0;
}

static bool binfmt_userns_works(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(binfmt_userns_child());
	int status;
	while (pid > 0 && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The host's registrations that run a machine with the F flag: the kernel
 * opened the interpreter at registration, so it runs whatever the mount
 * namespace of the program (the guest's) holds. Root-owned files of the
 * host's binfmt_misc, read before any guest file is in view. */
static void host_binfmt_read(struct kernel_features *k)
{
	_cleanup_close_ int dir_fd = open(HOST_BINFMT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *status = NULL;
	if (dir_fd < 0)
		return;
	int status_fd = openat(dir_fd, "status", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r = status_fd < 0 ? -ENOENT : read_fd_bounded(status_fd, 64, &status, NULL);
	if (status_fd >= 0)
		close(status_fd);
	if (r < 0 || strncmp(status, "enabled", 7) != 0)
		return;
	DIR *d = fdopendir(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "register") ||
		    !strcmp(de->d_name, "status"))
			continue;
		_cleanup_free_ char *text = NULL;
		int fd = openat(dir_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -ENOENT : read_fd_bounded(fd, 4096, &text, NULL);
		if (fd >= 0)
			close(fd);
		struct binfmt_entry e;
		if (r < 0 || binfmt_entry_parse(text, &e) < 0 || !strchr(e.flags, 'F'))
			continue;
		for (int m = 0; m < N_MACHINES; m++)
			if (!(k->host_binfmt & (1u << m)) &&
			    binfmt_entry_runs(&e, (enum binfmt_machine)m)) {
				k->host_binfmt |= 1u << m;
				(void)xsnprintf(k->host_binfmt_name[m],
						sizeof(k->host_binfmt_name[m]), "%.30s (%.24s)",
						de->d_name, e.interpreter);
			}
	}
	if (d)
		closedir(d);
}

/* pasta, run as the user, opens /dev/net/tun inside the container's user
 * namespace, where host root's files are not the user's: the node must be
 * open to all, as Debian's udev makes it (0666). */
static void user_net_check(struct kernel_features *k)
{
	struct stat st;
	const char *missing = NULL;
	if (stat(X86NS_PASTA, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		missing = X86NS_PASTA " (Debian package passt)";
	else if (stat("/dev/net/tun", &st) < 0 || !S_ISCHR(st.st_mode))
		missing = "/dev/net/tun (CONFIG_TUN)";
	else if ((st.st_mode & 0006) != 0006)
		missing = "/dev/net/tun open to all users (mode 0666, as Debian's udev makes it)";
	k->user_net = !missing;
	(void)xsnprintf(k->user_net_missing, sizeof(k->user_net_missing), "%s",
			missing ? missing : "");
}

int kernel_features_probe(unsigned what, struct kernel_features *ret)
{
	struct kernel_features k = { 0 };
	struct utsname u;
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &k.major, &k.minor) != 2)
		k.major = k.minor = 0;
	k.landlock_abi = landlock_abi();
	k.landlock_scoping = landlock_scope_supported();
	user_net_check(&k);
	if (what & PROBE_BINFMT) {
		k.binfmt_userns = binfmt_userns_works();
		if (!k.binfmt_userns)
			host_binfmt_read(&k);
		k.binfmt_probed = true;
	}
	*ret = k;
	return 0;
}
