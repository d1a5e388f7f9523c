/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for lib/fd-pass.h over a SOCK_SEQPACKET socketpair: 0, 1 and 2
 * fds arrive as the same open files, close-on-exec; a message whose text
 * or fds do not fit is refused with every received fd closed. */
#include "fd-pass.h"
#include "tap.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Sends n of sent[] with "hello", receives with room for max fds. */
static void round_trip(const int sk[2], const int *sent, size_t n, size_t max)
{
	char buf[16];
	int got[FD_PASS_MAX];
	size_t n_got = 99;
	CHECK_INT_EQ(fd_send(sk[0], "hello", 5, sent, n, 0), 0, "%zu fds: sent", n);
	ssize_t r = fd_recv(sk[1], buf, sizeof(buf), got, max, &n_got, 0);
	CHECK_INT_EQ(r, 5, "%zu fds: the text's 5 bytes", n);
	CHECK(r == 5 && memcmp(buf, "hello", 5) == 0, "%zu fds: the text", n);
	CHECK_INT_EQ(n_got, n, "%zu fds: as many received", n);
	bool same = true, cloexec = true;
	for (size_t i = 0; i < n_got && i < n; i++) {
		same = same && same_file(sent[i], got[i]) && got[i] != sent[i];
		cloexec = cloexec && (fcntl(got[i], F_GETFD) & FD_CLOEXEC);
	}
	CHECK(same, "%zu fds: new fds of the same files, in order", n);
	CHECK(cloexec, "%zu fds: close-on-exec", n);
	bool unused = true;
	for (size_t i = n_got; i < max; i++)
		unused = unused && got[i] == -1;
	CHECK(unused, "%zu fds: the unused slots are -1", n);
	fd_close_all(got, n_got);
}

static void test_refusals(const int sk[2], const int *sent)
{
	char buf[16];
	int got[FD_PASS_MAX];
	size_t n_got;
	int before = open_fds();

	(void)fd_send(sk[0], "hello", 5, sent, 3, 0);
	CHECK_INT_EQ(fd_recv(sk[1], buf, sizeof(buf), got, 2, &n_got, 0), -EMSGSIZE,
		     "3 fds where 2 fit: EMSGSIZE");
	CHECK_INT_EQ(n_got, 0, "3 fds where 2 fit: none returned");
	CHECK_INT_EQ(open_fds(), before, "3 fds where 2 fit: every one closed");

	/* CMSG_SPACE(4) has room for two fds: the one too many is closed too. */
	(void)fd_send(sk[0], "hello", 5, sent, 2, 0);
	CHECK_INT_EQ(fd_recv(sk[1], buf, sizeof(buf), got, 1, &n_got, 0), -EMSGSIZE,
		     "2 fds where 1 fits: EMSGSIZE");
	CHECK_INT_EQ(open_fds(), before, "2 fds where 1 fits: both closed");

	(void)fd_send(sk[0], "hello, world", 12, sent, 2, 0);
	CHECK_INT_EQ(fd_recv(sk[1], buf, 5, got, 2, &n_got, 0), -EMSGSIZE,
		     "a truncated text: EMSGSIZE");
	CHECK_INT_EQ(open_fds(), before, "a truncated text: its fds closed");

	CHECK_INT_EQ(fd_recv(sk[1], buf, sizeof(buf), got, 2, &n_got, MSG_DONTWAIT), -EAGAIN,
		     "nothing waiting, MSG_DONTWAIT: EAGAIN");
	CHECK_INT_EQ(fd_send(sk[0], "x", 1, sent, FD_PASS_MAX + 1, 0), -EINVAL,
		     "more than FD_PASS_MAX fds to send: EINVAL");
	CHECK_INT_EQ(fd_recv(sk[1], buf, sizeof(buf), got, FD_PASS_MAX + 1, &n_got, 0), -EINVAL,
		     "room for more than FD_PASS_MAX fds: EINVAL");
	close(sk[0]);
	CHECK_INT_EQ(fd_recv(sk[1], buf, sizeof(buf), got, 2, &n_got, 0), 0,
		     "the peer closed: 0 bytes");
	CHECK_INT_EQ(fd_send(sk[1], "x", 1, NULL, 0, 0), -EPIPE,
		     "sending to a closed peer: EPIPE, no SIGPIPE");
}

int main(void)
{
	int sk[2];
	int sent[FD_PASS_MAX + 1];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sk) < 0) {
		printf("not ok - socketpair: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sent); i++)
		sent[i] = open(i % 2 ? "/dev/null" : "/proc/self/stat", O_RDONLY | O_CLOEXEC);
	round_trip(sk, sent, 0, 2);
	round_trip(sk, sent, 1, 1);
	round_trip(sk, sent, 2, 3);
	round_trip(sk, sent, 3, 3);
	test_refusals(sk, sent);
	close(sk[1]);
	for (size_t i = 0; i < ARRAY_SIZE(sent); i++)
		close(sent[i]);
	return tap_exit();
}
