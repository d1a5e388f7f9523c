/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest_plan_make: the one decision of what a start does on this kernel
 * (lib/plan.h). Pure logic: the features come from kernel_features_probe
 * (lib/kernel.c) or, in the unit tests, from a table. */
#include "plan.h"
#include "confine.h"
#include "landlock.h"
#include "util.h"

#include <stdarg.h>

const char *network_mode_name(enum network_mode m)
{
	switch (m) {
	case NETWORK_HOST: return "host";
	case NETWORK_NONE: return "none";
	case NETWORK_PRIVATE: return "private";
	}
	return "unknown";
}

unsigned guest_plan_probes(const struct guest_config *g)
{
	return g->translator && g->translator_machines ? PROBE_BINFMT : 0;
}

static void refuse(struct guest_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(struct guest_plan *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(p->text, sizeof(p->text), fmt, ap) < 0)
		p->text[0] = '\0';
	va_end(ap);
	p->startable = false;
}

/* Append to the description of a startable plan. */
static void say(struct guest_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct guest_plan *p, const char *fmt, ...)
{
	size_t len = strlen(p->text);
	if (len && len + 2 < sizeof(p->text)) {
		memcpy(p->text + len, "; ", 3);
		len += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(p->text + len, sizeof(p->text) - len, fmt, ap);
	va_end(ap);
}

static void machine_list(unsigned set, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int m = 0; m < N_MACHINES; m++)
		if (set & (1u << m)) {
			int r = xsnprintf(buf + off, size - off, "%s%s", off ? " " : "",
					  binfmt_machine_name((enum binfmt_machine)m));
			if (r < 0)
				return;
			off += (size_t)r;
		}
}

static bool plan_translation(const struct guest_config *g, const struct kernel_features *k,
			     struct guest_plan *p)
{
	if (!g->translator) {
		p->translation = TRANSLATE_NONE;
		say(p, "native");
		return true;
	}
	if (!g->translator_machines) {
		p->translation = TRANSLATE_INIT;
		say(p, "init through %s", g->translator);
		return true;
	}
	char machines[128];
	machine_list(g->translator_machines, machines, sizeof(machines));
	if (k->binfmt_userns) {
		p->translation = TRANSLATE_CONTAINER;
		say(p, "%s through %s, registered in the container's binfmt_misc", machines,
		    g->translator);
		return true;
	}
	unsigned uncovered = g->translator_machines & ~k->host_binfmt;
	if (!uncovered) {
		p->translation = TRANSLATE_HOST;
		say(p, "%s through the host's binfmt_misc registration%s", machines,
		    g->translator_machines & (g->translator_machines - 1) ? "s" : "");
		for (int m = 0; m < N_MACHINES; m++)
			if (g->translator_machines & (1u << m))
				say(p, "%s: %s", binfmt_machine_name((enum binfmt_machine)m),
				    k->host_binfmt_name[m]);
		say(p, "init through %s", g->translator);
		return true;
	}
	char missing[128];
	machine_list(uncovered, missing, sizeof(missing));
	refuse(p,
	       "guest '%s': translator-machines = %s needs binfmt_misc in a user namespace "
	       "(Linux 6.7) or a host-wide binfmt_misc registration of %s with the F flag "
	       "(Debian: qemu-user-static); this kernel has neither: register one, or remove "
	       "translator-machines in [guest %s] to translate only the init",
	       g->name, machines, missing, g->name);
	return false;
}

static bool plan_network(const struct guest_config *g, enum network_mode network,
			 const struct kernel_features *k, struct guest_plan *p)
{
	bool want_landlock = !(g->relax & RELAX_LANDLOCK);
	p->network = network;
	p->landlock = want_landlock && k->landlock_scoping;
	if (want_landlock && !k->landlock_scoping && network == NETWORK_HOST) {
		/* Abstract unix sockets live in a network namespace: in a
		 * private one the host's are not there. */
		if (!k->user_net) {
			refuse(p,
			       "guest '%s': this kernel lacks Landlock scoping (Linux 6.12; it has "
			       "ABI %d) and the private user-mode network that stands in for it "
			       "needs %s: install passt, or set \"network = none\" for its users, "
			       "or \"landlock = no\" in [guest %s] to run without the scope",
			       g->name, k->landlock_abi, k->user_net_missing, g->name);
			return false;
		}
		p->network = NETWORK_PRIVATE;
		p->network_stands_in = true;
	}
	if (p->network == NETWORK_PRIVATE && !k->user_net) {
		refuse(p,
		       "guest '%s': network = private needs %s: install passt, or change network",
		       g->name, k->user_net_missing);
		return false;
	}
	if (p->network_stands_in)
		say(p,
		    "network private (pasta) instead of host: it stands in for Landlock scoping, "
		    "which this kernel lacks (ABI %d, needs %d, Linux 6.12)",
		    k->landlock_abi, LANDLOCK_SCOPE_ABI);
	else
		say(p, "network %s", network_mode_name(p->network));
	if (p->landlock)
		say(p, "Landlock scope");
	else if (!want_landlock)
		say(p, "no Landlock scope (landlock = no)");
	else if (!p->network_stands_in)
		say(p, "no Landlock scope (kernel ABI %d): own network namespace", k->landlock_abi);
	return true;
}

void guest_plan_make(const struct guest_config *g, enum network_mode network,
		     const struct kernel_features *k, struct guest_plan *ret)
{
	*ret = (struct guest_plan){ .startable = true, .network = network };
	if (k->major && (k->major < KERNEL_OLDEST_MAJOR ||
			 (k->major == KERNEL_OLDEST_MAJOR && k->minor < KERNEL_OLDEST_MINOR))) {
		refuse(ret,
		       "Linux %u.%u is older than %d.%d, the oldest x86ns runs on (overlayfs over "
		       "the idmapped guest tree); guest '%s' cannot start on it",
		       k->major, k->minor, KERNEL_OLDEST_MAJOR, KERNEL_OLDEST_MINOR, g->name);
		return;
	}
	if (!plan_translation(g, k, ret))
		return;
	(void)plan_network(g, network, k, ret);
}
