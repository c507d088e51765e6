#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The Debian package, proven in fresh Debian 12 roots (.ci/fresh-root.sh):
#   A  a clone of this repository's HEAD, build-essential, devscripts and the
#      package's Build-Depends only (a missing one fails the build);
#      dpkg-buildpackage -us -uc -b, then lintian on the .deb
#   B  an untouched root: apt-get install ./siobpf_*.deb (its Depends must be
#      enough), then checks of what it installed
# Each check prints "ok - NAME" or "not ok - NAME"; the exit status is 1 when
# one failed. Only committed work is in the clone.
#
#   .ci/package.sh            (as root)
#
# Environment: PACKAGE_OUT=DIR keeps a copy of the .deb; PACKAGE_KEEP=1 keeps
# the roots (under /var/tmp/siobpf-pkg.*) for a look after a failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
src=$(pwd -P)
# shellcheck source=fresh-root.sh
. .ci/fresh-root.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "package.sh: needs root (chroot, mounts)" >&2
	exit 1
fi

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }

work=$(mktemp -d /var/tmp/siobpf-pkg.XXXXXX) || exit 1
chmod 0755 "$work" # apt's _apt user reads downloads inside the roots
A=$work/build B=$work/install
mkdir -p "$work/log"

cleanup() {
	local t=$SECONDS
	if [ "${PACKAGE_KEEP:-}" = 1 ]; then
		echo "# roots kept: $A $B (root_destroy DIR removes one)"
		return
	fi
	root_destroy "$A" && root_destroy "$B" && rm -rf --one-file-system "$work" ||
		echo "# could not remove $work: unmount what is left and remove it by hand" >&2
	echo "# time: remove the roots $((SECONDS - t)) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stage NAME COMMAND...: runs COMMAND with its output in a log, prints the
# time it took, and the log's end if it failed.
stage() {
	local name=$1 t=$SECONDS log rc
	shift
	log=$work/log/$(tr -c 'a-zA-Z0-9\n' '-' <<<"$name").log
	"$@" >"$log" 2>&1
	rc=$?
	echo "# time: $name $((SECONDS - t)) s"
	if [ $rc -ne 0 ]; then
		echo "# $name failed (exit $rc); the end of its output:"
		tail -25 "$log" | sed 's/^/#   /'
	fi
	return $rc
}

# check NAME COMMAND...: one "ok" or "not ok" line, with the output of a
# failed command.
check() {
	local name=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then
		ok "$name"
	else
		bad "$name"
		tail -15 "$work/check.out" | sed 's/^/#   /'
	fi
}

# A root's / keeps the mode of the directory it was bootstrapped in (0700
# from mktemp): open it, or apt's _apt user and lintian as nobody cannot
# read inside.
new_root() { root_create "$1" && chmod 0755 "$1"; }
in_a() { root_run "$A" "$*"; }
in_b() { root_run "$B" "$*"; }
apt_install() { echo "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends $*"; }

finish() {
	echo "# $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

start=$SECONDS
commit=$(git rev-parse HEAD) || exit 1
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "# note: uncommitted changes are not in the clone; this checks $commit"

# --- A: the build ---
if ! stage "root A: create" new_root "$A"; then
	bad "root A is created"
	finish
fi
clone() {
	git clone -q --no-local "$src" "$A/src/siobpf" &&
		git -C "$A/src/siobpf" checkout -q --detach "$commit"
}
if stage "root A: clone" clone; then
	ok "root A holds a clone of $commit with its whole history"
else
	bad "root A holds a clone of $commit"
	finish
fi
if stage "root A: build-essential, devscripts, Build-Depends" in_a "apt-get update -q && $(apt_install build-essential devscripts) &&
	cd /src/siobpf && apt-get build-dep -y -q --no-install-recommends ./"; then
	ok "root A has build-essential, devscripts and the Build-Depends"
else
	bad "root A has build-essential, devscripts and the Build-Depends"
	finish
fi

version=$(in_a 'cd /src/siobpf && dpkg-parsechangelog -S Version')
upstream=${version%-*}
arch=$(in_a 'dpkg --print-architecture')
deb=siobpf_${version}_${arch}.deb
if stage "root A: dpkg-buildpackage" in_a 'cd /src/siobpf && dpkg-buildpackage -us -uc -b' &&
	[ -f "$A/src/$deb" ]; then
	ok "dpkg-buildpackage -us -uc -b builds $deb"
else
	bad "dpkg-buildpackage -us -uc -b builds $deb"
	finish
fi
cp "$A/src/$deb" "$work/$deb"
[ -n "${PACKAGE_OUT:-}" ] && mkdir -p "$PACKAGE_OUT" && cp "$work/$deb" "$PACKAGE_OUT/"

lintian_run() {
	in_a "$(apt_install lintian)" >/dev/null &&
		in_a "cd /src && runuser -u nobody -- env HOME=/tmp lintian --fail-on error --info $deb" \
			>"$work/lintian.out" 2>&1
}
if stage "root A: lintian" lintian_run; then
	ok "lintian reports no error in $deb"
else
	bad "lintian reports no error in $deb"
fi
if grep -qE '^[EWI]: ' "$work/lintian.out"; then
	grep -E '^[EWI]: ' "$work/lintian.out" | sed 's/^/# lintian: /'
else
	sed 's/^/# lintian: /' "$work/lintian.out" | tail -15
fi

# --- B: the installed package ---
if ! stage "root B: create" new_root "$B"; then
	bad "root B is created"
	finish
fi
cp "$work/$deb" "$B/tmp/$deb"
# The files /usr/local holds before (the root's own links, the CI's CA
# bundle). Directories may appear: ca-certificates, a dependency's, makes
# /usr/local/share/ca-certificates.
in_b 'find /usr/local ! -type d | sort >/tmp/usr-local.before'
if stage "root B: apt-get install ./$deb" in_b "apt-get update -q && cd /tmp &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./$deb"; then
	ok "apt-get install ./$deb in a fresh root brings every Depends"
else
	bad "apt-get install ./$deb in a fresh root brings every Depends"
	finish
fi

t=$SECONDS
unit=/usr/lib/systemd/system/siobpf@.service
example=/usr/share/doc/siobpf/examples/siobpf.yaml
check "siobpf version reports $upstream" in_b "siobpf version | tee /dev/stderr | grep -q '^siobpf $upstream '"
check "the man page is /usr/share/man/man8/siobpf.8.gz, a section 8 page" \
	in_b "zcat /usr/share/man/man8/siobpf.8.gz | head -1 | grep -q '^\.TH SIOBPF 8'"
check "siobpf-backend-setup is installed and its tools (ip, sysctl) with it" \
	in_b 'command -v ip sysctl && siobpf-backend-setup 2>&1; [ $? -eq 2 ]'
check "bash completion /usr/share/bash-completion/completions/siobpf is installed and parses" \
	in_b 'bash -n /usr/share/bash-completion/completions/siobpf &&
		. /usr/share/bash-completion/completions/siobpf && complete -p siobpf'
check "the unit $unit is installed and names /usr/sbin/siobpf" \
	in_b "grep -q '^ExecStart=/usr/sbin/siobpf run' $unit && ! grep -n /usr/local $unit"
check "the package enables no unit and starts nothing (no maintainer script, no link in /etc/systemd)" \
	in_b '! ls /var/lib/dpkg/info/siobpf.postinst 2>/dev/null && ! find /etc/systemd -name "siobpf*" | grep .'
check "/etc/default/siobpf is a conffile that sh reads" \
	in_b "dpkg-query -W -f='\${Conffiles}' siobpf | grep -q '/etc/default/siobpf ' && sh -n /etc/default/siobpf && sh -c '. /etc/default/siobpf'"
# The file is parsed whole before apply opens the maps: with no maps, a
# good file gets as far as "not loaded", a bad one is refused at its line.
parse() { echo "SIOBPF_PIN_DIR=/sys/fs/bpf/siobpf-parse-check siobpf apply --dry-run -f $1 2>&1 | tee /dev/stderr | grep -q 'is not loaded'"; }
check "the example $example parses (apply stops only at the absent maps)" in_b "$(parse $example)"
check "a typo in the example is refused (so the check above means something)" \
	in_b "sed 's/weight: 3/weigth: 3/' $example >/tmp/bad.yaml && ! { $(parse /tmp/bad.yaml); }"
check "the BIRD node configuration is installed among the examples" \
	in_b "grep -q 'template bgp siobpf_router4' /usr/share/doc/siobpf/examples/bird/siobpf-node.conf"
check "the package puts nothing under /usr/local" \
	in_b '! dpkg -L siobpf | grep ^/usr/local && find /usr/local ! -type d | sort | diff /tmp/usr-local.before -'
echo "# time: root B: file checks $((SECONDS - t)) s"

# systemd-analyze verify exits 0 on some faults (it warns and ignores a bad
# value), so a pass is exit 0 and no output; two broken units prove both.
verify() { echo "out=\$(systemd-analyze verify --man=no $1 2>&1); rc=\$?; echo \"\$out\"; [ \$rc -eq 0 ] && [ -z \"\$out\" ]"; }
if stage "root B: systemd (for systemd-analyze only)" in_b "$(apt_install systemd)"; then
	t=$SECONDS
	check "systemd-analyze verify passes siobpf@lo.service" in_b "$(verify siobpf@lo.service)"
	check "systemd-analyze verify fails a unit whose binary is missing" in_b \
		"sed 's|^ExecStart=/usr/sbin/siobpf |ExecStart=/usr/sbin/siobpf-missing |' $unit >/tmp/broken@.service &&
		! { $(verify /tmp/broken@lo.service); }"
	check "systemd-analyze verify fails a unit with a bad value" in_b \
		"sed 's|^Type=simple|Type=simpel|' $unit >/tmp/broken@.service && ! { $(verify /tmp/broken@lo.service); }"
	echo "# time: root B: unit checks $((SECONDS - t)) s"
else
	bad "systemd installs in root B for systemd-analyze"
fi
check "apt-get purge removes the package and its conffile" \
	in_b 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q siobpf && ! dpkg -s siobpf 2>/dev/null | grep -q "^Status: install" && [ ! -e /etc/default/siobpf ] && [ ! -e /usr/sbin/siobpf ]'

echo "# time: total before removal $((SECONDS - start)) s"
finish
