/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The launcher's wire formats: see launch-proto.h. */
#include "launch-proto.h"

#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool value_ok(const char *v)
{
	return v[strcspn(v, " \t\r\n")] == '\0';
}

static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = *off < len ? vsnprintf(buf + *off, len - *off, fmt, ap) : -1;
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENAMETOOLONG;
	*off += (size_t)n;
	return 0;
}

int launch_reply_format(const struct launch_reply *r, unsigned fields, char *buf, size_t len)
{
	size_t off = 0;
	int e = 0;
	if (len == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (fields & LAUNCH_REPLY_GUEST) {
		if (!r->guest[0] || !value_ok(r->guest) || !r->translator[0] ||
		    !value_ok(r->translator))
			return -EINVAL;
		e = append(buf, len, &off, "guest=%s translator=%s ", r->guest, r->translator);
	}
	if (e >= 0 && (fields & LAUNCH_REPLY_STARTED))
		e = append(buf, len, &off, "pid=%u started=%d ", (unsigned)r->init_pid, r->started);
	if (e >= 0 && (fields & LAUNCH_REPLY_STOPPING))
		e = append(buf, len, &off, "stopping=%d ", r->stopping);
	if (e >= 0 && (fields & LAUNCH_REPLY_RESET))
		e = append(buf, len, &off, "reset=%d ", r->reset);
	if (e < 0)
		return e;
	if (off == 0)
		return -EINVAL;
	buf[off - 1] = '\n'; /* the last word's space ends the line */
	return (int)off;
}

static int parse_bool(const char *v, bool *ret)
{
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return -EBADMSG;
	*ret = v[0] == '1';
	return 0;
}

static int copy_value(const char *v, char *buf, size_t len)
{
	if (!v[0] || xsnprintf(buf, len, "%s", v) < 0)
		return -EBADMSG;
	return 0;
}

/* One "key=value" word. */
static int reply_word(char *word, struct launch_reply *r)
{
	char *eq = strchr(word, '=');
	if (!eq || eq == word)
		return -EBADMSG;
	*eq = '\0';
	const char *key = word, *v = eq + 1;
	if (strcmp(key, "guest") == 0) {
		r->fields |= LAUNCH_REPLY_GUEST;
		return copy_value(v, r->guest, sizeof(r->guest));
	}
	if (strcmp(key, "translator") == 0) {
		r->fields |= LAUNCH_REPLY_GUEST;
		return copy_value(v, r->translator, sizeof(r->translator));
	}
	if (strcmp(key, "pid") == 0) {
		r->fields |= LAUNCH_REPLY_STARTED;
		return parse_u32(v, &r->init_pid) < 0 ? -EBADMSG : 0;
	}
	if (strcmp(key, "started") == 0) {
		r->fields |= LAUNCH_REPLY_STARTED;
		return parse_bool(v, &r->started);
	}
	if (strcmp(key, "stopping") == 0) {
		r->fields |= LAUNCH_REPLY_STOPPING;
		return parse_bool(v, &r->stopping);
	}
	if (strcmp(key, "reset") == 0) {
		r->fields |= LAUNCH_REPLY_RESET;
		return parse_bool(v, &r->reset);
	}
	return -EBADMSG;
}

int launch_reply_parse(const char *text, struct launch_reply *ret)
{
	*ret = (struct launch_reply){ 0 };
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, " \n");
		if (n > 0) {
			char word[256];
			if (n >= sizeof(word))
				return -EBADMSG;
			memcpy(word, p, n);
			word[n] = '\0';
			int r = reply_word(word, ret);
			if (r < 0)
				return r;
		}
		p += n;
		if (*p)
			p++;
	}
	/* Both halves of a group or neither. */
	if ((ret->fields & LAUNCH_REPLY_GUEST) && (!ret->guest[0] || !ret->translator[0]))
		return -EBADMSG;
	return 0;
}

/* "STEP: MESSAGE" of an error, on one line. */
static int error_format(const struct error *e, char *buf, size_t len, size_t *off)
{
	if (!e->step[0] || strpbrk(e->step, ":\n"))
		return -EINVAL;
	size_t start = *off;
	int r = append(buf, len, off, "%s: %s", e->step, e->message);
	if (r < 0)
		return r;
	for (size_t i = start; i < *off; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	return 0;
}

/* The reverse, from the n bytes at text (no line break in them). */
static int error_parse(const char *text, size_t n, struct error *ret)
{
	const char *colon = memmem(text, n, ": ", 2);
	if (!colon || memchr(text, '\n', n))
		return -EBADMSG;
	size_t step_len = (size_t)(colon - text), message_len = n - step_len - 2;
	if (step_len == 0 || step_len >= sizeof(ret->step) || memchr(text, '\0', n))
		return -EBADMSG;
	if (message_len >= sizeof(ret->message))
		message_len = sizeof(ret->message) - 1; /* cut, as error_set cuts */
	memcpy(ret->step, text, step_len);
	ret->step[step_len] = '\0';
	memcpy(ret->message, colon + 2, message_len);
	ret->message[message_len] = '\0';
	return 0;
}

int launch_status_format(const struct launch_status *s, char *buf, size_t len)
{
	size_t off = 0;
	int r = s->ok ? (s->init_pid ? append(buf, len, &off, "ok pid=%u", (unsigned)s->init_pid)
				     : -EINVAL)
		      : append(buf, len, &off, "err ");
	if (r >= 0 && !s->ok)
		r = error_format(&s->error, buf, len, &off);
	if (r >= 0)
		r = append(buf, len, &off, "\n");
	return r < 0 ? r : (int)off;
}

int launch_status_parse(const char *text, struct launch_status *ret)
{
	*ret = (struct launch_status){ 0 };
	bool have_ok = false;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > 4 && strncmp(p, "err ", 4) == 0) {
			/* The first failure is the one to tell. */
			int r = error_parse(p + 4, n - 4, &ret->error);
			if (r < 0)
				return r;
			ret->ok = false;
			return 0;
		}
		char line[32];
		uint32_t pid;
		if (n < 7 || n >= sizeof(line) || strncmp(p, "ok pid=", 7) != 0 || have_ok)
			return -EBADMSG;
		memcpy(line, p + 7, n - 7);
		line[n - 7] = '\0';
		if (parse_u32(line, &pid) < 0 || pid == 0)
			return -EBADMSG;
		have_ok = true;
		ret->init_pid = pid;
		p += n;
		if (*p)
			p++;
	}
	if (!have_ok)
		return -ENODATA;
	ret->ok = true;
	return 0;
}

static const char *const sync_words[] = {
	[SYNC_GO] = "go",
	[SYNC_SPAWNER] = "spawner",
	[SYNC_FAILED] = "failed",
};

size_t sync_message_fds(enum sync_kind kind)
{
	return kind == SYNC_GO ? 2 : kind == SYNC_SPAWNER ? 1 : 0;
}

int sync_message_format(const struct sync_message *m, char *buf, size_t len)
{
	if ((size_t)m->kind >= ARRAY_SIZE(sync_words))
		return -EINVAL;
	size_t off = 0;
	int r = append(buf, len, &off, "%s", sync_words[m->kind]);
	if (r >= 0 && m->kind == SYNC_FAILED)
		r = append(buf, len, &off, " ");
	if (r >= 0 && m->kind == SYNC_FAILED)
		r = error_format(&m->error, buf, len, &off);
	return r < 0 ? r : (int)off;
}

int sync_message_parse(const char *text, size_t len, size_t n_fds, struct sync_message *ret)
{
	*ret = (struct sync_message){ 0 };
	for (size_t k = 0; k < ARRAY_SIZE(sync_words); k++) {
		size_t wlen = strlen(sync_words[k]);
		if (len < wlen || memcmp(text, sync_words[k], wlen) != 0)
			continue;
		ret->kind = (enum sync_kind)k;
		if (n_fds != sync_message_fds(ret->kind))
			return -EBADMSG;
		if (ret->kind != SYNC_FAILED)
			return len == wlen ? 0 : -EBADMSG;
		if (len == wlen || text[wlen] != ' ')
			return -EBADMSG;
		return error_parse(text + wlen + 1, len - wlen - 1, &ret->error);
	}
	return -EBADMSG;
}
