#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Runs every benchmark (bench/README.md) and writes bench/results/: a JSON
# file per section, summary.md and PNG charts. `make bench` (under 15
# minutes here) or `make bench-quick` (--quick: fewer rounds, shorter runs,
# about 3 minutes). Run as root: it builds namespaces and loads XDP.
#
# Settings (environment): BENCH_OUT (bench/results), BENCH_WORK (raw data,
# /tmp/siobench-work), CLIENT_NS (8 wrk client namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: run as root (it builds network namespaces and loads XDP programs)" >&2
	exit 1
fi

scripts/deps.sh --bench
make -s bench-build BUILD="${BUILD:-build}"

. bench/lib.sh
. bench/live.sh
. bench/e2e.sh
. bench/disruption.sh
. bench/failover.sh
. bench/massfail.sh

OUT=${BENCH_OUT:-$ROOT/bench/results}
WORK=${BENCH_WORK:-/tmp/siobench-work}

if [ "$QUICK" = 1 ]; then
	TR_ROUNDS=1 TABLE_ROUNDS=1 SCALE_ROUNDS=1 LIVE_ROUNDS=1 LIVE_SECONDS=1 LIVE_REPEAT=1000000
	E2E_ROUNDS=1 E2E_SECONDS=2 FAILOVER=subsecond
else
	TR_ROUNDS=7 TABLE_ROUNDS=5 SCALE_ROUNDS=4 LIVE_ROUNDS=3 LIVE_SECONDS=2 LIVE_REPEAT=2000000
	E2E_ROUNDS=8 E2E_SECONDS=3 FAILOVER=all
fi
E2E_CONNS=8 # per client namespace
REPEAT=1000000

[ -d /sys/fs/bpf ] && ! mountpoint -q /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
rm -rf "$WORK"
mkdir -p "$WORK" "$OUT"
trap topo_down EXIT

# CPU busy share over a few seconds: what others on the machine are using.
cpu_busy() {
	local a b c d e f g h a2 b2 c2 d2 e2 f2 g2 h2 busy idle
	read -r _ a b c d e f g h _ </proc/stat
	sleep "$1"
	read -r _ a2 b2 c2 d2 e2 f2 g2 h2 _ </proc/stat
	busy=$(((a2 + b2 + c2 + f2 + g2 + h2) - (a + b + c + f + g + h)))
	idle=$(((d2 + e2) - (d + e)))
	echo $((100 * busy / (busy + idle + 1)))
}

start=$(date +%s)
{
	echo "mode $([ "$QUICK" = 1 ] && echo quick || echo full)"
	echo "started $(date -u +%FT%TZ)"
	echo "kernel $(uname -r)"
	echo "cpus $(nproc)"
	echo "loadavg_start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "cpu_busy_before_pct $(cpu_busy 3)"
	echo "other_namespaces $(ip netns list | awk '{print $1}' | grep -v "^$P-" | sed 's/-.*//' | sort -u | paste -sd, -)"
	echo "settings testrun_rounds=$TR_ROUNDS table_rounds=$TABLE_ROUNDS scale_rounds=$SCALE_ROUNDS live_rounds=$LIVE_ROUNDS" \
		"live_seconds=$LIVE_SECONDS e2e_rounds=$E2E_ROUNDS e2e_seconds=$E2E_SECONDS" \
		"client_ns=$CLIENT_NS conns_per_ns=$E2E_CONNS"
} >"$WORK/meta.txt"

log "1. per-packet cost under BPF_PROG_TEST_RUN ($TR_ROUNDS rounds, repeat $REPEAT)"
siobench testrun --repeat "$REPEAT" --rounds "$TR_ROUNDS" >"$WORK/testrun.json"
log "1b. the sticky table against the previous one: hits over 1k and 1M clients, new clients fresh and reused, rated size ($TABLE_ROUNDS rounds)"
siobench table --repeat "$REPEAT" --rounds "$TABLE_ROUNDS" >"$WORK/table.json"
log "4. scale: ring build and swap, 64 VIPs ($SCALE_ROUNDS rounds)"
siobench scale --repeat "$REPEAT" --rounds "$SCALE_ROUNDS" >"$WORK/scale.json"

log "topology: $CLIENT_NS wrk client namespaces, $SURVEY_CLIENTS survey clients, $ALL_BACKENDS nginx backends"
topo_up
bench_live "$WORK" "$LIVE_ROUNDS" "$LIVE_SECONDS" "$LIVE_REPEAT"
bench_e2e "$WORK" "$E2E_ROUNDS" "$E2E_SECONDS" "$E2E_CONNS"
bench_disruption "$WORK"
bench_failover "$WORK" "$FAILOVER"
bench_massfail "$WORK"
topo_down

{
	echo "loadavg_end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "seconds $(($(date +%s) - start))"
} >>"$WORK/meta.txt"
python3 bench/report.py "$WORK" "$OUT"
log "done in $(($(date +%s) - start)) s: $OUT/summary.md"
