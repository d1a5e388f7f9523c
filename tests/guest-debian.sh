#!/bin/bash
# tests/guest-debian.sh [--arch amd64|i386|arm64] [DIR]: build the Debian
# bookworm guest tree (systemd, dbus, cron) used by the full-guest tests with
# the product's own "x86nsctl guest create", and print DIR.
# Default DIR: /var/cache/x86ns-tests/guests/bookworm-ARCH; default arch amd64.
# X86NSCTL=PATH uses another x86nsctl than the build tree's (or PATH's).
#
# arm64 is built through qemu-aarch64-static (qemu-user-static), registered
# only in the build's own user namespace (Linux 6.7 or later), never on the
# host: it takes 3 to 7 minutes instead of one.
#
# Building takes about a minute and needs the host's Debian mirror, so the
# tree is cached between runs: it is reused when its stamp file (written
# last, after the tree is complete) matches this script's layout version and
# the sources of what "guest create" does to a tree (ctl/guest.c and
# guest-tree.c; the binary when the sources are not there); otherwise it is
# removed and built again. A fresh machine builds it on the first run.
set -euo pipefail

LAYOUT_VERSION=1
SUITE=bookworm
STAMP_NAME=.x86ns-guest-stamp
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "guest-debian.sh: $*" >&2
	exit 1
}

arch=amd64
if [[ ${1:-} == --arch ]]; then
	[[ $# -ge 2 ]] || die "--arch needs amd64, i386 or arm64"
	arch=$2
	shift 2
fi
[[ $arch == amd64 || $arch == i386 || $arch == arm64 ]] ||
	die "--arch must be amd64, i386 or arm64"
[[ $# -le 1 ]] || die "usage: tests/guest-debian.sh [--arch amd64|i386|arm64] [DIR]"
DIR=${1:-/var/cache/x86ns-tests/guests/$SUITE-$arch}
[[ $DIR == /* ]] || die "DIR must be an absolute path"
DIR=${DIR%/}

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap and a root-owned tree)"
if [[ -n ${X86NSCTL:-} ]]; then
	ctl=$X86NSCTL
elif [[ -x $SRCDIR/ctl/x86nsctl ]]; then
	ctl=$SRCDIR/ctl/x86nsctl
else
	ctl=$(command -v x86nsctl) || die "x86nsctl not found: run make first"
fi
command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] ||
	die "debootstrap missing: apt-get install debootstrap"
duration="about a minute"
if [[ $arch == arm64 ]]; then
	[[ -x /usr/bin/qemu-aarch64-static ]] ||
		die "/usr/bin/qemu-aarch64-static missing: apt-get install qemu-user-static"
	duration="3 to 7 minutes: every program of the second stage runs through qemu"
fi

# The tree depends on what x86nsctl does to it, so that is part of the stamp.
recipe=("$SRCDIR/ctl/guest.c" "$SRCDIR/ctl/guest-tree.c")
[[ -f ${recipe[0]} && -f ${recipe[1]} ]] || recipe=("$ctl")
stamp="layout=$LAYOUT_VERSION suite=$SUITE arch=$arch recipe=$(cat "${recipe[@]}" | sha256sum | cut -d' ' -f1)"
name=$SUITE-$arch
parent=$(dirname "$DIR")
install -d -m 0755 "$parent"

exec 9>"$parent/.$(basename "$DIR").lock"
flock 9

if [[ -f $DIR/$STAMP_NAME && $(<"$DIR/$STAMP_NAME") == "$stamp" ]]; then
	echo "$DIR"
	exit 0
fi

# Stale or half-made (no stamp): remove it, and what an interrupted build left.
for old in "$DIR" "$DIR".tmp-*; do
	[[ -e $old ]] || continue
	echo "guest-debian.sh: removing $old" >&2
	rm -rf --one-file-system "$old"
done

echo "guest-debian.sh: building $DIR with $ctl guest create ($duration)" >&2
"$ctl" guest create "$name" --suite "$SUITE" --arch "$arch" --dir "$DIR" >&2 ||
	die "x86nsctl guest create failed"
# The stamp is written last: a tree without it is never reused.
echo "$stamp" >"$DIR/$STAMP_NAME.new"
mv "$DIR/$STAMP_NAME.new" "$DIR/$STAMP_NAME"
echo "$DIR"
