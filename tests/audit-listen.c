/* SPDX-License-Identifier: GPL-2.0-or-later */
/* audit-listen: print the kernel's audit records as the kernel multicasts
 * them to readers, for tests on machines without auditd.
 *
 *   audit-listen [-a] [--seconds N] [--enable]
 *   audit-listen --status
 *   audit-listen --set-enabled 0|1
 *
 * Prints one line per record of type AUDIT_VIRT_CONTROL (every type with -a):
 * "type=N msg=TEXT", until SIGTERM/SIGINT/SIGHUP or N seconds. "listening" is
 * printed once records can be received.
 * --enable: the kernel drops user-space records while auditing is disabled,
 * so turn it on if it is off, and restore the old value when exiting
 * (normally or on one of those signals). Says what it did in "audit: ..."
 * lines. A SIGKILL cannot be caught: --set-enabled is the way back then.
 * --status prints "enabled=N". Needs CAP_AUDIT_READ and CAP_AUDIT_CONTROL,
 * and the initial user, PID and network namespaces.
 * Exit status: 0; 1 on error; 2 on usage; 3 when the kernel has no audit
 * support at all. */
#include <errno.h>
#include <getopt.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#ifndef AUDIT_VIRT_CONTROL
#define AUDIT_VIRT_CONTROL 2500 /* defined by libaudit.h, not the kernel's header */
#endif

#define EXIT_NO_AUDIT    3
#define REPLY_TIMEOUT_MS 2000
#define RECORD_MAX       16384

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int audit_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	return fd < 0 ? -errno : fd;
}

static int status_request(int fd, uint16_t type, const struct audit_status *status, uint32_t seq)
{
	struct {
		struct nlmsghdr header;
		struct audit_status status;
	} msg;
	memset(&msg, 0, sizeof(msg));
	msg.header.nlmsg_len = NLMSG_LENGTH(status ? sizeof(*status) : 0);
	msg.header.nlmsg_type = type;
	msg.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	msg.header.nlmsg_seq = seq;
	if (status)
		msg.status = *status;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, &msg, msg.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) <
	    0)
		return -errno;
	return 0;
}

/* Wait for the answer to request SEQ: the AUDIT_GET reply into *status when
 * status is given, else the kernel's acknowledgement. The GET reply is sent
 * from a kernel thread, so it may come after the acknowledgement. */
static int status_reply(int fd, uint32_t seq, struct audit_status *status)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		union {
			struct nlmsghdr header;
			char bytes[8192];
		} buf;
		ssize_t len = recv(fd, buf.bytes, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (struct nlmsghdr *h = &buf.header; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error != 0)
					return e->error;
				if (!status)
					return 0;
			} else if (status && h->nlmsg_type == AUDIT_GET) {
				size_t have = h->nlmsg_len - NLMSG_HDRLEN;
				memset(status, 0, sizeof(*status));
				memcpy(status, NLMSG_DATA(h),
				       have < sizeof(*status) ? have : sizeof(*status));
				return 0;
			}
		}
	}
}

static int audit_enabled_get(uint32_t *enabled)
{
	_cleanup_close_ int fd = audit_socket();
	if (fd < 0)
		return fd;
	struct audit_status status;
	int r = status_request(fd, AUDIT_GET, NULL, 1);
	if (r >= 0)
		r = status_reply(fd, 1, &status);
	if (r < 0)
		return r;
	*enabled = status.enabled;
	return 0;
}

static int audit_enabled_set(uint32_t enabled)
{
	_cleanup_close_ int fd = audit_socket();
	if (fd < 0)
		return fd;
	struct audit_status status = { .mask = AUDIT_STATUS_ENABLED, .enabled = enabled };
	int r = status_request(fd, AUDIT_SET, &status, 2);
	return r < 0 ? r : status_reply(fd, 2, NULL);
}

static int readlog_socket(void)
{
	_cleanup_close_ int fd = audit_socket();
	if (fd < 0)
		return fd;
	int size = 1 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_nl group = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1),
	};
	if (bind(fd, (struct sockaddr *)&group, sizeof(group)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One datagram is one record. The kernel's nlmsg_len for records does not
 * count the header, so the datagram's length is used instead. */
static void print_record(const char *buf, size_t len, bool all)
{
	const struct nlmsghdr *h = (const void *)buf;
	if (len < NLMSG_HDRLEN || (!all && h->nlmsg_type != AUDIT_VIRT_CONTROL))
		return;
	const char *text = buf + NLMSG_HDRLEN;
	size_t n = strnlen(text, len - NLMSG_HDRLEN);
	while (n > 0 && text[n - 1] == '\n')
		n--;
	printf("type=%u msg=", (unsigned)h->nlmsg_type);
	for (size_t i = 0; i < n; i++)
		putchar(text[i] == '\n' ? ' ' : text[i]);
	putchar('\n');
	fflush(stdout);
}

/* Until a stop signal (blocked outside ppoll) or the deadline (0: none). */
static int listen_records(int fd, bool all, long long deadline_ms, const sigset_t *wait_mask)
{
	static char buf[RECORD_MAX];
	while (!stop_signal) {
		struct timespec timeout, *tp = NULL;
		if (deadline_ms) {
			long long left = deadline_ms - now_ms();
			if (left <= 0)
				return 0;
			timeout = (struct timespec){ left / 1000, (left % 1000) * 1000000 };
			tp = &timeout;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = ppoll(&pfd, 1, tp, wait_mask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			continue;
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			fprintf(stderr, "audit-listen: records lost (receive buffer full)\n");
			continue;
		}
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len < 0)
			return -errno;
		print_record(buf, (size_t)len, all);
	}
	return 0;
}

static int fail(int r, const char *what)
{
	if (r == -EPROTONOSUPPORT) {
		fprintf(stderr,
			"audit-listen: this kernel has no audit support "
			"(socket(NETLINK_AUDIT): %s)\n",
			strerror(-r));
		return EXIT_NO_AUDIT;
	}
	fprintf(stderr, "audit-listen: %s: %s%s\n", what, strerror(-r),
		r == -ECONNREFUSED ? " (audit is served to the initial user namespace only)" : "");
	return EXIT_FAILURE;
}

/* enabled = 2 means locked (auditctl -e 2): on, and cannot be changed. */
static int enable_for_run(bool *changed, uint32_t *previous)
{
	int r = audit_enabled_get(previous);
	if (r < 0)
		return r;
	*changed = false;
	if (*previous != 0) {
		printf("audit: enabled was %u, left as is\n", *previous);
		return 0;
	}
	r = audit_enabled_set(1);
	if (r < 0)
		return r;
	*changed = true;
	printf("audit: enabled was 0, set to 1\n");
	return 0;
}

static int run_listener(bool all, bool enable, unsigned seconds)
{
	sigset_t stop_set, wait_mask;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGHUP);
	/* Held until ppoll: a signal during set-up still leads to the restore. */
	sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	_cleanup_close_ int fd = readlog_socket();
	if (fd < 0)
		return fail(fd, "joining the audit read-log group");
	bool changed = false;
	uint32_t previous = 0;
	int r = enable ? enable_for_run(&changed, &previous) : 0;
	if (r < 0)
		return fail(r, "enabling kernel auditing");
	printf("listening\n");
	fflush(stdout);

	long long deadline = seconds ? now_ms() + (long long)seconds * 1000 : 0;
	int listen_r = listen_records(fd, all, deadline, &wait_mask);
	int status = EXIT_SUCCESS;
	if (changed) {
		r = audit_enabled_set(previous);
		if (r < 0)
			status = fail(r, "restoring kernel auditing");
		else
			printf("audit: restored enabled=%u\n", previous);
	}
	if (listen_r < 0)
		status = fail(listen_r, "receiving records");
	if (stop_signal)
		printf("audit: stopped by signal %d\n", (int)stop_signal);
	return status;
}

/* A decimal number without sign or junk, at most MAX. */
static bool parse_number(const char *s, uint32_t max, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s < '0' || *s > '9' || v > max)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: audit-listen [-a] [--seconds N] [--enable]\n"
			"       audit-listen --status | --set-enabled 0|1\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "seconds", required_argument, NULL, 's' },
		{ "enable", no_argument, NULL, 'e' },
		{ "status", no_argument, NULL, 'S' },
		{ "set-enabled", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, enable = false, status_only = false;
	uint32_t seconds = 0, set_to = 0;
	bool set = false;
	int c;
	while ((c = getopt_long(argc, argv, "a", options, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'e': enable = true; break;
		case 'S': status_only = true; break;
		case 's':
			if (!parse_number(optarg, 86400, &seconds) || seconds == 0)
				return usage();
			break;
		case 'E':
			if (!parse_number(optarg, 1, &set_to))
				return usage();
			set = true;
			break;
		default: return usage();
		}
	}
	if (optind != argc || status_only + set > 1)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (status_only) {
		uint32_t enabled;
		int r = audit_enabled_get(&enabled);
		if (r < 0)
			return fail(r, "reading the audit status");
		printf("enabled=%u\n", enabled);
		return EXIT_SUCCESS;
	}
	if (set) {
		int r = audit_enabled_set(set_to);
		return r < 0 ? fail(r, "setting the audit status") : EXIT_SUCCESS;
	}
	return run_listener(all, enable, seconds);
}
