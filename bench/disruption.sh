# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Section 6, disruption: which backend each of the 200 client addresses
# reaches (one real connection each), before and after a backend is added
# (4 joins 1-3) and removed (1 leaves 1-4), and for siobpf after one fails
# (2 goes down). siobpf with its sticky table, siobpf as a plain ring
# (--persist 0), HAProxy and nginx consistent hashing, and nftables jhash
# mod N as the non-consistent reference.
# Sourced by run.sh. Raw output: $WORK/disruption/SYSTEM-STEP.json.

DISRUPTION_SYSTEMS=(siobpf ring haproxy nginx nftables)

survey() {
	in_ns c python3 "$ROOT/bench/survey.py" survey --clients "$SURVEY_CLIENTS" >"$1"
}

# disruption_set SYSTEM BACKEND...: the system now balances over these.
disruption_set() {
	local sys=$1
	shift
	case "$sys" in
	haproxy) haproxy_down; haproxy_up "$@" ;;
	nginx) nginx_down; nginx_up "$@" ;;
	nftables) nft_up "$@" ;;
	esac
}

bench_disruption() {
	local work=$1/disruption sys
	mkdir -p "$work"
	for sys in "${DISRUPTION_SYSTEMS[@]}"; do
		log "disruption: $sys"
		{
			case "$sys" in
			siobpf) siobpf_up native "$VIP4:80" 3 ;;
			ring) siobpf_up native "$VIP4:80" 3 --persist 0 ;;
			*) disruption_set "$sys" 1 2 3 ;;
			esac
			wait_vip c
		} >"$work/$sys.log" 2>&1 || { echo "setup failed" >"$work/$sys.error"; continue; }
		survey "$work/$sys-before.json"
		case "$sys" in
		siobpf | ring) siobpf backend add "$VIP4:80" 10.77.1.4 >/dev/null ;;
		*) disruption_set "$sys" 1 2 3 4 >>"$work/$sys.log" 2>&1 ;;
		esac
		survey "$work/$sys-added.json"
		case "$sys" in
		siobpf | ring) siobpf backend del "$VIP4:80" 10.77.1.1 >/dev/null ;;
		*) disruption_set "$sys" 2 3 4 >>"$work/$sys.log" 2>&1 ;;
		esac
		survey "$work/$sys-removed.json"
		case "$sys" in
		siobpf | ring)
			siobpf backend set "$VIP4:80" 10.77.1.2 --state down >/dev/null
			survey "$work/$sys-failed.json"
			siobpf_down
			;;
		haproxy) haproxy_down ;;
		nginx) nginx_down ;;
		nftables) nft_down ;;
		esac
	done
}
