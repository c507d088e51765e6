#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Runs every built test binary, layer by layer, and ends with the line
# "N passed, N failed". A binary that dies before reporting counts as a
# failure, so a crash can never read as success.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
passed=0
failed=0

run_cmocka() {
	local bin=$1 out rc run ok bad
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	run=$(printf '%s\n' "$out" | sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' | tail -1)
	ok=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
	if [ -z "$run" ]; then
		echo "!! $bin reported no results (exit $rc): counted as one failure"
		failed=$((failed + 1))
		return
	fi
	ok=${ok:-0}
	bad=$((run - ok))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "!! $bin exited $rc after its tests: counted as one failure"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# Shell tests print "ok - NAME" / "not ok - NAME" lines (tests/netns/lib.sh).
run_shell() {
	local script=$1 out rc ok bad
	out=$(BUILD=$build timeout 1200 bash "$script" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	ok=$(printf '%s\n' "$out" | grep -c '^ok - ')
	bad=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "!! $script exited $rc without a failed test: counted as one failure"
		bad=1
	fi
	if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
		echo "!! $script ran no test: counted as one failure"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

for layer in unit bpf; do
	echo "=== tests/$layer"
	for bin in "$build"/tests/"$layer"/test_*; do
		[ -x "$bin" ] || { echo "!! no test binaries in $build/tests/$layer"; failed=$((failed + 1)); break; }
		run_cmocka "$bin"
	done
done

for layer in docs fuzz netns e2e; do
	echo "=== tests/$layer"
	for script in tests/"$layer"/test_*.sh; do
		[ -f "$script" ] || continue
		echo "--- $script"
		run_shell "$script"
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
