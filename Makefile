# x86ns — per-user guest containers for logins. See README.md.

.DEFAULT_GOAL := all

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
# The PAM module directory of this system, so that "pam_x86ns.so" needs no path.
PAMDIR      ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH >/dev/null 2>&1 && \
		echo /lib/$$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security || \
		(test -d /lib64/security && echo /lib64/security || echo /lib/security))

CC      ?= cc
# make V=1 shows the full command lines.
V ?= 0
ifeq ($(V),0)
Q = @
MSG = @printf '  %-6s %s\n'
else
Q =
MSG = @true
endif
# CFLAGS, CPPFLAGS and LDFLAGS from the environment (dpkg-buildflags for
# the Debian package) come after the project's own flags: they add to the
# warnings and hardening below, they do not replace them.
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	   -Wstrict-prototypes -Wmissing-prototypes -Wvla
# A build system that chooses its own _FORTIFY_SOURCE level keeps it: a
# second, different definition is a "redefined" warning, an error here.
FORTIFY := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN  := -fstack-protector-strong $(FORTIFY) -fstack-clash-protection \
	   -fcf-protection -fno-strict-overflow -fno-delete-null-pointer-checks
LDHARDEN := -Wl,-z,relro,-z,now,-z,noexecstack $(LDFLAGS)
DEFS    := -D_GNU_SOURCE -DX86NS_LIBEXECDIR='"$(LIBEXECDIR)/x86ns"' \
	   -DX86NS_SYSCONFDIR='"$(SYSCONFDIR)"'
ALL_CFLAGS := -std=gnu11 $(WARN) $(HARDEN) $(DEFS) -Ilib $(CPPFLAGS) $(CFLAGS)

# One folder per program (docs/HACKING.md): the folder is the process.
#   pam_x86ns/   pam_x86ns.so     host root, inside sshd/login/su
#   launch/      x86ns-launch     host root, one request; its clone is the container child
#   monitor/     x86ns-monitor    host root, resident for the container's life
#   guest/       x86ns-init, x86ns-spawner   guest root, inside the guest
#   shell/       x86ns-shell      the user
#   ctl/         x86nsctl         host root, one admin command
#   lib/         code shared by several of them (libx86ns.a)
#   seccomp-gen/ the build-time generator of lib/seccomp-programs.c
PROGS := pam_x86ns/pam_x86ns.so launch/x86ns-launch monitor/x86ns-monitor \
	 guest/x86ns-init guest/x86ns-spawner ctl/x86nsctl shell/x86ns-shell

# lib/seccomp-programs.c is generated (below), also where it does not exist
# yet; the generator in seccomp-gen/ links libseccomp and is not library code.
SECCOMP_TOOL_SRC := seccomp-gen/seccomp-gen.c seccomp-gen/seccomp-build.c \
		    seccomp-gen/seccomp-policy.c
SECCOMP_TOOL_HDR := seccomp-gen/seccomp-build.h seccomp-gen/seccomp-policy.h
LIB_SRC  := $(filter-out lib/seccomp-programs.c,$(wildcard lib/*.c)) lib/seccomp-programs.c
LIB_OBJ  := $(LIB_SRC:.c=.o)
LIB_PIC  := $(LIB_SRC:.c=.pic.o)

LAUNCH_SRC := $(wildcard launch/*.c)
MONITOR_SRC := $(wildcard monitor/*.c)
CTL_SRC    := $(wildcard ctl/*.c)
SHELL_SRC  := $(wildcard shell/*.c)

.PHONY: all clean install uninstall check check-vm unit bench demo format lint install-selinux deb
# Installed, the launcher runs the monitor, init and spawner from its own
# directory (libexec/x86ns/), and x86nsctl finds the launcher beside itself
# before the installed one. In the build tree these links stand in for that
# directory, so that the tests run the programs they just built.
SIBLING_LINKS := launch/x86ns-monitor launch/x86ns-init launch/x86ns-spawner ctl/x86ns-launch
launch/x86ns-monitor: monitor/x86ns-monitor
launch/x86ns-init launch/x86ns-spawner: launch/%: guest/%
ctl/x86ns-launch: launch/x86ns-launch
$(SIBLING_LINKS):
	$(Q)ln -sfn ../$< $@

all: $(PROGS) $(SIBLING_LINKS)

lib/%.o: lib/%.c lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -c -o $@ $<
lib/%.pic.o: lib/%.c lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<
# Archives are made afresh: no member of a source that is gone stays in.
lib/libx86ns.a: $(LIB_OBJ)
	$(MSG) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^
lib/libx86ns-pic.a: $(LIB_PIC)
	$(MSG) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# The guest's system call filters as BPF, built at build time: libseccomp
# takes ~8 ms to build one, on every login's join; loading a ready program
# takes ~0.2 ms. Only the generator and the unit test link libseccomp.
# They take -iquote lib, not -Ilib, so that <seccomp.h> is libseccomp's and
# not lib/seccomp.h.
SECCOMP_TOOL_CFLAGS := $(filter-out -Ilib,$(ALL_CFLAGS)) -iquote lib -iquote seccomp-gen
seccomp-gen/seccomp-gen: $(SECCOMP_TOOL_SRC) $(SECCOMP_TOOL_HDR) lib/confine.h lib/util.h
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -o $@ $(SECCOMP_TOOL_SRC) -lseccomp
lib/seccomp-programs.c: seccomp-gen/seccomp-gen
	$(MSG) GEN $@
	$(Q)seccomp-gen/seccomp-gen $@

# The PAM module: exports only pam_sm_* (version script).
pam_x86ns/pam_x86ns.so: pam_x86ns/pam_x86ns.c pam_x86ns/pam_x86ns.map lib/libx86ns-pic.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared $(LDHARDEN) \
		-Wl,--version-script=pam_x86ns/pam_x86ns.map -o $@ $< lib/libx86ns-pic.a \
		-lpam -laudit

launch/x86ns-launch: $(LAUNCH_SRC) lib/libx86ns.a lib/*.h launch/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $(LAUNCH_SRC) lib/libx86ns.a

# The monitor stays resident for the container's life: it links only libc
# and libaudit so that its private memory stays small.
monitor/x86ns-monitor: $(MONITOR_SRC) lib/libx86ns.a lib/*.h monitor/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $(MONITOR_SRC) lib/libx86ns.a -laudit

# The builtin init runs inside guests that may have no C library: static.
# With musl (Debian's musl-tools) it is ~30 KB and keeps ~30 KiB resident
# instead of glibc's ~700: it is private memory of every lone container.
INIT_CC ?= $(shell command -v musl-gcc 2>/dev/null || echo $(CC))
guest/x86ns-init: guest/init.c
	$(MSG) CC $@
	$(Q)$(INIT_CC) -std=gnu11 $(WARN) -D_GNU_SOURCE $(CPPFLAGS) $(CFLAGS) -static -Os \
		$(LDFLAGS) -o $@ $<

# The session spawner runs inside every guest too: static, like the init.
# It takes lib/'s headers only (musl cannot link libx86ns.a).
guest/x86ns-spawner: guest/spawner.c lib/spawn-proto.h lib/cgroup.h lib/fd-pass.h
	$(MSG) CC $@
	$(Q)$(INIT_CC) -std=gnu11 $(WARN) -D_GNU_SOURCE $(CPPFLAGS) $(CFLAGS) -iquote lib -static \
		-Os $(LDFLAGS) -o $@ $<

ctl/x86nsctl: $(CTL_SRC) lib/libx86ns.a lib/*.h ctl/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $(CTL_SRC) lib/libx86ns.a -lz

shell/x86ns-shell: $(SHELL_SRC) lib/libx86ns.a lib/*.h shell/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Ishell -fPIE -static-pie $(LDHARDEN) -o $@ $(SHELL_SRC) lib/libx86ns.a

# The launcher's path is compiled into the PAM module and x86nsctl: refuse to
# install binaries built for another PREFIX or LIBEXECDIR.
install: all
	@for f in pam_x86ns/pam_x86ns.so ctl/x86nsctl; do \
		grep -qazF '$(LIBEXECDIR)/x86ns' $$f || { echo "make install: $$f was built for" \
		"another PREFIX or LIBEXECDIR than $(LIBEXECDIR); run make clean, then make" \
		"install with the same variables" >&2; exit 1; }; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/x86ns \
		$(DESTDIR)$(PAMDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf.d
	install -m 0644 pam_x86ns/pam_x86ns.so $(DESTDIR)$(PAMDIR)/pam_x86ns.so
	install -m 0755 shell/x86ns-shell $(DESTDIR)$(BINDIR)/x86ns-shell
	install -m 0755 ctl/x86nsctl $(DESTDIR)$(SBINDIR)/x86nsctl
	install -m 0755 launch/x86ns-launch monitor/x86ns-monitor guest/x86ns-init \
		guest/x86ns-spawner \
		$(DESTDIR)$(LIBEXECDIR)/x86ns/
	install -m 0644 shell/x86ns-shell.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 conf/x86ns.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 pam_x86ns/pam_x86ns.8 ctl/x86nsctl.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf || \
		install -m 0644 conf/x86ns.conf $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf.d/qemu-user.conf || \
		install -m 0644 conf/x86ns.conf.d/qemu-user.conf \
		$(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf.d/qemu-user.conf

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_x86ns.so $(DESTDIR)$(BINDIR)/x86ns-shell \
		$(DESTDIR)$(SBINDIR)/x86nsctl $(DESTDIR)$(MANDIR)/man1/x86ns-shell.1 \
		$(DESTDIR)$(MANDIR)/man5/x86ns.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_x86ns.8 \
		$(DESTDIR)$(MANDIR)/man8/x86nsctl.8
	rm -rf $(DESTDIR)$(LIBEXECDIR)/x86ns
	rmdir $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf.d 2>/dev/null || true
	@echo "make uninstall: kept $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf and the data in" \
		"/var/lib/x86ns and /var/log/x86ns"
	@grep -ls pam_x86ns $(DESTDIR)/etc/pam.d/* | \
		sed 's/^/make uninstall: warning: still names pam_x86ns.so: /' >&2 || true
	@grep -s ':[^:]*/x86ns-shell$$' $(DESTDIR)/etc/passwd | cut -d: -f1 | \
		sed 's/^/make uninstall: warning: login shell is still x86ns-shell: /' >&2 || true

# ---- tests --------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRC:.c=)
tests/unit/test-%: tests/unit/test-%.c tests/unit/tap.h lib/libx86ns.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< lib/libx86ns.a
tests/unit/test-check: tests/unit/test-check.c ctl/check.c ctl/check-probe.c ctl/sshd-policy.c ctl/check.h ctl/check-probe.h ctl/sshd-policy.h tests/unit/tap.h lib/libx86ns.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Ictl -o $@ $< ctl/check.c ctl/check-probe.c ctl/sshd-policy.c lib/libx86ns.a -lz
# The audit record's builder sends it too: the test links libaudit.
tests/unit/test-audit-record: tests/unit/test-audit-record.c tests/unit/tap.h lib/libx86ns.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< lib/libx86ns.a -laudit
# Checks the embedded programs against the ones libseccomp builds now.
tests/unit/test-seccomp: tests/unit/test-seccomp.c tests/unit/tap.h lib/libx86ns.a lib/*.h \
	seccomp-gen/seccomp-build.c seccomp-gen/seccomp-policy.c $(SECCOMP_TOOL_HDR)
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -Itests/unit -o $@ $< seccomp-gen/seccomp-build.c \
		seccomp-gen/seccomp-policy.c lib/libx86ns.a -lseccomp
tests/unit/test-shell-filter: tests/unit/test-shell-filter.c tests/unit/tap.h lib/libx86ns.a \
	lib/*.h seccomp-gen/seccomp-build.c seccomp-gen/seccomp-policy.c $(SECCOMP_TOOL_HDR)
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -Itests/unit -o $@ $< seccomp-gen/seccomp-build.c \
		seccomp-gen/seccomp-policy.c lib/libx86ns.a -lseccomp
tests/pam-driver: tests/pam-driver.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< -lpam

unit: $(UNIT_BINS)
	tests/run --unit-only

tests/audit-listen: tests/audit-listen.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<
tests/setns-probe: tests/setns-probe.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<
# Can this kernel run 32-bit x86 code? (tests skip the i386 cases where not.)
tests/ia32-probe: tests/ia32-probe.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<
# Copied into guests by tests/security/t-escape.sh: static, runs in any guest.
tests/security/probe: tests/security/probe.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -static -o $@ $<

# Copied into the guest by tests/e2e/t-ssh-forward.sh (agent and X11 clients).
tests/forward-probe: tests/forward-probe.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -static -o $@ $<

# `make check` and `make bench` first install the Debian packages they need
# (tests/deps.sh; nothing when they are there), then build, then run.
TEST_BINS := $(UNIT_BINS) tests/pam-driver tests/setns-probe tests/audit-listen \
	tests/ia32-probe tests/security/probe tests/forward-probe
check:
	tests/install-deps test
	$(MAKE) all $(TEST_BINS)
	tests/run

# Only the real-server suite: the Debian 12 VM under QEMU (tests/vm/).
check-vm:
	tests/install-deps test
	$(MAKE) all tests/security/probe
	tests/run vm/

bench:
	tests/install-deps test
	$(MAKE) all
	tests/bench/run

demo:
	tests/demo

install-selinux:
	$(MAKE) -C selinux install

# The Debian packages (debian/), built in a copy of the tree: the results
# (x86ns_*.deb, libpam-x86ns_*.deb, the source package) go to DEB_OUT.
DEB_OUT ?= build-deb
deb:
	tests/pkg/build-deb.sh $(DEB_OUT)

format:
	clang-format -i lib/*.[ch] pam_x86ns/*.[ch] launch/*.[ch] monitor/*.[ch] guest/*.[ch] \
		ctl/*.[ch] shell/*.[ch] seccomp-gen/*.[ch] tests/*.c tests/unit/*.[ch] tests/bench/*.c tests/security/*.c

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Ilib -Ishell -Ilaunch -Ictl -Iseccomp-gen \
		--suppress=missingIncludeSystem \
		lib pam_x86ns launch monitor guest ctl shell seccomp-gen tests/unit

clean:
	rm -f lib/*.o lib/*.a seccomp-gen/seccomp-gen lib/seccomp-programs.c \
		lib/seccomp-programs.c.tmp $(PROGS) $(SIBLING_LINKS) $(UNIT_BINS) tests/pam-driver tests/setns-probe tests/audit-listen \
		tests/ia32-probe tests/security/probe tests/forward-probe
