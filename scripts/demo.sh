#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# siobpf's main job on a built-in network: 200 Socket.IO clients, a
# balancer, three Socket.IO nodes sharing a Redis adapter, each in its own
# network namespace. Installs what it needs, builds, shows stickiness, live
# counters, and a node failure that moves only that node's clients, then
# removes everything it made. Run as root; takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

export SIO_NS=siodemo SIO_RUN=/tmp/siobpf-demo SIOBPF_PIN_DIR=/sys/fs/bpf/siobpf-demo
export XDP_MODE=${XDP_MODE:-native}
ROOT=$(pwd)
BUILD=${BUILD:-build}
CLIENTS=200
. tests/e2e/lib.sh
VIP=10.77.100.1:$SIO_PORT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
siobpf() { nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" "$@"; }

# Clients per node and both sides' error counts, from one driver stats line.
report() {
	local s=$1 b
	for b in $(sio_get per_backend "$s" | tr ',' ' '); do
		printf '  %-4s %4s clients\n' "${b%%:*}" "${b#*:}"
	done
	printf '  connected %s of %s (%s on WebSocket); session errors ("Session ID unknown"): %s\n' \
		"$(sio_get connected "$s")" "$(sio_get clients "$s")" "$(sio_get websocket "$s")" \
		"$(sio_get srv_session_errors "$s")"
	printf '  clients whose connections reached more than one node: %s; disconnects: %s\n' \
		"$(sio_get srv_split "$s")" "$(sio_get disconnects "$s")"
}

cleanup() {
	sio_stop_all
	siobpf unload eth0 >/dev/null 2>&1 || true
	scripts/topology.sh down >/dev/null 2>&1 || true
	rm -rf "$SIO_RUN"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it builds network namespaces and loads XDP)" >&2
	exit 1
fi
say "Installing what is missing and building"
scripts/deps.sh
make -s all tests >/dev/null
sio_npm

trap cleanup EXIT
cleanup
mkdir -p "$SIO_RUN"
say "A network of namespaces: $CLIENTS client addresses, a balancer, 3 Socket.IO nodes, Redis"
CLIENTS4=$CLIENTS scripts/topology.sh up
sio_redis_start
for i in 1 2 3; do sio_server_start "$i"; done
echo "nodes b1..b3 (10.77.1.1-3) serve Socket.IO on $VIP (the VIP is on their lo: direct server return)"

say "siobpf load eth0 ($XDP_MODE XDP); a VIP with three backends and Socket.IO health probes"
mode=()
[ "$XDP_MODE" = generic ] && mode=(--mode generic)
siobpf load eth0 "${mode[@]}" >/dev/null
siobpf vip add "$VIP" --probe socketio --interval 1000 --timeout 1000 --rise 2 --fall 3 >/dev/null
for i in 1 2 3; do siobpf backend add "$VIP" "10.77.1.$i" >/dev/null; done
daemon=0
if "$BUILD/siobpf" run --help >/dev/null 2>&1 && sio_daemon_start; then
	daemon=1
	echo "siobpf run: probing each node every second (log: $SIO_RUN/daemon.log)"
fi
siobpf status

say "$CLIENTS Socket.IO clients, each from its own address: half long-polling, half upgrading to WebSocket"
echo "Long-polling opens a new TCP connection for every request: each must reach the node"
echo "that holds the client's session, or the node answers 400 \"Session ID unknown\"."
sio_driver_start
sio_drv backends 10.77.1.1,10.77.1.2,10.77.1.3 >/dev/null
sio_drv start polling $((CLIENTS / 2)) 0 >/dev/null
sio_drv start default $((CLIENTS / 2)) 0 >/dev/null
sio_drv wait 20000 pings=3 >/dev/null
s=$(sio_drv stats)
report "$s"
e=$(sio_drv emit 10.77.1.1 5000)
echo "a broadcast (io.emit) on b1, passed to b2 and b3 by the Redis adapter, reached" \
	"$(echo "$e" | sed -n 's/.*delivered=\([0-9]*\) of=\([0-9]*\).*/\1 of \2/p') clients"
echo "where client 10.77.2.1 goes, and why:"
siobpf lookup "$VIP" 10.77.2.1

say "Live counters while the clients poll (siobpf stats --watch 1)"
timeout 3.5 nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" stats --watch 1 || true

before=$(sio_get per_backend "$s")
on_b2=$(sio_count b2 "$before")
sio_drv reset >/dev/null
if [ "$daemon" = 1 ]; then
	say "Node b2's server crashes (kill -9); siobpf run's probes take it down"
	sio_server_kill 2
else
	say "Node b2's server crashes (kill -9); siobpf run is not built here, so: siobpf backend set --state down"
	sio_server_kill 2
	siobpf backend set "$VIP" 10.77.1.2 --state down
fi
w=$(sio_drv wait 30000 not=b2)
s=$(sio_drv stats)
echo "all clients connected again $(echo "$w" | sed -n 's/.* ms=//p') ms after the crash"
report "$s"
moved=$(sio_get moved "$s")
others=$(($(sio_get disconnected_clients "$s") - $(sio_count b2 "$(sio_get disconnected_from "$s")")))
echo "b2 had $on_b2 clients; disconnected: $(sio_get disconnected_clients "$s") (from b2: $(sio_count b2 "$(sio_get disconnected_from "$s")"), from other nodes: $others)"
echo "clients that changed node: $moved; slowest reconnect $(sio_get reconnect_ms_max "$s") ms"
if [ "$daemon" = 1 ]; then
	grep -m1 '10.77.1.2 .*-> down' "$SIO_RUN/daemon.log" | sed 's/^/  /' || true
fi
errors=$(sio_get srv_session_errors "$s")

say "Why it matters: the same clients with a VIP sticky by address and port"
sio_drv stop >/dev/null
siobpf vip set "$VIP" --sticky ip-port >/dev/null
sio_drv reset >/dev/null
sio_drv start polling $((CLIENTS / 2)) 0 >/dev/null
sleep 4
s=$(sio_drv stats)
sio_drv stop >/dev/null
echo "after 4 s: $(sio_get connected "$s") of $((CLIENTS / 2)) polling clients connected," \
	"$(sio_get srv_session_errors "$s") requests refused with \"Session ID unknown\""

say "Done: no session error while sticky; only the failed node's clients moved. Removing the namespaces."
[ "$moved" -eq "$on_b2" ] && [ "$others" -eq 0 ] && [ "$errors" -eq 0 ]
