#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A drain that finishes, with siobpf run in the balancer's namespace. It
# proves that:
#
#  1. status counts a draining backend's live sticky clients;
#  2. a draining backend is still probed: its server stopped, the daemon
#     takes it down (the probe's doing), its clients move to the others and
#     nobody else moves; restarted, it returns to drain, not up, and keeps a
#     client that stayed away meanwhile;
#  3. --drain-timeout: the daemon takes the backend down (the operator's
#     down) when the deadline passes; without a daemon status says it passed;
#     the option is refused without --state drain, at 0 and over 30 days;
#     another --state clears the deadline;
#  4. a drain whose clients all expired shows as drained; the daemon ends a
#     drain it saw with clients once they are gone (down, logged), and
#     leaves one it never saw with a client to its deadline.
SIO_NS=siodrain
source "$(dirname "$0")/lib.sh"
require curl nginx python3 nsenter

export CLIENTS4=40 CLIENTS6=1 BACKENDS=3
INTERVAL=200 TIMEOUT=100 RISE=2 FALL=3
VIP=$VIP4:80
VIPT=$VIP4:80/tcp
TOP=$(mktemp -d /tmp/siobpf-drain.XXXXXX)
LOG=$SIO_RUN/daemon.log
DAEMON_PID=

# A copy of the binary: a rebuild of $BUILD while the test runs must not
# pull the daemon or the CLI from under it.
export SIOBPF_BIN=$TOP/siobpf
cp "$BUILD/siobpf" "$SIOBPF_BIN"
siobpf() { nsenter --net="/run/netns/$SIO_NS-lb" "$SIOBPF_BIN" "$@"; }

start_daemon() {
	echo "=== siobpf run $*" >>"$LOG"
	nsenter --net="/run/netns/$SIO_NS-lb" "$SIOBPF_BIN" run "$@" >>"$LOG" 2>&1 &
	DAEMON_PID=$!
}
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
cleanup() {
	stop_daemon
	teardown_topology
	rm -rf "$TOP"
}

# field ADDR KEY: the backend's KEY in `siobpf status --json` (lower case).
field() {
	siobpf status --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["vips"]:
    for b in v["backends"]:
        if v["vip"] == sys.argv[1] and b["address"] == sys.argv[2]:
            print(str(b[sys.argv[3]]).lower())' "$VIPT" "$1" "$2"
}
# wait_field ADDR KEY VALUE MS: polls status until KEY is VALUE.
wait_field() {
	local end=$(($(date +%s%N) + $4 * 1000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(field "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
# held ADDR KEY VALUE MS: KEY stays VALUE for MS milliseconds.
held() {
	local end=$(($(date +%s%N) + $4 * 1000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(field "$1" "$2")" = "$3" ] || return 1
		sleep 0.1
	done
}
# names SRC...: "SRC NAME" per source, one HTTP request each (- for none).
names() {
	local src
	for src in "$@"; do
		echo "$src $(http_from "$src" || true)" | awk '{ print $1, ($2 == "" ? "-" : $2) }'
	done
}
log_has() { wait_log "$1" 2; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

setup_topology || { finish; exit 1; }
trap cleanup EXIT # setup_topology set its own
mkdir -p "$SIO_RUN" && : >"$LOG"
setup siobpf load eth0 >/dev/null
setup siobpf vip add "$VIP" --interval $INTERVAL --timeout $TIMEOUT --rise $RISE --fall $FALL >/dev/null
for i in 1 2 3; do
	setup siobpf backend add "$VIP" 10.77.1.$i >/dev/null
done

# ---------------------------------------------------------------------------
# 3a. The option's rules, before anything runs.
# refused WANT NAME ARGS...: backend set exits 2 with WANT on stderr.
refused() {
	local want=$1 name=$2 err rc
	shift 2
	err=$(siobpf backend set "$VIP" 10.77.1.2 "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && grep -qF -- "$want" <<<"$err"; then pass "$name"; else fail "$name (exit $rc: $err)"; fi
}
refused "--drain-timeout needs --state drain" "--drain-timeout without --state is a usage error" --drain-timeout 5
refused "--drain-timeout needs --state drain" "--drain-timeout with --state down is a usage error" \
	--state down --drain-timeout 5
refused "must be a number from 1 to 2592000" "--drain-timeout 0 is a usage error" --state drain --drain-timeout 0
refused "must be a number from 1 to 2592000" "--drain-timeout over 30 days is a usage error" \
	--state drain --drain-timeout 2592001
expect_eq "a refused --drain-timeout leaves the backend up" up "$(field 10.77.1.2 state)"
setup siobpf backend set "$VIP" 10.77.1.2 --state drain --drain-timeout 100 >/dev/null
check "status shows a drain deadline to come" bash -c "$(declare -f siobpf); siobpf status | grep -q 'drain deadline in 1[0-9][0-9]\\? s'"
setup siobpf backend set "$VIP" 10.77.1.2 --state drain >/dev/null
expect_eq "another --state clears the drain deadline" none "$(field 10.77.1.2 drain_deadline)"
check "a drain deadline does not turn on the backend's own probe settings" \
	[ "$(field 10.77.1.2 probe_own)" = false ]
setup siobpf backend set "$VIP" 10.77.1.2 --state up >/dev/null

# ---------------------------------------------------------------------------
# 1. Clients on backend 2, then its drain: status counts them.
start_daemon
setup log_has 'watching 3 backends of 1 VIP'
CLIENTS=$(for i in $(seq 1 40); do client4 "$i"; done)
names $CLIENTS >"$TOP/before"
expect_eq "all 40 clients reach a backend" 40 "$(grep -c ' b[0-9]$' "$TOP/before")"
B2=$(awk '$2 == "b2" { print $1 }' "$TOP/before")
IDLE=$(echo $B2 | awk '{ print $1 }')   # stays away through the outage
MOVERS=$(echo $B2 | cut -d' ' -f2-)
OTHERS=$(awk '$2 != "b2" { print $1 }' "$TOP/before")
setup [ "$(echo $B2 | wc -w)" -ge 2 ]
setup siobpf backend set "$VIP" 10.77.1.2 --state drain >/dev/null
expect_eq "status counts the draining backend's live sticky clients" "$(echo $B2 | wc -w)" \
	"$(field 10.77.1.2 clients)"
check "a drain with clients is not drained, and the daemon keeps it draining" held 10.77.1.2 state drain 1500
expect_eq "a drain with clients is not shown as drained" false "$(field 10.77.1.2 drained)"

# ---------------------------------------------------------------------------
# 2. Its server stops: the probe takes it down; restarted, it drains again.
t0=$(date +%s%N)
SIO_RUN=$SIO_RUN "$ROOT/scripts/servers.sh" stop 2
if wait_field 10.77.1.2 state down 5000; then
	echo "# detection: the drained backend went down $(ms_since "$t0") ms after its server was told to stop (interval $INTERVAL ms, fall $FALL)"
	pass "a draining backend whose server stops goes down"
else
	fail "a draining backend whose server stops goes down (state $(field 10.77.1.2 state))"
fi
expect_eq "it is down by its probe" true "$(field 10.77.1.2 probe_down)"
expect_eq "it recovers to drain" drain "$(field 10.77.1.2 recovers_to)"
check "its fall is logged as drain -> down" log_has "backend 10.77.1.2 of VIP $VIPT: drain -> down \($FALL failures"
names $MOVERS $OTHERS >"$TOP/after"
moved_others=$(join <(sort "$TOP/before") <(sort "$TOP/after") | awk '$2 != "b2" && $2 != $3' | wc -l)
b2_left=$(join <(sort "$TOP/before") <(sort "$TOP/after") | awk '$2 == "b2" && ($3 == "b2" || $3 == "-")' | wc -l)
expect_eq "its former clients ($(echo $MOVERS | wc -w)) are answered by the other backends" 0 "$b2_left"
expect_eq "no client of another backend moved" 0 "$moved_others"

t0=$(date +%s%N)
SIO_RUN=$SIO_RUN "$ROOT/scripts/servers.sh" start 2
if wait_field 10.77.1.2 state drain 5000; then
	echo "# recovery: back to drain $(ms_since "$t0") ms after its server was started (rise $RISE)"
	pass "a draining backend taken down by its probe recovers to drain"
else
	fail "a draining backend taken down by its probe recovers to drain (state $(field 10.77.1.2 state))"
fi
check "it stays in drain, not up, while a client of its own is live" held 10.77.1.2 state drain 1500
check "its return is logged as down -> drain" log_has "backend 10.77.1.2 of VIP $VIPT: down -> drain \($RISE successes"
expect_eq "the client that stayed away is its one live client" 1 "$(field 10.77.1.2 clients)"
expect_eq "that client still reaches it" b2 "$(http_from "$IDLE")"

# ---------------------------------------------------------------------------
# 3b. --drain-timeout with the daemon running: down when the deadline passes.
setup siobpf backend set "$VIP" 10.77.1.2 --state drain --drain-timeout 2 >/dev/null
t0=$(date +%s%N)
if wait_field 10.77.1.2 state down 5000; then
	ms=$(ms_since "$t0")
	echo "# drain timeout: down $ms ms after --drain-timeout 2"
	check "a drain with --drain-timeout 2 goes down after 2 s, within a second more ($ms ms)" \
		[ "$ms" -ge 1900 -a "$ms" -le 3500 ]
else
	fail "a drain with --drain-timeout 2 goes down"
fi
expect_eq "the deadline's down is the operator's, not the probe's" false "$(field 10.77.1.2 probe_down)"
check "the end of the drain is logged" log_has "backend 10.77.1.2 of VIP $VIPT: drain -> down \(drain deadline passed"
expect_eq "the ended drain's deadline is gone" none "$(field 10.77.1.2 drain_deadline)"

# Without a daemon nothing happens, and status says so.
stop_daemon
setup siobpf backend set "$VIP" 10.77.1.2 --state drain --drain-timeout 1 >/dev/null
sleep 2.2
check "without a daemon, status says the drain deadline passed and who takes it down" \
	bash -c "$(declare -f siobpf); siobpf status | grep -q 'drain deadline passed [0-9]* s ago; \`siobpf run\` takes it down'"
expect_eq "without a daemon the backend stays in drain" drain "$(field 10.77.1.2 state)"
start_daemon
check "a daemon started after the deadline takes the backend down" wait_field 10.77.1.2 state down 3000

# ---------------------------------------------------------------------------
# 4. Entries that expire: drained, then ended by the daemon.
stop_daemon
setup siobpf vip set "$VIP" --persist 2 >/dev/null
B1=$(awk '$2 == "b1" { print $1 }' "$TOP/after" | xargs)
names $B1 >/dev/null
setup siobpf backend set "$VIP" 10.77.1.1 --state drain >/dev/null
check "a fresh drain has live clients" [ "$(field 10.77.1.1 clients)" -gt 0 ]
if wait_field 10.77.1.1 drained true 4000; then
	pass "once its clients expire (--persist 2) the drain shows as drained"
else
	fail "once its clients expire the drain shows as drained (clients $(field 10.77.1.1 clients))"
fi
check "status text says drain (drained)" bash -c "$(declare -f siobpf); siobpf status | grep -q '10.77.1.1 .*drain (drained) .*clients 0'"
start_daemon
check "a drain the daemon never saw with a client is left to its deadline or the operator" \
	held 10.77.1.1 state drain 1500

# With the daemon running: seen with clients, ended once they expire.
B3=$(awk '$2 == "b3" { print $1 }' "$TOP/after" | xargs)
names $B3 >"$TOP/b3"
expect_eq "b3's clients are answered by b3" "$(echo $B3 | wc -w)" "$(grep -c ' b3$' "$TOP/b3")"
setup siobpf backend set "$VIP" 10.77.1.3 --state drain >/dev/null
t0=$(date +%s%N)
if wait_field 10.77.1.3 state down 5000; then
	echo "# drained: the daemon ended the drain $(ms_since "$t0") ms after it began (persist 2 s)"
	pass "the daemon ends a drain once its last sticky client expires: down"
else
	fail "the daemon ends a drain once its last sticky client expires (state $(field 10.77.1.3 state), clients $(field 10.77.1.3 clients))"
fi
check "the drain's end is logged" log_has "backend 10.77.1.3 of VIP $VIPT: drain -> down \(drained: its last sticky client is gone\)"
expect_eq "the drain's down is the operator's" false "$(field 10.77.1.3 probe_down)"

finish
