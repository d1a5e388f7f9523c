#!/bin/bash
# pam_x86ns.so driven through the real libpam (pam_start_confdir with a test
# pam.d): the session contract, the caller's state, failure handling.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
DRIVER=$TST_SRCDIR/tests/pam-driver
[[ -x $DRIVER ]] || tst_bail "build" "$DRIVER missing: run make check"

tst_guest_busybox
tst_user_add pam1
U=$TST_USER UID1=$TST_USER_UID
x86ns_stop_at_exit "$U"
tst_user_add_nosub pam2
NOSUB=$TST_USER
tst_user_add pam3 /bin/sh
OTHER=$TST_USER

x86ns_config "[user $U]" "guest = bb" "[user $NOSUB]" "guest = bb"
PAMD=$TST_TMP/pam.d
mkdir -p "$PAMD"
# pam_permit after the module: a PAM_IGNORE from it then lets the stack pass.
pam_service() { # NAME CONTROL [MODULE-ARGS...]
	local name=$1 control=$2
	shift 2
	{
		echo "session $control $X86NS_MODULE config=$X86NS_CONF launcher=$X86NS_LAUNCH $*"
		echo "session required pam_permit.so"
	} >"$PAMD/$name"
}
pam_service req required
pam_service opt optional
pam_service badarg required colour=blue
driver() { "$DRIVER" --confdir "$PAMD" "$@"; }

# session_hold [DRIVER-ARGS...]: open a session for $U in the background and
# wait until it is open; its output so far is in $held. session_release
# closes it and waits for the driver.
session_hold() {
	coproc HOLD { exec "$DRIVER" --confdir "$PAMD" --service req --user "$U" --hold-fd 0 "$@"; }
	hold_pid=$HOLD_PID
	held=""
	while read -r -u "${HOLD[0]}" line; do
		held+="$line"$'\n'
		[[ $line == holding ]] && break
	done
}
session_release() {
	echo >&"${HOLD[1]}"
	released=$(cat <&"${HOLD[0]}")
	wait "$hold_pid"
}

# ---- a session: container runs while it is open, stops after close ---------
session_hold
check_match "open_session succeeds for a selected user" '^open=Success$' "$held"
check_match "X86NS_GUEST exported with pam_putenv" '^env X86NS_GUEST=bb$' "$held"
check_match "X86NS_SESSION names the session's process" "^env X86NS_SESSION=$hold_pid\$" "$held"
status=$("$X86NS_CTL" status "$U")
check_match "the container runs while the session is open" 'sessions +1' "$status"
session_release
check_match "close_session succeeds" '^close=Success$' "$released"
x86ns_wait_gone "$UID1" 10
check_eq "closing the last session stops the container, nothing left" "" "$(x86ns_leftovers "$UID1")"

# ---- the caller's state is untouched; its SIGCHLD policy is respected ------
out=$(driver --service req --user "$U" --snapshot)
check_match "caller state unchanged by open_session" '^state-unchanged=yes$' "$out" ||
	tst_log "$(grep '^diff' <<<"$out")"
check_match "caller state unchanged after close_session" '^state-unchanged-after-close=yes$' "$out"
for mode in reap ignore nocldwait; do
	out=$(driver --service req --user "$U" --snapshot --sigchld "$mode")
	check_match "SIGCHLD $mode: open and close succeed" '^close=Success$' "$out"
	check_match "SIGCHLD $mode: disposition and mask restored" '^state-unchanged-after-close=yes$' "$out"
done
check_match "a reaping SIGCHLD handler never got the launcher's status" \
	'^sigchld-handler-reaped=0$' "$(driver --service req --user "$U" --sigchld reap)"
x86ns_wait_gone "$UID1" 10

# ---- pam_end(PAM_DATA_SILENT) in a forked child does not end the session ----
session_hold --fork-end
check_match "fork-end: the child's pam_end succeeded" '^fork-end child-exit=0$' "$held"
check_match "fork-end: the session is still recorded" 'sessions +1' "$("$X86NS_CTL" status "$U")"
session_release
check "fork-end: the parent's close stops the container" x86ns_wait_gone "$UID1" 10

# ---- a session whose process died without close_session is not counted ----
session_hold
check_match "held session recorded" 'sessions +1' "$("$X86NS_CTL" status "$U")"
kill -9 "$hold_pid"
wait "$hold_pid" 2>/dev/null
check "killed session process: the container stops by itself" x86ns_wait_gone "$UID1" 15
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$UID1")"

# ---- users the configuration does not select: PAM_IGNORE, no container -----
out=$(driver --service req --user "$OTHER")
check_match "unselected user: the stack passes (module ignored)" '^open=Success$' "$out"
check_eq "unselected user: no X86NS_GUEST" "" "$(grep '^env X86NS_GUEST' <<<"$out")"
check_eq "unselected user: no container" "" "$(ls /run/x86ns 2>/dev/null | grep -x "$(id -u "$OTHER")")"

# ---- root is never containerized, even with a broken configuration --------
cp "$X86NS_CONF" "$TST_TMP/good.conf"
printf '[guest bb]\nroot = %s\ncolour = blue\n' "$TST_GUEST" >"$X86NS_CONF"
out=$(driver --service req --user root)
check_match "root: the module ignores it, even with a broken config" '^open=Success$' "$out"
check_eq "root: no container, no X86NS_GUEST" "" "$(grep '^env X86NS_GUEST' <<<"$out")"
cp "$TST_TMP/good.conf" "$X86NS_CONF"

# ---- a monitor sent SIGTERM stops its guest in order, leaving nothing -------
session_hold
monitor=$("$X86NS_CTL" status "$U" | awk '$1 == "monitor" {print $2}')
kill -TERM "$monitor"
check "SIGTERM to the monitor: the container stops" x86ns_wait_gone "$UID1" 10
check_match "... in order (stop signal to init first)" 'stopping guest \(the monitor was asked to terminate\)' \
	"$(cat "/var/log/x86ns/$U.log")"
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$UID1")"
session_release

# ---- failures: fail closed with one clear line -----------------------------
out=$(driver --service req --user "$NOSUB")
check_match "no subordinate range: session refused" '^open=(Cannot make/remove|.*session)' "$out"
check_match "no subordinate range: the message says so" \
	"^msg .*x86ns: user $NOSUB has no subordinate uid range" "$out"
out=$(driver --service opt --user "$NOSUB")
check_match "optional: a failed start lets the login through" '^open=Success$' "$out"
out=$(setpriv --reuid "$NOSUB" --regid "$NOSUB" --clear-groups "$X86NS_SHELL" -c 'echo host' 2>&1)
rc=$?
check_eq "... but x86ns-shell never falls back to a host shell" "126" "$rc"
check_match "... and says why in one line" '^x86ns-shell: no running guest' "$out"

out=$(driver --service badarg --user "$U")
check_match "unknown module argument: session refused" '^open=Cannot make' "$out"
check_match "unknown module argument: the user is told the service is misconfigured" \
	"^msg x86ns: the PAM configuration of this service is wrong .*colour=blue" "$out"

printf '[guest bb]\nroot = %s\ncolour = blue\n' "$TST_GUEST" >"$X86NS_CONF"
out=$(driver --service req --user "$U")
check_match "bad config: session refused" '^open=Cannot make' "$out"
check_match "bad config: the message names file:line" \
	"^msg x86ns: configuration error: $X86NS_CONF:3: " "$out"

x86ns_config "[user $U]" "guest = bb"
sed -i "s|^root = .*|root = $TST_TMP/no-such-guest|" "$X86NS_CONF"
out=$(driver --service req --user "$U")
check_match "missing guest tree: session refused" '^open=Cannot make' "$out"
check_match "missing guest tree: the message names the tree" "no-such-guest" "$out"
check_eq "missing guest tree: nothing left half-created" "" "$(x86ns_leftovers "$UID1")"

# ---- no fd leaks in the application over many sessions ---------------------
x86ns_config "[user $U]" "guest = bb" "stop = never"
out=$(driver --service req --user "$U" --rounds 50)
check_match "50 open/close rounds: all succeed, no fd growth" \
	'^rounds=50 failures=0 fds-before=([0-9]+) fds-after=\1$' "$out"
check_match "stop = never: the container outlives its sessions" 'state +running' \
	"$("$X86NS_CTL" status "$U")"
"$X86NS_CTL" stop "$U" >/dev/null
check "x86nsctl stop stops it" x86ns_wait_gone "$UID1" 10

# ---- stop = linger: the container waits, and a new login cancels the stop ---
x86ns_config "[user $U]" "guest = bb" "stop = linger=3s"
driver --service req --user "$U" >/dev/null
check_match "linger: still running right after the last logout" 'state +lingering' \
	"$("$X86NS_CTL" status "$U")"
pid_before=$("$X86NS_CTL" status "$U" | awk '$1 == "pid" {print $2}')
session_hold
sleep 4
check_eq "linger: a login during the linger joins the same guest" "$pid_before running" \
	"$("$X86NS_CTL" status "$U" | awk '$1 == "pid" {p=$2} $1 == "state" {s=$2} END {print p, s}')"
session_release
check_match "linger: lingering again after that logout" 'state +lingering' \
	"$("$X86NS_CTL" status "$U")"
check "linger: stopped once the linger time is over" x86ns_wait_gone "$UID1" 8
check_eq "linger: nothing left" "" "$(x86ns_leftovers "$UID1")"

# ---- the writable layer persists across boots; x86nsctl reset discards it ---
x86ns_config "[user $U]" "guest = bb" "stop = never"
"$X86NS_CTL" --config "$X86NS_CONF" start "$U" >/dev/null
"$X86NS_CTL" exec "$U" -- sh -c 'echo kept > /etc/x86ns-test-mark'
check_fail "reset is refused while the container runs" "$X86NS_CTL" reset "$U"
"$X86NS_CTL" stop "$U" >/dev/null
"$X86NS_CTL" --config "$X86NS_CONF" start "$U" >/dev/null
check_eq "the guest's changes persist across boots" "kept" \
	"$("$X86NS_CTL" exec "$U" -- cat /etc/x86ns-test-mark)"
"$X86NS_CTL" stop "$U" >/dev/null
check "x86nsctl reset discards the writable layer" "$X86NS_CTL" reset "$U" bb
"$X86NS_CTL" --config "$X86NS_CONF" start "$U" >/dev/null
check_eq "after reset the guest is as shipped" "gone" \
	"$("$X86NS_CTL" exec "$U" -- sh -c 'cat /etc/x86ns-test-mark 2>/dev/null || echo gone')"
"$X86NS_CTL" stop "$U" >/dev/null
