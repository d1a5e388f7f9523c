#!/bin/bash
# x86ns on a systemd host (Debian 12 VM: systemd 252 as PID 1, pure cgroup
# v2): containers in transient units of x86ns.slice, the guest's scope
# delegated, the monitor in a scope of its own; no bare x86ns group at the
# cgroup root; units gone at logout; daemon-reload, daemon-reexec and
# `systemctl restart ssh` leave a lingering container alone; machinectl with
# `machined = yes` (and nothing with no); `machinectl terminate` and host
# reboot stop a full Debian guest IN ORDER: its own systemd's ExecStop
# writes a file into the user's home, which is a separate file system that
# the host unmounts at shutdown; the file must be on that disk afterwards,
# and the console (journald forwards to it) must show the monitor's scope
# stopped before the home's unmount.
#
# Needs tests/vm/vm.sh and image.sh (branch vm). The VM runs with
# -no-reboot and every vm_start makes a fresh overlay, so the previous
# boot's journal is read from the serial console, not `journalctl -b -1`,
# and the home disk (a raw image of this run) is read with debugfs.
# shellcheck disable=SC2016 # VM-side scripts are in single quotes on purpose
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/vm/vm.sh
. "$TST_DIR/vm/vm.sh"
tst_need make tar ssh debugfs flock

# ---- on the host: guests, disks, the staged installation ----------------
BUSYBOX=$("$TST_DIR/guest-busybox.sh") || tst_bail "busybox guest" "tests/guest-busybox.sh failed"
DEBIAN=$("$TST_DIR/guest-debian.sh") || tst_bail "Debian guest" "tests/guest-debian.sh failed"
for g in busybox:"$BUSYBOX" bookworm:"$DEBIAN"; do
	vm_disk_from_tree "$TST_TMP/guest-${g%%:*}.img" "${g#*:}" "g-${g%%:*}" ||
		tst_bail "guest disk ${g%%:*}" "mkfs.ext4 -d ${g#*:} failed"
done
# dave's home: a file system of its own, which the host unmounts at shutdown.
mkdir -p "$TST_TMP/home-empty"
HOME_IMG=$TST_TMP/home-dave.img
vm_disk_from_tree "$HOME_IMG" "$TST_TMP/home-empty" x86ns-home || tst_bail "home disk" "mkfs failed"
STAGE=$TST_TMP/stage
make -C "$TST_SRCDIR" --no-print-directory >&2 &&
	make -C "$TST_SRCDIR" --no-print-directory install DESTDIR="$STAGE" >&2 ||
	tst_bail "make install DESTDIR" "failed"
tar -C "$STAGE" -cf "$TST_TMP/x86ns-install.tar" . || tst_bail "staged tree" "tar failed"

# One VM at a time on this machine (TCG boots are CPU heavy).
exec {VM_LOCK_FD}>/tmp/x86ns-vm.lock
flock "$VM_LOCK_FD"
vm_start "$TST_TMP/guest-busybox.img" "$TST_TMP/guest-bookworm.img" "$HOME_IMG"
ok "the Debian 12 VM boots ($VM_ACCEL, $VM_BOOT_SECONDS s)"

vm_ssh 'cat >/root/x86ns-install.tar' <"$TST_TMP/x86ns-install.tar" || tst_bail "copy" "ssh failed"
out=$(vm_ssh bash -s 2>&1 <<'EOF'
set -eu
# fstab, so that systemd has mount units for them and unmounts them at shutdown.
for g in busybox bookworm; do
	mkdir -p /srv/guests/$g
	echo "LABEL=g-$g /srv/guests/$g ext4 defaults 0 0" >>/etc/fstab
done
tar -C / --keep-directory-symlink --no-overwrite-dir -xf /root/x86ns-install.tar
sed -i '/^@include common-session$/a session    required   pam_x86ns.so' /etc/pam.d/sshd
echo /usr/local/bin/x86ns-shell >>/etc/shells
for u in alice carol dave erin; do
	useradd -m -s /usr/local/bin/x86ns-shell "$u"
done
echo "LABEL=x86ns-home /home/dave ext4 defaults 0 0" >>/etc/fstab
systemctl daemon-reload
mount -a
chown dave:dave /home/dave && chmod 0700 /home/dave
for u in alice carol dave erin; do
	install -d -o "$u" -g "$u" -m 0700 "/home/$u/.ssh"
	install -o "$u" -g "$u" -m 0600 /root/.ssh/authorized_keys "/home/$u/.ssh/authorized_keys"
done
# The guest's own systemd marks its orderly stop in dave's home.
u=/srv/guests/bookworm/etc/systemd/system
cat >$u/x86ns-mark.service <<'UNIT'
[Unit]
Description=x86ns test: mark the orderly stop
[Service]
Type=oneshot
RemainAfterExit=yes
User=dave
ExecStart=/bin/true
ExecStop=/bin/sh -c 'date +%%s > /home/dave/x86ns-stopped-in-order; sync'
[Install]
WantedBy=multi-user.target
UNIT
ln -sf ../x86ns-mark.service $u/multi-user.target.wants/x86ns-mark.service
# The shutdown's journal on the serial console (the VM's next boot has a
# fresh overlay: no journalctl -b -1).
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n' \
	>/etc/systemd/journald.conf.d/x86ns-test.conf
systemctl restart systemd-journald
cat >/etc/security/x86ns.conf <<'CONF'
[guest busybox]
root = /srv/guests/busybox

[guest bookworm]
root = /srv/guests/bookworm
init = /sbin/init
ready = notify
stop-timeout = 3m

[user alice]
guest = busybox
pids = 500
memory = 512M
cpu = 50%

[user carol]
guest = busybox
stop = linger=30m

[user erin]
guest = busybox

[user dave]
guest = bookworm
stop = linger=30m
machined = yes
CONF
command -v machinectl >/dev/null || timeout 300 apt-get install -y -q systemd-container >/dev/null 2>&1 || true
command -v machinectl
EOF
)
rc=$?
tst_log "install: ${out//$'\n'/ | }"
((rc == 0)) || tst_bail "x86ns installed in the VM" "exit $rc: $out"
HAVE_MACHINECTL=1
grep -q machinectl <<<"$out" || HAVE_MACHINECTL=0

out=$(vm_ssh x86nsctl check 2>&1 | grep 'cgroup manager')
check_match "x86nsctl check says the containers go into systemd units" \
	'ok \(systemd: scopes x86ns-UID.scope \(Delegate=yes\)' "$out"

# ---- alice: units while logged in, none after ------------------------------
uid_alice=$(vm_ssh id -u alice)
# alice stays logged in while root looks; the end of her sleep (in the
# guest, killed from the VM's host side) is her logout.
vm_ssh_as alice 'echo marker; exec sleep 600' >/dev/null 2>&1 &
alice_ssh=$!
out=$(vm_ssh bash -s "$uid_alice" <<'EOF'
u=$1
for i in $(seq 300); do systemctl is-active -q x86ns-$u.scope && pgrep -f "^x86ns-monitor user=alice " >/dev/null && break; sleep 0.2; done
systemctl show -p Delegate -p Slice -p MemoryMax -p TasksMax -p CPUQuotaPerSecUSec x86ns-$u.scope
mon=$(pgrep -f "^x86ns-monitor user=alice ")
systemctl status "$mon" --no-pager 2>&1 | head -n 1
echo "monitor cgroup $(cat /proc/$mon/cgroup)"
test -e /sys/fs/cgroup/x86ns && echo "bare group /sys/fs/cgroup/x86ns" || echo "no bare group"
stat -c 'scope owner %u' /sys/fs/cgroup/x86ns.slice/x86ns-$u.scope
EOF
)
vm_ssh 'pkill -x -u alice sleep'
wait "$alice_ssh" 2>/dev/null
tst_log "alice: ${out//$'\n'/ | }"
check_match "the guest's unit has Delegate=yes" '^Delegate=yes$' "$out"
check_match "the guest's unit is in x86ns.slice" '^Slice=x86ns.slice$' "$out"
check_match "memory = 512M is the unit's MemoryMax" '^MemoryMax=536870912$' "$out"
check_match "pids = 500 is the unit's TasksMax" '^TasksMax=500$' "$out"
check_match "cpu = 50% is the unit's CPUQuotaPerSecUSec" '^CPUQuotaPerSecUSec=500ms$' "$out"
check_match "the monitor's pid belongs to a loaded unit (systemctl status PID)" \
	"^. x86ns-$uid_alice-monitor.scope - x86ns monitor of alice" "$out"
check_match "the monitor's /proc/PID/cgroup is its own scope in x86ns.slice" \
	"^monitor cgroup 0::/x86ns.slice/x86ns-$uid_alice-monitor.scope$" "$out"
check_match "nothing of x86ns directly under the cgroup root" '^no bare group$' "$out"
check_fail "the delegated scope is not root's (guest root owns it)" grep -q '^scope owner 0$' <<<"$out"
# x86ns.slice itself stays, as machine.slice does after a container: an
# empty slice is systemd's to keep; the scopes must go.
out=$(vm_ssh 'for i in $(seq 300); do
	[ -z "$(systemctl list-units --all --plain --no-legend "x86ns-*")" ] && break; sleep 0.2; done
	systemctl list-units --all --plain --no-legend "x86ns-*"; systemctl list-units --failed --plain --no-legend')
check_eq "alice's logout leaves no unit, failed or not" "" "$out"

# ---- carol and dave: lingering containers ------------------------------------
vm_ssh_as carol 'echo marker' >/dev/null 2>&1
out=$(vm_ssh_as dave 'echo marker; systemctl is-system-running' 2>&1)
check_match "dave's Debian guest boots its own systemd" '^(running|degraded)$' "$out"
uid_dave=$(vm_ssh id -u dave)
state() { vm_ssh "systemctl is-active x86ns-$uid_dave.scope x86ns-$uid_dave-monitor.scope; pgrep -f '^x86ns-monitor user=dave '" 2>&1 | tr '\n' ' '; }
before=$(state)
check_match "dave's container lingers in its two scopes" '^active active [0-9]+ $' "$before"
vm_ssh 'systemctl daemon-reload' && sleep 2
check_eq "daemon-reload leaves the lingering container alone" "$before" "$(state)"
vm_ssh 'systemctl daemon-reexec' && sleep 5
check_eq "daemon-reexec leaves the lingering container alone" "$before" "$(state)"
vm_ssh 'systemctl restart ssh' && sleep 2
check_eq "restart ssh leaves the lingering container alone" "$before" "$(state)"
out=$(vm_ssh "systemctl show -p Delegate x86ns-$uid_dave.scope; ls /sys/fs/cgroup/x86ns.slice/x86ns-$uid_dave.scope")
check_match "the guest's systemd builds its tree in the delegated scope" '^init.scope$' "$out"

# ---- machinectl ---------------------------------------------------------------
if ((HAVE_MACHINECTL)); then
	out=$(vm_ssh 'machinectl list --no-legend; machinectl show x86ns-dave -p Class -p Unit -p RootDirectory' 2>&1)
	tst_log "machinectl: ${out//$'\n'/ | }"
	check_match "machined = yes: machinectl list shows x86ns-dave" '^x86ns-dave +container' "$out"
	check_match "machinectl show: the machine is the guest's scope" "^Unit=x86ns-$uid_dave.scope$" "$out"
	check_fail "machined = no (default): carol's container is not listed" grep -q 'x86ns-carol' <<<"$out"
	vm_ssh 'rm -f /home/dave/x86ns-stopped-in-order; machinectl terminate x86ns-dave'
	out=$(vm_ssh 'for i in $(seq 600); do pgrep -f "^x86ns-monitor user=dave " >/dev/null || break; sleep 0.5; done
		cat /home/dave/x86ns-stopped-in-order 2>&1; systemctl list-units --all --plain --no-legend "x86ns-'"$uid_dave"'*"')
	check_match "machinectl terminate stops the guest in order (its ExecStop ran)" '^[0-9]+$' "$out"
	check_fail "machinectl terminate leaves no unit of dave" grep -q scope <<<"$out"
else
	not_ok "machinectl tests" "the VM image has no systemd-container (machinectl, machined); add it to tests/vm/image.sh PACKAGES"
fi

# ---- logind: terminate-user and KillUserProcesses ----------------------------
# erin (stop = last-logout): terminate-user ends her session, and so her
# container.
uid_erin=$(vm_ssh id -u erin)
vm_ssh_as erin 'echo marker; exec sleep 600' >/dev/null 2>&1 &
erin_ssh=$!
out=$(vm_ssh "for i in \$(seq 300); do systemctl is-active -q x86ns-$uid_erin.scope && loginctl show-user erin >/dev/null 2>&1 && break; sleep 0.2; done
	systemctl is-active x86ns-$uid_erin.scope; loginctl terminate-user erin
	for i in \$(seq 300); do pgrep -f '^x86ns-monitor user=erin ' >/dev/null || break; sleep 0.2; done
	pgrep -f '^x86ns-monitor user=erin ' || echo 'no monitor'
	systemctl list-units --all --plain --no-legend 'x86ns-$uid_erin*'" 2>&1)
wait "$erin_ssh" 2>/dev/null
tst_log "erin: ${out//$'\n'/ | }"
check_match "erin's container runs in its scope while she is logged in" '^active$' "$out"
check_match "loginctl terminate-user ends a container with stop = last-logout" '^no monitor$' "$out"
check_fail "loginctl terminate-user leaves no unit of erin" grep -q scope <<<"$out"
# carol (stop = linger=30m) under KillUserProcesses=yes: logind kills her
# session at logout; her container lingers, as its policy says.
vm_ssh 'mkdir -p /etc/systemd/logind.conf.d &&
	printf "[Login]\nKillUserProcesses=yes\n" >/etc/systemd/logind.conf.d/x86ns-test.conf &&
	systemctl restart systemd-logind'
vm_ssh_as carol 'echo marker' >/dev/null 2>&1
out=$(vm_ssh "for i in \$(seq 300); do [ -z \"\$(loginctl list-sessions --no-legend | grep carol)\" ] && break; sleep 0.2; done
	loginctl list-sessions --no-legend | grep carol || echo 'no session of carol'
	systemctl is-active x86ns-$(vm_ssh id -u carol).scope; pgrep -f '^x86ns-monitor user=carol ' >/dev/null && echo 'monitor runs'
	rm /etc/systemd/logind.conf.d/x86ns-test.conf; systemctl restart systemd-logind" 2>&1)
tst_log "carol: ${out//$'\n'/ | }"
check_match "KillUserProcesses=yes: carol's session is gone after her logout" '^no session of carol$' "$out"
check_match "KillUserProcesses=yes leaves a lingering container running" '^monitor runs$' "$out"

# ---- host reboot with a lingering full guest ---------------------------------
vm_ssh_as dave 'echo marker' >/dev/null 2>&1
vm_ssh 'rm -f /home/dave/x86ns-stopped-in-order; sync; echo x86ns-test-reboot-now >/dev/ttyS0'
vm_ssh 'systemctl reboot' >/dev/null 2>&1
for ((i = 0; i < 600; i++)); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 1; done
check_fail "the VM reboots (QEMU exits: -no-reboot)" kill -0 "$VM_PID"
VM_PID=
mark=$(debugfs -R 'cat /x86ns-stopped-in-order' "$HOME_IMG" 2>/dev/null)
check_match "after reboot the guest's ExecStop wrote its file on dave's home file system" '^[0-9]+$' "$mark"
log=$(sed -n '/x86ns-test-reboot-now/,$p' "$VM_SERIAL_LOG" | tr -d '\r')
n_mon=$(grep -n -m1 -E "Stopped x86ns-$uid_dave-monitor.scope|Stopped .*x86ns monitor of dave" <<<"$log" | cut -d: -f1)
n_gone=$(grep -n -m1 -E "guest bookworm of dave stopped" <<<"$log" | cut -d: -f1)
n_home=$(grep -n -m1 -E "Unmounting .*(home-dave.mount|/home/dave)" <<<"$log" | cut -d: -f1)
n_jour=$(grep -n -m1 -E "Stopping .*(systemd-journald|Journal Service)" <<<"$log" | cut -d: -f1)
grep -E "x86ns|home-dave|/home/dave|Journal Service|systemd-journald" <<<"$log" | sed 's/^/#   /' >&2
tst_log "console lines: monitor scope stopped $n_mon, monitor's 'stopped' $n_gone, /home/dave unmounting $n_home, journald stopping ${n_jour:-none}"
check "at shutdown the monitor's scope stopped before /home/dave was unmounted" \
	test -n "$n_mon" -a -n "$n_home" -a "${n_mon:-0}" -lt "${n_home:-0}"
check "the monitor's own log line reached journald (forwarded to the console) before the unmount" \
	test -n "$n_gone" -a "${n_gone:-0}" -lt "${n_home:-0}"
if [[ -n $n_jour ]]; then
	check "journald was still running when the guest stopped" test "$n_gone" -lt "$n_jour"
fi
