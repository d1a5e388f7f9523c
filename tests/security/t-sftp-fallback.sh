#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sftp runs nothing outside the guest's walls. x86ns-shell used to run the
# host's sftp-server inside a guest that has none, outside the guest's
# Landlock domain; its host loader still read the guest's /etc/ld.so.preload,
# so guest root's preload ran in the user's next sftp session and reached the
# host's abstract sockets. Now the guest's own sftp-server runs, forked by the
# guest's spawner like every session, or sftp is refused with one line.
#
# Guest root plants tests/security/preload.c (built here) in the guest's
# /etc/ld.so.preload; it logs, from whatever program loads it, whether it
# reached a host abstract socket that the test listens on.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sftp scp sshd cc ldd tar

PROBE=$TST_SRCDIR/tests/security/probe
[[ -x $PROBE ]] || tst_bail "build" "$PROBE missing: make check builds it"
tst_guest_busybox
tst_user_add sftp
USER_=$TST_USER USER_HOME=$TST_USER_HOME
x86ns_stop_at_exit "$USER_"
x86ns_config "[default]" "stop = never" "[user $USER_]" "guest = bb"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || tst_bail "sshd" "did not start"
tst_ssh_authorize "$USER_"
x86nsctl start "$USER_" >&2 || tst_bail "start" "x86nsctl start $USER_ failed"

TARGET=x86ns-preload-target-$$
cc -DPRELOAD_TARGET="\"$TARGET\"" -shared -fPIC -nostdlib -ffreestanding -fno-builtin -O2 \
	-o "$TST_TMP/preload.so" "$TST_SRCDIR/tests/security/preload.c" >&2 ||
	tst_bail "build" "tests/security/preload.c does not build"
"$PROBE" abstract-listen "$TARGET" >"$TST_TMP/listen" 2>&1 &
listener=$!
tst_cleanup_push sh -c 'kill "$1" 2>/dev/null; true' sh "$listener" # it ends after one peer
for ((i = 0; i < 50; i++)); do grep -q '^listening' "$TST_TMP/listen" && break; sleep 0.1; done

# Guest root plants the preload (read from stdin: the home is the user's).
"$X86NS_CTL" --config "$X86NS_CONF" exec "$USER_" -- sh -c \
	'mkdir -p /usr/lib && cat >/usr/lib/x86ns-preload.so && chmod 0755 /usr/lib/x86ns-preload.so &&
	echo /usr/lib/x86ns-preload.so >/etc/ld.so.preload' <"$TST_TMP/preload.so" >&2 ||
	tst_bail "plant" "guest root could not write /etc/ld.so.preload"

preload_log() {
	"$X86NS_CTL" --config "$X86NS_CONF" exec "$USER_" -- cat /tmp/x86ns-preload.log \
		</dev/null 2>/dev/null
}
sftp_get() {
	rm -f "$TST_TMP/got"
	tst_sftp "$USER_" -b - <<<"get /etc/os-release $TST_TMP/got" 2>&1
}

# ---- a guest without sftp-server: refused, nothing of the host runs there --
out=$(sftp_get)
tst_log "sftp without a guest sftp-server: $out"
check_eq "no planted preload ran outside the guest's Landlock domain (reached the host)" "" \
	"$(preload_log | grep 'connect=ok')"
check_match "sftp without a guest sftp-server is refused" 'Connection closed' "$out"
check_eq "... and nothing was transferred" no "$([[ -e $TST_TMP/got ]] && echo yes || echo no)"
# sshd drops a subsystem's stderr: the reason shows where the program is
# run as a command, as sshd runs it (x86ns-shell -c PATH).
out=$(tst_ssh "$USER_" /usr/lib/openssh/sftp-server </dev/null 2>&1)
rc=$?
check_match "x86ns-shell says in one line that the guest lacks sftp-server" \
	"^x86ns-shell: guest 'bb' has no /usr/lib/openssh/sftp-server: .*openssh-sftp-server" "$out"
check_eq "... and exits 127" 127 "$rc"

# ---- the guest's own sftp-server: a session like any other -----------------
x86ns_guest_install_sftp_server "$USER_" >&2 ||
	tst_bail "sftp-server" "could not copy the host's sftp-server into the guest"
out=$(sftp_get)
tst_log "sftp with the guest's sftp-server: $out"
check_match "sftp works with the guest's own sftp-server" '^ID=x86ns-busybox' \
	"$(cat "$TST_TMP/got" 2>/dev/null)"
log=$(preload_log)
check_match "the guest's sftp-server loads the guest's preload: inside the domain (EPERM)" \
	'^preload ran connect=EPERM$' "$log"
check_eq "... and never reaches the host's abstract socket" "" "$(grep 'connect=ok' <<<"$log")"
echo "payload $$" >"$TST_TMP/up.txt"
tst_scp "$USER_" "$TST_TMP/up.txt" :/tmp/scp.txt >&2
check_eq "scp (sftp protocol) writes into the guest" "payload $$" \
	"$("$X86NS_CTL" --config "$X86NS_CONF" exec "$USER_" -- cat /tmp/scp.txt </dev/null)"
