# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Sourced by the scale-out tests, after lib.sh: two siobpf nodes on the
# backends' L2 (DSR) behind a BIRD 2 router with ECMP over BGP, clients behind
# the router, each node with contrib/bird/siobpf-node.conf. It defines the
# namespaces and their builders (topology, router_bird, node_bird), siobpf on
# a node (on), its daemon (start_daemon, stop_daemon, which run with the
# test's $TOP/siobpf.yaml) and the checks on routes, addresses and clients;
# the test builds what it needs from them in its own order. Everything is
# torn down on exit.
#
#   clients "$P-c" ── router "$P-r" ──┐ bridge in "$P-sw": 10.77.0.0/16
#   10.88.1.N          10.88.0.1       ├── node 1 "$P-n1" 10.77.0.11 ┐ siobpf (DSR)
#                      10.77.0.254     ├── node 2 "$P-n2" 10.77.0.12 ┘ + BIRD, AS 65001
#                      BIRD, AS 65000  └── backends "$P-bN" 10.77.1.N (nginx: "bN")

P=$SIO_NS
VIP1=10.77.100.1 VIP2=10.77.100.2 VIP3=10.77.100.3 VIP6=fd77::100
CLIENTS=24
HOLD=3 # the BGP hold time of contrib/bird/siobpf-node.conf
TOP=$(mktemp -d /tmp/siobpf-announce.XXXXXX)
PIN1=$SIOBPF_PIN_DIR-n1 PIN2=$SIOBPF_PIN_DIR-n2
declare -A DAEMON

# A private copy of the build, so that a rebuild while the test runs cannot
# swap the binary under it.
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/siobpf" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "a working $BUILD/siobpf and $BUILD/tests/xdp_pass.bpf.o (run make tests)"; finish; exit 1; }
BIN=$TOP/build/siobpf

ns() { ip netns exec "$P-$1" "${@:2}"; }
# on NODE ARGS...: siobpf in a node's namespace, with its own pin directory.
on() {
	local pin
	pin=$([ "$1" = n1 ] && echo "$PIN1" || echo "$PIN2")
	SIOBPF_PIN_DIR=$pin nsenter --net="/run/netns/$P-$1" "$BIN" "${@:2}"
}

# Everything this test makes, whether it got that far or not.
teardown() {
	local n f
	for n in n1 n2; do
		[ -n "${DAEMON[$n]:-}" ] && kill "${DAEMON[$n]}" 2>/dev/null && wait "${DAEMON[$n]}" 2>/dev/null
	done
	for f in "$TOP"/bird-*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	"$ROOT/scripts/servers.sh" stop >/dev/null 2>&1 || true
	for n in n1 n2; do
		on "$n" unload eth0 >/dev/null 2>&1 || true
	done
	for n in $(ip netns list | awk '{print $1}' | grep -E "^$P-(sw|r|c|n[0-9]|b[0-9]+)$"); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n"
	done
	rm -rf "$PIN1" "$PIN2" 2>/dev/null || true
	rm -f "/run/siobpf/announce${PIN1//\//_}.state" "/run/siobpf/announce${PIN2//\//_}.state"
}
teardown
trap 'teardown; rm -rf "$TOP"' EXIT

# until SECONDS COMMAND...: the command succeeds within SECONDS (polled).
until_ok() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# veth from namespace $1 (as eth0) to the bridge, port $2.
plug() {
	ip link add eth0 netns "$P-$1" type veth peer name "$2" netns "$P-sw"
	ns sw ip link set "$2" master br0 up
	ns "$1" ip link set eth0 up
	ns "$1" ip link set lo up
}

topology() {
	local i n
	ip netns add "$P-sw" && ns sw ip link add br0 type bridge && ns sw ip link set br0 up || return 1
	ns sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns add "$P-r" && plug r r || return 1
	ns r ip addr add 10.77.0.254/16 dev eth0
	ns r ip addr add fd77::254/64 dev eth0 nodad
	ns r sysctl -qw net.ipv4.ip_forward=1
	ip netns add "$P-c" || return 1
	ip link add eth1 netns "$P-r" type veth peer name eth0 netns "$P-c"
	ns r ip link set eth1 up
	ns r ip addr add 10.88.0.1/16 dev eth1
	ns c ip link set eth0 up
	ns c ip link set lo up
	# Sockets hand veth partial checksums, which native XDP on a node would
	# forward unfinished: the clients send full ones.
	ns c ethtool -K eth0 tx off >/dev/null
	for i in $(seq "$((2 * CLIENTS))"); do echo "addr add 10.88.1.$i/16 dev eth0"; done | ns c ip -batch - || return 1
	ns c ip route add default via 10.88.0.1
	for n in 1 2; do
		ip netns add "$P-n$n" && plug "n$n" "n$n" || return 1
		ns "n$n" ip addr add "10.77.0.1$n/16" dev eth0
		ns "n$n" ip addr add "fd77::1$n/64" dev eth0 nodad
		# XDP_TX from a native-mode veth is delivered only if its peer has XDP.
		ns sw ip link set dev "n$n" xdpdrv obj "$TOP/build/tests/xdp_pass.bpf.o" sec xdp || return 1
	done
	for i in 1 2 3; do
		ip netns add "$P-b$i" && plug "b$i" "b$i" || return 1
		ns "b$i" ip addr add "10.77.1.$i/16" dev eth0
		ns "b$i" ip addr add "fd77::1:$i/64" dev eth0 nodad
		ns "b$i" ip route add 10.88.0.0/16 via 10.77.0.254
		ns "b$i" "$ROOT/scripts/backend-setup.sh" "$VIP1" "$VIP2" "$VIP6" >/dev/null || return 1
	done
}

# The router: eBGP from both nodes into the kernel, their routes merged into
# one multipath route.
router_bird() {
	cat >"$TOP/bird-r.conf" <<EOF
router id 10.77.0.254;
protocol device { }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
protocol kernel {
	ipv6 { import none; export all; };
	merge paths on;
}
template bgp node {
	local as 65000;
	hold time $HOLD;
	keepalive time 1;
	connect retry time 2;
}
protocol bgp n1 from node { neighbor 10.77.0.11 as 65001; ipv4 { import all; export none; }; }
protocol bgp n2 from node { neighbor 10.77.0.12 as 65001; ipv4 { import all; export none; }; }
protocol bgp n1_v6 from node { neighbor fd77::11 as 65001; ipv6 { import all; export none; }; }
protocol bgp n2_v6 from node { neighbor fd77::12 as 65001; ipv6 { import all; export none; }; }
EOF
	ns r bird -c "$TOP/bird-r.conf" -s "$TOP/bird-r.ctl" -P "$TOP/bird-r.pid"
}

# A node: the shipped configuration, with only its variables and sessions.
node_bird() {
	cat >"$TOP/bird-$1.conf" <<EOF
router id $2;
define SIOBPF_LOCAL_AS = 65001;
define SIOBPF_VIP4 = [ 10.77.100.0/24{32,32} ];
define SIOBPF_VIP6 = [ fd77::100/120{128,128} ];
include "$ROOT/contrib/bird/siobpf-node.conf";
protocol bgp router1 from siobpf_router4 { neighbor 10.77.0.254 as 65000; }
protocol bgp router1_v6 from siobpf_router6 { neighbor fd77::254 as 65000; }
EOF
	ns "$1" bird -c "$TOP/bird-$1.conf" -s "$TOP/bird-$1.ctl" -P "$TOP/bird-$1.pid"
}

# start_daemon NODE [ARGS...]
start_daemon() {
	echo "=== siobpf run --announce lo ${*:2}" >>"$TOP/run-$1.log"
	SIOBPF_PIN_DIR=$([ "$1" = n1 ] && echo "$PIN1" || echo "$PIN2") \
		nsenter --net="/run/netns/$P-$1" "$BIN" run --config "$TOP/siobpf.yaml" --announce lo "${@:2}" \
		>>"$TOP/run-$1.log" 2>&1 &
	DAEMON[$1]=$!
}

# stop_daemon NODE: SIGTERM, and waits for the exit.
stop_daemon() {
	kill -TERM "${DAEMON[$1]}" 2>/dev/null
	wait "${DAEMON[$1]}" 2>/dev/null
	DAEMON[$1]=
}

# A command's output whole, then grep: with pipefail, `cmd | grep -q` fails
# whenever grep's early exit makes cmd's next write a SIGPIPE.
# on_lo NODE ADDR...: the node's lo has each ADDR/32; off_lo: none of them.
on_lo() {
	local a out
	out=$(ns "$1" ip -4 addr show dev lo) || return 1
	for a in "${@:2}"; do grep -qw "inet $a/32" <<<"$out" || return 1; done
}
off_lo() {
	local a out
	out=$(ns "$1" ip -4 addr show dev lo) || return 1
	for a in "${@:2}"; do ! grep -qw "inet $a/32" <<<"$out" || return 1; done
}
# nexthops VIP: the router's next hops for VIP, sorted, space-separated.
nexthops() {
	ns r ip -4 route show "$1/32" | grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | paste -sd' '
}
nexthops_are() { [ "$(nexthops "$1")" = "$2" ]; }
nexthops6() {
	ns r ip -6 route show "$1/128" | grep -oE 'via [0-9a-f:]+' | awk '{print $2}' | sort | paste -sd' '
}
nexthops6_are() { [ "$(nexthops6 "$1")" = "$2" ]; }
# on_lo6 NODE ADDR: the node's lo has ADDR/128, added without DAD.
on_lo6() { grep -qE "inet6 $2/128 .*nodad" <<<"$(ns "$1" ip -6 addr show dev lo)"; }
established() {
	local p
	for p in "$@"; do grep -q Established <<<"$(ns r birdc -s "$TOP/bird-r.ctl" show protocols "$p" 2>/dev/null)" || return 1; done
}
BOTH="10.77.0.11 10.77.0.12"

# clients_run FIRST LAST CONNS OUT: CONNS HTTP requests (new connections, new
# source ports) from each client FIRST..LAST to VIP1; OUT gets "CLIENT name...".
clients_run() {
	local i j names
	: >"$4"
	for i in $(seq "$1" "$2"); do
		names=
		for j in $(seq "$3"); do
			names+=" $(ns c curl -s --max-time 3 --interface "10.88.1.$i" "http://$VIP1/" || echo -)"
		done
		echo "10.88.1.$i$names" >>"$4"
	done
}

# agree OUT: every client's answers name one backend ("" when so; else the first
# that disagreed or failed).
agree() {
	awk '{ for (i = 3; i <= NF; i++) if ($i != $2 || $2 == "-") { print $0; exit } }' "$1"
}

# moved BEFORE AFTER: clients whose backend differs (or failed) between two runs.
moved() {
	awk 'NR == FNR { was[$1] = $2; next } { for (i = 2; i <= NF; i++) if ($i != was[$1]) { n++; break } }
		END { print n + 0 }' "$1" "$2"
}

# vip_packets NODE: the packets node's siobpf counted for VIP1.
vip_packets() {
	on "$1" stats --json | python3 -c '
import json, sys
print(next(v["packets"] for v in json.load(sys.stdin)["vips"] if v["vip"].startswith(sys.argv[1] + ":")))' "$VIP1"
}

# sticky_on FIRST LAST: for each client, the nodes that hold a sticky entry
# for it ("n1", "n2", "n1n2" or "-"), one line each.
sticky_on() {
	local i n where
	for i in $(seq "$1" "$2"); do
		where=
		for n in n1 n2; do
			grep -qE '"reason": *"sticky"' <<<"$(on "$n" lookup "$VIP1:80" "10.88.1.$i" --json)" && where+=$n
		done
		echo "${where:--}"
	done
}

