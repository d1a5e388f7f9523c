#!/bin/bash
# The audit records of pam_x86ns.so (start, stop) and of the monitor
# (destroy), read from the kernel's audit multicast group by
# tests/audit-listen: no auditd needed. Kernel auditing is turned on for the
# test if it is off, and must be back to its old state at the end.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
DRIVER=$TST_SRCDIR/tests/pam-driver
LISTEN=$TST_SRCDIR/tests/audit-listen
[[ -x $DRIVER ]] || tst_bail "build" "$DRIVER missing: run make check"
[[ -x $LISTEN ]] || tst_bail "build" "$LISTEN missing: run make check"

# Never skipped: a kernel without audit support fails here, saying so.
before=$("$LISTEN" --status 2>&1) ||
	tst_bail "kernel audit support" "$before"
[[ $before =~ ^enabled=([0-9]+)$ ]] || tst_bail "kernel audit status" "unexpected: $before"
enabled_before=${BASH_REMATCH[1]}
# Should the listener die without restoring (SIGKILL), put the state back.
restore_audit() {
	local now
	now=$("$LISTEN" --status) || return 1
	[[ $now == "enabled=$enabled_before" ]] || "$LISTEN" --set-enabled "$enabled_before"
}
((enabled_before <= 1)) && tst_cleanup_push restore_audit

tst_guest_busybox
tst_user_add aud1
U=$TST_USER UID1=$TST_USER_UID
x86ns_stop_at_exit "$U"
tst_user_add_nosub aud2
NOSUB=$TST_USER NOSUB_UID=$TST_USER_UID

x86ns_config "[user $U]" "guest = bb" "[user $NOSUB]" "guest = bb"
PAMD=$TST_TMP/pam.d
mkdir -p "$PAMD"
echo "session required $X86NS_MODULE config=$X86NS_CONF launcher=$X86NS_LAUNCH" >"$PAMD/req"
driver() { "$DRIVER" --confdir "$PAMD" "$@"; }

# ---- listen -----------------------------------------------------------------
OUT=$TST_TMP/audit.out
"$LISTEN" --enable >"$OUT" 2>"$TST_TMP/audit.err" &
LISTEN_PID=$!
stop_listener() { # idempotent; waits so that its restore is done
	kill -TERM "$LISTEN_PID" 2>/dev/null
	wait "$LISTEN_PID" 2>/dev/null
	return 0
}
tst_cleanup_push stop_listener
for ((i = 0; i < 50; i++)); do
	grep -qx listening "$OUT" && break
	kill -0 "$LISTEN_PID" 2>/dev/null || break
	sleep 0.1
done
grep -qx listening "$OUT" ||
	tst_bail "audit-listen is listening" "$(cat "$OUT" "$TST_TMP/audit.err")"
ok "audit-listen joined the audit read-log group"

# ---- one session, its container's end, one refused start ------------------
out=$(driver --service req --user "$U")
check_match "session of $U opened and closed" '^close=Success$' "$out"
check "the container stops after the last session" x86ns_wait_gone "$UID1" 15
out=$(driver --service req --user "$NOSUB")
check_match "start without a subordinate range refused" '^open=' "$out"

# The kernel delivers records asynchronously: wait for the last expected ones.
records_in() { grep -c "^type=2500 msg=.*msg='virt=x86ns op=$1 .*user=$2 " "$OUT"; }
for ((i = 0; i < 50; i++)); do
	(($(records_in destroy "$U") > 0 && $(records_in start "$NOSUB") > 0)) && break
	sleep 0.1
done

kill -TERM "$LISTEN_PID"
wait "$LISTEN_PID"
rc=$?
check_eq "audit-listen ended cleanly on SIGTERM" "0" "$rc" || tst_log "$(cat "$TST_TMP/audit.err")"
tst_log "records:"$'\n'"$(cat "$OUT")"
records=$(grep '^type=' "$OUT")

# ---- the records ------------------------------------------------------------
check_match "start: user, uid, guest and result" \
	"msg='virt=x86ns op=start vm=bb vm-pid=[1-9][0-9]* user=$U uid=$UID1 translator=none new=1 .*res=success'" \
	"$records"
check_match "stop: same user and uid, success" \
	"msg='virt=x86ns op=stop vm=bb vm-pid=[1-9][0-9]* user=$U uid=$UID1 stopping=1 .*res=success'" "$records"
check_match "destroy: the guest, its init, the user" \
	"msg='virt=x86ns op=destroy vm=bb vm-pid=[1-9][0-9]* user=$U uid=$UID1 translator=none .*res=success'" \
	"$records"
start_pid=$(sed -n "s/.*op=start vm=bb vm-pid=\([0-9]*\) user=$U .*/\1/p" <<<"$records" | head -n 1)
destroy_pid=$(sed -n "s/.*op=destroy vm=bb vm-pid=\([0-9]*\) user=$U .*/\1/p" <<<"$records" | head -n 1)
check_eq "destroy names the init that start reported" "$start_pid" "$destroy_pid"
check_match "failed start: user, uid, result failed" \
	"msg='virt=x86ns op=start vm=bb vm-pid=0 user=$NOSUB uid=$NOSUB_UID .*res=failed'" "$records"
check_eq "exactly one start, one stop, one destroy for $U" "1 1 1" \
	"$(records_in start "$U") $(records_in stop "$U") $(records_in destroy "$U")"

# ---- kernel auditing is as it was --------------------------------------------
if ((enabled_before == 0)); then
	check_match "audit-listen turned auditing on for the test" '^audit: enabled was 0, set to 1$' "$(cat "$OUT")"
	check_match "... and restored it on SIGTERM" '^audit: restored enabled=0$' "$(cat "$OUT")"
fi
check_eq "kernel auditing back to its state before the test" "$before" "$("$LISTEN" --status 2>&1)"
