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
#     between changes): each flood client's sticky slot (a probation slot:
#     one packet each) names the backend it was sent to (id and
#     generation) and, by its deadline, the time unit (67 ms) it was made
#     in, which the check compares with the timeline of the changes (the
#     table holds no keys: tests/netns/slots.c reads every slot, and every
#     slot of the VIP's backends is a flood client's). A flood packet whose
#     key's 18-bit fingerprint matches an older flood client's probation
#     slot in its buckets promotes that slot (as the client's second
#     packet would): those few protected slots are counted, not timed, and
#     must be the VIP's admissions, no more than such collisions make;
#  3. a VIP that `apply` adds with its backends, while the flood is already
#     sending to it, goes live with its complete ring: no frame is dropped
#     for want of a backend, and the clients spread over all its backends.
#
# The flood's sources (fd77:1:8000::/80) are routed nowhere, and the frames
# carry no valid TCP checksum, so the backends drop them and answer nothing.
SIO_NS=siotrans
source "$(dirname "$0")/lib.sh"
require python3 nsenter bpftool cc

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
setup cc -O2 -I"$ROOT/include" -o "$TOP/slots" "$ROOT/tests/netns/slots.c" -lbpf

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
            time.sleep(0.3)
            t0 = now()
            p = subprocess.run([siobpf] + c, capture_output=True, text=True)
            t1 = now()
            after = taking()
            log.write(json.dumps({"change": " ".join(c[:2] + c[3:]), "rc": p.returncode,
                                  "err": p.stderr.strip(), "t0": t0, "t1": t1,
                                  "before": state, "after": after}) + "\n")
            state = after
    time.sleep(0.3)
    log.write(json.dumps({"end": now()}) + "\n")
PY

cat >"$TOP/check.py" <<'PY'
# check CHANGES SLOTS PERSIST: every flood client's slot against the
# timeline; prints the counts and each violation. SLOTS is tests/netns/
# slots.c's output; a slot made at t has the deadline units(t) + the
# persistence in units (siobpf/table.h), so it was made within the unit
# before that, [start, start + 2^26 ns), here widened by the coarse
# clock's tick, twice. Its backend must take new clients at some time of
# that window.
import json, sys

SLACK = 8_000_000  # ns: the coarse clock's tick, twice
UNIT_SHIFT, TIME_MASK = 26, (1 << 25) - 1
lines = [json.loads(l) for l in open(sys.argv[1])]
persist_sec = int(sys.argv[3])
persist_u = min(persist_sec, 1000000) * 1000000000 >> UNIT_SHIFT  # siobpf_persist_units
changes = [l for l in lines if "change" in l]
start, end = lines[0]["start"], lines[-1]["end"]
# The backends (id, generation's low 6 bits) of the VIP at any time.
low = lambda pairs: {(i, g & 63) for i, g in pairs}
ids = {i for l in lines for key in ("before", "after") for i, _ in l.get(key, [])}


def allowed(t):
    """The backends that may take a client made at t."""
    ok = low(lines[0]["after"])
    for c in changes:
        if t < c["t0"] - SLACK:
            break
        if t <= c["t1"] + SLACK:
            return ok | low(c["after"])
        ok = low(c["after"])
    return ok


# allowed() is constant between these times: a window's union of it is
# its value at the window's start and at each of these in the window.
edges = sorted([c["t0"] - SLACK for c in changes] + [c["t1"] + SLACK + 1 for c in changes])


def allowed_in(a, b):
    ok = allowed(a)
    for e in edges:
        if a < e <= b:
            ok |= allowed(e)
    return ok


slots = open(sys.argv[2]).read().split("\n")
now_ns, now_u = map(int, slots[0].split()[1:3])
full_now = now_ns >> UNIT_SHIFT
checked = bad = outside = spanning = other_kind = 0
for line in slots[1:]:
    if not line:
        continue
    bucket, slot, kind, backend, gen, deadline, remaining = map(int, line.split())
    if backend not in ids:
        continue
    if kind != 1:  # one SYN each: the VIP's slots are probation slots
        other_kind += 1
        continue
    made_u = full_now - ((now_u - (deadline - persist_u)) & TIME_MASK)
    a, b = (made_u << UNIT_SHIFT) - SLACK, ((made_u + 1) << UNIT_SHIFT) + SLACK
    if not (start - SLACK <= b and a <= end + SLACK):
        outside += 1
        continue
    checked += 1
    ok = allowed_in(a, b)
    if ok != allowed(a) or ok != allowed(b):
        spanning += 1
    if (backend, gen) not in ok:
        bad += 1
        if bad <= 10:
            print("a client made in [%d, %d] went to backend %d gen %d; allowed %s" % (
                a, b, backend, gen, sorted(ok)))
failed = [c for c in changes if c["rc"] != 0]
for c in failed[:5]:
    print("change '%s' failed: %s" % (c["change"], c["err"]))
print("%d slots' windows span a change; %d slots of the VIP's backends are not probation slots" % (
    spanning, other_kind))
print("changes %d failed %d entries %d outside %d other %d wrong %d" % (
    len(changes), len(failed), checked, outside, other_kind, bad))
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
	setup "$TOP/slots" "$SIOBPF_PIN_DIR/sio_sticky" >"$TOP/slots.$mode"
	persist=$(siobpf status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vips"][0]["persist"])')
	out=$(python3 "$TOP/check.py" "$TOP/changes.$mode" "$TOP/slots.$mode" "$persist")
	printf '%s\n' "$out" | sed 's/^/#   /'
	summary=$(printf '%s\n' "$out" | tail -1)
	expect_eq "$mode: all $((ROUNDS * 8)) changes succeeded" "0" "$(sed -n 's/.* failed \([0-9]*\) .*/\1/p' <<<"$summary")"
	checked=$(sed -n 's/.* entries \([0-9]*\) .*/\1/p' <<<"$summary")
	check "$mode: the timeline check saw the flood's clients ($checked entries)" [ "${checked:-0}" -ge 10000 ]
	expect_eq "$mode: every new client went to a backend taking new clients before or after the change" \
		"0" "$(sed -n 's/.* wrong \([0-9]*\)$/\1/p' <<<"$summary")"
	other=$(sed -n 's/.* other \([0-9]*\) .*/\1/p' <<<"$summary")
	admitted=$(siobpf stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vips"][0]["admission"]["admitted"])')
	# A promotion can be gone by now (the changes delete backend 2, whose
	# slots are emptied, and re-add it under a new generation), so the
	# protected slots are at most the promotions; one more would be a flood
	# slot made protected without a promotion.
	check "$mode: the VIP's slots that are not probation slots are its promotions ($other <= $admitted admitted)" \
		[ "$other" -le "$admitted" ]
	bound=$(python3 -c "import math,sys; m = int(sys.argv[1]) * 16 / 2**18; print(math.ceil(m + 4 * math.sqrt(m) + 4))" "$sent")
	check "$mode: those promotions are fingerprint collisions only ($admitted <= $bound for $sent frames)" \
		[ "$admitted" -le "$bound" ]

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
	setup "$TOP/slots" "$SIOBPF_PIN_DIR/sio_sticky" >"$TOP/slots81.$mode"
	be81=$(siobpf status --json | python3 -c 'import json,sys; print(" ".join("%d:%d" % (b["id"], b["generation"] & 63) for v in json.load(sys.stdin)["vips"] if v["port"] == 81 for b in v["backends"]))')
	shares=$(python3 - "$TOP/slots81.$mode" "$be81" <<'PY'
import sys
# The slots of the new VIP's backends (id and generation: an id of the
# first VIP's deleted backend may be the new VIP's now, of another generation).
mine = {tuple(map(int, p.split(":"))) for p in sys.argv[2].split()}
counts = {}
for line in open(sys.argv[1]).read().split("\n")[1:]:
    if line:
        _, _, kind, b, gen, _, _ = map(int, line.split())
        if (b, gen) in mine:
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
