#!/bin/bash
# tests/guest-busybox.sh [DIR]: build the small busybox guest tree used by the
# tests and the demo from the host's static busybox (Debian busybox-static),
# and print DIR. Default DIR: /var/cache/x86ns-tests/guests/busybox.
# X86NS_BUSYBOX=PATH uses another static busybox than /bin/busybox.
#
# The tree is shared read-only by every container (the overlay's lower
# layer), so it is owned by root and world-readable. It is rebuilt only when
# missing, when /bin/busybox changed, or when this script's layout version
# changed; otherwise the existing tree is reused. The new tree is built beside
# DIR and renamed into place, so a reader never sees a half-built one.
set -euo pipefail

LAYOUT_VERSION=1
BUSYBOX=${X86NS_BUSYBOX:-/bin/busybox}
DIR=${1:-/var/cache/x86ns-tests/guests/busybox}
STAMP_NAME=.x86ns-guest-stamp

die() {
	echo "guest-busybox.sh: $*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (the tree is root-owned)"
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing: apt-get install busybox-static"
# A dynamic busybox (Debian package "busybox") cannot run inside the guest.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: apt-get install busybox-static"
fi

stamp="layout=$LAYOUT_VERSION busybox=$(sha256sum <"$BUSYBOX" | cut -d' ' -f1)"
parent=$(dirname "$DIR")
install -d -m 0755 "$parent"

exec 9>"$parent/.$(basename "$DIR").lock"
flock 9

if [[ -f $DIR/$STAMP_NAME && $(<"$DIR/$STAMP_NAME") == "$stamp" ]]; then
	echo "$DIR"
	exit 0
fi

new=$(mktemp -d "$DIR.new.XXXXXX")
trap 'rm -rf --one-file-system "$new"' EXIT

(
	cd "$new"
	umask 022
	install -d -m 0755 bin etc proc sys dev run home root var usr
	install -d -m 1777 tmp
	install -m 0755 "$BUSYBOX" bin/busybox
	for applet in $(bin/busybox --list); do
		[[ $applet == busybox || $applet == */* ]] && continue
		ln -s busybox "bin/$applet"
	done
	# One directory holds every applet; the usual paths lead there.
	ln -s bin sbin
	ln -s ../bin usr/bin
	ln -s ../bin usr/sbin

	version=$(bin/busybox 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
	cat >etc/os-release <<-EOF
		ID=x86ns-busybox
		NAME="x86ns busybox guest"
		VERSION_ID="${version:-unknown}"
		PRETTY_NAME="x86ns busybox guest (BusyBox ${version:-unknown})"
	EOF
	cat >etc/passwd <<-EOF
		root:x:0:0:root:/root:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >etc/group <<-EOF
		root:x:0:
		tty:x:5:
		nobody:x:65534:
	EOF
	printf '/bin/sh\n/bin/ash\n' >etc/shells
	echo "$stamp" >"$STAMP_NAME"
)
chown -R -h 0:0 "$new"
chmod 0755 "$new"

if [[ -e $DIR ]]; then
	old="$DIR.old.$$"
	mv "$DIR" "$old"
	mv "$new" "$DIR"
	rm -rf --one-file-system "$old"
else
	mv "$new" "$DIR"
fi
trap - EXIT
echo "$DIR"
