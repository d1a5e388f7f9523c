# shellcheck shell=bash
# tests/bench/full-guest.sh: the "full guest" part of `make bench`, sourced by
# tests/bench/run (uses its timer, stats, table, out and summary_row).
#
# One Debian bookworm amd64 tree (tests/guest-debian.sh, cached) booted with
# its own systemd, in the same run, by x86ns (`init = /sbin/init`,
# `ready = notify`) and by `systemd-nspawn --register=no --keep-unit -U
# --notify-ready=yes --volatile=overlay -b`. --volatile=overlay gives nspawn
# a private writable layer on tmpfs over the read-only cached tree (with -U
# nspawn maps the tree with an idmapped mount: nothing on disk is chowned or
# written), much as x86ns puts the user's upper layer over the shared tree.
# Runs alternate x86ns and nspawn (the order flips every run); per run:
#  1. start to READY: `x86nsctl start USER` until it returns (it returns when
#     the guest sent READY=1); nspawn from exec until READY=1 arrives on the
#     NOTIFY_SOCKET that tests/bench/notify-wait binds;
#  2. first prompt: `x86ns-shell -c true` as the user right after start
#     returns, and again after FG_SETTLE_S idle (a join into the same booted
#     guest, the reference);
#  3. poweroff: `x86nsctl stop USER` until the monitor is gone; for nspawn
#     SIGRTMIN+4 (systemd's poweroff, the signal x86ns sends) to the
#     container's PID 1 until nspawn exits.
# Then one more boot of each for idle memory: Rss, Pss and USS summed over
# the monitor (x86ns) or nspawn and all their descendants, after
# BENCH_FG_IDLE_S idle. Each nspawn runs in a cgroup of its own (nspawn with
# --keep-unit makes payload/ and supervisor/ under its own cgroup and never
# removes them), removed after the run; everything is also removed at exit.
#
# Knobs: BENCH_FG_RUNS (7), BENCH_FG_SETTLE_S (1), BENCH_FG_IDLE_S (3).

FG_RUNS=${BENCH_FG_RUNS:-7}
FG_SETTLE_S=${BENCH_FG_SETTLE_S:-1}
FG_IDLE_S=${BENCH_FG_IDLE_S:-3}
FG_TARGET_READY=0.8
FG_TARGET_STOP=0.2
FG_TARGET_PROMPT=1.15
FG_CGROUP=x86ns-bench-nspawn # under /sys/fs/cgroup/{systemd,unified}
FG_MACHINE=x86ns-bench       # nspawn --machine prefix
FG_HIERARCHIES=(systemd unified)
FG_NW_PID=

fg_build() {
	local -a cflags ldflags
	read -ra cflags <<<"-std=gnu11 -D_GNU_SOURCE -O2 -g $(make_var WARN) $(make_var HARDEN)"
	read -ra ldflags <<<"-fPIE -pie $(make_var LDHARDEN)"
	cc "${cflags[@]}" "${ldflags[@]}" -o "$BIN/notify-wait" "$TST_SRCDIR/tests/bench/notify-wait.c" ||
		tst_bail "build" "cc tests/bench/notify-wait.c failed"
}

# The cgroup directories nspawn runs in on this host: one per hierarchy
# that nspawn uses (name=systemd and cgroup2 on a hybrid host, only cgroup2
# on a unified one).
fg_cgroup_roots() {
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		echo "/sys/fs/cgroup/$FG_CGROUP"
		return
	fi
	local h
	for h in "${FG_HIERARCHIES[@]}"; do
		[[ -d /sys/fs/cgroup/$h ]] && echo "/sys/fs/cgroup/$h/$FG_CGROUP"
	done
}

# fg_cgroup_remove DIR: kill what is left in DIR's subtree, remove it
# bottom-up; retried, since a cgroup stays busy a moment after its last
# process exits.
fg_cgroup_remove() {
	local dir=$1 i
	for ((i = 0; i < 50; i++)); do
		[[ -d $dir ]] || return 0
		# shellcheck disable=SC2046
		kill -KILL $(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null) 2>/dev/null
		find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -d $dir ]] || return 0
		sleep 0.1
	done
	echo "cannot remove cgroup $dir" >&2
	return 1
}

# At exit: stop an nspawn still running (notify-wait stops it when its
# stdin closes), then remove the cgroups and nspawn's runtime leftovers.
fg_cleanup() {
	local rc=0 d
	if [[ -n $FG_NW_PID ]]; then
		[[ -n ${FG_NW_IN:-} ]] && exec {FG_NW_IN}>&-
		wait "$FG_NW_PID" 2>/dev/null
		FG_NW_PID=
	fi
	while read -r d; do fg_cgroup_remove "$d" || rc=1; done < <(fg_cgroup_roots)
	rm -rf /run/systemd/nspawn/propagate/"$FG_MACHINE"-* /run/systemd/nspawn/unix-export/"$FG_MACHINE"-*
	return "$rc"
}

fg_setup() {
	tst_need systemd-nspawn
	fg_build
	FG_TREE=$("$TST_DIR/guest-debian.sh" --arch amd64) ||
		tst_bail "full guest" "tests/guest-debian.sh --arch amd64 failed"
	tst_user_add benchfg
	USER3=$TST_USER UID3=$TST_USER_UID GID3=$TST_USER_GID HOME3=$TST_USER_HOME
	x86ns_stop_at_exit "$USER3"
	printf '%s\n' "" "[guest deb]" "root = $FG_TREE" "init = /sbin/init" "ready = notify" \
		"[user $USER3]" "guest = deb" >>"$X86NS_CONF"
	tst_cleanup_push fg_cleanup
	FG_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$HOME3" USER="$USER3"
		LOGNAME="$USER3")
	FG_NSPAWN=("$(command -v systemd-nspawn)" --register=no --keep-unit -U --notify-ready=yes
		--volatile=overlay -b -D "$FG_TREE")
}

# fg_x86ns_run ROUND [untimed]: boot, first prompt, idle join, poweroff.
fg_x86ns_run() {
	local round=$1 f=$OUT/fg-run.samples
	local -a ENV=("${FG_ENV[@]}") ctl=("$X86NS_CTL" --config "$X86NS_CONF")
	: >"$f"
	timer --runs 1 --warmup 0 --cmd x86ns-ready "${ctl[@]}" start "$USER3" >>"$f"
	timer --runs 1 --warmup 0 --cmd x86ns-prompt --as "$UID3:$GID3" "$X86NS_SHELL" -c true >>"$f"
	sleep "$FG_SETTLE_S"
	timer --runs 1 --warmup 0 --cmd x86ns-join --as "$UID3:$GID3" "$X86NS_SHELL" -c true >>"$f"
	timer --runs 1 --warmup 0 --cmd x86ns-stop "${ctl[@]}" stop "$USER3" >>"$f"
	x86ns_wait_gone "$UID3" 10 || tst_bail "full guest" "the guest of $USER3 outlived x86nsctl stop"
	[[ -n ${2:-} ]] || awk -v r="$round" '{ print $1, r, $3 }' "$f" >>"$OUT/fg.samples"
}

# fg_nspawn_start NAME: boot nspawn in cgroups of its own under notify-wait;
# sets FG_NW_PID, FG_NW_OUT, FG_NW_IN, FG_READY_NS, FG_NSPAWN_PID, FG_INIT_PID.
fg_nspawn_start() {
	local name=$1 d
	local -a cg=()
	while read -r d; do
		mkdir -p "$d/$name" || tst_bail "full guest" "mkdir $d/$name"
		cg+=(--cgroup "$d/$name")
	done < <(fg_cgroup_roots)
	local in out
	in=$TST_TMP/fg-in.$name out=$TST_TMP/fg-out.$name
	mkfifo "$in" "$out"
	"$BIN/notify-wait" --socket "$TST_TMP/notify.sock" "${cg[@]}" --log "$OUT/commands.log" \
		-- "${FG_NSPAWN[@]}" --machine="$FG_MACHINE-$name" <"$in" >"$out" &
	FG_NW_PID=$!
	exec {FG_NW_IN}>"$in" {FG_NW_OUT}<"$out"
	rm -f "$in" "$out"
	local word pid
	read -r word FG_READY_NS FG_NSPAWN_PID <&"$FG_NW_OUT"
	[[ $word == ready ]] || tst_bail "full guest" "nspawn did not send READY=1; see $OUT/commands.log"
	pid=$(ps --ppid "$FG_NSPAWN_PID" -o pid= | head -n 2)
	[[ $pid =~ ^\ *[0-9]+$ ]] || tst_bail "full guest" "nspawn $FG_NSPAWN_PID has not one child: $pid"
	FG_INIT_PID=${pid// /}
}

# fg_nspawn_stop NAME [term]: systemd's poweroff signal to the container's
# PID 1 (or with "term", SIGTERM to nspawn, which has PID 1 halt), wait until
# nspawn exits, remove its cgroups; sets FG_STOP_NS.
fg_nspawn_stop() {
	local word d
	if [[ ${2:-} == term ]]; then
		echo "$(kill -l SIGTERM) $FG_NSPAWN_PID" >&"$FG_NW_IN"
	else
		echo "$(($(kill -l SIGRTMIN) + 4)) $FG_INIT_PID" >&"$FG_NW_IN"
	fi
	read -r word FG_STOP_NS <&"$FG_NW_OUT"
	exec {FG_NW_IN}>&- {FG_NW_OUT}<&-
	wait "$FG_NW_PID"
	local rc=$?
	FG_NW_PID=
	[[ $word == stop && $rc == 0 ]] || tst_bail "full guest" "nspawn did not power off; see $OUT/commands.log"
	while read -r d; do fg_cgroup_remove "$d/$1" || tst_bail "full guest" "cgroup $d/$1 stays"; done \
		< <(fg_cgroup_roots)
	rm -rf "/run/systemd/nspawn/propagate/$FG_MACHINE-$1" "/run/systemd/nspawn/unix-export/$FG_MACHINE-$1"
}

# fg_nspawn_run ROUND [untimed]
fg_nspawn_run() {
	fg_nspawn_start "r$1"
	sleep "$FG_SETTLE_S"
	fg_nspawn_stop "r$1"
	[[ -n ${2:-} ]] || printf 'nspawn-ready %s %s\nnspawn-stop %s %s\n' "$1" "$FG_READY_NS" \
		"$1" "$FG_STOP_NS" >>"$OUT/fg.samples"
}

# ---- memory ----------------------------------------------------------------------

# fg_tree PID: PID and all its descendants.
fg_tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q != root && q in parent && q > 1) q = parent[q]
			if (q == root) print p } }'
}

# fg_memory_of SIDE PID: one line per process "side pid comm rss pss uss".
fg_memory_of() {
	local p
	for p in $(fg_tree "$2"); do
		echo "$1 $p $(ps -o comm= -p "$p" | tr ' ' _) $(rollup "$p")"
	done
}

fg_memory_measure() {
	say "full guest, idle memory: one more boot of each, ${FG_IDLE_S} s idle"
	"$X86NS_CTL" --config "$X86NS_CONF" start "$USER3" >/dev/null 2>>"$OUT/commands.log" ||
		tst_bail "full guest" "x86nsctl start $USER3 failed"
	sleep "$FG_IDLE_S"
	fg_memory_of x86ns "$(container_field "$USER3" monitor)" >"$OUT/fg-memory.txt"
	"$X86NS_CTL" stop "$USER3" >/dev/null 2>>"$OUT/commands.log"
	x86ns_wait_gone "$UID3" 10 || tst_bail "full guest" "the guest of $USER3 did not stop"
	fg_nspawn_start mem
	sleep "$FG_IDLE_S"
	fg_memory_of nspawn "$FG_NSPAWN_PID" >>"$OUT/fg-memory.txt"
	# The other way to stop nspawn, timed once: SIGTERM to nspawn itself.
	fg_nspawn_stop mem term
	FG_TERM_MS=$(awk -v n="$FG_STOP_NS" 'BEGIN { printf "%.3f", n / 1e6 }')
}

fg_memory_report() {
	out "" "### Full guest, idle memory ${FG_IDLE_S} s after READY (KiB, smaps_rollup; x86ns: monitor" \
		"and descendants, nspawn: nspawn and descendants)" "" \
		"| side | process | Rss | Pss | USS |" "|---|---|---:|---:|---:|"
	awk '{ printf "| %s | %s (%s) | %d | %d | %d |\n", $1, $3, $2, $4, $5, $6 }' \
		"$OUT/fg-memory.txt" | tee -a "$REPORT"
	local x n xc xr xp xu nc nr np nu
	x=$(awk '$1 == "x86ns" { r += $4; p += $5; u += $6; c++ } END { print c, r, p, u }' "$OUT/fg-memory.txt")
	n=$(awk '$1 == "nspawn" { r += $4; p += $5; u += $6; c++ } END { print c, r, p, u }' "$OUT/fg-memory.txt")
	read -r xc xr xp xu <<<"$x"
	read -r nc nr np nu <<<"$n"
	out "" "Sum: x86ns $xc processes, Rss $xr, Pss $xp, USS $xu KiB; nspawn $nc processes," \
		"Rss $nr, Pss $np, USS $nu KiB. nspawn's writable layer (--volatile=overlay) is on tmpfs" \
		"and not in these figures; x86ns's is on disk."
	summary_row "full guest idle memory (all processes)" \
		"Pss $xp KiB vs $np KiB, USS $xu vs $nu KiB" \
		"$(awk -v a="$xp" -v b="$np" 'BEGIN { printf "%.2fx", a / b }') (Pss)" "(next to nspawn)" ""
}

# ---- main ---------------------------------------------------------------------------

bench_full_guest() {
	say "full guest: bookworm amd64 with systemd, x86ns against systemd-nspawn -U"
	fg_setup
	local i
	: >"$OUT/fg.samples"
	say "full guest: one untimed boot of each (first boot of the user's layer, caches)"
	fg_x86ns_run 0 untimed
	fg_nspawn_run 0 untimed
	say "full guest: $FG_RUNS boots of each, alternating"
	for ((i = 1; i <= FG_RUNS; i++)); do
		if ((i % 2)); then
			fg_x86ns_run "$i"
			fg_nspawn_run "$i"
		else
			fg_nspawn_run "$i"
			fg_x86ns_run "$i"
		fi
	done
	fg_memory_measure
	local s=$OUT/fg.stats r
	# shellcheck disable=SC2034 # read by table() in tests/bench/run
	LABEL=([x86ns-ready]="x86nsctl start (returns at READY=1)"
		[nspawn-ready]="systemd-nspawn -U -b, exec to READY=1"
		[x86ns-stop]="x86nsctl stop (until the monitor is gone)"
		[nspawn-stop]="SIGRTMIN+4 to nspawn's PID 1, until nspawn exits"
		[x86ns-prompt]="x86ns-shell -c true right after READY"
		[x86ns-join]="x86ns-shell -c true after ${FG_SETTLE_S} s idle (same guest)")
	stats "$OUT/fg.samples" nspawn-ready x86ns-ready nspawn-ready >"$s"
	out "" "### Full guest: bookworm amd64 with systemd, start to READY (pair ratios per run)" ""
	table "$s" "nspawn"
	r=$(field "$s" x86ns-ready 5)
	summary_row "full guest start to READY vs nspawn -U" \
		"$(field "$s" x86ns-ready 2) ms vs $(field "$s" nspawn-ready 2) ms" \
		"$(printf '%.2f' "$r")x" "<= ${FG_TARGET_READY}x" "$(verdict "$r" "<=" "$FG_TARGET_READY")"

	stats "$OUT/fg.samples" nspawn-stop x86ns-stop nspawn-stop >"$s"
	out "" "### Full guest: poweroff (${FG_SETTLE_S} s after READY)" ""
	table "$s" "nspawn"
	out "" "SIGTERM to systemd-nspawn instead (it has PID 1 halt), one run ${FG_IDLE_S} s after READY:" \
		"$FG_TERM_MS ms until nspawn exits."
	r=$(field "$s" x86ns-stop 5)
	summary_row "full guest poweroff vs nspawn -U" \
		"$(field "$s" x86ns-stop 2) ms vs $(field "$s" nspawn-stop 2) ms" \
		"$(printf '%.2f' "$r")x" "<= ${FG_TARGET_STOP}x" "$(verdict "$r" "<=" "$FG_TARGET_STOP")"

	stats "$OUT/fg.samples" x86ns-join x86ns-prompt x86ns-join >"$s"
	out "" "### Full guest: first prompt right after READY, against a join into the idle guest" ""
	table "$s" "idle join"
	r=$(field "$s" x86ns-prompt 5)
	local warm
	warm=$(field "$OUT/isolated.stats" x86ns 2)
	out "" "Isolated warm join into the busybox guest (above): ${warm:-n/a} ms."
	summary_row "full guest first prompt after READY vs idle join" \
		"$(field "$s" x86ns-prompt 2) ms vs $(field "$s" x86ns-join 2) ms" \
		"$(printf '%.2f' "$r")x" "<= ${FG_TARGET_PROMPT}x" "$(verdict "$r" "<=" "$FG_TARGET_PROMPT")"
	fg_memory_report
}
