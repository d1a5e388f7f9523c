#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The home's login files are out of the guest's reach (protect-home, on by
# default): guest root, capable over the user's files inside the user
# namespace, tries to make itself an sshd principal of the user by writing,
# replacing or renaming ~/.ssh/authorized_keys, and to plant ~/.k5login,
# ~/.rhosts, ~/.forward, ~/.pam_environment and a systemd user unit. Every
# write must fail, the files on the host must be unchanged, and a real sshd
# that reads ~/.ssh/authorized_keys (StrictModes yes) must refuse the key
# the guest tried to plant while it still accepts the user's own.
# shellcheck disable=SC2016 # guest scripts are in single quotes on purpose
. "$(dirname "$0")/../lib.sh"
. "$TST_DIR/x86ns.sh"
tst_need ssh sshd ssh-keygen sha256sum

as_guest_root() { "$X86NS_CTL" --config "$X86NS_CONF" exec "$1" -- sh -c "$2" </dev/null 2>&1; }

tst_guest_busybox
tst_user_add home-alice
ALICE=$TST_USER ALICE_HOME=$TST_USER_HOME ALICE_UID=$TST_USER_UID
x86ns_stop_at_exit "$ALICE"
tst_user_add home-bob
BOB=$TST_USER BOB_HOME=$TST_USER_HOME
x86ns_stop_at_exit "$BOB"

x86ns_config "[default]" "stop = never" "[user $ALICE]" "guest = bb" "[user $BOB]" "guest = bb"

# The private sshd, reading the users' own ~/.ssh/authorized_keys with
# sshd's default checks of ownership and modes.
tst_sshd_pam_file "$TST_TMP/pam-sshd" "$(x86ns_pam_line)"
TST_SSHD_DIR=$TST_TMP/sshd
TST_SSHD_LOG=$TST_SSHD_DIR/sshd.log
tst_cleanup_push sshd_harness_stop "$TST_SSHD_DIR"
TST_SSHD_PORT=$(sshd_harness_free_port) &&
	sshd_harness_setup "$TST_SSHD_DIR" "$TST_SSHD_PORT" "$TST_TMP/pam-sshd" >&2 &&
	sed -i -e 's|^AuthorizedKeysFile .*|AuthorizedKeysFile .ssh/authorized_keys|' \
		-e 's|^StrictModes no|StrictModes yes|' "$TST_SSHD_DIR/sshd_config" &&
	sshd_harness_launch "$TST_SSHD_DIR" >&2 || tst_bail "sshd" "did not start"
TST_SSHD_PID=$(<"$TST_SSHD_DIR/sshd.pid")

# The administrator gives alice her key; the guest's would-be key is "evil".
install -d -o "$ALICE" -g "$ALICE" -m 0700 "$ALICE_HOME/.ssh"
install -o "$ALICE" -g "$ALICE" -m 0600 "$TST_SSHD_DIR/client/id_ed25519.pub" \
	"$ALICE_HOME/.ssh/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -C x86ns-test-evil -f "$TST_TMP/evil" || tst_bail "keys" "ssh-keygen"
EVIL=$(<"$TST_TMP/evil.pub")

ssh_with_key() { # KEY USER CMD
	local -a opts
	mapfile -t opts < <(sshd_harness_client_options "$TST_SSHD_DIR")
	ssh "${opts[@]/#$TST_SSHD_DIR\/client\/id_ed25519/$1}" "$2@$SSHD_HARNESS_HOST" "$3" </dev/null
}

host_state() {
	(cd "$ALICE_HOME" && find . | sort |
		while read -r f; do
			printf '%s %s\n' "$f" "$(stat -c '%U %a %h' "$f")"
			[[ -f $f && ! -L $f ]] && sha256sum <"$f"
		done)
}

out=$(tst_ssh "$ALICE" 'echo logged-in' 2>&1)
check_eq "alice logs in with her own key" "logged-in" "$out"
BASELINE=$(host_state)
tst_log "baseline: $BASELINE"

out=$(as_guest_root "$ALICE" "cat $ALICE_HOME/.ssh/authorized_keys")
check_match "guest root can still read the keys" 'x86ns-test-client' "$out"

# Each attack prints PLANTED when its write went through.
attacks=(
	"append a key|echo '$EVIL' >> $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"replace the file|echo '$EVIL' > $ALICE_HOME/.ssh/new && mv -f $ALICE_HOME/.ssh/new $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"remove and recreate|rm -f $ALICE_HOME/.ssh/authorized_keys && echo '$EVIL' > $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"rename ~/.ssh away|mv $ALICE_HOME/.ssh $ALICE_HOME/.ssh-old && echo PLANTED"
	"remove ~/.ssh|rm -rf $ALICE_HOME/.ssh; [ -d $ALICE_HOME/.ssh ] || echo PLANTED"
	"chmod ~/.ssh (StrictModes)|chmod 0777 $ALICE_HOME/.ssh && echo PLANTED"
	"rename the home|mv $ALICE_HOME /home/stolen && echo PLANTED"
	"unmount ~/.ssh|umount $ALICE_HOME/.ssh && echo '$EVIL' >> $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"lazy unmount ~/.ssh|umount -l $ALICE_HOME/.ssh && echo '$EVIL' >> $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"remount ~/.ssh read-write|mount -o remount,rw,bind $ALICE_HOME/.ssh && echo '$EVIL' >> $ALICE_HOME/.ssh/authorized_keys && echo PLANTED"
	"unmount in a new mount namespace|unshare -m sh -c 'umount -l $ALICE_HOME/.ssh; echo \"$EVIL\" >> $ALICE_HOME/.ssh/authorized_keys' && echo PLANTED"
	"authorized_principals|echo evil > $ALICE_HOME/.ssh/authorized_principals && echo PLANTED"
	"~/.ssh/rc|echo 'touch /tmp/x86ns-home-rc' > $ALICE_HOME/.ssh/rc && echo PLANTED"
	"~/.k5login|echo evil@EXAMPLE.ORG > $ALICE_HOME/.k5login && echo PLANTED"
	"~/.k5users|echo evil@EXAMPLE.ORG > $ALICE_HOME/.k5users && echo PLANTED"
	"~/.rhosts|echo '+ +' > $ALICE_HOME/.rhosts && echo PLANTED"
	"~/.shosts|echo '+ +' > $ALICE_HOME/.shosts && echo PLANTED"
	"~/.forward|echo '|/bin/sh -c id' > $ALICE_HOME/.forward && echo PLANTED"
	"~/.pam_environment|echo 'LD_PRELOAD DEFAULT=/tmp/evil.so' > $ALICE_HOME/.pam_environment && echo PLANTED"
	"a systemd user unit|mkdir -p $ALICE_HOME/.config/systemd/user && echo '[Service]' > $ALICE_HOME/.config/systemd/user/evil.service && echo PLANTED"
	"~/.config/environment.d|echo 'LD_PRELOAD=/tmp/evil.so' > $ALICE_HOME/.config/environment.d/evil.conf && echo PLANTED"
	"remove the ~/.k5login placeholder|rm -f $ALICE_HOME/.k5login && echo evil@EXAMPLE.ORG > $ALICE_HOME/.k5login && echo PLANTED"
	"swap ~/.config|mv $ALICE_HOME/.config $ALICE_HOME/.config-old && mkdir -p $ALICE_HOME/.config/systemd/user && echo PLANTED"
	"swap ~/.local|mv $ALICE_HOME/.local $ALICE_HOME/.local-old && mkdir -p $ALICE_HOME/.local/share/systemd/user && echo PLANTED"
	"swap ~/.local/share|mv $ALICE_HOME/.local/share $ALICE_HOME/.local/share-old && mkdir -p $ALICE_HOME/.local/share/systemd/user && echo PLANTED"
	"rename ~/.config/systemd|mv $ALICE_HOME/.config/systemd $ALICE_HOME/.config/systemd-old && echo PLANTED"
	"hard link out of ~/.ssh|ln $ALICE_HOME/.ssh/authorized_keys $ALICE_HOME/ak && echo PLANTED"
)
for a in "${attacks[@]}"; do
	desc=${a%%|*}
	out=$(as_guest_root "$ALICE" "${a#*|}")
	tst_log "$desc: $out"
	if grep -q PLANTED <<<"$out"; then
		not_ok "guest root cannot: $desc" "it succeeded: $(_tst_oneline "$out")"
	else
		ok "guest root cannot: $desc"
	fi
	# Right after the first attempt, before a later one could remove ~/.ssh.
	if [[ $desc == "append a key" ]]; then
		out=$(ssh_with_key "$TST_TMP/evil" "$ALICE" 'echo evil-in' 2>&1)
		check_eq "the real sshd refuses the appended key" "255 " \
			"$? $(grep -o evil-in <<<"$out")"
	fi
done

# The user's own session (not root) is refused the same way.
out=$(tst_ssh "$ALICE" "echo '$EVIL' >> ~/.ssh/authorized_keys && echo PLANTED" 2>&1)
check_fail "alice's guest session cannot append a key" grep -q PLANTED <<<"$out"

check_eq "alice's home on the host is unchanged" "$BASELINE" "$(host_state)"
out=$(ssh_with_key "$TST_TMP/evil" "$ALICE" 'echo evil-in' 2>&1)
rc=$?
check_eq "the real sshd refuses the key the guest tried to plant" "255 " "$rc $(grep -o evil-in <<<"$out")"
out=$(tst_ssh "$ALICE" 'echo logged-in' 2>&1)
check_eq "alice's own key still works" "logged-in" "$out"

# A protected path that is a symlink refuses the start with the key to
# change; protect-home = no lets that user start (and write).
mkdir -p "$BOB_HOME/dotfiles/config"
ln -s dotfiles/config "$BOB_HOME/.config"
chown -hR "$BOB:$BOB" "$BOB_HOME/dotfiles" "$BOB_HOME/.config"
out=$("$X86NS_CTL" --config "$X86NS_CONF" start "$BOB" 2>&1)
rc=$?
check_eq "a symlinked ~/.config refuses the start" "1" "$((rc != 0))"
check_match "the refusal names the path and the key" \
	'\.config/systemd .*symbolic link.*protect-home = no' "$out"
check_fail "nothing was created through the symlink" test -e "$BOB_HOME/dotfiles/config/systemd"
check_fail "a refused start creates no placeholder" test -e "$BOB_HOME/.ssh"
x86ns_config "[default]" "stop = never" "[user $ALICE]" "guest = bb" "[user $BOB]" "guest = bb" \
	"protect-home = no"
out=$("$X86NS_CTL" --config "$X86NS_CONF" start "$BOB" 2>&1)
check "protect-home = no starts it" test $? -eq 0
out=$(as_guest_root "$BOB" "mkdir -p $BOB_HOME/.ssh && echo x > $BOB_HOME/.ssh/authorized_keys && echo WROTE")
check_match "with protect-home = no the guest writes ~/.ssh" '^WROTE$' "$out"
out=$(as_guest_root "$ALICE" "echo ok > $ALICE_HOME/.config/x86ns-test && cat $ALICE_HOME/.config/x86ns-test")
check_eq "the rest of ~/.config stays writable" "ok" "$out"
