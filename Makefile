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
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	   -Wstrict-prototypes -Wmissing-prototypes -Wvla
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fstack-clash-protection \
	   -fcf-protection -fno-strict-overflow -fno-delete-null-pointer-checks
LDHARDEN := -Wl,-z,relro,-z,now,-z,noexecstack
DEFS    := -D_GNU_SOURCE -DX86NS_LIBEXECDIR='"$(LIBEXECDIR)/x86ns"' \
	   -DX86NS_SYSCONFDIR='"$(SYSCONFDIR)"'
ALL_CFLAGS := -std=gnu11 $(WARN) $(HARDEN) $(DEFS) -Ilib $(CFLAGS)

# lib/seccomp-programs.c is generated (below), also where it does not exist
# yet; the sources that generate it link libseccomp and are not library code.
SECCOMP_TOOL_SRC := lib/seccomp-gen.c lib/seccomp-build.c lib/seccomp-policy.c
LIB_SRC  := $(filter-out $(SECCOMP_TOOL_SRC) lib/seccomp-programs.c,$(wildcard lib/*.c)) \
	    lib/seccomp-programs.c selinux/mcs.c
LIB_OBJ  := $(LIB_SRC:.c=.o)
LIB_PIC  := $(LIB_SRC:.c=.pic.o)
selinux/mcs.o: selinux/mcs.c selinux/mcs.h lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -c -o $@ $<
selinux/mcs.pic.o: selinux/mcs.c selinux/mcs.h lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

PROGS := pam_x86ns/pam_x86ns.so pam_x86ns/x86ns-launch pam_x86ns/x86ns-monitor \
	 pam_x86ns/x86ns-init pam_x86ns/x86ns-spawner pam_x86ns/x86nsctl shell/x86ns-shell

LAUNCH_SRC := pam_x86ns/launch.c pam_x86ns/container.c pam_x86ns/mounts.c pam_x86ns/account.c \
	      pam_x86ns/start.c pam_x86ns/translator.c
CTL_SRC    := pam_x86ns/x86nsctl.c pam_x86ns/check.c pam_x86ns/check-probe.c pam_x86ns/guest.c \
	      pam_x86ns/guest-apt.c pam_x86ns/guest-tree.c
SHELL_SRC  := shell/x86ns-shell.c shell/pty.c shell/guest_env.c shell/hostexec.c

.PHONY: all clean install uninstall check check-vm unit bench demo format lint install-selinux
all: $(PROGS)

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
SECCOMP_TOOL_CFLAGS := $(filter-out -Ilib,$(ALL_CFLAGS)) -iquote lib
lib/seccomp-gen: $(SECCOMP_TOOL_SRC) lib/seccomp-build.h lib/seccomp-policy.h lib/confine.h lib/util.h
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -o $@ $(SECCOMP_TOOL_SRC) -lseccomp
lib/seccomp-programs.c: lib/seccomp-gen
	$(MSG) GEN $@
	$(Q)lib/seccomp-gen $@

# The PAM module: exports only pam_sm_* (version script).
pam_x86ns/pam_x86ns.so: pam_x86ns/pam_x86ns.c pam_x86ns/pam_x86ns.map lib/libx86ns-pic.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared $(LDHARDEN) \
		-Wl,--version-script=pam_x86ns/pam_x86ns.map -o $@ $< lib/libx86ns-pic.a \
		-lpam -laudit

pam_x86ns/x86ns-launch: $(LAUNCH_SRC) lib/libx86ns.a lib/*.h pam_x86ns/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $(LAUNCH_SRC) lib/libx86ns.a

# The monitor stays resident for the container's life: it links only libc
# and libaudit so that its private memory stays small.
pam_x86ns/x86ns-monitor: pam_x86ns/monitor.c lib/libx86ns.a lib/*.h pam_x86ns/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $< lib/libx86ns.a -laudit

# The builtin init runs inside guests that may have no C library: static.
# With musl (Debian's musl-tools) it is ~30 KB and keeps ~30 KiB resident
# instead of glibc's ~700: it is private memory of every lone container.
INIT_CC ?= $(shell command -v musl-gcc 2>/dev/null || echo $(CC))
pam_x86ns/x86ns-init: pam_x86ns/init.c
	$(MSG) CC $@
	$(Q)$(INIT_CC) -std=gnu11 $(WARN) -D_GNU_SOURCE $(CFLAGS) -static -Os -o $@ $<

# The session spawner runs inside every guest too: static, like the init.
pam_x86ns/x86ns-spawner: pam_x86ns/spawner.c lib/spawn-proto.h lib/cgroup.h
	$(MSG) CC $@
	$(Q)$(INIT_CC) -std=gnu11 $(WARN) -D_GNU_SOURCE $(CFLAGS) -static -Os -o $@ $<

pam_x86ns/x86nsctl: $(CTL_SRC) lib/libx86ns.a lib/*.h pam_x86ns/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -fPIE -pie $(LDHARDEN) -o $@ $(CTL_SRC) lib/libx86ns.a -lz

shell/x86ns-shell: $(SHELL_SRC) lib/libx86ns.a lib/*.h shell/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Ishell -fPIE -static-pie $(LDHARDEN) -o $@ $(SHELL_SRC) lib/libx86ns.a

# The launcher's path is compiled into the PAM module and x86nsctl: refuse to
# install binaries built for another PREFIX or LIBEXECDIR.
install: all
	@for f in pam_x86ns/pam_x86ns.so pam_x86ns/x86nsctl; do \
		grep -qazF '$(LIBEXECDIR)/x86ns' $$f || { echo "make install: $$f was built for" \
		"another PREFIX or LIBEXECDIR than $(LIBEXECDIR); run make clean, then make" \
		"install with the same variables" >&2; exit 1; }; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/x86ns \
		$(DESTDIR)$(PAMDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/security/x86ns.conf.d
	install -m 0644 pam_x86ns/pam_x86ns.so $(DESTDIR)$(PAMDIR)/pam_x86ns.so
	install -m 0755 shell/x86ns-shell $(DESTDIR)$(BINDIR)/x86ns-shell
	install -m 0755 pam_x86ns/x86nsctl $(DESTDIR)$(SBINDIR)/x86nsctl
	install -m 0755 pam_x86ns/x86ns-launch pam_x86ns/x86ns-monitor pam_x86ns/x86ns-init \
		pam_x86ns/x86ns-spawner \
		$(DESTDIR)$(LIBEXECDIR)/x86ns/
	install -m 0644 shell/x86ns-shell.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 conf/x86ns.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 pam_x86ns/pam_x86ns.8 pam_x86ns/x86nsctl.8 $(DESTDIR)$(MANDIR)/man8/
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
tests/unit/test-check: tests/unit/test-check.c pam_x86ns/check.c pam_x86ns/check-probe.c pam_x86ns/check.h pam_x86ns/check-probe.h tests/unit/tap.h lib/libx86ns.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Ipam_x86ns -o $@ $< pam_x86ns/check.c pam_x86ns/check-probe.c lib/libx86ns.a -lz
tests/unit/test-pty: tests/unit/test-pty.c shell/pty.c shell/pty.h tests/unit/tap.h lib/libx86ns.a lib/*.h
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Ishell -o $@ $< shell/pty.c lib/libx86ns.a
# Checks the embedded programs against the ones libseccomp builds now.
tests/unit/test-seccomp: tests/unit/test-seccomp.c tests/unit/tap.h lib/libx86ns.a lib/*.h \
	lib/seccomp-build.c lib/seccomp-policy.c
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -Itests/unit -o $@ $< lib/seccomp-build.c \
		lib/seccomp-policy.c lib/libx86ns.a -lseccomp
tests/unit/test-shell-filter: tests/unit/test-shell-filter.c tests/unit/tap.h lib/libx86ns.a \
	lib/*.h lib/seccomp-build.c lib/seccomp-policy.c
	$(MSG) CC $@
	$(Q)$(CC) $(SECCOMP_TOOL_CFLAGS) -Itests/unit -o $@ $< lib/seccomp-build.c \
		lib/seccomp-policy.c lib/libx86ns.a -lseccomp
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
# Copied into guests by tests/security/t-escape.sh: static, runs in any guest.
tests/security/probe: tests/security/probe.c
	$(MSG) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -static -o $@ $<

check: all $(UNIT_BINS) tests/pam-driver tests/setns-probe tests/audit-listen \
	tests/security/probe
	tests/run

# Only the real-server suite: the Debian 12 VM under QEMU (tests/vm/).
check-vm: all tests/security/probe
	tests/run vm/

bench: all
	tests/bench/run

demo:
	tests/demo

install-selinux:
	$(MAKE) -C selinux install

format:
	clang-format -i lib/*.[ch] pam_x86ns/*.[ch] shell/*.[ch] selinux/*.[ch] tests/*.c tests/unit/*.[ch] tests/bench/*.c tests/security/*.c

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Ilib -Ishell --suppress=missingIncludeSystem \
		lib pam_x86ns shell tests/unit

clean:
	rm -f lib/*.o lib/*.a lib/seccomp-gen lib/seccomp-programs.c lib/seccomp-programs.c.tmp \
		selinux/*.o $(PROGS) $(UNIT_BINS) tests/pam-driver tests/setns-probe tests/audit-listen \
		tests/security/probe
