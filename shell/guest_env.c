/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guest_env.h"

#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

#define ENV_MAX    128
#define PASSWD_MAX (4u << 20)

/* Variables that describe the terminal, the locale or the connection and
 * mean the same inside the guest. Everything else is left behind: host
 * paths (XDG_RUNTIME_DIR, MAIL, XAUTHORITY, KRB5CCNAME) name nothing in the
 * guest, and SSH_AUTH_SOCK is replaced by the session's relayed socket
 * (shell/agent.h). LANG, LC_* and TZ reach us only when the client sent
 * them and sshd's AcceptEnv took them (or PAM's pam_env set them); without
 * them the guest's own /etc/default/locale and /etc/localtime apply. DISPLAY
 * is sshd's X11 listener on the host's loopback: it stays only when the
 * guest shares the host's network (guest_env_drop_display). */
static const char *const env_allowed[] = {
	"TERM=",
	"COLORTERM=",
	"LANG=",
	"LANGUAGE=",
	"LC_",
	"TZ=",
	"SSH_CONNECTION=",
	"SSH_CLIENT=",
	"SSH_ORIGINAL_COMMAND=",
	"X86NS_GUEST=",
	"X86NS_SESSION=",
	"DISPLAY=",
};

static char *env_store[ENV_MAX + 8];

char **guest_env_build(char **host_env)
{
	size_t n = 0;
	for (char **e = host_env; e && *e && n < ENV_MAX; e++)
		for (size_t i = 0; i < ARRAY_SIZE(env_allowed); i++)
			if (strncmp(*e, env_allowed[i], strlen(env_allowed[i])) == 0) {
				env_store[n++] = *e;
				break;
			}
	env_store[n] = NULL;
	return env_store;
}

static void copy_field(char *dst, size_t len, const char *src, size_t src_len)
{
	if (src_len >= len)
		src_len = len - 1;
	memcpy(dst, src, src_len);
	dst[src_len] = '\0';
}

/* Fill ret from a passwd line "name:x:uid:gid:gecos:home:shell" if its uid
 * matches. */
static bool passwd_line_matches(const char *line, size_t len, uid_t uid, struct guest_account *ret)
{
	const char *field[7];
	size_t flen[7], n = 0;
	const char *p = line, *end = line + len;
	while (n < 7 && p <= end) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *stop = colon ? colon : end;
		field[n] = p;
		flen[n++] = (size_t)(stop - p);
		if (!colon)
			break;
		p = colon + 1;
	}
	if (n != 7)
		return false;
	char num[16];
	copy_field(num, sizeof(num), field[2], flen[2]);
	uint32_t v;
	if (parse_u32(num, &v) < 0 || v != uid)
		return false;
	copy_field(ret->name, sizeof(ret->name), field[0], flen[0]);
	copy_field(ret->home, sizeof(ret->home), field[5], flen[5]);
	copy_field(ret->shell, sizeof(ret->shell), field[6], flen[6]);
	return ret->shell[0] == '/' && ret->home[0] == '/';
}

void guest_account_lookup(uid_t uid, struct guest_account *ret)
{
	const char *user = getenv("USER"), *home = getenv("HOME");
	snprintf(ret->name, sizeof(ret->name), "%s", user ? user : "user");
	snprintf(ret->home, sizeof(ret->home), "%s", home && home[0] == '/' ? home : "/");
	snprintf(ret->shell, sizeof(ret->shell), "/bin/sh");

	_cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (fd < 0 || read_fd_bounded(fd, PASSWD_MAX, &text, &len) < 0)
		return;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		struct guest_account found;
		if (passwd_line_matches(line, l, uid, &found)) {
			*ret = found;
			return;
		}
		line = nl ? nl + 1 : NULL;
	}
}

bool guest_shares_host_network(pid_t init)
{
	char path[64];
	struct stat ours, theirs;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	/* Unknown counts as not shared: DISPLAY is then left out. */
	return stat("/proc/self/ns/net", &ours) == 0 && stat(path, &theirs) == 0 &&
	       ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

bool guest_env_drop_display(char **envp)
{
	size_t n = 0, out = 0;
	bool dropped = false;
	for (; envp[n]; n++) {
		if (strncmp(envp[n], "DISPLAY=", 8) == 0) {
			dropped = true;
			continue;
		}
		envp[out++] = envp[n];
	}
	envp[out] = NULL;
	return dropped;
}

int guest_env_add(char ***envp, char *entry)
{
	size_t n = 0;
	while ((*envp)[n])
		n++;
	if (n + 1 >= ARRAY_SIZE(env_store) - 5) /* guest_env_finish adds 5 */
		return -E2BIG;
	(*envp)[n++] = entry;
	(*envp)[n] = NULL;
	return 0;
}

int guest_env_finish(char ***envp, const struct guest_account *acct)
{
	static char home[600], user[100], logname[100], shell[300];
	size_t n = 0;
	while ((*envp)[n])
		n++;
	if (xsnprintf(home, sizeof(home), "HOME=%s", acct->home) < 0 ||
	    xsnprintf(user, sizeof(user), "USER=%s", acct->name) < 0 ||
	    xsnprintf(logname, sizeof(logname), "LOGNAME=%s", acct->name) < 0 ||
	    xsnprintf(shell, sizeof(shell), "SHELL=%s", acct->shell) < 0)
		return -ENAMETOOLONG;
	char *add[] = { home, user, logname, shell,
			"PATH=/usr/local/bin:/usr/bin:/bin:/usr/games" };
	for (size_t i = 0; i < ARRAY_SIZE(add); i++)
		(*envp)[n++] = add[i];
	(*envp)[n] = NULL;
	return 0;
}
