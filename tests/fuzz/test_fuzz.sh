#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Builds the libFuzzer targets (make fuzz-build) and runs each for
# FUZZ_SECONDS (default 30) from its corpus in tests/fuzz/corpus/TARGET;
# any crash, leak or timeout fails the target. New inputs go to a scratch
# directory: the committed corpus changes only by hand.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
seconds=${FUZZ_SECONDS:-30}
failed=0

if ! make -s BUILD="$build" fuzz-build >/dev/null; then
	echo "not ok - fuzz: the targets do not build (make fuzz-build)"
	exit 1
fi
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	target=${name#fuzz_}
	scratch=$(mktemp -d /tmp/siofuzz.XXXXXX)
	log=$scratch/log
	"$build/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$scratch/" "$scratch" "tests/fuzz/corpus/$target" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -1)
	# libFuzzer's last status line: "#N DONE cov: EDGES ft: FEATURES corp: ..."
	cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 edges, \2 features, corpus \3/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok - fuzz $target: $runs executions, no crash (${cov:-no coverage line})"
	else
		echo "not ok - fuzz $target: exit $rc after ${runs:-?} executions; artifacts in $scratch"
		grep -E 'ERROR|SUMMARY|runtime error|abort' "$log" | head -5
		failed=$((failed + 1))
		continue
	fi
	rm -rf "$scratch"
done
[ "$failed" -eq 0 ]
