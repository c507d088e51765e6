#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# --at TIME on the built binary against the namespace topology (3 backends
# with nginx). It proves that:
#
#  1. a malformed TIME, a moment 2 s past, one 25 h ahead and `apply --dry-run
#     --at` are refused with a clear message, and nothing changes: status,
#     the ring (lookups of 40 clients) and ring_changed_unix are as before;
#  2. `backend add --at` 1.5 s ahead returns after at least 1.4 s, says "at
#     MOMENT: starting N ms after it", and makes the change: the backend is
#     there, and stats' ring_changed_unix is within 1 s after the moment;
#     `apply --at` likewise;
#  3. a command waiting for its moment holds no lock: another command
#     (`backend set` on another backend, `vip set`) finishes at once
#     meanwhile, and the waiting one still makes its change after;
#  4. stats shows ring_changed_unix null (text: "never") for a VIP whose
#     ring never changed.
SIO_NS=sioat
source "$(dirname "$0")/lib.sh"

require python3 curl nsenter date

T=$(mktemp -d /tmp/sioat.XXXXXX)
V4=$VIP4:80/tcp
VQ=10.77.100.9:80/tcp # a VIP whose ring never changes

cleanup() {
	teardown_topology
	rm -rf "$T"
}

# run ARGS...: siobpf ARGS with stdout in $T/out, stderr in $T/err, status in RC.
run() {
	siobpf "$@" >"$T/out" 2>"$T/err"
	RC=$?
	return $RC
}
must() { run "$@" || fail "siobpf $* exits 0 (exit $RC: $(head -c 300 "$T/err"))"; }

# ring_changed VIP: the VIP's ring_changed_unix from `stats --json` ("None" when null).
ring_changed() {
	siobpf stats --json | python3 -c '
import json, sys
print(next(v["ring_changed_unix"] for v in json.load(sys.stdin)["vips"] if v["vip"] == sys.argv[1]))' "$1"
}
# backends_of VIP: the VIP's backend addresses from `status --json`, sorted.
backends_of() {
	siobpf status --json | python3 -c '
import json, sys
v = next(v for v in json.load(sys.stdin)["vips"] if v["vip"] == sys.argv[1])
print(" ".join(sorted(b["address"] for b in v["backends"])))' "$1"
}
# ring_view: what the ring gives 40 clients of V4 (lookup reads the ring).
ring_view() {
	local i
	for i in $(seq 40); do siobpf lookup "$V4" "$(client4 "$i")" --json || echo error; done
}
# state: everything --at must leave alone when it refuses (ring_changed_unix
# apart: it is compared within 5 ms, the conversion's jitter; a swap made by
# the command would move it by seconds).
state() {
	siobpf status --json
	ring_view
}
# now_plus SECONDS: a moment SECONDS (a decimal) from now, as @SECONDS.NS.
now_plus() { python3 -c 'import sys, time; print("@%.9f" % (time.time() + float(sys.argv[1])))' "$1"; }
# minus_ms A B: B - A in ms, A and B Unix seconds (either may be "@...").
minus_ms() { python3 -c 'import sys; a, b = (float(x.lstrip("@")) for x in sys.argv[1:]); print(round((b - a) * 1e3, 1))' "$1" "$2"; }

# refused NAME RC PATTERN ARGS...: siobpf ARGS exits RC, says PATTERN on
# stderr, and state is exactly what it was.
refused() {
	local name=$1 want=$2 pattern=$3 before after changed moved
	shift 3
	before=$(state) changed=$(ring_changed "$V4")
	run "$@"
	after=$(state) moved=$(minus_ms "$changed" "$(ring_changed "$V4")")
	if [ "$RC" != "$want" ]; then
		fail "$name (exit $RC, expected $want: $(head -c 400 "$T/err"))"
	elif ! grep -qF -- "$pattern" "$T/err"; then
		fail "$name (stderr lacks '$pattern': $(head -c 400 "$T/err"))"
	elif ! python3 -c 'import sys; assert abs(float(sys.argv[1])) < 5' "$moved"; then
		fail "$name (ring_changed_unix moved by $moved ms)"
	elif [ -z "$before" ] || [ "$before" != "$after" ]; then
		fail "$name (the state changed: $(diff <(echo "$before") <(echo "$after") | head -c 400))"
	else
		pass "$name"
	fi
}

# ================================================================ setup
XDP_MODE=native setup_topology || { finish; exit 1; }
trap cleanup EXIT
setup siobpf load eth0
setup siobpf vip add "$V4"
setup siobpf vip add "$VQ"
setup siobpf backend add "$V4" 10.77.1.1
setup siobpf backend add "$V4" 10.77.1.2
check "ring_changed_unix is a time once a backend joined the ring" \
	python3 -c 'import sys; float(sys.argv[1])' "$(ring_changed "$V4")"
expect_eq "ring_changed_unix is null for a VIP whose ring never changed" None "$(ring_changed "$VQ")"
run stats
check "stats says 'ring changed: never' for that VIP and gives the other's moment" \
	python3 -c '
import re, sys
t = open(sys.argv[1]).read()
assert re.search(r"vip 10\.77\.100\.9:80/tcp.*\n(  .*\n)*  ring changed: never\n", t), t
assert re.search(r"  ring changed: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(@\d+\.\d{3}\)\n", t), t' "$T/out"

# ================================================================ refused: nothing changes
for bad in "@12abc" "2026-13-01T00:00:00Z" "tomorrow" "@"; do
	refused "backend add --at '$bad' is refused as not a time, nothing changed" 1 \
		"is not a time: give @SECONDS[.FRACTION] (Unix time) or YYYY-MM-DDTHH:MM:SS[.FRACTION]Z (UTC); nothing was changed" \
		backend add "$V4" 10.77.1.3 --at "$bad"
done
refused "backend add --at 2 s in the past is refused, nothing changed" 1 \
	"s in the past: a change for several nodes must be given a moment ahead (at most 500 ms late)" \
	backend add "$V4" 10.77.1.3 --at "$(now_plus -2)"
refused "backend del --at 2 s in the past is refused, nothing changed" 1 "; nothing was changed" \
	backend del "$V4" 10.77.1.1 --at "$(now_plus -2)"
refused "backend set --at 25 h ahead is refused, nothing changed" 1 \
	"s ahead: at most 86400 s (24 h) are allowed; nothing was changed" \
	backend set "$V4" 10.77.1.1 --weight 7 --at "$(now_plus 90000)"
cat >"$T/three.yaml" <<EOF
vips:
  - vip: $V4
    backends: [ { address: 10.77.1.1 }, { address: 10.77.1.2 }, { address: 10.77.1.3 } ]
  - vip: $VQ
EOF
refused "apply --at 25 h ahead is refused, nothing changed" 1 "s ahead: at most 86400 s (24 h)" \
	apply -f "$T/three.yaml" --at "$(now_plus 90000)"
refused "apply --at 2 s in the past is refused, nothing changed" 1 "s in the past" \
	apply -f "$T/three.yaml" --at "$(now_plus -2)"
refused "apply --dry-run --at is a usage error, nothing changed" 2 "--dry-run prints what would change now: it takes no --at" \
	apply -f "$T/three.yaml" --dry-run --at "$(now_plus 2)"

# ================================================================ the change at the moment
before=$(ring_changed "$V4")
at=$(now_plus 1.5)
start=$(date +%s.%N)
run backend add "$V4" 10.77.1.3 --at "$at"
took=$(minus_ms "$start" "$(date +%s.%N)")
expect_eq "backend add --at 1.5 s ahead exits 0" 0 "$RC"
check "it returns after at least 1.4 s (took $took ms)" python3 -c 'import sys; assert float(sys.argv[1]) >= 1400' "$took"
check "it says 'at MOMENT: starting N ms after it' first ($(head -1 "$T/out"))" \
	grep -qE '^at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z: starting [0-9.]+ ms after it$' <(head -1 "$T/out")
check "and then the change's own line" grep -qF "backend 10.77.1.3 added to VIP $V4" "$T/out"
expect_eq "the backend is there" "10.77.1.1 10.77.1.2 10.77.1.3" "$(backends_of "$V4")"
after=$(ring_changed "$V4")
late=$(minus_ms "$at" "$after")
echo "# ring_changed_unix $after, $late ms after the moment $at (was $before)"
check "ring_changed_unix is within 1 s after the moment ($late ms)" \
	python3 -c 'import sys; assert -5 <= float(sys.argv[1]) <= 1000' "$late"

# apply --at: the file without 10.77.1.3, 1 s ahead.
cat >"$T/two.yaml" <<EOF
vips:
  - vip: $V4
    backends: [ { address: 10.77.1.1 }, { address: 10.77.1.2 } ]
  - vip: $VQ
EOF
at=$(now_plus 1)
run apply -f "$T/two.yaml" --at "$at"
expect_eq "apply --at 1 s ahead exits 0" 0 "$RC"
check "apply --at says 'at MOMENT: starting N ms after it' first" \
	grep -qE '^at .*Z: starting [0-9.]+ ms after it$' <(head -1 "$T/out")
expect_eq "apply --at removed the backend the file lacks" "10.77.1.1 10.77.1.2" "$(backends_of "$V4")"
late=$(minus_ms "$at" "$(ring_changed "$V4")")
check "apply --at: ring_changed_unix is within 1 s after the moment ($late ms)" \
	python3 -c 'import sys; assert -5 <= float(sys.argv[1]) <= 1000' "$late"

# ================================================================ a wait holds no lock
at=$(now_plus 3)
siobpf backend add "$V4" 10.77.1.3 --at "$at" >"$T/waiter.out" 2>&1 &
waiter=$!
sleep 0.3
start=$(date +%s.%N)
run backend set "$V4" 10.77.1.1 --weight 3
took=$(minus_ms "$start" "$(date +%s.%N)")
expect_eq "while backend add --at waits, backend set on another backend exits 0" 0 "$RC"
check "and finishes at once ($took ms), not after the wait" python3 -c 'import sys; assert float(sys.argv[1]) < 1000' "$took"
must vip set "$V4" --persist 300
check "vip set finishes too while the other still waits" kill -0 "$waiter"
expect_eq "the waiting add has not made its change yet" "10.77.1.1 10.77.1.2" "$(backends_of "$V4")"
wait "$waiter"
expect_eq "the waiting add exits 0 after its moment" 0 "$?"
expect_eq "and its backend is there" "10.77.1.1 10.77.1.2 10.77.1.3" "$(backends_of "$V4")"
late=$(minus_ms "$at" "$(ring_changed "$V4")")
check "its ring swap is within 1 s after its moment ($late ms)" \
	python3 -c 'import sys; assert -5 <= float(sys.argv[1]) <= 1000' "$late"

finish
