#!/bin/bash
# tests/pkg/build-deb.sh [--binary-only] [OUTDIR]: build x86ns's Debian
# packages (debian/) from a clean copy of this tree, so that the build
# leaves nothing in the tree. What "make deb" runs; tests/pkg/t-package.sh
# builds with it too.
#
# The copy holds the files git knows or would add (tracked and untracked,
# not ignored: uncommitted changes are built too), or, outside a git
# checkout, the whole tree after "make clean". Its upstream part without
# debian/ becomes OUTDIR/x86ns_VERSION.orig.tar.xz, made reproducibly (name
# order, owner root, the changelog's date), so that the source package
# builds as well; --binary-only runs "dpkg-buildpackage -b" and makes no
# source package. Results in OUTDIR (default build-deb/ in the tree, which
# git ignores): the .deb files, .dsc/.debian.tar.xz, .changes, .buildinfo
# and build.log. Needs the build dependencies of debian/control
# ("mk-build-deps -i -r debian/control" installs them).
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
binary_only=0
out=
for arg in "$@"; do
	case $arg in
	--binary-only) binary_only=1 ;;
	-*)
		echo "usage: tests/pkg/build-deb.sh [--binary-only] [OUTDIR]" >&2
		exit 2
		;;
	*) out=$arg ;;
	esac
done
out=${out:-$SRCDIR/build-deb}

source=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Source)
version=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Version)
date=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Timestamp)
upstream=${version#*:}
upstream=${upstream%-*}
copy=$out/$source-$upstream

mkdir -p "$out"
out=$(cd "$out" && pwd)
copy=$out/$source-$upstream
rm -rf "$copy"
rm -f "$out/${source}_"* "$out/"*.deb "$out/"*.ddeb "$out/build.log"
mkdir -p "$copy"

if git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Listed files that no longer exist (deleted, not yet committed) are left out.
	git -C "$SRCDIR" ls-files -z --cached --others --exclude-standard |
		(cd "$SRCDIR" && while IFS= read -r -d '' f; do
			[[ -e $f || -L $f ]] && printf '%s\0' "$f"
		done) |
		tar -C "$SRCDIR" --null -T - -cf - | tar -C "$copy" -xf -
else
	tar -C "$SRCDIR" --exclude=./build-deb --exclude=./tests/out -cf - . | tar -C "$copy" -xf -
	make -C "$copy" clean >/dev/null
fi

tar -C "$out" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$date" \
	--exclude="$source-$upstream/debian" -cf - "$source-$upstream" |
	xz -T1 >"$out/${source}_$upstream.orig.tar.xz"

args=(-us -uc)
((binary_only)) && args+=(-b)
echo "build-deb: building in $copy (log: $out/build.log)" >&2
if ! (cd "$copy" && dpkg-buildpackage "${args[@]}") >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
rm -rf "$copy"
ls -1 "$out"
