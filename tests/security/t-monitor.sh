#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's control socket and what the guest can make the monitor do:
#  - another local user cannot hold connections to a user's monitor and so
#    refuse that user's logins and the administrator's status and stop
#    (the socket is the user's, mode 0600; and were it open, the monitor
#    closes strangers at once, without a slot);
#  - the user's own flood cannot keep root out (slots per uid) and idle
#    connections are closed;
#  - a notify directory left with files in it does not block the next start;
#  - the guest's STATUS= reaches `x86nsctl status` escaped;
#  - guest root ending x86ns-spawner stops the guest, and the next login
#    starts it again (with or without live sessions).
# The connections are made by the static probe (tests/security/probe).
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd setpriv

PROBE=$TST_SRCDIR/tests/security/probe
MONITOR_IDLE_SEC=10 # lib/proto.h
[[ -x $PROBE ]] || tst_bail "build" "$PROBE missing: make check builds it"

tst_guest_busybox
tst_user_add bob
BOB=$TST_USER BOB_UID=$TST_USER_UID
tst_user_add alice
U=$TST_USER UID1=$TST_USER_UID HOME1=$TST_USER_HOME
x86ns_stop_at_exit "$U"
install -m 0755 -o "$U" "$PROBE" "$HOME1/probe"
install -m 0755 -o "$U" "$PROBE" "$HOME1/notify-init"

x86ns_config
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
tst_ssh_authorize "$U"

guest_config() { # EXTRA-GUEST-LINES...
	{
		printf '[guest bb]\nroot = %s\nstop-timeout = 2\n' "$TST_GUEST"
		printf '%s\n' "$@"
		printf '[user %s]\nguest = bb\nstop = never\n' "$U"
	} >"$X86NS_CONF"
}

# flood OUT AS-USER COUNT SECONDS: in the background, the probe's report of
# its connections to OUT; $flood is the probe's pid (setpriv execs it).
flood() {
	setpriv --reuid "$2" --regid "$2" --clear-groups \
		"$PROBE" monitor-flood "$UID1" "$3" "$4" >"$1" &
	flood=$!
}

# login_and_status: alice's ssh login and root's status, as one line.
login_and_status() {
	local out st
	out=$(tst_ssh "$U" 'echo inside' 2>&1)
	st=$("$X86NS_CTL" status "$U" 2>&1)
	echo "login=$([[ $out == *inside* ]] && echo ok || echo "failed: $(_tst_oneline "$out")")" \
		"status=$(grep -qE 'state +running' <<<"$st" && echo ok || echo "failed: $(_tst_oneline "$st")")"
}

guest_config
x86nsctl start "$U" >&2 || tst_bail "start" "x86nsctl start $U failed"

# ---- 1. the socket: only the user and root ----------------------------------
check_eq "the monitor socket is the user's, mode 0600" "$UID1 600" \
	"$(stat -c '%u %a' "/run/x86ns/$UID1/monitor.sock")"

flood "$TST_TMP/bob" "$BOB" 100 8
sleep 1
check_eq "another user's login-denial flood: alice logs in, root's status answers" \
	"login=ok status=ok" "$(login_and_status)"
wait "$flood"
check_match "another user cannot connect to the monitor at all (file mode)" \
	'^connected=0 refused=100 errno=Permission denied$' "$(cat "$TST_TMP/bob")"

# The user may open their own socket to everyone (chmod): the monitor
# still closes every stranger at once.
mode=$(stat -c %a "/run/x86ns/$UID1/monitor.sock")
chmod 0666 "/run/x86ns/$UID1/monitor.sock"
flood "$TST_TMP/bob" "$BOB" 100 3
sleep 1
check_eq "socket opened to all: alice logs in, root's status answers during the flood" \
	"login=ok status=ok" "$(login_and_status)"
wait "$flood"
check_match "socket opened to all: the monitor closed each of the stranger's connections" \
	'closed=100$' "$(tr '\n' ' ' <"$TST_TMP/bob" | sed 's/ $//')"
chmod "$mode" "/run/x86ns/$UID1/monitor.sock"

# ---- 1. the user's own flood: root keeps its slots; idle ones closed -------
start=$SECONDS
flood "$TST_TMP/own" "$UID1" 100 $((MONITOR_IDLE_SEC + 4))
sleep 1
st=$("$X86NS_CTL" status "$U" 2>&1)
check_match "the user's own flood: root's status answers" 'state +running' "$st"
wait "$flood"
check_match "the user's own flood: over the cap refused, idle ones closed after ${MONITOR_IDLE_SEC} s" \
	'closed=100$' "$(tr '\n' ' ' <"$TST_TMP/own" | sed 's/ $//')"
flood "$TST_TMP/own" "$UID1" 100 30
sleep 1
out=$("$X86NS_CTL" stop "$U" 2>&1)
check "the user's own flood: root's stop works ($(_tst_oneline "$out"))" x86ns_wait_gone "$UID1" 10
kill "$flood" 2>/dev/null
wait "$flood" 2>/dev/null
check "root's stop came during the flood, not after it" test $((SECONDS - start)) -lt 40

# Each case starts with no container (so that one failing case, before the
# fixes, does not decide the next).
stopped() {
	"$X86NS_CTL" stop "$U" >&2
	x86ns_wait_gone "$UID1" 10 || rm -rf "/run/x86ns/$UID1"
}

# ---- 2a. a notify directory left with files in it ---------------------------
stopped
guest_config "ready = notify" "ready-timeout = 10s"
mkdir -p "/run/x86ns/$UID1/notify/sub"
echo keep >"$TST_TMP/target"
touch "/run/x86ns/$UID1/notify/junk" "/run/x86ns/$UID1/notify/sub/junk"
ln -s "$TST_TMP/target" "/run/x86ns/$UID1/notify/link"
ln -s "$TST_TMP" "/run/x86ns/$UID1/notify/sub/dirlink"
out=$(x86nsctl start "$U" 2>&1)
check_eq "a non-empty notify directory left behind does not block the start" "" \
	"$(grep -v '^guest=\|^pid=' <<<"$out")"
check_eq "its contents were removed, no symbolic link followed" "keep yes" \
	"$(cat "$TST_TMP/target") $([[ -d $TST_TMP ]] && echo yes)"
check_eq "the new notify directory holds only the socket" "notify.sock" \
	"$(ls "/run/x86ns/$UID1/notify" 2>&1)"
stopped

# ---- 2b. STATUS= with terminal escapes reaches the admin escaped -----------
guest_config "init = $HOME1/notify-init" "stop-signal = SIGKILL" "ready = notify" \
	"ready-timeout = 10s"
x86nsctl start "$U" >&2
st=$("$X86NS_CTL" status "$U" 2>&1)
check_match "the guest's STATUS= is shown" 'boot +\\x1b\]0;pwned\\x07\\x1b\[2J\\x1b\[31mowned\\x9bm$' "$st"
check_eq "x86nsctl status prints no control character of the guest's" "" \
	"$(LC_ALL=C tr -d '\n\t\040-\176' <<<"$st" | od -An -c)"
lst=$("$X86NS_CTL" list 2>&1)
check_eq "x86nsctl list prints no control character" "" \
	"$(LC_ALL=C tr -d '\n\t\040-\176' <<<"$lst" | od -An -c)"
stopped

# ---- 3. guest root ends x86ns-spawner ---------------------------------------
guest_config
x86nsctl start "$U" >&2
pid1=$("$X86NS_CTL" status "$U" | awk '$1 == "pid" { print $2 }')
"$X86NS_CTL" exec "$U" -- sh -c 'kill -9 -1' >/dev/null 2>&1
check "no session: guest root's kill -9 -1 stops the guest" x86ns_wait_gone "$UID1" 10
check_match "the console log says why" 'stopping guest \(its x86ns-spawner ended' \
	"$(cat "/var/log/x86ns/$U.log")"
out=$(tst_ssh "$U" 'echo inside' 2>&1)
check_match "no session: the next login starts the guest again and gets in" '^inside$' "$out"
x86ns_wait_running "$U" 10
pid2=$("$X86NS_CTL" status "$U" | awk '$1 == "pid" { print $2 }')
check "the next login's guest is a new one" test "$pid1" != "$pid2"

tst_ssh "$U" 'sleep 30' >/dev/null 2>&1 &
sess=$!
for _ in $(seq 50); do
	"$X86NS_CTL" status "$U" | grep -qE 'sessions +[1-9]' && break
	sleep 0.1
done
"$X86NS_CTL" exec "$U" -- sh -c 'kill -9 -1' >/dev/null 2>&1
check "live session: guest root's kill -9 -1 stops the guest" x86ns_wait_gone "$UID1" 10
wait "$sess"
out=$(tst_ssh "$U" 'echo inside' 2>&1)
check_match "live session: the next login starts the guest again and gets in" '^inside$' "$out"
"$X86NS_CTL" stop "$U" >&2
x86ns_wait_gone "$UID1" 10
check_eq "nothing left" "" "$(x86ns_leftovers "$UID1")"
