/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Debian archive of the host's apt configuration. Reads files only;
 * returns -errno and never logs.
 * Runs in: x86nsctl, host namespaces. */

#include "guest-apt.h"

#include "util.h"

#include <dirent.h>
#include <stddef.h>
#include <strings.h>

/* Copies the next blank-separated word of *p into buf; false at the end.
 * A word that does not fit comes back empty, so it matches nothing. */
static bool next_word(const char **p, char *buf, size_t len)
{
	const char *s = *p + strspn(*p, " \t");
	size_t n = strcspn(s, " \t");
	if (n == 0)
		return false;
	*p = s + n;
	if (n >= len)
		n = 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static bool has_word(const char *list, const char *word)
{
	char w[64];
	while (next_word(&list, w, sizeof(w)))
		if (strcmp(w, word) == 0)
			return true;
	return false;
}

/* The suite itself ranks first; then any suite of the main archive, which
 * serves every release; the security archive ("bookworm-security", or
 * "buster/updates" before) serves only its pockets. */
static int suites_rank(const char *suites, const char *wanted)
{
	char w[64];
	int rank = 0;
	while (next_word(&suites, w, sizeof(w))) {
		if (strcmp(w, wanted) == 0)
			return 2;
		if (*w && !strstr(w, "security") && !strchr(w, '/'))
			rank = 1;
	}
	return rank;
}

static void mirror_consider(struct apt_mirror *best, const char *origin, const char *uris,
			    const char *suites, const char *components, const char *keyring,
			    const char *wanted)
{
	char uri[sizeof(best->uri)];
	int rank = suites_rank(suites, wanted);
	if (rank <= best->rank)
		return;
	while (next_word(&uris, uri, sizeof(uri))) {
		if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0 &&
		    strncmp(uri, "file:/", 6) != 0)
			continue;
		char comps[sizeof(best->components)] = "", w[64];
		while (next_word(&components, w, sizeof(w)))
			if (*w && strlen(comps) + strlen(w) + 2 < sizeof(comps))
				strcat(strcat(comps, *comps ? "," : ""), w);
		best->rank = rank;
		snprintf(best->uri, sizeof(best->uri), "%s", uri);
		snprintf(best->components, sizeof(best->components), "%s", comps);
		/* Only a key file is usable; an inline key block is left to the default. */
		snprintf(best->keyring, sizeof(best->keyring), "%s",
			 keyring[0] == '/' && !strpbrk(keyring, " \t") ? keyring : "");
		snprintf(best->origin, sizeof(best->origin), "%s", origin);
		return;
	}
}

/* One-line format: deb [ option=value ... ] URI SUITE [COMPONENT...] */
static void mirror_from_line(struct apt_mirror *best, const char *origin, const char *line,
			     const char *wanted)
{
	char word[512], uri[512], suite[64], keyring[256] = "";
	if (!next_word(&line, word, sizeof(word)) || strcmp(word, "deb") != 0)
		return;
	const char *s = line + strspn(line, " \t");
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end)
			return;
		const char *key = strstr(s, "signed-by=");
		if (key && key < end) {
			key += strlen("signed-by=");
			size_t n = strcspn(key, " \t]");
			if (n < sizeof(keyring))
				snprintf(keyring, sizeof(keyring), "%.*s", (int)n, key);
		}
		line = end + 1;
	}
	if (next_word(&line, uri, sizeof(uri)) && next_word(&line, suite, sizeof(suite)))
		mirror_consider(best, origin, uri, suite, line, keyring, wanted);
}

struct stanza {
	char types[64], uris[1024], suites[256], components[128], signed_by[256];
	bool disabled;
};

static void stanza_field(struct stanza *st, const char *line)
{
	static const struct {
		const char *key;
		size_t off, len;
	} fields[] = {
#define FIELD(k, m) { k, offsetof(struct stanza, m), sizeof(((struct stanza *)0)->m) }
		FIELD("Types", types),         FIELD("URIs", uris),
		FIELD("Suites", suites),       FIELD("Components", components),
		FIELD("Signed-By", signed_by),
#undef FIELD
	};
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	const char *value = colon + 1 + strspn(colon + 1, " \t");
	size_t key_len = (size_t)(colon - line);
	if (key_len == 7 && strncasecmp(line, "Enabled", 7) == 0)
		st->disabled = strncasecmp(value, "no", 2) == 0;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].key) == key_len &&
		    strncasecmp(line, fields[i].key, key_len) == 0)
			snprintf((char *)st + fields[i].off, fields[i].len, "%s", value);
}

static void mirror_from_file(struct apt_mirror *best, const char *path, const char *wanted)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	bool deb822 = strlen(path) > 8 && strcmp(path + strlen(path) - 8, ".sources") == 0;
	struct stanza st = { 0 };
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t n;
	do {
		n = getline(&line, &size, f);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n >= 0 && (line[0] == '#' || line[0] == ' ' || line[0] == '\t'))
			continue; /* comments; continuation lines of a multi-line field */
		if (!deb822) {
			if (n > 0)
				mirror_from_line(best, path, line, wanted);
		} else if (n > 0) {
			stanza_field(&st, line);
		} else {
			if (!st.disabled && has_word(st.types, "deb"))
				mirror_consider(best, path, st.uris, st.suites, st.components,
						st.signed_by, wanted);
			st = (struct stanza){ 0 };
		}
	} while (n >= 0);
}

static int sources_file_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	return de->d_name[0] != '.' && ((n > 5 && strcmp(de->d_name + n - 5, ".list") == 0) ||
					(n > 8 && strcmp(de->d_name + n - 8, ".sources") == 0));
}

int apt_mirror_find(const char *sources_list, const char *sources_dir, const char *suite,
		    struct apt_mirror *ret)
{
	*ret = (struct apt_mirror){ 0 };
	mirror_from_file(ret, sources_list, suite);
	struct dirent **names = NULL;
	int n = scandir(sources_dir, &names, sources_file_filter, alphasort);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		if (xsnprintf(path, sizeof(path), "%s/%s", sources_dir, names[i]->d_name) >= 0)
			mirror_from_file(ret, path, suite);
		free(names[i]);
	}
	free(names);
	return ret->rank > 0 ? 0 : -ENOENT;
}
