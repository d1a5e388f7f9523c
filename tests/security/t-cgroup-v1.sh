#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a container gets of the cgroup v1 hierarchies of a hybrid or legacy
# host (docs/ARCHITECTURE.md, "cgroup v1"): it is placed in the hierarchies
# of the controllers x86ns drives (pids, memory, cpu, freezer) and in
# name=systemd;
# only name=systemd is delegated to guest root. Its group there does not
# inherit notify_on_release from x86ns/ (set to 1 here, as a host systemd
# sets it on its groups), the file stays root's, and groups the guest makes
# below start with 0.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"

V1=/sys/fs/cgroup
[[ -d $V1/systemd && ! -e $V1/cgroup.controllers ]] ||
	{ ok "no cgroup v1 name=systemd hierarchy on this host: nothing to check" && exit 0; }

tst_guest_busybox
tst_user_add cg1-alice
ALICE=$TST_USER ALICE_UID=$TST_USER_UID ALICE_SUBID=$TST_USER_SUBID
x86ns_stop_at_exit "$ALICE"
x86ns_config "[default]" "guest = bb" "stop = never" "layer-size = max" "pids = 256"

# x86ns/ exists once any container ran; make sure, then set its flag.
mkdir -p "$V1/systemd/x86ns"
old=$(<"$V1/systemd/x86ns/notify_on_release")
tst_cleanup_push sh -c "echo $old > $V1/systemd/x86ns/notify_on_release"
echo 1 >"$V1/systemd/x86ns/notify_on_release"

out=$("$X86NS_CTL" --config "$X86NS_CONF" start "$ALICE" 2>&1)
check "the guest starts" test $? -eq 0 || tst_log "$out"
pid=$("$X86NS_CTL" status "$ALICE" 2>/dev/null | awk '$1 == "pid" {print $2}')
group=$V1/systemd/x86ns/$ALICE_UID

check_eq "its name=systemd group does not inherit notify_on_release" "0" \
	"$(cat "$group/notify_on_release" 2>&1)"
check_eq "and that file stays root's" "root" "$(stat -c %U "$group/notify_on_release")"
check_eq "the group itself is delegated to guest root" "$ALICE_SUBID" "$(stat -c %u "$group")"
out=$("$X86NS_CTL" exec "$ALICE" -- sh -c \
	'echo 1 > /sys/fs/cgroup/systemd/notify_on_release && echo SET; cat /sys/fs/cgroup/systemd/notify_on_release' </dev/null 2>&1)
check_eq "guest root cannot set notify_on_release on its group" "0" "$(tail -n 1 <<<"$out")"
out=$("$X86NS_CTL" exec "$ALICE" -- sh -c \
	'mkdir /sys/fs/cgroup/systemd/sub && cat /sys/fs/cgroup/systemd/sub/notify_on_release; rmdir /sys/fs/cgroup/systemd/sub' </dev/null 2>&1)
check_eq "a group the guest makes starts with notify_on_release 0" "0" "$out"

# Placement: each v1 hierarchy that x86ns drives holds init in x86ns/UID;
# the others (cpuset, devices, blkio, ...) leave it where the
# host put it, and nothing of them is delegated.
while read -r line; do
	id=${line%%:*} rest=${line#*:} ctrl=${rest%%:*} path=${rest#*:}
	[[ $id == 0 ]] && continue
	case ",$ctrl," in
	*,pids,* | *,memory,* | *,cpu,* | *,freezer,* | *,name=systemd,*)
		check_eq "init is in x86ns/$ALICE_UID of v1 $ctrl" "/x86ns/$ALICE_UID" "$path" ;;
	*)
		dir=$V1/${ctrl#name=}
		if [[ -d $dir/x86ns/$ALICE_UID ]]; then
			check_eq "v1 $ctrl: x86ns/$ALICE_UID is root's" "root" \
				"$(stat -c %U "$dir/x86ns/$ALICE_UID")"
		else
			ok "v1 $ctrl: not used, nothing delegated ($path)"
		fi ;;
	esac
done < <(cat "/proc/$pid/cgroup")
