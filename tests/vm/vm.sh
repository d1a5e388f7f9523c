# shellcheck shell=bash disable=SC2034
# tests/vm/vm.sh: boot the Debian 12 test server (tests/vm/image.sh) under
# QEMU and talk to it over ssh. Sourced by tests/vm/t-*.sh after lib.sh:
#     . "$(dirname "$0")/../lib.sh"
#     . "$TST_DIR/vm/vm.sh"
#
# vm_start [DISK...]   boots the cached image on a qcow2 overlay of this run
#                      (the base image stays clean) with each DISK (a raw
#                      image, see vm_disk_from_tree) as an extra virtio disk
#                      (/dev/vdb, /dev/vdc, ... in order); waits for sshd
#                      with a progress line on stderr, at most
#                      VM_BOOT_TIMEOUT seconds; registers vm_stop
# vm_ssh [SSH-OPTS] [CMD...]      ssh to root@VM (leading -... are ssh options)
# vm_ssh_as USER [SSH-OPTS] [CMD...]  ssh to USER@VM with the same key
# vm_sftp USER [SFTP-OPTS...]     sftp to USER@VM
# vm_copy_in SRC... DEST          copies host files/dirs into DEST on the VM
#                                 (tar over ssh: owners and modes kept)
# vm_stop              powers the VM off, waits, kills QEMU as a last resort
# vm_disk_from_tree OUT DIR [LABEL]  a raw ext4 image of DIR (mkfs.ext4 -d)
#
# Sets VM_IMAGE_DIR, VM_RUN (the run's state under $TST_TMP/vm: overlay,
# serial log, known_hosts, pid file), VM_PORT (the forwarded ssh port, on
# 127.0.0.1 only), VM_PID, VM_SERIAL_LOG, VM_ACCEL (kvm or tcg), VM_KEY,
# VM_BOOT_SECONDS.
#
# Environment: X86NS_VM_ACCEL=kvm|tcg forces the accelerator (default: kvm
# when /dev/kvm works, else tcg); X86NS_VM_MEMORY (default 4G),
# X86NS_VM_CPUS (default 2); VM_BOOT_TIMEOUT (default 240 s with KVM, 600 s
# with TCG).

VM_IMAGE_DIR=
VM_RUN=
VM_PORT=
VM_PID=
VM_SERIAL_LOG=
VM_ACCEL=
VM_KEY=
VM_BOOT_SECONDS=

_vm_log() { echo "# vm: $*" >&2; }

# vm_accel: "kvm" when the CPU offers virtualisation (vmx or svm: a
# /dev/kvm on a CPU without them, as in some sandboxes, accepts a machine and
# then hangs at boot) and QEMU can create a KVM machine, else "tcg".
vm_accel() {
	if [[ -n ${X86NS_VM_ACCEL:-} ]]; then
		echo "$X86NS_VM_ACCEL"
		return 0
	fi
	if [[ -r /dev/kvm && -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo &&
		echo quit | timeout 20 qemu-system-x86_64 -accel kvm -machine q35 -nodefaults \
			-display none -S -monitor stdio >/dev/null 2>&1; then
		echo kvm
	else
		echo tcg
	fi
}

# vm_disk_from_tree OUT DIR [LABEL]: a raw ext4 image of DIR's contents with
# owners and modes kept, sized to fit (no loop mount: mkfs.ext4 -d).
vm_disk_from_tree() {
	local out=$1 dir=$2 label=${3:-} kib
	kib=$(du -sk --apparent-size "$dir" | cut -f1) || return 1
	kib=$((kib * 13 / 10 + 65536))
	rm -f "$out"
	mkfs.ext4 -q -F ${label:+-L "$label"} -E root_owner=0:0 -d "$dir" "$out" "${kib}K" >&2
}

_vm_ssh_options() {
	VM_SSH_OPTS=(-F /dev/null -i "$VM_KEY" -o IdentitiesOnly=yes -o BatchMode=yes
		-o StrictHostKeyChecking=no -o "UserKnownHostsFile=$VM_RUN/known_hosts"
		-o LogLevel=ERROR -o ConnectTimeout=20 -o ServerAliveInterval=15
		-o ServerAliveCountMax=8)
}

# vm_ssh_as USER [SSH-OPTIONS] [CMD...]
vm_ssh_as() {
	local user=${1:?vm_ssh_as: no user}
	shift
	local -a extra=()
	while [[ ${1:-} == -* ]]; do
		if [[ $1 == -o ]]; then extra+=("$1" "$2"); shift 2; else extra+=("$1"); shift; fi
	done
	_vm_ssh_options
	# Given options first: for ssh, the first value of an option wins.
	ssh "${extra[@]}" "${VM_SSH_OPTS[@]}" -p "$VM_PORT" "$user@127.0.0.1" "$@"
}

# vm_ssh [SSH-OPTIONS] [CMD...]: as root.
vm_ssh() { vm_ssh_as root "$@"; }

# vm_sftp USER [SFTP-OPTIONS...]
vm_sftp() {
	local user=$1
	shift
	_vm_ssh_options
	sftp "${VM_SSH_OPTS[@]}" -P "$VM_PORT" "$@" "$user@127.0.0.1"
}

# vm_copy_in SRC... DEST: copy host files or directories into the VM's DEST
# directory (made if missing), as root, keeping owners and modes. Existing
# symlinks to directories stay (Debian's merged /usr: /lib -> usr/lib).
vm_copy_in() {
	(($# >= 2)) || { echo "vm_copy_in: SRC... DEST" >&2; return 1; }
	local dest=${!#} src rc=0
	local -a srcs=("${@:1:$#-1}")
	for src in "${srcs[@]}"; do
		tar -C "$(dirname "$src")" -cf - "$(basename "$src")" |
			vm_ssh "mkdir -p '$dest' && tar -C '$dest' --keep-directory-symlink --no-overwrite-dir -xf -" ||
			rc=1
	done
	return "$rc"
}

_vm_alive() { [[ -n $VM_PID ]] && kill -0 "$VM_PID" 2>/dev/null; }

_vm_serial_tail() { tail -n "${1:-15}" "$VM_SERIAL_LOG" 2>/dev/null | tr -d '\r' | sed 's/^/    /'; }

# vm_start [DISK...]
vm_start() {
	local disk i=0 port t0 elapsed last=-1 timeout
	local -a drives=()
	tst_need qemu-system-x86_64 qemu-img ssh sftp mkfs.ext4
	VM_IMAGE_DIR=$("$TST_DIR/vm/image.sh") || tst_bail "vm image" "tests/vm/image.sh failed"
	VM_KEY=$VM_IMAGE_DIR/id_ed25519
	VM_RUN=$TST_TMP/vm
	install -d -m 0700 "$VM_RUN"
	VM_SERIAL_LOG=$VM_RUN/serial.log
	# Each run writes to an overlay of its own: the cached image stays clean.
	qemu-img create -q -f qcow2 -b "$VM_IMAGE_DIR/root.img" -F raw "$VM_RUN/root.qcow2" >&2 ||
		tst_bail "vm overlay" "qemu-img create failed"
	for disk in "$@"; do
		drives+=(-drive "file=$disk,format=raw,if=virtio,cache=unsafe")
	done
	VM_ACCEL=$(vm_accel)
	timeout=${VM_BOOT_TIMEOUT:-$([[ $VM_ACCEL == kvm ]] && echo 240 || echo 600)}
	tst_cleanup_push vm_stop
	for ((i = 0; i < 5; i++)); do
		port=$(sshd_harness_free_port) || tst_bail "vm port" "no free port"
		VM_PORT=$port
		: >"$VM_SERIAL_LOG"
		rm -f "$VM_RUN/qemu.pid"
		# Loopback only: the VM's sshd is never reachable from elsewhere.
		qemu-system-x86_64 -name x86ns-test-vm -accel "$VM_ACCEL" -machine q35 \
			-cpu "$([[ $VM_ACCEL == kvm ]] && echo host || echo max)" \
			-m "${X86NS_VM_MEMORY:-4G}" -smp "${X86NS_VM_CPUS:-2}" \
			-nodefaults -display none -monitor none -no-reboot \
			-serial "file:$VM_SERIAL_LOG" \
			-kernel "$VM_IMAGE_DIR/vmlinuz" -initrd "$VM_IMAGE_DIR/initrd.img" \
			-append "root=/dev/vda rw console=ttyS0 panic=-1 quiet systemd.show_status=1" \
			-drive "file=$VM_RUN/root.qcow2,format=qcow2,if=virtio,cache=unsafe" \
			"${drives[@]}" \
			-netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$VM_PORT-:22" \
			-device virtio-net-pci,netdev=net0 \
			-device virtio-rng-pci \
			-pidfile "$VM_RUN/qemu.pid" -daemonize >"$VM_RUN/qemu.out" 2>&1
		if [[ -s $VM_RUN/qemu.pid ]]; then
			VM_PID=$(<"$VM_RUN/qemu.pid")
			break
		fi
		# Lost a race for the port? Try another one.
		grep -q 'Could not set up host forwarding\|Address already in use' "$VM_RUN/qemu.out" ||
			break
	done
	[[ -n $VM_PID ]] || tst_bail "vm boots" "qemu-system-x86_64 did not start: $(cat "$VM_RUN/qemu.out")"
	_vm_log "qemu pid $VM_PID, accel $VM_ACCEL, ssh on 127.0.0.1:$VM_PORT, serial log $VM_SERIAL_LOG"
	t0=$SECONDS
	while :; do
		elapsed=$((SECONDS - t0))
		_vm_alive || tst_bail "vm boots" "QEMU exited after $elapsed s; serial log:
$(_vm_serial_tail 25)"
		if vm_ssh -o ConnectTimeout=5 true 2>/dev/null </dev/null; then
			break
		fi
		((elapsed >= timeout)) && tst_bail "vm boots" "no ssh after $elapsed s ($VM_ACCEL); serial log:
$(_vm_serial_tail 25)"
		if ((elapsed / 15 != last)); then
			last=$((elapsed / 15))
			_vm_log "booting ($VM_ACCEL): ${elapsed} s of at most $timeout, waiting for sshd;" \
				"console: $(_vm_serial_tail 1 | cut -c1-100 | sed 's/^ *//')"
		fi
		sleep 2
	done
	VM_BOOT_SECONDS=$((SECONDS - t0))
	_vm_log "sshd answers after $VM_BOOT_SECONDS s ($VM_ACCEL)"
}

# vm_stop: power the VM off in order, wait for QEMU to exit (at most 45 s),
# then SIGTERM and SIGKILL it. Idempotent.
vm_stop() {
	local i
	[[ -n $VM_PID ]] || return 0
	if _vm_alive; then
		# --no-block: the answer comes before sshd goes. When the VM cannot
		# take the order (still booting, hung), QEMU is stopped at once:
		# the runner's SIGKILL follows its SIGTERM within 60 s.
		_vm_ssh_options
		if timeout 20 ssh -o ConnectTimeout=5 "${VM_SSH_OPTS[@]}" -p "$VM_PORT" root@127.0.0.1 \
			'systemctl --no-block poweroff' </dev/null >/dev/null 2>&1; then
			for ((i = 0; i < 45; i++)); do
				_vm_alive || break
				sleep 1
			done
		fi
		if _vm_alive; then
			_vm_log "the VM did not power off: SIGTERM to QEMU $VM_PID"
			kill -TERM "$VM_PID" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				_vm_alive || break
				sleep 0.2
			done
			_vm_alive && kill -KILL "$VM_PID" 2>/dev/null
			sleep 0.5
		fi
	fi
	if _vm_alive; then
		echo "vm_stop: QEMU $VM_PID survives SIGKILL" >&2
		return 1
	fi
	VM_PID=
	rm -f "$VM_RUN/root.qcow2"
	return 0
}
