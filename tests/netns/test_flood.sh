#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Floods of spoofed sources against admission (siobpf/decide.h), in native
# and in generic XDP. Real clients, each connecting again and again for
# several seconds (so their sticky entries are protected), keep connecting
# while a raw-frame sender in the client namespace sends FLOOD_SOURCES
# (1,000,000) new sources per style and XDP mode, in three styles one after
# the other: SYN only, ACK only, and SYN-then-ACK pairs (4 million frames
# per mode). After each flood a backend is added (and removed again
# before the next). It proves that, in each style:
#
#  1. no real client changed backend, through the flood and the backend add
#     (a quarter of them would have, had their entries been evicted), and
#     none of their requests failed;
#  2. every real client still has a live protected slot in the sticky table
#     (siobpf lookup): the flood fills free slots with probation slots and
#     displaces only probation slots, never a protected one;
#  3. no flood source is admitted by its own packets: a sample of each
#     flood's sources (siobpf lookup) has no protected slot, and the
#     promotions during a flood are fingerprint collisions only: a flood
#     packet whose key's 18-bit fingerprint matches an older probation slot
#     (another flood source's) in its two buckets is that client's second
#     packet, as far as the table can tell, and promotes it. Each packet
#     compares at most 16 slots, so a flood of F frames makes at most about
#     F * 16 / 2^18 such promotions (61 per million frames, more than the
#     table's fill makes); the test bounds them by that plus four standard
#     deviations, where a flood that admitted its sources would promote
#     hundreds of thousands. The table's protected slots are the real
#     clients' plus those promotions, exactly; and the flood went through
#     XDP (its counters). The table's counters of inserts that found no
#     slot (full) and of probation slots taken by newer clients (evicted)
#     are printed;
#
# and then that a real TCP connection whose handshake spans a backend add
# is not reset: clients connect while an nftables rule on the client side
# holds back their ACKs and data, their probation slots are lost (the VIP's
# persistence is lowered to 10 s first, and the test waits until lookup
# finds none of them: as a flood would evict them), backend 4 joins, the
# rule goes, and each client's request is answered by the backend its SYN
# went to (the previous ring), although the new ring sends some of them to
# backend 4.
#
# The flood rates are printed: frames per second sent, and seen by XDP
# (the VIP's misses and deferred admissions: the real clients' packets are
# protected hits, so these are the flood's frames). Frames lost before XDP
# make the two differ.
SIO_NS=sioflood
source "$(dirname "$0")/lib.sh"
require python3 nsenter bpftool nft cc

export CLIENTS4=60 CLIENTS6=1 BACKENDS=4
FLOOD_SOURCES=${FLOOD_SOURCES:-1000000} # per style and XDP mode
PER_STYLE=$FLOOD_SOURCES
REAL=40      # real clients: the first 40 IPv4 client addresses
HANDSHAKE=16 # clients of the handshake check: the next 16
VIP=$VIP4:80
TOP=$(mktemp -d /tmp/siobpf-flood.XXXXXX)
LOOP_PID=
cleanup() {
	[ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT
# A copy of the build: a rebuild while the test runs must not swap it.
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "copy $BUILD/siobpf and its XDP_PASS object (run make tests)"; finish; exit 1; }
export BUILD=$TOP/build
setup cc -O2 -o "$TOP/flood" "$ROOT/tests/netns/flood.c"

cat >"$TOP/clients.py" <<'PY'
# loop STOPFILE OUT SRC...: every client connects again and again (a new
#   connection each time, 0.2 s apart) until STOPFILE exists; OUT gets, per
#   client, the backends that answered and the failures: "SRC b1,b2 FAILED".
# handshake VIP SRC...: a connection per client (their ACKs are held back
#   by nftables meanwhile), then, once stdin gives a line, a request on
#   each: "SRC BACKEND" or "SRC - ERROR".
import os, socket, sys, threading, time

VIP = "10.77.100.1"


def get(src, timeout=5):
    s = socket.create_connection((VIP, 80), timeout=timeout, source_address=(src, 0))
    try:
        return request(s)
    finally:
        s.close()


def request(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("answer " + head[:40].decode(errors="replace"))
    return body.decode().strip()


def loop(stop, out, srcs):
    seen = {s: set() for s in srcs}
    failed = {s: 0 for s in srcs}
    lock = threading.Lock()

    def one(src):
        while not os.path.exists(stop):
            try:
                name = get(src)
            except OSError:
                name = None
            with lock:
                if name is None:
                    failed[src] += 1
                else:
                    seen[src].add(name)
            time.sleep(0.2)

    ts = [threading.Thread(target=one, args=(s,)) for s in srcs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        for s in srcs:
            f.write("%s %s %d\n" % (s, ",".join(sorted(seen[s])) or "-", failed[s]))


def handshake(srcs):
    socks = {}
    for src in srcs:
        s = socket.socket()
        s.settimeout(5)
        s.bind((src, 0))
        s.connect((VIP, 80))  # the SYN-ACK is in: the ACK left, and was dropped
        socks[src] = s
    print("connected", flush=True)
    sys.stdin.readline()
    for src, s in socks.items():
        try:
            print(src, request(s), flush=True)
        except OSError as e:
            print(src, "-", type(e).__name__, flush=True)
        s.close()


if sys.argv[1] == "loop":
    loop(sys.argv[2], sys.argv[3], sys.argv[4:])
else:
    handshake(sys.argv[2:])
PY

# stats_field PATH: a number from `siobpf stats --json`, by a Python path.
stats_field() { siobpf stats --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The flood's frames that XDP saw: packets with no live entry, and probation hits.
flood_seen() { stats_field 'd["vips"][0]["admission"]["misses"] + d["vips"][0]["admission"]["deferred"]'; }
protected_entries() { stats_field 'd["admission"]["protected_entries"]'; }
admitted() { stats_field 'd["vips"][0]["admission"]["admitted"]'; }
# table_counter NAME: an admission counter of the sticky table (full,
# evicted, raced), summed over the VIPs and CPUs, from `siobpf stats --json`.
table_counter() { stats_field "d[\"admission\"][\"$1\"]"; }
# entries_of OUT SRC...: "SRC entry backend" per client, from siobpf lookup.
entries_of() {
	local out=$1 src
	shift
	for src in "$@"; do
		siobpf lookup --json "$VIP" "$src"
	done | python3 -c '
import json, sys
for line in sys.stdin:
    j = json.loads(line)
    print(j["client"], j.get("entry", j["reason"]), j["backend"])' >"$out"
}
in_lb() { nsenter --net="/run/netns/$SIO_NS-lb" "$@"; }

real=()
for i in $(seq 1 $REAL); do real+=("$(client4 "$i")"); done
hs=()
for i in $(seq $((REAL + 1)) $((REAL + HANDSHAKE))); do hs+=("$(client4 "$i")"); done

for mode in native generic; do
	echo "# --- $mode XDP"
	export XDP_MODE=$mode
	setup setup_topology
	setup siobpf load eth0 --mode "$mode"
	setup siobpf vip add "$VIP" --probe none
	for i in 1 2 3; do setup siobpf backend add "$VIP" "10.77.1.$i"; done
	# The flood's frames reach the backends (DSR forwards them): dropped
	# there at ingress, before the IP stack, so that the flood's pace is the
	# balancer's rather than the backends'; its sources are routed nowhere.
	for i in 1 2 3 4; do
		setup in_ns "b$i" ip route add blackhole 10.128.0.0/9
		setup in_ns "b$i" nft -f - <<EOF
table netdev flood {
	chain ingress {
		type filter hook ingress device eth0 priority -500;
		ip saddr 10.128.0.0/9 drop
	}
}
EOF
	done
	lbmac=$(in_lb cat /sys/class/net/eth0/address)

	# Real clients: connecting every 0.2 s from now to the end, seen again
	# more than a second after their first connection by the time the
	# first flood starts.
	rm -f "$TOP/stop"
	in_ns c python3 "$TOP/clients.py" loop "$TOP/stop" "$TOP/loop.$mode" "${real[@]}" &
	LOOP_PID=$!
	sleep 3
	entries_of "$TOP/entries0.$mode" "${real[@]}"
	expect_eq "$mode: every real client has a protected entry before the floods" \
		"$REAL" "$(grep -c ' protected ' "$TOP/entries0.$mode")"
	base_protected=$(protected_entries)
	base_admitted=$(admitted)

	first=0
	for style in syn ack syn-ack; do
		src=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_address('10.128.0.0') + int(sys.argv[1]))" "$first")
		first=$((first + PER_STYLE))
		p0=$(flood_seen)
		a0=$(admitted)
		out=$(in_ns c "$TOP/flood" eth0 "$lbmac" "$VIP4" 80 "$style" "$src" "$PER_STYLE")
		sleep 0.3
		p1=$(flood_seen)
		read -r frames sources secs <<<"$out"
		seen=$((p1 - p0))
		rates=$(python3 -c "import sys; f, s, t = map(float, sys.argv[1:]); print('%.0f frames/s sent, %.0f frames/s seen by XDP (%d of %d frames, %.1f s)' % (f / t, s / t, s, f, t))" "$frames" "$seen" "$secs")
		echo "# $mode $style flood: $sources sources; $rates"
		check "$mode $style: the flood sent $PER_STYLE sources" [ "${sources:-0}" -ge "$PER_STYLE" ]
		check "$mode $style: XDP saw the flood (>= a tenth of its $frames frames; $seen)" \
			[ "$seen" -ge $((frames / 10)) ]
		promoted=$(($(admitted) - a0))
		bound=$(python3 -c "import math,sys; m = int(sys.argv[1]) * 16 / 2**18; print(math.ceil(m + 4 * math.sqrt(m) + 4))" "$seen")
		echo "# $mode $style: $promoted probation slots promoted during the flood (fingerprint collisions; bound $bound)"
		check "$mode $style: promotions during the flood are fingerprint collisions only ($promoted <= $bound)" \
			[ "$promoted" -le "$bound" ]
		expect_eq "$mode $style: the table's protected slots are the real clients' and the collisions' only" \
			"$((base_protected + $(admitted) - base_admitted))" "$(protected_entries)"
		# A sample of this flood's sources, spread over it: none protected.
		sample=$(python3 -c "import ipaddress,sys; b = ipaddress.ip_address(sys.argv[1]); n = int(sys.argv[2]); print(' '.join(str(b + i * (n // 200)) for i in range(200)))" "$src" "$PER_STYLE")
		entries_of "$TOP/flood.$mode.$style" $sample
		kinds=$(awk '{ print $2 }' "$TOP/flood.$mode.$style" | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
		echo "# $mode $style: 200 of the flood's sources by lookup: $kinds; table counters: full $(table_counter full), evicted $(table_counter evicted), raced $(table_counter raced)"
		expect_eq "$mode $style: 200 sampled flood sources looked up, none with a protected slot" \
			"200 0" "$(wc -l <"$TOP/flood.$mode.$style") $(grep -c ' protected ' "$TOP/flood.$mode.$style")"
		if [ "$style" = syn ]; then
			# One SYN each: every source that found a free slot has a probation slot.
			check "$mode syn: the SYN flood made probation slots (sampled: $kinds)" \
				grep -q ' probation ' "$TOP/flood.$mode.$style"
		fi

		setup siobpf backend add "$VIP" 10.77.1.4
		sleep 1.5
		entries_of "$TOP/entries.$mode.$style" "${real[@]}"
		expect_eq "$mode $style: every real client still has a live protected slot (0 evicted)" \
			"$REAL" "$(grep -c ' protected ' "$TOP/entries.$mode.$style")"
		expect_eq "$mode $style: 0 real clients moved: each entry names its backend of before" "" \
			"$(diff <(awk '{print $1, $3}' "$TOP/entries0.$mode") <(awk '{print $1, $3}' "$TOP/entries.$mode.$style"))"
		setup siobpf backend del "$VIP" 10.77.1.4
	done

	: >"$TOP/stop"
	wait "$LOOP_PID"
	LOOP_PID=
	moved=$(awk '$2 ~ /,/ { n++ } END { print n + 0 }' "$TOP/loop.$mode")
	failed=$(awk '{ n += $3 } END { print n + 0 }' "$TOP/loop.$mode")
	expect_eq "$mode: no real client was answered by two backends through the floods and backend adds" "0" "$moved"
	expect_eq "$mode: no request of the real clients failed" "0" "$failed"
	check "$mode: every real client was answered" [ "$(awk '$2 != "-"' "$TOP/loop.$mode" | wc -l)" -eq "$REAL" ]

	# A handshake that spans a backend add: its ACK and request held back
	# on the client, its probation slot lost, the ring changed meanwhile.
	# The VIP's persistence goes down to 10 s, so that the handshakes'
	# probation slots expire (9.9 to 10 s after their SYN), well after the
	# lookups below have seen them.
	setup siobpf vip set "$VIP" --persist 10
	setup in_ns c nft -f - <<EOF
table ip holdack {
	chain out {
		type filter hook output priority 0;
		ip daddr $VIP4 tcp dport 80 tcp flags & (syn | ack) == ack drop
	}
}
EOF
	coproc HS { in_ns c python3 "$TOP/clients.py" handshake "${hs[@]}"; }
	read -r -t 10 ready <&"${HS[0]}"
	expect_eq "$mode: the handshake clients' SYNs were answered" "connected" "${ready:-}"
	entries_of "$TOP/hs0.$mode" "${hs[@]}"
	before=$(awk '{ printf "%s%s", s, $3; s = " " }' "$TOP/hs0.$mode")
	n=$(grep -c ' probation ' "$TOP/hs0.$mode")
	expect_eq "$mode: each handshake's SYN made a probation slot" "$HANDSHAKE" "$n"
	[ "$n" = "$HANDSHAKE" ] || sed 's/^/#   /' "$TOP/hs0.$mode"
	for i in $(seq 80); do
		entries_of "$TOP/hs1.$mode" "${hs[@]}"
		[ "$(grep -c ' ring ' "$TOP/hs1.$mode")" -eq "$HANDSHAKE" ] && break
		sleep 0.25
	done
	expect_eq "$mode: the handshakes' probation slots are lost (lookup: the ring decides)" \
		"$HANDSHAKE" "$(grep -c ' ring ' "$TOP/hs1.$mode")"
	setup siobpf backend add "$VIP" 10.77.1.4
	after=$(for src in "${hs[@]}"; do siobpf lookup --json "$VIP" "$src"; done |
		python3 -c 'import json,sys; print(" ".join(json.loads(l)["backend"] for l in sys.stdin))')
	setup in_ns c nft delete table ip holdack
	echo go >&"${HS[1]}"
	answers=$(timeout 20 cat <&"${HS[0]}")
	wait "$HS_PID" 2>/dev/null
	movers=$(python3 -c 'import sys; b, a = sys.argv[1].split(), sys.argv[2].split(); print(sum(x != y for x, y in zip(b, a)))' "$before" "$after")
	echo "# $mode: $movers of $HANDSHAKE handshake clients are sent elsewhere by the new ring"
	check "$mode: the backend add moves some handshake clients on the ring ($movers)" [ "$movers" -ge 1 ]
	want=$(python3 -c 'import sys; print(" ".join("b%s" % x.rsplit(".", 1)[1] for x in sys.argv[1].split()))' "$before")
	got=$(awk '{ print $2 }' <<<"$answers" | tr '\n' ' ' | sed 's/ $//')
	expect_eq "$mode: every handshake that spans the backend add completes on its SYN's backend (none reset)" \
		"$want" "$got"
	teardown_topology
done
finish
