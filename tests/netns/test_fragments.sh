#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Fragmented datagrams through siobpf, in native and in generic XDP mode,
# each on a fresh topology. Two real UDP VIPs share one address per family
# (:53 keyed by the client's address, :4433 by connection), with real UDP
# servers on three backends that log every datagram they receive. It proves
# that:
#
#  1. datagrams larger than the MTU, sent by real sockets (IPv4 and IPv6, so
#     the client's kernel fragments them), each arrive whole at exactly one
#     backend, which answers; a client's datagrams to :53 all reach one
#     backend while those to :4433 spread by connection; every fragment is
#     counted on its datagram's VIP (3 per datagram) and none is dropped;
#  2. raw frames out of order (a later fragment before its first): the early
#     fragment is dropped and counted (drop_frag_unknown), never forwarded
#     anywhere, and the datagram sent again in order arrives whole at
#     exactly one backend;
#  3. a datagram to a VIP address's port that no VIP has goes to the stack,
#     its later fragments with it (pass_frag_stack).
SIO_NS=siofr
source "$(dirname "$0")/lib.sh"
require python3 nsenter timeout ethtool bpftool

export CLIENTS4=10 CLIENTS6=5 BACKENDS=3
TOP=$(mktemp -d /tmp/siobpf-fragments.XXXXXX)
SERVER_PIDS=()

# A private copy of the build, so that a rebuild while the test runs cannot
# swap the binary (or the XDP_PASS object) under it.
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "copy $BUILD/siobpf and its XDP_PASS object (run make tests)"; rm -rf "$TOP"; finish; exit 1; }
export BUILD=$TOP/build

stop_servers() {
	local p
	for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	SERVER_PIDS=()
}
cleanup() {
	stop_servers
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT

cat >"$TOP/server.py" <<'PY'
# server NAME LOG VIP4 VIP6: UDP on both VIPs, ports 53 and 4433; logs
# "PORT LENGTH ID" per datagram (ID: its first line) and answers "NAME LENGTH".
import select, socket, sys

name, log, vip4, vip6 = sys.argv[1:5]
socks = []
for addr in (vip4, vip6):
    for port in (53, 4433):
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        socks.append((s, port))
out = open(log, "a", buffering=1)
print("ready", file=out)
while True:
    ready, _, _ = select.select([s for s, _ in socks], [], [])
    for s, port in socks:
        if s in ready:
            data, peer = s.recvfrom(65535)
            out.write("%d %d %s\n" % (port, len(data), data.split(b"\n", 1)[0].decode(errors="replace")))
            s.sendto(("%s %d" % (name, len(data))).encode(), peer)
PY

cat >"$TOP/client.py" <<'PY'
# send VIP PORT ROUNDS TAG SRC...: ROUNDS datagrams of 3000 bytes per source,
#   each from a socket of its own (a new port), left to the kernel to
#   fragment; prints "ID SRC NAME LENGTH" per datagram ("-" for no answer).
# raw IFACE DST_MAC VIP PORT ORDER TAG SRC...: one datagram of 3000 bytes per
#   source as hand-made fragments 0, 1, 2 sent in ORDER (like "1,0,1,2");
#   prints "ID SRC".
import socket, struct, sys, zlib

SIZE = 3000


def payload(ident):
    head = ident.encode() + b"\n"
    return head + b"x" * (SIZE - len(head))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def send(vip, port, rounds, tag, srcs):
    port, rounds = int(port), int(rounds)
    for src in srcs:
        held = []
        for r in range(rounds):
            ident = "%s-%s-%d" % (tag, src, r)
            s = socket.socket(family(src), socket.SOCK_DGRAM)
            held.append(s)
            if family(src) == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT
            s.bind((src, 0))
            s.settimeout(3)
            s.sendto(payload(ident), (vip, port))
            try:
                data, peer = s.recvfrom(256)
                answer = data.decode().split() if peer[0] == vip and peer[1] == port else ["-", "0"]
            except OSError:
                answer = ["-", "0"]
            print(ident, src, *answer, flush=True)
        for s in held:
            s.close()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fragments(src, vip, port, ident, tag, number):
    """The three fragments (Ethernet payloads, EtherType) of one datagram,
    its IP identification made of the tag and the number, so that no two
    datagrams of a run share one (the tags' 10-bit sums differ)."""
    number = (zlib.crc32(tag.encode()) & 0x3FF) << 6 | number
    v6 = ":" in vip
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, vip)
    body = payload(ident)
    udp = struct.pack("!HHHH", 40000 + number % 20000, port, 8 + len(body), 0) + body
    pseudo = s + d + (struct.pack("!IxxxB", len(udp), 17) if v6 else struct.pack("!xBH", 17, len(udp)))
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    step = 1448 if v6 else 1480
    out = []
    for off in range(0, len(udp), step):
        piece, more = udp[off:off + step], off + step < len(udp)
        if v6:
            frag = struct.pack("!BBHI", 17, 0, (off // 8) << 3 | more, number)
            ip = struct.pack("!IHBB", 6 << 28, len(frag) + len(piece), 44, 64) + s + d
            out.append((ip + frag + piece, b"\x86\xdd"))
        else:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(piece), number,
                              (0x2000 if more else 0) | off // 8, 64, 17, 0, s, d)
            hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            out.append((hdr + piece, b"\x08\x00"))
    return out


def raw(iface, dst_mac, vip, port, order, tag, srcs):
    src_mac = open("/sys/class/net/%s/address" % iface).read().strip()
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    for n, src in enumerate(srcs):
        ident = "%s-%s" % (tag, src)
        frags = fragments(src, vip, int(port), ident, tag, n)
        assert len(frags) == 3
        for i in order.split(","):
            frame, ethertype = frags[int(i)]
            sock.send(eth + ethertype + frame)
        print(ident, src, flush=True)


if sys.argv[1] == "send":
    send(*sys.argv[2:6], sys.argv[6:])
else:
    raw(*sys.argv[2:8], sys.argv[8:])
PY

quiet() { "$@" >/dev/null; }
# counter NAME: a reason counter of `siobpf stats --json`.
counter() { siobpf stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"]["'"$1"'"])'; }
# vip_packets VIP: its packet counter.
vip_packets() {
	siobpf stats --json | python3 -c '
import json, sys
print(sum(v["packets"] for v in json.load(sys.stdin)["vips"] if v["vip"] == sys.argv[1]))' "$1"
}

# logged ID...: for each ID, the backends that logged it whole ("b1" ...),
# as "ID NAMES" ("-" when none).
logged() {
	python3 - "$TOP" "$@" <<'PY'
import sys
top, ids = sys.argv[1], sys.argv[2:]
seen = {}
for b in (1, 2, 3):
    for line in open("%s/b%d.log" % (top, b)):
        f = line.split()
        if len(f) == 3 and f[1] == "3000":
            seen.setdefault(f[2], []).append("b%d" % b)
for i in ids:
    print(i, ",".join(seen.get(i, [])) or "-")
PY
}

run_mode() {
	local mode=$1 M="[$1]" v n lbmac
	export XDP_MODE=$mode
	setup setup_topology
	trap cleanup EXIT # setup_topology sets its own
	for n in 1 2 3; do
		: >"$TOP/b$n.log"
		ip netns exec "$SIO_NS-b$n" python3 "$TOP/server.py" "b$n" "$TOP/b$n.log" "$VIP4" "$VIP6" </dev/null &
		SERVER_PIDS+=($!)
	done
	for n in 1 2 3; do
		for _ in $(seq 50); do grep -q ready "$TOP/b$n.log" && break; sleep 0.1; done
		setup grep -q ready "$TOP/b$n.log"
	done
	if [ "$mode" = generic ]; then
		setup quiet siobpf load eth0 --mode generic
	else
		setup quiet siobpf load eth0
	fi
	for v in "$VIP4:53/udp" "$VIP4:4433/udp" "[$VIP6]:53/udp" "[$VIP6]:4433/udp"; do
		case "$v" in
		*:4433/udp) setup quiet siobpf vip add "$v" --sticky ip-port ;;
		*) setup quiet siobpf vip add "$v" --sticky ip ;;
		esac
		for n in 1 2 3; do
			case "$v" in
			\[*) setup quiet siobpf backend add "$v" "fd77::1:$n" ;;
			*) setup quiet siobpf backend add "$v" "10.77.1.$n" ;;
			esac
		done
	done
	lbmac=$(in_ns lb cat /sys/class/net/eth0/address)

	# --- 1. Real sockets, the kernel fragmenting --------------------------
	local srcs4=() srcs6=() i
	for i in $(seq 1 10); do srcs4+=("$(client4 "$i")"); done
	for i in $(seq 1 5); do srcs6+=("$(client6 "$i")"); done
	local p53_4 p4433_4 p53_6 p4433_6 unknown0
	p53_4=$(vip_packets "$VIP4:53/udp") p4433_4=$(vip_packets "$VIP4:4433/udp")
	p53_6=$(vip_packets "[$VIP6]:53/udp") p4433_6=$(vip_packets "[$VIP6]:4433/udp")
	unknown0=$(counter drop_frag_unknown)
	in_ns c python3 "$TOP/client.py" send "$VIP4" 53 4 s53 "${srcs4[@]}" >"$TOP/s53_4"
	in_ns c python3 "$TOP/client.py" send "$VIP4" 4433 4 s4433 "${srcs4[@]}" >"$TOP/s4433_4"
	in_ns c python3 "$TOP/client.py" send "$VIP6" 53 4 s53 "${srcs6[@]}" >"$TOP/s53_6"
	in_ns c python3 "$TOP/client.py" send "$VIP6" 4433 4 s4433 "${srcs6[@]}" >"$TOP/s4433_6"
	sleep 0.5
	for f in s53_4 s4433_4 s53_6 s4433_6; do
		local want=$([ "${f#*_}" = 4 ] && echo 40 || echo 20)
		expect_eq "$M $f: $want datagrams sent" "$want" "$(wc -l <"$TOP/$f")"
		expect_eq "$M $f: every datagram answered, with its whole 3000 bytes" "" \
			"$(awk '$3 == "-" || $4 != 3000' "$TOP/$f")"
		logged $(awk '{print $1}' "$TOP/$f") >"$TOP/$f.logged"
		expect_eq "$M $f: every datagram arrived whole at exactly one backend" "" \
			"$(awk '$2 == "-" || $2 ~ /,/' "$TOP/$f.logged")"
		expect_eq "$M $f: the backend that answered is the one that received it" "" \
			"$(awk 'NR == FNR { got[$1] = $2; next } got[$1] != $3 { print }' "$TOP/$f.logged" "$TOP/$f")"
	done
	expect_eq "$M :53 (ip): each client's datagrams all reach one backend (IPv4 and IPv6)" "" \
		"$(cat "$TOP/s53_4" "$TOP/s53_6" | awk '{ b[$2] = b[$2] " " $3 } END { for (s in b) { n = split(b[s], a, " "); for (i = 2; i <= n; i++) if (a[i] != a[1]) { print s, b[s]; break } } }')"
	check "$M :4433 (ip-port): one client's datagrams spread over backends by connection" \
		[ "$(awk '{ print $2, $3 }' "$TOP/s4433_4" "$TOP/s4433_6" | sort -u | wc -l)" -gt 15 ]
	expect_eq "$M $VIP4:53/udp counted every fragment (40 datagrams x 3)" "$((p53_4 + 120))" "$(vip_packets "$VIP4:53/udp")"
	expect_eq "$M $VIP4:4433/udp counted every fragment (40 datagrams x 3)" "$((p4433_4 + 120))" "$(vip_packets "$VIP4:4433/udp")"
	expect_eq "$M [$VIP6]:53/udp counted every fragment (20 datagrams x 3)" "$((p53_6 + 60))" "$(vip_packets "[$VIP6]:53/udp")"
	expect_eq "$M [$VIP6]:4433/udp counted every fragment (20 datagrams x 3)" "$((p4433_6 + 60))" "$(vip_packets "[$VIP6]:4433/udp")"
	expect_eq "$M no fragment of a real datagram was unknown (drop_frag_unknown)" "$unknown0" "$(counter drop_frag_unknown)"
	expect_eq "$M no frame had a bad header checksum (drop_bad_csum)" "0" "$(counter drop_bad_csum)"

	# --- 2. Raw frames out of order ---------------------------------------
	local srcsr4=() srcsr6=() unknown1 tx0 tx1 before
	for i in $(seq 1 6); do srcsr4+=("$(client4 "$i")"); done
	for i in $(seq 1 4); do srcsr6+=("$(client6 "$i")"); done
	unknown0=$(counter drop_frag_unknown)
	tx0=$(($(counter tx) + $(counter redirect)))
	before=$(($(vip_packets "$VIP4:53/udp") + $(vip_packets "$VIP4:4433/udp") + $(vip_packets "[$VIP6]:53/udp") + $(vip_packets "[$VIP6]:4433/udp")))
	: >"$TOP/raw"
	for port in 53 4433; do
		in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP4" $port 1,0,1,2 "r$port" "${srcsr4[@]}" >>"$TOP/raw"
		in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP6" $port 1,0,1,2 "r$port" "${srcsr6[@]}" >>"$TOP/raw"
	done
	sleep 0.5
	unknown1=$(counter drop_frag_unknown)
	tx1=$(($(counter tx) + $(counter redirect)))
	expect_eq "$M raw: 20 datagrams sent, a later fragment before the first" "20" "$(wc -l <"$TOP/raw")"
	expect_eq "$M raw: each early later fragment dropped and counted (drop_frag_unknown +20)" "20" "$((unknown1 - unknown0))"
	expect_eq "$M raw: the first and every later fragment of each forwarded (tx +60)" "60" "$((tx1 - tx0))"
	expect_eq "$M raw: the VIPs counted only the forwarded fragments (+60)" "$((before + 60))" \
		"$(($(vip_packets "$VIP4:53/udp") + $(vip_packets "$VIP4:4433/udp") + $(vip_packets "[$VIP6]:53/udp") + $(vip_packets "[$VIP6]:4433/udp")))"
	logged $(awk '{print $1}' "$TOP/raw") >"$TOP/raw.logged"
	expect_eq "$M raw: every datagram arrived whole at exactly one backend" "" \
		"$(awk '$2 == "-" || $2 ~ /,/' "$TOP/raw.logged")"

	# --- 3. A datagram for the stack takes its fragments along -------------
	local stack0 notvip0
	stack0=$(counter pass_frag_stack) notvip0=$(counter pass_not_vip)
	in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP4" 9999 0,1,2 stack "${srcsr4[@]:0:3}" >/dev/null
	in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP6" 9999 0,1,2 stack "${srcsr6[@]:0:2}" >/dev/null
	expect_eq "$M to a port no VIP has: the later fragments follow their first to the stack (pass_frag_stack +10)" \
		"10" "$(($(counter pass_frag_stack) - stack0))"
	check "$M to a port no VIP has: the first fragments are passed (pass_not_vip +5 at least)" \
		[ "$(($(counter pass_not_vip) - notvip0))" -ge 5 ]

	[ "$mode" = native ] && address_entry_through_the_cli "$lbmac"
	stop_servers
	teardown_topology
}

# The address entry (how many UDP VIPs the address has) through `vip del`,
# `vip set` and `check --repair`: once the address is left with one `ip`
# VIP, a later fragment before its first goes by the client instead of
# being dropped; keyed by connection, it is dropped again.
address_entry_through_the_cli() {
	local lbmac=$1 M="[cli]" srcs=() i unknown0 tx0 key value
	for i in $(seq 7 9); do srcs+=("$(client4 "$i")"); done
	setup quiet siobpf vip del "$VIP4:4433/udp"
	check "$M vip del leaves the maps clean (siobpf check)" quiet siobpf check
	unknown0=$(counter drop_frag_unknown) tx0=$(counter tx)
	in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP4" 53 1,0,2 cli1 "${srcs[@]}" >"$TOP/cli1"
	sleep 0.5
	expect_eq "$M one ip VIP left: a later fragment before its first follows the client (none unknown)" \
		"$unknown0" "$(counter drop_frag_unknown)"
	expect_eq "$M one ip VIP left: all 3 fragments of each of 3 datagrams forwarded" "9" "$(($(counter tx) - tx0))"
	logged $(awk '{print $1}' "$TOP/cli1") >"$TOP/cli1.logged"
	expect_eq "$M one ip VIP left: every datagram arrived whole at exactly one backend" "" \
		"$(awk '$2 == "-" || $2 ~ /,/' "$TOP/cli1.logged")"

	setup quiet siobpf vip set "$VIP4:53/udp" --sticky ip-port
	check "$M vip set leaves the maps clean (siobpf check)" quiet siobpf check
	unknown0=$(counter drop_frag_unknown)
	in_ns c python3 "$TOP/client.py" raw eth0 "$lbmac" "$VIP4" 53 1,0,2 cli2 "${srcs[@]}" >/dev/null
	sleep 0.5
	expect_eq "$M its one VIP keyed by connection: a later fragment before its first is dropped" \
		"3" "$(($(counter drop_frag_unknown) - unknown0))"

	# A stale address entry (it counts 5 VIPs): check finds it, --repair
	# rewrites it from the VIP table.
	key="0a 4d 64 01 $(printf '00 %.0s' $(seq 12))00 00 11 04"
	value="05 00 00 00 ff ff ff ff $(printf '00 %.0s' $(seq 23))01"
	setup bpftool map update pinned "$SIOBPF_PIN_DIR/sio_vips" key hex $key value hex $value
	siobpf check >"$TOP/check.out" 2>&1
	expect_eq "$M check exits 1 on a stale address entry" "1" "$?"
	check "$M check names the address entries" grep -q "address entries" "$TOP/check.out"
	check "$M check --repair rewrites it" quiet siobpf check --repair
	check "$M check is clean afterwards" quiet siobpf check
	expect_eq "$M the repaired entry counts the one VIP again" "01 00 00 00" \
		"$(bpftool -j map lookup pinned "$SIOBPF_PIN_DIR/sio_vips" key hex $key |
			python3 -c 'import json, sys; print(" ".join("%02x" % int(x, 16) for x in json.load(sys.stdin)["value"][:4]))')"
}

run_mode native
run_mode generic
finish
