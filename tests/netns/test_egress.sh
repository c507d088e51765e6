#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Backends behind a second interface of the balancer: siobpf redirects to
# them through its devmap (sio_egress) instead of sending with XDP_TX. On a
# fresh topology for each of native and generic XDP mode it proves that:
#
#  1. real TCP (curl) and UDP traffic reaches the backends behind eth1, and
#     what each backend received (an nftables counter of VIP packets in its
#     namespace) equals what siobpf counted for it, packet for packet;
#  2. in native mode, an egress whose veth peer has no XDP program and GRO
#     off cannot take XDP frames: `status` flags it, `backend add`,
#     `backend set --state up` and `apply` refuse it, and traffic sent
#     anyway shows up as redirect_failed and in the per-interface failure
#     counter (stats, stats --json, metrics), with
#     nothing counted as forwarded (redirect, per-backend packets) and
#     nothing reaching the backends; GRO on the peer cures it (the kernel's
#     rule: veth offers ndo_xdp_xmit while its peer has an XDP program or
#     GRO), and generic mode needs neither;
#  3. `siobpf run` follows a route that moves a backend to a third
#     interface: the record, the devmap and the traffic follow;
#  4. at MTU 9000 (native attach of the multi-buffer program), 8000-byte UDP
#     datagrams and a 1 MB TCP upload with a jumbo MSS, frames larger than
#     the linear part of an XDP buffer, are forwarded and arrive intact
#     (length and SHA-256 checked at the backend), and the byte counters
#     count whole frames.
#
#   client ns ─ br0 ─ eth0 [balancer] eth1 ─ br1 ─ backends e1, e2
SIO_NS=sioeg
source "$(dirname "$0")/lib.sh"
require curl python3 ethtool nsenter nft ip

TOP=$(mktemp -d /tmp/siobpf-egress.XXXXXX)
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/siobpf" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "a built $BUILD/siobpf and tests/xdp_pass.bpf.o (make tests)"; finish; exit 1; }
export BUILD=$TOP/build
P=$SIO_NS
NETB=10.78.1
CLIENTS=40

cleanup() {
	teardown_egress
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT

teardown_egress() {
	local n
	for n in "$P-sw2" "$P-e1" "$P-e2"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
}

# A backend's server: HTTP on port 80 (GET: its name; POST: its name, the
# body's length and SHA-256) and UDP on VIP:5353 (its name, the datagram's
# length and SHA-256), each UDP datagram logged.
cat >"$TOP/server.py" <<'PY'
import hashlib, http.server, socket, socketserver, sys, threading
name, vip, log = sys.argv[1], sys.argv[2], sys.argv[3]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply((name + "\n").encode())
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                break
            data += chunk
        self.reply(("%s %d %s\n" % (name, len(data), hashlib.sha256(data).hexdigest())).encode())
    def log_message(self, *a):
        pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

threading.Thread(target=S(("0.0.0.0", 80), H).serve_forever, daemon=True).start()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((vip, 5353))
with open(log, "a", buffering=1) as f:
    while True:
        data, peer = u.recvfrom(65535)
        digest = hashlib.sha256(data).hexdigest()
        f.write("%s %d %s\n" % (peer[0], len(data), digest))
        u.sendto(("%s %d %s" % (name, len(data), digest)).encode(), peer)
PY

# udp SIZE SRC...: one datagram of SIZE random bytes from each source (a
# socket each); prints per source "SRC NAME ok|bad|-" (ok: the backend saw
# the same length and SHA-256).
cat >"$TOP/client.py" <<'PY'
import hashlib, os, socket, sys
size, vip = int(sys.argv[1]), sys.argv[2]
for src in sys.argv[3:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    data = os.urandom(size)
    want = "%d %s" % (size, hashlib.sha256(data).hexdigest())
    try:
        s.sendto(data, (vip, 5353))
        got = s.recv(4096).decode().split(" ", 1)
        print(src, got[0], "ok" if got[1] == want else "bad")
    except OSError:
        print(src, "-", "-")
    s.close()
PY

# Second segment: eth1 of the balancer, bridge br1, backends e1 and e2.
build_egress() {
	local i
	teardown_egress
	ip netns add "$P-sw2" || return 1
	ip -n "$P-sw2" link add br1 type bridge
	ip -n "$P-sw2" link set br1 up
	ip link add eth1 netns "$P-lb" type veth peer name lb netns "$P-sw2" || return 1
	ip -n "$P-sw2" link set lb master br1 up
	ip -n "$P-lb" link set eth1 up
	ip -n "$P-lb" addr add "$NETB.254/24" dev eth1
	in_ns lb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
	for i in 1 2; do
		ip netns add "$P-e$i" || return 1
		ip link add eth0 netns "$P-e$i" type veth peer name "e$i" netns "$P-sw2"
		ip -n "$P-sw2" link set "e$i" master br1 up
		ip -n "$P-e$i" link set lo up
		ip -n "$P-e$i" link set eth0 up
		ip -n "$P-e$i" addr add "$NETB.$i/24" dev eth0
		ip -n "$P-e$i" route add default via "$NETB.254"
		ip netns exec "$P-e$i" "$ROOT/scripts/backend-setup.sh" "$VIP4" "$VIP6" >/dev/null || return 1
		ip netns exec "$P-e$i" nft -f - <<NFT || return 1
table inet sio {
	counter vip {}
	chain pre {
		type filter hook prerouting priority -300;
		ip daddr $VIP4 counter name vip
	}
}
NFT
		: >"$TOP/e$i.udp"
		ip netns exec "$P-e$i" python3 "$TOP/server.py" "e$i" "$VIP4" "$TOP/e$i.udp" &
	done
	# A third address on e2: a backend that resolves, for the refusal.
	ip -n "$P-e2" addr add "$NETB.3/24" dev eth0
	for i in 1 2; do
		for _ in $(seq 50); do
			in_ns lb curl -s --max-time 1 "http://$NETB.$i/" >/dev/null && break
			sleep 0.1
		done
	done
}

# The peer of eth1 (the bridge port "lb" in sw2): an XDP_PASS program, GRO,
# or neither.
peer_xdp() { ip -n "$P-sw2" link set dev lb xdpdrv obj "$BUILD/tests/xdp_pass.bpf.o" sec "${1:-xdp}"; }
peer_noxdp() { ip -n "$P-sw2" link set dev lb xdpdrv off; }
peer_gro() { ip netns exec "$P-sw2" ethtool -K lb gro "$1" >/dev/null; }

# Packets the nftables counter of backend i saw for the VIP.
received() { ip netns exec "$P-e$1" nft list counter inet sio vip | awk '/packets/ {print $2}'; }
received_all() { echo $(($(received 1) + $(received 2))); }

# One number out of `siobpf stats --json`, by a Python expression on s.
stat() {
	siobpf stats --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}
backend_packets() { stat "sum(b['packets'] for v in s['vips'] for b in v['backends'])"; }
backend_bytes() { stat "sum(b['bytes'] for v in s['vips'] for b in v['backends'])"; }
counter() { stat "s['counters']['$1']"; }
egress_errors() { stat "sum(e['redirect_errors'] for e in s['egress'] if e['ifname'] == 'eth1')"; }

reload_quiet() { siobpf reload eth0 >/dev/null; }

sources() { local i; for i in $(seq "$1" "$2"); do client4 "$i"; done; }

# TCP requests from clients FIRST..LAST with curl; prints how many answered
# with a backend's name.
curl_from() {
	local n=0 src out
	for src in $(sources "$1" "$2"); do
		out=$(in_ns c curl -s --max-time 3 --interface "$src" "http://$VIP4/")
		case "$out" in e1 | e2) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

udp_ok() { in_ns c python3 "$TOP/client.py" "$1" "$VIP4" $(sources "$2" "$3") | grep -c ' ok$'; }

fresh() {
	local mode=$1
	teardown_egress
	export XDP_MODE=generic # no XDP_PASS on the bridge side of eth0: nothing is sent back out of it
	export BACKENDS=0 CLIENTS4=$CLIENTS CLIENTS6=1
	setup_topology_only || return 1
	build_egress || return 1
}

# The shared topology without its servers (the backends here are e1, e2).
setup_topology_only() {
	teardown_topology
	"$ROOT/scripts/topology.sh" up
}

load_lb() {
	local mode=$1
	siobpf load eth0 --mode "$mode" >/dev/null || return 1
	siobpf vip add "$VIP4:80" --probe none >/dev/null || return 1
	siobpf vip add "$VIP4:5353/udp" --probe none >/dev/null || return 1
	local v b
	for v in "$VIP4:80" "$VIP4:5353/udp"; do
		for b in 1 2; do
			siobpf backend add "$v" "$NETB.$b" >/dev/null || return 1
		done
	done
}

run_mode() {
	local mode=$1 M=$1 before after got r0 b0 f0 e0 out
	echo "# === $mode XDP: backends behind eth1"
	setup fresh "$mode"
	[ "$mode" = native ] && setup peer_xdp
	setup load_lb "$mode"
	out=$(siobpf status)
	check "$M: status flags no egress problem" bash -c "! grep -q 'EGRESS PROBLEM' <<<\"\$1\"" _ "$out"
	expect_eq "$M: eth1 is in the devmap (stats --json egress)" 1 \
		"$(stat "len([e for e in s['egress'] if e['ifname'] == 'eth1'])")"

	# 1. TCP: every request answered, and each backend got what siobpf sent it.
	before=$(received_all)
	b0=$(backend_packets)
	r0=$(counter redirect)
	got=$(curl_from 1 "$CLIENTS")
	expect_eq "$M: $CLIENTS curl requests through eth1 all answered" "$CLIENTS" "$got"
	sleep 0.5
	after=$(received_all)
	expect_eq "$M: TCP packets the backends received = siobpf's backend packets" \
		"$(($(backend_packets) - b0))" "$((after - before))"
	expect_eq "$M: ... = siobpf's redirect counter (nothing by XDP_TX)" \
		"$(($(counter redirect) - r0))" "$((after - before))"
	check "$M: both backends served clients" test "$(received 1)" -gt 0 -a "$(received 2)" -gt 0

	# UDP: one datagram per client, each logged by exactly one backend.
	before=$(received_all)
	b0=$(backend_packets)
	got=$(udp_ok 200 1 "$CLIENTS")
	expect_eq "$M: $CLIENTS UDP datagrams answered intact" "$CLIENTS" "$got"
	sleep 0.3
	expect_eq "$M: UDP datagrams logged by the backends" "$CLIENTS" "$(cat "$TOP"/e*.udp | wc -l)"
	expect_eq "$M: UDP packets received = siobpf's backend packets" \
		"$(($(backend_packets) - b0))" "$(($(received_all) - before))"
	expect_eq "$M: no redirect failed" 0 "$(counter redirect_failed)"
	check "$M: siobpf reload eth0 (the pinned devmap reused)" reload_quiet
	expect_eq "$M: after the reload every client is answered through eth1" "$CLIENTS" "$(curl_from 1 "$CLIENTS")"

	# 2. An egress that cannot take XDP frames.
	peer_noxdp
	peer_gro off
	out=$(siobpf status)
	if [ "$mode" = native ]; then
		check "$M: status flags the egress of both backends" \
			test "$(grep -c 'EGRESS PROBLEM: egress interface eth1 cannot take XDP frames' <<<"$out")" -eq 4
		expect_eq "$M: status --json egress_ok false" "False" \
			"$(siobpf status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(any(b["egress_ok"] for v in s["vips"] for b in v["backends"]))')"
		out=$(siobpf backend add "$VIP4:80" "$NETB.3" 2>&1)
		check "$M: backend add refuses an egress that takes no XDP frames" \
			grep -q "cannot take XDP frames redirected from eth0 in native mode" <<<"$out"
		out=$(siobpf backend set "$VIP4:80" "$NETB.1" --state up 2>&1)
		check "$M: backend set --state up refuses it too" grep -q "cannot take XDP frames" <<<"$out"
		cat >"$TOP/three.yaml" <<YAML
vips:
  - vip: $VIP4:80/tcp
    probe: {type: none}
    backends:
      - address: $NETB.1
      - address: $NETB.2
      - address: $NETB.3
YAML
		out=$(siobpf apply -f "$TOP/three.yaml" 2>&1)
		check "$M: apply refuses a new backend on that egress, and changes nothing" \
			bash -c 'grep -q "backend $1: egress interface eth1 cannot take XDP frames" <<<"$2" &&
				! grep -q "$1" <<<"$3"' _ "$NETB.3" "$out" "$(siobpf status)"
	else
		check "$M: generic mode: no egress problem without XDP or GRO on the peer" \
			bash -c "! grep -q 'EGRESS PROBLEM' <<<\"\$1\"" _ "$out"
	fi
	before=$(received_all)
	b0=$(backend_packets)
	r0=$(counter redirect)
	f0=$(counter redirect_failed)
	e0=$(egress_errors)
	got=$(udp_ok 200 1 20)
	sleep 0.3
	if [ "$mode" = native ]; then
		expect_eq "$M: no datagram answered through the broken egress" 0 "$got"
		expect_eq "$M: nothing reached the backends" "$before" "$(received_all)"
		expect_eq "$M: redirect_failed counts the 20" 20 "$(($(counter redirect_failed) - f0))"
		expect_eq "$M: eth1's redirect errors count the 20" 20 "$(($(egress_errors) - e0))"
		expect_eq "$M: nothing counted as redirected" 0 "$(($(counter redirect) - r0))"
		expect_eq "$M: nothing counted for the backends" 0 "$(($(backend_packets) - b0))"
		out=$(siobpf stats)
		check "$M: stats shows eth1's redirect errors" grep -qE "^egress eth1: redirect errors [1-9]" <<<"$out"
		check "$M: metrics exporter shows them" metrics_has_errors
		# GRO on the peer is the kernel's other way to take XDP frames.
		peer_gro on
		out=$(siobpf status)
		check "$M: GRO on the peer: no egress problem" bash -c "! grep -q 'EGRESS PROBLEM' <<<\"\$1\"" _ "$out"
		expect_eq "$M: GRO on the peer: datagrams answered" 20 "$(udp_ok 200 21 40)"
		peer_gro off
		peer_xdp
	else
		expect_eq "$M: all datagrams answered without XDP or GRO on the peer" 20 "$got"
		expect_eq "$M: no redirect failed" 0 "$(($(counter redirect_failed) - f0))"
	fi
	[ "$mode" = native ] && route_move
	siobpf unload eth0 >/dev/null
}

# 3. siobpf run follows a route that moves backend e1 to another interface
# (eth2, a second port on br1): the record, the devmap and the traffic follow.
route_move() {
	local pid before
	ip link add eth2 netns "$P-lb" type veth peer name lb2 netns "$P-sw2"
	ip -n "$P-sw2" link set lb2 master br1 up
	ip -n "$P-lb" link set eth2 up
	ip -n "$P-sw2" link set dev lb2 xdpdrv obj "$BUILD/tests/xdp_pass.bpf.o" sec xdp
	siobpf vip set "$VIP4:80" --interval 200 >/dev/null
	siobpf vip set "$VIP4:5353/udp" --interval 200 >/dev/null
	LOG=$TOP/move.log
	nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" -v run >"$LOG" 2>&1 &
	pid=$!
	setup wait_log "watching" 10
	ip -n "$P-lb" route add "$NETB.1/32" dev eth2
	check "$M: siobpf run moves backend $NETB.1 to eth2 when its route changes" \
		wait_log "backend $NETB.1 of VIP $VIP4:80/tcp: egress eth1 -> eth2" 10
	wait_log "backend $NETB.1 of VIP $VIP4:5353/udp: egress eth1 -> eth2" 10
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	expect_eq "$M: status shows both records of $NETB.1 on eth2" 2 \
		"$(siobpf status | grep -c "backend $NETB.1 .* dev eth2 ")"
	check "$M: eth2 joined the devmap" \
		test "$(stat "len([e for e in s['egress'] if e['ifname'] == 'eth2'])")" -eq 1
	before=$(received 1)
	expect_eq "$M: after the move every client is answered" "$CLIENTS" "$(curl_from 1 "$CLIENTS")"
	check "$M: e1 still gets its clients' packets (through eth2)" test "$(received 1)" -gt "$before"
	check "$M: ... and eth2 sends them" test "$(ip -n "$P-lb" -s -j link show eth2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["packets"])')" -gt 0
}

# The metrics exporter, run for one scrape, has a non-zero failure counter for eth1.
metrics_has_errors() {
	local port=19$((RANDOM % 90 + 10))1 text
	nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" run --metrics "127.0.0.1:$port" >"$TOP/run.log" 2>&1 &
	local pid=$!
	for _ in $(seq 50); do
		text=$(in_ns lb curl -s --max-time 1 "http://127.0.0.1:$port/metrics") && [ -n "$text" ] && break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -qE '^siobpf_egress_redirect_errors_total\{interface="eth1",ifindex="[0-9]+"\} [1-9]' <<<"$text"
}

set_mtu() {
	local mtu=$1 d
	ip -n "$P-c" link set eth0 mtu "$mtu"
	ip -n "$P-lb" link set eth0 mtu "$mtu"
	ip -n "$P-lb" link set eth1 mtu "$mtu"
	for d in c lb; do ip -n "$P-sw" link set "$d" mtu "$mtu"; done
	for d in lb e1 e2; do ip -n "$P-sw2" link set "$d" mtu "$mtu"; done
	ip -n "$P-e1" link set eth0 mtu "$mtu"
	ip -n "$P-e2" link set eth0 mtu "$mtu"
}

run_jumbo() {
	local M="native MTU 9000" b0 n out sum
	echo "# === native XDP at MTU 9000"
	setup fresh native
	setup set_mtu 9000
	setup peer_xdp xdp.frags
	check "$M: siobpf load eth0 (native, multi-buffer program)" load_lb native
	expect_eq "$M: attached in native mode" xdp \
		"$(ip -n "$P-lb" link show eth0 | grep -o ' xdp[a-z]* ' | tr -d ' ')"
	b0=$(backend_bytes)
	n=$(udp_ok 8000 1 20)
	expect_eq "$M: 20 UDP datagrams of 8000 bytes arrive intact (SHA-256 at the backend)" 20 "$n"
	expect_eq "$M: the backends logged 20 datagrams of 8000 bytes" 20 "$(cat "$TOP"/e*.udp | grep -c ' 8000 ')"
	# A whole frame: 8000 + UDP 8 + IPv4 20 + Ethernet 14, all buffers.
	expect_eq "$M: backend byte counters count whole frames" $((20 * 8042)) "$(($(backend_bytes) - b0))"
	head -c 1000000 /dev/urandom >"$TOP/upload"
	sum=$(sha256sum "$TOP/upload" | cut -d' ' -f1)
	out=$(in_ns c curl -s --max-time 10 --interface "$(client4 30)" --data-binary @"$TOP/upload" "http://$VIP4/")
	check "$M: a 1 MB TCP upload arrives intact (length and SHA-256)" \
		grep -qE "^e[12] 1000000 $sum\$" <<<"$out"
	expect_eq "$M: no redirect failed" 0 "$(counter redirect_failed)"
	expect_eq "$M: nothing dropped as malformed" 0 "$(stat "s['counters']['drop_bad_ipv4'] + s['counters']['drop_bad_l4']")"
	siobpf unload eth0 >/dev/null
}

run_mode native
run_mode generic
run_jumbo
finish
