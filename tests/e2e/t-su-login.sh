#!/bin/bash
# The other login paths: `su -l` and the console `login`, each with its own
# PAM service carrying pam_x86ns.so. The test pam.d is bound over /etc/pam.d
# in a private mount namespace, so the host's stays untouched.
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need su login script unshare

tst_guest_busybox
tst_user_add sul
U=$TST_USER UID1=$TST_USER_UID
x86ns_stop_at_exit "$U"
x86ns_config "[user $U]" "guest = bb"

PAMD=$TST_TMP/pam.d
cp -a /etc/pam.d "$PAMD"
for service in su-l login; do
	echo "$(x86ns_pam_line)" >>"$PAMD/$service"
done
# in_test_pamd CMD...: run CMD where /etc/pam.d is the test copy.
in_test_pamd() {
	unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/pam.d && exec "$@"' \
		"$PAMD" "$@"
}

out=$(in_test_pamd su -l "$U" -c '. /etc/os-release; echo "$ID $(id -un) $(pwd)"; exit 4' 2>&1)
rc=$?
check_eq "su -l: the command runs in the guest as the user, in the home" \
	"x86ns-busybox $U $TST_USER_HOME" "$out"
check_eq "su -l: the exit status comes back" 4 "$rc"
check "su -l: the container stops after su ends" x86ns_wait_gone "$UID1" 10

out=$(printf 'tty; . /etc/os-release; echo "id=$ID"; exit\n' |
	in_test_pamd script -qec "login -f $U" /dev/null 2>&1 | tr -d '\r')
check_match "console login: lands in the guest" '^id=x86ns-busybox' "$out"
check_match "console login: with a pty of the guest" '^/dev/pts/[0-9]+$' "$out"
check "console login: the container stops after logout" x86ns_wait_gone "$UID1" 10
check_eq "nothing left after su and login" "" "$(x86ns_leftovers "$UID1")"
check_eq "the host's /etc/pam.d/su-l is unchanged" "" \
	"$(grep -l pam_x86ns /etc/pam.d/su-l /etc/pam.d/login 2>/dev/null)"
