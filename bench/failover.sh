# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Section 5, failover: the time from a backend's death (its nginx stopped)
# to each of its clients being served by another backend, with `siobpf
# run` probing at the default settings and at sub-second ones. Measured
# only when `siobpf run` exists; otherwise recorded as not measurable.
# Sourced by run.sh. Raw output: $WORK/failover/.

# name: vip options (the probe settings under test). "drained": backend 2
# is drained before it dies (the first step of maintenance), so the time is
# that of a drain that finishes by the probe's doing.
FAILOVER_SETTINGS=(
	"default:--probe tcp"
	"subsecond:--probe tcp --interval 200 --timeout 100 --rise 2 --fall 2"
	"drained:--probe tcp --interval 200 --timeout 100 --rise 2 --fall 2"
)

bench_failover() {
	local work=$1/failover which=$2 entry name opts daemon clients
	mkdir -p "$work"
	if ! "$BUILD/siobpf" help run >/dev/null 2>&1; then
		echo "siobpf run (the health-check daemon) does not exist in this build" >"$work/not-measurable"
		log "failover: siobpf run does not exist yet: not measurable"
		return 0
	fi
	for entry in "${FAILOVER_SETTINGS[@]}"; do
		name=${entry%%:*}
		opts=${entry#*:}
		[ "$which" = subsecond ] && [ "$name" = default ] && continue
		log "failover: $name probe settings ($opts)"
		# shellcheck disable=SC2086 # opts is a word list
		siobpf_up native "$VIP4:80" "$E2E_BACKENDS" $opts
		spawn daemon nsenter --net="/run/netns/$P-lb" "$BUILD/siobpf" run 2>"$work/$name-daemon.log"
		sleep 2
		in_ns c python3 "$ROOT/bench/survey.py" survey --clients "$SURVEY_CLIENTS" >"$work/$name-before.json"
		clients=$(python3 -c 'import json,sys; print(",".join(c for c,b in json.load(open(sys.argv[1])).items() if b == "b2"))' \
			"$work/$name-before.json")
		if [ -z "$clients" ]; then
			echo "no client of b2 to watch" >"$work/$name.error"
		else
			[ "$name" = drained ] && siobpf backend set "$VIP4:80" 10.77.1.2 --state drain >/dev/null
			siobpf status --json >"$work/$name-status.json"
			# nsenter keeps the mounts, so the watcher can read the pins too.
			nsenter --net="/run/netns/$P-c" python3 "$ROOT/bench/survey.py" watch --clients "$clients" \
				--dead b2 --kill "$ROOT/scripts/servers.sh stop 2" --seconds 40 \
				--state-cmd "nsenter --net=/run/netns/$P-lb $BUILD/siobpf status --json" \
				--dead-addr 10.77.1.2 >"$work/$name.json" || echo "watch failed" >"$work/$name.error"
		fi
		"$ROOT/scripts/servers.sh" start 2 >/dev/null
		reap "$daemon" kill
		siobpf_down
	done
}
