#!/bin/bash
# tests/guest-busybox.sh [--arch ARCH] [DIR]: build the small busybox guest
# tree used by the tests and the demo from a static busybox (Debian
# busybox-static), and print DIR.
#
# Without --arch (or with the host's dpkg architecture) the tree is made from
# the host's /bin/busybox; default DIR /var/cache/x86ns-tests/guests/busybox.
# X86NS_BUSYBOX=PATH uses another static busybox than /bin/busybox.
#
# --arch arm64 makes a foreign tree for the translator tests from Debian's
# busybox-static:arm64; default DIR /var/cache/x86ns-tests/guests/busybox-arm64.
# The package is fetched with a private apt state in
# /var/cache/x86ns-tests/apt-arm64 (lists, cache, downloaded .deb): the host's
# dpkg and apt configuration (architectures, status, lists) is not changed.
# The host cannot run the arm64 busybox to list its applets, so this needs
# qemu-aarch64-static (Debian qemu-user-static). The package lists are
# refreshed when older than a day; without network an existing tree is kept.
#
# The tree is shared read-only by every container (the overlay's lower
# layer), so it is owned by root and world-readable. It is rebuilt only when
# missing, when the busybox (host binary or the arm64 .deb) changed, or when
# this script's layout version changed; otherwise the existing tree is reused.
# The new tree is built beside DIR and renamed into place under a lock, so a
# reader never sees a half-built one.
set -euo pipefail

LAYOUT_VERSION=1
STAMP_NAME=.x86ns-guest-stamp
GUESTS_DIR=/var/cache/x86ns-tests/guests
APT_LISTS_MAX_AGE=86400

die() {
	echo "guest-busybox.sh: $*" >&2
	exit 1
}
warn() { echo "guest-busybox.sh: warning: $*" >&2; }

usage() {
	echo "usage: tests/guest-busybox.sh [--arch ARCH] [DIR]" >&2
	exit 2
}

HOST_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH=$HOST_ARCH
DIR=
while (($#)); do
	case $1 in
	--arch) (($# >= 2)) || usage; ARCH=$2; shift 2 ;;
	--arch=*) ARCH=${1#--arch=}; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [[ -z $DIR ]] || usage; DIR=$1; shift ;;
	esac
done

[[ $(id -u) == 0 ]] || die "must run as root (the tree is root-owned)"

# ---- the foreign busybox: a private apt state, never the host's ----------

# Debian architecture -> the qemu-user program that runs its binaries.
declare -A QEMU_OF=([arm64]=qemu-aarch64-static)

APT_DIR=
APT_OPTS=()

# apt_setup: APT_DIR and the apt-get options that confine apt to it.
apt_setup() {
	APT_DIR=/var/cache/x86ns-tests/apt-$ARCH
	APT_OPTS=(-q -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
		-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
		-o "Dir::State::status=/dev/null")
	install -d -m 0755 "$APT_DIR" "$APT_DIR/lists" "$APT_DIR/cache" "$APT_DIR/cache/archives"
	install -d -m 0700 "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	# --print-uris prints nothing for a .deb already in the current
	# directory: ask from an empty one.
	install -d -m 0755 "$APT_DIR/query"
	# apt downloads as _apt: give it the directory the .deb goes to.
	if getent passwd _apt >/dev/null; then
		install -d -m 0755 -o _apt "$APT_DIR/debs"
	else
		install -d -m 0755 "$APT_DIR/debs"
	fi
}

# apt_lists_fresh: the private lists were updated less than a day ago. (The
# lists themselves carry the archive's dates, not the download's.)
apt_lists_fresh() {
	local updated
	updated=$(stat -c %Y "$APT_DIR/lists/.x86ns-updated" 2>/dev/null) &&
		(($(date +%s) - updated < APT_LISTS_MAX_AGE))
}

# apt_locate_deb: print "FILENAME SHA256" of busybox-static:ARCH from the
# private lists, refreshing them first when they are stale.
apt_locate_deb() {
	local line
	if ! apt_lists_fresh; then
		if apt-get "${APT_OPTS[@]}" update >&2; then
			touch "$APT_DIR/lists/.x86ns-updated"
		else
			warn "apt-get update for $ARCH failed"
		fi
	fi
	line=$(cd "$APT_DIR/query" &&
		apt-get "${APT_OPTS[@]}" --print-uris download "busybox-static:$ARCH" |
		grep -m1 "busybox-static_.*_$ARCH\.deb") || return 1
	# 'URL' FILENAME SIZE SHA256:HEX
	read -r _ file _ sum <<<"$line"
	[[ $sum == SHA256:* && $file == busybox-static_*.deb ]] || return 1
	echo "$file ${sum#SHA256:}"
}

# apt_fetch_deb FILENAME SHA256: make sure $APT_DIR/debs/FILENAME is there
# with that sha256 (download it otherwise); drop older .debs.
apt_fetch_deb() {
	local file=$1 sum=$2 f
	if [[ ! -f $APT_DIR/debs/$file || $(sha256sum <"$APT_DIR/debs/$file" | cut -d' ' -f1) != "$sum" ]]; then
		rm -f "$APT_DIR/debs/$file"
		(cd "$APT_DIR/debs" && apt-get "${APT_OPTS[@]}" download "busybox-static:$ARCH" >&2) ||
			die "apt-get download busybox-static:$ARCH failed (network?)"
	fi
	[[ $(sha256sum <"$APT_DIR/debs/$file" | cut -d' ' -f1) == "$sum" ]] ||
		die "$APT_DIR/debs/$file: sha256 differs from the package lists"
	for f in "$APT_DIR/debs"/busybox-static_*.deb; do
		[[ $f == "$APT_DIR/debs/$file" ]] || rm -f "$f"
	done
}

# ---- what to build from --------------------------------------------------

# Sets BUSYBOX (a path, or empty until the .deb is unpacked), RUNNER (what
# runs it on the host: nothing, or qemu-user) and stamp (empty until the
# package lists name the .deb).
RUNNER=()
DEB_FILE=
if [[ $ARCH == "$HOST_ARCH" ]]; then
	DIR=${DIR:-$GUESTS_DIR/busybox}
	BUSYBOX=${X86NS_BUSYBOX:-/bin/busybox}
	[[ -x $BUSYBOX ]] || die "$BUSYBOX missing: apt-get install busybox-static"
	# A dynamic busybox (Debian package "busybox") cannot run inside the guest.
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked: apt-get install busybox-static"
	fi
	stamp="layout=$LAYOUT_VERSION busybox=$(sha256sum <"$BUSYBOX" | cut -d' ' -f1)"
elif [[ -n ${QEMU_OF[$ARCH]:-} ]]; then
	DIR=${DIR:-$GUESTS_DIR/busybox-$ARCH}
	qemu=${QEMU_OF[$ARCH]}
	command -v "$qemu" >/dev/null ||
		die "$qemu missing: apt-get install qemu-user-static (needed to list the" \
			"applets of the $ARCH busybox on this $HOST_ARCH host)"
	command -v apt-get >/dev/null || die "apt-get missing: the $ARCH busybox comes from Debian"
	RUNNER=("$(command -v "$qemu")")
	BUSYBOX=
	stamp=
else
	die "--arch $ARCH: only $HOST_ARCH (the host's) and ${!QEMU_OF[*]} are supported"
fi

parent=$(dirname "$DIR")
install -d -m 0755 "$parent"

exec 9>"$parent/.$(basename "$DIR").lock"
flock 9

if [[ -z $stamp ]]; then
	apt_setup
	# One apt state for every tree of this arch: one apt at a time.
	exec 8>"$APT_DIR/.lock"
	flock 8
	if ! located=$(apt_locate_deb); then
		if [[ -f $DIR/$STAMP_NAME ]]; then
			warn "busybox-static:$ARCH not found in the package lists; keeping $DIR"
			echo "$DIR"
			exit 0
		fi
		die "busybox-static:$ARCH not found with the private apt state in $APT_DIR" \
			"(apt-get update failed? see above)"
	fi
	read -r DEB_FILE deb_sum <<<"$located"
	stamp="layout=$LAYOUT_VERSION arch=$ARCH deb=$deb_sum"
fi

if [[ -f $DIR/$STAMP_NAME && $(<"$DIR/$STAMP_NAME") == "$stamp" ]]; then
	echo "$DIR"
	exit 0
fi

new=$(mktemp -d "$DIR.new.XXXXXX")
trap 'rm -rf --one-file-system "$new"' EXIT

if [[ -n $DEB_FILE ]]; then
	apt_fetch_deb "$DEB_FILE" "$deb_sum"
	install -d -m 0700 "$new/.deb"
	dpkg-deb -x "$APT_DIR/debs/$DEB_FILE" "$new/.deb"
	BUSYBOX=$new/.deb/bin/busybox
	[[ -f $BUSYBOX ]] || die "$DEB_FILE has no /bin/busybox"
fi

(
	cd "$new"
	umask 022
	install -d -m 0755 bin etc proc sys dev run home root var usr
	install -d -m 1777 tmp
	install -m 0755 "$BUSYBOX" bin/busybox
	applets=$("${RUNNER[@]}" ./bin/busybox --list) ||
		die "cannot run ${RUNNER[*]:+${RUNNER[*]} }bin/busybox --list"
	for applet in $applets; do
		[[ $applet == busybox || $applet == */* ]] && continue
		ln -s busybox "bin/$applet"
	done
	# One directory holds every applet; the usual paths lead there.
	ln -s bin sbin
	ln -s ../bin usr/bin
	ln -s ../bin usr/sbin

	version=$("${RUNNER[@]}" ./bin/busybox 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
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
	rm -rf .deb
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
