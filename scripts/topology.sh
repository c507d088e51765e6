#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A test network of namespaces, never touching the host's interfaces:
#
#   client ns "$P-c" ─┐
#   balancer "$P-lb" ─┤ bridge in "$P-sw"
#   backends "$P-bN" ─┘
#
#   topology.sh up         build it (idempotent: an existing one is rebuilt)
#   topology.sh down       remove it
#   topology.sh add-redis  a namespace "$P-redis" on the bridge, 10.77.0.2, for
#                          the Socket.IO tests' Redis server
#
# Settings (environment): SIO_NS (namespace prefix, default "sio"),
# BACKENDS (3), CLIENTS4 (200), CLIENTS6 (50), CLIENT_NS (0: extra client
# namespaces "$P-c1".."$P-cN", one address each, 10.77.200.N / fd77::200:N,
# for tools that cannot pick a source address, like wrk), XDP_MODE (native|generic:
# native also attaches an XDP_PASS program to the bridge side of the
# balancer's veth, which veth needs to deliver XDP_TX frames).
#
# Addresses: balancer 10.77.0.1 / fd77::1; backend N 10.77.1.N / fd77::1:N;
# clients 10.77.2.1.. / fd77::2:1..; VIPs 10.77.100.1 / fd77::100, held on
# every backend's lo (backend-setup.sh) and routed by the client via the
# balancer.
set -euo pipefail
cd "$(dirname "$0")/.."

P=${SIO_NS:-sio}
BACKENDS=${BACKENDS:-3}
CLIENTS4=${CLIENTS4:-200}
CLIENTS6=${CLIENTS6:-50}
XDP_MODE=${XDP_MODE:-native}
BUILD=${BUILD:-build}
VIP4=10.77.100.1
VIP6=fd77::100

ns() { ip netns exec "$1" "${@:2}"; }

down() {
	local n
	for n in $(ip netns list | awk '{print $1}' | grep -E "^$P-(sw|lb|c[0-9]*|redis|b[0-9]+)$" || true); do
		# Servers started in the namespace die with it only once killed.
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n"
	done
}

# veth from namespace $1 (as eth0) to a bridge port $2 in the switch.
plug() {
	ip link add eth0 netns "$1" type veth peer name "$2" netns "$P-sw"
	ns "$P-sw" ip link set "$2" master br0 up
	ns "$1" ip link set eth0 up
	ns "$1" ip link set lo up
	# Sockets hand veth partial checksums; once native XDP has forwarded the
	# frame nobody completes them, so make the stack send full ones.
	ns "$1" ethtool -K eth0 tx off >/dev/null
}

up() {
	down
	ip netns add "$P-sw"
	ns "$P-sw" ip link add br0 type bridge
	ns "$P-sw" ip link set br0 up
	ns "$P-sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1

	ip netns add "$P-lb"
	plug "$P-lb" lb
	ns "$P-lb" ip addr add 10.77.0.1/16 dev eth0
	ns "$P-lb" ip addr add fd77::1/64 dev eth0 nodad
	if [ "$XDP_MODE" = native ]; then
		ns "$P-sw" ip link set dev lb xdpdrv obj "$BUILD/tests/xdp_pass.bpf.o" sec xdp
	fi

	ip netns add "$P-c"
	plug "$P-c" c
	local i
	for i in $(seq 1 "$CLIENTS4"); do
		echo "addr add 10.77.$((2 + (i - 1) / 250)).$(((i - 1) % 250 + 1))/16 dev eth0"
	done | ns "$P-c" ip -batch -
	for i in $(seq 1 "$CLIENTS6"); do
		printf 'addr add fd77::2:%x/64 dev eth0 nodad\n' "$i"
	done | ns "$P-c" ip -batch -
	ns "$P-c" ip route add "$VIP4/32" via 10.77.0.1
	ns "$P-c" ip -6 route add "$VIP6/128" via fd77::1

	for i in $(seq 1 "${CLIENT_NS:-0}"); do
		ip netns add "$P-c$i"
		plug "$P-c$i" "c$i"
		ns "$P-c$i" ip addr add "10.77.200.$i/16" dev eth0
		ns "$P-c$i" ip addr add "fd77::200:$i/64" dev eth0 nodad
		ns "$P-c$i" ip route add "$VIP4/32" via 10.77.0.1
		ns "$P-c$i" ip -6 route add "$VIP6/128" via fd77::1
	done

	for i in $(seq 1 "$BACKENDS"); do
		add_backend "$i"
	done
}

add_backend() {
	local i=$1 mac c
	ip netns add "$P-b$i"
	plug "$P-b$i" "b$i"
	ns "$P-b$i" ip addr add "10.77.1.$i/16" dev eth0
	ns "$P-b$i" ip addr add "fd77::1:$i/64" dev eth0 nodad
	ns "$P-b$i" scripts/backend-setup.sh "$VIP4" "$VIP6"
	# The clients as permanent neighbours. The kernel's ARP and ND tables
	# are shared by all namespaces, and their dynamic entries by all count
	# against one limit (net.ipv4/ipv6.neigh.default.gc_thresh3, 1024);
	# backends answering hundreds of clients directly (DSR), next to other
	# topologies on the machine, overflow it and drop packets ("neighbor
	# table overflow!"). Permanent entries are exempt.
	mac=$(ns "$P-c" cat /sys/class/net/eth0/address)
	{
		for c in $(seq 1 "$CLIENTS4"); do
			echo "neigh replace 10.77.$((2 + (c - 1) / 250)).$(((c - 1) % 250 + 1)) lladdr $mac nud permanent dev eth0"
		done
		for c in $(seq 1 "$CLIENTS6"); do
			printf 'neigh replace fd77::2:%x lladdr %s nud permanent dev eth0\n' "$c" "$mac"
		done
		for c in $(seq 1 "${CLIENT_NS:-0}"); do
			mac=$(ns "$P-c$c" cat /sys/class/net/eth0/address)
			echo "neigh replace 10.77.200.$c lladdr $mac nud permanent dev eth0"
			echo "neigh replace fd77::200:$c lladdr $mac nud permanent dev eth0"
		done
	} | ns "$P-b$i" ip -batch -
}

add_redis() {
	ip netns add "$P-redis"
	plug "$P-redis" redis
	ns "$P-redis" ip addr add 10.77.0.2/16 dev eth0
}

case "${1:-}" in
up) up ;;
down) down ;;
add-backend) add_backend "$2" ;;
add-redis) add_redis ;;
*) echo "usage: $0 up|down|add-backend N|add-redis" >&2; exit 2 ;;
esac
