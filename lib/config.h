/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /etc/security/x86ns.conf and the *.conf files in x86ns.conf.d: parsing,
 * validation and resolution of the policy that applies to one user. Pure
 * logic: no NSS, no logging. Errors are -errno plus a one-line message
 * naming file:line. The format is documented in x86ns.conf(5). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef X86NS_SYSCONFDIR
#define X86NS_SYSCONFDIR "/etc"
#endif
#define X86NS_CONFIG_PATH X86NS_SYSCONFDIR "/security/x86ns.conf"
#define CONFIG_ERROR_MAX  512

enum ready_mode { READY_IMMEDIATE, READY_NOTIFY };
enum stop_policy { STOP_LAST_LOGOUT, STOP_LINGER, STOP_NEVER };
/* private: a network namespace of the container's own whose traffic goes
 * out through a user-mode network stack (pasta) run as the user. */
enum network_mode { NETWORK_HOST, NETWORK_NONE, NETWORK_PRIVATE };
enum ready_timeout_action { TIMEOUT_DENY, TIMEOUT_WARN };
/* x86: 32-bit guests (i386) run with PER_LINUX32, so uname -m says i686. */
enum guest_personality { PERSONALITY_NATIVE, PERSONALITY_X86 };

/* [translator-profile NAME]: what x86ns must know about a translator's
 * quirks, as data (x86ns.conf(5), TRANSLATOR PROFILES). */
struct translator_profile {
	char *name;
	bool require_static;      /* "static = yes": a dynamic build loses its libraries
				   * at pivot_root, so starting with one is refused */
	int signal_offset;        /* real-time signals reach the guest shifted by this */
	char **reset_credentials; /* units whose LoadCredential= is reset by a runtime
				   * drop-in: the translator cannot emulate clone()
				   * with namespace flags, which credentials need */
	size_t n_reset_credentials;
	char *file;
	unsigned line;
};

#define TRANSLATOR_ARGS_MAX 16

struct guest_config {
	char *name;
	char *root;       /* absolute host path of the guest tree */
	char *init;       /* NULL = builtin reaper init; else absolute guest path */
	char *translator; /* NULL = none; else absolute host path */
	char *translator_args[TRANSLATOR_ARGS_MAX + 1]; /* NULL-terminated */
	unsigned translator_machines;                   /* bit set of enum binfmt_machine */
	char *translator_profile_name;
	const struct translator_profile *translator_profile; /* linked at load; NULL */
	unsigned relax; /* enum confine_relax: layers this guest turns off */
	char *hostname; /* never NULL after config_load: defaults to the name */
	enum ready_mode ready;
	enum guest_personality personality;             /* default native */
	unsigned ready_timeout_sec;                     /* default 60 */
	enum ready_timeout_action ready_timeout_action; /* default deny */
	int stop_signal;           /* default SIGTERM (builtin), SIGRTMIN+4 (other inits) */
	unsigned stop_timeout_sec; /* grace before the cgroup is killed; default 10 */
	char *file;                /* where it was defined, for messages */
	unsigned line;
};

struct bind_mount {
	char *source; /* absolute host path; "~/..." = below the user's home */
	char *target; /* absolute guest path; NULL = the same path as the
		       * source, after "~/" expansion */
	bool read_only;
};

/* The policy for one user, after [default], [group] and [user] sections. */
struct user_policy {
	const struct guest_config *guest; /* NULL: user is not containerized */
	enum stop_policy stop;
	unsigned linger_sec;
	uint64_t pids_max;    /* 0 = no limit */
	uint64_t memory_max;  /* bytes, 0 = no limit */
	unsigned cpu_percent; /* 0 = no limit; 100 = one CPU */
	enum network_mode network;
	bool protect_home;        /* default yes: the home's login files read-only */
	uint64_t layer_size;      /* bytes of the writable layer, 0 = no limit */
	bool machined;            /* register with systemd-machined; default no */
	struct bind_mount *binds; /* array owned by the policy, strings by the config */
	size_t n_binds;
};

/* layer-size: the default, and the smallest that holds a file system. */
#define LAYER_SIZE_DEFAULT (10ULL << 30)
#define LAYER_SIZE_MIN     (4ULL << 20)

struct config;

/* Load main_path, then every *.conf in dropin_dir (may be NULL; a missing
 * directory is fine) in lexical order. On error returns -errno and fills
 * err with "FILE:LINE: message".
 *
 * err is a parse report, not a struct error (lib/error.h): it is the
 * complete line the administrator reads (x86nsctl check-config prints it
 * as is, the PAM module and the launcher prefix it), it has no step, and a
 * file name plus the offending value need more than struct error's
 * message holds (CONFIG_ERROR_MAX). */
int config_load(const char *main_path, const char *dropin_dir, struct config **ret, char *err,
		size_t errlen);

/* The policy for user `name` who is a member of the groups `groups`. The
 * returned policy points into c and lives as long as c; release it with
 * user_policy_done(). A user no section selects gets ret->guest == NULL. */
int config_resolve(const struct config *c, const char *name, const char *const *groups,
		   size_t n_groups, struct user_policy *ret);

void config_free(struct config *c);
void user_policy_done(struct user_policy *p);

/* The stop signal as the guest's init receives it: a translator that
 * shifts real-time signals (profile signal-offset) gets it shifted back. */
int guest_stop_signal_for_host(const struct guest_config *g);

/* Iterate over defined guests (for x86nsctl check-config). */
size_t config_n_guests(const struct config *c);
const struct guest_config *config_guest(const struct config *c, size_t i);

/* The network modes users of this configuration get (bits 1 << enum
 * network_mode): the [default] one and every one a section sets, for
 * x86nsctl check, which plans each guest for each. */
unsigned config_network_modes(const struct config *c);

/* "path.d" for a main config path: "/etc/security/x86ns.conf" ->
 * "/etc/security/x86ns.conf.d". Caller frees. */
char *config_dropin_dir(const char *main_path);

/* The syntax of single values (lib/config-values.c). Parsers return 0 or
 * -EINVAL and store only on success. */
/* Guest names end up in paths and messages: one word, no '/', not "none". */
bool config_guest_name_is_valid(const char *s);
/* User and group names: non-empty, no whitespace or control characters. */
bool config_name_is_valid(const char *s);
/* Labels of letters, digits and '-', at most 64 characters in all. */
bool config_hostname_is_valid(const char *s);
/* Absolute, no "." or ".." components, no control characters: root code
 * uses these paths, so each must name exactly one place. */
bool config_path_is_valid(const char *s);
/* "90", "90s", "2m", "1h" -> seconds; `units` lists the allowed suffixes
 * among "s", "m" and "h". */
int config_parse_duration(const char *s, const char *units, unsigned *ret);
/* Bytes with an optional binary K/M/G/T suffix; 0 is refused. */
int config_parse_size(const char *s, uint64_t *ret);
/* "150%" -> 150. */
int config_parse_percent(const char *s, unsigned *ret);
/* "TERM", "SIGTERM", "RTMIN+4", "SIGRTMAX-2" (any case) or a number. */
int config_parse_signal(const char *s, int *ret);
