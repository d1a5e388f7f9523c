/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's entry in the guest's /etc/passwd and /etc/group.
 * Runs in: container child, guest root, before pivot_root. The files are the
 * guest's (upper layer); they are parsed here as plain text, never through
 * NSS, and every open is RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS. */
#include "mounts.h"
#include "safe-open.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define ACCOUNT_FILE_MAX (4u << 20)

static int open_guest_file(int root_fd, const char *path, int flags, int *ret_fd)
{
	int fd = open_beneath(root_fd, path, flags | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*ret_fd = fd;
	return 0;
}

/* Does any line of the colon-separated file have `id` in field 3? */
static bool has_id(const char *text, unsigned id)
{
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		for (int field = 0; field < 2 && p; field++) {
			p = strchr(p, ':');
			if (p)
				p++;
		}
		if (!p)
			continue;
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end != p && *end == ':' && v == id)
			return true;
	}
	return false;
}

static int append_unless_present(int root_fd, const char *path, unsigned id, const char *entry)
{
	_cleanup_close_ int fd = -1;
	int r = open_guest_file(root_fd, path, O_RDWR | O_APPEND, &fd);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	r = read_fd_bounded(fd, ACCOUNT_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	if (has_id(text, id))
		return 0;
	if (len > 0 && text[len - 1] != '\n' && write_all(fd, "\n", 1) < 0)
		return negerrno();
	return write_all(fd, entry, strlen(entry));
}

static bool field_safe(const char *s)
{
	return !strpbrk(s, ":\n");
}

int guest_account_ensure(int root_fd, const char *name, uid_t uid, gid_t gid, const char *gecos,
			 const char *home)
{
	if (!field_safe(name) || !field_safe(home) || (gecos && !field_safe(gecos)))
		return -EINVAL;
	/* bin/ may be a symlink to usr/bin in merged-/usr guests. */
	const char *shell = "/bin/sh";
	struct stat st;
	if (fstatat(root_fd, "usr/bin/bash", &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(root_fd, "bin/bash", &st, AT_SYMLINK_NOFOLLOW) == 0)
		shell = "/bin/bash";
	char entry[1024];
	int r = xsnprintf(entry, sizeof(entry), "%s:x:%u:%u:%s:%s:%s\n", name, (unsigned)uid,
			  (unsigned)gid, gecos ? gecos : "", home, shell);
	if (r < 0)
		return r;
	r = append_unless_present(root_fd, "etc/passwd", uid, entry);
	if (r < 0)
		return r;
	r = xsnprintf(entry, sizeof(entry), "%s:x:%u:\n", name, (unsigned)gid);
	if (r < 0)
		return r;
	return append_unless_present(root_fd, "etc/group", gid, entry);
}
