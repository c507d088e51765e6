#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs every Debian package siobpf's build and tests need; with --bench,
# also what `make bench` compares siobpf with. Idempotent: asks apt only for
# what is missing, and updates the package lists once.
#   deps.sh [--bench]
set -euo pipefail

packages=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	libmnl-dev libjson-c-dev libyaml-dev
	linux-libc-dev
	# siobpf run: probes and metrics
	libcurl4-openssl-dev libmicrohttpd-dev
	# tests (a minimal Debian lacks even sysctl and /etc/protocols, which
	# `ip rule ... ipproto icmp` reads)
	libcmocka-dev libclang-rt-14-dev iproute2 util-linux procps netbase ethtool curl socat nginx-light iputils-ping
	python3 strace redis-server
	git # tests/netns/test_upgrade.sh builds release 0.1.0 from the history
	# nft: test_flood.sh holds back a handshake's ACK and drops the flood at
	# the backends, test_egress.sh counts what each backend receives; the
	# bench DNATs by jhash
	nftables
	prometheus # promtool: tests/netns/test_metrics.sh lints the exposition
	# BIRD 2: tests/netns/test_announce.sh runs a router and two nodes speaking
	# BGP, the router's ECMP route built from what `siobpf run --announce` keeps
	bird2
)
if [ "${1:-}" = "--bench" ]; then
	packages+=(
		wrk                 # HTTP load, one per client namespace
		haproxy             # mode tcp, balance source, hash-type consistent
		libnginx-mod-stream # nginx stream proxy, hash $remote_addr consistent
		gnuplot-nox         # PNG charts (pngcairo)
	)
fi
# The Socket.IO tests (tests/e2e) run on Node.js and npm. Machines of this kind
# come with Node.js 20 and its npm; elsewhere take Debian's (Node.js 18 is enough).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Only promtool is wanted from prometheus: its postinst would enable and start a
# Prometheus server. A policy-rc.d (invoke-rc.d(8); deb-systemd-invoke honours it
# too) refuses that one start; a machine's own policy-rc.d is left as it is.
policy=/usr/sbin/policy-rc.d
new_prometheus=false
case " ${missing[*]} " in *" prometheus "*) new_prometheus=true ;; esac
if $new_prometheus && [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	cat >"$policy" <<'SH'
#!/bin/sh
# scripts/deps.sh, while it installs prometheus: promtool only, no server.
for a; do
	case "$a" in
	-*) ;;
	prometheus | prometheus.service) exit 101 ;;
	*) exit 0 ;;
	esac
done
exit 0
SH
	chmod 755 "$policy"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if $new_prometheus; then
	# Nor at boot, nor now should a permissive policy-rc.d have let it start.
	if [ -d /run/systemd/system ]; then
		systemctl disable --now prometheus.service >/dev/null 2>&1 || true
	else
		update-rc.d prometheus disable >/dev/null 2>&1 || true
		/etc/init.d/prometheus stop >/dev/null 2>&1 || true
	fi
fi
