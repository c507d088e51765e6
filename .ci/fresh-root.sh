# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Fresh minimal Debian 12 roots for CI (sourced by .ci/run). A root has only
# what `debootstrap --variant=minbase` gives, plus this machine's way of
# reaching the package registries (resolver, apt configuration, CA bundle):
# that is machine setup, so it lives here and not in scripts/deps.sh. Every
# package the project needs must then come from its own scripts.
#
#   root_create DIR      bootstrap (from a cached tarball when there is one),
#                        carry the registry setup in, mount proc/sys/dev/run/bpffs
#   root_run DIR CMD     run CMD (a bash command line) as root inside DIR
#   root_destroy DIR     stop what still runs there, unmount, remove
#
# Settings (environment): FRESH_ROOT_CACHE (default /var/cache/siobpf-ci),
# FRESH_ROOT_MIRROR (default: the Debian mirror this machine's apt sources name).

FRESH_ROOT_CACHE=${FRESH_ROOT_CACHE:-/var/cache/siobpf-ci}
FRESH_ROOT_SUITE=bookworm

# The first Debian mirror of the host's apt sources (deb822 or one-line form).
fresh_root_mirror() {
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v -- '-security' | head -1)
	[ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | head -1)
	[ -n "$uri" ] || { echo "fresh-root: no Debian mirror in /etc/apt sources" >&2; return 1; }
	echo "$uri"
}

# The untouched result of debootstrap, kept as a tarball so that later runs
# unpack it in seconds instead of bootstrapping again.
fresh_root_tarball() {
	local tarball=$FRESH_ROOT_CACHE/$FRESH_ROOT_SUITE-minbase.tar.gz tmp mirror
	if [ -s "$tarball" ]; then
		echo "$tarball"
		return 0
	fi
	command -v debootstrap >/dev/null || {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
	} || { echo "fresh-root: cannot install debootstrap" >&2; return 1; }
	mirror=${FRESH_ROOT_MIRROR:-$(fresh_root_mirror)} || return 1
	mkdir -p "$FRESH_ROOT_CACHE"
	tmp=$(mktemp -d "$FRESH_ROOT_CACHE/bootstrap.XXXXXX")
	echo "fresh-root: debootstrap --variant=minbase $FRESH_ROOT_SUITE from $mirror" >&2
	if ! debootstrap --variant=minbase "$FRESH_ROOT_SUITE" "$tmp" "$mirror" >"$tmp.log" 2>&1; then
		tail -20 "$tmp.log" >&2
		rm -rf --one-file-system "$tmp" "$tmp.log"
		return 1
	fi
	chmod 0755 "$tmp" # mktemp's 0700 would become the root's /
	tar -C "$tmp" -czf "$tarball.part" . && mv "$tarball.part" "$tarball"
	rm -rf --one-file-system "$tmp" "$tmp.log"
	echo "$tarball"
}

root_create() {
	local dir=$1 tarball f
	tarball=$(fresh_root_tarball) || return 1
	mkdir -p "$dir"
	tar -C "$dir" -xzf "$tarball" || return 1
	# / must be open to every user (a test runs siobpf as nobody); a tarball
	# cached by an older version of this script kept mktemp's 0700.
	chmod 0755 "$dir"

	# Reaching the registries as this machine does.
	cp /etc/resolv.conf "$dir/etc/resolv.conf"
	cp /etc/hosts "$dir/etc/hosts"
	rm -f "$dir/etc/apt/sources.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && cp "$f" "$dir$f"
	done
	for f in /etc/apt/apt.conf.d/* /etc/apt/preferences.d/* /etc/apt/trusted.gpg.d/*; do
		[ -f "$f" ] && cp "$f" "$dir$f"
	done
	# The CA bundle twice: where curl and apt look, and at a path that the
	# ca-certificates package (if a script installs it) does not rewrite,
	# for Node.js's NODE_EXTRA_CA_CERTS.
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		mkdir -p "$dir/etc/ssl/certs" "$dir/usr/local/share/siobpf-ci"
		cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
		cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" \
			"$dir/usr/local/share/siobpf-ci/ca.crt"
	fi
	# Package maintainer scripts must not start services inside the root:
	# they would outlive the run and keep the root busy.
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 0755 "$dir/usr/sbin/policy-rc.d"

	# `ip netns exec` remounts / as a slave: the root must be a mount point.
	mount --bind "$dir" "$dir" &&
		mount -t proc proc "$dir/proc" &&
		mount --rbind /sys "$dir/sys" && mount --make-rslave "$dir/sys" &&
		mount --rbind /dev "$dir/dev" && mount --make-rslave "$dir/dev" &&
		mount -t tmpfs tmpfs "$dir/run" &&
		mount -t bpf bpf "$dir/sys/fs/bpf" || {
		echo "fresh-root: mounting $dir failed" >&2
		return 1
	}
}

# Runs a bash command line inside the root with a clean environment, as CI's
# own machine would have it.
root_run() {
	local dir=$1
	shift
	local ca=
	[ -f "$dir/usr/local/share/siobpf-ci/ca.crt" ] && ca=/usr/local/share/siobpf-ci/ca.crt
	chroot "$dir" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
		${ca:+NODE_EXTRA_CA_CERTS=$ca} \
		/bin/bash -c "$*"
}

root_destroy() {
	local dir=$1 pid root
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd -P)
	# Whatever a test left running in the root (a server, a daemon).
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		root=$(readlink "/proc/$pid/root" 2>/dev/null) || continue
		case "$root" in "$dir" | "$dir"/*) kill -9 "$pid" 2>/dev/null ;; esac
	done
	sleep 0.5
	# Namespaces made inside the root are bind mounts under its /run/netns.
	umount -R "$dir" 2>/dev/null || umount -R -l "$dir" 2>/dev/null || true
	if mountpoint -q "$dir" || grep -q " $dir/" /proc/self/mounts; then
		echo "fresh-root: $dir is still mounted; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$dir"
}
