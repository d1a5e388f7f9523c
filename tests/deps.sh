# shellcheck shell=bash
# tests/deps.sh: the Debian packages x86ns builds and is tested with, in one
# place. Sourced by .ci/run and tests/install-deps (which `make check`,
# `make bench` and `make demo` run); README's "Requirements" names the same.

# Building x86ns.
DEPS_BUILD=(build-essential pkg-config libpam0g-dev libaudit-dev libseccomp-dev
	libsubid-dev zlib1g-dev musl-tools)
# What the tests drive: subordinate ids, guests, sshd and its clients, the
# translator (qemu-user-static), the peers of the benchmarks.
DEPS_TEST=(uidmap busybox-static openssh-server openssh-client debootstrap
	systemd-container bubblewrap strace qemu-user-static passt
	xvfb xauth x11-utils)
# The real-server VM (tests/vm/): QEMU, its images, mkfs.ext4 -d.
DEPS_VM=(qemu-system-x86 qemu-utils e2fsprogs debootstrap)
# The SELinux policy analysis (tests/selinux/).
DEPS_SELINUX=(selinux-policy-dev selinux-policy-default setools semodule-utils
	policycoreutils checkpolicy selinux-utils make m4)
# Building and linting the Debian packages (tests/pkg/).
DEPS_PKG=(debhelper devscripts lintian equivs dpkg-dev fakeroot xz-utils)
# `make demo` needs only these.
DEPS_DEMO=("${DEPS_BUILD[@]}" uidmap busybox-static openssh-server openssh-client)

# deps_missing PACKAGE...: print the packages that are not installed.
deps_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' || echo "$p"
	done
}

# deps_install PACKAGE...: install what is missing, with a retry for a busy
# or flaky mirror; quiet when everything is there already.
deps_install() {
	local -a missing
	local i
	mapfile -t missing < <(deps_missing "$@")
	((${#missing[@]} == 0)) && return 0
	echo "Installing Debian packages: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	for i in 1 2 3; do
		apt-get update -q >&2 &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2 &&
			return 0
		echo "apt-get failed (try $i of 3), retrying" >&2
		sleep 10
	done
	echo "could not install: ${missing[*]}" >&2
	return 1
}
