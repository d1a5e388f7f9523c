# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# Helpers for the tests/*/t-*.sh scripts; source it first:
#     . "$(dirname "$0")/../lib.sh"
# See tests/README.md for the list of functions. Everything a script makes on
# the host (users, subordinate ranges, sshd, temp files) is registered on a
# cleanup stack that runs in reverse order when the script exits, also when it
# fails midway or is killed with SIGTERM/SIGINT/SIGHUP.
#
# Scripts should not use "set -e": check helpers return 1 on failure so that a
# script can branch on them, and a failed check must not skip the others.

TST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TST_SRCDIR=$(dirname "$TST_DIR")
TST_NAME=$(basename "$0")
TST_USER_PREFIX=x86t-
TST_SUBID_MIN=2000000000
TST_SUBID_COUNT=65536
TST_DEFAULT_SHELL=/usr/local/bin/x86ns-shell
TST_NOT_OK=0
TST_TMP=
TST_CLEANUPS=()

# shellcheck source=tests/sshd-harness.sh
. "$TST_DIR/sshd-harness.sh"

# ---- results ------------------------------------------------------------

ok() { echo "ok - $1"; }

# not_ok DESC REASON
not_ok() {
	TST_NOT_OK=$((TST_NOT_OK + 1))
	echo "not ok - $1: ${2:-failed}"
	return 1
}

# check DESC CMD [ARGS...]: ok when CMD exits 0. CMD's output goes to stderr.
check() {
	local desc=$1 rc
	shift
	"$@" >&2
	rc=$?
	((rc == 0)) && { ok "$desc"; return 0; }
	not_ok "$desc" "exit $rc from: $*"
}

# check_fail DESC CMD [ARGS...]: ok when CMD exits non-zero.
check_fail() {
	local desc=$1 rc
	shift
	"$@" >&2
	rc=$?
	((rc != 0)) && { ok "$desc"; return 0; }
	not_ok "$desc" "succeeded but should fail: $*"
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	[[ $2 == "$3" ]] && { ok "$1"; return 0; }
	not_ok "$1" "expected '$(_tst_oneline "$2")', got '$(_tst_oneline "$3")'"
}

# check_match DESC EXTENDED-REGEX ACTUAL: ok when some line of ACTUAL matches.
check_match() {
	grep -qE -- "$2" <<<"$3" && { ok "$1"; return 0; }
	not_ok "$1" "no match for /$2/ in '$(_tst_oneline "$3")'"
}

_tst_oneline() {
	local s=${1//$'\n'/\\n}
	((${#s} > 300)) && s="${s:0:300}..."
	printf '%s' "$s"
}

# skip DESC REASON: a check this machine cannot run (say why: "the kernel
# cannot run 32-bit x86 code"). Counted as skipped by tests/run, never as
# passed. Only for what the machine lacks, never for what the test could do.
skip() { echo "ok - $1 # SKIP $2"; }

# tst_ia32_unsupported: succeed, printing why, when this kernel cannot run
# 32-bit x86 code (no IA32 emulation); tests of i386 guests then skip.
tst_ia32_unsupported() {
	local why
	why=$("$TST_SRCDIR/tests/ia32-probe" 2>&1) && return 1
	echo "${why:-tests/ia32-probe failed (make check builds it)}"
}

# tst_bail DESC REASON: a check that the rest of the script depends on failed.
tst_bail() {
	not_ok "$1" "$2"
	exit 1
}

# tst_need CMD...: fail (never skip) when the machine lacks a command.
tst_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			tst_bail "requirement $c" "not installed (see tests/README.md)"
	done
}

tst_log() { echo "# $*" >&2; }

# Tell tests/run what this script made, so that it can check that the script
# removed it (and remove it if not) without touching anyone else's tests.
_tst_register() {
	[[ -n ${X86NS_TEST_REGISTRY:-} ]] && echo "$1 $2" >>"$X86NS_TEST_REGISTRY"
	return 0
}

# ---- cleanup stack ------------------------------------------------------

# tst_cleanup_push CMD [ARGS...]: run CMD ARGS when the script exits (LIFO).
tst_cleanup_push() {
	TST_CLEANUPS+=("$(printf '%q ' "$@")")
}

# tst_cleanup_run: run every pending cleanup now, newest first, and empty the
# stack. A cleanup that fails is a failed check: it left something behind.
# A signal arriving meanwhile (the runner's timeout) is held until the stack
# is empty, so that no cleanup is abandoned halfway.
tst_cleanup_run() {
	local i cmd rc
	TST_HELD_SIGNAL=
	trap 'TST_HELD_SIGNAL=129' HUP
	trap 'TST_HELD_SIGNAL=130' INT
	trap 'TST_HELD_SIGNAL=143' TERM
	for ((i = ${#TST_CLEANUPS[@]} - 1; i >= 0; i--)); do
		cmd=${TST_CLEANUPS[i]}
		eval "$cmd" >&2
		rc=$?
		unset 'TST_CLEANUPS[i]'
		((rc == 0)) || not_ok "cleanup: $cmd" "exit $rc"
	done
	TST_CLEANUPS=()
	((TST_IN_EXIT)) && return
	_tst_set_traps
	[[ -n $TST_HELD_SIGNAL ]] && exit "$TST_HELD_SIGNAL"
}

_tst_on_exit() {
	local rc=$?
	TST_IN_EXIT=1
	tst_cleanup_run
	trap - EXIT HUP INT TERM
	[[ -n $TST_HELD_SIGNAL ]] && rc=$TST_HELD_SIGNAL
	((rc == 0 && TST_NOT_OK > 0)) && rc=1
	exit "$rc"
}

_tst_set_traps() {
	trap _tst_on_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
TST_IN_EXIT=0
_tst_set_traps

# The script's private temp directory TST_TMP, removed at exit unless
# X86NS_TEST_KEEP=1. World-traversable on purpose: sshd reads authorized keys
# under it with the test user's uid.
_tst_make_tmp() {
	TST_TMP=$(mktemp -d "/tmp/x86ns-test.${TST_NAME%.sh}.XXXXXX") || {
		echo "not ok - temp dir: mktemp failed"
		exit 1
	}
	chmod 0755 "$TST_TMP"
	_tst_register tmp "$TST_TMP"
	if [[ ${X86NS_TEST_KEEP:-0} == 1 ]]; then
		tst_log "X86NS_TEST_KEEP=1: keeping $TST_TMP"
	else
		tst_cleanup_push rm -rf --one-file-system "$TST_TMP"
	fi
}
_tst_make_tmp

# ---- users and subordinate ids -----------------------------------------

# tst_subid_free_base [COUNT]: lowest base >= TST_SUBID_MIN whose COUNT ids
# overlap no range in /etc/subuid nor /etc/subgid (searched from each range's
# end, so the result is the first gap that fits).
tst_subid_free_base() {
	local count=${1:-$TST_SUBID_COUNT} base=$TST_SUBID_MIN moved start n r
	local -a ranges=()
	while IFS=: read -r _ start n; do
		[[ $start =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] && ranges+=("$start:$n")
	done < <(cat /etc/subuid /etc/subgid 2>/dev/null)
	moved=1
	while ((moved)); do
		moved=0
		for r in "${ranges[@]}"; do
			start=${r%:*} n=${r#*:}
			if ((base < start + n && start < base + count)); then
				base=$((start + n))
				moved=1
			fi
		done
	done
	((base + count <= 4294967295)) || { echo "tst_subid_free_base: id space full" >&2; return 1; }
	echo "$base"
}

_tst_user_name() {
	[[ $1 == "$TST_USER_PREFIX"* ]] && echo "$1" || echo "$TST_USER_PREFIX$1"
}

# PIDs of processes whose real, effective, saved or fs uid is in [LO, HI).
_tst_pids_in_uid_range() {
	local lo=$1 hi=$2 p line u
	for p in /proc/[0-9]*; do
		line=$(grep -m1 '^Uid:' "$p/status" 2>/dev/null) || continue
		for u in ${line#Uid:}; do
			if ((u >= lo && u < hi)); then
				echo "${p#/proc/}"
				break
			fi
		done
	done
}

_tst_kill_uid_range() {
	local lo=$1 hi=$2 pids i
	for ((i = 0; i < 100; i++)); do
		pids=$(_tst_pids_in_uid_range "$lo" "$hi")
		[[ -z $pids ]] && return 0
		# shellcheck disable=SC2086
		if ((i < 30)); then kill -TERM $pids 2>/dev/null; else kill -KILL $pids 2>/dev/null; fi
		sleep 0.1
	done
	echo "processes of uids $lo..$((hi - 1)) survive: $pids" >&2
	return 1
}

# tst_user_del NAME: tst_user_purge for test user x86t-NAME.
tst_user_del() { tst_user_purge "$(_tst_user_name "$1")"; }

# tst_user_purge USER: remove USER (exact name) and everything x86ns or the
# tests keep for it: container (x86nsctl stop), processes of its uid and
# subordinate range, subordinate ranges, home, mail spool, group, and x86ns
# state named after the user or its uid under /run/x86ns and /var/lib/x86ns.
# Idempotent.
tst_user_purge() {
	local name=$1 uid line start n rc=0 d
	uid=$(id -u "$name" 2>/dev/null) || uid=
	if [[ -n $uid ]] && command -v x86nsctl >/dev/null 2>&1; then
		timeout 30 x86nsctl stop "$name" >/dev/null 2>&1
	fi
	[[ -n $uid ]] && { _tst_kill_uid_range "$uid" $((uid + 1)) || rc=1; }
	while IFS=: read -r line start n; do
		[[ -n $line && ($line == "$name" || $line == "$uid") ]] || continue
		[[ $start =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] || continue
		_tst_kill_uid_range "$start" $((start + n)) || rc=1
		usermod --del-subuids "$start-$((start + n - 1))" "$name" 2>/dev/null
	done < <(cat /etc/subuid 2>/dev/null)
	while IFS=: read -r line start n; do
		[[ -n $line && ($line == "$name" || $line == "$uid") ]] || continue
		[[ $start =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] || continue
		usermod --del-subgids "$start-$((start + n - 1))" "$name" 2>/dev/null
	done < <(cat /etc/subgid 2>/dev/null)
	if getent passwd "$name" >/dev/null; then
		userdel -r -f "$name" 2>/dev/null
		getent passwd "$name" >/dev/null && { echo "userdel $name failed" >&2; rc=1; }
	fi
	getent group "$name" >/dev/null && groupdel "$name" 2>/dev/null
	# Ranges that usermod could not drop (user already gone).
	_tst_subid_lines_drop "$name" || rc=1
	for d in /run/x86ns /var/lib/x86ns; do
		[[ -d $d ]] || continue
		find "$d" -mindepth 1 -maxdepth 2 \( -name "$name" ${uid:+-o -name "$uid"} \) \
			-prune -exec rm -rf --one-file-system {} + 2>/dev/null
	done
	return "$rc"
}

_tst_subid_lines_drop() {
	local name=$1 f
	for f in /etc/subuid /etc/subgid; do
		grep -q "^$name:" "$f" 2>/dev/null || continue
		sed -i "/^$name:/d" "$f" || return 1
	done
}

# tst_user_add NAME [SHELL]: create test user x86t-NAME (prefix added unless
# present) with a home, login SHELL (default /usr/local/bin/x86ns-shell) and
# 65536 subordinate uids and gids at a free base >= 2000000000. A stale user of
# that name from an earlier crashed run is removed first. Sets TST_USER,
# TST_USER_UID, TST_USER_GID, TST_USER_HOME, TST_USER_SUBID (the base, same for
# uids and gids). Registers removal at exit.
tst_user_add() {
	_tst_user_create "$1" "${2:-$TST_DEFAULT_SHELL}" || return 1
	local base
	base=$(tst_subid_free_base) || return 1
	if ! usermod --add-subuids "$base-$((base + TST_SUBID_COUNT - 1))" \
		--add-subgids "$base-$((base + TST_SUBID_COUNT - 1))" "$TST_USER" >&2; then
		not_ok "tst_user_add $TST_USER" "usermod --add-subuids failed"
		return 1
	fi
	TST_USER_SUBID=$base
}

# tst_user_add_nosub NAME [SHELL]: as tst_user_add, without subordinate ids.
tst_user_add_nosub() {
	_tst_user_create "$1" "${2:-$TST_DEFAULT_SHELL}"
}

_tst_user_create() {
	local name
	name=$(_tst_user_name "$1")
	tst_user_del "$name" >&2
	_tst_register user "$name"
	tst_cleanup_push tst_user_del "$name"
	# SUB_*_COUNT=0: useradd must not pick a range of its own.
	if ! useradd -m -s "$2" -c "x86ns test user" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 \
		"$name" >&2; then
		not_ok "tst_user_add $name" "useradd failed"
		return 1
	fi
	TST_USER=$name
	TST_USER_UID=$(id -u "$name")
	TST_USER_GID=$(id -g "$name")
	TST_USER_HOME=$(getent passwd "$name" | cut -d: -f6)
	TST_USER_SUBID=
}

# ---- guests -------------------------------------------------------------

# tst_guest_busybox [--arch ARCH] [DIR]: build (or reuse) the busybox guest; sets TST_GUEST.
tst_guest_busybox() {
	TST_GUEST=$("$TST_DIR/guest-busybox.sh" "$@") ||
		tst_bail "busybox guest" "tests/guest-busybox.sh failed"
}

# ---- sshd ---------------------------------------------------------------

# tst_sshd_pam_file OUT [LINE...]: write the host's /etc/pam.d/sshd to OUT
# with LINEs appended, e.g. "session required pam_x86ns.so config=FILE".
tst_sshd_pam_file() {
	local out=$1
	shift
	{ cat /etc/pam.d/sshd; printf '%s\n' "$@"; } >"$out"
}

# tst_sshd_start [PAMFILE]: start the private sshd (PAMFILE is its PAM
# service; default the host's). Sets TST_SSHD_DIR, TST_SSHD_PORT,
# TST_SSHD_LOG, TST_SSHD_PID. Registers its stop at exit.
tst_sshd_start() {
	local pamfile=${1:-/etc/pam.d/sshd} try
	TST_SSHD_DIR=$TST_TMP/sshd
	TST_SSHD_LOG=$TST_SSHD_DIR/sshd.log
	tst_cleanup_push sshd_harness_stop "$TST_SSHD_DIR"
	for ((try = 0; try < 5; try++)); do
		TST_SSHD_PORT=$(sshd_harness_free_port) || break
		sshd_harness_setup "$TST_SSHD_DIR" "$TST_SSHD_PORT" "$pamfile" >&2 || break
		if sshd_harness_launch "$TST_SSHD_DIR" >&2; then
			TST_SSHD_PID=$(<"$TST_SSHD_DIR/sshd.pid")
			return 0
		fi
		# Lost a race for the port? Try another one.
		grep -q 'Address already in use' "$TST_SSHD_LOG" || break
	done
	not_ok "tst_sshd_start" "sshd did not start; log: $(tail -n 5 "$TST_SSHD_LOG" 2>/dev/null)"
}

# tst_sshd_stop: stop it now (also done at exit).
tst_sshd_stop() { sshd_harness_stop "$TST_SSHD_DIR"; }

# tst_ssh_authorize USER: USER (full name) accepts the test's client key.
tst_ssh_authorize() { sshd_harness_authorize "$TST_SSHD_DIR" "$1"; }

_tst_client_options() { mapfile -t TST_CLIENT_OPTS < <(sshd_harness_client_options "$TST_SSHD_DIR"); }

# tst_ssh [SSH-OPTIONS] USER [COMMAND...]: the real ssh client to the test sshd.
# Leading arguments starting with "-" are ssh options (-o takes a value).
tst_ssh() {
	local -a extra=()
	while [[ ${1:-} == -* ]]; do
		if [[ $1 == -o ]]; then extra+=("$1" "$2"); shift 2; else extra+=("$1"); shift; fi
	done
	local user=${1:?tst_ssh: no user}
	shift
	_tst_client_options
	ssh "${TST_CLIENT_OPTS[@]}" "${extra[@]}" "$user@$SSHD_HARNESS_HOST" "$@"
}

# tst_sftp USER [SFTP-OPTIONS...]: e.g. tst_sftp "$TST_USER" -b - <<<"put a b".
tst_sftp() {
	local user=$1
	shift
	_tst_client_options
	sftp "${TST_CLIENT_OPTS[@]}" "$@" "$user@$SSHD_HARNESS_HOST"
}

# tst_scp USER ARGS...: scp where an argument ":PATH" means PATH on the test
# sshd as USER; e.g. tst_scp "$TST_USER" local.txt :remote.txt
tst_scp() {
	local user=$1 a
	local -a args=()
	shift
	for a in "$@"; do
		[[ $a == :* ]] && a="$user@$SSHD_HARNESS_HOST$a"
		args+=("$a")
	done
	_tst_client_options
	scp "${TST_CLIENT_OPTS[@]}" "${args[@]}"
}
