#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest code never gets the caller's terminal. An administrator runs
# `x86nsctl exec USER -- CMD` on a terminal, a user runs a command through
# x86ns-shell with only some of fds 0-2 on a terminal (`su - USER -c CMD
# >file`): the command must see a pty of the guest's own devpts, and a
# guest process that stays behind must neither read what is typed on the
# caller's terminal nor write to it after the command returned. Also: the
# relay's ^C (SIGINT to x86nsctl) reaches the guest command in front.
#
# tests/security/pty-drive.py runs each command on a real pty of its own,
# as a terminal would, and types a line once the command returned.
# shellcheck disable=SC2016 # guest scripts are in single quotes on purpose
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need python3 setpriv

DRIVE=$TST_SRCDIR/tests/security/pty-drive.py
tst_guest_busybox
tst_user_add term
USER_=$TST_USER USER_UID=$TST_USER_UID USER_GID=$TST_USER_GID
x86ns_stop_at_exit "$USER_"
x86ns_config "[default]" "stop = never" "[user $USER_]" "guest = bb"
x86nsctl start "$USER_" >&2 || tst_bail "start" "x86nsctl start $USER_ failed"

# The guest command: prints whether its fd 0 is on the guest's devpts,
# leaves a process behind that, a second after the command returned,
# writes to the terminal the command had as fd 0 and reads a line from it.
# (An asynchronous list of a non-interactive sh reads /dev/null: fd 3.)
GUEST_CMD='exec 3<&0
	echo "devpts $(stat -L -c %d /proc/self/fd/0) $(stat -c %d /dev/pts/ptmx)"
	(sleep 1; echo LEFTOVER-WRITES >&3; cat <&3 >>/tmp/stolen) &
	echo started'
SECRET="secret-$$"

# stolen: what the guest's leftover read from a terminal (as guest root).
stolen() {
	sleep 2 # the leftover reads a second after the command returned
	"$X86NS_CTL" exec "$USER_" -- sh -c 'cat /tmp/stolen 2>/dev/null; rm -f /tmp/stolen' \
		</dev/null 2>&1
}

# devpts_same LINE: "yes" when a "devpts A B" line has A = B.
devpts_same() {
	awk '$1 == "devpts" { print ($2 == $3 ? "yes" : "no: fd 0 on device " $2 \
		", the guest devpts is " $3) }' <<<"$1" | tr -d '\r' | head -1
}

# ---- x86nsctl exec on the administrator's terminal -------------------------
out=$("$DRIVE" --type-after EXEC-RETURNED "$SECRET"$'\n' -- sh -c \
	'"$1" --config "$2" exec "$3" -- sh -c "$4"; echo "EXEC-RETURNED rc=$?"; sleep 3' \
	sh "$X86NS_CTL" "$X86NS_CONF" "$USER_" "$GUEST_CMD" 2>&1)
tst_log "x86nsctl exec on a terminal: $out"
check_match "x86nsctl exec: the command ran and returned 0" 'EXEC-RETURNED rc=0' "$out"
check_eq "x86nsctl exec: the command's terminal is on the guest's devpts" yes \
	"$(devpts_same "$out")"
check_eq "x86nsctl exec: a guest leftover cannot read the administrator's next line" "" \
	"$(stolen)"
check_eq "x86nsctl exec: a guest leftover cannot write to the administrator's terminal" "" \
	"$(grep LEFTOVER-WRITES <<<"$out")"

# ---- x86ns-shell with only stdin on a terminal (su - USER -c CMD >file) -----
as_user_shell() {
	"$DRIVE" --type-after SHELL-RETURNED "$SECRET"$'\n' -- sh -c \
		'cd / && setpriv --reuid "$1" --regid "$2" --init-groups -- "$3" -c "$4" \
			>"$5" 2>"$5.err"; echo "SHELL-RETURNED rc=$?"; sleep 3' \
		sh "$USER_UID" "$USER_GID" "$X86NS_SHELL" "$GUEST_CMD" "$1" 2>&1
}
install -m 0644 -o "$USER_UID" /dev/null "$TST_TMP/out"
install -m 0644 -o "$USER_UID" /dev/null "$TST_TMP/out.err"
out=$(as_user_shell "$TST_TMP/out")
tst_log "x86ns-shell, stdin on a terminal: $out; stdout: $(cat "$TST_TMP/out"); stderr: $(cat "$TST_TMP/out.err")"
check_match "x86ns-shell: the command ran and returned 0" 'SHELL-RETURNED rc=0' "$out"
check_eq "x86ns-shell: stdout still goes to the file" started "$(tail -n 1 "$TST_TMP/out")"
check_eq "x86ns-shell, stdin a terminal: the command's stdin is on the guest's devpts" yes \
	"$(devpts_same "$(cat "$TST_TMP/out")")"
check_eq "x86ns-shell: a guest leftover cannot read the user's next line" "" "$(stolen)"
check_eq "x86ns-shell: a guest leftover cannot write to the user's terminal" "" \
	"$(grep LEFTOVER-WRITES <<<"$out")"

# ---- ^C: the relay forwards SIGINT to the guest's foreground group ----------
start=$(date +%s%N)
out=$("$DRIVE" --signal-after FOREGROUND SIGINT -- "$X86NS_CTL" --config "$X86NS_CONF" \
	exec "$USER_" -- sh -c 'echo FOREGROUND; exec sleep 30' 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "x86nsctl exec: SIGINT ends the guest command in front (exit 130)" 130 "$rc"
check "x86nsctl exec: ... at once (${ms} ms)" test "$ms" -lt 10000
