#!/bin/bash
# tests/vm/image.sh [DIR]: build (or reuse) the Debian 12 (bookworm) virtual
# machine that tests/vm/ boots under QEMU as "a real server", and print DIR.
# Default DIR: /var/cache/x86ns-tests/vm/bookworm-amd64.
#
# Made from Debian's packages only (debootstrap from the host's Debian
# mirror): systemd as PID 1, dbus, the real openssh-server on port 22 with
# PAM (libpam-systemd), Debian's stock kernel (linux-image-amd64, 6.1) and
# what x86ns needs at run time (ldd of the installed programs: libc6,
# libpam0g, libaudit1, libcap-ng0, zlib1g; libsubid4 is dlopen'ed; uidmap
# for useradd's subordinate ids), plus busybox-static, qemu-user-static
# (whose binfmt_misc registrations systemd-binfmt installs host-wide at boot,
# as on a real server; the tests can remove them), socat (the abstract-socket
# listener of the tests), xauth and rsync.
#
# DIR holds:
#   root.img          the raw ext4 root file system (mkfs.ext4 -d, no loop
#                     mount); never written by a test: each boot runs on a
#                     qcow2 overlay of its own (tests/vm/vm.sh)
#   vmlinuz, initrd.img   the tree's /boot kernel and initramfs (-kernel/-initrd)
#   id_ed25519{,.pub}  the key root@VM accepts (/root/.ssh/authorized_keys)
#   kernel-release    uname -r of the VM's kernel
#   stamp             written last: a DIR without a matching stamp is
#                     removed and built again
#
# Root has no password (locked, as debootstrap leaves it); sshd takes keys.
# The serial console is ttyS0 (console=ttyS0 on the kernel command line; a
# getty runs there). Network: systemd-networkd, DHCP on every en*/eth*
# link (QEMU's user-mode network). Takes about 5 minutes with downloads,
# most of it debootstrap; X86NS_VM_MIRROR overrides the mirror.
set -euo pipefail

LAYOUT_VERSION=1
SUITE=bookworm
IMAGE_SIZE=6G
PACKAGES=(systemd systemd-sysv dbus udev openssh-server libpam-systemd
	linux-image-amd64 initramfs-tools kmod
	libc6 libpam0g libaudit1 libcap-ng0 zlib1g libsubid4 uidmap
	ca-certificates busybox-static qemu-user-static socat xauth rsync
	procps iproute2 psmisc less e2fsprogs passt systemd-container)

die() {
	echo "image.sh: $*" >&2
	exit 1
}
progress() { echo "image.sh: $*" >&2; }

[[ $# -le 1 ]] || die "usage: tests/vm/image.sh [DIR]"
DIR=${1:-/var/cache/x86ns-tests/vm/$SUITE-amd64}
[[ $DIR == /* ]] || die "DIR must be an absolute path"
DIR=${DIR%/}
[[ $(id -u) == 0 ]] || die "must run as root (debootstrap)"
[[ $(dpkg --print-architecture 2>/dev/null) == amd64 ]] || die "builds an amd64 VM on an amd64 host only"
for c in debootstrap mkfs.ext4 ssh-keygen; do
	command -v "$c" >/dev/null || [[ -x /usr/sbin/$c ]] ||
		die "$c missing: apt-get install debootstrap e2fsprogs openssh-client"
done

# The host's Debian mirror (deb822 or one-line sources), else deb.debian.org.
host_mirror() {
	local m
	m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list |
		grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ') || true
	echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=${X86NS_VM_MIRROR:-$(host_mirror)}

stamp="layout=$LAYOUT_VERSION suite=$SUITE packages=$(printf '%s\n' "${PACKAGES[@]}" | LC_ALL=C sort | sha256sum | cut -c1-16)"
parent=$(dirname "$DIR")
install -d -m 0755 "$parent"
exec 9>"$parent/.$(basename "$DIR").lock"
flock 9

if [[ -f $DIR/stamp && $(<"$DIR/stamp") == "$stamp" ]]; then
	echo "$DIR"
	exit 0
fi

for old in "$DIR" "$DIR".tmp-*; do
	[[ -e $old ]] || continue
	progress "removing $old"
	rm -rf --one-file-system "$old"
done

work=$DIR.tmp-$$
tree=$work/tree
# An interrupted build leaves nothing behind (and no mount: none is made).
trap 'rm -rf --one-file-system "$work"' EXIT
install -d -m 0700 "$work"

t0=$SECONDS
progress "debootstrap $SUITE from $MIRROR into $tree (about 5 minutes)"
include=$(
	IFS=,
	echo "${PACKAGES[*]}"
)
if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$tree" "$MIRROR" \
	>"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log" >&2
	[[ -f $tree/debootstrap/debootstrap.log ]] && tail -n 20 "$tree/debootstrap/debootstrap.log" >&2
	die "debootstrap failed"
fi
progress "debootstrap done in $((SECONDS - t0)) s"

# ---- configuration of the server -------------------------------------------
echo x86ns-vm >"$tree/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tx86ns-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$tree/etc/hosts"
printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' >"$tree/etc/fstab"
cat >"$tree/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
EOF
# DHCP from QEMU's user-mode network on whatever the NIC is called.
cat >"$tree/etc/systemd/network/50-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
ln -sf /lib/systemd/system/systemd-networkd.service \
	"$tree/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
echo 'nameserver 10.0.2.3' >"$tree/etc/resolv.conf"
# Nothing that waits for a network "online" or runs periodic jobs in a test.
for unit in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$tree/etc/systemd/system/$unit"
done
# sshd: Debian's configuration as installed (UsePAM yes, keys for root);
# no DNS lookups of the client, which cost seconds under emulation.
echo 'UseDNS no' >"$tree/etc/ssh/sshd_config.d/50-x86ns-vm.conf"

ssh-keygen -q -t ed25519 -N '' -C x86ns-vm-test -f "$work/id_ed25519"
install -d -m 0700 "$tree/root/.ssh"
install -m 0600 "$work/id_ed25519.pub" "$tree/root/.ssh/authorized_keys"

# The kernel and initramfs boot with -kernel/-initrd; the initramfs must be
# able to find /dev/vda (virtio_blk) and mount ext4.
kernel=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)
initrd=$(find "$tree/boot" -maxdepth 1 -name 'initrd.img-*' | sort | tail -n1)
[[ -n $kernel && -n $initrd ]] || die "no kernel or initramfs in $tree/boot"
grep -qx virtio_blk "$tree/etc/initramfs-tools/modules" 2>/dev/null || {
	printf '%s\n' virtio_pci virtio_blk ext4 >>"$tree/etc/initramfs-tools/modules"
	chroot "$tree" update-initramfs -u -k all >&2 || die "update-initramfs failed"
}
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
basename "$kernel" | sed 's/^vmlinuz-//' >"$work/kernel-release"

# Less to copy: the apt cache of the debootstrap.
rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree/debootstrap"
t1=$SECONDS
progress "mkfs.ext4 -d (no loop mount), $IMAGE_SIZE sparse"
mkfs.ext4 -q -F -L x86ns-vm -E root_owner=0:0 -d "$tree" "$work/root.img" "$IMAGE_SIZE" >&2 ||
	die "mkfs.ext4 -d failed"
progress "mkfs done in $((SECONDS - t1)) s"
rm -rf --one-file-system "$tree"

echo "$stamp" >"$work/stamp.new"
mv "$work/stamp.new" "$work/stamp"
mv "$work" "$DIR"
trap - EXIT
progress "built $DIR in $((SECONDS - t0)) s"
echo "$DIR"
