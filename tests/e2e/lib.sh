# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Socket.IO on the test topology, shared by tests/e2e/test_socketio.sh and
# scripts/demo.sh: the npm packages, a Redis server in its own namespace,
# one Socket.IO node (server.js) per backend on port $SIO_PORT, the client
# driver (client.js) as a coprocess, and `siobpf run` for health probes.
#
# The caller sets ROOT, BUILD, SIO_NS and SIO_RUN first. Every process is
# started here, its pid kept under $SIO_RUN, and stopped by that pid.

E2E=$ROOT/tests/e2e
SIO_PORT=3000
SIO_REDIS=10.77.0.2
# Short ping cycles so that "stayed connected through three pings" takes
# seconds. The timeout is generous: on a busy 2-core machine a node's event
# loop can stall for seconds, and a ping timeout then closes a healthy
# session (the node's disconnect reasons tell it apart).
SIO_PING_INTERVAL=${SIO_PING_INTERVAL:-1000}
SIO_PING_TIMEOUT=${SIO_PING_TIMEOUT:-5000}

# npm ci in tests/e2e when node_modules is missing or older than the lock.
sio_npm() {
	local c
	for c in node npm; do
		if ! command -v "$c" >/dev/null; then
			echo "e2e: '$c' is missing: run scripts/deps.sh (Node.js 18 or later and npm)" >&2
			return 1
		fi
	done
	if [ -f "$E2E/node_modules/.package-lock.json" ] &&
		[ ! "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
		return 0
	fi
	echo "e2e: npm ci in tests/e2e"
	(cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
}

sio_in() { ip netns exec "$SIO_NS-$1" "${@:2}"; }

# Redis in its own namespace on the bridge: the nodes' adapter meets there.
sio_redis_start() {
	"$ROOT/scripts/topology.sh" add-redis || return 1
	mkdir -p "$SIO_RUN/redis"
	# ip netns exec, not a function around it, so that $! is the server.
	ip netns exec "$SIO_NS-redis" redis-server --bind "$SIO_REDIS" --port 6379 --save '' --appendonly no \
		--protected-mode no --dir "$SIO_RUN/redis" --logfile "$SIO_RUN/redis/redis.log" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$SIO_RUN/redis/pid"
	disown $! # killed by pid later; no job notice when it dies
	for _ in $(seq 50); do
		sio_in redis redis-cli -h "$SIO_REDIS" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "e2e: redis-server did not answer on $SIO_REDIS:6379 (see $SIO_RUN/redis/redis.log)" >&2
	return 1
}

# sio_server_start N: the Socket.IO node of backend N, waited for.
sio_server_start() {
	local n=$1 dir="$SIO_RUN/b$1"
	mkdir -p "$dir"
	ip netns exec "$SIO_NS-b$n" node "$E2E/server.js" --name "b$n" --port "$SIO_PORT" \
		--redis "redis://$SIO_REDIS:6379" --ping-interval "$SIO_PING_INTERVAL" \
		--ping-timeout "$SIO_PING_TIMEOUT" </dev/null >>"$dir/server.log" 2>&1 &
	echo $! >"$dir/sio.pid"
	disown $!
	for _ in $(seq 100); do
		sio_in c curl -s --max-time 1 "http://10.77.1.$n:$SIO_PORT/stats" >/dev/null && return 0
		sleep 0.1
	done
	echo "e2e: Socket.IO node b$n did not answer on 10.77.1.$n:$SIO_PORT in 10 s; its log:" >&2
	sed 's/^/  /' "$dir/server.log" >&2
	return 1
}

# sio_server_kill N [SIGNAL]: a crash by default (SIGKILL, nothing said).
sio_server_kill() {
	local pidf="$SIO_RUN/b$1/sio.pid"
	[ -f "$pidf" ] && kill -"${2:-KILL}" "$(cat "$pidf")" 2>/dev/null
	rm -f "$pidf"
}

# The health-check daemon in the balancer's namespace (probes, neighbours).
sio_daemon_start() {
	mkdir -p "$SIO_RUN"
	nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" run </dev/null >>"$SIO_RUN/daemon.log" 2>&1 &
	echo $! >"$SIO_RUN/daemon.pid"
	disown $!
	sleep 0.3
	kill -0 "$(cat "$SIO_RUN/daemon.pid")" 2>/dev/null
}

sio_daemon_stop() {
	local pidf="$SIO_RUN/daemon.pid"
	[ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	rm -f "$pidf"
}

# The client driver, in the client namespace; sio_drv sends it one command
# and prints its one-line answer.
sio_driver_start() {
	mkdir -p "$SIO_RUN"
	coproc SIO_DRV { exec ip netns exec "$SIO_NS-c" node "$E2E/client.js" --port "$SIO_PORT" 2>>"$SIO_RUN/driver.log"; }
	# Copies of the coprocess's pipes: bash keeps its own from subshells,
	# and replies are read in $(...).
	exec {SIO_DRV_IN}>&"${SIO_DRV[1]}" {SIO_DRV_OUT}<&"${SIO_DRV[0]}"
	# shellcheck disable=SC2153 # set by coproc
	echo "$SIO_DRV_PID" >"$SIO_RUN/driver.pid"
}

sio_drv() {
	local reply=""
	if ! { printf '%s\n' "$*" >&"$SIO_DRV_IN"; } 2>/dev/null; then
		echo "error driver gone (see $SIO_RUN/driver.log)"
		return 1
	fi
	read -r -t 120 reply <&"$SIO_DRV_OUT" || reply="error no answer to '$*' (see $SIO_RUN/driver.log)"
	printf '%s\n' "$reply"
}

sio_driver_stop() {
	[ -n "${SIO_DRV_IN:-}" ] || return 0
	sio_drv quit >/dev/null 2>&1 || true
	exec {SIO_DRV_IN}>&- {SIO_DRV_OUT}<&-
	SIO_DRV_IN=
	local pidf="$SIO_RUN/driver.pid"
	[ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	rm -f "$pidf"
}

# Everything above, stopped by pid.
sio_stop_all() {
	local f
	sio_driver_stop
	sio_daemon_stop
	for f in "$SIO_RUN"/b*/sio.pid "$SIO_RUN"/redis/pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	return 0
}

# sio_get KEY LINE: the value of KEY in a key=value line from the driver.
sio_get() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# sio_count NAME LIST: the count of NAME in "b1:70,b2:65" (0 when absent).
sio_count() { printf '%s\n' "$2" | tr ',' '\n' | sed -n "s/^$1://p" | grep . || echo 0; }

# One row per scenario, kept in $SIO_RUN/table and printed by sio_table.
sio_row() {
	local name=$1 s=$2 extra=${3:-}
	printf '| %-34s | %7s | %9s | %14s | %14s | %11s | %8s | %12s | %s |\n' \
		"$name" "$(sio_get clients "$s")" "$(sio_get connected "$s")" \
		"$(sio_get srv_session_errors "$s")" "$(sio_get connect_errors "$s")" \
		"$(sio_get disconnects "$s")" "$(sio_get upgrades "$s")" \
		"$(if [ "$(sio_get reconnects "$s")" = 0 ]; then echo -; else sio_get reconnect_ms_max "$s"; fi)" \
		"$extra" >>"$SIO_RUN/table"
}

sio_table() {
	printf '| %-34s | %7s | %9s | %14s | %14s | %11s | %8s | %12s | %s |\n' scenario clients connected \
		"session errors" "connect errors" disconnects upgrades "reconnect ms" "notes"
	printf '|%s|\n' "------------------------------------|---------|-----------|----------------|----------------|-------------|----------|--------------|-------"
	cat "$SIO_RUN/table"
}
