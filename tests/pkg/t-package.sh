#!/bin/bash
# The Debian packages (debian/): built from a clean copy of the tree with
# tests/pkg/build-deb.sh (source and binary packages), checked by lintian
# (no error or warning that debian/*.lintian-overrides does not explain),
# and inspected: file layout, compiled-in paths, conffiles, the
# pam-auth-update profile, the build flags. The maintainer scripts run for
# real, with the real pam-auth-update, in a private mount namespace where
# /etc/pam.d, /var/lib/pam, debconf's database, /var/log and /var/lib are
# copies or empty: the host's files are never written. Installing the
# packages on a Debian 12 server is tests/vm/t-vm-package.sh.
# shellcheck disable=SC2016 # the namespaces' scripts are in single quotes on purpose
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
tst_need dpkg-buildpackage dpkg-deb dpkg-parsechangelog lintian pam-auth-update unshare \
	mk-build-deps fakeroot dh xz

SRC=$TST_SRCDIR
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
OUT=$TST_TMP/out

tree_state() {
	git -C "$SRC" status --porcelain --ignored=matching 2>/dev/null | grep -v '^!! tests/out/$'
}

# ---- build ----------------------------------------------------------------
before=$(tree_state)
"$SRC/tests/pkg/build-deb.sh" "$OUT" >&2 ||
	tst_bail "dpkg-buildpackage builds the packages from a clean copy" \
		"failed: $(tail -n 5 "$OUT/build.log" 2>/dev/null)"
ok "dpkg-buildpackage builds the packages from a clean copy"
check_eq "building leaves the source tree as it was (git status)" "$before" "$(tree_state)"

DEB=$OUT/x86ns_${VERSION}_$ARCH.deb
PAMDEB=$OUT/libpam-x86ns_${VERSION}_$ARCH.deb
CHANGES=$OUT/x86ns_${VERSION}_$ARCH.changes
for f in "$DEB" "$PAMDEB" "$CHANGES" "$OUT/x86ns_$VERSION.dsc"; do
	[[ -f $f ]] || tst_bail "build results" "$f missing: $(ls "$OUT" | tr '\n' ' ')"
done
ok "the build gives x86ns, libpam-x86ns and the source package"

# ---- lintian ----------------------------------------------------------------
lint=$(lintian --fail-on error,warning --pedantic -I "$CHANGES" 2>&1)
rc=$?
tst_log "lintian: ${lint//$'\n'/ | }"
check_eq "lintian: no error or warning on the source and binary packages (overrides give reasons)" \
	"0" "$rc"
bad=$(grep -E '^[EW]: ' <<<"$lint")
check_eq "lintian prints no E: or W: line" "" "$bad"
# Every override has a comment above it: the reason.
for f in "$SRC"/debian/*.lintian-overrides; do
	unexplained=$(awk '/^#/ { why = 1; next } /^[[:space:]]*$/ { why = 0; next }
		!why { print FILENAME ":" NR ": " $0 }' "$f")
	check_eq "every override in $(basename "$f") follows its reason" "" "$unexplained"
done

# ---- contents ---------------------------------------------------------------
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||'; }
x86ns_files=$(contents "$DEB")
pam_files=$(contents "$PAMDEB")
tst_log "x86ns: ${x86ns_files//$'\n'/ }"
tst_log "libpam-x86ns: ${pam_files//$'\n'/ }"

# The PAM module directory is the one of the host's own PAM modules.
unix_dir=$(dirname "$(dpkg -L libpam-modules | grep '/pam_unix\.so$' | head -n1)")
check_eq "pam_unix.so of libpam-modules is in /lib/$MULTIARCH/security on this bookworm host" \
	"/lib/$MULTIARCH/security" "$unix_dir"
check_match "libpam-x86ns ships the module beside pam_unix.so" \
	"^$unix_dir/pam_x86ns\.so$" "$pam_files"
check_match "libpam-x86ns ships the pam-auth-update profile" '^/usr/share/pam-configs/x86ns$' "$pam_files"
check_match "libpam-x86ns ships pam_x86ns(8)" '^/usr/share/man/man8/pam_x86ns\.8\.gz$' "$pam_files"
for f in /usr/bin/x86ns-shell /usr/sbin/x86nsctl /usr/libexec/x86ns/x86ns-launch \
	/usr/libexec/x86ns/x86ns-monitor /usr/libexec/x86ns/x86ns-init \
	/usr/libexec/x86ns/x86ns-spawner /usr/share/man/man1/x86ns-shell.1.gz \
	/usr/share/man/man5/x86ns.conf.5.gz /usr/share/man/man8/x86nsctl.8.gz \
	/etc/security/x86ns.conf /etc/security/x86ns.conf.d/qemu-user.conf \
	/usr/share/debianutils/shells.d/x86ns /usr/share/doc/x86ns/README.Debian.gz \
	/usr/share/doc/x86ns/README.md.gz; do
	check_match "x86ns ships $f" "^${f//./\\.}$" "$x86ns_files"
done
check_eq "nothing under /usr/local" "" "$(grep '^/usr/local' <<<"$x86ns_files$pam_files")"
check_eq "x86ns does not ship the module, libpam-x86ns no program" "" \
	"$(grep -E 'pam_x86ns\.so' <<<"$x86ns_files"; grep -E '/(s?bin|libexec)/' <<<"$pam_files")"

X=$TST_TMP/x
mkdir -p "$X"
dpkg-deb -x "$DEB" "$X" && dpkg-deb -x "$PAMDEB" "$X" && dpkg-deb -e "$DEB" "$X/DEBIAN-x86ns" &&
	dpkg-deb -e "$PAMDEB" "$X/DEBIAN-pam" || tst_bail "dpkg-deb -x/-e" "failed"

# The launcher's path is compiled into the module and x86nsctl.
for f in "lib/$MULTIARCH/security/pam_x86ns.so" usr/sbin/x86nsctl; do
	check "$f names the launcher directory /usr/libexec/x86ns" grep -qaF /usr/libexec/x86ns "$X/$f"
	check_fail "$f names no /usr/local path" grep -qaF /usr/local/libexec "$X/$f"
done
check_eq "the shells.d entry registers /usr/bin/x86ns-shell in /etc/shells" \
	"/usr/bin/x86ns-shell" "$(cat "$X/usr/share/debianutils/shells.d/x86ns")"

check_eq "conffiles: the configuration and the qemu-user profile" \
	"/etc/security/x86ns.conf
/etc/security/x86ns.conf.d/qemu-user.conf" "$(cat "$X/DEBIAN-x86ns/conffiles")"
check_fail "libpam-x86ns has no conffiles" test -e "$X/DEBIAN-pam/conffiles"
check_eq "the shipped configuration is the tree's (selects nobody)" \
	"$(cat "$SRC/conf/x86ns.conf")" "$(cat "$X/etc/security/x86ns.conf")"

fields() { dpkg-deb -f "$1" "${@:2}"; }
check_match "libpam-x86ns depends on x86ns of the same version" \
	"(^|, )x86ns \(= $VERSION\)(,|$)" "$(fields "$PAMDEB" Depends)"
check_match "libpam-x86ns depends on libpam-runtime (pam-auth-update)" \
	'(^|, )libpam-runtime' "$(fields "$PAMDEB" Depends)"
check_match "x86ns depends on libsubid4 (dlopen'ed, invisible to dh_shlibdeps)" \
	'(^|, )libsubid4(,|$)' "$(fields "$DEB" Depends)"
check_match "x86ns depends on e2fsprogs (mke2fs, run to make the bounded layer)" \
	'(^|, )e2fsprogs(,|$)' "$(fields "$DEB" Depends)"
check_match "x86ns depends on the debianutils with /etc/shells triggers" \
	'(^|, )debianutils \(>= 5\.6-0\.1\)' "$(fields "$DEB" Depends)"
check_match "x86ns depends on passt (pasta stands in for Landlock scoping on Debian 12's 6.1)" \
	'(^|, )passt(,|$)' "$(fields "$DEB" Depends)"
check_match "x86ns recommends debootstrap and libpam-x86ns" \
	'^(debootstrap, libpam-x86ns)$' "$(fields "$DEB" Recommends)"
check_match "x86ns names the C libraries its static programs carry (Built-Using)" \
	'^glibc \(= [^)]+\), musl \(= [^)]+\)$' "$(fields "$DEB" Built-Using)"
check_eq "Multi-Arch: foreign (x86ns), same (libpam-x86ns)" "foreign same" \
	"$(fields "$DEB" Multi-Arch) $(fields "$PAMDEB" Multi-Arch)"

# ---- the pam-auth-update profile ------------------------------------------
profile=$(cat "$X/usr/share/pam-configs/x86ns")
tst_log "profile: ${profile//$'\n'/ | }"
check_match "profile: Default: no (enabling is the administrator's step)" '^Default: no$' "$profile"
check_match "profile: a negative priority (after pam_mkhomedir and pam_systemd)" '^Priority: -[0-9]+$' "$profile"
check_match "profile: Session-Type: Additional" '^Session-Type: Additional$' "$profile"
check_match "profile: Session-Interactive-Only: yes" '^Session-Interactive-Only: yes$' "$profile"
check_match "profile: session required pam_x86ns.so, without a path or options" \
	$'^\trequired\tpam_x86ns\\.so$' "$profile"
check_eq "profile: only the session type" "" "$(grep -E '^(Auth|Account|Password)' <<<"$profile")"

# ---- maintainer scripts, as text --------------------------------------------
for s in "$X"/DEBIAN-*/{preinst,postinst,prerm,postrm}; do
	[[ -e $s ]] || continue
	check "$(basename "$(dirname "$s")")/$(basename "$s") is valid sh" sh -n "$s"
done
check_eq "no maintainer script uses pam-auth-update --force" "" \
	"$(grep -l -- '--force' "$X"/DEBIAN-*/p* 2>/dev/null)"
check_match "postinst: pam-auth-update --package on configure" \
	'^[[:space:]]+pam-auth-update --package$' "$(cat "$X/DEBIAN-pam/postinst")"
check_match "prerm: pam-auth-update --package --remove x86ns" \
	'^[[:space:]]+pam-auth-update --package --remove x86ns$' "$(cat "$X/DEBIAN-pam/prerm")"
check_eq "no add-shell/remove-shell calls (shells.d does it)" "" \
	"$(grep -l -E 'add-shell|remove-shell' "$X"/DEBIAN-*/* 2>/dev/null)"

# ---- maintainer scripts, run with the real pam-auth-update -------------------
# A private mount namespace sees copies of /etc/pam.d, /var/lib/pam and
# debconf's database, and the host's profiles plus this package's.
P=$TST_TMP/pamroot
mkdir -p "$P/pam.d" "$P/varlibpam" "$P/debconf" "$P/pam-configs"
cp -a /etc/pam.d/. "$P/pam.d/" && cp -a /var/lib/pam/. "$P/varlibpam/" &&
	cp -a /var/cache/debconf/. "$P/debconf/" && cp -a /usr/share/pam-configs/. "$P/pam-configs/" ||
	tst_bail "copies of the PAM state" "cp failed"
rm -f "$P/pam-configs/x86ns"
in_pam_ns() {
	unshare --mount --propagation private bash -c '
		P=$1; shift
		mount --bind "$P/pam.d" /etc/pam.d && mount --bind "$P/varlibpam" /var/lib/pam &&
			mount --bind "$P/debconf" /var/cache/debconf &&
			mount --bind "$P/pam-configs" /usr/share/pam-configs || exit 99
		DEBIAN_FRONTEND=noninteractive "$@"' in_pam_ns "$P" "$@" </dev/null
}
session_lines() { grep -E '^session' "$P/pam.d/$1"; }
orig_session=$(session_lines common-session)
orig_nonint=$(session_lines common-session-noninteractive)

# dpkg unpacks, then configures.
cp "$X/usr/share/pam-configs/x86ns" "$P/pam-configs/x86ns"
check "postinst configure runs" in_pam_ns sh "$X/DEBIAN-pam/postinst" configure
check_eq "after installation common-session is unchanged (Default: no)" \
	"$orig_session" "$(session_lines common-session)"
check_match "pam-auth-update knows the profile now" '^x86ns$' "$(cat "$P/varlibpam/seen")"

check "pam-auth-update --enable x86ns" in_pam_ns pam-auth-update --enable x86ns
sess=$(session_lines common-session)
tst_log "common-session: ${sess//$'\n'/ | }"
check_match "enabled: common-session has 'session required pam_x86ns.so'" \
	'^session[[:space:]]+required[[:space:]]+pam_x86ns\.so[[:space:]]*$' "$sess"
check_eq "enabled: pam_x86ns.so is the last session module of common-session" \
	"pam_x86ns.so" "$(awk '{ print $3 }' <<<"$sess" | tail -n1)"
check_eq "enabled: common-session-noninteractive (cron, sudo) stays without it" \
	"$orig_nonint" "$(session_lines common-session-noninteractive)"
check_eq "enabled: the other lines of common-session are unchanged" \
	"$orig_session" "$(grep -v pam_x86ns <<<"$sess")"

check "postinst configure again (an upgrade)" in_pam_ns sh "$X/DEBIAN-pam/postinst" configure 0.1.0-0
check "prerm upgrade" in_pam_ns sh "$X/DEBIAN-pam/prerm" upgrade "$VERSION"
check_match "an upgrade keeps the enabled profile" 'pam_x86ns\.so' "$(session_lines common-session)"
check "prerm deconfigure" in_pam_ns sh "$X/DEBIAN-pam/prerm" deconfigure in-favour x 1
check_match "a deconfigure keeps the enabled profile" 'pam_x86ns\.so' "$(session_lines common-session)"

check "prerm remove" in_pam_ns sh "$X/DEBIAN-pam/prerm" remove
rm -f "$P/pam-configs/x86ns" # dpkg removes the files after prerm
check_eq "after removal common-session is as before" "$orig_session" "$(session_lines common-session)"
check_eq "after removal no file of pam.d names pam_x86ns" "" "$(grep -rl pam_x86ns "$P/pam.d")"

# x86ns's postrm purge, with empty /var/log and /var/lib of its own.
in_var_ns() {
	unshare --mount --propagation private bash -c '
		mount -t tmpfs tmpfs /var/log && mount -t tmpfs tmpfs /var/lib || exit 99
		mkdir -p /var/log/x86ns /var/lib/x86ns/1001/bb/upper /var/lib/x86ns-guests/empty-parent
		echo log >/var/log/x86ns/alice.log
		echo data >/var/lib/x86ns/1001/bb/upper/file
		rmdir /var/lib/x86ns-guests/empty-parent
		sh "$1" "$2" 2>&1; echo "rc=$?"
		find /var/log /var/lib | sort' in_var_ns "$@" </dev/null
}
out=$(in_var_ns "$X/DEBIAN-x86ns/postrm" remove)
tst_log "postrm remove: ${out//$'\n'/ | }"
check_match "postrm remove: exit 0" '^rc=0$' "$out"
check_match "postrm remove keeps the logs" '^/var/log/x86ns/alice\.log$' "$out"
out=$(in_var_ns "$X/DEBIAN-x86ns/postrm" purge)
tst_log "postrm purge: ${out//$'\n'/ | }"
check_match "postrm purge: exit 0" '^rc=0$' "$out"
check_fail "postrm purge removes /var/log/x86ns" grep -q '^/var/log/x86ns' <<<"$out"
check_match "postrm purge keeps the users' writable layers" '^/var/lib/x86ns/1001/bb/upper/file$' "$out"
check_match "postrm purge says it kept them" '^x86ns: kept /var/lib/x86ns ' "$out"
check_fail "postrm purge removes an empty /var/lib/x86ns-guests" grep -q '^/var/lib/x86ns-guests' <<<"$out"

# ---- build flags and build dependencies ------------------------------------
log=$OUT/build.log
cc_line=$(grep -m1 -E '^cc .* -o launch/x86ns-launch' "$log")
tst_log "launcher compile line: $cc_line"
check_match "the build uses dpkg-buildflags' CFLAGS and CPPFLAGS" \
	'-ffile-prefix-map=.* ' "$cc_line"
check_match "and LDFLAGS (-z now from hardening=+all)" ' -Wl,-z,relro -Wl,-z,now' "$cc_line"
check_match "and keeps the project's -Werror and hardening" \
	' -Werror .*-fstack-clash-protection ' "$cc_line"
check_eq "_FORTIFY_SOURCE is defined once" "1" "$(grep -o -- '-D_FORTIFY_SOURCE' <<<"$cc_line" | wc -l)"
check_match "built with PREFIX=/usr" "X86NS_LIBEXECDIR='\"/usr/libexec/x86ns\"'" "$cc_line"

mkdir -p "$TST_TMP/bd"
if (cd "$TST_TMP/bd" && mk-build-deps "$SRC/debian/control") >&2; then
	bd=$(dpkg-deb -f "$TST_TMP"/bd/x86ns-build-deps_*_all.deb Depends)
	tst_log "build-deps: $bd"
	check_match "mk-build-deps: the build dependencies of debian/control" \
		'libpam0g-dev.*libseccomp-dev.*libsubid-dev' "$bd"
else
	not_ok "mk-build-deps debian/control" "failed"
fi
