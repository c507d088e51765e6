#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The upgrade from releases 0.1.0 and 0.2.0, from the last build with the
# LRU sticky tables, and from the last build of layout 4 (the bucket table
# without new-entry events), under traffic, each in a fresh topology. The
# old build (from this repository's history: 0.1.0 is commit 5267a54, 0.2.0
# commit 739b45f, the LRU tables' last layout commit 3bc9994, layout 4's
# last commit df0b211) runs the
# balancer, with clients, sticky entries, a backend's own probe settings and
# counters; then this build's `siobpf reload` finds maps of the old layout
# (0.1.0: layout 1, no sio_meta, a shorter siobpf_backend_config; 0.2.0:
# layout 2, no fragment table, fewer reason counters, port-0 entries that
# copy a VIP; layout 3: the two LRU hash tables, sio_sticky of protected
# entries and sio_probation; layout 4: no sio_events, sio_node nor
# sio_ev_stats) and migrates them, into the bucket table of this layout,
# while clients keep connecting. It proves, for each, that:
#
#  1. the reload migrates to this layout and fails no request of the
#     clients that connect throughout (a new connection each time);
#  2. no client changes backend, through the reload and through a backend
#     added right after it (which would move about a quarter of them had
#     their sticky entries been lost);
#  3. every sticky entry, VIP, backend, the backend's probe settings and the
#     counters are carried over, and the old pins are replaced;
#  4. every sticky entry of the old build is carried into the table with
#     its backend and its kind (siobpf lookup of each client): an entry of
#     the protected table (every entry of layouts 1 and 2, which had no
#     probation) becomes a live protected slot, an entry of layout 3's
#     sio_probation a probation slot. Besides the 100 clients that connect
#     throughout (protected: in layout 3 they connected twice, 1.2 s apart,
#     before the upgrade), 20 quiet clients connect once before it and not
#     after, so that their entries are looked up as the migration left them;
#  5. the event maps are pinned, the events switch is off and no event was
#     written (no reader asked for them).
#
# 0.1.0's BPF code includes glibc headers through linux/icmp.h, which with
# -target bpf want gnu/stubs-32.h (a 32-bit libc package). Rather than
# install one, its build alone gets an empty stub on CPATH: that header only
# lists unimplemented functions, which BPF code never calls.
SIO_NS=sioup
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # sort and join agree
require git make clang python3 nsenter curl bpftool

# COMMIT:NAME:LAYOUT of each old build upgraded from.
RELEASES="5267a54:0.1.0:1 739b45f:0.2.0:2 3bc9994:lru-3bc9994:3 df0b211:table-df0b211:4"
LAYOUT=$(sed -n 's/^#define SIOBPF_LAYOUT \([0-9]*\)$/\1/p' "$ROOT/include/siobpf/abi.h")
export CLIENTS4=120 CLIENTS6=1 BACKENDS=4
TOP=$(mktemp -d /tmp/siobpf-upgrade.XXXXXX)
NEW=$TOP/new
CLIENTS=100 # the first 100 IPv4 clients connect throughout
QUIET=20    # the next 20 connect once, before the upgrade
cleanup() {
	[ -n "${LOOP_PID:-}" ] && kill "$LOOP_PID" 2>/dev/null
	[ -n "${DAEMON_PID:-}" ] && kill "$DAEMON_PID" 2>/dev/null
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT

# The builds: each release from history (into $TOP/vNAME), and a copy of
# this one (a rebuild of $BUILD while the test runs must not swap the binary
# under it).
build_release() {
	local old=$TOP/v$2
	mkdir -p "$old/src" "$TOP/stub/gnu" &&
		git -C "$ROOT" archive "$1" | tar -x -C "$old/src" &&
		: >"$TOP/stub/gnu/stubs-32.h" &&
		CPATH=$TOP/stub make -s -C "$old/src" BUILD="$old/build" "$old/build/siobpf" >"$TOP/old-build.log" 2>&1 ||
		{ tail -20 "$TOP/old-build.log"; return 1; }
}
for r in $RELEASES; do
	IFS=: read -r commit name _ <<<"$r"
	setup build_release "$commit" "$name"
	setup "$TOP/v$name/build/siobpf" version
done
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
quiet=()
for i in $(seq $((CLIENTS + 1)) $((CLIENTS + QUIET))); do quiet+=("$(client4 "$i")"); done
names() { in_ns c python3 "$TOP/clients.py" names "${srcs[@]}"; }
# old_entries: "CLIENT KIND" of every entry of the old build's tables
# (LRU hashes, whose keys are the VIP id and the client's address; from
# layout 4 on, the bucket table keeps only fingerprints: the old build's
# lookup of each client).
old_entries() {
	if [ "$OLD_LAYOUT" -ge 4 ]; then
		local src
		for src in "${srcs[@]}" "${quiet[@]}"; do old lookup --json "$VIP" "$src"; done | python3 -c '
import json, sys
for line in sys.stdin:
    j = json.loads(line)
    if "entry" in j:
        print(j["client"], j["entry"])'
		return
	fi
	python3 - "$SIOBPF_PIN_DIR" <<'PY'
import json, os, socket, subprocess, sys
pins = sys.argv[1]
for name, kind in (("sio_sticky", "protected"), ("sio_probation", "probation")):
    if not os.path.exists(pins + "/" + name):
        continue
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pins + "/" + name],
                         check=True, capture_output=True, text=True).stdout
    for e in json.loads(out):
        print(socket.inet_ntoa(bytes(int(x, 16) for x in e["key"])[4:8]), kind)
PY
}
# new_entries SRC...: "CLIENT KIND BACKEND" of each client, from this build's
# lookup (KIND: protected, probation, or the reason when no slot decides).
new_entries() {
	local src
	for src in "$@"; do new lookup --json "$VIP" "$src"; done | python3 -c '
import json, sys
for line in sys.stdin:
    j = json.loads(line)
    print(j["client"], j.get("entry", j["reason"]), j["backend"])'
}
# stats_path BUILD EXPR: a value of BUILD's `stats --json` (d), by a Python expression.
stats_path() { "$1" stats --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
# vip_packets BUILD: the VIPs' packet counters, summed, from `siobpf stats --json`.
vip_packets() { "$1" stats --json | python3 -c 'import json,sys; print(sum(v["packets"] for v in json.load(sys.stdin)["vips"]))'; }

# The layout of the pinned maps: sio_meta's, or 1 when there is none.
pinned_layout() {
	if [ -e "$SIOBPF_PIN_DIR/sio_meta" ]; then
		bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_meta" |
			python3 -c 'import json,sys; v=json.load(sys.stdin)[0]["value"]; print(v["layout"] if isinstance(v, dict) else int.from_bytes(bytes(int(x, 16) for x in v[4:8]), "little"))'
	else
		echo 1
	fi
}

# upgrade_from NAME LAYOUT: the whole upgrade from release NAME.
upgrade_from() {
	R=$1 OLD=$TOP/v$1 OLD_LAYOUT=$2
	echo "# --- the upgrade from $R (layout $OLD_LAYOUT) to this build (layout $LAYOUT)"
	rm -f "$TOP/stop"
	setup setup_topology
	VIP=$VIP4:80
	setup old load eth0
	setup old vip add "$VIP" --probe http --probe-path /
	for i in 1 2 3; do setup old backend add "$VIP" "10.77.1.$i"; done
	setup old backend set "$VIP" 10.77.1.2 --probe-port 80 --interval 1500
	names >"$TOP/before"
	if [ "$OLD_LAYOUT" -ge 3 ]; then
		# Admission: a second connection past the gap (1 s) makes the
		# first one's probation entry protected.
		sleep 1.2
		names >"$TOP/before2"
		expect_eq "$R: the second connections reach the same backends" "" \
			"$(diff "$TOP/before" "$TOP/before2")"
	fi
	in_ns c python3 "$TOP/clients.py" names "${quiet[@]}" >"$TOP/before.quiet"
	expect_eq "$R answers every client before the upgrade" "0" "$(cat "$TOP/before" "$TOP/before.quiet" | grep -c ' -$')"
	expect_eq "$R: the pins are $R's (layout $OLD_LAYOUT)" "$OLD_LAYOUT" "$(pinned_layout)"
	old_entries | sort >"$TOP/old.entries"
	sticky_before=$(wc -l <"$TOP/old.entries")
	expect_eq "$R made a sticky entry per client" "$((CLIENTS + QUIET))" "$sticky_before"
	quiet_kind=protected
	[ "$OLD_LAYOUT" -ge 3 ] && quiet_kind=probation
	# What each client's entry must become: its kind in the old tables, the
	# backend that answered it.
	{
		for src in "${srcs[@]}"; do echo "$src protected"; done
		for src in "${quiet[@]}"; do echo "$src $quiet_kind"; done
	} | sort >"$TOP/want.kinds"
	expect_eq "$R: its tables hold the connecting clients as protected, the quiet ones as $quiet_kind" "" \
		"$(diff "$TOP/want.kinds" "$TOP/old.entries")"
	admission_before=
	[ "$OLD_LAYOUT" -ge 3 ] &&
		admission_before=$(stats_path "$OLD/build/siobpf" 'd["admission"]["created"], d["admission"]["admitted"]')
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
	expect_eq "$R: this build's reload of $R's maps exits 0" "0" "$rc"
	check "$R: the reload says it migrated from layout $OLD_LAYOUT to $LAYOUT" grep -q "migrated from layout $OLD_LAYOUT to $LAYOUT" "$TOP/reload.out"
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
	expect_eq "$R: no request failed during the upgrade ($requests requests)" "0" "$failed"
	check "$R: the clients kept connecting (>= 10 requests each)" [ "$requests" -ge $((CLIENTS * 10)) ]
	moved=$(awk 'NR == FNR { was[$1] = $2; next } $1 != "requests" && $2 != was[$1] { n++ } END { print n + 0 }' \
		"$TOP/before" "$TOP/during")
	expect_eq "$R: no client changed backend through the reload and the backend add" "0" "$moved"
	names >"$TOP/after"
	expect_eq "$R: every client is on its backend of before, afterwards" "" \
		"$(diff <(sort "$TOP/before") <(sort "$TOP/after"))"

	# What was carried over.
	expect_eq "$R: the pin directory is of layout $LAYOUT now" "$LAYOUT" "$(pinned_layout)"
	check "$R: the fragment table is pinned" [ -e "$SIOBPF_PIN_DIR/sio_frags" ]
	expect_eq "$R: the egress devmap holds the backends' interface (eth0) after the migration" \
		"$(ip -n "$SIO_NS-lb" -o link show eth0 | cut -d: -f1)" \
		"$(bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_egress" | python3 -c '
import json, sys
keys = [e.get("formatted", {}).get("key", e.get("key")) for e in json.load(sys.stdin)]
print(" ".join(str(k if isinstance(k, int) else int.from_bytes(bytes(int(x, 16) for x in k), "little")) for k in keys))')"
	check "$R: the redirect-failure tracing links are pinned" \
		[ -e "$SIOBPF_PIN_DIR/sio_tp_redir_err" -a -e "$SIOBPF_PIN_DIR/sio_tp_xmit" ]
	check "$R: the backend table was replaced (a new map pinned)" \
		[ "$(bpftool -j map show pinned "$SIOBPF_PIN_DIR/sio_backends" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" != "$ids_before" ]
	check "$R: sio_probation is gone (one table now)" [ ! -e "$SIOBPF_PIN_DIR/sio_probation" ]
	check "$R: the event maps are pinned (sio_events, sio_node, sio_ev_stats)" \
		[ -e "$SIOBPF_PIN_DIR/sio_events" -a -e "$SIOBPF_PIN_DIR/sio_node" -a -e "$SIOBPF_PIN_DIR/sio_ev_stats" ]
	expect_eq "$R: the events switch is off after the migration and no event was written or lost" \
		"False 0 0" "$(stats_path new 'd["entry_events"]["on"], d["entry_events"]["written"], d["entry_events"]["lost"]' | tr -d '(),')"
	held=$(stats_path new 'd["admission"]["protected_entries"] + d["admission"]["probation_entries"]')
	check "$R: the table holds every entry carried over ($held slots; $sticky_before entries before)" \
		[ "$held" -ge "$sticky_before" ]
	# Each client's slot: its old kind, the backend that answered it before.
	new_entries "${srcs[@]}" "${quiet[@]}" | sort >"$TOP/new.entries"
	want=$(cat "$TOP/before" "$TOP/before.quiet" | sort | join "$TOP/want.kinds" - |
		awk '{ sub(/^b/, "10.77.1.", $3); print $1, $2, $3 }')
	expect_eq "$R: every entry was carried into a live slot of its kind with its backend ($CLIENTS protected, $QUIET $quiet_kind)" \
		"" "$(diff <(echo "$want") "$TOP/new.entries")"
	if [ -n "$admission_before" ]; then
		admission_after=$(stats_path new 'd["admission"]["created"], d["admission"]["admitted"]')
		check "$R: the admission counters were carried over (created, admitted: $admission_before before, $admission_after after)" \
			python3 -c 'import sys; b, a = sys.argv[1].split(), sys.argv[2].split(); sys.exit(not (len(a) == len(b) == 2 and all(int(x) >= int(y) for x, y in zip(a, b))))' "$admission_before" "$admission_after"
	fi
	be_after=$(new status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([[(b["address"], b["state"], b.get("weight")) for b in v["backends"] if b["address"] != "10.77.1.4"] for v in d["vips"]]))')
	expect_eq "$R: the VIP's backends, states and weights were carried over" "$be_before" "$be_after"
	probe=$(new status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = [b for v in d["vips"] for b in v["backends"] if b["address"] == "10.77.1.2"][0]
print(b["probe_own"], b["probe"]["port"], b["probe"]["interval"], b["probe"]["path"])')
	expect_eq "$R: the backend's own probe settings were carried over (its own, port 80, every 1500 ms)" \
		"True 80 1500 /" "$probe"
	check "$R: the VIP's packet counter was carried over ($packets_before before the reload, $packets_after after)" \
		[ "$packets_after" -ge "$packets_before" ]
	check "$R: the daemon waited for the migration and then opened the migrated maps" \
		grep -q 'maps open in' "$TOP/daemon.log"
	expect_eq "$R: the daemon's probes keep every backend up" "up up up up" \
		"$(new status --json | python3 -c 'import json,sys; print(" ".join(b["state"] for v in json.load(sys.stdin)["vips"] for b in v["backends"]))')"
	check "$R: siobpf status of the new build reads the migrated maps" new status
	check "$R: the publication rewrote the VIP address's port-0 entry (siobpf check finds nothing)" new check
	kill "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

for r in $RELEASES; do
	IFS=: read -r _ name layout <<<"$r"
	upgrade_from "$name" "$layout"
done
finish
