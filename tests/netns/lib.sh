# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Shared by the namespace tests: assertions that print TAP-style lines
# ("ok - NAME" / "not ok - NAME") which scripts/run-tests.sh counts, the
# topology and servers, and siobpf run inside the balancer's namespace.
#
# A test script sets SIO_NS to a prefix of its own before sourcing this, so
# that no two scripts share namespaces, pins or server state. SIO_NS_SUFFIX
# (environment) is added to it, so that two copies of one script can run at
# once (say, two checkouts on one machine).

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export SIO_NS=${SIO_NS:?set SIO_NS before sourcing lib.sh}${SIO_NS_SUFFIX:-}
export SIO_RUN=/tmp/siobpf-run-$SIO_NS
export SIOBPF_PIN_DIR=/sys/fs/bpf/siobpf-test-$SIO_NS
export BUILD
VIP4=10.77.100.1
VIP6=fd77::100

TESTS_PASSED=0
TESTS_FAILED=0

pass() { TESTS_PASSED=$((TESTS_PASSED + 1)); echo "ok - $*"; }
fail() { TESTS_FAILED=$((TESTS_FAILED + 1)); echo "not ok - $*"; }

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1 (expected '$2', got '$3')"
	fi
}

# siobpf in the balancer's namespace. nsenter, not `ip netns exec`: the
# latter gives the command a private /sys, hiding the pins.
siobpf() { nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" "$@"; }
in_ns() { ip netns exec "$SIO_NS-$1" "${@:2}"; }

# The ith client address (1-based) of each family.
client4() { echo "10.77.$((2 + ($1 - 1) / 250)).$((($1 - 1) % 250 + 1))"; }
client6() { printf 'fd77::2:%x' "$1"; }

# HTTP GET of the VIP from one client address: prints the backend's name.
http_from() {
	local src=$1 url
	case "$src" in
	*:*) url="http://[$VIP6]/" ;;
	*) url="http://$VIP4/" ;;
	esac
	in_ns c curl -s --max-time 3 --interface "$src" "$url"
}

# One UDP datagram to the VIP from a client address: prints the backend's name.
udp_from() {
	local src=$1
	case "$src" in
	*:*) echo x | in_ns c socat -T2 - "UDP6:[$VIP6]:5353,bind=[$src]" ;;
	*) echo x | in_ns c socat -T2 - "UDP4:$VIP4:5353,bind=$src" ;;
	esac
}

# Builds the topology and starts the servers; tears everything down on exit.
setup_topology() {
	teardown_topology
	trap teardown_topology EXIT
	"$ROOT/scripts/topology.sh" up || { fail "topology up"; return 1; }
	"$ROOT/scripts/servers.sh" start || { fail "servers start"; return 1; }
	wait_servers
}

wait_servers() {
	local i n
	for n in $(ip netns list | awk '{print $1}' | sed -n "s/^$SIO_NS-b\([0-9]*\)$/\1/p"); do
		for i in $(seq 50); do
			in_ns c curl -s --max-time 1 "http://10.77.1.$n/" >/dev/null && break
			sleep 0.1
		done
	done
}

teardown_topology() {
	siobpf unload eth0 >/dev/null 2>&1 || true
	"$ROOT/scripts/servers.sh" stop >/dev/null 2>&1 || true
	"$ROOT/scripts/topology.sh" down >/dev/null 2>&1 || true
	rm -rf "$SIOBPF_PIN_DIR" 2>/dev/null || true
}

# Ends the script: a summary line and the exit status.
finish() {
	echo "# $TESTS_PASSED passed, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ]
}

# setup COMMAND...: a step a test's later checks rely on (a namespace, an
# address, a route, a rule, a VIP). If it fails, the test says which step and
# stops, rather than checking a setup that is not there.
setup() {
	"$@" && return 0
	fail "setup step failed (exit $?): $*"
	finish
	exit 1
}

# wait_log PATTERN SECONDS: within SECONDS, $LOG (the daemon's log) has a
# line matching PATTERN, an extended regular expression.
wait_log() {
	local i
	for i in $(seq $(($2 * 20))); do
		grep -qE -- "$1" "$LOG" && return 0
		sleep 0.05
	done
	return 1
}

# A test that cannot run here fails loudly.
require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { fail "required command '$c' is missing (run scripts/deps.sh)"; finish; exit 1; }
	done
}
