#!/bin/bash
# Self-test of the test harness (tests/lib.sh, tests/sshd-harness.sh,
# tests/guest-busybox.sh) against what exists without x86ns: a busybox guest,
# a plain test user with /bin/sh, the private sshd, ssh/sftp/scp, and the
# promise that nothing is left on the host afterwards.
. "$(dirname "$0")/../lib.sh"

tst_need chroot ssh sftp scp ssh-keygen unshare useradd usermod sha256sum

etc_sum() { find /etc/pam.d /etc/ssh -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum; }
pam_sshd_before=$(sha256sum </etc/pam.d/sshd)
etc_before=$(etc_sum)

# ---- busybox guest --------------------------------------------------------
tst_guest_busybox
check_match "guest: os-release read through chroot" '^ID=x86ns-busybox$' \
	"$(chroot "$TST_GUEST" /bin/sh -c 'cat /etc/os-release')"
check_eq "guest: every file is root-owned" "" "$(find "$TST_GUEST" \( ! -uid 0 -o ! -gid 0 \) -print)"
check_eq "guest: applets under /bin, /sbin, /usr/bin" "ok" \
	"$(chroot "$TST_GUEST" /bin/sh -c '/sbin/ls / >/dev/null && /usr/bin/env echo ok')"
check_match "guest: tty group is gid 5" '^tty:x:5:' "$(cat "$TST_GUEST/etc/group")"
stamp_before=$(stat -c %Y:%i "$TST_GUEST/bin")
tst_guest_busybox
check_eq "guest: second build reuses the cached tree" "$stamp_before" "$(stat -c %Y:%i "$TST_GUEST/bin")"

# ---- users ------------------------------------------------------------------
tst_user_add harness /bin/sh || tst_bail "user" "cannot create a test user"
user=$TST_USER uid=$TST_USER_UID base=$TST_USER_SUBID home=$TST_USER_HOME
check_eq "user: name has the x86t- prefix" "x86t-harness" "$user"
check_eq "user: login shell" "/bin/sh" "$(getent passwd "$user" | cut -d: -f7)"
check_eq "user: one subuid range at the chosen base" "$user:$base:65536" "$(grep "^$user:" /etc/subuid)"
check_eq "user: one subgid range at the same base" "$user:$base:65536" "$(grep "^$user:" /etc/subgid)"
check "user: subordinate base is >= 2000000000" test "$base" -ge 2000000000
tst_user_add_nosub harness-nosub /bin/sh || tst_bail "user" "cannot create a test user"
nosub=$TST_USER
check_eq "user without range: no subuid/subgid line" "" "$(grep -h "^$nosub:" /etc/subuid /etc/subgid)"
next=$(tst_subid_free_base)
check "user: next free subordinate base does not overlap" test "$next" -ge $((base + 65536))

# ---- sshd -------------------------------------------------------------------
# The marker proves that sshd used the test pam.d, not the host's.
echo "X86NS_HARNESS_MARK=from-test-pam" >"$TST_TMP/pam_env"
tst_sshd_pam_file "$TST_TMP/pam-sshd" "session required pam_env.so readenv=1 envfile=$TST_TMP/pam_env"
tst_sshd_start "$TST_TMP/pam-sshd" || tst_bail "sshd" "private sshd did not start"
sshd_pid=$TST_SSHD_PID sshd_dir=$TST_SSHD_DIR port=$TST_SSHD_PORT
check_fail "sshd: runs in a mount namespace of its own" \
	test "$(readlink /proc/"$sshd_pid"/ns/mnt)" = "$(readlink /proc/self/ns/mnt)"
check_eq "sshd: host /etc/pam.d is not covered" "" "$(awk '$5 == "/etc/pam.d"' /proc/self/mountinfo)"
tst_ssh_authorize "$user"

out=$(tst_ssh "$user" 'echo hi; echo err >&2; exit 7' 2>"$TST_TMP/stderr")
rc=$?
check_eq "ssh: stdout comes back" "hi" "$out"
check_eq "ssh: stderr comes back" "err" "$(cat "$TST_TMP/stderr")"
check_eq "ssh: exit status comes back" 7 "$rc"
check_eq "ssh: session went through the test pam.d" "from-test-pam" \
	"$(tst_ssh "$user" 'echo $X86NS_HARNESS_MARK')"
check_eq "ssh: stdin reaches the command" "abc" "$(echo abc | tst_ssh "$user" cat)"
check_fail "ssh: a user without authorized key is refused" tst_ssh "$nosub" true

head -c 100000 /dev/urandom >"$TST_TMP/put"
tst_sftp "$user" -b - >&2 <<-EOF
	put $TST_TMP/put sftp-file
	get sftp-file $TST_TMP/got
EOF
check "sftp: put then get returns the same bytes" cmp "$TST_TMP/put" "$TST_TMP/got"
check "sftp: file landed in the user's home" cmp "$TST_TMP/put" "$home/sftp-file"
check "scp: copy back from the server" tst_scp "$user" :sftp-file "$TST_TMP/scp-got"
check "scp: same bytes" cmp "$TST_TMP/put" "$TST_TMP/scp-got"
check_match "sshd: log shows the publickey login" "Accepted publickey for $user" "$(cat "$TST_SSHD_LOG")"

# ---- a script that dies midway still cleans up --------------------------------
cat >"$TST_TMP/dies.sh" <<-'EOF'
	. "$1/lib.sh"
	tst_user_add harness-dies /bin/sh
	tst_sshd_start
	echo "$TST_USER $TST_SSHD_PID $TST_TMP" >"$2"
	sleep 300 &
	tst_cleanup_push kill $!
	wait
EOF
X86NS_TEST_KEEP=0 bash "$TST_TMP/dies.sh" "$TST_DIR" "$TST_TMP/dies.info" >/dev/null 2>&1 &
dies=$!
for ((i = 0; i < 200; i++)); do [[ -s $TST_TMP/dies.info ]] && break; sleep 0.05; done
read -r dies_user dies_sshd dies_tmp <"$TST_TMP/dies.info"
kill -TERM "$dies"
wait "$dies"
check_eq "killed script: exit status is 143" 143 "$?"
check_fail "killed script: its user is gone" getent passwd "$dies_user"
check_fail "killed script: its subuid range is gone" grep -q "^$dies_user:" /etc/subuid /etc/subgid
check_fail "killed script: its sshd is gone" kill -0 "$dies_sshd"
check_fail "killed script: its temp dir is gone" test -e "$dies_tmp"

# ---- clean up, and prove it ----------------------------------------------------
tst_cleanup_run
check_fail "cleanup: user is gone" getent passwd "$user"
check_fail "cleanup: user without range is gone" getent passwd "$nosub"
check_fail "cleanup: group is gone" getent group "$user"
check_fail "cleanup: home is gone" test -e "$home"
check_eq "cleanup: no subordinate range left" "" "$(grep -h '^x86t-harness' /etc/subuid /etc/subgid)"
check_eq "cleanup: no process of the user's uid" "" "$(_tst_pids_in_uid_range "$uid" $((uid + 1)))"
check_fail "cleanup: sshd is gone" kill -0 "$sshd_pid"
check_eq "cleanup: nothing left in sshd's namespace" "" "$(_sshd_harness_ns_pids "$sshd_dir")"
check_fail "cleanup: port $port is closed" _sshd_harness_listening "$port"
if [[ ${X86NS_TEST_KEEP:-0} != 1 ]]; then
	check_fail "cleanup: temp dir is gone" test -e "$TST_TMP"
fi
check_eq "host /etc/pam.d/sshd unchanged" "$pam_sshd_before" "$(sha256sum </etc/pam.d/sshd)"
check_eq "host /etc/pam.d and /etc/ssh unchanged" "$etc_before" "$(etc_sum)"
