#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# New clients during every kind of backend change. A raw-frame sender in
# the client namespace sends TCP SYNs to the IPv6 VIP, each from a source
# address never used before, while backend 2 is drained and upped, downed
# and upped, deleted and added again, and a fourth backend is added and
# deleted: 5 rounds of these 8 changes, 40 in all, in native and in generic
# XDP. It proves that, through all of them:
#
#  1. no new client is dropped for want of a backend (drop_no_backend stays
#     0), and every frame is forwarded;
#  2. every new client lands on a backend that takes new clients in the
#     state before or after the change in progress (or in the steady state
#     between changes): each flood client's sticky entry (on probation in
#     sio_probation: one packet each) names the backend it was sent to and
#     the time it was made, which the check compares with the timeline of
#     the changes;
#  3. a VIP that `apply` adds with its backends, while the flood is already
#     sending to it, goes live with its complete ring: no frame is dropped
#     for want of a backend, and the clients spread over all its backends.
#
# The flood's sources (fd77:1:8000::/80) are routed nowhere, and the frames
# carry no valid TCP checksum, so the backends drop them and answer nothing.
SIO_NS=siotrans
source "$(dirname "$0")/lib.sh"
require python3 nsenter bpftool

export CLIENTS4=4 CLIENTS6=4 BACKENDS=4
ROUNDS=${TRANSITION_ROUNDS:-5} # rounds of the 8 changes
VIP=[$VIP6]:80
TOP=$(mktemp -d /tmp/siobpf-transitions.XXXXXX)
SENDER_PID=
cleanup() {
	[ -n "$SENDER_PID" ] && kill "$SENDER_PID" 2>/dev/null
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT
# A copy of the build: a rebuild while the test runs must not swap it.
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "copy $BUILD/siobpf and its XDP_PASS object (run make tests)"; finish; exit 1; }
export BUILD=$TOP/build

cat >"$TOP/flood.py" <<'PY'
# flood IFACE DST_MAC VIP PORT STOPFILE COUNTFILE: SYN frames to VIP:PORT,
# each from the next address of fd77:1:8000::/80, until STOPFILE exists.
import os, socket, struct, sys

iface, dst_mac, vip, port, stop, countfile = sys.argv[1:7]
src_mac = open("/sys/class/net/%s/address" % iface).read().strip()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", "")) + b"\x86\xdd"
tcp = struct.pack("!HHIIBBHHH", 40000, int(port), 1, 0, 5 << 4, 0x02, 64240, 0, 0)
base = socket.inet_pton(socket.AF_INET6, "fd77:1:8000::")
ip6 = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64)
dst = socket.inet_pton(socket.AF_INET6, vip)
n = 0
while True:
    if n % 4096 == 0 and os.path.exists(stop):
        break
    n += 1
    src = base[:12] + struct.pack("!I", n)
    s.send(eth + ip6 + src + dst + tcp)
open(countfile, "w").write("%d\n" % n)
PY

cat >"$TOP/changes.py" <<'PY'
# changes SIOBPF VIP ROUNDS OUT: the 8 changes, ROUNDS times, with the
# backends taking new clients before and after each and its time window
# (CLOCK_MONOTONIC_COARSE, the data path's clock), as JSON lines on OUT.
import json, subprocess, sys, time

siobpf, vip, rounds, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
CHANGES = [
    ["backend", "set", vip, "fd77::1:2", "--state", "drain"],
    ["backend", "set", vip, "fd77::1:2", "--state", "up"],
    ["backend", "set", vip, "fd77::1:2", "--state", "down"],
    ["backend", "set", vip, "fd77::1:2", "--state", "up"],
    ["backend", "del", vip, "fd77::1:2"],
    ["backend", "add", vip, "fd77::1:2"],
    ["backend", "add", vip, "fd77::1:4"],
    ["backend", "del", vip, "fd77::1:4"],
]


def taking():
    d = json.loads(subprocess.run([siobpf, "status", "--json"], check=True,
                                  capture_output=True, text=True).stdout)
    return sorted([b["id"], b["generation"]] for v in d["vips"] for b in v["backends"]
                  if b["state"] == "up")


def now():
    return time.clock_gettime_ns(getattr(time, "CLOCK_MONOTONIC_COARSE", 6))  # Linux: 6


with open(out, "w") as log:
    state = taking()
    log.write(json.dumps({"start": now(), "after": state}) + "\n")
    for r in range(rounds):
        for c in CHANGES:
            time.sleep(0.15)
            t0 = now()
            p = subprocess.run([siobpf] + c, capture_output=True, text=True)
            t1 = now()
            after = taking()
            log.write(json.dumps({"change": " ".join(c[:2] + c[3:]), "rc": p.returncode,
                                  "err": p.stderr.strip(), "t0": t0, "t1": t1,
                                  "before": state, "after": after}) + "\n")
            state = after
    time.sleep(0.15)
    log.write(json.dumps({"end": now()}) + "\n")
PY

cat >"$TOP/check.py" <<'PY'
# check CHANGES DUMP VIP_ID: every flood client's entry against the
# timeline; prints the counts and each violation.
import json, socket, struct, sys

SLACK = 8_000_000  # ns: the coarse clock's tick, twice
lines = [json.loads(l) for l in open(sys.argv[1])]
entries = json.load(open(sys.argv[2]))
vip_id = int(sys.argv[3])
changes = [l for l in lines if "change" in l]
start, end = lines[0]["start"], lines[-1]["end"]
flood = socket.inet_pton(socket.AF_INET6, "fd77:1:8000::")[:10]


def allowed(t):
    """The (id, generation) pairs that may take a client made at t."""
    ok = set(map(tuple, lines[0]["after"]))
    for c in changes:
        if t < c["t0"] - SLACK:
            break
        if t <= c["t1"] + SLACK:
            return ok | set(map(tuple, c["after"]))
        ok = set(map(tuple, c["after"]))
    return ok


checked = bad = outside = 0
for e in entries:
    key = bytes(int(x, 16) for x in e["key"])
    val = bytes(int(x, 16) for x in e["value"])
    vid, = struct.unpack_from("<I", key, 0)
    addr = key[4:20]
    if vid != vip_id or addr[:10] != flood:
        continue
    backend, generation, seen = struct.unpack_from("<IIQ", val, 0)
    if not (start - SLACK <= seen <= end + SLACK):
        outside += 1
        continue
    checked += 1
    if (backend, generation) not in allowed(seen):
        bad += 1
        if bad <= 10:
            print("client %s made at %d went to backend %d gen %d; allowed %s" % (
                socket.inet_ntop(socket.AF_INET6, addr), seen, backend, generation,
                sorted(allowed(seen))))
failed = [c for c in changes if c["rc"] != 0]
for c in failed[:5]:
    print("change '%s' failed: %s" % (c["change"], c["err"]))
print("changes %d failed %d entries %d outside %d wrong %d" % (
    len(changes), len(failed), checked, outside, bad))
PY

counter() { siobpf stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["'"$1"'"])'; }
in_lb() { nsenter --net="/run/netns/$SIO_NS-lb" "$@"; }

for mode in native generic; do
	section() { echo "# --- $mode XDP: $*"; }
	section "setup"
	export XDP_MODE=$mode
	setup setup_topology
	setup siobpf load eth0 --mode "$mode"
	setup siobpf vip add "$VIP" --probe none
	for i in 1 2 3; do setup siobpf backend add "$VIP" "fd77::1:$i"; done
	for i in 1 2 3 4; do setup in_ns "b$i" ip -6 route add blackhole fd77:1:8000::/80; done
	vip_id=$(siobpf status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vips"][0]["id"])')
	lbmac=$(in_lb cat /sys/class/net/eth0/address)
	drops0=$(counter drop_no_backend)
	tx0=$(counter tx)
	rm -f "$TOP/stop" "$TOP/sent"
	in_ns c python3 "$TOP/flood.py" eth0 "$lbmac" "$VIP6" 80 "$TOP/stop" "$TOP/sent" &
	SENDER_PID=$!
	sleep 0.5
	setup in_lb python3 "$TOP/changes.py" "$BUILD/siobpf" "$VIP" "$ROUNDS" "$TOP/changes.$mode"
	: >"$TOP/stop"
	wait "$SENDER_PID"
	SENDER_PID=
	sent=$(cat "$TOP/sent" 2>/dev/null || echo 0)
	sleep 0.2
	drops=$(($(counter drop_no_backend) - drops0))
	tx=$(($(counter tx) - tx0))
	echo "# $mode: $sent flood frames sent during $((ROUNDS * 8)) changes; $tx forwarded"
	check "$mode: the flood ran (>= 20000 frames)" [ "$sent" -ge 20000 ]
	expect_eq "$mode: no new client was dropped for want of a backend (drop_no_backend)" "0" "$drops"
	check "$mode: every flood frame was forwarded ($tx of $sent)" [ "$tx" -ge "$sent" ]
	setup bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_probation" >"$TOP/dump.$mode"
	out=$(python3 "$TOP/check.py" "$TOP/changes.$mode" "$TOP/dump.$mode" "$vip_id")
	printf '%s\n' "$out" | sed 's/^/#   /'
	summary=$(printf '%s\n' "$out" | tail -1)
	expect_eq "$mode: all $((ROUNDS * 8)) changes succeeded" "0" "$(sed -n 's/.* failed \([0-9]*\) .*/\1/p' <<<"$summary")"
	checked=$(sed -n 's/.* entries \([0-9]*\) .*/\1/p' <<<"$summary")
	check "$mode: the timeline check saw the flood's clients ($checked entries)" [ "${checked:-0}" -ge 10000 ]
	expect_eq "$mode: every new client went to a backend taking new clients before or after the change" \
		"0" "$(sed -n 's/.* wrong \([0-9]*\)$/\1/p' <<<"$summary")"

	section "a new VIP from apply"
	drops0=$(counter drop_no_backend)
	rm -f "$TOP/stop" "$TOP/sent"
	in_ns c python3 "$TOP/flood.py" eth0 "$lbmac" "$VIP6" 81 "$TOP/stop" "$TOP/sent" &
	SENDER_PID=$!
	sleep 0.3
	{
		siobpf save
		printf '  - vip: "[%s]:81"\n    probe: {type: none}\n    backends:\n' "$VIP6"
		for i in 1 2 3; do printf '      - address: fd77::1:%s\n' "$i"; done
	} >"$TOP/apply.yaml"
	setup siobpf apply -f "$TOP/apply.yaml"
	sleep 1
	: >"$TOP/stop"
	wait "$SENDER_PID"
	SENDER_PID=
	expect_eq "$mode: apply of a new VIP under a flood to it drops no frame for want of a backend" \
		"0" "$(($(counter drop_no_backend) - drops0))"
	vip81=$(siobpf status --json | python3 -c 'import json,sys; print([v["id"] for v in json.load(sys.stdin)["vips"] if v["port"] == 81][0])')
	setup bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_probation" >"$TOP/dump81.$mode"
	shares=$(python3 - "$TOP/dump81.$mode" "$vip81" <<'PY'
import json, struct, sys
counts = {}
for e in json.load(open(sys.argv[1])):
    key = bytes(int(x, 16) for x in e["key"])
    if struct.unpack_from("<I", key, 0)[0] == int(sys.argv[2]):
        b = struct.unpack_from("<I", bytes(int(x, 16) for x in e["value"]), 0)[0]
        counts[b] = counts.get(b, 0) + 1
n = sum(counts.values())
print(n, " ".join("%.2f" % (c / n) for c in sorted(counts.values())) if n else "")
PY
)
	echo "# $mode: the new VIP's clients and their shares by backend: $shares"
	check "$mode: the new VIP's clients spread over its 3 backends, each with 25% or more ($shares)" \
		python3 -c 'import sys; n, *s = sys.argv[1].split(); sys.exit(not (int(n) >= 1000 and len(s) == 3 and min(map(float, s)) >= 0.25))' "$shares"
	teardown_topology
done
finish
