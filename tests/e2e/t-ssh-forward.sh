#!/bin/bash
# SSH as people use it, beyond a shell: agent forwarding (ssh -A) relayed
# into the guest for one session, X11 forwarding (ssh -Y against a real
# Xvfb on the client side) with network = host and a clear refusal with
# network = none, and the remote-IDE pattern (a server started over
# ssh -T on the guest's 127.0.0.1, reached through ssh -L).
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
quiet_kill() { kill "$@" 2>/dev/null; return 0; }
tst_need ssh sshd ssh-agent ssh-add ssh-keygen Xvfb xauth curl

PROBE=$TST_SRCDIR/tests/forward-probe
[[ -x $PROBE ]] || tst_bail "build" "$PROBE missing: run make tests/forward-probe"

tst_guest_busybox
tst_user_add alice
ALICE=$TST_USER ALICE_UID=$TST_USER_UID ALICE_HOME=$TST_USER_HOME
x86ns_stop_at_exit "$ALICE"
tst_user_add bob
BOB=$TST_USER BOB_HOME=$TST_USER_HOME
x86ns_stop_at_exit "$BOB"
x86ns_config "[user $ALICE]" "guest = bb" "[user $BOB]" "guest = bb" "network = none"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
# The harness's sshd leaves X11 off (sshd's default); agent forwarding is on
# by default. Restart it with X11 on.
tst_sshd_stop
echo "X11Forwarding yes" >>"$TST_SSHD_DIR/sshd_config"
sshd_harness_launch "$TST_SSHD_DIR" >&2 || tst_bail "sshd" "did not restart with X11Forwarding"
for u in "$ALICE" "$BOB"; do tst_ssh_authorize "$u"; done
for home in "$ALICE_HOME" "$BOB_HOME"; do install -m 0755 "$PROBE" "$home/forward-probe"; done

# ---- the client's agent, with one key of a known comment ------------------
eval "$(ssh-agent -s -a "$TST_TMP/agent.sock")" >&2
tst_cleanup_push quiet_kill "$SSH_AGENT_PID"
ssh-keygen -q -t ed25519 -N '' -C "x86ns-agent-key-$$" -f "$TST_TMP/agent_key" >&2
ssh-add "$TST_TMP/agent_key" >&2 2>&1 || tst_bail "ssh-add" "could not load the key"

# A session that keeps alice's container up, so that what a session leaves
# in the guest can be looked at after it ends.
tst_ssh "$ALICE" 'sleep 120' </dev/null >/dev/null 2>&1 &
holder=$!
tst_cleanup_push quiet_kill "$holder"
x86ns_wait_running "$ALICE" 15 || tst_bail "container" "alice's guest did not start"

guest_agent_dirs() { tst_ssh "$ALICE" 'ls -d /tmp/x86ns-agent-* 2>/dev/null | wc -l' </dev/null; }
# Agent relays of alice: x86ns-shell processes still in sshd's mount
# namespace (a joined shell is in the guest's; a zombie has no namespace).
relays() {
	local p sshd_mnt
	sshd_mnt=$(<"$TST_SSHD_DIR/mntns")
	for p in $(pgrep -u "$ALICE" -x x86ns-shell); do
		[[ $(readlink "/proc/$p/ns/mnt" 2>/dev/null) == "$sshd_mnt" ]] && echo "$p"
	done
}
# The relay ends a moment after its shell: wait for it, up to 10 s.
wait_no_relay() {
	local i
	for ((i = 0; i < 100; i++)); do [[ -z $(relays) ]] && return 0; sleep 0.1; done
	return 1
}

# ---- ssh -A: the agent answers inside the guest ----------------------------
out=$(tst_ssh -A "$ALICE" 'echo "sock=$SSH_AUTH_SOCK"; stat -c "mode=%a uid=%u" "${SSH_AUTH_SOCK%/*}"; ~/forward-probe agent-list' </dev/null 2>&1)
tst_log "$out"
check_match "ssh -A: the guest's agent lists the client's key (REQUEST_IDENTITIES)" \
	"^comment=x86ns-agent-key-$$\$" "$out"
check_match "ssh -A: SSH_AUTH_SOCK is a per-session socket in the guest's /tmp" \
	'^sock=/tmp/x86ns-agent-[0-9a-f]{12}/agent\.sock$' "$out"
check_match "ssh -A: the session's directory is the user's, mode 0700" \
	"^mode=700 uid=$ALICE_UID\$" "$out"
sock=$(sed -n 's/^sock=//p' <<<"$out")
check "ssh -A: the relay ended with the session" wait_no_relay
check_eq "ssh -A: the socket directory is gone after logout" "0" "$(guest_agent_dirs)"
check_eq "ssh -A: sshd's agent socket is not in the guest's view" "no" \
	"$(tst_ssh "$ALICE" "[ -e /tmp/ssh-* ] && echo yes || echo no" </dev/null)"

# ---- the relay: the user, host namespaces, no_new_privs, filtered ----------
tst_ssh -A "$ALICE" 'echo up; sleep 6' </dev/null >"$TST_TMP/long.out" 2>&1 &
long=$!
relay=
for ((i = 0; i < 100 && !relay; i++)); do
	relay=$(relays | head -1)
	[[ -n $relay ]] || sleep 0.1
done
check "the relay runs while the session does" test -n "$relay"
check_eq "the relay: sshd's mount namespace, the host's network namespace" \
	"$(<"$TST_SSHD_DIR/mntns") $(readlink /proc/self/ns/net)" \
	"$(readlink "/proc/$relay/ns/mnt") $(readlink "/proc/$relay/ns/net")"
check_eq "the relay: the user's ids, no capability, no_new_privs, seccomp filter" \
	"$ALICE_UID 0000000000000000 1 2" \
	"$(awk '$1 == "Uid:" { u = $2 } $1 == "CapEff:" { c = $2 } $1 == "NoNewPrivs:" { n = $2 }
		$1 == "Seccomp:" { s = $2 } END { print u, c, n, s }' "/proc/$relay/status" 2>/dev/null)"
check_eq "the relay holds no terminal and no stdio of the session" "/dev/null /dev/null /dev/null" \
	"$(readlink "/proc/$relay/fd/0" "/proc/$relay/fd/1" "/proc/$relay/fd/2" | tr '\n' ' ' | sed 's/ $//')"

# ---- a second concurrent session gets its own socket -----------------------
out2=$(tst_ssh -A "$ALICE" 'echo "sock=$SSH_AUTH_SOCK"; ~/forward-probe agent-list' </dev/null 2>&1)
sock1=$(tst_ssh "$ALICE" 'ls -d /tmp/x86ns-agent-*' </dev/null)
sock2=$(sed -n 's/^sock=//p' <<<"$out2")
check_match "second concurrent session: its agent works" "^comment=x86ns-agent-key-$$\$" "$out2"
check "second concurrent session: its own socket, not the first one's" \
	test -n "$sock2" -a -n "$sock1" -a "${sock2%/*}" != "$sock1" -a "$sock" != "$sock2"
# The client goes away; the session's command still runs to its end (as
# on any host), then the shell, the relay and the directory go.
kill "$long" 2>/dev/null
wait "$long" 2>/dev/null
for ((i = 0; i < 150; i++)); do [[ -z $(relays) ]] && break; sleep 0.1; done
check_eq "killed client: once the session ends, the relay and the directory are gone" "0 0" \
	"$(relays | wc -l) $(guest_agent_dirs)"
# ---- without -A nothing is made -------------------------------------------
out=$(tst_ssh "$ALICE" 'echo "sock=${SSH_AUTH_SOCK-unset}"; ls -d /tmp/x86ns-agent-* 2>/dev/null | wc -l' </dev/null 2>&1)
check_eq "no -A: no SSH_AUTH_SOCK, no directory in the guest" "sock=unset 0" "$(echo $out)"
check_eq "no -A: no relay" "" "$(relays)"
# ssh -a with an agent on the client side: sshd sets nothing either.
out=$(tst_ssh -a "$ALICE" 'echo "sock=${SSH_AUTH_SOCK-unset}"' </dev/null 2>&1)
check_eq "ssh -a: no SSH_AUTH_SOCK" "sock=unset" "$out"

# ---- another user: bob's guest sees only bob's agent session ---------------
out=$(tst_ssh -A "$BOB" '~/forward-probe agent-list; ls -d /tmp/x86ns-agent-* | wc -l' </dev/null 2>&1)
check_match "bob (network = none): the agent is relayed too (it is no network)" \
	"^comment=x86ns-agent-key-$$\$" "$out"
check_eq "bob's guest holds one agent directory: his own session's" "1" "$(tail -1 <<<"$out")"

kill "$SSH_AGENT_PID" 2>/dev/null
unset SSH_AUTH_SOCK SSH_AGENT_PID

# ---- X11 forwarding --------------------------------------------------------
for ((n = 42; n < 99; n++)); do [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] || break; done
xauth -f "$TST_TMP/Xauthority" add ":$n" MIT-MAGIC-COOKIE-1 "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >&2
Xvfb ":$n" -nolisten tcp -auth "$TST_TMP/Xauthority" >"$TST_TMP/xvfb.log" 2>&1 &
xvfb=$!
tst_cleanup_push quiet_kill "$xvfb"
for ((i = 0; i < 100; i++)); do [[ -S /tmp/.X11-unix/X$n ]] && break; sleep 0.1; done
export DISPLAY=:$n XAUTHORITY=$TST_TMP/Xauthority
check "Xvfb answers on the client side" xdpyinfo

out=$(tst_ssh -Y "$ALICE" 'echo "display=$DISPLAY"; ~/forward-probe x11-setup' </dev/null 2>&1)
tst_log "$out"
check_match "ssh -Y, network = host: DISPLAY is sshd's listener" '^display=localhost:[0-9]+\.0$' "$out"
check_match "ssh -Y, network = host: an X11 connection set-up completes with the cookie" \
	'^x11=ok vendor=' "$out"

out=$(tst_ssh -Y "$BOB" 'echo "display=${DISPLAY-unset}"' </dev/null 2>&1)
check_match "ssh -Y, network = none: refused in one line" \
	"^x86ns-shell: warning: X11 forwarding does not reach guest 'bb'" "$out"
check_match "ssh -Y, network = none: DISPLAY is not set" '^display=unset$' "$out"
unset DISPLAY XAUTHORITY

# ---- the remote-IDE pattern: server over ssh -T, then ssh -L ----------------
ide_port=$(sshd_harness_free_port)
local_port=$(sshd_harness_free_port)
# The script on stdin starts a server on the guest's loopback and keeps the
# session (and so the server) up; the forward is a second connection.
ide_script="mkdir -p /tmp/ide && echo 'ide server in the guest' >/tmp/ide/index.html
httpd -f -p 127.0.0.1:$ide_port -h /tmp/ide &
echo started
sleep 20
kill \$!"
tst_ssh -T "$ALICE" sh -s <<<"$ide_script" >"$TST_TMP/ide.out" 2>&1 &
ide=$!
for ((i = 0; i < 100; i++)); do grep -q started "$TST_TMP/ide.out" && break; sleep 0.1; done
check_eq "remote IDE, network = host: the guest's 127.0.0.1 is the host's" \
	"ide server in the guest" "$(curl -s --max-time 5 "http://127.0.0.1:$ide_port/")"
tst_ssh -N "-L$local_port:127.0.0.1:$ide_port" "$ALICE" </dev/null >/dev/null 2>&1 &
fwd=$!
for ((i = 0; i < 100; i++)); do
	out=$(curl -s --max-time 5 "http://127.0.0.1:$local_port/") && [[ -n $out ]] && break
	sleep 0.1
done
check_eq "remote IDE, network = host: ssh -L reaches the server the script started" \
	"ide server in the guest" "$out"
kill "$fwd" "$ide" 2>/dev/null
wait "$fwd" "$ide" 2>/dev/null
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
exit 0
