#!/bin/bash
# End to end over real ssh: a selected user's logins land in their own
# user-namespaced busybox guest. Exercised on this machine's hybrid cgroup
# layout (v1 controllers + cgroup2 at /sys/fs/cgroup/unified).
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sftp scp sshd

tst_guest_busybox
tst_user_add alice
ALICE=$TST_USER ALICE_UID=$TST_USER_UID ALICE_HOME=$TST_USER_HOME
x86ns_stop_at_exit "$ALICE"
tst_user_add bob
BOB=$TST_USER BOB_UID=$TST_USER_UID
x86ns_stop_at_exit "$BOB"
tst_user_add_nosub carol
CAROL=$TST_USER
tst_user_add dave /bin/sh
DAVE=$TST_USER

mkdir -p "$TST_TMP/shared" && echo "from the host" >"$TST_TMP/shared/note"
x86ns_config "[user $ALICE]" "guest = bb" "[user $BOB]" "guest = bb" "pids = 64" \
	"memory = 256M" "cpu = 50%" "network = none" "bind = $TST_TMP/shared:/data:ro" \
	"[user $CAROL]" "guest = bb"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
for u in "$ALICE" "$BOB" "$CAROL" "$DAVE"; do tst_ssh_authorize "$u"; done

# ---- a command: stdout, stderr and exit status as from a plain shell -------
out=$(tst_ssh "$ALICE" 'echo out; echo err >&2; exit 7' 2>"$TST_TMP/err")
rc=$?
check_eq "ssh cmd: stdout comes back" "out" "$out"
check_eq "ssh cmd: stderr comes back" "err" "$(<"$TST_TMP/err")"
check_eq "ssh cmd: exit status comes back" 7 "$rc"

out=$(tst_ssh "$ALICE" '. /etc/os-release; echo "$ID"; id -un; pwd; hostname')
check_eq "ssh cmd: runs in the guest as the user, in the home" \
	"x86ns-busybox $ALICE $ALICE_HOME bb" "$(echo $out)"
check_eq "last logout stopped the container, nothing left" "" \
	"$(x86ns_wait_gone "$ALICE_UID"; x86ns_leftovers "$ALICE_UID")"

# ---- interactive: a real pty inside the guest ------------------------------
out=$(printf 'tty; . /etc/os-release; echo "id=$ID"; stty size; exit 3\n' |
	tst_ssh -tt -o SendEnv=none "$ALICE" 2>&1)
rc=$?
check_match "interactive: tty is a pty of the guest" '^/dev/pts/[0-9]+' "$(tr -d '\r' <<<"$out")"
check_match "interactive: in the guest" '^id=x86ns-busybox' "$(tr -d '\r' <<<"$out")"
check_eq "interactive: exit status of the login shell" 3 "$rc"
out=$(tst_ssh -tt "$ALICE" 'ls -l /proc/self/fd/0' 2>&1 </dev/null)
check_match "ssh -tt cmd: stdin is the guest pty" '/dev/pts/[0-9]+' "$out"

# ---- sftp and scp with the guest's own sftp-server -------------------------
# (The host's is never run in a guest: tests/security/t-sftp-fallback.sh.)
echo "payload $$" >"$TST_TMP/up.txt"
tst_ssh "$ALICE" 'sleep 90' &
holder=$!
x86ns_wait_running "$ALICE" 10
check "guest root installs sftp-server in alice's guest" x86ns_guest_install_sftp_server "$ALICE"
# The joined x86ns-shell relays under its own filter, with no_new_privs.
shell_pid=
for ((i = 0; i < 50 && !shell_pid; i++)); do
	shell_pid=$(pgrep -u "$ALICE" -f '^x86ns-shell -c sleep 90$' | head -1)
	[[ -n $shell_pid ]] || sleep 0.1
done
# The shell sets no_new_privs, then loads its filter: wait for the filter
# (bounded) instead of reading the status between the two.
shell_confinement() {
	awk '$1 == "NoNewPrivs:" { n = $2 } $1 == "Seccomp:" { s = $2 } END { print n, s }' \
		"/proc/$shell_pid/status" 2>/dev/null
}
for ((i = 0; i < 50; i++)); do
	[[ $(shell_confinement) == "1 2" ]] && break
	sleep 0.1
done
check_eq "the joined x86ns-shell runs with no_new_privs and a seccomp filter" "1 2" \
	"$(shell_confinement)"
printf 'put %s /tmp/up.txt\nget /etc/os-release %s\n' "$TST_TMP/up.txt" "$TST_TMP/os.txt" |
	tst_sftp "$ALICE" -b - >"$TST_TMP/sftp.log" 2>&1
check_eq "sftp put lands in the guest's /tmp" "payload $$" "$(tst_ssh "$ALICE" cat /tmp/up.txt)"
check_eq "sftp put did not write the host's /tmp" "no" "$([[ -e /tmp/up.txt ]] && echo yes || echo no)"
check_match "sftp get reads the guest's files" '^ID=x86ns-busybox' "$(cat "$TST_TMP/os.txt" 2>/dev/null)"
tst_scp "$ALICE" "$TST_TMP/up.txt" :/tmp/scp.txt >/dev/null 2>&1
check_eq "scp writes into the guest" "payload $$" "$(tst_ssh "$ALICE" cat /tmp/scp.txt)"

# ---- later logins join the same container ---------------------------------
a=$(tst_ssh "$ALICE" 'readlink /proc/self/ns/pid; echo x > /tmp/shared')
b=$(tst_ssh "$ALICE" 'readlink /proc/self/ns/pid; cat /tmp/shared')
check_eq "second login: same PID namespace and /tmp" "$(head -1 <<<"$a") x" "$(echo $b)"
check_eq "x86nsctl list shows one container for alice" 1 \
	"$("$X86NS_CTL" list | grep -c "^$ALICE ")"
ready=/run/x86ns/$ALICE_UID/ready
check_eq "the ready guest's monitor leaves its pid in a root-owned ready file" \
	"root 644 ok pid=$("$X86NS_CTL" status "$ALICE" | awk '$1 == "pid" {print $2}')" \
	"$(stat -c '%U %a' "$ready") $(cut -d' ' -f1,2 "$ready")"

# ---- another user: own container, cannot see or join alice's --------------
c=$(tst_ssh "$BOB" 'readlink /proc/self/ns/pid; ls /tmp')
check_eq "bob gets a container of his own" "no" \
	"$([[ $(head -1 <<<"$c") == "$(head -1 <<<"$a")" ]] && echo yes || echo no)"
check_eq "bob does not see alice's /tmp" "" "$(tail -n +2 <<<"$c")"

# ---- bob's limits, private network and read-only bind ----------------------
tst_ssh "$BOB" 'sleep 20' &
bob_holder=$!
x86ns_wait_running "$BOB" 10
limits="$(cat /sys/fs/cgroup/pids/x86ns/$BOB_UID/pids.max 2>/dev/null ||
	cat /sys/fs/cgroup/x86ns/$BOB_UID/pids.max)"
check_eq "pids = 64 is the container's pids.max" 64 "$limits"
mem="$(cat /sys/fs/cgroup/memory/x86ns/$BOB_UID/memory.limit_in_bytes 2>/dev/null ||
	cat /sys/fs/cgroup/x86ns/$BOB_UID/memory.max)"
check_eq "memory = 256M is the container's memory limit" 268435456 "$mem"
cpu="$(cat /sys/fs/cgroup/cpu/x86ns/$BOB_UID/cpu.cfs_quota_us 2>/dev/null ||
	cut -d' ' -f1 /sys/fs/cgroup/x86ns/$BOB_UID/cpu.max)"
check_eq "cpu = 50% is the container's CPU quota" 50000 "$cpu"
out=$(tst_ssh "$BOB" 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "')
check_eq "network = none: only a loopback device in the guest" "lo" "$out"
out=$(tst_ssh "$BOB" 'ip link show lo')
check_match "network = none: the loopback device is up" '<LOOPBACK,UP,LOWER_UP>' "$out"
out=$(tst_ssh "$BOB" 'cat /data/note; touch /data/x 2>&1; echo rc=$?')
check_match "bind: the host directory is visible in the guest" '^from the host$' "$out"
check_match "bind :ro: the guest cannot write it" 'Read-only file system' "$out"
out=$(tst_ssh "$BOB" 'i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done 2>&1 | head -1')
check_match "pids = 64 stops a fork flood in the guest" 'fork|Resource temporarily unavailable' "$out"
wait "$bob_holder" 2>/dev/null

init=$("$X86NS_CTL" status "$ALICE" | awk '$1 == "pid" {print $2}')
as_bob() { setpriv --reuid "$BOB" --regid "$BOB" --clear-groups "$@"; }
out=$(as_bob "$TST_SRCDIR/tests/setns-probe" "$init" 2>&1)
check_eq "bob cannot setns into alice's container through a pidfd" "setns: EPERM" "$out"
out=$(as_bob kill -0 "$init" 2>&1)
check_match "bob cannot signal alice's init" 'Operation not permitted' "$out"

# ---- mounts placed by x86ns arrive locked ------------------------------------
out=$("$X86NS_CTL" exec "$ALICE" -- sh -c 'umount -l /sys/fs/cgroup; umount -l /proc;
	umount -l /sys; umount -l /dev; ls /sys/fs/cgroup' 2>&1)
check_eq "guest root cannot unmount what x86ns mounted (4 refusals)" 4 \
	"$(grep -c "can't unmount.*Invalid argument" <<<"$out")"
check_eq "... so the host's cgroup tree stays covered" "" "$(grep -x pids <<<"$out")"

# ---- guest root's kill -9 -1 kills nothing outside the container ----------
setpriv --reuid "$ALICE" --regid "$ALICE" --clear-groups sleep 300 &
host_sleep=$!
sleep 0.2
"$X86NS_CTL" exec "$ALICE" -- kill -9 -1 >/dev/null 2>&1
sleep 0.5
check "alice's host process survives guest root's kill -9 -1" kill -0 "$host_sleep"
check "the ssh test server survives guest root's kill -9 -1" kill -0 "$TST_SSHD_PID"
kill "$host_sleep" 2>/dev/null
"$X86NS_CTL" stop "$ALICE" >/dev/null
wait "$holder" 2>/dev/null

# ---- a dead guest is replaced by a fresh one on the next login -------------
tst_ssh "$ALICE" 'sleep 30' &
holder=$!
x86ns_wait_running "$ALICE" 10
old=$("$X86NS_CTL" status "$ALICE" | awk '$1 == "pid" {print $2}')
kill -9 "$old"
x86ns_wait_gone "$ALICE_UID" 10
check_eq "a crashed guest leaves nothing behind" "" "$(x86ns_leftovers "$ALICE_UID")"
wait "$holder" 2>/dev/null
out=$(tst_ssh "$ALICE" 'echo fresh')
check_eq "the next login starts a fresh guest" "fresh" "$out"

# ---- eight simultaneous first logins make one container --------------------
x86ns_wait_gone "$ALICE_UID" 10
pids=()
for i in 1 2 3 4 5 6 7 8; do
	tst_ssh "$ALICE" 'readlink /proc/self/ns/pid; sleep 1' >"$TST_TMP/par.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
check_eq "8 simultaneous first logins share one PID namespace" 1 \
	"$(cat "$TST_TMP"/par.* | sort -u | wc -l)"
check_match "... and each of them got in" 'pid:' "$(cat "$TST_TMP"/par.8)"

# ---- refused logins: no subordinate range; unselected user on the host -----
out=$(tst_ssh "$CAROL" 'echo inside' 2>&1)
rc=$?
check_eq "user without a subordinate range is refused" "refused" \
	"$( ((rc != 0)) && [[ $out != *inside* ]] && echo refused || echo "rc=$rc $out")"
check_eq "... sshd reports the failed PAM session (exit 254)" 254 "$rc"
check_match "... with the module's one-line reason" "x86ns: user $CAROL has no subordinate uid range" "$out"
out=$(tst_ssh "$DAVE" 'cat /etc/hostname 2>/dev/null; id -un')
check_match "a user no section selects logs in on the host" "^$DAVE\$" "$out"

x86ns_wait_gone "$ALICE_UID" 10
x86ns_wait_gone "$BOB_UID" 10
check_eq "after the last logouts nothing is left" "" \
	"$(x86ns_leftovers "$ALICE_UID"; x86ns_leftovers "$BOB_UID")"
