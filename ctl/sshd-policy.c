/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sshd-policy.h"
#include "plan.h"

#include "config.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>

#define SSHD_OUTPUT_MAX (1u << 20)
#define USERS_PER_MATCH 16
#define GROUPS_PER_USER 64

enum forward_scope {
	EVERY_GUEST, /* every containerized user */
	OWN_NETWORK, /* users whose guest has a network namespace of its own */
};

/* What sshd would serve outside the guest. Each keyword must be "no" for
 * the users of its scope. Deliberately not listed: AllowAgentForwarding
 * (x86ns-shell relays the agent into the guest's file system, no network
 * is involved, shell/agent.h); PermitOpen and PermitListen (moot once TCP
 * forwarding is off, and with network = host the guest's network is the
 * host's, so -L, -R, -D, -W reach what the guest reaches). */
static const struct forward_rule {
	const char *keyword; /* as sshd_config spells it; sshd -T prints it lower-case */
	enum forward_scope scope;
	const char *why;
} forward_rules[] = {
	{ "AllowStreamLocalForwarding", EVERY_GUEST,
	  "streamlocal forwards reach the host's Unix sockets, not the guest's" },
	{ "AllowTcpForwarding", OWN_NETWORK,
	  "TCP forwards (-L, -R, -D, -W) run in the host's network" },
	{ "PermitTunnel", OWN_NETWORK, "tunnels (-w) run in the host's network" },
	{ "X11Forwarding", OWN_NETWORK, "sshd's X11 listener is on the host's loopback" },
};

struct selected_user {
	char *name;
	enum network_mode network;
};

struct selection {
	struct selected_user *users;
	size_t n;
};

static bool has_own_network(enum network_mode m)
{
	return m != NETWORK_HOST;
}

static const char *network_name(enum network_mode m)
{
	return m == NETWORK_HOST ? "host" : m == NETWORK_NONE ? "none" : "private";
}

static bool rule_applies(const struct forward_rule *r, enum network_mode m)
{
	return r->scope == EVERY_GUEST || has_own_network(m);
}

static void selection_free(struct selection *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->users[i].name);
	free(s->users);
	*s = (struct selection){ 0 };
}

/* The network one host user's guest gets, resolved as the launcher would:
 * the configured mode, through the plan for this kernel (where Landlock
 * scoping is missing, network = host becomes private, lib/plan.h). */
static int user_network(const struct config *c, const struct kernel_features *k,
			const struct passwd *pw, bool *selected, enum network_mode *ret)
{
	gid_t gids[GROUPS_PER_USER];
	int n = GROUPS_PER_USER;
	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0)
		n = GROUPS_PER_USER;
	char names[GROUPS_PER_USER][64];
	const char *groups[GROUPS_PER_USER];
	size_t ng = 0;
	for (int i = 0; i < n; i++) {
		struct group *g = getgrgid(gids[i]);
		if (g && xsnprintf(names[ng], sizeof(names[ng]), "%s", g->gr_name) >= 0) {
			groups[ng] = names[ng];
			ng++;
		}
	}
	struct user_policy p;
	int r = config_resolve(c, pw->pw_name, groups, ng, &p);
	if (r < 0)
		return r;
	*selected = p.guest != NULL;
	*ret = p.network;
	if (p.guest) {
		struct guest_plan plan;
		guest_plan_make(p.guest, p.network, k, &plan);
		*ret = plan.network;
	}
	user_policy_done(&p);
	return 0;
}

/* Every host user (root never has a guest) the configuration selects. On
 * failure e has the configuration's parse report, or the errno's text. */
static int select_users(const char *config_path, struct selection *ret, struct error *e)
{
	_cleanup_free_ char *dropins = config_dropin_dir(config_path);
	struct config *c = NULL;
	char report[CONFIG_ERROR_MAX] = "";
	int r = config_load(config_path, dropins, &c, report, sizeof(report));
	if (r < 0)
		return error_set_text(e, "configuration", r, "%s",
				      r == -ENOMEM ? strerror(ENOMEM) : report);
	struct kernel_features k;
	kernel_features_probe(0, &k);
	*ret = (struct selection){ 0 };
	setpwent();
	for (struct passwd *pw; (pw = getpwent());) {
		bool selected = false;
		enum network_mode network;
		if (pw->pw_uid == 0 || user_network(c, &k, pw, &selected, &network) < 0 ||
		    !selected)
			continue;
		struct selected_user *u = realloc(ret->users, (ret->n + 1) * sizeof(*u));
		if (!u || !(u[ret->n].name = strdup(pw->pw_name))) {
			ret->users = u ? u : ret->users;
			r = -ENOMEM;
			break;
		}
		u[ret->n++].network = network;
		ret->users = u;
	}
	endpwent();
	config_free(c);
	if (r < 0) {
		selection_free(ret);
		return error_set_text(e, "users", r, "%s", strerror(-r));
	}
	return r;
}

/* ---- the snippet ----------------------------------------------------- */

static void print_block(FILE *out, const struct selection *s, bool own_network)
{
	size_t in_line = 0;
	for (size_t i = 0; i <= s->n; i++) {
		bool last = i == s->n;
		if (!last && has_own_network(s->users[i].network) != own_network)
			continue;
		if (in_line > 0 && (last || in_line == USERS_PER_MATCH)) {
			fputc('\n', out);
			for (size_t k = 0; k < ARRAY_SIZE(forward_rules); k++)
				if (forward_rules[k].scope == EVERY_GUEST || own_network)
					fprintf(out, "\t%s no\n", forward_rules[k].keyword);
			in_line = 0;
		}
		if (last)
			break;
		fprintf(out, in_line ? ",%s" : "Match User %s", s->users[i].name);
		in_line++;
	}
}

int sshd_policy_print_snippet(FILE *out, const char *config_path)
{
	struct selection s;
	struct error e = { 0 };
	int r = select_users(config_path, &s, &e);
	if (r < 0) {
		fprintf(stderr, "x86nsctl: %s\n", e.message);
		return r;
	}
	fprintf(out,
		"# Written by x86nsctl sshd-config from %s.\n"
		"# sshd serves forwards on the host, outside the guests: these blocks turn\n"
		"# off what would bypass each user's guest network. Install as\n"
		"# /etc/ssh/sshd_config.d/10-x86ns.conf (before other Match blocks: the\n"
		"# first value sshd obtains wins), re-run after adding users, and let\n"
		"# x86nsctl check confirm sshd's effective settings.\n",
		config_path);
	for (size_t k = 0; k < ARRAY_SIZE(forward_rules); k++)
		fprintf(out, "#   %-27s %s: %s\n", forward_rules[k].keyword,
			forward_rules[k].scope == EVERY_GUEST ? "every guest"
							      : "network other than host",
			forward_rules[k].why);
	print_block(out, &s, true);
	print_block(out, &s, false);
	fputs("Match all\n", out);
	selection_free(&s);
	return 0;
}

/* ---- the check ------------------------------------------------------- */

/* `sshd -T -C user=NAME,host=,addr=`: sshd's effective settings for a
 * connection of that user, with every Match block applied. */
static int sshd_effective(const char *sshd_config, const char *user, char **ret)
{
	char spec[256];
	if (xsnprintf(spec, sizeof(spec), "user=%s,host=,addr=", user) < 0)
		return -ENAMETOOLONG;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negerrno();
	pid_t pid = fork();
	if (pid < 0) {
		int r = negerrno();
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		char *argv[] = { SSHD_BINARY, "-T", "-f", (char *)sshd_config, "-C", spec, NULL };
		char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
		if (dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0)
			_exit(127);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	size_t len;
	int r = read_fd_bounded(pipefd[0], SSHD_OUTPUT_MAX, ret, &len);
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negerrno();
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EINVAL; /* *ret holds sshd's message */
	return 0;
}

/* The value sshd -T printed for a keyword, into buf ("" when absent). */
static void effective_value(const char *text, const char *keyword, char *buf, size_t len)
{
	size_t klen = strlen(keyword);
	buf[0] = '\0';
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (l > klen && line[klen] == ' ' && strncasecmp(line, keyword, klen) == 0) {
			size_t vlen = l - klen - 1;
			snprintf(buf, len, "%.*s", (int)vlen, line + klen + 1);
			return;
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Append to detail each keyword that contradicts the policy; returns how
 * many. */
static int user_violations(const char *text, enum network_mode network, char *detail, size_t len)
{
	char value[64];
	effective_value(text, "disableforwarding", value, sizeof(value));
	if (strcmp(value, "yes") == 0)
		return 0;
	int bad = 0;
	size_t off = 0;
	for (size_t k = 0; k < ARRAY_SIZE(forward_rules); k++) {
		const struct forward_rule *rule = &forward_rules[k];
		if (!rule_applies(rule, network))
			continue;
		effective_value(text, rule->keyword, value, sizeof(value));
		if (strcmp(value, "no") == 0)
			continue;
		int n =
		    snprintf(detail + off, len - off, "%s%s is %s, must be no (%s)",
			     bad ? "; " : "", rule->keyword, value[0] ? value : "unset", rule->why);
		if (n > 0 && (size_t)n < len - off)
			off += (size_t)n;
		bad++;
	}
	return bad;
}

int sshd_policy_check(const char *config_path, const char *sshd_config, sshd_policy_report report,
		      void *ctx)
{
	struct selection s;
	struct error e = { 0 };
	int r = select_users(config_path, &s, &e);
	if (r < 0) {
		report(ctx, "sshd forwarding: configuration", false, e.message);
		return r;
	}
	if (access(SSHD_BINARY, X_OK) < 0) {
		report(ctx, "sshd forwarding", true, SSHD_BINARY " is not installed");
		selection_free(&s);
		return 0;
	}
	int failed = 0;
	for (size_t i = 0; i < s.n; i++) {
		char label[160], detail[1024];
		snprintf(label, sizeof(label), "sshd forwarding: user %s (network = %s)",
			 s.users[i].name, network_name(s.users[i].network));
		_cleanup_free_ char *text = NULL;
		r = sshd_effective(sshd_config, s.users[i].name, &text);
		if (r < 0) {
			snprintf(detail, sizeof(detail), "sshd -T -f %s: %.200s", sshd_config,
				 r == -EINVAL && text ? text : strerror(-r));
			detail[strcspn(detail, "\n")] = '\0';
			report(ctx, label, false, detail);
			failed++;
			continue;
		}
		detail[0] = '\0';
		int bad = user_violations(text, s.users[i].network, detail, sizeof(detail));
		if (bad) {
			size_t l = strlen(detail);
			snprintf(detail + l, sizeof(detail) - l,
				 "; in %s: see x86nsctl sshd-config", sshd_config);
		}
		report(ctx, label, bad == 0, detail);
		failed += bad > 0;
	}
	selection_free(&s);
	return failed;
}
