#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The upgrade from release 0.1.0 under traffic. 0.1.0 (commit 5267a54, built
# from this repository's history) runs the balancer, with clients, sticky
# entries, a backend's own probe settings and counters; then this build's
# `siobpf reload` finds maps of layout 1 (no sio_meta, a shorter
# siobpf_backend_config) and migrates them while clients keep connecting.
# Then the same from layout 2 (commit 93c01e5, the last before admission),
# whose sticky entries must land in the protected table as well.
# It proves that:
#
#  1. the reload migrates to this layout and fails no request of the
#     clients that connect throughout (a new connection each time);
#  2. no client changes backend, through the reload and through a backend
#     added right after it (which would move about a quarter of them had
#     their sticky entries been lost);
#  3. every sticky entry, VIP, backend, the backend's probe settings and the
#     counters are carried over, and the old pins are replaced;
#  4. every sticky entry of layout 1 or 2 is carried into the protected
#     table (sio_sticky), none onto probation: clients that existed before
#     an upgrade are established ones.
# The layout-2 phase checks 1, 2, 3's sticky entries and 4.
#
# 0.1.0's BPF code includes glibc headers through linux/icmp.h, which with
# -target bpf want gnu/stubs-32.h (a 32-bit libc package). Rather than
# install one, its build alone gets an empty stub on CPATH: that header only
# lists unimplemented functions, which BPF code never calls.
SIO_NS=sioup
source "$(dirname "$0")/lib.sh"
require git make clang python3 nsenter curl bpftool

RELEASE=5267a54
LAYOUT2=93c01e5
export CLIENTS4=120 CLIENTS6=1 BACKENDS=4
TOP=$(mktemp -d /tmp/siobpf-upgrade.XXXXXX)
OLD=$TOP/v0.1.0
NEW=$TOP/new
CLIENTS=100 # the first 100 IPv4 clients connect throughout
cleanup() {
	[ -n "${LOOP_PID:-}" ] && kill "$LOOP_PID" 2>/dev/null
	[ -n "${DAEMON_PID:-}" ] && kill "$DAEMON_PID" 2>/dev/null
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT

# The two builds: release 0.1.0 from history, and a copy of this one (a
# rebuild of $BUILD while the test runs must not swap the binary under it).
build_release() {
	mkdir -p "$OLD/src" "$TOP/stub/gnu" &&
		git -C "$ROOT" archive "$RELEASE" | tar -x -C "$OLD/src" &&
		: >"$TOP/stub/gnu/stubs-32.h" &&
		CPATH=$TOP/stub make -s -C "$OLD/src" BUILD="$OLD/build" "$OLD/build/siobpf" >"$TOP/old-build.log" 2>&1 ||
		{ tail -20 "$TOP/old-build.log"; return 1; }
}
setup build_release
setup "$OLD/build/siobpf" version
mkdir -p "$NEW/tests"
setup cp "$BUILD/siobpf" "$NEW/siobpf"
setup cp "$BUILD/tests/xdp_pass.bpf.o" "$NEW/tests/"
export BUILD=$NEW
old() { nsenter --net="/run/netns/$SIO_NS-lb" "$OLD/build/siobpf" "$@"; }
new() { nsenter --net="/run/netns/$SIO_NS-lb" "$NEW/siobpf" "$@"; }

cat >"$TOP/clients.py" <<'PY'
# names SRC...: one request per client, "SRC BACKEND" lines.
# loop STOPFILE OUT SRC...: every client connects again and again (a new
#   connection each time) until STOPFILE exists; OUT gets, per client, the
#   backends that answered it and the failures: "SRC b1,b2 FAILED".
import socket, sys, threading, os, time

VIP = "10.77.100.1"


def get(src):
    s = socket.create_connection((VIP, 80), timeout=2, source_address=(src, 0))
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("answer " + head[:40].decode(errors="replace"))
    return body.decode().strip()


def names(srcs):
    for src in srcs:
        try:
            print(src, get(src))
        except OSError:
            print(src, "-")


def loop(stop, out, srcs):
    seen = {s: set() for s in srcs}
    failed = {s: 0 for s in srcs}
    requests = [0]
    lock = threading.Lock()

    def one(src):
        while not os.path.exists(stop):
            try:
                name = get(src)
            except OSError:
                name = None
            with lock:
                requests[0] += 1
                if name is None:
                    failed[src] += 1
                else:
                    seen[src].add(name)
            time.sleep(0.05)

    ts = [threading.Thread(target=one, args=(s,)) for s in srcs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        for s in srcs:
            f.write("%s %s %d\n" % (s, ",".join(sorted(seen[s])) or "-", failed[s]))
        f.write("requests %d\n" % requests[0])


if sys.argv[1] == "names":
    names(sys.argv[2:])
else:
    loop(sys.argv[2], sys.argv[3], sys.argv[4:])
PY
srcs=()
for i in $(seq 1 $CLIENTS); do srcs+=("$(client4 "$i")"); done
names() { in_ns c python3 "$TOP/clients.py" names "${srcs[@]}"; }
# vip_packets BUILD: the VIPs' packet counters, summed, from `siobpf stats --json`.
vip_packets() { "$1" stats --json | python3 -c 'import json,sys; print(sum(v["packets"] for v in json.load(sys.stdin)["vips"]))'; }
sticky_count() { bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_sticky" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

setup setup_topology
VIP=$VIP4:80
setup old load eth0
setup old vip add "$VIP" --probe http --probe-path /
for i in 1 2 3; do setup old backend add "$VIP" "10.77.1.$i"; done
setup old backend set "$VIP" 10.77.1.2 --probe-port 80 --interval 1500
names >"$TOP/before"
expect_eq "0.1.0 answers every client before the upgrade" "0" "$(grep -c ' -$' "$TOP/before")"
expect_eq "the pins are 0.1.0's (no sio_meta)" "absent" \
	"$([ -e "$SIOBPF_PIN_DIR/sio_meta" ] && echo present || echo absent)"
sticky_before=$(sticky_count)
expect_eq "0.1.0 made a sticky entry per client" "$CLIENTS" "$sticky_before"
be_before=$(old status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([[(b["address"], b["state"], b.get("weight")) for b in v["backends"]] for v in d["vips"]]))')
ids_before=$(bpftool -j map show pinned "$SIOBPF_PIN_DIR/sio_backends" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# This build's daemon, started before the upgrade (as a package upgrade
# restarts it): it waits for the reload, then follows the migrated maps.
nsenter --net="/run/netns/$SIO_NS-lb" "$NEW/siobpf" -v run >"$TOP/daemon.log" 2>&1 &
DAEMON_PID=$!

# The upgrade, with every client connecting throughout.
in_ns c python3 "$TOP/clients.py" loop "$TOP/stop" "$TOP/during" "${srcs[@]}" &
LOOP_PID=$!
sleep 2
packets_before=$(vip_packets old)
new reload eth0 >"$TOP/reload.out" 2>&1
rc=$?
packets_after=$(vip_packets new)
sed 's/^/#   /' "$TOP/reload.out"
expect_eq "this build's reload of 0.1.0's maps exits 0" "0" "$rc"
check "the reload says it migrated from layout 1 to 3" grep -q 'migrated from layout 1 to 3' "$TOP/reload.out"
sleep 2
setup new backend add "$VIP" 10.77.1.4
sleep 2
: >"$TOP/stop"
wait "$LOOP_PID"
LOOP_PID=
setup test -s "$TOP/during"
requests=$(sed -n 's/^requests //p' "$TOP/during")
failed=$(awk '$1 != "requests" { n += $3 } END { print n + 0 }' "$TOP/during")
echo "# $requests requests during the upgrade and the backend add"
expect_eq "no request failed during the upgrade ($requests requests)" "0" "$failed"
check "the clients kept connecting (>= 10 requests each)" [ "$requests" -ge $((CLIENTS * 10)) ]
moved=$(awk 'NR == FNR { was[$1] = $2; next } $1 != "requests" && $2 != was[$1] { n++ } END { print n + 0 }' \
	"$TOP/before" "$TOP/during")
expect_eq "no client changed backend through the reload and the backend add" "0" "$moved"
names >"$TOP/after"
expect_eq "every client is on its backend of before, afterwards" "" \
	"$(diff <(sort "$TOP/before") <(sort "$TOP/after"))"

# What was carried over.
expect_eq "the pin directory is of this layout now (sio_meta)" "present" \
	"$([ -e "$SIOBPF_PIN_DIR/sio_meta" ] && echo present || echo absent)"
check "the backend table was replaced (a new map pinned)" \
	[ "$(bpftool -j map show pinned "$SIOBPF_PIN_DIR/sio_backends" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" != "$ids_before" ]
check "every sticky entry was carried over ($sticky_before before)" [ "$(sticky_count)" -ge "$sticky_before" ]
check "the carried entries are protected: every old client's in sio_sticky, none on probation" \
	python3 - "$SIOBPF_PIN_DIR" "${srcs[@]}" <<'PY'
import json, socket, subprocess, sys
pins, srcs = sys.argv[1], sys.argv[2:]
def keys(name):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pins + "/" + name],
                         check=True, capture_output=True, text=True).stdout
    return {socket.inet_ntoa(bytes(int(x, 16) for x in e["key"])[4:8]) for e in json.loads(out)}
protected, probation = keys("sio_sticky"), keys("sio_probation")
sys.exit(not (set(srcs) <= protected and not set(srcs) & probation))
PY
be_after=$(new status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([[(b["address"], b["state"], b.get("weight")) for b in v["backends"] if b["address"] != "10.77.1.4"] for v in d["vips"]]))')
expect_eq "the VIP's backends, states and weights were carried over" "$be_before" "$be_after"
probe=$(new status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = [b for v in d["vips"] for b in v["backends"] if b["address"] == "10.77.1.2"][0]
print(b["probe_own"], b["probe"]["port"], b["probe"]["interval"], b["probe"]["path"])')
expect_eq "the backend's own probe settings were carried over (its own, port 80, every 1500 ms)" \
	"True 80 1500 /" "$probe"
check "the VIP's packet counter was carried over ($packets_before before the reload, $packets_after after)" \
	[ "$packets_after" -ge "$packets_before" ]
check "the daemon waited for the migration and then opened the migrated maps" \
	grep -q 'maps open in' "$TOP/daemon.log"
expect_eq "the daemon's probes keep every backend up" "up up up up" \
	"$(new status --json | python3 -c 'import json,sys; print(" ".join(b["state"] for v in json.load(sys.stdin)["vips"] for b in v["backends"]))')"
check "siobpf status of the new build reads the migrated maps" new status
kill "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=

# ---------------------------------------------------------------- from layout 2
echo "# --- from layout 2 ($LAYOUT2)"
L2=$TOP/layout2
teardown_topology
build_layout2() {
	mkdir -p "$L2/src" &&
		git -C "$ROOT" archive "$LAYOUT2" | tar -x -C "$L2/src" &&
		make -s -C "$L2/src" BUILD="$L2/build" "$L2/build/siobpf" >"$TOP/l2-build.log" 2>&1 ||
		{ tail -20 "$TOP/l2-build.log"; return 1; }
}
setup build_layout2
l2() { nsenter --net="/run/netns/$SIO_NS-lb" "$L2/build/siobpf" "$@"; }
setup setup_topology
setup l2 load eth0
setup l2 vip add "$VIP" --probe none
for i in 1 2 3; do setup l2 backend add "$VIP" "10.77.1.$i"; done
names >"$TOP/before2"
expect_eq "layout 2 answers every client before the upgrade" "0" "$(grep -c ' -$' "$TOP/before2")"
sticky_before=$(sticky_count)
expect_eq "layout 2 made a sticky entry per client" "$CLIENTS" "$sticky_before"
rm -f "$TOP/stop"
in_ns c python3 "$TOP/clients.py" loop "$TOP/stop" "$TOP/during2" "${srcs[@]}" &
LOOP_PID=$!
sleep 2
new reload eth0 >"$TOP/reload2.out" 2>&1
rc=$?
sed 's/^/#   /' "$TOP/reload2.out"
expect_eq "this build's reload of layout 2's maps exits 0" "0" "$rc"
check "the reload says it migrated from layout 2 to 3" grep -q 'migrated from layout 2 to 3' "$TOP/reload2.out"
check "every sticky entry of layout 2 was carried into the protected table ($sticky_before before)" \
	[ "$(sticky_count)" -ge "$sticky_before" ]
sleep 1
setup new backend add "$VIP" 10.77.1.4
sleep 2
: >"$TOP/stop"
wait "$LOOP_PID"
LOOP_PID=
failed=$(awk '$1 != "requests" { n += $3 } END { print n + 0 }' "$TOP/during2")
expect_eq "no request failed during the upgrade from layout 2" "0" "$failed"
moved=$(awk 'NR == FNR { was[$1] = $2; next } $1 != "requests" && $2 != was[$1] { n++ } END { print n + 0 }' \
	"$TOP/before2" "$TOP/during2")
expect_eq "no client changed backend through the reload from layout 2 and the backend add" "0" "$moved"
check "siobpf status reads the maps migrated from layout 2" new status
finish
