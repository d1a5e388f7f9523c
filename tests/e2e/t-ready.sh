#!/bin/bash
# ready = notify over real ssh: the login waits for the guest's READY=1, a
# guest that never reports ready is refused (or let in with a warning) with
# the end of its console, and nothing is left behind.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd

tst_guest_busybox
tst_user_add rdy
U=$TST_USER UID1=$TST_USER_UID
x86ns_stop_at_exit "$U"

# The config file is rewritten per case; the pam line names its path.
x86ns_config
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
tst_ssh_authorize "$U"

guest_config() { # EXTRA-GUEST-LINES...
	{
		printf '[guest bb]\nroot = %s\nstop-timeout = 2\n' "$TST_GUEST"
		printf '%s\n' "$@"
		printf '[user %s]\nguest = bb\n' "$U"
	} >"$X86NS_CONF"
}

# ---- the builtin init reports READY=1 through NOTIFY_SOCKET -----------------
guest_config "ready = notify" "ready-timeout = 10s"
out=$(tst_ssh "$U" "echo inside" 2>&1)
check_match "ready = notify: the login gets in once init reports READY=1" '^inside$' "$out"
check_match "the guest's console log shows the readiness" 'guest ready after' \
	"$(cat "/var/log/x86ns/$U.log")"
x86ns_wait_gone "$UID1" 10

# ---- an init that never reports ready: refused, with the console's end -----
guest_config "init = /sbin/init" "stop-signal = SIGKILL" "ready = notify" "ready-timeout = 2s"
start=$SECONDS
out=$(tst_ssh "$U" 'echo inside' 2>&1)
rc=$?
check_eq "never ready: the login is refused" "126 no" \
	"$rc $([[ $out == *inside* ]] && echo yes || echo no)"
check_match "never ready: the message names the timeout and quotes the console" \
	"guest 'bb' did not become ready within 2 s; its console ended: .*activate this console" "$out"
check "never ready: refused after the timeout, not before" test $((SECONDS - start)) -ge 2
check "never ready: the guest is stopped" x86ns_wait_gone "$UID1" 10
check_eq "never ready: nothing left" "" "$(x86ns_leftovers "$UID1")"

# ---- ready-timeout-action = warn: let in with a warning ---------------------
guest_config "init = /sbin/init" "stop-signal = SIGKILL" "ready = notify" "ready-timeout = 2s" \
	"ready-timeout-action = warn"
out=$(tst_ssh "$U" 'echo inside' 2>&1)
check_match "warn: the login proceeds after the timeout" '^inside$' "$out"
check_match "warn: with a one-line warning" \
	"^x86ns-shell: warning: guest 'bb' did not report ready in time" "$out"
x86ns_wait_gone "$UID1" 10
check_eq "warn: nothing left after logout" "" "$(x86ns_leftovers "$UID1")"
