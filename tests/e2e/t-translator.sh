#!/bin/bash
# Guests run through a binary translator (qemu-user-static stands in for the
# x86 translator of an Elbrus host), reached over real ssh:
#  (a) an arm64 busybox guest: every guest program goes through
#      qemu-aarch64-static, registered in the container's own binfmt_misc
#      instance; the host's registrations never change;
#  (b) the amd64 Debian guest with systemd started through
#      qemu-x86_64-static, so the translator is PID 1, with the qemu-user
#      profile (shifted power-off signal, credential drop-ins): it reaches
#      "running" and powers off at logout;
#  (c) an arm64 Debian guest with systemd (debootstrapped through the
#      container-private registration; cached), every process translated.
# Exercised on this machine's hybrid cgroup layout.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd
QEMU_ARM=/usr/bin/qemu-aarch64-static
QEMU_X86=/usr/bin/qemu-x86_64-static
for q in "$QEMU_ARM" "$QEMU_X86"; do
	[[ -x $q ]] || tst_bail "translator" "$q missing: apt-get install qemu-user-static"
done

tst_guest_busybox
ARM=$("$TST_DIR/guest-busybox.sh" --arch arm64) || tst_bail "arm64 guest" "guest-busybox.sh failed"
AMD64=$("$TST_DIR/guest-debian.sh" --arch amd64) || tst_bail "amd64 guest" "guest-debian.sh failed"
ARM64=$("$TST_DIR/guest-debian.sh" --arch arm64) || tst_bail "arm64 guest" "guest-debian.sh failed"

tst_user_add tra
A=$TST_USER A_UID=$TST_USER_UID
x86ns_stop_at_exit "$A"
tst_user_add trb
B=$TST_USER B_UID=$TST_USER_UID
x86ns_stop_at_exit "$B"
tst_user_add trc
C=$TST_USER C_UID=$TST_USER_UID
x86ns_stop_at_exit "$C"

x86ns_config "[guest arm]" "root = $ARM" "translator = $QEMU_ARM" \
	"translator-machines = aarch64" "translator-profile = qemu-user" \
	"[guest deb]" "root = $AMD64" "init = /sbin/init" "ready = notify" \
	"translator = $QEMU_X86" "translator-profile = qemu-user" \
	"[guest debarm]" "root = $ARM64" "init = /sbin/init" "ready = notify" \
	"translator = $QEMU_ARM" "translator-machines = aarch64" "translator-profile = qemu-user" \
	"[user $A]" "guest = arm" "[user $B]" "guest = deb" "[user $C]" "guest = debarm"
mkdir -p "$X86NS_CONF.d"
cp "$TST_SRCDIR/conf/x86ns.conf.d/qemu-user.conf" "$X86NS_CONF.d/"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
tst_sshd_start "$TST_TMP/pam-sshd" || exit 1
for u in "$A" "$B" "$C"; do tst_ssh_authorize "$u"; done

# The host's own binfmt_misc instance, listed from a private mount namespace
# (the host may have none mounted; mounting one there would change it).
host_binfmt() {
	unshare -m sh -c 'mount -t binfmt_misc x86ns-test /mnt && ls /mnt' 2>&1
}
host_before=$(host_binfmt)

# ---- (a) arm64 busybox: every program translated ----------------------------
out=$(tst_ssh "$A" 'uname -m; cat /proc/sys/fs/binfmt_misc/x86ns-aarch64' 2>&1)
check_eq "arm64 guest: uname -m says aarch64 inside" "aarch64" "$(head -1 <<<"$out")"
check_match "... through the container's own registration, flags P and F" \
	"flags: PF" "$out"
check_match "... of qemu-aarch64-static, opened at registration" \
	"interpreter $QEMU_ARM" "$out"
rc=0
"$ARM/bin/busybox" true 2>"$TST_TMP/host-exec" || rc=$?
check_match "the same binary gives Exec format error on the host" \
	"Exec format error" "$(cat "$TST_TMP/host-exec") rc=$rc"

tst_ssh "$A" 'sleep 6' &
pa=$!
x86ns_wait_running "$A" 20
check_eq "the host's binfmt_misc lists nothing new while the guest runs" "$host_before" \
	"$(host_binfmt)"
# guest_exes INIT_PID: "pid:exe" of each process in INIT_PID's PID namespace
# (host view), the init itself left out.
guest_exes() {
	local pidns p
	pidns=$(readlink "/proc/$1/ns/pid")
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} != "$1" && $(readlink "$p/ns/pid" 2>/dev/null) == "$pidns" ]] ||
			continue
		echo "${p#/proc/}:$(readlink "$p/exe" 2>/dev/null)"
	done
}
init=$("$X86NS_CTL" status "$A" | awk '$1 == "pid" {print $2}')
for _ in $(seq 50); do # until the login's sleep runs
	exes=$(guest_exes "$init")
	grep -q ":$QEMU_ARM\$" <<<"$exes" && break
	sleep 0.1
done
check_match "the session's programs run in the translator (host view of their exe)" \
	":$QEMU_ARM\$" "$exes"
check_eq "... every one of them (the builtin init aside)" "" \
	"$(grep -v ":$QEMU_ARM\$" <<<"$exes" | grep -v "x86ns-spawner$")"
out=$("$X86NS_CTL" --config "$X86NS_CONF" exec "$A" -- sh -c \
	'echo -1 > /proc/sys/fs/binfmt_misc/status; echo rc=$?;
	 echo ":e:M::\x7fELF::/bin/sh:F" > /proc/sys/fs/binfmt_misc/register; echo rc=$?;
	 cat /proc/sys/fs/binfmt_misc/x86ns-aarch64 | head -1' 2>&1)
check_match "guest root can neither remove the registration nor add one" 'rc=[1-9].*rc=[1-9]' \
	"$(echo $out)"
check_match "... which stays enabled" 'enabled$' "$out"
wait "$pa" 2>/dev/null
check "logout stops the arm64 guest" x86ns_wait_gone "$A_UID" 15
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$A_UID")"
check_eq "the host's binfmt_misc is unchanged after the guest" "$host_before" "$(host_binfmt)"

# ---- (b) systemd under qemu-x86_64 as PID 1 ------------------------------
out=$(tst_ssh "$B" 'systemctl is-system-running; systemctl --failed --plain --no-legend | wc -l
	for s in systemd-journald dbus cron; do systemctl is-active $s; done' 2>&1)
lines=()
mapfile -t lines <<<"$out"
check_eq "systemd under the translator reaches running" "running" "${lines[0]}"
check_eq "... with no failed unit (the profile's credential drop-ins)" "0" "${lines[1]}"
check_eq "... journald, dbus and cron active" "active active active" \
	"${lines[2]} ${lines[3]} ${lines[4]}"
tst_ssh "$B" 'sleep 6' &
pb=$!
x86ns_wait_running "$B" 20
init=$("$X86NS_CTL" status "$B" | awk '$1 == "pid" {print $2}')
check_eq "the translator is the guest's PID 1 (host view of its exe)" "$QEMU_X86" \
	"$(readlink "/proc/$init/exe")"
check_match "... running the guest's systemd" "^$QEMU_X86 /sbin/init" \
	"$(tr '\0' ' ' <"/proc/$init/cmdline")"
wait "$pb" 2>/dev/null
check "logout powers the translated guest off" x86ns_wait_gone "$B_UID" 20
check_match "... in order: the shifted signal reached systemd as power-off" \
	'Powering off|Reached target.*Power-Off' "$(tr -d '\033' <"/var/log/x86ns/$B.log")"
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$B_UID")"

# ---- (c) arm64 Debian with systemd: every process translated --------------
out=$(tst_ssh "$C" 'uname -m; systemctl is-system-running; systemctl --failed --plain --no-legend | wc -l
	for s in systemd-journald dbus cron; do systemctl is-active $s; done' 2>&1)
lines=()
mapfile -t lines <<<"$out"
check_eq "arm64 Debian: uname -m says aarch64 in the login" "aarch64" "${lines[0]}"
check_eq "... its systemd reaches running" "running" "${lines[1]}"
check_eq "... with no failed unit" "0" "${lines[2]}"
check_eq "... journald, dbus and cron active" "active active active" \
	"${lines[3]} ${lines[4]} ${lines[5]}"
tst_ssh "$C" 'sleep 8' &
pc=$!
x86ns_wait_running "$C" 30
init=$("$X86NS_CTL" status "$C" | awk '$1 == "pid" {print $2}')
pidns=$(readlink "/proc/$init/ns/pid")
native=""
for p in /proc/[0-9]*; do
	[[ $(readlink "$p/ns/pid" 2>/dev/null) == "$pidns" ]] || continue
	exe=$(readlink "$p/exe" 2>/dev/null) || continue
	# x86ns's own session spawner is a host program, like the builtin init.
	[[ $exe == "$QEMU_ARM" || $exe == */x86ns-spawner ]] || native+="${p#/proc/}:$exe "
done
check_eq "every guest process runs in the translator (host view; x86ns-spawner aside)" "" \
	"$native"
check_eq "... PID 1 included" "$QEMU_ARM" "$(readlink "/proc/$init/exe")"
wait "$pc" 2>/dev/null
check "logout powers the arm64 guest off" x86ns_wait_gone "$C_UID" 30
check_eq "... and leaves nothing" "" "$(x86ns_leftovers "$C_UID")"
check_eq "the host's binfmt_misc is unchanged after all guests" "$host_before" "$(host_binfmt)"

# ---- a translator that cannot work is refused before anything is made ------
x86ns_config "[guest dyn]" "root = $ARM" "translator = /bin/true" \
	"translator-machines = aarch64" "translator-profile = qemu-user" \
	"[user $A]" "guest = dyn"
out=$("$X86NS_CTL" --config "$X86NS_CONF" start "$A" 2>&1)
check_match "a dynamic translator under a static profile is refused, naming it" \
	"cannot use the translator /bin/true: dynamically linked" "$out"
check_eq "... and nothing is left" "" "$(x86ns_leftovers "$A_UID")"
