/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A static probe for tests/e2e/t-ssh-forward.sh: it runs inside the busybox
 * guest, which has neither ssh-add nor an X client.
 *
 *   forward-probe agent-list    ask $SSH_AUTH_SOCK for its identities
 *                               (SSH_AGENTC_REQUEST_IDENTITIES, message 11);
 *                               prints "keys=N" and one "comment=..." per key
 *   forward-probe x11-setup     connect to $DISPLAY (TCP, localhost:N) and
 *                               complete the X11 connection set-up with the
 *                               MIT-MAGIC-COOKIE-1 of ~/.Xauthority for
 *                               display N; prints "x11=ok vendor=..." */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int agent_list(void)
{
	const char *path = getenv("SSH_AUTH_SOCK");
	if (!path) {
		printf("agent=no-SSH_AUTH_SOCK\n");
		return 1;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("agent=connect-failed errno=%d\n", errno);
		return 1;
	}
	static const unsigned char request[] = { 0, 0, 0, 1, 11 };
	unsigned char head[5];
	if (write(fd, request, sizeof(request)) != (ssize_t)sizeof(request) ||
	    read_full(fd, head, 4) < 0) {
		printf("agent=no-answer\n");
		return 1;
	}
	uint32_t len = get_u32(head);
	if (len < 5 || len > (256u << 10)) {
		printf("agent=bad-length %u\n", len);
		return 1;
	}
	unsigned char *msg = malloc(len);
	if (!msg || read_full(fd, msg, len) < 0 || msg[0] != 12) {
		printf("agent=bad-answer\n");
		return 1;
	}
	uint32_t keys = get_u32(msg + 1), off = 5;
	printf("keys=%u\n", keys);
	for (uint32_t i = 0; i < keys; i++) {
		for (int field = 0; field < 2; field++) {
			if (off + 4 > len || get_u32(msg + off) > len - off - 4) {
				printf("agent=truncated\n");
				return 1;
			}
			uint32_t flen = get_u32(msg + off);
			if (field == 1)
				printf("comment=%.*s\n", (int)flen, (const char *)msg + off + 4);
			off += 4 + flen;
		}
	}
	return 0;
}

/* One Xauthority field: 2-byte big-endian length, then the bytes. */
static int xauth_field(FILE *f, char *buf, size_t size, size_t *ret_len)
{
	int hi = fgetc(f), lo = fgetc(f);
	if (hi == EOF || lo == EOF)
		return -1;
	size_t len = (size_t)hi << 8 | (size_t)lo;
	if (len >= size || fread(buf, 1, len, f) != len)
		return -1;
	buf[len] = '\0';
	*ret_len = len;
	return 0;
}

/* The MIT-MAGIC-COOKIE-1 of any entry for display `number`. */
static int xauth_cookie(const char *number, char *cookie, size_t *cookie_len)
{
	char path[512];
	const char *xa = getenv("XAUTHORITY"), *home = getenv("HOME");
	snprintf(path, sizeof(path), "%s%s", xa ? xa : home ? home : "", xa ? "" : "/.Xauthority");
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	for (;;) {
		char addr[256], num[64], name[64], data[256];
		size_t l;
		if (fgetc(f) == EOF || fgetc(f) == EOF) /* family */
			break;
		if (xauth_field(f, addr, sizeof(addr), &l) < 0 ||
		    xauth_field(f, num, sizeof(num), &l) < 0 ||
		    xauth_field(f, name, sizeof(name), &l) < 0 ||
		    xauth_field(f, data, sizeof(data), cookie_len) < 0)
			break;
		if (strcmp(num, number) == 0 && strcmp(name, "MIT-MAGIC-COOKIE-1") == 0) {
			memcpy(cookie, data, *cookie_len);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

static int x11_setup(void)
{
	const char *display = getenv("DISPLAY");
	const char *colon = display ? strrchr(display, ':') : NULL;
	if (!colon) {
		printf("x11=no-DISPLAY\n");
		return 1;
	}
	char number[16];
	snprintf(number, sizeof(number), "%.*s", (int)strcspn(colon + 1, "."), colon + 1);
	char cookie[256];
	size_t cookie_len;
	if (xauth_cookie(number, cookie, &cookie_len) < 0) {
		printf("x11=no-cookie display=%s\n", number);
		return 1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)(6000 + atoi(number))),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("x11=connect-failed errno=%d\n", errno);
		return 1;
	}
	static const char proto[] = "MIT-MAGIC-COOKIE-1"; /* 18 bytes, padded to 20 */
	unsigned char setup[12 + 20 + 256] = { 'l', 0, 11, 0, 0, 0, 18, 0 };
	setup[8] = (unsigned char)(cookie_len & 0xff);
	setup[9] = (unsigned char)(cookie_len >> 8);
	memcpy(setup + 12, proto, 18);
	memcpy(setup + 32, cookie, cookie_len);
	size_t len = 32 + ((cookie_len + 3) & ~3u);
	unsigned char reply[8];
	if (write(fd, setup, len) != (ssize_t)len || read_full(fd, reply, 8) < 0) {
		printf("x11=no-answer\n");
		return 1;
	}
	if (reply[0] != 1) {
		printf("x11=refused status=%u\n", reply[0]);
		return 1;
	}
	uint16_t extra = (uint16_t)(reply[6] | reply[7] << 8);
	unsigned char *rest = malloc((size_t)extra * 4);
	if (!rest || read_full(fd, rest, (size_t)extra * 4) < 0) {
		printf("x11=truncated\n");
		return 1;
	}
	uint16_t vendor_len = (uint16_t)(rest[16] | rest[17] << 8);
	printf("x11=ok vendor=%.*s\n", (int)vendor_len, (const char *)rest + 32);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "agent-list") == 0)
		return agent_list();
	if (argc > 1 && strcmp(argv[1], "x11-setup") == 0)
		return x11_setup();
	fprintf(stderr, "usage: forward-probe agent-list|x11-setup\n");
	return 2;
}
