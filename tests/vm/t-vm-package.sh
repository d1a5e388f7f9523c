#!/bin/bash
# The Debian packages on a Debian 12 server (tests/vm/vm.sh): built on the
# host from a clean copy (tests/pkg/build-deb.sh --binary-only), copied into
# the VM and installed the way debian/README.Debian tells an administrator:
# apt install ./x86ns_*.deb ./libpam-x86ns_*.deb, pam-auth-update --enable
# x86ns, a [guest] and a [user] in /etc/security/x86ns.conf, the user's
# login shell /usr/bin/x86ns-shell. Then a login over the VM's real sshd
# lands in the busybox guest; apt remove takes the module out of
# /etc/pam.d/common-session* and logins still work; apt purge removes the
# configuration and the logs and keeps the user's writable layer.
# shellcheck disable=SC2016 # VM-side scripts are in single quotes on purpose
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/vm/vm.sh
. "$TST_DIR/vm/vm.sh"
tst_need dpkg-buildpackage dpkg-parsechangelog

VERSION=$(dpkg-parsechangelog -l "$TST_SRCDIR/debian/changelog" -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)

# ---- on the host: the packages and the guest disk -------------------------
"$TST_SRCDIR/tests/pkg/build-deb.sh" --binary-only "$TST_TMP/deb" >&2 ||
	tst_bail "build the packages" "tests/pkg/build-deb.sh failed"
DEBS=("$TST_TMP/deb/x86ns_${VERSION}_$ARCH.deb" "$TST_TMP/deb/libpam-x86ns_${VERSION}_$ARCH.deb")
for f in "${DEBS[@]}"; do
	[[ -f $f ]] || tst_bail "build the packages" "$f missing"
done
BUSYBOX=$("$TST_DIR/guest-busybox.sh") || tst_bail "busybox guest" "tests/guest-busybox.sh failed"
vm_disk_from_tree "$TST_TMP/guest-busybox.img" "$BUSYBOX" g-busybox ||
	tst_bail "guest disk" "mkfs.ext4 -d $BUSYBOX failed"

vm_start "$TST_TMP/guest-busybox.img"
ok "the Debian 12 VM boots ($VM_ACCEL, $VM_BOOT_SECONDS s)"

# ---- install -----------------------------------------------------------------
mkdir -p "$TST_TMP/debs" && cp "${DEBS[@]}" "$TST_TMP/debs/"
vm_copy_in "$TST_TMP/debs" /root || tst_bail "copy the packages in" "ssh failed"
before_pam=$(vm_ssh 'cat /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive')

out=$(vm_ssh 'cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends ./x86ns_*.deb ./libpam-x86ns_*.deb </dev/null 2>&1; echo "rc=$?"')
tst_log "apt install: ${out//$'\n'/ | }"
check_match "apt install ./x86ns_*.deb ./libpam-x86ns_*.deb" '^rc=0$' "$out"
out=$(vm_ssh 'dpkg-query -W -f "\${Package} \${Status}\n" x86ns libpam-x86ns;
	ls /lib/*/security/pam_x86ns.so /usr/bin/x86ns-shell /usr/sbin/x86nsctl;
	grep -x /usr/bin/x86ns-shell /etc/shells')
tst_log "installed: ${out//$'\n'/ | }"
check_match "both packages are installed" '^libpam-x86ns install ok installed$' "$out"
check_match "x86ns-shell is in /etc/shells (debianutils trigger)" '^/usr/bin/x86ns-shell$' "$out"
check_eq "installing changes no PAM file (Default: no)" "$before_pam" \
	"$(vm_ssh 'cat /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive')"
check_match "x86nsctl check-config accepts the shipped configuration" 'rc=0' \
	"$(vm_ssh 'x86nsctl check-config 2>&1; echo rc=$?')"

# ---- enable, select a user, log in ---------------------------------------
out=$(vm_ssh bash -s 2>&1 <<'EOF'
set -eu
pam-auth-update --enable x86ns
mkdir -p /srv/guests/busybox
mount -o ro LABEL=g-busybox /srv/guests/busybox
useradd -m -s /usr/bin/x86ns-shell alice
grep -q '^alice:' /etc/subuid
install -d -o alice -g alice -m 0700 /home/alice/.ssh
install -o alice -g alice -m 0600 /root/.ssh/authorized_keys /home/alice/.ssh/authorized_keys
useradd -m -s /bin/bash bob
install -d -o bob -g bob -m 0700 /home/bob/.ssh
install -o bob -g bob -m 0600 /root/.ssh/authorized_keys /home/bob/.ssh/authorized_keys
cat >>/etc/security/x86ns.conf <<'CONF'

[guest busybox]
root = /srv/guests/busybox

[user alice]
guest = busybox
CONF
x86nsctl check-config
grep -E '^session' /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive
EOF
)
rc=$?
tst_log "enable: ${out//$'\n'/ | }"
((rc == 0)) || tst_bail "pam-auth-update --enable x86ns, user alice, configuration" "exit $rc: $out"
check_match "enabled: common-session has session required pam_x86ns.so" \
	'^/etc/pam.d/common-session:session[[:space:]]+required[[:space:]]+pam_x86ns\.so' "$out"
check_fail "enabled: common-session-noninteractive has no pam_x86ns.so" \
	grep -q 'common-session-noninteractive:.*pam_x86ns' <<<"$out"

out=$(vm_ssh_as alice 'cat /etc/os-release; ps -o pid,comm' 2>&1)
tst_log "alice: ${out//$'\n'/ | }"
check_match "alice logs in over the VM's sshd and lands in the busybox guest" '^ID=x86ns-busybox$' "$out"
check_match "the guest's PID 1 is x86ns-init" '^ *1 +x86ns-init' "$out"
# The unit layout on this systemd host, while alice is logged in.
vm_ssh_as alice 'echo marker; exec sleep 600' >/dev/null 2>&1 &
alice_ssh=$!
out=$(vm_ssh 'u=$(id -u alice)
	for i in $(seq 300); do systemctl is-active -q x86ns-$u.scope && pgrep -f "^x86ns-monitor user=alice " >/dev/null && break; sleep 0.2; done
	systemctl show -p Delegate x86ns-$u.scope
	systemctl status "$(pgrep -f "^x86ns-monitor user=alice ")" --no-pager 2>&1 | head -n 1
	export LC_ALL=C.UTF-8
	systemd-cgls --no-pager -l 2>&1 | sed -n "s/^[├└]─\(x86ns[^ ]*\).*/top: \1/p"' 2>&1)
vm_ssh 'pkill -x -u alice sleep'
wait "$alice_ssh" 2>/dev/null
tst_log "units: ${out//$'\n'/ | }"
check_match "the container's unit has Delegate=yes" '^Delegate=yes$' "$out"
check_match "the monitor's pid belongs to a loaded unit" '^. x86ns-[0-9]+-monitor.scope - x86ns monitor of alice' "$out"
check_match "systemd-cgls: x86ns.slice at the root" '^top: x86ns\.slice' "$out"
check_fail "systemd-cgls: no bare x86ns group at the root" grep -qE '^top: x86ns([^.]|$)' <<<"$out"
out=$(vm_ssh_as bob 'cat /etc/os-release' 2>&1)
check_match "bob (not selected) logs in to the host as before" '^ID=debian$' "$out"
out=$(vm_ssh 'x86nsctl list; ls /var/lib/x86ns')
tst_log "x86nsctl list: ${out//$'\n'/ | }"

# A broken configuration refuses alice with a message; root still gets in.
out=$(vm_ssh 'cp /etc/security/x86ns.conf /root/x86ns.conf.good && echo "bogus-key = 1" >>/etc/security/x86ns.conf')
out=$(vm_ssh_as alice true 2>&1; echo "rc=$?")
tst_log "alice with a broken configuration: ${out//$'\n'/ | }"
check_match "required: a broken configuration refuses alice's login (sshd exit 254)" '^rc=254$' "$out"
check_match "and says which line is wrong" 'x86ns\.conf:[0-9]+' "$out"
check "root logs in while the configuration is broken" vm_ssh true
vm_ssh 'cp /root/x86ns.conf.good /etc/security/x86ns.conf' || not_ok "restore the configuration" "ssh failed"

# ---- remove -------------------------------------------------------------------
vm_ssh 'x86nsctl stop alice' >&2
out=$(vm_ssh 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q libpam-x86ns x86ns </dev/null 2>&1; echo "rc=$?"')
tst_log "apt remove: ${out//$'\n'/ | }"
check_match "apt remove libpam-x86ns x86ns" '^rc=0$' "$out"
check_eq "after removal no common-session* file names pam_x86ns" "" \
	"$(vm_ssh 'grep -l pam_x86ns /etc/pam.d/common-session* /etc/pam.d/*' 2>&1)"
check_eq "after removal the PAM files are as before the installation" "$before_pam" \
	"$(vm_ssh 'cat /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive')"
check_match "after removal bob still logs in (PAM works)" '^ID=debian$' "$(vm_ssh_as bob 'cat /etc/os-release' 2>&1)"
check "after removal root still logs in" vm_ssh true
check_fail "after removal x86ns-shell is out of /etc/shells" vm_ssh 'grep -qx /usr/bin/x86ns-shell /etc/shells'
check "removal keeps the configuration" vm_ssh 'grep -q "^\[user alice\]" /etc/security/x86ns.conf'

# ---- purge --------------------------------------------------------------------
out=$(vm_ssh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q x86ns libpam-x86ns </dev/null 2>&1; echo "rc=$?";
	ls -d /etc/security/x86ns.conf /var/log/x86ns /var/lib/x86ns 2>&1;
	dpkg-query -W -f "\${Package} \${Status}\n" x86ns libpam-x86ns 2>&1')
tst_log "apt purge: ${out//$'\n'/ | }"
check_match "apt purge" '^rc=0$' "$out"
check_match "purge removes /etc/security/x86ns.conf" "cannot access '/etc/security/x86ns.conf'" "$out"
check_match "purge removes /var/log/x86ns" "cannot access '/var/log/x86ns'" "$out"
check_match "purge keeps /var/lib/x86ns (alice's writable layer) and says so" \
	'(^/var/lib/x86ns$)' "$out"
check_match "purge says it kept the users' data" 'x86ns: kept /var/lib/x86ns' "$out"
check_fail "no package of x86ns is left" grep -q 'install ok' <<<"$(grep -E '^(x86ns|libpam-x86ns) ' <<<"$out")"
