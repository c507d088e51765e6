# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Section 2, packet rate with live frames (BPF_F_TEST_XDP_LIVE_FRAMES):
#  a) siobpf and the floor run as live frames on the balancer's veth: real
#     XDP_TX, the peer counts and drops with XDP (the ~140 ns floor);
#  b) a generator at a client sends through the bridge to the balancer
#     (siobpf or floor_fwd, attached native or generic) and on to XDP
#     sinks on the backends, which count what arrives.
# Sourced by run.sh. Raw output: $WORK/live/.

bench_live() {
	local work=$1/live rounds=$2 seconds=$3 repeat=$4 r mode lbmac sinks
	mkdir -p "$work"
	log "live frames at the balancer's veth: siobpf vs floor ($rounds rounds of $repeat frames)"
	in_ns lb "$BUILD/bench/siobench" live-lb --peer-ns "$P-sw" --peer-dev lb \
		--repeat "$repeat" --rounds "$rounds" >"$work/lb.json"

	lbmac=$(mac_of lb)
	sinks=$(seq -f "$P-b%g" 1 "$E2E_BACKENDS" | paste -sd,)
	for r in $(seq 1 "$rounds"); do
		for mode in native generic; do
			log "live frames through the topology, $mode, round $r: siobpf, then floor_fwd"
			siobpf_up "$mode" "$VIP4:9/udp" "$E2E_BACKENDS"
			# The product's sticky table as bpftool sees it (section 1b cross-check).
			[ -e "$1/bpftool-sticky.json" ] ||
				bpftool -j map show pinned "$SIOBPF_PIN_DIR/sio_sticky" >"$1/bpftool-sticky.json" || true
			in_ns c "$BUILD/bench/siobench" gen --peer-ns "$P-sw" --peer-dev c --sink-ns "$sinks" \
				--src "$(client4 1)" --vip "$VIP4" --dst-mac "$lbmac" --seconds "$seconds" \
				>"$work/$mode-siobpf-$r.json"
			siobpf_down
			fwd_up "$mode" "$E2E_BACKENDS"
			in_ns c "$BUILD/bench/siobench" gen --peer-ns "$P-sw" --peer-dev c --sink-ns "$sinks" \
				--src "$(client4 1)" --vip "$VIP4" --dst-mac "$lbmac" --seconds "$seconds" \
				>"$work/$mode-floor_fwd-$r.json"
			fwd_down
		done
	done
}
