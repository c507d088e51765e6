#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Path-MTU discovery through direct server return, with real TCP and a real
# router. The backend's replies reach the client through a router whose
# client-side link is narrower than the backend's; the router's "fragmentation
# needed" (IPv4) or "packet too big" (IPv6) goes to the source of the reply,
# the VIP, which routes to the balancer. siobpf must pass it on to the
# backend that owns the flow, or the backend keeps sending segments that
# cannot pass and the transfer stalls.
#
#   client (MTU 1500) -- router (client side MTU 1400) -- segment S
#   segment S: balancer (siobpf, generic XDP), backend (VIP on lo, default
#   route via the router)
#
# The control first keeps the router's ICMP errors from the balancer: the
# same download must stall. Then, with the errors let through,
# it completes, and the backend's route to the client carries the learned
# MTU.
SIO_NS=siopmtu
source "$(dirname "$0")/lib.sh"

require python3 curl sha256sum ip ethtool

VIP4P=10.88.100.1
VIP6P=fd88::100
NARROW=1400
T=$(mktemp -d /tmp/siopmtu.XXXXXX)

ns() { ip netns exec "$SIO_NS-$1" "${@:2}"; }

down() {
	local n
	siobpf unload eth0 >/dev/null 2>&1 || true
	for n in sw lb b1 r c; do
		ip netns pids "$SIO_NS-$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$SIO_NS-$n" 2>/dev/null || true
	done
	rm -rf "$SIOBPF_PIN_DIR" 2>/dev/null || true
}
cleanup() { down; rm -rf "$T"; }

# plug NS: NS's eth0 on segment S, full checksums (see TESTING.md).
plug() {
	setup ip link add eth0 netns "$SIO_NS-$1" type veth peer name "$1" netns "$SIO_NS-sw"
	setup ns sw ip link set "$1" master br0 up
	setup ns "$1" ip link set eth0 up
	setup ns "$1" ip link set lo up
	setup ns "$1" ethtool -K eth0 tx off >/dev/null
}

up() {
	local n
	down
	for n in sw lb b1 r c; do setup ip netns add "$SIO_NS-$n"; done
	setup ns sw ip link add br0 type bridge
	setup ns sw ip link set br0 up
	setup ns sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	for n in lb b1 r; do plug "$n"; done

	setup ns lb ip addr add 10.88.0.1/24 dev eth0
	setup ns lb ip addr add fd88::1/64 dev eth0 nodad
	setup ns b1 ip addr add 10.88.0.11/24 dev eth0
	setup ns b1 ip addr add fd88::11/64 dev eth0 nodad
	setup ns b1 "$ROOT/scripts/backend-setup.sh" "$VIP4P" "$VIP6P"
	setup ns b1 ip route add default via 10.88.0.254
	setup ns b1 ip -6 route add default via fd88::fe

	# The router: segment S on eth0, the client's network on eth1, whose
	# MTU is the narrow link. The VIP routes to the balancer.
	setup ns r ip addr add 10.88.0.254/24 dev eth0
	setup ns r ip addr add fd88::fe/64 dev eth0 nodad
	setup ip link add eth1 netns "$SIO_NS-r" type veth peer name eth0 netns "$SIO_NS-c"
	setup ns r ip link set eth1 mtu "$NARROW" up
	setup ns r ethtool -K eth1 tx off >/dev/null
	setup ns r ip addr add 10.88.9.1/24 dev eth1
	setup ns r ip addr add fd88:9::1/64 dev eth1 nodad
	setup ns r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# The control's dropped errors must not use up the rate limit.
	setup ns r sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	setup ns r ip route add "$VIP4P/32" via 10.88.0.1
	setup ns r ip -6 route add "$VIP6P/128" via fd88::1
	setup ns r ip route add blackhole "$VIP4P/32" table 100
	setup ns r ip -6 route add blackhole "$VIP6P/128" table 100

	# The client keeps MTU 1500, so it offers an MSS the narrow link cannot carry.
	setup ns c ip link set lo up
	setup ns c ip link set eth0 up
	setup ns c ethtool -K eth0 tx off >/dev/null
	setup ns c ip addr add 10.88.9.2/24 dev eth0
	setup ns c ip addr add fd88:9::2/64 dev eth0 nodad
	setup ns c ip route add default via 10.88.9.1
	setup ns c ip -6 route add default via fd88:9::1

	# A file of 512 KB: many full-size segments, all of them too big.
	setup mkdir -p "$T/www"
	setup head -c 524288 /dev/urandom >"$T/www/big"
	setup sha256sum <"$T/www/big" | cut -d' ' -f1 >"$T/want"
	ns b1 python3 -m http.server 80 --bind "$VIP4P" --directory "$T/www" >/dev/null 2>&1 &
	ns b1 python3 -m http.server 80 --bind "$VIP6P" --directory "$T/www" >/dev/null 2>&1 &
	ns lb ping -c1 -W1 10.88.0.11 >/dev/null
	ns lb ping -c1 -W1 fd88::11 >/dev/null
	for _ in $(seq 50); do
		ns b1 ss -ltn | grep -q "$VIP4P:80" && ns b1 ss -ltn | grep -q "\[$VIP6P\]:80" && return 0
		sleep 0.1
	done
	return 1
}

# fetch URL: the download's sha256 (empty when it does not complete in 5 s).
fetch() { ns c curl -s -g --max-time 5 "$1" | sha256sum | cut -d' ' -f1; }

# The router's own ICMP messages to the VIP dropped (drop) or routed to the
# balancer (pass): a policy rule sends what the router itself sends (iif lo)
# to a table where the VIP is a blackhole; the packets it forwards keep the
# main table.
router_errors() {
	if [ "$1" = drop ]; then
		setup ns r ip rule add ipproto icmp iif lo lookup 100
		setup ns r ip -6 rule add ipproto ipv6-icmp iif lo lookup 100
	else
		setup ns r ip rule del ipproto icmp iif lo lookup 100
		setup ns r ip -6 rule del ipproto ipv6-icmp iif lo lookup 100
	fi
}

# The MTU the backend has learned for the client (its route exception), or "".
learned_mtu() {
	ns b1 ip -o "$1" route get "$2" from "$3" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}

trap cleanup EXIT
if ! up; then
	fail "the PMTU topology comes up with the backend's HTTP servers listening"
	finish
	exit 1
fi
siobpf load eth0 --mode generic >/dev/null || fail "siobpf load eth0 --mode generic exits 0"
siobpf vip add "$VIP4P:80/tcp" >/dev/null || fail "vip add $VIP4P:80/tcp exits 0"
siobpf vip add "[$VIP6P]:80/tcp" >/dev/null || fail "vip add [$VIP6P]:80/tcp exits 0"
siobpf backend add "$VIP4P:80" 10.88.0.11 >/dev/null || fail "backend add 10.88.0.11 exits 0"
siobpf backend add "[$VIP6P]:80" fd88::11 >/dev/null || fail "backend add fd88::11 exits 0"
want=$(cat "$T/want")

for fam in 4 6; do
	if [ "$fam" = 4 ]; then
		url="http://$VIP4P/big" client=10.88.9.2 vip=$VIP4P what="fragmentation needed"
	else
		url="http://[$VIP6P]/big" client=fd88:9::2 vip=$VIP6P what="packet too big"
	fi

	# Control: without the router's errors the backend never learns.
	router_errors drop
	got=$(fetch "$url")
	expect_eq "IPv$fam control: with the router's $what dropped, the 512 KB download stalls" \
		"stalled" "$([ "$got" != "$want" ] && echo stalled || echo completed)"
	expect_eq "IPv$fam control: the backend has learned no MTU for the client" "" \
		"$(learned_mtu "-$fam" "$client" "$vip")"
	router_errors pass

	got=$(fetch "$url")
	expect_eq "IPv$fam: with siobpf passing the router's $what on, the download completes intact" \
		"$want" "$got"
	expect_eq "IPv$fam: the backend's route to the client carries the narrow link's MTU" \
		"$NARROW" "$(learned_mtu "-$fam" "$client" "$vip")"
done

finish
