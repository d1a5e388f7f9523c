/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "translator.h"

#include "binfmt.h"
#include "mounts.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DROPIN_NAME "x86ns-translator.conf"

int translator_register(int root_fd, const struct guest_config *g, enum translation mode,
			int console_fd, bool *ret_registered)
{
	*ret_registered = false;
	if (mode == TRANSLATE_HOST) {
		/* The plan found a host-wide registration with F for every
		 * machine (lib/plan.h): it runs them, whatever the guest's
		 * mount namespace holds; the translator here runs the init. */
		dprintf(console_fd,
			"x86ns: this kernel has no per-container binfmt_misc (Linux 6.7): the "
			"programs of guest '%s' run through the host's binfmt_misc registrations\r\n",
			g->name);
		return 0;
	}
	if (mode != TRANSLATE_CONTAINER)
		return 0;
	_cleanup_close_ int register_fd = -1;
	int r = mounts_binfmt_misc(root_fd, &register_fd);
	if (r < 0)
		return r;
	for (int m = 0; m < N_MACHINES; m++) {
		if (!(g->translator_machines & (1u << m)))
			continue;
		char line[512];
		int n =
		    binfmt_register_line((enum binfmt_machine)m, g->translator, line, sizeof(line));
		if (n < 0)
			return n;
		/* F: the kernel opens the translator now, by its host path,
		 * with our credentials; the guest never needs to see it. */
		if (write(register_fd, line, (size_t)n) != n)
			return negerrno();
	}
	/* Read-only, and locked so by lock_mounts: guest root can neither
	 * remove the registrations nor add its own. A mount with a file open
	 * for writing cannot become read-only. */
	closep(&register_fd);
	r = mounts_read_only(root_fd, "proc/sys/fs/binfmt_misc");
	if (r < 0)
		return r;
	*ret_registered = true;
	return 0;
}

static int write_dropin(int root_fd, const char *unit)
{
	char dir[320];
	int r = xsnprintf(dir, sizeof(dir), "run/systemd/system/%s.d", unit);
	if (r < 0)
		return r;
	_cleanup_close_ int dir_fd = -1;
	r = mountpoint_open(root_fd, dir, true, &dir_fd);
	if (r < 0)
		return r;
	/* mountpoint_open gave an O_PATH fd; files need a real directory fd. */
	char path[64];
	r = xsnprintf(path, sizeof(path), "/proc/self/fd/%d", dir_fd);
	if (r < 0)
		return r;
	_cleanup_close_ int real_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real_dir < 0)
		return negerrno();
	_cleanup_close_ int fd = openat(
	    real_dir, DROPIN_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return negerrno();
	static const char text[] =
	    "# Written by x86ns: the guest's translator cannot create the mount\n"
	    "# namespace that systemd needs to pass credentials to this unit.\n"
	    "[Service]\nLoadCredential=\n";
	return write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1 ? 0 : negerrno();
}

int translator_reset_credentials(int root_fd, const struct translator_profile *t)
{
	for (size_t i = 0; t && i < t->n_reset_credentials; i++) {
		int r = write_dropin(root_fd, t->reset_credentials[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int translator_check(const struct guest_config *g)
{
	if (!g->translator)
		return 0;
	const struct translator_profile *t = g->translator_profile;
	return translator_file_check(g->translator, t && t->require_static);
}
