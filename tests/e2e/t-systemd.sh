#!/bin/bash
# Full guests over real ssh: Debian bookworm trees made with
# `x86nsctl guest create` (debootstrap; cached, rebuilt when missing) boot
# their own systemd as PID 1 with journald, dbus and cron; the login waits
# for READY=1; logout powers the guest off and leaves nothing. Exercised on
# this machine's hybrid cgroup layout.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd debootstrap

tst_guest_busybox
AMD64=$("$TST_DIR/guest-debian.sh" --arch amd64) || tst_bail "amd64 guest" "guest-debian.sh failed"
# An i386 guest needs a kernel that runs 32-bit x86 code (IA32 emulation).
I386=
if ia32_why=$(tst_ia32_unsupported); then
	I386_SKIP=$ia32_why
else
	I386=$("$TST_DIR/guest-debian.sh" --arch i386) || tst_bail "i386 guest" "guest-debian.sh failed"
fi

tst_user_add sda
A=$TST_USER A_UID=$TST_USER_UID
x86ns_stop_at_exit "$A"
tst_user_add sdb
B=$TST_USER B_UID=$TST_USER_UID
x86ns_stop_at_exit "$B"
tst_user_add sdc
C=$TST_USER C_UID=$TST_USER_UID
x86ns_stop_at_exit "$C"

deb32=()
[[ -n $I386 ]] && deb32=("[guest deb32]" "root = $I386" "init = /sbin/init" "ready = notify"
	"personality = x86" "[user $C]" "guest = deb32")
x86ns_config "[guest deb]" "root = $AMD64" "init = /sbin/init" "ready = notify" \
	"[user $A]" "guest = deb" "[user $B]" "guest = deb" "${deb32[@]}"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
for u in "$A" "$B" "$C"; do tst_ssh_authorize "$u"; done

# ---- boot: the first command of the first login already sees "running" ----
out=$(tst_ssh "$A" 'systemctl is-system-running; systemctl --failed --plain --no-legend | wc -l;
	ps -o comm= -p 1; for s in systemd-journald dbus cron; do systemctl is-active $s; done;
	ps -e -o comm= | sort -u | tr "\n" " "' 2>&1)
lines=()
mapfile -t lines <<<"$out"
check_eq "the terminal is handed over only when the guest is running" "running" "${lines[0]}"
check_eq "no unit failed" "0" "${lines[1]}"
check_eq "systemd is PID 1" "systemd" "${lines[2]}"
check_eq "journald, dbus and cron are active" "active active active" \
	"${lines[3]} ${lines[4]} ${lines[5]}"
check_match "no host process is visible" '^(.* )?cron ' "${lines[6]}"
check_eq "... and in particular not the host's sshd" "" "$(grep -w sshd <<<"${lines[6]}")"
check_match "the console log shows the readiness before the session" 'guest ready after' \
	"$(cat "/var/log/x86ns/$A.log")"
check "logout powers the guest off" x86ns_wait_gone "$A_UID" 15
check_match "... in order (systemd's own shutdown)" 'Powering off|Reached target.*Power-Off' \
	"$(tr -d '\033' <"/var/log/x86ns/$A.log")"
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$A_UID")"

# ---- a second login during the boot waits and joins the same boot ---------
tst_ssh "$A" 'readlink /proc/1/ns/pid; systemctl is-system-running' >"$TST_TMP/l1" 2>&1 &
p1=$!
tst_ssh "$A" 'readlink /proc/1/ns/pid; systemctl is-system-running' >"$TST_TMP/l2" 2>&1 &
p2=$!
wait "$p1" "$p2"
check_eq "two logins racing the boot share one guest" "$(head -1 "$TST_TMP/l1")" \
	"$(head -1 "$TST_TMP/l2")"
check_eq "... and both got in after READY" "running running" \
	"$(tail -1 "$TST_TMP/l1") $(tail -1 "$TST_TMP/l2")"
x86ns_wait_gone "$A_UID" 15

# ---- two users boot two guests side by side --------------------------------
tst_ssh "$A" 'sleep 8' &
pa=$!
tst_ssh "$B" 'sleep 8' &
pb=$!
x86ns_wait_running "$A" 20 && x86ns_wait_running "$B" 20
ia=$("$X86NS_CTL" status "$A" | awk '$1 == "pid" {print $2}')
ib=$("$X86NS_CTL" status "$B" | awk '$1 == "pid" {print $2}')
check "two users' guests run side by side" test -n "$ia" -a -n "$ib" -a "$ia" != "$ib"
oa=$(tst_ssh "$A" 'systemctl is-system-running; ls /proc | grep -c "^[0-9]"')
check_match "user A's guest is running" '^running$' "$oa"
wait "$pa" "$pb"
x86ns_wait_gone "$A_UID" 15
x86ns_wait_gone "$B_UID" 15
check_eq "both powered off, nothing left" "" \
	"$(x86ns_leftovers "$A_UID"; x86ns_leftovers "$B_UID")"

# ---- i386 guest: 32-bit personality for init and for sessions --------------
i386_guest() {
	local out pc
	tst_ssh "$C" 'sleep 5' &
	pc=$!
	x86ns_wait_running "$C" 20
	out=$(tst_ssh "$C" 'uname -m; systemctl is-system-running')
	check_eq "i386 guest: sessions see i686 in a running guest" "i686 running" "$(echo $out)"
	check_eq "i386 guest: its init runs with PER_LINUX32" "00000008" \
		"$("$X86NS_CTL" exec "$C" -- cat /proc/1/personality)"
	wait "$pc"
	check "i386 guest powers off at logout" x86ns_wait_gone "$C_UID" 15
	check_eq "i386 guest leaves nothing" "" "$(x86ns_leftovers "$C_UID")"
}
if [[ -n $I386 ]]; then
	i386_guest
else
	for c in "sessions see i686 in a running guest" "its init runs with PER_LINUX32" \
		"powers off at logout" "leaves nothing"; do
		skip "i386 guest: $c" "$I386_SKIP"
	done
fi
