#!/bin/bash
# sshd serves forwards on the host, outside the guest: with network = none a
# user's ssh -W 127.0.0.1:PORT reached the host's services. x86nsctl
# check-sshd reads sshd's effective settings per user and fails on every
# forward that would bypass the guest's network; x86nsctl sshd-config prints
# the Match blocks that turn them off. Each forward type is tried over the
# real test sshd before and after the snippet, for network = host and none.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd curl
quiet_kill() { kill "$@" 2>/dev/null; return 0; }

tst_guest_busybox
tst_user_add alice
ALICE=$TST_USER
x86ns_stop_at_exit "$ALICE"
tst_user_add bob
BOB=$TST_USER
x86ns_stop_at_exit "$BOB"
x86ns_config "[user $ALICE]" "guest = bb" "[user $BOB]" "guest = bb" "network = none"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
for u in "$ALICE" "$BOB"; do tst_ssh_authorize "$u"; done
CONF=$TST_SSHD_DIR/sshd_config

# The banner of the test sshd itself stands for "a service on the host's
# loopback" (the host's 127.0.0.1 answers; a guest without network has no
# such listener).
banner_via_W() { # USER PORT
	_tst_client_options
	timeout 10 ssh "${TST_CLIENT_OPTS[@]}" -W "127.0.0.1:$2" "$1@$SSHD_HARNESS_HOST" \
		</dev/null 2>/dev/null | head -c 8
}
remote_forward() { # USER SPEC: ok when sshd accepts the remote forward
	tst_ssh -o ExitOnForwardFailure=yes "-R$2" "$1" true </dev/null >&2 2>&1
}

# ---- before: sshd's defaults let bob out of his guest's "no network" -------
check_eq "before: ssh -W by a network = none user reaches the host's loopback" "SSH-2.0-" \
	"$(banner_via_W "$BOB" "$TST_SSHD_PORT")"
out=$("$X86NS_CTL" --config "$X86NS_CONF" check-sshd --sshd-config "$CONF" 2>&1)
rc=$?
tst_log "$out"
check_eq "before: check-sshd fails" 1 "$rc"
check_match "before: check-sshd names bob and AllowTcpForwarding" \
	"^sshd forwarding: user $BOB \\(network = none\\): +missing \\(.*AllowTcpForwarding is yes, must be no" "$out"
check_match "before: check-sshd names alice and AllowStreamLocalForwarding" \
	"^sshd forwarding: user $ALICE \\(network = host\\): +missing \\(AllowStreamLocalForwarding is yes" "$out"
out=$("$X86NS_CTL" --config "$X86NS_CONF" check --sshd-config "$CONF" 2>&1)
check_match "before: x86nsctl check reports the same in its sshd group" \
	"^sshd forwarding: user $BOB \\(network = none\\): +missing" "$out"

# ---- the snippet, installed in the test sshd's configuration ----------------
"$X86NS_CTL" --config "$X86NS_CONF" sshd-config >"$TST_SSHD_DIR/x86ns-forwarding.conf"
tst_log "$(cat "$TST_SSHD_DIR/x86ns-forwarding.conf")"
check_match "sshd-config: a Match block for bob with everything networked off" \
	"^Match User $BOB\$" "$(cat "$TST_SSHD_DIR/x86ns-forwarding.conf")"
echo "Include $TST_SSHD_DIR/x86ns-forwarding.conf" >>"$CONF"
check "sshd accepts the snippet (sshd -t)" /usr/sbin/sshd -t -f "$CONF"
tst_sshd_stop
sshd_harness_launch "$TST_SSHD_DIR" >&2 || tst_bail "sshd" "did not restart with the snippet"
out=$("$X86NS_CTL" --config "$X86NS_CONF" check-sshd --sshd-config "$CONF" 2>&1)
rc=$?
tst_log "$out"
check_eq "after: check-sshd passes" 0 "$rc"
check_match "after: one ok line per selected user" "^sshd forwarding: user $BOB \\(network = none\\): +ok" "$out"

# ---- network = none: every forward is refused --------------------------------
check_eq "none: ssh -W (direct-tcpip) is refused" "" "$(banner_via_W "$BOB" "$TST_SSHD_PORT")"
check_fail "none: ssh -R (tcpip-forward) is refused" remote_forward "$BOB" "0:127.0.0.1:22"
check_fail "none: ssh -R to a Unix socket (streamlocal) is refused" remote_forward "$BOB" \
	"/tmp/x86ns-policy-$$.sock:127.0.0.1:22"
check_eq "none: no streamlocal listener was made on the host" "no" \
	"$([[ -e /tmp/x86ns-policy-$$.sock ]] && echo yes || echo no)"
# ssh -D and ssh -L use the same direct-tcpip channel as -W: -L is tried
# through the remote-IDE pattern below.

# ---- network = host: TCP forwards work, streamlocal is refused -----------------
check_eq "host: ssh -W reaches 127.0.0.1 (the guest's loopback is the host's)" "SSH-2.0-" \
	"$(banner_via_W "$ALICE" "$TST_SSHD_PORT")"
check "host: ssh -R (tcpip-forward) works" remote_forward "$ALICE" "0:127.0.0.1:22"
check_fail "host: ssh -R to a Unix socket (streamlocal) is refused" remote_forward "$ALICE" \
	"/tmp/x86ns-policy-$$.sock:127.0.0.1:22"
rm -f "/tmp/x86ns-policy-$$.sock"

# ---- the remote-IDE pattern with network = none: fails, and says so ----------
ide_port=$(sshd_harness_free_port)
local_port=$(sshd_harness_free_port)
tst_ssh -T "$BOB" sh -s >"$TST_TMP/ide.out" 2>&1 <<<"mkdir -p /tmp/ide && echo ide >/tmp/ide/index.html
httpd -f -p 127.0.0.1:$ide_port -h /tmp/ide &
echo started
sleep 8
kill \$!" &
ide=$!
tst_cleanup_push quiet_kill "$ide"
for ((i = 0; i < 100; i++)); do grep -q started "$TST_TMP/ide.out" && break; sleep 0.1; done
check_eq "IDE, none: the server runs on the guest's own loopback, not the host's" "" \
	"$(curl -s --max-time 3 "http://127.0.0.1:$ide_port/")"
# -v: ssh reports a refused channel at its INFO level, below the harness's.
tst_ssh -v -N "-L$local_port:127.0.0.1:$ide_port" "$BOB" </dev/null >"$TST_TMP/fwd.out" 2>&1 &
fwd=$!
# $! is the shell that runs tst_ssh: the ssh client itself is found by its
# forward, which no other process names (an ssh -N left running would hold
# bob's session, and so the cleanup, forever).
kill_fwd() {
	quiet_kill "$fwd"
	pkill -f -- "-L$local_port:127.0.0.1:$ide_port" 2>/dev/null
	return 0
}
tst_cleanup_push kill_fwd
sleep 1
check_eq "IDE, none: ssh -L to it is refused" "" "$(curl -s --max-time 3 "http://127.0.0.1:$local_port/")"
check_match "IDE, none: the client is told why" "administratively prohibited" \
	"$(cat "$TST_TMP/fwd.out")"
kill_fwd
quiet_kill "$ide"
# Only these two: a bare wait would wait for the test sshd too.
wait "$fwd" "$ide" 2>/dev/null
exit 0
