# shellcheck shell=bash
# x86ns-specific test helpers, sourced after lib.sh. They drive the build
# tree's binaries (nothing needs "make install"): the PAM module is named by
# its absolute path and told where the launcher is, test users get the build
# tree's x86ns-shell as their login shell.

X86NS_SHELL=$TST_SRCDIR/shell/x86ns-shell
X86NS_CTL=$TST_SRCDIR/ctl/x86nsctl
X86NS_LAUNCH=$TST_SRCDIR/launch/x86ns-launch
X86NS_MODULE=$TST_SRCDIR/pam_x86ns/pam_x86ns.so
TST_DEFAULT_SHELL=$X86NS_SHELL

for _f in "$X86NS_SHELL" "$X86NS_CTL" "$X86NS_LAUNCH" "$X86NS_MODULE"; do
	[[ -x $_f || -f $_f ]] || tst_bail "build" "$_f missing: run make first"
done

# x86ns_config [EXTRA-LINES...]: write $TST_TMP/conf/x86ns.conf with the
# busybox guest "bb" (builtin init) and EXTRA-LINES appended; sets X86NS_CONF.
x86ns_config() {
	mkdir -p "$TST_TMP/conf"
	X86NS_CONF=$TST_TMP/conf/x86ns.conf
	{
		printf '[guest bb]\nroot = %s\nstop-timeout = 3\n\n' "$TST_GUEST"
		printf '%s\n' "$@"
	} >"$X86NS_CONF"
	chmod 0644 "$X86NS_CONF"
}

# x86ns_pam_line [ARGS...]: the pam.d line for the module under test.
x86ns_pam_line() {
	echo "session required $X86NS_MODULE config=$X86NS_CONF launcher=$X86NS_LAUNCH $*"
}

x86nsctl() { "$X86NS_CTL" --config "$X86NS_CONF" "$@"; }

# x86ns_stop_at_exit USER: stop USER's container when the script ends
# (registered after the user, so it runs before the user is removed).
x86ns_stop_at_exit() {
	tst_cleanup_push rm -f "/var/log/x86ns/$1.log"
	tst_cleanup_push "$X86NS_CTL" stop "$1"
}

# x86ns_wait_gone UID [SECONDS]: wait until no container runs for UID.
x86ns_wait_gone() {
	local uid=$1 i
	for ((i = 0; i < ${2:-15} * 10; i++)); do
		[[ -e /run/x86ns/$uid ]] || return 0
		sleep 0.1
	done
	return 1
}

# x86ns_wait_running USER [SECONDS]: wait until USER's container is up.
x86ns_wait_running() {
	local i
	for ((i = 0; i < ${2:-15} * 10; i++)); do
		# running (or lingering): a container that is still stopping from
		# the last logout is not the one the next login starts.
		"$X86NS_CTL" status "$1" 2>/dev/null | grep -qE 'state +(running|lingering)' &&
			return 0
		sleep 0.1
	done
	return 1
}

# x86ns_leftovers UID: print what a stopped container left behind (empty
# when nothing): runtime dir, cgroups, mounts, processes in the subid range.
x86ns_leftovers() {
	local uid=$1 d
	[[ -e /run/x86ns/$uid ]] && echo "runtime dir /run/x86ns/$uid"
	for d in /sys/fs/cgroup/*/x86ns/"$uid" /sys/fs/cgroup/x86ns/"$uid"; do
		[[ -d $d ]] && echo "cgroup $d"
	done
	grep -E "x86ns/$uid|/var/lib/x86ns/$uid" /proc/self/mountinfo | sed 's/^/mount /'
	pgrep -f "x86ns-monitor user=[^ ]* uid=$uid " | sed 's/^/monitor pid /'
	return 0
}

# x86ns_guest_install_sftp_server USER: guest root copies the host's
# sftp-server with its loader and libraries (from ldd) into USER's running
# guest (its upper layer), as an administrator installs a guest package:
# from then on it is the guest's own program (the busybox guest has none).
x86ns_guest_install_sftp_server() {
	local prog=/usr/lib/openssh/sftp-server
	local -a files
	mapfile -t files < <(ldd "$prog" | grep -o '/[^ ]*' | sed 's|^/||')
	tar -C / -chf - "${prog#/}" "${files[@]}" |
		"$X86NS_CTL" --config "$X86NS_CONF" exec "$1" -- tar -C / -xf -
}
