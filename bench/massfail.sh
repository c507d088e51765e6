# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Section 5b, mass failure: 500 backends of one VIP (IPv6 addresses on one
# more backend machine, served by its nginx), probed every second by one
# `siobpf run`; 250 of them gone at once (their addresses removed in one
# batch). Measured: the time until the maps show the first and all 250
# down (the gap: how the daemon coalesces the transitions), against the
# probes' own bound (fall x interval, plus the timeout of the last probe,
# plus 1 s), and the latency of metrics scrapes made every 50 ms meanwhile
# (the requirement: within 100 ms). Raw output: $WORK/massfail/.

MASSFAIL_VIP="[fd77::200]:80"
MASSFAIL_INTERVAL=1000 MASSFAIL_TIMEOUT=500 MASSFAIL_FALL=3

bench_massfail() {
	local work=$1/massfail daemon scraper kv old i t0 down=0 restore=()
	mkdir -p "$work"
	log "mass failure: 250 of 500 backends gone at once"
	for kv in net.ipv6.neigh.default.gc_thresh2=4096 net.ipv6.neigh.default.gc_thresh3=8192; do
		old=$(sysctl -n "${kv%%=*}")
		[ "$old" -lt "${kv#*=}" ] && restore+=("${kv%%=*}=$old") && sysctl -qw "$kv"
	done
	"$ROOT/scripts/topology.sh" add-backend 5 >/dev/null
	"$ROOT/scripts/servers.sh" start 5 >/dev/null
	for i in $(seq 1 500); do printf 'addr add fd77::20:%x/64 dev eth0 nodad\n' "$i"; done | in_ns b5 ip -batch -
	siobpf load eth0 --mode generic >/dev/null
	{
		echo "vips:"
		echo "  - vip: \"$MASSFAIL_VIP\""
		echo "    probe: {type: tcp, interval: $MASSFAIL_INTERVAL, timeout: $MASSFAIL_TIMEOUT, fall: $MASSFAIL_FALL, rise: 2}"
		echo "    backends:"
		for i in $(seq 1 500); do printf '      - address: fd77::20:%x\n' "$i"; done
	} >"$work/500.yaml"
	siobpf apply -f "$work/500.yaml" >/dev/null || { echo "apply of 500 backends failed" >"$work/error"; massfail_down; return 0; }
	spawn daemon nsenter --net="/run/netns/$P-lb" "$BUILD/siobpf" run --metrics 127.0.0.1:9469 2>"$work/daemon.log"
	for i in $(seq 100); do
		[ "$(massfail_states | grep -c '^up$')" = 500 ] && grep -q 'watching 500' "$work/daemon.log" && break
		sleep 0.1
	done
	sleep 3 # every backend probed a few times
	nsenter --net="/run/netns/$P-lb" python3 - 127.0.0.1:9469 "$work/scrapes.stop" >"$work/scrapes.json" <<'PY' &
import json, os, sys, time, urllib.request
url, stop = "http://%s/metrics" % sys.argv[1], sys.argv[2]
times, failed, end = [], 0, time.time() + 60
while time.time() < end and not os.path.exists(stop):
    t = time.time()
    try:
        urllib.request.urlopen(url, timeout=5).read()
    except OSError:
        failed += 1
    times.append((time.time() - t) * 1000)
    time.sleep(0.05)
times.sort()
print(json.dumps({"scrapes": len(times), "failed": failed,
                  "median_ms": times[len(times) // 2] if times else None,
                  "p99_ms": times[int(len(times) * 0.99)] if times else None,
                  "max_ms": times[-1] if times else None}))
PY
	scraper=$!
	sleep 1
	t0=$(date +%s%N)
	for i in $(seq 1 250); do printf 'addr del fd77::20:%x/64 dev eth0\n' "$i"; done | in_ns b5 ip -batch -
	local first_ms=
	for i in $(seq 300); do
		down=$(massfail_states | grep -c '^down$' || true) # run.sh has set -e; grep -c of none exits 1
		[ -z "$first_ms" ] && [ "$down" -ge 1 ] && first_ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$down" -ge 250 ] && break
		sleep 0.05
	done
	local took_ms=$((($(date +%s%N) - t0) / 1000000))
	: >"$work/scrapes.stop"
	wait "$scraper"
	python3 - "$work" "${first_ms:-0}" "$took_ms" "$down" "$(massfail_states | grep -c '^up$' || true)" \
		"$MASSFAIL_INTERVAL" "$MASSFAIL_TIMEOUT" "$MASSFAIL_FALL" >"$work/result.json" <<'PY'
import json, sys
work, first, took, down, up, interval, timeout, fall = sys.argv[1], *map(int, sys.argv[2:])
bound = fall * interval + timeout + 1000
s = json.load(open(work + "/scrapes.json"))
print(json.dumps({"backends": 500, "gone": 250, "taken_down": down, "still_up": up,
                  "first_down_ms": first, "all_down_ms": took, "probe": {"interval_ms": interval, "timeout_ms": timeout, "fall": fall},
                  "bound_ms": bound, "ratio_to_bound": round(took / bound, 3), "scrapes": s}))
PY
	reap "$daemon" kill
	massfail_down
	for kv in "${restore[@]}"; do sysctl -qw "$kv"; done
}

# The states of the 500 backends, one per line.
massfail_states() {
	siobpf status --json | python3 -c 'import json, sys
for v in json.load(sys.stdin)["vips"]:
    if v["vip"] == sys.argv[1]:
        print("\n".join(b["state"] for b in v["backends"]))' "$MASSFAIL_VIP/tcp"
}

massfail_down() {
	siobpf vip del "$MASSFAIL_VIP" >/dev/null 2>&1 || true
	lb_xdp_off
	"$ROOT/scripts/servers.sh" stop 5 >/dev/null 2>&1 || true
}
