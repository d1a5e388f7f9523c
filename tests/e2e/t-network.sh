#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# network = private: the container's own network namespace, its traffic
# through pasta (Debian package passt) run as the user. It is what stands in
# for Landlock scoping on kernels before 6.12 (lib/plan.h); here the guest
# sets landlock = no, so that what keeps the host's abstract socket away is
# the network namespace alone, as on such a kernel.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd pasta busybox
PROBE=$TST_SRCDIR/tests/security/probe
[[ -x $PROBE ]] || tst_bail "build" "$PROBE missing: make check builds it"

# pasta opens /dev/net/tun as the user inside the container's user
# namespace: Debian's udev makes it 0666; a host without udev may not.
tun_mode=$(stat -c %a /dev/net/tun) || tst_bail "/dev/net/tun" "missing"
if [[ $tun_mode != 666 ]]; then
	tst_log "/dev/net/tun is $tun_mode here; 0666 (Debian's) for this test"
	chmod 0666 /dev/net/tun
	tst_cleanup_push chmod "$tun_mode" /dev/net/tun
fi

# bg_stop PID: end a background process of this script (never fails).
bg_stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

tst_guest_busybox
tst_user_add netu
x86ns_config 'landlock = no' '' "[user $TST_USER]" 'guest = bb' 'network = private' 'stop = never'
x86ns_stop_at_exit "$TST_USER"
tst_sshd_pam_file "$TST_TMP/pam" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam" || tst_bail "sshd" "did not start"
tst_ssh_authorize "$TST_USER"
install -m 0755 "$PROBE" "$TST_USER_HOME/x86ns-probe"

# ---- what check and the plan say ------------------------------------------
out=$(x86nsctl check 2>&1)
check_match "check: the guest's plan for network private" "guest bb \(network private\): +ok" "$out"

# ---- login, and the stack -------------------------------------------------
out=$(tst_ssh "$TST_USER" 'echo in-guest; cat /proc/net/route' 2>&1)
check_match "login works with network = private" '^in-guest$' "$out"
check_match "the guest has a default route through eth0" '^eth0[[:space:]]+00000000' "$out"

status=$("$X86NS_CTL" status "$TST_USER")
check_match "status: network private" 'network +private$' "$status"
init=$(awk '$1 == "pid" {print $2}' <<<"$status")
net_pid=$(awk '$1 == "net-pid" {print $2}' <<<"$status")
monitor=$(awk '$1 == "monitor" {print $2}' <<<"$status")
check "the guest has a network namespace of its own" \
	test "$(readlink "/proc/$init/ns/net")" != "$(readlink /proc/self/ns/net)"
check_eq "pasta runs as the user (real, effective, saved, fs uid)" \
	"$TST_USER_UID $TST_USER_UID $TST_USER_UID $TST_USER_UID" \
	"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$net_pid/status" 2>&1)"
check_eq "pasta runs with no_new_privs" "1" \
	"$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$net_pid/status" 2>&1)"
check_eq "pasta is the monitor's child" "$monitor" \
	"$(awk '/^PPid:/ {print $2}' "/proc/$net_pid/status" 2>&1)"
# pasta itself stays in the host's network namespace (its sockets are the
# host's); it holds the tap device it made in the guest's.
check_match "pasta is in the monitors' cgroup, not the guest's" 'x86ns/monitors$' \
	"$(cat "/proc/$net_pid/cgroup")"

# ---- outbound TCP through pasta to a listener on the host's 127.0.0.1 -----
gw=$(ip -4 route show default | awk '{print $3; exit}')
port=$(sshd_harness_free_port)
busybox nc -l -p "$port" >"$TST_TMP/received" &
nc_pid=$!
tst_cleanup_push bg_stop "$nc_pid"
sleep 0.2
# The sender keeps its side open a moment after the line: Debian 12's pasta
# (2023-03) was seen to close a connection whose data and FIN came at once
# before the data reached the host (noted in README, "Kernels").
tst_ssh "$TST_USER" "(echo through-pasta; sleep 1) | nc $gw $port" >&2
wait "$nc_pid"
check_eq "the guest reaches a host 127.0.0.1 listener at the gateway address $gw" \
	"through-pasta" "$(cat "$TST_TMP/received")"

# ---- the host's abstract unix socket is not there -------------------------
name=x86ns-net-test-$$
"$PROBE" abstract-listen "$name" >"$TST_TMP/abstract" 2>&1 &
ab_pid=$!
tst_cleanup_push bg_stop "$ab_pid"
for _ in $(seq 50); do grep -q listening "$TST_TMP/abstract" && break; sleep 0.1; done
check_match "host abstract listener up" '^listening' "$(cat "$TST_TMP/abstract")"
check_match "the host reaches it (control)" 'connect=ok' "$("$PROBE" abstract-connect "$name")"
check_eq "the guest does not: no such socket in its network namespace" "connect=ECONNREFUSED" \
	"$(tst_ssh "$TST_USER" "./x86ns-probe abstract-connect $name" 2>&1)"

# ---- no port of the guest appears on the host -----------------------------
gport=$(sshd_harness_free_port)
x86nsctl exec "$TST_USER" --user -- sh -c "nc -l -p $gport >/dev/null 2>&1 &" >&2
sleep 0.3
check_match "the guest's listener runs (control)" ":$gport " \
	"$(x86nsctl exec "$TST_USER" -- netstat -ltn 2>&1)"
check_fail "a 127.0.0.1 listener in the guest is not forwarded to the host" \
	busybox nc -w 1 127.0.0.1 "$gport" </dev/null

# ---- the stack ends with the container ------------------------------------
"$X86NS_CTL" stop "$TST_USER" >&2
check "the container stopped" x86ns_wait_gone "$TST_USER_UID"
check_fail "pasta ended with the container" test -e "/proc/$net_pid/status"
check_eq "nothing left behind" "" "$(x86ns_leftovers "$TST_USER_UID")"
