/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns.conf(5): the keys of [default], [group NAME] and [user NAME]
 * sections (one parser per key, a table) and the per-user resolution that
 * layers them, [default] < [group] < [user], at lookup time: every
 * setting a section may carry is kept with a "set" flag instead of
 * flattening the file when it is read. The file reader (config.c) hands
 * each key here. Part of libx86ns.a (config.h); used by the PAM module,
 * the launcher and x86nsctl. Pure logic. */
#include "config-internal.h"
#include "util.h"

/* The kernel refuses pids.max above PID_MAX_LIMIT on 64-bit hosts. */
#define PIDS_LIMIT        4194304
#define CPU_PERCENT_LIMIT 1000000

static int policy_guest(struct policy_section *s, const char *v)
{
	if (!streq(v, "none") && !config_guest_name_is_valid(v))
		return -EINVAL;
	free(s->guest_name);
	s->guest_name = NULL;
	s->guest_set = true;
	return streq(v, "none") ? 0 : replace_string(&s->guest_name, v);
}

static int policy_stop(struct policy_section *s, const char *v)
{
	unsigned linger = 0;
	enum stop_policy stop;
	if (streq(v, "last-logout"))
		stop = STOP_LAST_LOGOUT;
	else if (streq(v, "never"))
		stop = STOP_NEVER;
	else if (strncmp(v, "linger=", 7) == 0 && config_parse_duration(v + 7, "smh", &linger) == 0)
		stop = STOP_LINGER;
	else
		return -EINVAL;
	s->stop = stop;
	s->linger_sec = linger;
	s->stop_set = true;
	return 0;
}

static int policy_pids(struct policy_section *s, const char *v)
{
	uint64_t n = 0;
	if (!streq(v, "max") && (parse_u64(v, &n) < 0 || n == 0 || n > PIDS_LIMIT))
		return -EINVAL;
	s->pids_max = n;
	s->pids_set = true;
	return 0;
}

static int policy_memory(struct policy_section *s, const char *v)
{
	uint64_t bytes = 0;
	if (!streq(v, "max") && config_parse_size(v, &bytes) < 0)
		return -EINVAL;
	s->memory_max = bytes;
	s->memory_set = true;
	return 0;
}

static int policy_cpu(struct policy_section *s, const char *v)
{
	unsigned percent = 0;
	if (!streq(v, "max") &&
	    (config_parse_percent(v, &percent) < 0 || percent == 0 || percent > CPU_PERCENT_LIMIT))
		return -EINVAL;
	s->cpu_percent = percent;
	s->cpu_set = true;
	return 0;
}

static int policy_network(struct policy_section *s, const char *v)
{
	if (streq(v, "host"))
		s->network = NETWORK_HOST;
	else if (streq(v, "none"))
		s->network = NETWORK_NONE;
	else if (streq(v, "private"))
		s->network = NETWORK_PRIVATE;
	else
		return -EINVAL;
	s->network_set = true;
	return 0;
}

static int policy_protect_home(struct policy_section *s, const char *v)
{
	if (!streq(v, "yes") && !streq(v, "no"))
		return -EINVAL;
	s->protect_home = streq(v, "yes");
	s->protect_home_set = true;
	return 0;
}

static int policy_layer_size(struct policy_section *s, const char *v)
{
	uint64_t bytes = 0;
	if (!streq(v, "max") && (config_parse_size(v, &bytes) < 0 || bytes < LAYER_SIZE_MIN))
		return -EINVAL;
	s->layer_size = bytes;
	s->layer_size_set = true;
	return 0;
}

static int policy_machined(struct policy_section *s, const char *v)
{
	if (!streq(v, "yes") && !streq(v, "no"))
		return -EINVAL;
	s->machined = streq(v, "yes");
	s->machined_set = true;
	return 0;
}

static void binds_free(struct bind_mount *binds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(binds[i].source);
		free(binds[i].target);
	}
	free(binds);
}

/* "~/..." is below the user's home, expanded by the caller. */
static bool bind_source_is_valid(const char *s)
{
	if (s[0] == '~')
		return s[1] == '/' && config_path_is_valid(s + 1);
	return config_path_is_valid(s);
}

/* "SOURCE[:TARGET][:ro|:rw]"; an empty value drops the binds so far. */
static int policy_bind(struct policy_section *s, const char *v)
{
	if (!*v) {
		binds_free(s->binds, s->n_binds);
		s->binds = NULL;
		s->n_binds = 0;
		s->binds_reset = true;
		return 0;
	}
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	char *parts[3];
	size_t n = 0;
	for (char *field = copy;;) {
		if (n == ARRAY_SIZE(parts))
			return -EINVAL;
		parts[n++] = field;
		char *colon = strchr(field, ':');
		if (!colon)
			break;
		*colon = '\0';
		field = colon + 1;
	}
	bool read_only = false;
	if (n > 1 && (streq(parts[n - 1], "ro") || streq(parts[n - 1], "rw")))
		read_only = streq(parts[--n], "ro");
	if (n > 2 || !bind_source_is_valid(parts[0]) || (n == 2 && !config_path_is_valid(parts[1])))
		return -EINVAL;
	struct bind_mount b = { .source = strdup(parts[0]),
				.target = n == 2 ? strdup(parts[1]) : NULL,
				.read_only = read_only };
	if (!b.source || (n == 2 && !b.target) || GROW_BY_ONE(s->binds, s->n_binds) < 0) {
		free(b.source);
		free(b.target);
		return -ENOMEM;
	}
	s->binds[s->n_binds++] = b;
	return 0;
}

static const struct {
	const char *key;
	int (*parse)(struct policy_section *s, const char *value);
	const char *expected;
} policy_keys[] = {
	{ "guest", policy_guest, "the name of a [guest] section, or \"none\"" },
	{ "stop", policy_stop, "\"last-logout\", \"linger=DURATION\" or \"never\"" },
	{ "pids", policy_pids, "a positive number of at most 4194304, or \"max\"" },
	{ "memory", policy_memory, "a size such as 512M, 2G or 1048576, or \"max\"" },
	{ "cpu", policy_cpu, "a percentage of one CPU such as 150%, or \"max\"" },
	{ "network", policy_network, "\"host\", \"none\" or \"private\"" },
	{ "protect-home", policy_protect_home, "\"yes\" or \"no\"" },
	{ "layer-size", policy_layer_size, "a size of at least 4M such as 10G, or \"max\"" },
	{ "machined", policy_machined, "\"yes\" or \"no\"" },
	{ "bind", policy_bind,
	  "SOURCE[:TARGET][:ro|:rw], SOURCE absolute or ~/..., TARGET absolute" },
};

int config_policy_set(struct policy_section *s, const char *key, const char *value,
		      const char **expected)
{
	for (size_t i = 0; i < ARRAY_SIZE(policy_keys); i++) {
		if (!streq(key, policy_keys[i].key))
			continue;
		*expected = policy_keys[i].expected;
		return policy_keys[i].parse(s, value);
	}
	return -ENOENT;
}

void config_policy_section_free(struct policy_section *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->guest_name);
	binds_free(s->binds, s->n_binds);
	free(s);
}

/* ---- resolution -------------------------------------------------------- */

static bool section_applies(const struct policy_section *s, enum section_kind kind,
			    const char *user, const char *const *groups, size_t n_groups)
{
	if (s->kind != kind)
		return false;
	if (kind == SECTION_DEFAULT)
		return true;
	if (kind == SECTION_USER)
		return streq(s->name, user);
	for (size_t i = 0; i < n_groups; i++)
		if (groups[i] && streq(s->name, groups[i]))
			return true;
	return false;
}

static void apply_section(struct user_policy *p, const struct policy_section *s)
{
	if (s->guest_set)
		p->guest = s->guest;
	if (s->stop_set) {
		p->stop = s->stop;
		p->linger_sec = s->linger_sec;
	}
	if (s->pids_set)
		p->pids_max = s->pids_max;
	if (s->memory_set)
		p->memory_max = s->memory_max;
	if (s->cpu_set)
		p->cpu_percent = s->cpu_percent;
	if (s->network_set)
		p->network = s->network;
	if (s->protect_home_set)
		p->protect_home = s->protect_home;
	if (s->layer_size_set)
		p->layer_size = s->layer_size;
	if (s->machined_set)
		p->machined = s->machined;
}

int config_resolve(const struct config *c, const char *name, const char *const *groups,
		   size_t n_groups, struct user_policy *ret)
{
	if (!c || !name || !ret || (n_groups > 0 && !groups))
		return -EINVAL;
	_cleanup_free_ const struct policy_section **applied =
	    calloc(c->n_sections + 1, sizeof(*applied));
	if (!applied)
		return -ENOMEM;
	size_t n = 0;
	for (int kind = SECTION_DEFAULT; kind <= SECTION_USER; kind++)
		for (size_t i = 0; i < c->n_sections; i++)
			if (section_applies(c->sections[i], (enum section_kind)kind, name, groups,
					    n_groups))
				applied[n++] = c->sections[i];

	struct user_policy p = { .stop = STOP_LAST_LOGOUT,
				 .network = NETWORK_HOST,
				 .protect_home = true,
				 .layer_size = LAYER_SIZE_DEFAULT };
	size_t first_bind_section = 0;
	for (size_t i = 0; i < n; i++) {
		apply_section(&p, applied[i]);
		if (applied[i]->binds_reset)
			first_bind_section = i;
	}
	for (size_t i = first_bind_section; i < n; i++)
		p.n_binds += applied[i]->n_binds;
	if (p.n_binds > 0) {
		p.binds = calloc(p.n_binds, sizeof(*p.binds));
		if (!p.binds)
			return -ENOMEM;
		struct bind_mount *next = p.binds;
		for (size_t i = first_bind_section; i < n; i++)
			for (size_t j = 0; j < applied[i]->n_binds; j++)
				*next++ = applied[i]->binds[j];
	}
	*ret = p;
	return 0;
}

void user_policy_done(struct user_policy *p)
{
	if (!p)
		return;
	free(p->binds);
	*p = (struct user_policy){ 0 };
}

unsigned config_network_modes(const struct config *c)
{
	enum network_mode fallback = NETWORK_HOST;
	unsigned set = 0;
	for (size_t i = 0; c && i < c->n_sections; i++) {
		const struct policy_section *s = c->sections[i];
		if (!s->network_set)
			continue;
		if (s->kind == SECTION_DEFAULT)
			fallback = s->network;
		else
			set |= 1u << s->network;
	}
	return set | 1u << fallback;
}
