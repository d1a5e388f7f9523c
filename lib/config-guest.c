/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns.conf(5): the keys of [guest NAME] and [translator-profile NAME]
 * sections. config.c reads files and sections and calls in here for each
 * key; every parser validates fully and stores only on success. */
#include "binfmt.h"
#include "config-internal.h"
#include "confine.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>

/* ---- [guest NAME] keys ------------------------------------------------- */

static int guest_root(struct guest_config *g, const char *v)
{
	return config_path_is_valid(v) ? replace_string(&g->root, v) : -EINVAL;
}

static int guest_init(struct guest_config *g, const char *v)
{
	if (streq(v, "builtin")) {
		free(g->init);
		g->init = NULL;
		return 0;
	}
	return config_path_is_valid(v) ? replace_string(&g->init, v) : -EINVAL;
}

static int guest_ready(struct guest_config *g, const char *v)
{
	if (!streq(v, "immediate") && !streq(v, "notify"))
		return -EINVAL;
	g->ready = streq(v, "notify") ? READY_NOTIFY : READY_IMMEDIATE;
	return 0;
}

static int guest_ready_timeout(struct guest_config *g, const char *v)
{
	unsigned sec;
	if (config_parse_duration(v, "sm", &sec) < 0 || sec == 0)
		return -EINVAL;
	g->ready_timeout_sec = sec;
	return 0;
}

static int guest_ready_timeout_action(struct guest_config *g, const char *v)
{
	if (!streq(v, "deny") && !streq(v, "warn"))
		return -EINVAL;
	g->ready_timeout_action = streq(v, "warn") ? TIMEOUT_WARN : TIMEOUT_DENY;
	return 0;
}

/* "PATH [ARGS...]": the arguments are passed when x86ns itself starts a
 * program through the translator (the guest's init); binfmt_misc cannot
 * pass arguments, so registered machines run with PATH alone. */
static int guest_translator(struct guest_config *g, const char *v)
{
	for (size_t i = 0; g->translator_args[i]; i++) {
		free(g->translator_args[i]);
		g->translator_args[i] = NULL;
	}
	free(g->translator);
	g->translator = NULL;
	if (streq(v, "none"))
		return 0;
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	char *word = strtok_r(copy, " \t", &save);
	if (!word || !config_path_is_valid(word) || strchr(word, ':'))
		return -EINVAL;
	size_t n = 0;
	for (char *arg; (arg = strtok_r(NULL, " \t", &save));) {
		if (n == TRANSLATOR_ARGS_MAX)
			return -EINVAL;
		if (!(g->translator_args[n++] = strdup(arg)))
			return -ENOMEM;
	}
	return replace_string(&g->translator, word);
}

/* Machine names as uname -m prints them, separated by spaces. */
static int guest_translator_machines(struct guest_config *g, const char *v)
{
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	unsigned set = 0;
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		int m = binfmt_machine_from_name(word);
		if (m < 0 || (enum binfmt_machine)m == binfmt_host_machine())
			return -EINVAL;
		set |= 1u << m;
	}
	g->translator_machines = set;
	return 0;
}

static int guest_translator_profile(struct guest_config *g, const char *v)
{
	if (streq(v, "none")) {
		free(g->translator_profile_name);
		g->translator_profile_name = NULL;
		return 0;
	}
	return config_guest_name_is_valid(v) ? replace_string(&g->translator_profile_name, v)
					     : -EINVAL;
}

static int parse_yes_no(const char *v, bool *ret)
{
	if (streq(v, "yes") || streq(v, "no")) {
		*ret = streq(v, "yes");
		return 0;
	}
	return -EINVAL;
}

/* Set or clear one relax bit: `turned_off` is the value that relaxes. */
static int set_relax(struct guest_config *g, unsigned bit, const char *v, const char *on,
		     const char *off)
{
	if (streq(v, off))
		g->relax |= bit;
	else if (streq(v, on))
		g->relax &= ~bit;
	else
		return -EINVAL;
	return 0;
}

static int guest_seccomp(struct guest_config *g, const char *v)
{
	return set_relax(g, RELAX_SECCOMP, v, "yes", "no");
}

static int guest_nested_userns(struct guest_config *g, const char *v)
{
	return set_relax(g, RELAX_NESTED_USERNS, v, "deny", "allow");
}

static int guest_io_uring(struct guest_config *g, const char *v)
{
	return set_relax(g, RELAX_IO_URING, v, "deny", "allow");
}

static int guest_landlock(struct guest_config *g, const char *v)
{
	return set_relax(g, RELAX_LANDLOCK, v, "yes", "no");
}

static int guest_hostname(struct guest_config *g, const char *v)
{
	return config_hostname_is_valid(v) ? replace_string(&g->hostname, v) : -EINVAL;
}

static int guest_personality(struct guest_config *g, const char *v)
{
	if (streq(v, "native"))
		g->personality = PERSONALITY_NATIVE;
	else if (streq(v, "x86"))
		g->personality = PERSONALITY_X86;
	else
		return -EINVAL;
	return 0;
}

static int guest_stop_signal(struct guest_config *g, const char *v)
{
	return config_parse_signal(v, &g->stop_signal);
}

static int guest_stop_timeout(struct guest_config *g, const char *v)
{
	return config_parse_duration(v, "sm", &g->stop_timeout_sec);
}

static const struct {
	const char *key;
	int (*parse)(struct guest_config *g, const char *value);
	const char *expected;
} guest_keys[] = {
	{ "root", guest_root, "an absolute host path without \".\" or \"..\"" },
	{ "init", guest_init, "\"builtin\" or an absolute path inside the guest" },
	{ "ready", guest_ready, "\"immediate\" or \"notify\"" },
	{ "ready-timeout", guest_ready_timeout, "a positive number of seconds, suffix s or m" },
	{ "ready-timeout-action", guest_ready_timeout_action, "\"deny\" or \"warn\"" },
	{ "translator", guest_translator,
	  "\"none\" or an absolute host path without ':', then at most 16 arguments" },
	{ "translator-machines", guest_translator_machines,
	  "machine names other than the host's: x86_64 i386 aarch64 arm riscv64 ppc64le s390x "
	  "e2k" },
	{ "translator-profile", guest_translator_profile,
	  "the name of a [translator-profile] section, or \"none\"" },
	{ "hostname", guest_hostname, "a hostname of at most 64 characters" },
	{ "personality", guest_personality, "\"native\" or \"x86\" (32-bit guests)" },
	{ "stop-signal", guest_stop_signal,
	  "a signal name such as SIGTERM or RTMIN+4, or a number" },
	{ "stop-timeout", guest_stop_timeout, "a number of seconds, suffix s or m" },
	{ "seccomp", guest_seccomp, "\"yes\" or \"no\"" },
	{ "nested-userns", guest_nested_userns, "\"deny\" or \"allow\"" },
	{ "io-uring", guest_io_uring, "\"deny\" or \"allow\"" },
	{ "landlock", guest_landlock, "\"yes\" or \"no\"" },
};

int config_guest_set(struct guest_config *g, const char *key, const char *value,
		     const char **expected)
{
	for (size_t i = 0; i < ARRAY_SIZE(guest_keys); i++) {
		if (!streq(key, guest_keys[i].key))
			continue;
		*expected = guest_keys[i].expected;
		return guest_keys[i].parse(g, value);
	}
	return -ENOENT;
}

void config_guest_free(struct guest_config *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->root);
	free(g->init);
	free(g->translator);
	for (size_t i = 0; g->translator_args[i]; i++)
		free(g->translator_args[i]);
	free(g->translator_profile_name);
	free(g->hostname);
	free(g->file);
	free(g);
}

int guest_stop_signal_for_host(const struct guest_config *g)
{
	/* Only an init started through the translator sees shifted signals. */
	const struct translator_profile *t = g->translator_profile;
	if (!g->translator || !g->init || !t || g->stop_signal < SIGRTMIN)
		return g->stop_signal;
	return g->stop_signal + t->signal_offset;
}

/* ---- [translator-profile NAME] keys ------------------------------------ */

static int profile_static(struct translator_profile *t, const char *v)
{
	return parse_yes_no(v, &t->require_static);
}

static int profile_signal_offset(struct translator_profile *t, const char *v)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < -8 || n > 8)
		return -EINVAL;
	t->signal_offset = (int)n;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* systemd unit names: the drop-in directory is named after them. */
static bool unit_name_is_valid(const char *s)
{
	const char *dot = strrchr(s, '.');
	return config_guest_name_is_valid(s) && dot && dot != s && dot[1] &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\") ==
		   strlen(s);
}

static int profile_reset_credentials(struct translator_profile *t, const char *v)
{
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	char **units = NULL;
	size_t n = 0;
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		char *unit = unit_name_is_valid(word) ? strdup(word) : NULL;
		char **grown = unit ? reallocarray(units, n + 1, sizeof(*units)) : NULL;
		if (!grown) {
			free(unit);
			strv_free(units, n);
			return unit_name_is_valid(word) ? -ENOMEM : -EINVAL;
		}
		units = grown;
		units[n++] = unit;
	}
	strv_free(t->reset_credentials, t->n_reset_credentials);
	t->reset_credentials = units;
	t->n_reset_credentials = n;
	return 0;
}

static const struct {
	const char *key;
	int (*parse)(struct translator_profile *t, const char *value);
	const char *expected;
} profile_keys[] = {
	{ "static", profile_static, "\"yes\" or \"no\"" },
	{ "signal-offset", profile_signal_offset, "a number from -8 to 8" },
	{ "reset-credentials", profile_reset_credentials,
	  "systemd unit names such as systemd-sysctl.service, separated by spaces" },
};

int config_profile_set(struct translator_profile *t, const char *key, const char *value,
		       const char **expected)
{
	for (size_t i = 0; i < ARRAY_SIZE(profile_keys); i++) {
		if (!streq(key, profile_keys[i].key))
			continue;
		*expected = profile_keys[i].expected;
		return profile_keys[i].parse(t, value);
	}
	return -ENOENT;
}

void config_profile_free(struct translator_profile *t)
{
	if (!t)
		return;
	free(t->name);
	strv_free(t->reset_credentials, t->n_reset_credentials);
	free(t->file);
	free(t);
}
