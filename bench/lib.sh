# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Shared by the bench scripts: names, the topology (scripts/topology.sh with
# SIO_NS=siobench), siobpf in the balancer's namespace, and the processes
# the bench starts. Only those are ever stopped, by their pid.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
export SIO_NS=siobench
export SIO_RUN=/tmp/siobpf-run-siobench
export SIOBPF_PIN_DIR=/sys/fs/bpf/siobpf-bench
P=$SIO_NS
VIP4=10.77.100.1
# e2e clients: one wrk per namespace ($P-c1..), each with one address.
CLIENT_NS=${CLIENT_NS:-8}
# Backends 1-3 serve; backend 4 exists for the disruption test's "add".
# shellcheck disable=SC2034 # used by the section scripts
E2E_BACKENDS=3
ALL_BACKENDS=4
# The 200 addresses of $P-c, for disruption and failover.
SURVEY_CLIENTS=200

BENCH_PIDS=()

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
in_ns() { ip netns exec "$P-$1" "${@:2}"; }
# nsenter, not ip netns exec: the pins must stay visible (TESTING.md).
siobpf() { nsenter --net="/run/netns/$P-lb" "$BUILD/siobpf" "$@"; }
siobench() { "$BUILD/bench/siobench" "$@"; }
mac_of() { ip -n "$P-$1" -br link show dev eth0 | awk '{print $3}'; }
client4() { echo "10.77.$((2 + ($1 - 1) / 250)).$((($1 - 1) % 250 + 1))"; }

# spawn NAME CMD...: runs CMD (a program, not a function, so that the pid
# is the program's) in the background, remembered for cleanup.
spawn() {
	"${@:2}" &
	BENCH_PIDS+=($!)
	eval "$1=$!"
}

# reap PID [kill]: waits for (or first stops) a spawned process and forgets it.
reap() {
	local pid=$1 keep=() p
	[ "${2:-}" = kill ] && kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]}")
}

stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# The veth peer of the balancer needs an XDP program for native XDP_TX.
peer_pass() {
	if [ "$1" = on ]; then
		ip -n "$P-sw" link set dev lb xdpdrv obj "$BUILD/tests/xdp_pass.bpf.o" sec xdp
	else
		ip -n "$P-sw" link set dev lb xdpdrv off 2>/dev/null || true
	fi
}

# Whatever XDP program is on the balancer's interface goes.
lb_xdp_off() {
	siobpf unload eth0 >/dev/null 2>&1 || true
	ip -n "$P-lb" link set dev eth0 xdpdrv off 2>/dev/null || true
	ip -n "$P-lb" link set dev eth0 xdpgeneric off 2>/dev/null || true
}

# GET the VIP from a namespace; prints the backend's name.
probe_vip() {
	in_ns "$1" curl -s --max-time 2 "http://$VIP4/" 2>/dev/null || true
}

wait_vip() {
	local i
	for i in $(seq 40); do
		case "$(probe_vip "$1")" in b[0-9]*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

topo_up() {
	topo_down
	# Peer XDP programs are the bench's to set per run (peer_pass), so the
	# topology is built without one.
	CLIENT_NS=$CLIENT_NS BACKENDS=$ALL_BACKENDS CLIENTS4=$SURVEY_CLIENTS CLIENTS6=1 \
		XDP_MODE=generic "$ROOT/scripts/topology.sh" up
	"$ROOT/scripts/servers.sh" start >/dev/null
	local i n
	for n in c lb $(seq -f 'c%g' 1 "$CLIENT_NS"); do
		# Thousands of short connections a second per namespace.
		in_ns "$n" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
	done
	for n in $(seq 1 "$ALL_BACKENDS"); do
		for i in $(seq 30); do
			in_ns c curl -s --max-time 1 "http://10.77.1.$n/" >/dev/null && break
			[ "$i" = 30 ] && { log "backend $n does not answer"; return 1; }
			sleep 0.1
		done
	done
}

topo_down() {
	local pid
	lb_xdp_off
	for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
	BENCH_PIDS=()
	"$ROOT/scripts/servers.sh" stop >/dev/null 2>&1 || true
	"$ROOT/scripts/topology.sh" down >/dev/null 2>&1 || true
	rm -rf "$SIOBPF_PIN_DIR" 2>/dev/null || true
}

# ---- the balancers under comparison, each set up and torn down alone ----

# siobpf with backends 1..N on VIP:PORT[/udp], XDP mode native|generic.
siobpf_up() {
	local mode=$1 vip=$2 n=$3 i
	shift 3
	[ "$mode" = native ] && peer_pass on
	siobpf load eth0 --mode "$mode" >/dev/null
	siobpf vip add "$vip" "$@" >/dev/null
	for i in $(seq 1 "$n"); do siobpf backend add "$vip" "10.77.1.$i" >/dev/null; done
}

siobpf_down() {
	lb_xdp_off
	peer_pass off
}

# floor_fwd (bench/floor.bpf.c) to backends 1..N.
fwd_up() {
	local mode=$1 n=$2 i macs=()
	for i in $(seq 1 "$n"); do macs+=(--backend-mac "$(mac_of "b$i")"); done
	[ "$mode" = native ] && peer_pass on
	nsenter --net="/run/netns/$P-lb" "$BUILD/bench/siobench" fwd-attach --dev eth0 --mode "$mode" \
		--vip "$VIP4" "${macs[@]}"
}

fwd_down() {
	lb_xdp_off
	peer_pass off
}

# The proxies answer on the VIP in the balancer's namespace.
vip_local() {
	if [ "$1" = on ]; then
		in_ns lb ip addr replace "$VIP4/32" dev lo
	else
		in_ns lb ip addr del "$VIP4/32" dev lo 2>/dev/null || true
	fi
}

HAPROXY_PID=
haproxy_up() {
	local dir=$SIO_RUN/haproxy i
	mkdir -p "$dir"
	{
		printf 'global\n\tmaxconn 8000\n\tnbthread 2\n\tlog stderr local0 err\n'
		printf 'defaults\n\tmode tcp\n\ttimeout connect 2s\n\ttimeout client 30s\n\ttimeout server 30s\n'
		printf 'frontend vip\n\tbind %s:80\n\tdefault_backend nginx\n' "$VIP4"
		printf 'backend nginx\n\tbalance source\n\thash-type consistent\n'
		for i in "$@"; do printf '\tserver b%s 10.77.1.%s:80 id %s\n' "$i" "$i" "$i"; done
	} >"$dir/haproxy.cfg"
	vip_local on
	spawn HAPROXY_PID ip netns exec "$P-lb" haproxy -db -f "$dir/haproxy.cfg"
	wait_vip c1 || wait_vip c
}

haproxy_down() {
	[ -n "$HAPROXY_PID" ] && reap "$HAPROXY_PID" kill
	HAPROXY_PID=
	vip_local off
}

NGINX_PID=
nginx_up() {
	local dir=$SIO_RUN/nginx-lb i
	mkdir -p "$dir"
	{
		printf 'load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n'
		printf 'worker_processes 2;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n' "$dir" "$dir"
		printf 'events { worker_connections 8000; }\n'
		# shellcheck disable=SC2016 # nginx's variable, not the shell's
		printf 'stream {\n\tupstream backends {\n\t\thash $remote_addr consistent;\n'
		for i in "$@"; do printf '\t\tserver 10.77.1.%s:80;\n' "$i"; done
		printf '\t}\n\tserver {\n\t\tlisten %s:80;\n\t\tproxy_pass backends;\n\t}\n}\n' "$VIP4"
	} >"$dir/nginx.conf"
	vip_local on
	spawn NGINX_PID ip netns exec "$P-lb" nginx -c "$dir/nginx.conf" -p "$dir"
	wait_vip c1 || wait_vip c
}

nginx_down() {
	[ -n "$NGINX_PID" ] && reap "$NGINX_PID" kill
	NGINX_PID=
	vip_local off
}

# nftables DNAT by jhash of the client address. Replies must come back
# through the balancer to be un-NATed: the backends route the client
# networks via it for the run (no SNAT, so backends still see clients).
nft_up() {
	local backends=("$@") n=$# i map=
	for i in $(seq 0 $((n - 1))); do
		map+="${map:+, }$i : 10.77.1.${backends[$i]}"
	done
	in_ns lb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.eth0.send_redirects=0 net.netfilter.nf_conntrack_tcp_timeout_time_wait=5 2>/dev/null ||
		in_ns lb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
			net.ipv4.conf.eth0.send_redirects=0
	in_ns lb nft -f - <<NFT
table ip siobench
delete table ip siobench
table ip siobench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP4 tcp dport 80 dnat to jhash ip saddr mod $n map { $map }
	}
}
NFT
	for i in $(seq 1 "$ALL_BACKENDS"); do
		in_ns "b$i" ip route replace 10.77.200.0/24 via 10.77.0.1
		in_ns "b$i" ip route replace 10.77.2.0/24 via 10.77.0.1
	done
	wait_vip c1 || wait_vip c
}

nft_down() {
	local i
	in_ns lb nft delete table ip siobench 2>/dev/null || true
	in_ns lb sysctl -qw net.ipv4.ip_forward=0
	for i in $(seq 1 "$ALL_BACKENDS"); do
		in_ns "b$i" ip route del 10.77.200.0/24 2>/dev/null || true
		in_ns "b$i" ip route del 10.77.2.0/24 2>/dev/null || true
	done
}
