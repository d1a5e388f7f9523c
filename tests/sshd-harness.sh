# shellcheck shell=bash
# A private sshd for tests and for the demo, sourced (not run) by tests/lib.sh
# and tests/demo. Everything lives in one state directory; the host's /etc/ssh
# and /etc/pam.d are never written. sshd runs in a private mount namespace in
# which DIR/pam.d (a copy of the host's /etc/pam.d with our own "sshd" file) is
# bound over /etc/pam.d, so PAM stacks under test never leak to the host.
#
# Functions (all take the state directory DIR first):
#   sshd_harness_free_port                  print a free 127.0.0.1 TCP port
#   sshd_harness_setup DIR PORT [PAMFILE]   host key, client key, configs, pam.d
#   sshd_harness_launch DIR                 start sshd, wait until it listens
#   sshd_harness_running DIR                true while it is up
#   sshd_harness_stop DIR                   end every process of its namespace
#   sshd_harness_authorize DIR USER         let USER log in with DIR's client key
#   sshd_harness_client_options DIR         ssh/sftp/scp options, one per line

SSHD_HARNESS_BIN=${SSHD_HARNESS_BIN:-/usr/sbin/sshd}
SSHD_HARNESS_SFTP_SERVER=${SSHD_HARNESS_SFTP_SERVER:-/usr/lib/openssh/sftp-server}
SSHD_HARNESS_HOST=127.0.0.1

# Ports bound on this network namespace, in any state, as decimal numbers.
_sshd_harness_used_ports() {
	local f _ local_address
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		while read -r _ local_address _; do
			[[ $local_address == *:* ]] && echo $((16#${local_address##*:}))
		done <"$f"
	done
}

sshd_harness_free_port() {
	local used port tries
	used=" $(_sshd_harness_used_ports | tr '\n' ' ') "
	for ((tries = 0; tries < 200; tries++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[[ $used == *" $port "* ]] || { echo "$port"; return 0; }
	done
	echo "sshd_harness_free_port: no free port found" >&2
	return 1
}

# True while something listens on 127.0.0.1:PORT (or on any address).
_sshd_harness_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p="$hex" 'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# sshd_harness_setup DIR PORT [PAMFILE]: PAMFILE becomes the sshd PAM service
# (default: a copy of the host's /etc/pam.d/sshd). Safe to call again on the
# same DIR: keys are kept, configs are rewritten.
sshd_harness_setup() {
	local dir=$1 port=$2 pamfile=${3:-/etc/pam.d/sshd}
	[[ -f $pamfile ]] || { echo "sshd_harness_setup: no PAM file $pamfile" >&2; return 1; }
	install -d -m 0755 "$dir" "$dir/authorized_keys" || return 1
	install -d -m 0700 "$dir/client" || return 1
	[[ -f $dir/host_ed25519_key ]] ||
		ssh-keygen -q -t ed25519 -N '' -C x86ns-test-host -f "$dir/host_ed25519_key" || return 1
	[[ -f $dir/client/id_ed25519 ]] ||
		ssh-keygen -q -t ed25519 -N '' -C x86ns-test-client -f "$dir/client/id_ed25519" || return 1

	rm -rf "$dir/pam.d"
	cp -a /etc/pam.d "$dir/pam.d" || return 1
	install -m 0644 "$pamfile" "$dir/pam.d/sshd" || return 1

	cat >"$dir/sshd_config" <<-EOF
		# Written by tests/sshd-harness.sh; used only by the private test sshd.
		ListenAddress $SSHD_HARNESS_HOST
		Port $port
		HostKey $dir/host_ed25519_key
		PidFile $dir/sshd.pid
		UsePAM yes
		PubkeyAuthentication yes
		AuthenticationMethods publickey
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AuthorizedKeysFile $dir/authorized_keys/%u
		StrictModes no
		UseDNS no
		PrintMotd no
		PrintLastLog no
		MaxStartups 64:30:128
		MaxSessions 64
		LogLevel VERBOSE
		Subsystem sftp $SSHD_HARNESS_SFTP_SERVER
	EOF
	echo "$port" >"$dir/port"
	# privsep needs it, also for -t; the openssh-server package makes it at boot.
	install -d -m 0755 /run/sshd || return 1
	# OpenSSH >= 9.8 penalises sources whose logins fail; tests fail logins on purpose.
	if "$SSHD_HARNESS_BIN" -t -f "$dir/sshd_config" -o PerSourcePenalties=no 2>/dev/null; then
		echo "PerSourcePenalties no" >>"$dir/sshd_config"
	fi
	"$SSHD_HARNESS_BIN" -t -f "$dir/sshd_config" || return 1
}

# sshd_harness_launch DIR: start sshd in its own private mount namespace with
# DIR/pam.d bound over /etc/pam.d; return once it accepts connections. Its
# output goes to files so that no test's stdout pipe is held open by it, and
# it runs in a session of its own so that ^C at a terminal does not reach it.
sshd_harness_launch() {
	local dir=$1 port pid i
	port=$(<"$dir/port") || return 1
	install -d -m 0755 /run/sshd || return 1
	rm -f "$dir/sshd.pid"
	: >>"$dir/sshd.log"
	unshare --mount --propagation private -- /bin/sh -c \
		'mount --bind "$1" /etc/pam.d || exit 97; exec setsid -w "$2" -D -f "$3" -E "$4"' \
		sshd-harness "$dir/pam.d" "$SSHD_HARNESS_BIN" "$dir/sshd_config" "$dir/sshd.log" \
		</dev/null >>"$dir/sshd.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/launch.pid"
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			echo "sshd_harness_launch: sshd exited early; see $dir/sshd.log" >&2
			return 1
		fi
		if [[ -s $dir/sshd.pid ]] && _sshd_harness_listening "$port"; then
			readlink "/proc/$pid/ns/mnt" >"$dir/mntns" || return 1
			return 0
		fi
		sleep 0.05
	done
	echo "sshd_harness_launch: sshd did not listen on port $port in 10 s" >&2
	kill -KILL "$pid" 2>/dev/null
	return 1
}

# sshd_harness_running DIR: true when DIR's sshd is alive and listening.
sshd_harness_running() {
	local dir=$1
	[[ -s $dir/launch.pid && -s $dir/port ]] &&
		kill -0 "$(<"$dir/launch.pid")" 2>/dev/null &&
		_sshd_harness_listening "$(<"$dir/port")"
}

# Processes in the namespace recorded for DIR. The mountinfo test guards
# against an unrelated namespace that reused the inode number later.
_sshd_harness_ns_pids() {
	local dir=$1 ns p pamd
	[[ -s $dir/mntns ]] || return 0
	ns=$(<"$dir/mntns")
	pamd=$(realpath -m "$dir/pam.d")
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$ns" ]] || continue
		awk -v want="$pamd" '$5 == "/etc/pam.d" && substr(want, length(want) - length($4) + 1) == $4 \
			{ f = 1 } END { exit !f }' "$p/mountinfo" 2>/dev/null || continue
		echo "${p#/proc/}"
	done
}

# sshd_harness_stop DIR: SIGTERM every process of the private namespace (sshd
# session processes then close their PAM sessions), SIGKILL what is left after
# SSHD_HARNESS_GRACE seconds (default 10). Idempotent. Fails if any survive.
sshd_harness_stop() {
	local dir=$1 grace=${SSHD_HARNESS_GRACE:-10} pids i launcher=
	[[ -s $dir/launch.pid ]] && launcher=$(<"$dir/launch.pid")
	pids=$(_sshd_harness_ns_pids "$dir")
	[[ -n $launcher ]] && kill -TERM "$launcher" 2>/dev/null
	# shellcheck disable=SC2086
	[[ -n $pids ]] && kill -TERM $pids 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		pids=$(_sshd_harness_ns_pids "$dir")
		[[ -z $pids ]] && break
		sleep 0.1
	done
	for ((i = 0; i < 50 && ${#pids} > 0; i++)); do
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		sleep 0.1
		pids=$(_sshd_harness_ns_pids "$dir")
	done
	[[ -n $launcher ]] && wait "$launcher" 2>/dev/null
	if [[ -n $pids ]]; then
		echo "sshd_harness_stop: processes survive SIGKILL: $pids" >&2
		return 1
	fi
	rm -f "$dir/launch.pid" "$dir/mntns"
}

# sshd_harness_authorize DIR USER: USER accepts DIR's client key. The file is
# read by sshd with USER's uid, hence world-readable (DIR must be traversable).
sshd_harness_authorize() {
	local dir=$1 user=$2
	install -m 0644 "$dir/client/id_ed25519.pub" "$dir/authorized_keys/$user"
}

# Options shared by ssh, sftp and scp: nothing from root's ~/.ssh or the
# host's /etc/ssh/ssh_config, no prompts, no host-key noise on stderr.
sshd_harness_client_options() {
	local dir=$1
	printf '%s\n' -F /dev/null -i "$dir/client/id_ed25519" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile="$dir/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=30 -o Port="$(<"$dir/port")"
}
