# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Section 3, end to end: wrk in every client namespace at once against the
# VIP, nginx backends, through each balancer in turn; new connection per
# request (Connection: close) and keep-alive. Two baselines in the same
# run: the clients routing the VIP straight to a backend (no balancer: the
# ceiling) and floor_fwd (an XDP hop with no lookup).
# Sourced by run.sh. Raw output: $WORK/e2e/ (wrk.lua's files).

E2E_CONFIGS=(ceiling xdp-fwd-native siobpf-native xdp-fwd-generic siobpf-generic haproxy nginx nftables)

# Client namespace i talks to backend ((i-1) mod N)+1 directly.
ceiling_routes() {
	local i via
	for i in $(seq 1 "$CLIENT_NS"); do
		via=10.77.0.1
		[ "$1" = on ] && via=10.77.1.$(((i - 1) % E2E_BACKENDS + 1))
		in_ns "c$i" ip route replace "$VIP4/32" via "$via"
	done
}

e2e_up() {
	local backends
	mapfile -t backends < <(seq 1 "$E2E_BACKENDS")
	case "$1" in
	ceiling) ceiling_routes on ;;
	xdp-fwd-*) fwd_up "${1##*-}" "$E2E_BACKENDS" ;;
	siobpf-*) siobpf_up "${1##*-}" "$VIP4:80" "$E2E_BACKENDS" ;;
	haproxy) haproxy_up "${backends[@]}" ;;
	nginx) nginx_up "${backends[@]}" ;;
	nftables) nft_up "${backends[@]}" ;;
	esac
	wait_vip c1
}

e2e_down() {
	case "$1" in
	ceiling) ceiling_routes off ;;
	xdp-fwd-*) fwd_down ;;
	siobpf-*) siobpf_down ;;
	haproxy) haproxy_down ;;
	nginx) nginx_down ;;
	nftables) nft_down ;;
	esac
}

# One wrk per client namespace, all at once; waits for them.
e2e_load() {
	local out=$1 style=$2 seconds=$3 conns=$4 i pid pids=() hdr=()
	[ "$style" = close ] && hdr=(-H "Connection: close")
	for i in $(seq 1 "$CLIENT_NS"); do
		spawn pid env WRK_OUT="$out-c$i.txt" ip netns exec "$P-c$i" wrk -t1 -c"$conns" \
			-d"${seconds}s" --timeout 2s -s "$ROOT/bench/wrk.lua" "${hdr[@]}" "http://$VIP4/" \
			>"$out-c$i.log" 2>&1
		pids+=("$pid")
	done
	for pid in "${pids[@]}"; do reap "$pid"; done
}

bench_e2e() {
	local work=$1/e2e rounds=$2 seconds=$3 conns=$4 r i cfg style n=${#E2E_CONFIGS[@]}
	mkdir -p "$work"
	for r in $(seq 1 "$rounds"); do
		# Each round starts one configuration later, so that none always
		# runs first or last in a round (drift in the machine's load).
		for i in $(seq 0 $((n - 1))); do
			cfg=${E2E_CONFIGS[$(((i + r - 1) % n))]}
			log "end to end, round $r: $cfg ($CLIENT_NS wrk x $conns connections, ${seconds}s per style)"
			if ! e2e_up "$cfg" >"$work/$cfg-$r.log" 2>&1; then
				echo "the VIP did not answer through $cfg" >>"$work/$cfg.error"
				log "  $cfg does not answer: skipped (see $work/$cfg-$r.log)"
				e2e_down "$cfg" >/dev/null 2>&1 || true
				continue
			fi
			for style in close keepalive; do
				e2e_load "$work/$cfg-$style-$r" "$style" "$seconds" "$conns"
			done
			e2e_down "$cfg" >>"$work/$cfg-$r.log" 2>&1
		done
	done
}
