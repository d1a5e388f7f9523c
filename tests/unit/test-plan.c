/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/plan.c: what a start does on kernels that lack a
 * layer (fake features: Debian 12's 6.1, Debian 13's 6.12, 5.15), and the
 * parser of the host's binfmt_misc entries that stand in before 6.7. */
#include "binfmt.h"
#include "confine.h"
#include "plan.h"
#include "tap.h"
#include "util.h"

/* Debian 12: Landlock ABI 2, no binfmt_misc in a user namespace. */
static const struct kernel_features debian12 = {
	.major = 6, .minor = 1, .landlock_abi = 2, .binfmt_probed = true, .user_net = true
};
/* Debian 13: everything. */
static const struct kernel_features debian13 = { .major = 6,
						 .minor = 12,
						 .landlock_abi = 6,
						 .landlock_scoping = true,
						 .binfmt_userns = true,
						 .binfmt_probed = true,
						 .user_net = true };

static struct guest_config guest(const char *name)
{
	return (struct guest_config){ .name = (char *)name, .root = "/srv/g" };
}

static void test_landlock(void)
{
	struct guest_config g = guest("busybox");
	struct guest_plan p;

	guest_plan_make(&g, NETWORK_HOST, &debian13, &p);
	CHECK(p.startable && p.landlock && p.network == NETWORK_HOST && !p.network_stands_in,
	      "ABI 6, network host: Landlock scope, host network as configured (%s)", p.text);

	guest_plan_make(&g, NETWORK_HOST, &debian12, &p);
	CHECK(p.startable && !p.landlock && p.network == NETWORK_PRIVATE && p.network_stands_in,
	      "ABI 2, default config: starts, private user-mode network stands in (%s)", p.text);
	CHECK(strstr(p.text, "stands in for Landlock scoping"), "ABI 2: the plan says so");

	struct kernel_features no_pasta = debian12;
	no_pasta.user_net = false;
	snprintf(no_pasta.user_net_missing, sizeof(no_pasta.user_net_missing),
		 "/usr/bin/pasta (Debian package passt)");
	guest_plan_make(&g, NETWORK_HOST, &no_pasta, &p);
	CHECK(!p.startable && strstr(p.text, "guest 'busybox'") &&
		  strstr(p.text, "install passt") && strstr(p.text, "landlock = no"),
	      "ABI 2 without pasta: refused, naming the guest, passt and the key (%s)", p.text);

	guest_plan_make(&g, NETWORK_NONE, &no_pasta, &p);
	CHECK(p.startable && p.network == NETWORK_NONE && !p.landlock,
	      "ABI 2, network none: own namespace, nothing needed (%s)", p.text);

	guest_plan_make(&g, NETWORK_PRIVATE, &debian12, &p);
	CHECK(p.startable && p.network == NETWORK_PRIVATE && !p.network_stands_in,
	      "ABI 2, network private: as configured");
	guest_plan_make(&g, NETWORK_PRIVATE, &no_pasta, &p);
	CHECK(!p.startable && strstr(p.text, "network = private"),
	      "network private without pasta: refused (%s)", p.text);
	guest_plan_make(&g, NETWORK_PRIVATE, &debian13, &p);
	CHECK(p.startable && p.landlock && p.network == NETWORK_PRIVATE,
	      "ABI 6, network private: the scope stays as well");

	g.relax = RELAX_LANDLOCK;
	guest_plan_make(&g, NETWORK_HOST, &no_pasta, &p);
	CHECK(p.startable && !p.landlock && p.network == NETWORK_HOST,
	      "landlock = no: host network, no stand-in, as the administrator asked (%s)", p.text);

	struct kernel_features abi_lies = debian13;
	abi_lies.landlock_scoping = false; /* reports 6, cannot make the ruleset */
	g.relax = 0;
	guest_plan_make(&g, NETWORK_HOST, &abi_lies, &p);
	CHECK(p.startable && p.network_stands_in,
	      "an ABI number without working scopes: the stand-in, not a failing start");
}

static void test_translation(void)
{
	struct guest_config g = guest("arm");
	g.translator = "/usr/bin/qemu-aarch64-static";
	g.translator_machines = 1u << MACHINE_AARCH64;
	struct guest_plan p;

	guest_plan_make(&g, NETWORK_HOST, &debian13, &p);
	CHECK(p.startable && p.translation == TRANSLATE_CONTAINER,
	      "6.12: the container's own binfmt_misc (%s)", p.text);

	guest_plan_make(&g, NETWORK_HOST, &debian12, &p);
	CHECK(!p.startable && strstr(p.text, "translator-machines") &&
		  strstr(p.text, "[guest arm]"),
	      "6.1 without a host registration: refused at start, naming the key (%s)", p.text);

	struct kernel_features with_host = debian12;
	with_host.host_binfmt = 1u << MACHINE_AARCH64;
	snprintf(with_host.host_binfmt_name[MACHINE_AARCH64], 64, "qemu-aarch64 (/usr/libexec/x)");
	guest_plan_make(&g, NETWORK_HOST, &with_host, &p);
	CHECK(p.startable && p.translation == TRANSLATE_HOST && strstr(p.text, "qemu-aarch64"),
	      "6.1 with the host's registration: starts through it and says so (%s)", p.text);

	g.translator_machines |= 1u << MACHINE_ARM;
	guest_plan_make(&g, NETWORK_HOST, &with_host, &p);
	CHECK(!p.startable && strstr(p.text, "= aarch64 arm ") && strstr(p.text, "of arm "),
	      "a machine without a host registration: refused, naming that machine (%s)", p.text);

	g.translator_machines = 0;
	guest_plan_make(&g, NETWORK_HOST, &debian12, &p);
	CHECK(p.startable && p.translation == TRANSLATE_INIT,
	      "no machines: only the init is translated, on any kernel");

	struct kernel_features old = debian12;
	old.major = 5;
	old.minor = 15;
	guest_plan_make(&g, NETWORK_HOST, &old, &p);
	CHECK(!p.startable && strstr(p.text, "5.19"), "Linux 5.15: refused in one line (%s)",
	      p.text);
}

/* /proc/sys/fs/binfmt_misc/qemu-aarch64 as Debian 12's systemd-binfmt
 * registers it (seen on the real server). */
static const char debian_aarch64[] = "enabled\n"
				     "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
				     "flags: POF\n"
				     "offset 0\n"
				     "magic 7f454c460201010000000000000000000200b700\n"
				     "mask ffffffffffffff00fffffffffffffffffeffffff\n";

static void test_host_entries(void)
{
	struct binfmt_entry e;
	CHECK_INT_EQ(binfmt_entry_parse(debian_aarch64, &e), 0,
		     "Debian's qemu-aarch64 entry parses");
	CHECK_STR_EQ(e.interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "its interpreter");
	CHECK_STR_EQ(e.flags, "POF", "its flags");
	CHECK(binfmt_entry_runs(&e, MACHINE_AARCH64), "it runs aarch64 executables and PIEs");
	CHECK(!binfmt_entry_runs(&e, MACHINE_ARM), "not arm");
	CHECK(!binfmt_entry_runs(&e, MACHINE_X86_64), "not x86_64");

	char text[512];
	snprintf(text, sizeof(text), "disabled\n%s", strchr(debian_aarch64, '\n') + 1);
	CHECK(binfmt_entry_parse(text, &e) == 0 && !binfmt_entry_runs(&e, MACHINE_AARCH64),
	      "a disabled entry runs nothing");

	/* Only ET_EXEC: PIEs (ET_DYN) would fail with ENOEXEC. */
	snprintf(text, sizeof(text),
		 "enabled\ninterpreter /q\nflags: F\noffset 0\n"
		 "magic 7f454c460201010000000000000000000200b700\n");
	CHECK(binfmt_entry_parse(text, &e) == 0 && !binfmt_entry_runs(&e, MACHINE_AARCH64),
	      "an entry that misses PIEs does not count");
	CHECK_INT_EQ(binfmt_entry_parse("enabled\ninterpreter /usr/bin/wine\nflags: \n"
					"extension .exe\n",
					&e),
		     0, "an extension entry parses");
	CHECK(!binfmt_entry_runs(&e, MACHINE_I386), "and runs no machine");
	CHECK(binfmt_entry_parse("enabled\n", &e) < 0, "an entry without interpreter is refused");
	CHECK(binfmt_entry_parse("enabled\ninterpreter /q\nmagic 7f4\n", &e) < 0,
	      "an odd number of hex digits is refused");
}

int main(void)
{
	test_landlock();
	test_translation();
	test_host_entries();
	return tap_exit();
}
