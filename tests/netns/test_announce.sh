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
# The topology (tests/netns/scaleout_lib.sh):
#
#   clients "$P-c" ── router "$P-r" ──┐ bridge in "$P-sw": 10.77.0.0/16
#   10.88.1.N          10.88.0.1       ├── node 1 "$P-n1" 10.77.0.11 ┐ siobpf (DSR)
#                      10.77.0.254     ├── node 2 "$P-n2" 10.77.0.12 ┘ + BIRD, AS 65001
#                      BIRD, AS 65000  └── backends "$P-bN" 10.77.1.N (nginx: "bN")
SIO_NS=sioan
source "$(dirname "$0")/lib.sh"
require bird birdc curl nginx python3 ethtool nsenter timeout promtool
source "$(dirname "$0")/scaleout_lib.sh"

LOG=$TOP/run-n1.log
METRICS=127.0.0.1:9481

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
