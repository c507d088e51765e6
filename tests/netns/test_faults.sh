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
# The daemon's probe transitions are crash points too: `siobpf run` is
# killed at each write it makes on the way to a state that its probes (or
# the end of a drain) lead to, and a daemon started again gets there.
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
# A persistence longer than the test: the untouched clients' entries (made
# once, at the start) must not expire while the crashes go on.
setup siobpf vip add "$U" --probe none --persist 7200
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

# after_crash WHAT: checks 1 and 2 after a crash; counts into the caller's
# problems (check found something) and bad (a check failed).
after_crash() {
	siobpf check >"$TOP/check" 2>&1 || problems=$((problems + 1))
	if ! siobpf check --repair >"$TOP/repair" 2>&1 || ! siobpf check >"$TOP/check2" 2>&1; then
		bad=$((bad + 1))
		echo "# $1: not repaired"
		sed 's/^/#   /' "$TOP/repair" "$TOP/check2"
	fi
	if ! u_lookups | cmp -s - "$TOP/u.before"; then
		bad=$((bad + 1))
		echo "# $1: a client of the untouched VIP changed backend"
	fi
}

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
		after_crash "$name killed before write $((n + 1))"
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

# --- the daemon's own transitions ---
PROBE="--probe tcp --interval 100 --fall 1 --rise 1"
# field ADDR KEY: the backend's KEY in `siobpf status --json` (lower case).
field() {
	siobpf status --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["vips"]:
    for b in v["backends"]:
        if v["vip"] == sys.argv[1] and b["address"] == sys.argv[2]:
            print(str(b[sys.argv[3]]).lower())' "$T" "$1" "$2"
}
# Two of three backends fail their probe (nothing listens on port 9): one
# coalesced transition takes both down.
to_failing() {
	to_vip
	quiet backend del "$T" 10.77.1.3
	quiet backend add "$T" 10.77.1.1 $PROBE --probe-port 80
	quiet backend add "$T" 10.77.1.2 $PROBE --probe-port 9
	quiet backend add "$T" 10.77.1.3 $PROBE --probe-port 9
}
failed_down() {
	[ "$(field 10.77.1.2 state)/$(field 10.77.1.2 probe_down)" = down/true ] &&
		[ "$(field 10.77.1.3 state)/$(field 10.77.1.3 probe_down)" = down/true ] &&
		[ "$(field 10.77.1.1 state)" = up ]
}
# A backend the probe took down whose probe passes again.
to_recovering() {
	to_failing
	daemon_until failed_down || echo "# the pre-state's daemon did not take the failing backends down"
	quiet backend set "$T" 10.77.1.2 --probe-port 80
}
recovered() {
	[ "$(field 10.77.1.2 state)/$(field 10.77.1.2 probe_down)" = up/false ] &&
		[ "$(field 10.77.1.3 state)" = down ]
}
# A draining backend whose drain deadline passes.
to_draining() {
	to_vip
	quiet backend del "$T" 10.77.1.3
	quiet backend add "$T" 10.77.1.1 $PROBE --probe-port 80
	quiet backend add "$T" 10.77.1.2 $PROBE --probe-port 80
	quiet backend set "$T" 10.77.1.2 --state drain --drain-timeout 1
	sleep 1
}
drain_ended() { [ "$(field 10.77.1.2 state)" = down ] && [ "$(field 10.77.1.1 state)" = up ]; }

# daemon_until WANT: a daemon (not killed) until WANT holds, 10 s at most.
daemon_until() {
	local pid i ok=1
	nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" run >>"$TOP/daemon.log" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		"$1" && { ok=0; break; }
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $ok
}

# daemon_crash_each NAME PRESTATE WANT: siobpf run killed before each of
# its writes, N = 0, 1, ... until it reaches WANT and, a second later, is
# still running (so the writes it makes once WANT holds are crash points
# too); after each crash, the checks of crash_each, and a daemon started
# again reaches WANT.
daemon_crash_each() {
	local name=$1 pre=$2 want=$3 n=0 pid rc i problems=0 bad=0 reached=no
	while [ "$n" -le 200 ]; do
		"$pre"
		# Not through crashed(): a function in the background is a subshell,
		# and the signals below must reach the daemon itself.
		nsenter --net="/run/netns/$SIO_NS-lb" env SIOBPF_CRASH_AFTER_WRITES="$n" "$BUILD/siobpf" run \
			>"$TOP/out" 2>&1 &
		pid=$!
		rc=
		for i in $(seq 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null
				rc=$?
				break
			fi
			if "$want"; then
				sleep 1
				kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; rc=$?; }
				break
			fi
			sleep 0.1
		done
		if [ -z "$rc" ]; then
			"$want" && reached=yes
			kill -TERM "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			break
		fi
		if [ "$rc" -ne 137 ]; then
			echo "# $name: the daemon exited $rc before write $((n + 1)):"
			sed 's/^/#   /' "$TOP/out"
			break
		fi
		after_crash "$name: daemon killed before write $((n + 1))"
		if ! daemon_until "$want"; then
			bad=$((bad + 1))
			echo "# $name: daemon killed before write $((n + 1)): a daemon started again did not get there"
		fi
		n=$((n + 1))
	done
	echo "# daemon, $name: $n write sites, each a crash point; check found problems after $problems of the crashes"
	expect_eq "daemon, $name: gets there when not killed (after $n crash points)" "yes" "$reached"
	check "daemon, $name: has write sites to kill it at" [ "$n" -ge 1 ]
	expect_eq "daemon, $name: killed at each of its $n write sites: repaired, clean, untouched clients kept, a new daemon gets there" \
		"0" "$bad"
}

daemon_crash_each "probes take two backends down" to_failing failed_down
daemon_crash_each "a probe brings a backend back" to_recovering recovered
daemon_crash_each "a drain ends" to_draining drain_ended
finish
