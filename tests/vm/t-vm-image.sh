#!/bin/bash
# The real-server VM's image (tests/vm/image.sh): built here, before
# t-vm-server.sh boots it, so that a fresh machine's debootstrap (3 to 5
# minutes) has a time limit of its own (the runner's X86NS_TEST_TIMEOUT per
# program) instead of eating into the server suite's. Cached: on a machine
# that has it, this takes a second.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
tst_need debootstrap mkfs.ext4 ssh-keygen

t0=$SECONDS
tst_log "building (or reusing) the VM image: 3 to 5 minutes on a fresh machine"
# The build reports its steps on stderr; a progress line every 30 s between.
"$TST_DIR/vm/image.sh" >"$TST_TMP/dir" &
pid=$!
stop_build() { kill "$pid" 2>/dev/null; return 0; }
tst_cleanup_push stop_build
while kill -0 "$pid" 2>/dev/null; do
	sleep 1
	(((SECONDS - t0) % 30 == 0)) && tst_log "image.sh still running ($((SECONDS - t0)) s)"
done
wait "$pid"
rc=$?
dir=$(<"$TST_TMP/dir")
tst_log "image.sh: exit $rc after $((SECONDS - t0)) s: $dir"
((rc == 0)) || tst_bail "the Debian 12 VM image builds" "tests/vm/image.sh exited $rc"
ok "the Debian 12 VM image builds or is reused ($((SECONDS - t0)) s)"
check "the image has its root file system, kernel, initramfs and key" \
	test -s "$dir/root.img" -a -s "$dir/vmlinuz" -a -s "$dir/initrd.img" -a -s "$dir/id_ed25519"
check_match "the image's kernel is Debian 12's stock 6.1" '^6\.1\.[0-9]+-[0-9]+-amd64$' \
	"$(cat "$dir/kernel-release" 2>&1)"
