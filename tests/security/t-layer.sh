#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The writable layer is bounded and out of the user's host-side reach:
#  - layer-size = 8M: guest root writing 20M gets ENOSPC, the image on the
#    host stays at 8M, another user's guest still starts and writes; what
#    the guest wrote persists across a stop and a start; reset removes it;
#  - /var/lib/x86ns/UID is root's: the user, from a host shell, also with
#    the subordinate ids mapped through newuidmap, reads nothing of it;
#  - layer-size = max keeps a directory layer; a later limit refuses the
#    start with the reason and the keys, instead of hiding the user's files.
# shellcheck disable=SC2016 # guest scripts are in single quotes on purpose
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need setpriv unshare newuidmap

as_guest_root() { "$X86NS_CTL" --config "$X86NS_CONF" exec "$1" -- sh -c "$2" </dev/null 2>&1; }
ctl() { "$X86NS_CTL" --config "$X86NS_CONF" "$@"; }

tst_guest_busybox
tst_user_add layer-alice
ALICE=$TST_USER ALICE_UID=$TST_USER_UID ALICE_SUBID=$TST_USER_SUBID
x86ns_stop_at_exit "$ALICE"
tst_user_add layer-bob
BOB=$TST_USER BOB_UID=$TST_USER_UID
x86ns_stop_at_exit "$BOB"
tst_user_add layer-carol
CAROL=$TST_USER CAROL_UID=$TST_USER_UID CAROL_SUBID=$TST_USER_SUBID
x86ns_stop_at_exit "$CAROL"

layer_config() { # CAROL's layer-size
	x86ns_config "[default]" "guest = bb" "stop = never" "[user $ALICE]" "layer-size = 8M" \
		"[user $CAROL]" "layer-size = $1"
}
layer_config max
IMG=/var/lib/x86ns/$ALICE_UID/bb.img

start=$(date +%s%N)
out=$(ctl start "$ALICE" 2>&1)
check "alice's guest starts with layer-size = 8M" test $? -eq 0 || tst_log "$out"
tst_log "first start with a new 8M image: $((($(date +%s%N) - start) / 1000000)) ms"
check_eq "the layer is an 8M image owned by root, 0600" "8388608 root 600" \
	"$(stat -c '%s %U %a' "$IMG" 2>&1)"
check_eq "/var/lib/x86ns/UID is root's, 0700" "root 700" \
	"$(stat -c '%U %a' "/var/lib/x86ns/$ALICE_UID" 2>&1)"

out=$(as_guest_root "$ALICE" 'echo kept > /etc/x86ns-marker && dd if=/dev/zero of=/fill bs=1M count=20 2>&1; sync; echo done')
check_match "writing 20M into the 8M layer fails with ENOSPC" 'No space left on device' "$out"
used=$(du -k "$IMG" | cut -f1)
check "the image holds at most 8M of the host's disk (${used}K)" test "$used" -le 8192
out=$(as_guest_root "$ALICE" 'rm -f /fill && echo small > /small && cat /small')
check_eq "the guest writes again once it freed space" "small" "$out"

out=$(ctl start "$BOB" 2>&1)
check "bob's guest starts while alice's layer was full" test $? -eq 0 || tst_log "$out"
out=$(as_guest_root "$BOB" 'echo bob-ok > /bob && cat /bob')
check_eq "bob's guest writes its layer" "bob-ok" "$out"

ctl stop "$ALICE" >/dev/null 2>&1
x86ns_wait_gone "$ALICE_UID" 15 || not_ok "alice's guest stops" "still there"
start=$(date +%s%N)
out=$(ctl start "$ALICE" 2>&1)
check "alice's guest starts again on the same image" test $? -eq 0 || tst_log "$out"
tst_log "start on an existing image: $((($(date +%s%N) - start) / 1000000)) ms"
out=$(as_guest_root "$ALICE" 'cat /etc/x86ns-marker')
check_eq "what the guest wrote persists across a restart" "kept" "$out"

# The user on the host: directly, and with the subordinate ids (guest
# root's host id among them) mapped by newuidmap, as any user can.
as_host() { setpriv --reuid "$1" --regid "$1" --clear-groups "${@:2}" 2>&1; }
subid_host() { # USER SUBID CMD...: CMD as guest root's host id, mapped
	as_host "$1" unshare --map-users="$2,0,65536" --map-groups="$2,0,65536" \
		--setuid 0 --setgid 0 "${@:3}"
}
out=$(as_host "$ALICE" ls "/var/lib/x86ns/$ALICE_UID")
check_match "alice cannot list her layer directory from a host shell" 'Permission denied' "$out"
out=$(subid_host "$ALICE" "$ALICE_SUBID" cat "$IMG")
check_match "nor through newuidmap as guest root's host id" 'Permission denied' "$out"

start=$(date +%s%N)
out=$(ctl start "$CAROL" 2>&1)
check "carol's guest starts with layer-size = max" test $? -eq 0 || tst_log "$out"
tst_log "first start with a directory layer: $((($(date +%s%N) - start) / 1000000)) ms"
check "layer-size = max is a directory layer" test -d "/var/lib/x86ns/$CAROL_UID/bb/upper"
out=$(as_guest_root "$CAROL" 'echo carol > /carol && cat /carol')
check_eq "carol's guest writes the directory layer" "carol" "$out"
out=$(subid_host "$CAROL" "$CAROL_SUBID" ls "/var/lib/x86ns/$CAROL_UID/bb/upper")
check_match "carol cannot reach her upper directory through newuidmap" 'Permission denied' "$out"
out=$(subid_host "$CAROL" "$CAROL_SUBID" sh -c "echo x > /var/lib/x86ns/$CAROL_UID/bb/upper/planted")
check_fail "nor plant a file there" test -e "/var/lib/x86ns/$CAROL_UID/bb/upper/planted"

ctl stop "$CAROL" >/dev/null 2>&1
x86ns_wait_gone "$CAROL_UID" 15
layer_config 8M
out=$(ctl start "$CAROL" 2>&1)
check "a limit over an existing directory layer refuses the start" test $? -ne 0
check_match "the refusal says why and names both ways out" \
	'without a size limit.*x86nsctl reset .*layer-size = max' "$out"
check "the directory layer is untouched" test -e "/var/lib/x86ns/$CAROL_UID/bb/upper/carol"

ctl stop "$ALICE" >/dev/null 2>&1
x86ns_wait_gone "$ALICE_UID" 15
out=$(ctl reset "$ALICE" 2>&1)
check "x86nsctl reset removes the image" test ! -e "$IMG" || tst_log "$out"
