#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Two siobpf nodes behind a BIRD 2 router with ECMP over BGP, each running
# `siobpf run --announce lo` and BIRD with contrib/bird/siobpf-node.conf. It
# proves that:
#
#  1. the router learns each VIP from both nodes (two next hops), IPv4 and
#     IPv6, with net.ipv4.fib_multipath_hash_policy 0 and with 1;
#  2. every client reaches the same backend through either node: with the L3
#     hash (0) each client keeps to one node, with the L4 hash (1) a client's
#     connections cross the nodes and still agree, and both nodes forward;
#  3. a VIP whose backends are all down on node 1 is withdrawn by node 1 (its
#     address off lo, the router down to one next hop) and comes back when one
#     is up again, while the other VIP stays announced;
#  4. SIGTERM, and a reload that pins new maps, keep the addresses;
#     --withdraw-on-exit removes them;
#  5. `siobpf announce withdraw` removes node 1's addresses, the router drops
#     its next hop within the BGP hold time, and every client keeps its backend
#     through node 2 (0 moved); `announce resume` brings node 1 back;
#  6. an operator's address equal to a VIP's is never removed;
#  6b. a node whose program is detached is not ready and withdraws; a
#     withdrawal works with no daemon running, and a daemon started on a
#     withdrawn node keeps it withdrawn;
#  7. status and the metrics show what is announced;
#  8. --announce with a missing interface is refused, naming it; one lost
#     under the daemon is logged once and counted, and the daemon carries on.
#
#   clients "$P-c" ── router "$P-r" ──┐ bridge in "$P-sw": 10.77.0.0/16
#   10.88.1.N          10.88.0.1       ├── node 1 "$P-n1" 10.77.0.11 ┐ siobpf (DSR)
#                      10.77.0.254     ├── node 2 "$P-n2" 10.77.0.12 ┘ + BIRD, AS 65001
#                      BIRD, AS 65000  └── backends "$P-bN" 10.77.1.N (nginx: "bN")
SIO_NS=sioan
source "$(dirname "$0")/lib.sh"
require bird birdc curl nginx python3 ethtool nsenter timeout promtool

P=$SIO_NS
VIP1=10.77.100.1 VIP2=10.77.100.2 VIP3=10.77.100.3 VIP6=fd77::100
CLIENTS=24
HOLD=3 # the BGP hold time of contrib/bird/siobpf-node.conf
TOP=$(mktemp -d /tmp/siobpf-announce.XXXXXX)
LOG=$TOP/run-n1.log
PIN1=$SIOBPF_PIN_DIR-n1 PIN2=$SIOBPF_PIN_DIR-n2
METRICS=127.0.0.1:9481
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

# The same configuration on both nodes, so the same rings.
cat >"$TOP/siobpf.yaml" <<EOF
vips:
  - vip: $VIP1:80/tcp
    probe: { type: tcp, interval: 500, rise: 1, fall: 2 }
    backends: [ { address: 10.77.1.1 }, { address: 10.77.1.2 }, { address: 10.77.1.3 } ]
  - vip: $VIP2:80/tcp
    probe: { type: tcp, interval: 500, rise: 1, fall: 2 }
    backends: [ { address: 10.77.1.1 }, { address: 10.77.1.2 }, { address: 10.77.1.3 } ]
  - vip: $VIP3:80/tcp
    probe: { type: none }
    backends: [ { address: 10.77.1.1, state: down } ]
  - vip: "[$VIP6]:80/tcp"
    probe: { type: tcp, interval: 500, rise: 1, fall: 2 }
    backends: [ { address: "fd77::1:1" }, { address: "fd77::1:2" }, { address: "fd77::1:3" } ]
EOF

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

# ============================================================== setup
setup topology
setup "$ROOT/scripts/servers.sh" start 1 2 3
for i in 1 2 3; do
	setup until_ok 5 ns r curl -s --max-time 1 -o /dev/null "http://10.77.1.$i/"
done
setup router_bird
# An operator's own address equal to VIP3's, on node 1's lo before the daemon starts.
setup ns n1 ip addr add "$VIP3/32" dev lo
for n in 1 2; do
	setup on "n$n" load eth0
	setup node_bird "n$n" "10.77.0.1$n"
done
start_daemon n1 --metrics "$METRICS"
start_daemon n2

# ============================================================== announce and ECMP
for n in n1 n2; do
	check "$n: siobpf run --announce lo puts $VIP1 and $VIP2 on lo (their backends are up)" \
		until_ok 10 on_lo "$n" "$VIP1" "$VIP2"
done
check "BGP sessions from both nodes are established at the router" \
	until_ok 20 established n1 n2 n1_v6 n2_v6
check "the router learns $VIP1 from both nodes: two next hops" until_ok 10 nexthops_are "$VIP1" "$BOTH"
check "the router learns $VIP2 from both nodes: two next hops" until_ok 10 nexthops_are "$VIP2" "$BOTH"
for n in n1 n2; do
	check "$n: $VIP6/128 is on lo, without DAD" until_ok 5 on_lo6 "$n" "$VIP6"
done
check "the router learns $VIP6 over the IPv6 sessions from both nodes: two next hops" \
	until_ok 10 nexthops6_are "$VIP6" "fd77::11 fd77::12"
# VIP3 has no backend up: siobpf announces it nowhere, but node 1's lo holds
# an operator's address equal to it, which siobpf leaves and BIRD exports.
check "$VIP3 (no backend up) reaches the router only from node 1, whose operator put it on lo" \
	until_ok 5 nexthops_are "$VIP3" 10.77.0.11
expect_eq "the router learns nothing but VIP addresses from the nodes (not lo's 127.0.0.1, not eth0's network)" \
	"$VIP1 $VIP2 $VIP3" "$(ns r ip -4 route show proto bird | awk '$1 != "nexthop" {print $1}' | sort | paste -sd' ')"

# ============================================================== test 1: same backend through either node
ns r sysctl -qw net.ipv4.fib_multipath_hash_policy=0
check "with fib_multipath_hash_policy 0 the router has both next hops for $VIP1" nexthops_are "$VIP1" "$BOTH"
p1=$(vip_packets n1) p2=$(vip_packets n2)
clients_run 1 "$CLIENTS" 4 "$TOP/l3"
expect_eq "policy 0: each of $CLIENTS clients' 4 connections reach one backend" "" "$(agree "$TOP/l3")"
expect_eq "policy 0: the clients are spread over the 3 backends" "b1 b2 b3" \
	"$(awk '{print $2}' "$TOP/l3" | sort -u | paste -sd' ')"
q1=$(vip_packets n1) q2=$(vip_packets n2)
check "policy 0: traffic went through both nodes (VIP packets on node 1 $p1 -> $q1, node 2 $p2 -> $q2)" \
	test "$q1" -gt "$p1" -a "$q2" -gt "$p2"
sticky_on 1 "$CLIENTS" >"$TOP/l3.where"
expect_eq "policy 0 (L3 hash): no client was seen by both nodes" 0 "$(grep -c n1n2 "$TOP/l3.where")"
expect_eq "policy 0: every client was seen by a node" 0 "$(grep -cx -- - "$TOP/l3.where")"

ns r sysctl -qw net.ipv4.fib_multipath_hash_policy=1
check "with fib_multipath_hash_policy 1 the router has both next hops for $VIP1" nexthops_are "$VIP1" "$BOTH"
p1=$q1 p2=$q2
# New clients, never seen: a sticky entry on both nodes shows that their
# connections crossed the nodes.
clients_run "$((CLIENTS + 1))" "$((2 * CLIENTS))" 6 "$TOP/l4"
expect_eq "policy 1: each of $CLIENTS new clients' 6 connections reach one backend" "" "$(agree "$TOP/l4")"
q1=$(vip_packets n1) q2=$(vip_packets n2)
check "policy 1: traffic went through both nodes (VIP packets on node 1 $p1 -> $q1, node 2 $p2 -> $q2)" \
	test "$q1" -gt "$p1" -a "$q2" -gt "$p2"
sticky_on "$((CLIENTS + 1))" "$((2 * CLIENTS))" >"$TOP/l4.where"
crossed=$(grep -c n1n2 "$TOP/l4.where")
check "policy 1 (L4 hash): clients' connections crossed the nodes ($crossed of $CLIENTS seen by both) and still agree" \
	test "$crossed" -ge $((CLIENTS / 2))
clients_run 1 "$CLIENTS" 4 "$TOP/l3b"
expect_eq "policy 1: the first $CLIENTS clients, now over both nodes, moved nowhere" 0 "$(moved "$TOP/l3" "$TOP/l3b")"
cat "$TOP/l4" "$TOP/l3" >"$TOP/all"

# ============================================================== test 5: a VIP without backends up
for i in 1 2 3; do on n1 backend set "$VIP2:80" "10.77.1.$i" --state down >/dev/null; done
check "node 1 withdraws $VIP2 once all its backends are down there" until_ok 3 off_lo n1 "$VIP2"
check "the router has one next hop for $VIP2 (node 2) within the hold time" \
	until_ok $((HOLD + 2)) nexthops_are "$VIP2" 10.77.0.12
check "node 1 keeps $VIP1 (its backends are up)" on_lo n1 "$VIP1"
check "the router keeps both next hops for $VIP1" nexthops_are "$VIP1" "$BOTH"
check "clients still reach $VIP2 through node 2" test "$(ns c curl -s --max-time 3 --interface 10.88.1.1 "http://$VIP2/")" != ""
on n1 backend set "$VIP2:80" 10.77.1.2 --state up >/dev/null
check "one backend up again: node 1 announces $VIP2 again" until_ok 3 on_lo n1 "$VIP2"
check "the router has both next hops for $VIP2 again" until_ok $((HOLD + 2)) nexthops_are "$VIP2" "$BOTH"
for i in 1 3; do on n1 backend set "$VIP2:80" "10.77.1.$i" --state up >/dev/null; done

# ============================================================== status and metrics
on n1 status --json >"$TOP/status.json"
msg=$(python3 - "$TOP/status.json" "$VIP1" "$VIP2" "$VIP3" "$VIP6" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
a, problems = s["announce"], []
held = sorted((x["address"], x["interface"]) for x in a["addresses"])
if a["withdrawn"] is not False:
    problems.append("withdrawn is %r, not false" % a["withdrawn"])
if held != [(sys.argv[2], "lo"), (sys.argv[3], "lo"), (sys.argv[5], "lo")]:
    problems.append("addresses held %r" % held)
by = {v["vip"].rsplit(":", 1)[0].strip("[]"): v["address_announced"] for v in s["vips"]}
if by != {sys.argv[2]: True, sys.argv[3]: True, sys.argv[4]: False, sys.argv[5]: True}:
    problems.append("address_announced %r" % by)
print("; ".join(problems))
PY
)
expect_eq "status --json: $VIP1, $VIP2 and $VIP6 held on lo, not withdrawn; $VIP3 (the operator's) not siobpf's" "" "$msg"
expect_eq "status says what is announced" "announce: $VIP1 on lo, $VIP2 on lo, $VIP6 on lo" "$(on n1 status | grep '^announce:')"
ns n1 curl -s --max-time 3 "http://$METRICS/metrics" >"$TOP/metrics"
expect_eq "metrics: siobpf_announced is 1 for the VIPs with a backend up, 0 for $VIP3" \
	"siobpf_announced{vip=\"$VIP1:80/tcp\"} 1,siobpf_announced{vip=\"$VIP2:80/tcp\"} 1,siobpf_announced{vip=\"$VIP3:80/tcp\"} 0,siobpf_announced{vip=\"[$VIP6]:80/tcp\"} 1" \
	"$(grep '^siobpf_announced{' "$TOP/metrics" | paste -sd,)"
expect_eq "metrics: ready 1, withdrawn 0, errors 0" \
	"siobpf_announce_ready 1,siobpf_announce_withdrawn 0,siobpf_announce_errors_total 0" \
	"$(grep -E '^siobpf_announce_(ready|withdrawn|errors_total) ' "$TOP/metrics" | paste -sd,)"
check "metrics: the exposition passes promtool check metrics" promtool check metrics <"$TOP/metrics"
check "an operator's $VIP3 on node 1's lo is left there" on_lo n1 "$VIP3"
check "... and logged as not siobpf's" grep -q "$VIP3/32 on lo is not siobpf" "$LOG"

# ============================================================== a reload that replaces the maps
# Resizing the sticky table pins new maps, which the daemon reopens: the
# addresses must stay through it (an upgrade does not flap the routes).
( for _ in $(seq 100); do on_lo n1 "$VIP1" && echo held || echo gone; sleep 0.02; done ) >"$TOP/during" &
sampler=$!
withdrawals=$(grep -c "withdrawn from lo" "$LOG")
on n1 reload eth0 --clients 4096 >/dev/null 2>&1
reload_rc=$?
wait "$sampler"
sleep 0.5
expect_eq "reload --clients on node 1 (new maps) succeeds" 0 "$reload_rc"
check "... and the daemon reopened the replaced maps" grep -q "were replaced" "$LOG"
expect_eq "$VIP1 stayed on node 1's lo through the reload (100 samples)" "100 held" \
	"$(sort "$TOP/during" | uniq -c | awk '{print $1, $2}' | paste -sd,)"
expect_eq "... and the daemon withdrew nothing meanwhile" "$withdrawals" "$(grep -c "withdrawn from lo" "$LOG")"

# ============================================================== SIGTERM and --withdraw-on-exit
stop_daemon n1
check "SIGTERM: node 1's daemon leaves $VIP1 and $VIP2 on lo" on_lo n1 "$VIP1" "$VIP2"
sleep $((HOLD + 1))
check "SIGTERM: the router keeps both next hops for $VIP1 after the hold time" nexthops_are "$VIP1" "$BOTH"
start_daemon n1 --withdraw-on-exit
sleep 1.5
check "the restarted daemon takes over its addresses (it still holds them a tick later)" on_lo n1 "$VIP1" "$VIP2"
stop_daemon n1
check "--withdraw-on-exit: SIGTERM removes $VIP1 and $VIP2 from node 1's lo" off_lo n1 "$VIP1" "$VIP2"
check "--withdraw-on-exit: the operator's $VIP3 stays" on_lo n1 "$VIP3"
check "the router is down to node 2 for $VIP1 within the hold time" until_ok $((HOLD + 2)) nexthops_are "$VIP1" 10.77.0.12
start_daemon n1 --metrics "$METRICS"
check "a new daemon announces node 1's VIPs again: two next hops" until_ok $((HOLD + 5)) nexthops_are "$VIP1" "$BOTH"

# ============================================================== announce withdraw / resume
clients_run 1 "$((2 * CLIENTS))" 2 "$TOP/before"
expect_eq "before the drain: all $((2 * CLIENTS)) clients keep their backends" 0 "$(moved "$TOP/all" "$TOP/before")"
out=$(on n1 announce withdraw)
expect_eq "announce withdraw removes and names node 1's three VIP addresses" \
	"withdrawn: $VIP1 from lo,withdrawn: $VIP2 from lo,withdrawn: $VIP6 from lo" "$(grep '^withdrawn:' <<<"$out" | sort | paste -sd,)"
check "announce withdraw: the router drops node 1's IPv6 next hop too" \
	until_ok $((HOLD + 1)) nexthops6_are "$VIP6" fd77::12
check "announce withdraw: $VIP1 and $VIP2 are off node 1's lo" off_lo n1 "$VIP1" "$VIP2"
check "announce withdraw: the operator's $VIP3 stays" on_lo n1 "$VIP3"
check "announce withdraw: the router drops node 1's next hop within the hold time" \
	until_ok $((HOLD + 1)) nexthops_are "$VIP1" 10.77.0.12
sleep 1.2
check "announce withdraw: the daemon keeps them off (still off two ticks later)" off_lo n1 "$VIP1" "$VIP2"
clients_run 1 "$((2 * CLIENTS))" 2 "$TOP/drained"
expect_eq "through node 2 alone, 0 of $((2 * CLIENTS)) clients moved" 0 "$(moved "$TOP/all" "$TOP/drained")"
check "status says withdrawn" grep -q '^announce: withdrawn' <<<"$(on n1 status)"
ns n1 curl -s --max-time 3 "http://$METRICS/metrics" >"$TOP/m2"
check "metrics: siobpf_announce_withdrawn 1" grep -qx 'siobpf_announce_withdrawn 1' "$TOP/m2"
check "metrics: siobpf_announced 0 for $VIP1" grep -qx "siobpf_announced{vip=\"$VIP1:80/tcp\"} 0" "$TOP/m2"
on n1 announce resume >/dev/null
check "announce resume: node 1 announces again, the router has both next hops" \
	until_ok $((HOLD + 3)) nexthops_are "$VIP1" "$BOTH"
clients_run 1 "$((2 * CLIENTS))" 2 "$TOP/resumed"
expect_eq "after resume, over both nodes, 0 of $((2 * CLIENTS)) clients moved" 0 "$(moved "$TOP/all" "$TOP/resumed")"

# ============================================================== bad input
out=$(on n2 run --announce nosuch0 2>&1)
rc=$?
check "run --announce nosuch0 is refused (exit $rc)" test "$rc" -ne 0
check "... naming the interface" grep -q 'nosuch0: no such interface' <<<"$out"
check "the refused run changed nothing: node 2 still holds $VIP1" on_lo n2 "$VIP1"
out=$(on n2 run --withdraw-on-exit 2>&1)
rc=$?
expect_eq "run --withdraw-on-exit without --announce is a usage error" 2 "$rc"
check "... that says --announce is needed" grep -q 'needs --announce' <<<"$out"

# ============================================================== readiness: the program detached
ns n2 ip link set dev eth0 xdpdrv off
check "node 2 with its program detached is not ready: it withdraws $VIP1 and $VIP2" \
	until_ok 3 off_lo n2 "$VIP1" "$VIP2"
check "the router is down to node 1 for $VIP1" until_ok $((HOLD + 1)) nexthops_are "$VIP1" 10.77.0.11
clients_run 1 "$((2 * CLIENTS))" 1 "$TOP/n1only"
expect_eq "through node 1 alone, 0 of $((2 * CLIENTS)) clients moved" 0 "$(moved "$TOP/all" "$TOP/n1only")"
on n2 load eth0 >/dev/null
check "attached again: node 2 announces again, the router has both next hops" \
	until_ok $((HOLD + 3)) nexthops_are "$VIP1" "$BOTH"

# ============================================================== withdraw without a daemon
stop_daemon n2
check "node 2's daemon stopped (SIGTERM): $VIP1 stays on its lo" on_lo n2 "$VIP1"
out=$(on n2 announce withdraw)
expect_eq "announce withdraw with no daemon running removes node 2's addresses itself" \
	"withdrawn: $VIP1 from lo,withdrawn: $VIP2 from lo,withdrawn: $VIP6 from lo" "$(grep '^withdrawn:' <<<"$out" | sort | paste -sd,)"
check "the router is down to node 1 for $VIP1" until_ok $((HOLD + 1)) nexthops_are "$VIP1" 10.77.0.11
start_daemon n2
sleep 1.5
check "a daemon started on a withdrawn node keeps its addresses off" off_lo n2 "$VIP1" "$VIP2"
on n2 announce resume >/dev/null
check "announce resume: node 2 announces again" until_ok 3 on_lo n2 "$VIP1" "$VIP2"

# ============================================================== the interface lost under the daemon
stop_daemon n2
ns n2 ip link add an0 type veth peer name an1
ns n2 ip link set an0 up
SIOBPF_PIN_DIR=$PIN2 nsenter --net="/run/netns/$P-n2" "$BIN" run --announce an0 --metrics "$METRICS" \
	>>"$TOP/run-n2.log" 2>&1 &
DAEMON[n2]=$!
check "run --announce an0 puts $VIP1 on an0" \
	until_ok 5 bash -c "ip -n $P-n2 -4 addr show dev an0 | grep -w 'inet $VIP1/32' >/dev/null"
ns n2 ip link del an0
check "an0 deleted: the daemon logs that it cannot read the missing interface's addresses" \
	until_ok 3 grep -q "addresses of the missing interface an0" "$TOP/run-n2.log"
sleep 0.5
errors=$(ns n2 curl -s --max-time 3 "http://$METRICS/metrics" | awk '$1 == "siobpf_announce_errors_total" {print $2}')
check "... counts it (siobpf_announce_errors_total $errors)" test "${errors:-0}" -ge 1
check "... logs it once, not every tick" test "$(grep -c "missing interface an0" "$TOP/run-n2.log")" -eq 1
check "... and keeps running" kill -0 "${DAEMON[n2]}"

finish
