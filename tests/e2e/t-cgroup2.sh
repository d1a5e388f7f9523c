#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The pure cgroup v2 (unified) layout, on a host of any layout: every start
# here runs in a private mount and PID namespace whose /sys/fs/cgroup is the
# cgroup2 hierarchy itself, as on a server booted with systemd's unified
# hierarchy (the monitor enters "PID 1's" mount namespace, which is then
# this one). On this hybrid test host the v2 tree has no controllers (they
# are bound to v1), so a limit is refused; on a real v2 host it is applied.
# Covers: the monitor and the guest born in their groups (clone3
# CLONE_INTO_CGROUP: no v1 group anywhere), the guest's own cgroup2 mount
# (delegated, writable to guest root), the sessions' leaf, the stop that
# leaves nothing.
# shellcheck disable=SC2016 # the inner script is single-quoted on purpose
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"

tst_need unshare mount pgrep
tst_guest_busybox
tst_user_add cg2
x86ns_stop_at_exit "$TST_USER"
U=$TST_USER UID_=$TST_USER_UID

# A check that fails midway ends the namespace and with it the monitor,
# before it could remove the container's runtime directory and group: the
# launcher's next start would, but this test leaves nothing behind either.
cg2_leftovers_remove() {
	pgrep -f "x86ns-monitor user=$U " >/dev/null && return 0
	rm -rf "/run/x86ns/$UID_"
	find "/sys/fs/cgroup/unified/x86ns/$UID_" "/sys/fs/cgroup/x86ns/$UID_" -depth -type d \
		-exec rmdir {} + 2>/dev/null
	return 0
}
tst_cleanup_push cg2_leftovers_remove

# in_v2 SCRIPT: run the bash SCRIPT in the v2-only view, as root; its
# output is key=value lines for the checks below. When it ends, the
# namespace's processes die with it: SCRIPT stops what it starts.
in_v2() {
	X86NS_LAUNCH=$X86NS_LAUNCH X86NS_CTL=$X86NS_CTL X86NS_CONF=$X86NS_CONF U=$U \
		UID_=$UID_ GID_=$TST_USER_GID HOME_=$TST_USER_HOME \
		unshare --mount --pid --fork --mount-proc --propagation private bash -c \
		'mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1
		start() {
			"$X86NS_LAUNCH" start --user "$U" --uid "$UID_" --gid "$GID_" \
				--home "$HOME_" --config "$X86NS_CONF" --group "$U"
		}
		'"$1"
}

# ---- 1. a start, a look inside, a stop ------------------------------------
x86ns_config "[user $U]" "guest = bb"
out=$(in_v2 '
	start >/dev/null 2>&1; echo "start=$?"
	mon=$(pgrep -x x86ns-monitor -u 0 | head -n 1)
	echo "monitor=$(grep "^0::" "/proc/$mon/cgroup")"
	init=$(pgrep -P "$mon" -x x86ns-init)
	echo "init=$(grep "^0::" "/proc/$init/cgroup")"
	"$X86NS_CTL" --config "$X86NS_CONF" exec "$U" -- sh -c "
		echo guest_fs=\$(stat -f -c %t /sys/fs/cgroup)
		echo guest_self=\$(grep ^0:: /proc/self/cgroup)
		mkdir /sys/fs/cgroup/made-by-guest-root && echo guest_mkdir=ok
		rmdir /sys/fs/cgroup/made-by-guest-root
	" 2>&1
	echo "user_self=$("$X86NS_CTL" --config "$X86NS_CONF" exec "$U" --user -- \
		sh -c "id -un; grep ^0:: /proc/self/cgroup" 2>&1 | tr "\n" " ")"
	"$X86NS_LAUNCH" stop --uid "$UID_" >/dev/null 2>&1; echo "stop=$?"
	for _ in $(seq 50); do [ -e "/run/x86ns/$UID_" ] || break; sleep 0.1; done
	echo "group_left=$(ls -d "/sys/fs/cgroup/x86ns/$UID_" 2>/dev/null)"
	echo "monitor_left=$(pgrep -x x86ns-monitor -u 0)"
')
printf '%s\n' "$out" | sed 's/^/# /' >&2
val() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -n 1; }

check_eq "start in the v2-only view succeeds" 0 "$(val start)"
check_eq "the monitor was born in x86ns/monitors" "0::/x86ns/monitors" "$(val monitor)"
check_eq "the guest init was born in x86ns/$UID_" "0::/x86ns/$UID_" "$(val init)"
check_eq "the guest's /sys/fs/cgroup is a cgroup2 mount (CGROUP2_SUPER_MAGIC)" 63677270 \
	"$(val guest_fs)"
check_match "guest root sees its group as the root (cgroup namespace)" \
	'^0::/(x86ns-sessions)?$' "$(val guest_self)"
check_eq "the group is delegated: guest root makes a child group" ok "$(val guest_mkdir)"
check_match "the user's session runs in the guest, in the container's group" \
	"^$U 0::/(x86ns-sessions)? ?$" "$(val user_self)"
check_eq "stop succeeds" 0 "$(val stop)"
check_eq "x86ns/$UID_ is removed at stop" "" "$(val group_left)"
check_eq "the monitor exits at stop" "" "$(val monitor_left)"
check_eq "nothing is left on the host" "" "$(x86ns_leftovers "$UID_")"

# ---- 2. a limit the v2 tree cannot enforce is refused, else applied --------
x86ns_config "[user $U]" "guest = bb" "pids = 64"
out=$(in_v2 '
	if grep -qw pids /sys/fs/cgroup/cgroup.controllers; then echo "has_pids=1"; fi
	msg=$(start 2>&1 >/dev/null); echo "start=$?"
	echo "msg=$(printf "%s" "$msg" | tail -n 1)"
	echo "pids_max=$(cat "/sys/fs/cgroup/x86ns/$UID_/pids.max" 2>/dev/null)"
	"$X86NS_LAUNCH" stop --uid "$UID_" >/dev/null 2>&1
	for _ in $(seq 50); do [ -e "/run/x86ns/$UID_" ] || break; sleep 0.1; done
')
printf '%s\n' "$out" | sed 's/^/# /' >&2
if [[ -n $(val has_pids) ]]; then
	check_eq "with a pids controller in cgroup2, the start succeeds" 0 "$(val start)"
	check_eq "and pids.max is the configured limit" 64 "$(val pids_max)"
else
	check_fail "without a pids controller in cgroup2, the start is refused" \
		test "$(val start)" = 0
	check_match "with a message naming the missing controller" \
		"pids limit for $U, but this host has no pids cgroup controller" "$(val msg)"
fi
check_eq "nothing is left on the host after the limit test" "" "$(x86ns_leftovers "$UID_")"
