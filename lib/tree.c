/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tree.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static int remove_entry(int parent_fd, const char *name, dev_t dev, unsigned depth);

static int remove_contents(DIR *d, dev_t dev, unsigned depth)
{
	int r = 0;
	struct dirent *de;
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			int q = remove_entry(dirfd(d), de->d_name, dev, depth + 1);
			if (q < 0 && r == 0)
				r = q;
		}
	return r;
}

static int remove_entry(int parent_fd, const char *name, dev_t dev, unsigned depth)
{
	if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return negerrno();
	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = negerrno();
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (st.st_dev != dev) {
		close(fd);
		return -EXDEV;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return negerrno();
	}
	int r = 0;
	for (int pass = 0; r == 0; pass++) {
		r = remove_contents(d, dev, depth);
		if (r < 0 || unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
			break;
		/* readdir may miss entries while they are removed: look again */
		if (errno != ENOTEMPTY || pass == 2)
			r = negerrno();
	}
	closedir(d);
	return r;
}

int tree_remove_at(int parent_fd, const char *name)
{
	struct stat st;
	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negerrno();
	return remove_entry(parent_fd, name, st.st_dev, 0);
}
