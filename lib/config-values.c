/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syntax of single values in x86ns.conf(5): names, paths, durations,
 * sizes, signals. Kept apart from config.c, which reads files and sections,
 * so that each stays small; x86nsctl may use these too. */
#include "config.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>

#define GUEST_NAME_MAX 64
#define HOSTNAME_MAX   64

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool has_space_or_control(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return true;
	return false;
}

bool config_guest_name_is_valid(const char *s)
{
	return *s && strlen(s) <= GUEST_NAME_MAX && !has_space_or_control(s) && !strchr(s, '/') &&
	       !streq(s, ".") && !streq(s, "..") && !streq(s, "none");
}

bool config_name_is_valid(const char *s)
{
	return *s && !has_space_or_control(s);
}

bool config_hostname_is_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (const char *label = s;;) {
		size_t n = strspn(label, "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
			return false;
		if (label[n] == '\0')
			return true;
		if (label[n] != '.')
			return false;
		label += n + 1;
	}
}

bool config_path_is_valid(const char *s)
{
	if (s[0] != '/' || strlen(s) >= PATH_MAX)
		return false;
	for (const char *c = s; *c; c++)
		if (iscntrl((unsigned char)*c))
			return false;
	for (const char *comp = s; *comp;) {
		while (*comp == '/')
			comp++;
		size_t len = strcspn(comp, "/");
		if ((len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return false;
		comp += len;
	}
	return true;
}

int config_parse_duration(const char *s, const char *units, unsigned *ret)
{
	size_t digits = strspn(s, "0123456789");
	char number[24];
	uint64_t v, mult = 1;
	if (digits == 0 || digits >= sizeof(number))
		return -EINVAL;
	if (s[digits]) {
		if (s[digits + 1] || !strchr(units, s[digits]))
			return -EINVAL;
		mult = s[digits] == 'h' ? 3600 : s[digits] == 'm' ? 60 : 1;
	}
	memcpy(number, s, digits);
	number[digits] = '\0';
	if (parse_u64(number, &v) < 0 || v > UINT_MAX / mult)
		return -EINVAL;
	*ret = (unsigned)(v * mult);
	return 0;
}

int config_parse_size(const char *s, uint64_t *ret)
{
	size_t digits = strspn(s, "0123456789");
	char number[24];
	unsigned shift = 0;
	uint64_t v;
	if (digits == 0 || digits >= sizeof(number))
		return -EINVAL;
	if (s[digits]) {
		const char *units = "KMGT", *u = strchr(units, toupper((unsigned char)s[digits]));
		if (s[digits + 1] || !u)
			return -EINVAL;
		shift = 10 * (unsigned)(u - units + 1);
	}
	memcpy(number, s, digits);
	number[digits] = '\0';
	if (parse_u64(number, &v) < 0 || v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

int config_parse_percent(const char *s, unsigned *ret)
{
	size_t digits = strspn(s, "0123456789");
	char number[16];
	uint32_t v;
	if (digits == 0 || digits >= sizeof(number) || !streq(s + digits, "%"))
		return -EINVAL;
	memcpy(number, s, digits);
	number[digits] = '\0';
	if (parse_u32(number, &v) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{ "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },       { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },       { "BUS", SIGBUS },   { "FPE", SIGFPE },
	{ "KILL", SIGKILL },     { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },
#ifdef SIGSTKFLT
	{ "STKFLT", SIGSTKFLT },
#endif
	{ "CHLD", SIGCHLD },     { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG },       { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO },         { "POLL", SIGPOLL },
#ifdef SIGPWR
	{ "PWR", SIGPWR },
#endif
	{ "SYS", SIGSYS },
};

/* RTMIN is the C library's SIGRTMIN, the value guest inits such as systemd
 * are built with. */
int config_parse_signal(const char *s, int *ret)
{
	uint32_t n = 0;
	if (isdigit((unsigned char)*s)) {
		if (parse_u32(s, &n) < 0 || n == 0 || n > (uint32_t)SIGRTMAX)
			return -EINVAL;
		*ret = (int)n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	bool rtmin = strncasecmp(s, "RTMIN", 5) == 0, rtmax = strncasecmp(s, "RTMAX", 5) == 0;
	if (rtmin || rtmax) {
		if (s[5] && (s[5] != (rtmin ? '+' : '-') || parse_u32(s + 6, &n) < 0 ||
			     n > (uint32_t)(SIGRTMAX - SIGRTMIN)))
			return -EINVAL;
		*ret = rtmin ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(s, signal_names[i].name) == 0) {
			*ret = signal_names[i].number;
			return 0;
		}
	return -EINVAL;
}
