#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Every state-changing command killed between two of its writes. Each
# command runs again and again with SIOBPF_CRASH_AFTER_WRITES=N (user/core/
# map_write.h: the process kills itself, as `kill -9` would, just before its
# write N + 1), N = 0, 1, 2, ... until it completes; so every write site is
# a crash point, a bulk loop's every write included. After each crash:
#
#  1. `siobpf check --repair` exits 0, and `siobpf check` then finds the
#     maps clean (every invariant of check.h holds);
#  2. the clients of the untouched VIP keep their backend (their sticky
#     entries and ring are untouched);
#  3. the command, run again, completes (exit 0) from what was left;
#  4. after the commands that make several dependent writes (vip add and
#     del, backend add, apply), check names what some crash left.
#
# The test reports how many write sites each command has. Before the
# crashes, the fixture: a VIP with three backends and 20 clients with
# sticky entries (the untouched VIP), and the VIP the commands change.
SIO_NS=siofault
source "$(dirname "$0")/lib.sh"
require python3 nsenter curl

export CLIENTS4=20 CLIENTS6=1 BACKENDS=3
TOP=$(mktemp -d /tmp/siobpf-faults.XXXXXX)
cleanup() {
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT
mkdir -p "$TOP/build/tests"
cp "$BUILD/siobpf" "$TOP/build/" && cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" ||
	{ fail "copy $BUILD/siobpf (run make tests)"; finish; exit 1; }
export BUILD=$TOP/build XDP_MODE=generic

U=$VIP4:80     # untouched: its clients must keep their backends
T=$VIP4:81/tcp # the VIP the commands change
crashed() { nsenter --net="/run/netns/$SIO_NS-lb" env SIOBPF_CRASH_AFTER_WRITES="$1" "$BUILD/siobpf" "${@:2}"; }
quiet() { siobpf "$@" >/dev/null 2>&1; }
# The untouched VIP's clients and their backends, from the model of the maps.
u_lookups() {
	local i
	for i in $(seq 1 20); do siobpf lookup "$U" "$(client4 "$i")" --json; done |
		python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l); print(d["client"], d["backend"], d["reason"])'
}

setup setup_topology
setup siobpf load eth0 --mode generic
setup siobpf vip add "$U" --probe none
for i in 1 2 3; do setup siobpf backend add "$U" "10.77.1.$i"; done
for i in $(seq 1 20); do http_from "$(client4 "$i")" >/dev/null; done
setup u_lookups >"$TOP/u.before"
expect_eq "the untouched VIP's 20 clients have sticky entries" "20" "$(grep -c ' sticky' "$TOP/u.before")"
cat >"$TOP/apply.yaml.tail" <<EOF
  - vip: "$T"
    probe: {type: none}
    backends:
      - address: 10.77.1.1
      - address: 10.77.1.2
        weight: 2
      - address: 10.77.1.3
        state: drain
EOF

# Pre-states, made with the commands themselves (idempotent).
to_none() { quiet vip del "$T"; }
to_vip() { quiet vip add "$T" --probe none; quiet backend del "$T" 10.77.1.1; quiet backend del "$T" 10.77.1.2; }
to_one() { to_vip; quiet backend add "$T" 10.77.1.1; }
to_two() { to_vip; quiet backend add "$T" 10.77.1.1; quiet backend add "$T" 10.77.1.2; }
to_saved() { to_none; siobpf save >"$TOP/saved.yaml" 2>/dev/null; cat "$TOP/saved.yaml" "$TOP/apply.yaml.tail" >"$TOP/apply.yaml"; }

# crash_each NAME PRESTATE ARGS...: the command at every crash point.
crash_each() {
	local name=$1 pre=$2 n=0 rc problems=0 bad=0
	shift 2
	while [ "$n" -le 200 ]; do
		"$pre"
		crashed "$n" "$@" >"$TOP/out" 2>&1
		rc=$?
		if [ "$rc" -ne 137 ]; then
			break
		fi
		siobpf check >"$TOP/check" 2>&1 || problems=$((problems + 1))
		if ! siobpf check --repair >"$TOP/repair" 2>&1 || ! siobpf check >"$TOP/check2" 2>&1; then
			bad=$((bad + 1))
			echo "# $name killed before write $((n + 1)): not repaired"
			sed 's/^/#   /' "$TOP/repair" "$TOP/check2"
		fi
		if ! u_lookups | cmp -s - "$TOP/u.before"; then
			bad=$((bad + 1))
			echo "# $name killed before write $((n + 1)): a client of the untouched VIP changed backend"
		fi
		if ! siobpf "$@" >"$TOP/rerun" 2>&1; then
			bad=$((bad + 1))
			echo "# $name killed before write $((n + 1)): running it again failed:"
			sed 's/^/#   /' "$TOP/rerun"
		fi
		n=$((n + 1))
	done
	echo "# $name: $n write sites, each a crash point; check found problems after $problems of the crashes"
	expect_eq "$name completes when not killed (after $n crash points)" "0" "$rc"
	check "$name has write sites to kill it at" [ "$n" -ge 1 ]
	expect_eq "$name killed at each of its $n write sites: repaired, clean, untouched clients kept, re-run completes" \
		"0" "$bad"
	# A command that makes several dependent writes leaves something for
	# check to find when killed between them (so check is not vacuous).
	[ "${EXPECT_PROBLEMS:-0}" = 1 ] &&
		check "$name: check named what a crash left, after $problems of its $n crash points" [ "$problems" -ge 1 ]
}

EXPECT_PROBLEMS=1 crash_each "vip add" to_none vip add "$T" --probe none
crash_each "vip set" to_two vip set "$T" --seed 7
EXPECT_PROBLEMS=1 crash_each "vip del" to_two vip del "$T"
EXPECT_PROBLEMS=1 crash_each "backend add" to_vip backend add "$T" 10.77.1.1
crash_each "backend set --state drain" to_one backend set "$T" 10.77.1.1 --state drain
crash_each "backend set --weight" to_one backend set "$T" 10.77.1.1 --weight 3
crash_each "backend del" to_two backend del "$T" 10.77.1.2
EXPECT_PROBLEMS=1 crash_each "apply" to_saved apply -f "$TOP/apply.yaml"
crash_each "reload" to_two reload eth0
finish
