/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Landlock scoping through the raw system calls: the C library and the
 * build host's kernel headers may predate ABI 6. */
#include "landlock.h"
#include "util.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self  446
#endif

#define CREATE_RULESET_VERSION (1U << 0)
#define SCOPE_ABSTRACT_UNIX    (1ULL << 0)
#define SCOPE_SIGNAL           (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

bool landlock_scope_supported(void)
{
	if (landlock_abi() < LANDLOCK_SCOPE_ABI)
		return false;
	struct ruleset_attr attr = { .scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL };
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0U);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int landlock_scope_self(void)
{
	if (landlock_abi() < LANDLOCK_SCOPE_ABI)
		return -EOPNOTSUPP;
	/* No file system or network access is handled: the mount namespace
	 * and the id maps confine files; only the two scopes are asked for. */
	struct ruleset_attr attr = { .scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL };
	_cleanup_close_ int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0U);
	if (fd < 0)
		return negerrno();
	if (syscall(SYS_landlock_restrict_self, fd, 0U) < 0)
		return negerrno();
	return 0;
}
