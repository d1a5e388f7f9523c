/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's console: a pty allocated by the monitor-to-be.
 *
 * Runs in: the monitor-to-be, host root, host namespaces. */

#include "launch.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>

/* The slave is init's stdio and /dev/console, owned by guest root and the
 * guest's tty group; the monitor copies the master into the user's log.
 * Output post-processing is off so the log gets the guest's bytes as they
 * are. */
int console_open(struct container_plan *p, int *ret_master, int *ret_slave)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0)
		return negerrno();
	char name[64];
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)))
		return negerrno();
	if (xsnprintf(p->console_path, sizeof(p->console_path), "%s", name) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return negerrno();
	struct termios t;
	if (tcgetattr(slave, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &t);
	}
	int64_t tty_gid = idmap_to_host(&p->gid_map, 5);
	if (fchown(slave, p->root_uid, tty_gid >= 0 ? (gid_t)tty_gid : p->root_gid) < 0 ||
	    fchmod(slave, 0620) < 0)
		return negerrno();
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

/* A start that failed: what the console holds (pasta's messages, the
 * guest's first lines) goes to the user's log, which the error names. */
void console_drain(int master, int log_fd)
{
	char buf[4096];
	ssize_t n;
	for (size_t total = 0; total < 16 * 1024 && (n = read(master, buf, sizeof(buf))) > 0;
	     total += (size_t)n)
		(void)write_all(log_fd, buf, (size_t)n);
}
