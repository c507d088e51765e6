#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Real Socket.IO behind siobpf: 200 IPv4 and 50 IPv6 clients, each from its
# own address, three (then four) Socket.IO nodes sharing a Redis adapter.
#
#   1. polling only, VIP sticky by client address: every client connects and
#      stays connected through three ping cycles, with no session error;
#   2. the same against a VIP sticky by address and port fails ("Session ID
#      unknown"), which shows the test sees what it guards against;
#   3. default transports: every client upgrades to WebSocket;
#   4. io.emit on one node reaches every client on every node;
#   5. while clients poll: adding a node and draining one breaks no session;
#      killing one node's server disconnects only its clients, which come
#      back on other nodes once `siobpf run`'s probes see it down.
#
# Prints a table per scenario. XDP_MODE=native|generic (default native).
SIO_NS=sioe2e
# shellcheck source=../netns/lib.sh
. "$(dirname "$0")/../netns/lib.sh"
# shellcheck source=lib.sh
. "$ROOT/tests/e2e/lib.sh"
set +e

N4=200
N6=50
N=$((N4 + N6))
VIPS=("$VIP4:$SIO_PORT" "[$VIP6]:$SIO_PORT")
# Probes every second, down after 3 failures: a node that stalls for a
# second on a busy machine is not taken for dead; a dead one is seen within
# fall x interval + timeout = 4 s.
INTERVAL=1000 TIMEOUT=1000 FALL=3
PROBE=(--probe socketio --interval "$INTERVAL" --timeout "$TIMEOUT" --rise 2 --fall "$FALL")
NODES=10.77.1.1,10.77.1.2,10.77.1.3
XDP_MODE=${XDP_MODE:-native}
export XDP_MODE

require node npm redis-server redis-cli curl nsenter
[ -x "$BUILD/siobpf" ] || { fail "build/siobpf is missing (make)"; finish; exit 1; }
if ! sio_npm; then
	fail "npm ci in tests/e2e"
	finish
	exit 1
fi

cleanup() {
	sio_stop_all
	teardown_topology
}
trap cleanup EXIT
teardown_topology
rm -rf "$SIO_RUN"
mkdir -p "$SIO_RUN"

# backend_addr VIP N: the address of backend N in the VIP's family.
backend_addr() { case "$1" in \[*) echo "fd77::1:$2" ;; *) echo "10.77.1.$2" ;; esac; }

setup() {
	CLIENTS4=$N4 CLIENTS6=$N6 BACKENDS=3 "$ROOT/scripts/topology.sh" up || return 1
	sio_redis_start || return 1
	local i v
	for i in 1 2 3; do sio_server_start "$i" || return 1; done
	local mode=()
	[ "$XDP_MODE" = generic ] && mode=(--mode generic)
	siobpf load eth0 "${mode[@]}" >/dev/null || return 1
	for v in "${VIPS[@]}"; do
		siobpf vip add "$v" "${PROBE[@]}" >/dev/null || return 1
		for i in 1 2 3; do siobpf backend add "$v" "$(backend_addr "$v" "$i")" >/dev/null || return 1; done
	done
	sio_driver_start
	sio_drv backends "$NODES" >/dev/null
}
if ! setup; then
	fail "topology, Redis, three Socket.IO nodes and siobpf set up"
	finish
	exit 1
fi
pass "topology, Redis, three Socket.IO nodes and siobpf set up ($XDP_MODE XDP)"

# no_errors NAME LINE KEY...: passes when every key's value is 0; a failure
# names the nonzero keys, the nodes' disconnect reasons (a ping timeout is a
# stalled machine; a request for another node's session is a balancer
# fault) and the requests the nodes refused.
no_errors() {
	local name=$1 s=$2 k bad=""
	shift 2
	for k in "$@"; do
		[ "$(sio_get "$k" "$s")" = 0 ] || bad="$bad $k=$(sio_get "$k" "$s")"
	done
	if [ -z "$bad" ]; then
		pass "$name"
		return
	fi
	fail "$name (got$bad; node disconnect reasons $(sio_get srv_reasons "$s"))"
	dump_errors
}
# Closes every client and waits until the nodes hold no session of theirs.
stop_clients() {
	sio_drv stop >/dev/null
	echo "# settle: $(sio_drv settle 15000)"
}
# The refused requests each node logged, for a failure's diagnosis.
dump_errors() {
	local n
	for n in ${NODES//,/ }; do
		sio_in c curl -s --max-time 2 "http://$n:$SIO_PORT/stats" |
			node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const s=JSON.parse(d);
			for (const e of s.errorLog.slice(0, 3)) console.log(`# ${s.name} refused: ${JSON.stringify(e)}`)})' 2>/dev/null
	done
}
# "b1:75,b2:82" -> "b1 75, b2 82", for the table.
per_node() { sio_get per_backend "$1" | sed 's/:/ /g; s/,/, /g'; }
nodes_used() { sio_get per_backend "$1" | tr ',' '\n' | grep -c .; }

# --- 1 and 4: polling, sticky by address -----------------------------------
echo "# scenario 1: $N clients, transports ['polling'], VIPs sticky by client address"
sio_drv reset >/dev/null
w=$(sio_drv start polling $N4 $N6 && sio_drv wait 20000 pings=3)
echo "# $w"
e=$(sio_drv emit 10.77.1.1 5000)
echo "# $e"
s=$(sio_drv stats)
echo "# $s"
expect_eq "polling, ip: every client connected" "$N" "$(sio_get connected "$s")"
check "polling, ip: every client saw at least 3 ping cycles" [ "$(sio_get pings_min "$s")" -ge 3 ]
no_errors "polling, ip: no session error, connect error or disconnect on either side" "$s" \
	srv_session_errors srv_wrong_node srv_conn_errors connect_errors disconnects srv_disconnects
expect_eq "polling, ip: every node saw each client at the client's own address" "$N" "$(sio_get addr_ok "$s")"
expect_eq "polling, ip: every request of a session came from the session's address" 0 "$(sio_get srv_foreign "$s")"
expect_eq "polling, ip: every client's requests reached a single node" 0 "$(sio_get srv_split "$s")"
expect_eq "polling, ip: clients spread over all 3 nodes" 3 "$(nodes_used "$s")"
expect_eq "io.emit on b1 reaches every polling client on every node (Redis adapter)" \
	"delivered=$N of=$N" "$(echo "$e" | grep -o 'delivered=[0-9]* of=[0-9]*')"
sio_row "1+4. polling, sticky ip" "$s" "$(per_node "$s"); io.emit on b1 reached $(echo "$e" | sed -n 's/.*delivered=\([0-9]*\) of=\([0-9]*\).*/\1 of \2/p')"
stop_clients

# --- 2: the same against ip-port ----------------------------------------------
echo "# scenario 2: the same clients against VIPs sticky by address and port"
for v in "${VIPS[@]}"; do siobpf vip set "$v" --sticky ip-port >/dev/null; done
sio_drv reset >/dev/null
sio_drv start polling $N4 $N6 >/dev/null
sleep 4
s=$(sio_drv stats)
echo "# $s"
stop_clients
check "polling, ip-port: nodes refuse requests with 'Session ID unknown' (the failure siobpf prevents)" \
	[ "$(sio_get srv_session_errors "$s")" -gt 0 ]
check "polling, ip-port: clients see connect errors or disconnects" \
	[ $(($(sio_get connect_errors "$s") + $(sio_get disconnects "$s"))) -gt 0 ]
check "polling, ip-port: clients' requests reached several nodes" [ "$(sio_get srv_split "$s")" -gt 0 ]
check "polling, ip-port: requests reached nodes that never created their session" \
	[ "$(sio_get srv_wrong_node "$s")" -gt 0 ]
sio_row "2. polling, sticky ip-port" "$s" "$(sio_get srv_split "$s") clients reached several nodes; $(sio_get srv_wrong_node "$s") requests for another node's session"
for v in "${VIPS[@]}"; do siobpf vip set "$v" --sticky ip >/dev/null; done

# --- 3 and 4: default transports ----------------------------------------------
echo "# scenario 3: $N clients, default transports (polling, then WebSocket)"
sio_drv reset >/dev/null
w=$(sio_drv start default $N4 $N6 && sio_drv wait 20000 upgraded pings=3)
echo "# $w"
e=$(sio_drv emit 10.77.1.2 5000)
echo "# $e"
s=$(sio_drv stats)
echo "# $s"
expect_eq "default transports: every client upgraded to WebSocket" "$N" "$(sio_get websocket "$s")"
expect_eq "default transports: one upgrade per client, seen by the client" "$N" "$(sio_get upgrades "$s")"
expect_eq "default transports: one upgrade per client, seen by the nodes" "$N" "$(sio_get srv_upgrades "$s")"
no_errors "default transports: no session error, connect error or disconnect" "$s" \
	srv_session_errors srv_wrong_node srv_conn_errors connect_errors disconnects srv_split
expect_eq "io.emit on b2 reaches every WebSocket client on every node (Redis adapter)" \
	"delivered=$N of=$N" "$(echo "$e" | grep -o 'delivered=[0-9]* of=[0-9]*')"
sio_row "3+4. default transports, sticky ip" "$s" "$(sio_get websocket "$s") on WebSocket; io.emit on b2 reached $(echo "$e" | sed -n 's/.*delivered=\([0-9]*\) of=\([0-9]*\).*/\1 of \2/p')"
stop_clients

# --- 5: backends come and go during a run -------------------------------------
echo "# scenario 5: polling clients while a node is added, one drained, one killed"
daemon=0
if "$BUILD/siobpf" run --help >/dev/null 2>&1; then
	if sio_daemon_start; then
		daemon=1
	else
		fail "siobpf run starts (see $SIO_RUN/daemon.log)"
	fi
fi
# Fresh VIPs: no sticky entry left from the scenarios above, so that the
# clients that come after b4 is added are new to the balancer.
for v in "${VIPS[@]}"; do
	siobpf vip del "$v" >/dev/null
	siobpf vip add "$v" "${PROBE[@]}" >/dev/null
	for i in 1 2 3; do siobpf backend add "$v" "$(backend_addr "$v" "$i")" >/dev/null; done
done
first4=$((N4 * 4 / 5))
first6=$((N6 * 4 / 5))
sio_drv reset >/dev/null
w=$(sio_drv start polling $first4 $first6 && sio_drv wait 20000)
echo "# $w"
sio_drv reset >/dev/null

# 5a: a fourth node. Its server first, then siobpf; then more clients.
"$ROOT/scripts/topology.sh" add-backend 4 && sio_server_start 4 &&
	for v in "${VIPS[@]}"; do siobpf backend add "$v" "$(backend_addr "$v" 4)" >/dev/null; done
NODES=$NODES,10.77.1.4
sio_drv backends "$NODES" >/dev/null
sleep 2
w=$(sio_drv start polling $((N4 - first4)) $((N6 - first6)) && sio_drv wait 20000)
echo "# new clients: $w"
sleep 1
s=$(sio_drv stats)
echo "# $s"
expect_eq "adding node b4: every client connected" "$N" "$(sio_get connected "$s")"
no_errors "adding node b4: no session broken (no disconnect, no error, no client moved)" "$s" \
	disconnects connect_errors srv_session_errors srv_wrong_node srv_conn_errors moved srv_split
check "adding node b4: new clients land on it" [ "$(sio_count b4 "$(sio_get per_backend "$s")")" -gt 0 ]
sio_row "5a. add node b4 (polling)" "$s" "$(sio_get moved "$s") moved; new clients to b4: $(sio_count b4 "$(sio_get per_backend "$s")") of $((N - first4 - first6)); $(per_node "$s")"

# 5b: drain b3: its clients stay, it gets no new ones.
sio_drv reset >/dev/null
on_b3=$(sio_count b3 "$(sio_get per_backend "$s")")
for v in "${VIPS[@]}"; do siobpf backend set "$v" "$(backend_addr "$v" 3)" --state drain >/dev/null; done
sleep 3
s=$(sio_drv stats)
echo "# $s"
no_errors "draining node b3: no session broken (no disconnect, no error, no client moved)" "$s" \
	disconnects connect_errors srv_session_errors srv_wrong_node srv_conn_errors moved srv_split
expect_eq "draining node b3: it keeps its $on_b3 clients" "$on_b3" "$(sio_count b3 "$(sio_get per_backend "$s")")"
sio_row "5b. drain node b3 (polling)" "$s" "$(sio_get moved "$s") moved; b3 keeps its $on_b3; $(per_node "$s")"

# 5c: b2's server dies. Only the probes of `siobpf run` may take it out.
if [ "$daemon" = 1 ]; then
	sio_drv reset >/dev/null
	before=$(sio_get per_backend "$s")
	on_b2=$(sio_count b2 "$before")
	sio_server_kill 2
	t0=$(date +%s%3N)
	check "killing b2: its server is gone" \
		sh -c "! ip netns exec $SIO_NS-c curl -s --max-time 1 http://10.77.1.2:$SIO_PORT/stats"
	# How long the probes take to see it: siobpf status, every 100 ms.
	for _ in $(seq 150); do
		siobpf status | grep -Eq '^ *backend 10\.77\.1\.2 +down' && break
		sleep 0.1
	done
	detect=$(($(date +%s%3N) - t0))
	w=$(sio_drv wait 30000 not=b2)
	echo "# after kill: $w"
	back=$(($(date +%s%3N) - t0))
	sleep 1
	s=$(sio_drv stats)
	echo "# $s"
	# Probe detection (fall x interval + timeout) plus the client's backoff
	# (reconnectionDelayMax 1000 ms, randomization 0.5), and 1.5 s of slack
	# for a busy machine.
	detect_bound=$((FALL * INTERVAL + TIMEOUT))
	bound=$((detect_bound + 1500 + 1500))
	check "killing b2: siobpf run's probes took it down in ${detect} ms (fall x interval + timeout = ${detect_bound} ms, +1.5 s slack)" \
		[ "$detect" -le "$((detect_bound + 1500))" ]
	expect_eq "killing b2: every client connected again" "$N" "$(sio_get connected "$s")"
	expect_eq "killing b2: exactly its $on_b2 clients were disconnected" "b2:$on_b2" "$(sio_get disconnected_from "$s")"
	expect_eq "killing b2: no other client saw a disconnect" "$on_b2" "$(sio_get disconnected_clients "$s")"
	expect_eq "killing b2: its clients moved, and no other" "$on_b2" "$(sio_get moved "$s")"
	after=$(sio_get per_backend "$s")
	expect_eq "killing b2: none went to b2 or drained b3" "0 $on_b3" \
		"$(sio_count b2 "$after") $(sio_count b3 "$after")"
	check "killing b2: each of its clients reconnected within ${bound} ms (slowest: $(sio_get reconnect_ms_max "$s") ms)" \
		[ "$(sio_get reconnect_ms_max "$s")" -le "$bound" -a "$(sio_get reconnects "$s")" -ge "$on_b2" ]
	expect_eq "killing b2: no session error" 0 "$(sio_get srv_session_errors "$s")"
	sio_row "5c. kill node b2 (polling)" "$s" "b2 down after ${detect} ms; $(sio_get moved "$s") moved (b2 had $on_b2), all back ${back} ms after the kill; $(per_node "$s")"
	sio_daemon_stop
else
	fail "killing b2: blocked: this siobpf has no 'run' command (health probes), which detection needs"
fi
stop_clients

echo "# Socket.IO end to end ($XDP_MODE XDP):"
sio_table | sed 's/^/# /'
finish
