#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end tests of x86ns-init as PID 1 of a new PID namespace
# (unshare --pid --fork --mount-proc). Runs as root. Uses the binary at
# $X86NS_INIT, default guest/x86ns-init of this tree (make builds it).
# Every namespace it starts is killed at exit, also after a failure.
# shellcheck disable=SC2317,SC2016 # cleanup-stack function; scripts in single quotes
. "$(dirname "$0")/../lib.sh"

INIT=${X86NS_INIT:-$TST_SRCDIR/guest/x86ns-init}
work=$TST_TMP
UPID='' IPID=''

# check_that DESC REASON CMD...: like check, with the reason to print.
check_that() {
	local desc=$1 reason=$2
	shift 2
	if "$@"; then ok "$desc"; else not_ok "$desc" "$reason"; fi
}

kill_current() {
	[ -n "$IPID" ] && kill -KILL "$IPID" 2>/dev/null
	[ -n "$UPID" ] && kill -KILL "$UPID" 2>/dev/null
	wait 2>/dev/null
	return 0
}
tst_cleanup_push kill_current

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_init GRACE LOG ARGS...: init as PID 1 of a new PID namespace; sets
# UPID (unshare) and IPID (init, host view) and waits for "ready".
start_init() {
	local grace=$1 log=$2
	shift 2
	UPID='' IPID=''
	X86NS_INIT_GRACE=$grace unshare --pid --fork --mount-proc "$INIT" "$@" >"$log" 2>&1 &
	UPID=$!
	for _ in $(seq 200); do
		IPID=$(awk '{print $1}' "/proc/$UPID/task/$UPID/children" 2>/dev/null)
		[ -n "$IPID" ] && grep -q "x86ns-init: ready" "$log" && return 0
		sleep 0.05
	done
	return 1
}

# wait_gone TIMEOUT_MS: waits for unshare to exit; sets RC and ELAPSED_MS.
wait_gone() {
	local start t
	start=$(now_ms)
	RC=timeout
	while kill -0 "$UPID" 2>/dev/null; do
		t=$(now_ms)
		if [ $((t - start)) -gt "$1" ]; then ELAPSED_MS=$((t - start)); return 1; fi
		# a zombie unshare counts as gone: it is our child
		[ "$(awk '{print $3}' "/proc/$UPID/stat" 2>/dev/null)" = Z ] && break
		sleep 0.02
	done
	ELAPSED_MS=$(($(now_ms) - start))
	wait "$UPID"
	RC=$?
	UPID='' IPID=''
}

# Processes in init's PID namespace, one "PID STATE" per line.
ns_procs() {
	local ns p
	ns=$(readlink "/proc/$IPID/ns/pid") || return
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		echo "${p#/proc/} $(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f1)"
	done
}

tst_need unshare awk seq
[ -x "$INIT" ] || tst_bail "x86ns-init is built" "$INIT missing: run make"

# 1. Start-up: PID 1, stray fds closed, child with an empty signal mask.
log=$work/start.log
start_init 5 "$log" /bin/sh -c 'echo "ppid=$PPID"; grep SigBlk /proc/self/status;
	echo "initfds=$(ls /proc/1/fd | tr "\n" " ")"; exec sleep 1000' 7>/dev/null 8</dev/null
check_that "init starts and prints ready" "no ready line: $(cat "$log")" test -n "$IPID"
sleep 0.3
check_that "spawned program is a child of PID 1" "$(cat "$log")" grep -q "^ppid=1$" "$log"
check_that "spawned program has no blocked signals" "$(grep SigBlk "$log")" \
	grep -q "SigBlk:.*0000000000000000$" "$log"
check_that "init closed stray fds (only 0 1 2 left)" "$(grep initfds "$log")" \
	grep -q "^initfds=0 1 2 $" "$log"
kill -HUP "$IPID"
kill -USR1 "$IPID"
sleep 0.2
check_that "SIGHUP and SIGUSR1 do not stop init" "init gone" kill -0 "$IPID"
kill -TERM "$IPID"
wait_gone 3000
check_that "SIGTERM: exits 0 quickly when everything obeys" "rc=$RC after ${ELAPSED_MS} ms" \
	test "$RC" = 0 -a "$ELAPSED_MS" -lt 1500
check_that "prints the stopping line" "$(cat "$log")" grep -q "x86ns-init: stopping (signal 15)" "$log"

# 2. The program's exit does not end init; orphans and daemons are reaped.
log=$work/reap.log
start_init 5 "$log" /bin/sh -c '(sleep 0.3 &); (sleep 0.4 &); setsid sh -c "sleep 0.3" & exit 0'
sleep 1.2
check_that "init outlives its program" "init gone: $(cat "$log")" kill -0 "$IPID"
procs=$(ns_procs)
check_that "orphans and daemons reaped: only init is left" "left: $(echo "$procs" | tr '\n' ',')" \
	test "$(echo "$procs" | wc -l)" = 1 -a "${procs#* }" != Z
kill -PWR "$IPID"
wait_gone 3000
check_that "SIGPWR stops init" "rc=$RC $(cat "$log")" grep -q "stopping (signal $(kill -l PWR 2>/dev/null || echo 30))" "$log"

# 3. A process that ignores SIGTERM is killed after the grace period.
log=$work/grace.log
start_init 1 "$log" /bin/sh -c 'trap "" TERM; sleep 1000 & setsid sleep 1000 & exec sleep 1000'
sleep 0.3
victims=$(ns_procs | awk '$1 != "'"$IPID"'" {print $1}')
check_that "three TERM-ignoring sleepers run" "got: $(echo "$victims" | tr '\n' ' ')" \
	test "$(echo "$victims" | wc -w)" = 3
kill -TERM "$IPID"
wait_gone 5000
check_that "grace 1 s: exits after the grace period" "rc=$RC after ${ELAPSED_MS} ms" \
	test "$RC" = 0 -a "$ELAPSED_MS" -ge 900 -a "$ELAPSED_MS" -lt 3000
alive=
for p in $victims; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
check_that "TERM-ignoring processes are gone" "alive:$alive" test -z "$alive"

# 4. SIGRTMIN+4 (systemd's poweroff) and SIGINT; grace 0 kills at once.
for sig in RTMIN+4 INT; do
	log=$work/sig.log
	start_init 0 "$log" /bin/sh -c 'trap "" TERM INT; exec sleep 1000'
	num=$(kill -l "$sig" 2>/dev/null)
	kill -s "$sig" "$IPID"
	wait_gone 3000
	check_that "SIG$sig stops init (grace 0, TERM-ignoring child)" "rc=$RC ${ELAPSED_MS} ms: $(cat "$log")" \
		test "$RC" = 0 -a "$ELAPSED_MS" -lt 1500
	check_that "SIG$sig is named in the stopping line" "$(cat "$log")" \
		grep -q "stopping (signal $num)" "$log"
done

# 5. A program that cannot be executed leaves init running.
log=$work/noexec.log
start_init 5 "$log" /nonexistent/program
sleep 0.2
check_that "bad program: init reports it" "$(cat "$log")" grep -q "cannot execute /nonexistent/program" "$log"
check_that "bad program: init keeps running" "init gone" kill -0 "$IPID"
kill -TERM "$IPID"
wait_gone 3000

# 6. Outside PID 1 it refuses to start (kill(-1) would reach too far).
out=$(unshare --pid --fork --mount-proc /bin/sh -c "\"$INIT\" /bin/true; echo rc=\$?" 2>&1)
check_that "refuses to run as anything but PID 1" "$out" \
	sh -c 'echo "$1" | grep -q "must run as PID 1" && echo "$1" | grep -q "rc=1"' _ "$out"

