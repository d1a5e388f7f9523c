/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns.conf(5): reading the main file and its drop-ins (trusted files
 * only), sections and lines, and the parse report "FILE:LINE: message".
 * The keys of [guest] and [translator-profile] sections are
 * config-guest.c's, those of policy sections and the per-user resolution
 * config-policy.c's. Part of libx86ns.a (config.h); used by the PAM
 * module, the launcher and x86nsctl. */
#include "config-internal.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>

/* A policy file bigger than this is a mistake, not a policy. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* State while one file is read; a file always starts outside any section. */
struct parser {
	struct config *config;
	const char *file;
	unsigned line;
	struct guest_config *guest;         /* inside [guest NAME] */
	struct translator_profile *profile; /* inside [translator-profile NAME] */
	struct policy_section *policy;      /* inside [default], [group] or [user] */
	char *err;
	size_t errlen;
};

static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int io_error(const char *file, int r, char *err, size_t errlen)
{
	errno = -r;
	if (r == -ELOOP)
		set_error(err, errlen, "%s: is a symbolic link, refused", file);
	else
		set_error(err, errlen, "%s: %m", file);
	return r;
}

static int parse_error_at(struct parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_error_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	if (!p->err || p->errlen == 0)
		return -EINVAL;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}
#define parse_error(p, ...) parse_error_at((p), (p)->line, __VA_ARGS__)

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* ---- sections and lines ------------------------------------------------ */

static const char *const section_kind_names[] = {
	[SECTION_DEFAULT] = "default",
	[SECTION_GROUP] = "group",
	[SECTION_USER] = "user",
};

static const struct guest_config *find_guest(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_guests; i++)
		if (streq(c->guests[i]->name, name))
			return c->guests[i];
	return NULL;
}

/* Checks that need the whole section, reported at its header line. */
static int close_section(struct parser *p)
{
	struct guest_config *g = p->guest;
	p->guest = NULL;
	p->policy = NULL;
	p->profile = NULL;
	if (!g)
		return 0;
	if (!g->root)
		return parse_error_at(p, g->line, "[guest %s] lacks the required key \"root\"",
				      g->name);
	if (!g->translator && (g->translator_machines || g->translator_profile_name))
		return parse_error_at(p, g->line,
				      "[guest %s] names translator machines or a profile but no "
				      "\"translator\"",
				      g->name);
	if (g->stop_signal == 0)
		g->stop_signal = g->init ? SIGRTMIN + 4 : SIGTERM;
	if (!g->hostname) {
		if (!config_hostname_is_valid(g->name))
			return parse_error_at(
			    p, g->line,
			    "guest name \"%s\" is not a valid hostname, set \"hostname\"", g->name);
		return replace_string(&g->hostname, g->name);
	}
	return 0;
}

static int open_guest_section(struct parser *p, const char *name)
{
	struct config *c = p->config;
	if (!config_guest_name_is_valid(name))
		return parse_error(p, "invalid guest name \"%s\"", name);
	const struct guest_config *old = find_guest(c, name);
	if (old)
		return parse_error(p, "duplicate [guest %s], first defined at %s:%u", name,
				   old->file, old->line);
	struct guest_config *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->name = strdup(name);
	g->file = strdup(p->file);
	g->line = p->line;
	g->ready_timeout_sec = 60;
	g->stop_timeout_sec = 10;
	if (!g->name || !g->file || GROW_BY_ONE(c->guests, c->n_guests) < 0) {
		config_guest_free(g);
		return -ENOMEM;
	}
	c->guests[c->n_guests++] = g;
	p->guest = g;
	return 0;
}

static const struct translator_profile *find_profile(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_profiles; i++)
		if (streq(c->profiles[i]->name, name))
			return c->profiles[i];
	return NULL;
}

static int open_profile_section(struct parser *p, const char *name)
{
	struct config *c = p->config;
	if (!config_guest_name_is_valid(name))
		return parse_error(p, "invalid translator profile name \"%s\"", name);
	const struct translator_profile *old = find_profile(c, name);
	if (old)
		return parse_error(p, "duplicate [translator-profile %s], first defined at %s:%u",
				   name, old->file, old->line);
	struct translator_profile *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->name = strdup(name);
	t->file = strdup(p->file);
	t->line = p->line;
	if (!t->name || !t->file || GROW_BY_ONE(c->profiles, c->n_profiles) < 0) {
		config_profile_free(t);
		return -ENOMEM;
	}
	c->profiles[c->n_profiles++] = t;
	p->profile = t;
	return 0;
}

static int open_policy_section(struct parser *p, enum section_kind kind, const char *name)
{
	struct config *c = p->config;
	if (kind == SECTION_DEFAULT && *name)
		return parse_error(p, "[default] takes no name");
	if (kind != SECTION_DEFAULT && !config_name_is_valid(name))
		return parse_error(p, "invalid %s name \"%s\"", section_kind_names[kind], name);
	struct policy_section *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->file = p->file;
	if ((kind != SECTION_DEFAULT && !(s->name = strdup(name))) ||
	    GROW_BY_ONE(c->sections, c->n_sections) < 0) {
		config_policy_section_free(s);
		return -ENOMEM;
	}
	c->sections[c->n_sections++] = s;
	p->policy = s;
	return 0;
}

/* "[default]", "[guest NAME]", "[group NAME]" or "[user NAME]". */
static int parse_section_header(struct parser *p, char *line)
{
	int r = close_section(p);
	if (r < 0)
		return r;
	size_t len = strlen(line);
	if (len < 2 || line[len - 1] != ']')
		return parse_error(p, "malformed section header \"%s\"", line);
	line[len - 1] = '\0';
	char *kind = trim(line + 1);
	char *name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name = trim(name);
	if (streq(kind, "guest"))
		return open_guest_section(p, name);
	if (streq(kind, "translator-profile"))
		return open_profile_section(p, name);
	for (size_t i = 0; i < ARRAY_SIZE(section_kind_names); i++)
		if (streq(kind, section_kind_names[i]))
			return open_policy_section(p, (enum section_kind)i, name);
	return parse_error(p, "unknown section type \"%s\"", kind);
}

#define INVALID_VALUE "invalid value \"%s\" for \"%s\": expected %s"

static int parse_key(struct parser *p, const char *key, const char *value)
{
	int r;
	const char *expected = "";
	if (p->guest) {
		r = config_guest_set(p->guest, key, value, &expected);
		if (r == -EINVAL)
			return parse_error(p, INVALID_VALUE, value, key, expected);
		if (r == -ENOENT)
			return parse_error(p, "unknown key \"%s\" in [guest %s]", key,
					   p->guest->name);
		return r;
	}
	if (p->profile) {
		r = config_profile_set(p->profile, key, value, &expected);
		if (r == -EINVAL)
			return parse_error(p, INVALID_VALUE, value, key, expected);
		if (r == -ENOENT)
			return parse_error(p, "unknown key \"%s\" in [translator-profile %s]", key,
					   p->profile->name);
		return r;
	}
	if (p->policy) {
		struct policy_section *s = p->policy;
		r = config_policy_set(s, key, value, &expected);
		if (r == -EINVAL)
			return parse_error(p, INVALID_VALUE, value, key, expected);
		if (r == -ENOENT)
			return parse_error(p, "unknown key \"%s\" in [%s%s%s]", key,
					   section_kind_names[s->kind], s->name ? " " : "",
					   s->name ? s->name : "");
		if (streq(key, "guest"))
			s->guest_line = p->line;
		return r;
	}
	return parse_error(p, "key \"%s\" outside of any section", key);
}

static int parse_line(struct parser *p, char *line)
{
	line = trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section_header(p, line);
	char *eq = strchr(line, '=');
	if (!eq)
		return parse_error(p, "malformed line, expected \"key = value\" or \"[section]\"");
	*eq = '\0';
	char *key = trim(line);
	if (!*key)
		return parse_error(p, "malformed line, no key before \"=\"");
	return parse_key(p, key, trim(eq + 1));
}

static int parse_text(struct config *c, const char *file, char *text, char *err, size_t errlen)
{
	struct parser p = { .config = c, .file = file, .err = err, .errlen = errlen };
	for (char *line = text; line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		int r = parse_line(&p, line);
		if (r < 0)
			return r;
		line = next;
	}
	return close_section(&p);
}

/* ---- files ------------------------------------------------------------- */

/* The files decide who gets which container: only root may write them. */
static int check_trusted(int fd, const char *path, mode_t type, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return io_error(path, negerrno(), err, errlen);
	if ((st.st_mode & S_IFMT) != type) {
		set_error(err, errlen, "%s: not a %s, refused", path,
			  type == S_IFDIR ? "directory" : "regular file");
		return -EINVAL;
	}
	if (st.st_uid != 0) {
		set_error(err, errlen, "%s: not owned by root, refused", path);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		set_error(err, errlen, "%s: writable by group or others, refused", path);
		return -EPERM;
	}
	if (type == S_IFREG && st.st_size > CONFIG_FILE_MAX) {
		set_error(err, errlen, "%s: larger than 1 MiB, refused", path);
		return -EFBIG;
	}
	return 0;
}

/* `name` is opened relative to dirfd; `display` is what messages call it. */
static int load_file(struct config *c, int dirfd, const char *name, const char *display, char *err,
		     size_t errlen)
{
	_cleanup_close_ int fd =
	    openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return io_error(display, negerrno(), err, errlen);
	int r = check_trusted(fd, display, S_IFREG, err, errlen);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = NULL;
	size_t len;
	r = read_fd_bounded(fd, CONFIG_FILE_MAX + 1, &text, &len);
	if (r == -EFBIG) /* it grew after fstat() */
		set_error(err, errlen, "%s: larger than 1 MiB, refused", display);
	else if (r < 0)
		io_error(display, r, err, errlen);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len)) {
		set_error(err, errlen, "%s: contains a NUL byte, refused", display);
		return -EINVAL;
	}
	char *file = strdup(display);
	if (!file || GROW_BY_ONE(c->files, c->n_files) < 0) {
		free(file);
		return -ENOMEM;
	}
	c->files[c->n_files++] = file;
	return parse_text(c, file, text, err, errlen);
}

static int filter_dropin(const struct dirent *de)
{
	size_t len = strlen(de->d_name);
	return de->d_name[0] != '.' && len > 5 && streq(de->d_name + len - 5, ".conf");
}

/* strcmp, not the locale's collation: the order must not depend on LANG. */
static int compare_dropins(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_dropins(struct config *c, const char *dir, char *err, size_t errlen)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : io_error(dir, negerrno(), err, errlen);
	int r = check_trusted(dirfd, dir, S_IFDIR, err, errlen);
	if (r < 0)
		return r;
	struct dirent **entries = NULL;
	int n = scandirat(dirfd, ".", &entries, filter_dropin, compare_dropins);
	if (n < 0)
		return io_error(dir, negerrno(), err, errlen);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *display = NULL;
		if (r >= 0 && asprintf(&display, "%s/%s", dir, entries[i]->d_name) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = load_file(c, dirfd, entries[i]->d_name, display, err, errlen);
		free(entries[i]);
	}
	free(entries);
	return r;
}

/* A guest or a profile may be named before the file that defines it is read. */
static int link_guest_references(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_guests; i++) {
		struct guest_config *g = c->guests[i];
		if (!g->translator_profile_name)
			continue;
		g->translator_profile = find_profile(c, g->translator_profile_name);
		if (!g->translator_profile) {
			set_error(err, errlen,
				  "%s:%u: [guest %s]: translator profile \"%s\" is not defined by "
				  "any [translator-profile] section",
				  g->file, g->line, g->name, g->translator_profile_name);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < c->n_sections; i++) {
		struct policy_section *s = c->sections[i];
		if (!s->guest_name)
			continue;
		s->guest = find_guest(c, s->guest_name);
		if (!s->guest) {
			set_error(err, errlen,
				  "%s:%u: guest \"%s\" is not defined by any [guest] section",
				  s->file, s->guest_line, s->guest_name);
			return -EINVAL;
		}
	}
	return 0;
}

static void config_freep(struct config **c)
{
	config_free(*c);
}

int config_load(const char *main_path, const char *dropin_dir, struct config **ret, char *err,
		size_t errlen)
{
	if (!main_path || !ret)
		return -EINVAL;
	set_error(err, errlen, "%s", "");
	__attribute__((cleanup(config_freep))) struct config *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int r = load_file(c, AT_FDCWD, main_path, main_path, err, errlen);
	if (r >= 0 && dropin_dir)
		r = load_dropins(c, dropin_dir, err, errlen);
	if (r >= 0)
		r = link_guest_references(c, err, errlen);
	if (r == -ENOMEM)
		set_error(err, errlen, "%s: out of memory", main_path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_guests; i++)
		config_guest_free(c->guests[i]);
	for (size_t i = 0; i < c->n_sections; i++)
		config_policy_section_free(c->sections[i]);
	for (size_t i = 0; i < c->n_profiles; i++)
		config_profile_free(c->profiles[i]);
	free(c->profiles);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->guests);
	free(c->sections);
	free(c);
}

size_t config_n_guests(const struct config *c)
{
	return c ? c->n_guests : 0;
}

const struct guest_config *config_guest(const struct config *c, size_t i)
{
	return c && i < c->n_guests ? c->guests[i] : NULL;
}

char *config_dropin_dir(const char *main_path)
{
	char *dir = NULL;
	if (!main_path || asprintf(&dir, "%s.d", main_path) < 0)
		return NULL;
	return dir;
}