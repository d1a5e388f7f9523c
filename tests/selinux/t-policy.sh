#!/bin/bash
# t-policy.sh: prove by analysis what the x86ns SELinux module allows.
#
# Builds selinux/x86ns.pp, links it into a private copy of Debian's
# selinux-policy-default store (semodule -n -p ROOT: the host's store and
# loaded policy are never touched) and asks sesearch/seinfo (setools) about
# the linked kernel policy: the container domain acts on no domain and
# writes no file type outside x86ns, touches no kernel setting, and only the
# intended domains enter it and the launcher.  Then it links a variant with
# broad rules added and proves that every one of those checks fails on it.
#
# Runs where SELinux is off too: nothing here needs a loaded policy.
# Packages: selinux-policy-dev selinux-policy-default setools semodule-utils
# policycoreutils checkpolicy selinux-utils make m4.

# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

SELINUX_SRC=$TST_SRCDIR/selinux
DEVEL_MAKEFILE=/usr/share/selinux/devel/Makefile
HOST_STORE=/var/lib/selinux/default
HOST_POLICY_DIR=/etc/selinux/default

# ---- what the module must hold to --------------------------------------

# The only domains that may enter x86ns_container_t: the launcher (guest
# init), the join shell and x86nsctl exec (a command in the guest).
CONTAINER_ENTRANTS="x86ns_launch_t x86ns_shell_t x86ns_ctl_t"
# The only domains that may enter x86ns_launch_t: the PAM applications
# (sshd, login, su in each role's su domain; an unconfined administrator
# runs su in unconfined_t itself) and x86nsctl.
LAUNCH_ENTRANTS="sshd_t local_login_t user_su_t staff_su_t sysadm_su_t unconfined_t x86ns_ctl_t"
# Host character devices a guest may write: bound into its /dev, they change
# nothing on the host.
WRITABLE_DEVICES="null_device_t zero_device_t devtty_t"
# What the base policy gives every member of the "domain" attribute; a
# module can neither add nor remove it.  "SOURCE TARGET:CLASS" entries.
#   sigchld to shutdown_t, sysadm_t: a child's exit signal to its parent;
#     no x86ns process has such a parent (the guest runs in its own PID
#     namespace under the monitor).
#   setrans: every process may ask mcstransd to translate levels.
#   lockdown on self: Debian grants it to every domain; it matters only
#     with capabilities on the host, and the container has none.
#   the rest: standard devices and network peer labels.
BASELINE="domain shutdown_t:process
domain sysadm_t:process
domain setrans_t:unix_stream_socket
domain setrans_runtime_t:sock_file
domain null_device_t:chr_file
domain zero_device_t:chr_file
domain devtty_t:chr_file
domain unconfined_domain_type:association
domain unconfined_domain_type:peer
domain unconfined_domain_type:tcp_socket
domain netlabel_peer_t:peer
domain netlabel_peer_t:tcp_socket
x86ns_container_t x86ns_container_t:lockdown"
# The one switch that lets a guest write host files, off by default.
HOME_BOOLEAN=x86ns_container_use_home

# The launcher's helper domains: pasta (network = private) and mke2fs (a new
# layer image).  Only the launcher enters them, each from one file type;
# the guest has no permission on them; each writes only what it must.
HELPER_ENTRIES="x86ns_net_t:bin_t x86ns_mkfs_t:fsadm_exec_t"
# SOURCE:TYPES it may write (file classes), beyond the baseline devices.
HELPER_WRITABLE="x86ns_net_t:devpts_t,tun_tap_device_t x86ns_mkfs_t:x86ns_upper_t"
# SOURCE:TYPE:PERMS of the filesystem class: pasta's sandbox only (a tmpfs
# root, the old root detached, in its own mount namespace).
HELPER_FS="x86ns_net_t:tmpfs_t:mount x86ns_net_t:fs_t:unmount"
# The ioctls the launcher may issue on loop devices, which Debian 12 labels
# like every disk: LOOP_CONFIGURE on /dev/loopN, LOOP_CTL_GET_FREE on
# /dev/loop-control; the character disk nodes, which the same interface
# opens, get that one number too, meaningless there.
LOOP_IOCTLS="fixed_disk_device_t:blk_file:0x4c0a fixed_disk_device_t:chr_file:0x4c0a loop_control_device_t:chr_file:0x4c82"

# What each feature needs, "FEATURE|SOURCE|TARGET|CLASS|PERMS|why": every
# PERM must be allowed (by any rule, attributes included).
NEEDS="network|x86ns_launch_t|x86ns_net_t|process|transition|the monitor-to-be starts pasta in a domain of its own
network|x86ns_launch_t|x86ns_net_t|process2|nnp_transition|pasta is executed with no_new_privs
network|x86ns_net_t|bin_t|file|entrypoint|/usr/bin/passt is bin_t in Debian 12
network|x86ns_net_t|x86ns_launch_t|fd|use|inherited /dev/null and namespace fds
network|x86ns_net_t|nsfs_t|file|open,read,getattr|the namespaces as /proc/self/fd/3 and 4
network|x86ns_net_t|x86ns_net_t|cap_userns|sys_admin,net_admin,setpcap|setns, the tap device, its sandbox, in the user's namespaces
network|x86ns_net_t|tun_tap_device_t|chr_file|open,read,write,ioctl|/dev/net/tun
network|x86ns_net_t|x86ns_net_t|tun_socket|create|TUNSETIFF creates eth0
network|x86ns_net_t|x86ns_net_t|netlink_route_socket|create,bind,nlmsg_read,nlmsg_write|eth0's addresses and routes
network|x86ns_net_t|x86ns_net_t|tcp_socket|create,connect,read,write|the host side of the guest's TCP flows
network|x86ns_net_t|x86ns_net_t|udp_socket|create,bind,read,write|the host side of the guest's UDP flows
network|x86ns_net_t|devpts_t|chr_file|write|its messages on the guest's console
network|x86ns_net_t|tmpfs_t|filesystem|mount|its sandbox's tmpfs root
network|x86ns_net_t|net_conf_t|file|open,read|the host's resolv.conf
network|x86ns_monitor_t|x86ns_net_t|process|sigkill|the monitor stops pasta
network|x86ns_net_t|x86ns_monitor_t|process|sigchld|and reaps it
layer|x86ns_launch_t|x86ns_upper_t|file|create,write,lock,rename,unlink|<guest>.img made, truncated, locked, renamed
layer|x86ns_launch_t|x86ns_mkfs_t|process|transition|mke2fs on a new image
layer|x86ns_mkfs_t|fsadm_exec_t|file|entrypoint|/sbin/mke2fs
layer|x86ns_mkfs_t|x86ns_upper_t|file|open,read,write|the image, fd 3
layer|x86ns_mkfs_t|x86ns_launch_t|fd|use|the image's fd and /dev/null
layer|x86ns_launch_t|loop_control_device_t|chr_file|open,read,write,ioctl|/dev/loop-control
layer|x86ns_launch_t|fixed_disk_device_t|blk_file|open,read,write,ioctl|/dev/loopN
layer|x86ns_launch_t|fs_t|filesystem|mount|fsopen(ext4) on the loop device
socket|x86ns_launch_t|x86ns_runtime_t|sock_file|create,setattr|monitor.sock bound and given to the user
socket|x86ns_shell_t|x86ns_runtime_t|sock_file|write|connect needs write on monitor.sock
socket|x86ns_shell_t|x86ns_launch_t|unix_stream_socket|connectto|monitor.sock is the launcher's socket
socket|x86ns_ctl_t|x86ns_launch_t|unix_stream_socket|connectto|x86nsctl status, stop
socket|sshd_t|x86ns_launch_t|unix_stream_socket|connectto|pam_x86ns asks the monitor
socket|x86ns_monitor_t|x86ns_launch_t|unix_stream_socket|accept,getopt,read,write|accept, SO_PEERCRED
agent|x86ns_shell_t|sshd_t|unix_stream_socket|connectto|sshd's agent socket
agent|x86ns_shell_t|sshd_tmp_t|sock_file|write|its file in /tmp/ssh-XXXX
agent|x86ns_shell_t|x86ns_file_t|dir|create,rmdir,add_name,remove_name|x86ns-agent-XXXX in the guest
agent|x86ns_shell_t|x86ns_file_t|sock_file|create,unlink|agent.sock in the guest
agent|x86ns_container_t|x86ns_shell_t|unix_stream_socket|connectto|guest ssh clients reach the relay
agent|x86ns_ctl_t|sshd_exec_t|file|execute,execute_no_trans|x86nsctl check runs sshd -T
agent|x86ns_ctl_t|sshd_key_t|file|read|sshd -T loads the host keys
systemd|x86ns_launch_t|system_dbusd_t|unix_stream_socket|connectto|the system bus
systemd|x86ns_launch_t|init_t|dbus|send_msg|method calls to systemd
systemd|init_t|x86ns_launch_t|dbus|send_msg|replies and JobRemoved
systemd|x86ns_launch_t|init_t|system|start|StartTransientUnit
systemd|x86ns_launch_t|systemd_transient_unit_t|service|start,stop,reload|a left-over scope: StopUnit, ResetFailedUnit
systemd|x86ns_launch_t|init_t|unix_stream_socket|connectto|/run/systemd/private without a bus
systemd|x86ns_launch_t|systemd_machined_t|dbus|send_msg|RegisterMachine
systemd|systemd_machined_t|x86ns_launch_t|dbus|send_msg|its reply
systemd|x86ns_launch_t|cgroup_t|file|setattr|guest root owns the scope's files
systemd|x86ns_launch_t|cgroup_t|dir|setattr|and the scope's group
systemd|x86ns_launch_t|lib_t|file|open,read,map,execute|dlopen(libsystemd.so.0)
systemd|x86ns_ctl_t|system_dbusd_t|unix_stream_socket|connectto|x86nsctl check
systemd|x86ns_ctl_t|init_t|unix_stream_socket|connectto|x86nsctl check without a bus"
# "SOURCE TARGET:process NEW": the automatic transitions of the launcher.
TRANSITIONS="x86ns_launch_t bin_t:process x86ns_net_t
x86ns_launch_t fsadm_exec_t:process x86ns_mkfs_t"

FILE_CLASSES=file,dir,lnk_file,chr_file,blk_file,sock_file,fifo_file
WRITE_PERMS=write,append,create,setattr,unlink,link,rename,add_name,remove_name,reparent,rmdir,relabelfrom,relabelto,mounton,quotaon
FS_CHANGE_PERMS=mount,remount,unmount,relabelfrom,relabelto,quotamod,watch
KERNEL_CLASSES=system,security,capability,capability2,bpf,perf_event,kernel_service,lockdown,key
# Files whose write changes the kernel: sysctls, /proc, sysfs, selinuxfs,
# binfmt_misc, debugfs, tracefs, bpffs, modules, memory devices.
KERNEL_TYPES_RE='^(sysctl_.*|proc_.*|sysfs_t|security_t|binfmt_misc_fs_t|debugfs_t|tracefs_t|bpf_t|kernel_t|modules_.*|kmod_.*|memory_device_t|mtrr_device_t|usermodehelper_t|device_t)$'

# ---- prerequisites -----------------------------------------------------

need_package() {
	local what=$1 package=$2
	[[ -e $what ]] || command -v "$what" >/dev/null 2>&1 ||
		tst_bail "requirement $what" "missing; install it: apt-get install $package"
}

[[ $(id -u) == 0 ]] || tst_bail "runs as root" "semodule needs root even on a private store"
need_package "$DEVEL_MAKEFILE" selinux-policy-dev
need_package "$HOST_STORE/active/modules" selinux-policy-default
need_package sesearch setools
need_package seinfo setools
need_package semodule policycoreutils
need_package checkmodule checkpolicy
need_package semodule_package semodule-utils
need_package selabel_lookup selinux-utils
need_package make make
need_package m4 m4

# ---- rule helpers ------------------------------------------------------

declare -A ATTRS_LOADED IS_ATTR MEMBERS

# load_attributes POLICY: remember which names of POLICY are attributes.
load_attributes() {
	local pol=$1 name
	[[ -n ${ATTRS_LOADED[$pol]:-} ]] && return
	while read -r name; do
		IS_ATTR["$pol|$name"]=1
	done < <(seinfo "$pol" -a | awk 'NR > 2 && NF == 1 { print $1 }')
	ATTRS_LOADED[$pol]=1
}

# expand POLICY NAME: set EXPANDED to the types NAME stands for.
expand() {
	local pol=$1 name=$2
	load_attributes "$pol"
	if [[ -z ${IS_ATTR["$pol|$name"]:-} ]]; then
		EXPANDED=$name
		return
	fi
	if [[ -z ${MEMBERS["$pol|$name"]+x} ]]; then
		MEMBERS["$pol|$name"]=$(seinfo "$pol" -a "$name" -x | awk '/^\t/ { print $1 }' | tr '\n' ' ')
	fi
	EXPANDED=${MEMBERS["$pol|$name"]}
}

is_x86ns_type() { [[ $1 == x86ns_* ]]; }
in_list() { [[ " $2 " == *" $1 "* ]]; }

# parse_rule LINE: split an "allow S T:C PERMS; [ COND ]:True" line of
# sesearch into R_SRC R_TGT R_CLASS R_PERMS R_COND.
parse_rule() {
	local re='^[a-z_]+ ([^ ]+) ([^ :]+):([^ ]+) (\{ ([^}]*) \}|([^ ;]+));( \[ (.*) \]:(True|False))?$'
	[[ $1 =~ $re ]] || return 1
	R_SRC=${BASH_REMATCH[1]} R_TGT=${BASH_REMATCH[2]} R_CLASS=${BASH_REMATCH[3]}
	R_PERMS=${BASH_REMATCH[5]:-${BASH_REMATCH[6]}} R_COND=${BASH_REMATCH[8]:-}
	R_PERMS=${R_PERMS% }
}

is_baseline() {
	grep -qxF -- "$R_SRC $R_TGT:$R_CLASS" <<<"$BASELINE"
}

# The opt-in boolean: its rules are checked to be off by default instead.
is_home_opt_in() { [[ $R_COND == "$HOME_BOOLEAN" ]]; }

VIOLATIONS=()
violation() { VIOLATIONS+=("$1"); }

report() {
	local desc=$1 shown
	if ((${#VIOLATIONS[@]} == 0)); then
		ok "$desc"
		return 0
	fi
	shown=$(printf '%s | ' "${VIOLATIONS[@]:0:4}")
	((${#VIOLATIONS[@]} > 4)) && shown+="... (${#VIOLATIONS[@]} rules)"
	not_ok "$desc" "${shown% | }"
}

# ---- the checks ----------------------------------------------------------
# Each fills VIOLATIONS with the offending rules of POLICY.

# The container has no process permission (signal, sigkill, ptrace,
# transition, ...) on any domain outside x86ns.
find_container_process_outside() {
	local pol=$1 line t outside
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		expand "$pol" "$R_TGT"
		outside=
		for t in $EXPANDED; do is_x86ns_type "$t" || outside+=" $t"; done
		[[ -n $outside ]] && violation "$line (on${outside:0:80})"
	done < <(sesearch -A -s x86ns_container_t -c process "$pol")
}

# ... nor any other permission (fd use, sockets, IPC) on such a domain.
find_container_touching_domains() {
	local pol=$1 line t outside domains
	VIOLATIONS=()
	expand "$pol" domain
	domains=" $EXPANDED "
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		[[ $R_CLASS == filesystem ]] && continue
		expand "$pol" "$R_TGT"
		outside=
		for t in $EXPANDED; do
			is_x86ns_type "$t" && continue
			[[ $domains == *" $t "* ]] && outside+=" $t"
		done
		[[ -n $outside ]] && violation "$line (on${outside:0:80})"
	done < <(sesearch -A -s x86ns_container_t "$pol")
}

# The container writes only its own file types (and /dev/null & co).
find_container_host_writes() {
	local pol=$1 line t outside
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		is_home_opt_in && continue
		expand "$pol" "$R_TGT"
		outside=
		for t in $EXPANDED; do
			is_x86ns_type "$t" || in_list "$t" "$WRITABLE_DEVICES" || outside+=" $t"
		done
		[[ -n $outside ]] && violation "$line (on${outside:0:80})"
	done < <(sesearch -A -s x86ns_container_t -c "$FILE_CLASSES" -p "$WRITE_PERMS" "$pol"
		sesearch -A -s x86ns_container_t -c filesystem -p "$FS_CHANGE_PERMS" "$pol")
}

# The container loads no module, reads or sets no kernel or SELinux setting
# through a kernel class, has no host capability, and writes no file that
# is a kernel setting.
find_container_kernel_access() {
	local pol=$1 line t
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		violation "$line"
	done < <(sesearch -A -s x86ns_container_t -c "$KERNEL_CLASSES" "$pol"
		sesearch -A -s x86ns_container_t -c cap_userns,cap2_userns \
			-p sys_module,sys_rawio,sys_time,sys_pacct,audit_control,mac_admin,mac_override,syslog "$pol")
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		expand "$pol" "$R_TGT"
		for t in $EXPANDED; do
			[[ $t =~ $KERNEL_TYPES_RE ]] && { violation "$line (on $t)"; break; }
		done
	done < <(sesearch -A -s x86ns_container_t -c "$FILE_CLASSES" -p "$WRITE_PERMS" "$pol")
}

# Only CONTAINER_ENTRANTS may enter the container; the container itself
# never changes domain; it is entered only through x86ns file types.
find_container_entrances() {
	local pol=$1 line t
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		[[ " $R_PERMS " == *" dyntransition "* ]] && violation "$line (dyntransition)"
		[[ " $R_PERMS " == *" transition "* ]] || continue
		expand "$pol" "$R_SRC"
		for t in $EXPANDED; do
			in_list "$t" "$CONTAINER_ENTRANTS" || { violation "$line (from $t)"; break; }
		done
	done < <(sesearch -A -t x86ns_container_t -c process -p transition,dyntransition "$pol")
	while IFS= read -r line; do
		violation "$line (the container changes domain)"
	done < <(sesearch -A -s x86ns_container_t -c process \
		-p transition,dyntransition,setexec,setcurrent "$pol" | grep -v '^allow domain ')
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		expand "$pol" "$R_TGT"
		for t in $EXPANDED; do
			is_x86ns_type "$t" || { violation "$line (entrypoint $t)"; break; }
		done
	done < <(sesearch -A -s x86ns_container_t -c file -p entrypoint "$pol")
}

# Only LAUNCH_ENTRANTS may enter the launcher, through its own file only.
find_launcher_entrances() {
	local pol=$1 line t
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		expand "$pol" "$R_SRC"
		for t in $EXPANDED; do
			in_list "$t" "$LAUNCH_ENTRANTS" || { violation "$line (from $t)"; break; }
		done
	done < <(sesearch -A -t x86ns_launch_t -c process -p transition,dyntransition "$pol")
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		[[ $R_TGT == x86ns_launch_exec_t ]] || violation "$line"
	done < <(sesearch -A -s x86ns_launch_t -c file -p entrypoint "$pol")
}

# The guest has no permission at all on the helpers (pasta handles its
# packets; nothing of the guest may signal, trace or feed it), and cannot
# connect to a socket of the launcher or the monitor (monitor.sock).
find_container_reaching_helpers() {
	local pol=$1 line t
	VIOLATIONS=()
	while IFS= read -r line; do
		parse_rule "$line" || { violation "unparsed: $line"; continue; }
		is_baseline && continue
		expand "$pol" "$R_TGT"
		for t in $EXPANDED; do
			in_list "$t" "x86ns_net_t x86ns_mkfs_t" && { violation "$line (on $t)"; break; }
		done
	done < <(sesearch -A -s x86ns_container_t -t x86ns_net_t "$pol"
		sesearch -A -s x86ns_container_t -t x86ns_mkfs_t "$pol")
	while IFS= read -r line; do
		violation "$line (the guest connects to the launcher's or monitor's socket)"
	done < <(sesearch -A -s x86ns_container_t -t x86ns_launch_t -c unix_stream_socket -p connectto "$pol"
		sesearch -A -s x86ns_container_t -t x86ns_monitor_t -c unix_stream_socket -p connectto "$pol")
}

# Only the launcher enters the helpers, each through its one file type, and
# they enter nothing.
find_helper_entrances() {
	local pol=$1 entry dom file line t
	VIOLATIONS=()
	for entry in $HELPER_ENTRIES; do
		dom=${entry%%:*} file=${entry#*:}
		while IFS= read -r line; do
			parse_rule "$line" || { violation "unparsed: $line"; continue; }
			expand "$pol" "$R_SRC"
			for t in $EXPANDED; do
				[[ $t == x86ns_launch_t ]] || { violation "$line (from $t)"; break; }
			done
		done < <(sesearch -A -t "$dom" -c process -p transition,dyntransition "$pol"
			sesearch -A -t "$dom" -c process2 -p nnp_transition,nosuid_transition "$pol")
		while IFS= read -r line; do
			parse_rule "$line" || { violation "unparsed: $line"; continue; }
			[[ $R_TGT == "$file" ]] || violation "$line (entrypoint $R_TGT)"
		done < <(sesearch -A -s "$dom" -c file -p entrypoint "$pol")
		while IFS= read -r line; do
			violation "$line ($dom changes domain)"
		done < <(sesearch -A -s "$dom" -c process \
			-p transition,dyntransition,setexec,setcurrent "$pol" | grep -v '^allow domain ')
	done
}

# The helpers hold no host capability and no kernel class, and write only
# their own objects: pasta the console and the tap device, mke2fs the image.
find_helper_privileges() {
	local pol=$1 entry dom writable line t
	VIOLATIONS=()
	for entry in $HELPER_WRITABLE; do
		dom=${entry%%:*} writable=${entry#*:}
		writable=${writable//,/ }
		while IFS= read -r line; do
			parse_rule "$line" || { violation "unparsed: $line"; continue; }
			is_baseline && continue
			[[ $R_CLASS == lockdown && $R_SRC == "$R_TGT" ]] && continue
			violation "$line"
		done < <(sesearch -A -s "$dom" -c "$KERNEL_CLASSES" "$pol")
		while IFS= read -r line; do
			parse_rule "$line" || { violation "unparsed: $line"; continue; }
			is_baseline && continue
			expand "$pol" "$R_TGT"
			for t in $EXPANDED; do
				in_list "$t" "$writable $WRITABLE_DEVICES" && continue
				# Its own /proc/<pid> files; the launcher's pipes it inherits.
				[[ $t == "$dom" ]] && continue
				[[ $t == x86ns_launch_t && $R_CLASS == fifo_file ]] && continue
				# pasta's sandbox: mount points of its own mount namespace.
				[[ $dom == x86ns_net_t && $R_PERMS == mounton && $t =~ ^(root_t|tmp_t)$ ]] && continue
				violation "$line (on $t)"
				break
			done
		done < <(sesearch -A -s "$dom" -c "$FILE_CLASSES" -p "$WRITE_PERMS" "$pol")
		while IFS= read -r line; do
			parse_rule "$line" || { violation "unparsed: $line"; continue; }
			local perm
			for perm in $R_PERMS; do
				in_list "$dom:$R_TGT:$perm" "$HELPER_FS" || violation "$line ($perm on $R_TGT)"
			done
		done < <(sesearch -A -s "$dom" -c filesystem -p "$FS_CHANGE_PERMS" "$pol")
	done
	while IFS= read -r line; do
		violation "$line (mke2fs in the user's namespaces)"
	done < <(sesearch -A -s x86ns_mkfs_t -c cap_userns,cap2_userns "$pol")
}

# On loop devices (labelled like every disk) the launcher issues only the
# loop ioctls it needs.
find_loop_ioctls() {
	local pol=$1 entry tgt class want line cmd
	VIOLATIONS=()
	for entry in $LOOP_IOCTLS; do
		IFS=: read -r tgt class want <<<"$entry"
		local found=0
		while IFS= read -r line; do
			[[ $line =~ ioctl\ (\{\ ([^}]*)\ \}|([^ ;]+)) ]] || { violation "unparsed: $line"; continue; }
			for cmd in ${BASH_REMATCH[2]:-${BASH_REMATCH[3]}}; do
				if [[ $cmd == "$want" ]]; then
					found=1
				else
					violation "allowxperm x86ns_launch_t $tgt:$class ioctl $cmd (only $want)"
				fi
			done
		done < <(sesearch --allowxperm -s x86ns_launch_t -t "$tgt" -c "$class" "$pol")
		# Without an allowxperm rule every ioctl would be allowed.
		((found)) || violation "x86ns_launch_t $tgt:$class: no allowxperm rule, every ioctl allowed"
	done
}

run_checks() {
	local pol=$1
	find_container_process_outside "$pol"
	report "no process permission of x86ns_container_t on a domain outside x86ns"
	find_container_touching_domains "$pol"
	report "no permission of x86ns_container_t of any class on a domain outside x86ns"
	find_container_host_writes "$pol"
	report "x86ns_container_t writes only x86ns file types and $WRITABLE_DEVICES"
	find_container_kernel_access "$pol"
	report "x86ns_container_t loads no module, has no host capability, changes no kernel or SELinux setting"
	find_container_entrances "$pol"
	report "only $CONTAINER_ENTRANTS enter x86ns_container_t, and it enters nothing"
	find_launcher_entrances "$pol"
	report "only $LAUNCH_ENTRANTS enter x86ns_launch_t, through x86ns_launch_exec_t"
	find_container_reaching_helpers "$pol"
	report "x86ns_container_t has no permission on pasta or mke2fs, and cannot connect to monitor.sock"
	find_helper_entrances "$pol"
	report "only x86ns_launch_t enters x86ns_net_t (from bin_t) and x86ns_mkfs_t (from fsadm_exec_t); they enter nothing"
	find_helper_privileges "$pol"
	report "pasta and mke2fs hold no host capability or kernel class and write only the console, the tap device, the image"
	find_loop_ioctls "$pol"
	report "the launcher issues only LOOP_CONFIGURE and LOOP_CTL_GET_FREE on loop devices"
}

# ---- build and link --------------------------------------------------------

# build_module DIR: copy selinux/ to DIR and build x86ns.pp there with its
# Makefile (the source tree is left as it was).
build_module() {
	local dir=$1
	mkdir -p "$dir" &&
		cp "$SELINUX_SRC"/x86ns.te "$SELINUX_SRC"/x86ns.if "$SELINUX_SRC"/x86ns.fc \
			"$SELINUX_SRC"/Makefile "$dir"/ &&
		make -C "$dir" x86ns.pp >"$dir/build.log" 2>&1
}

# link_offline ROOT PP: copy the host's policy store under ROOT and link PP
# into the copy; sets LINKED_POLICY to the resulting kernel policy.
link_offline() {
	local root=$1 pp=$2
	mkdir -p "$root/etc/selinux" "$root/var/lib/selinux" &&
		cp -a "$HOST_POLICY_DIR" "$root/etc/selinux/" &&
		cp -a "$HOST_STORE" "$root/var/lib/selinux/" &&
		cp /etc/selinux/semanage.conf /etc/selinux/config "$root/etc/selinux/" || return 1
	semodule -n -p "$root" -s default -i "$pp" >"$root/semodule.log" 2>&1 || return 1
	local policies=("$root"/etc/selinux/default/policy/policy.*)
	LINKED_POLICY=${policies[-1]}
	[[ -f $LINKED_POLICY ]]
}

host_store_state() {
	find "$HOST_STORE" "$HOST_POLICY_DIR" -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum | sha256sum
}

host_before=$(host_store_state)

if build_module "$TST_TMP/src"; then
	ok "make -C selinux builds x86ns.pp with $DEVEL_MAKEFILE"
else
	tst_bail "make -C selinux builds x86ns.pp" "$(tail -n 5 "$TST_TMP/src/build.log" | tr '\n' ' ')"
fi
if grep -qiE '(^|[^a-z])(warning|error)' "$TST_TMP/src/build.log"; then
	not_ok "the module builds without warnings" \
		"$(grep -iE 'warning|error' "$TST_TMP/src/build.log" | head -n 3 | tr '\n' ' ')"
else
	ok "the module builds without warnings"
fi

link_offline "$TST_TMP/store" "$TST_TMP/src/x86ns.pp" ||
	tst_bail "x86ns.pp links into an offline copy of selinux-policy-default" \
		"$(tail -n 5 "$TST_TMP/store/semodule.log" 2>/dev/null | tr '\n' ' ')"
ok "x86ns.pp links into an offline copy of selinux-policy-default"
POLICY=$LINKED_POLICY
modules=$(semodule -n -p "$TST_TMP/store" -s default -l 2>/dev/null)
check_match "the offline store lists the x86ns module" '^x86ns$' "$modules"

run_checks "$POLICY"

# ---- what the features need is there -----------------------------------------

declare -A RULES_OF

# allowed_perms POLICY SOURCE TARGET CLASS: set ALLOWED to the permissions
# that SOURCE has on TARGET:CLASS, through any rule (attributes expanded).
allowed_perms() {
	local pol=$1 src=$2 tgt=$3 class=$4 line t
	if [[ -z ${RULES_OF["$pol|$src"]+x} ]]; then
		RULES_OF["$pol|$src"]=$(sesearch -A -s "$src" "$pol")
	fi
	ALLOWED=" "
	while IFS= read -r line; do
		parse_rule "$line" || continue
		[[ $R_CLASS == "$class" ]] || continue
		[[ $R_TGT == self ]] && R_TGT=$src
		expand "$pol" "$R_TGT"
		for t in $EXPANDED; do
			[[ $t == "$tgt" ]] && { ALLOWED+="$R_PERMS "; break; }
		done
	done <<<"${RULES_OF["$pol|$src"]}"
}

while IFS='|' read -r feature src tgt class perms why; do
	allowed_perms "$POLICY" "$src" "$tgt" "$class"
	missing=
	for perm in ${perms//,/ }; do
		[[ $ALLOWED == *" $perm "* ]] || missing+=" $perm"
	done
	desc="$feature: $src may ${perms//,/ } on $tgt:$class ($why)"
	if [[ -z $missing ]]; then
		ok "$desc"
	else
		not_ok "$desc" "missing:$missing"
	fi
done <<<"$NEEDS"

while read -r src rest new; do
	rule=$(sesearch -T -s "$src" -t "${rest%%:*}" -c process "$POLICY")
	check_match "the launcher's exec of ${rest%%:*} enters $new automatically" \
		"type_transition $src $rest $new;" "$rule"
done <<<"$TRANSITIONS"

# ---- MCS and labels --------------------------------------------------------

members_line=$(seinfo "$POLICY" -a mcs_constrained_type -x | awk '/^\t/ { print $1 }' | tr '\n' ' ')
if in_list x86ns_container_t "$members_line"; then
	ok "x86ns_container_t is MCS-constrained (one category pair per user)"
else
	not_ok "x86ns_container_t is MCS-constrained (one category pair per user)" \
		"not in mcs_constrained_type"
fi

range_rules=$(sesearch --range_trans -s x86ns_launch_t -t x86ns_init_exec_t "$POLICY")
check_match "the guest init without setexeccon() falls back to s0 (fails closed)" \
	'range_transition x86ns_launch_t x86ns_init_exec_t:process s0;' "$range_rules"

bool_line=$(seinfo "$POLICY" -b "$HOME_BOOLEAN" -x)
check_match "$HOME_BOOLEAN (guest access to home directories) is off by default" \
	"bool $HOME_BOOLEAN false;" "$bool_line"

file_contexts=$TST_TMP/store/etc/selinux/default/contexts/files/file_contexts
check_label() {
	local path=$1 want=$2 got
	got=$(selabel_lookup -b file -k "$path" -f "$file_contexts" 2>&1)
	if [[ $got == *":$want:"* ]]; then
		ok "$path is labelled $want"
	else
		not_ok "$path is labelled $want" "selabel_lookup says: $got"
	fi
}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for prefix in /usr/local /usr; do
	check_label "$prefix/libexec/x86ns/x86ns-launch" x86ns_launch_exec_t
	check_label "$prefix/libexec/x86ns/x86ns-monitor" x86ns_monitor_exec_t
	check_label "$prefix/libexec/x86ns/x86ns-init" x86ns_init_exec_t
	check_label "$prefix/bin/x86ns-shell" x86ns_shell_exec_t
	check_label "$prefix/sbin/x86nsctl" x86ns_ctl_exec_t
done
check_label "/lib/$multiarch/security/pam_x86ns.so" lib_t
check_label /etc/security/x86ns.conf x86ns_conf_t
check_label /etc/security/x86ns.conf.d/10-site.conf x86ns_conf_t
check_label /var/lib/x86ns/1000/upper x86ns_upper_t
check_label /var/lib/x86ns/1000/debian.img x86ns_upper_t
check_label /var/lib/x86ns/1000/debian.img.new x86ns_upper_t
check_label /sbin/mke2fs fsadm_exec_t
check_label /usr/bin/passt bin_t
check_label /dev/net/tun tun_tap_device_t
check_label /dev/loop-control loop_control_device_t
check_label /dev/loop0 fixed_disk_device_t
check_label /var/lib/x86ns-guests/debian x86ns_guest_t
check_label /srv/x86ns/busybox/bin/sh x86ns_guest_t
check_label /run/x86ns/1000/monitor.sock x86ns_runtime_t
check_label /run/x86ns/1000.lock x86ns_runtime_t
check_label /var/log/x86ns/alice.log x86ns_log_t
got=$(selabel_lookup -b file -k /var/lib/x86ns/1000/upper/etc/passwd -f "$file_contexts" 2>&1)
if [[ $got != *x86ns_upper_t* ]]; then
	ok "restorecon leaves the per-user labels below upper/ alone (<<none>>)"
else
	not_ok "restorecon leaves the per-user labels below upper/ alone (<<none>>)" "got $got"
fi

# ---- make install where SELinux is off ---------------------------------

if ! selinuxenabled 2>/dev/null; then
	out=$(make -C "$TST_TMP/src" install 2>&1)
	rc=$?
	if ((rc == 0)) && [[ $out == *"SELinux is not enabled"* ]]; then
		ok "make install on a host without SELinux says so and exits 0"
	else
		not_ok "make install on a host without SELinux says so and exits 0" \
			"exit $rc: $(_tst_oneline "$out")"
	fi
else
	tst_log "SELinux is enabled here: make install is not run (it would load the module on the host)"
fi

# ---- the checks bite: a variant with broad rules ---------------------------

# One rule per check; each must make its check fail, and be named in the
# failure (by the start of the rule sesearch prints: a planted permission
# may be merged into the rule of the same source, target and class).
PLANTED=(
	"allow x86ns_container_t domain:process sigkill;"
	"allow x86ns_container_t sshd_t:fd use;"
	"allow x86ns_container_t etc_t:file write;"
	"allow x86ns_container_t kernel_t:system module_request;"
	"allow x86ns_container_t sysctl_kernel_t:file write;"
	"allow unconfined_t x86ns_container_t:process transition;"
	"allow user_t x86ns_launch_t:process transition;"
	"allow x86ns_container_t x86ns_net_t:process ptrace;"
	"allow x86ns_container_t x86ns_launch_t:unix_stream_socket connectto;"
	"allow unconfined_t x86ns_net_t:process transition;"
	"allow x86ns_net_t self:capability net_admin;"
	"allow x86ns_mkfs_t etc_t:file write;"
	"allowxperm x86ns_launch_t fixed_disk_device_t:blk_file ioctl 0x1277;"
)
PLANTED_CHECK=(
	find_container_process_outside
	find_container_touching_domains
	find_container_host_writes
	find_container_kernel_access
	find_container_kernel_access
	find_container_entrances
	find_launcher_entrances
	find_container_reaching_helpers
	find_container_reaching_helpers
	find_helper_entrances
	find_helper_privileges
	find_helper_privileges
	find_loop_ioctls
)
PLANTED_MATCH=(
	"allow x86ns_container_t domain:process sigkill;"
	"allow x86ns_container_t sshd_t:fd use;"
	"allow x86ns_container_t etc_t:file write;"
	"allow x86ns_container_t kernel_t:system module_request;"
	"allow x86ns_container_t sysctl_kernel_t:file write;"
	"allow unconfined_t x86ns_container_t:process transition;"
	"allow user_t x86ns_launch_t:process transition;"
	"allow x86ns_container_t x86ns_net_t:process ptrace;"
	"allow x86ns_container_t x86ns_launch_t:unix_stream_socket "
	"allow unconfined_t x86ns_net_t:process transition;"
	"allow x86ns_net_t x86ns_net_t:capability net_admin;"
	"allow x86ns_mkfs_t etc_t:file "
	"allowxperm x86ns_launch_t fixed_disk_device_t:blk_file ioctl 0x1277"
)

build_module "$TST_TMP/broad" || tst_bail "the broad variant builds" "copy failed"
{
	echo
	echo "# Planted by tests/selinux/t-policy.sh: each rule must fail a check."
	echo "gen_require(\`"
	echo "	attribute domain;"
	echo "	type sshd_t, etc_t, kernel_t, sysctl_kernel_t, unconfined_t, user_t, fixed_disk_device_t;"
	echo "	class system module_request;"
	echo "')"
	printf '%s\n' "${PLANTED[@]}"
} >>"$TST_TMP/broad/x86ns.te"
rm -f "$TST_TMP/broad/x86ns.pp"
make -C "$TST_TMP/broad" x86ns.pp >"$TST_TMP/broad/build.log" 2>&1 ||
	tst_bail "the broad variant builds" "$(tail -n 5 "$TST_TMP/broad/build.log" | tr '\n' ' ')"
link_offline "$TST_TMP/store-broad" "$TST_TMP/broad/x86ns.pp" ||
	tst_bail "the broad variant links offline" \
		"$(tail -n 5 "$TST_TMP/store-broad/semodule.log" 2>/dev/null | tr '\n' ' ')"
ok "a variant with ${#PLANTED[@]} broad rules builds and links offline"
BROAD_POLICY=$LINKED_POLICY

for i in "${!PLANTED[@]}"; do
	"${PLANTED_CHECK[i]}" "$BROAD_POLICY"
	found=0
	for v in "${VIOLATIONS[@]}"; do
		[[ $v == "${PLANTED_MATCH[i]}"* ]] && found=1
	done
	if ((found)); then
		ok "${PLANTED_CHECK[i]} fails on the variant with '${PLANTED[i]}'"
	else
		not_ok "${PLANTED_CHECK[i]} fails on the variant with '${PLANTED[i]}'" \
			"${#VIOLATIONS[@]} violations, none is the planted rule"
	fi
done

# ---- the host is untouched ---------------------------------------------------

host_after=$(host_store_state)
check_eq "the host's policy store and /etc/selinux/default are unchanged" \
	"$host_before" "$host_after"
