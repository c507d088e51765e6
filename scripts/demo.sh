#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# siobpf's main job on a built-in network: 200 clients, a balancer, three
# nginx backends, each in its own network namespace. Installs what it needs,
# builds, shows stickiness and a failure that moves only the failed
# backend's clients, then removes everything it made. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

export SIO_NS=siodemo SIO_RUN=/tmp/siobpf-demo SIOBPF_PIN_DIR=/sys/fs/bpf/siobpf-demo
export XDP_MODE=${XDP_MODE:-native}
CLIENTS=200
VIP=10.77.100.1:80
BUILD=${BUILD:-build}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
siobpf() { nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" "$@"; }
client() { echo "10.77.$((2 + ($1 - 1) / 250)).$((($1 - 1) % 250 + 1))"; }

# Every client asks the VIP once (a new TCP connection); prints "N bX" lines.
survey() {
	local out=$1
	seq 1 "$CLIENTS" | xargs -P 8 -I{} sh -c \
		'printf "%s %s\n" {} "$(ip netns exec '"$SIO_NS"'-c curl -s --max-time 3 --interface \
		 10.77.$((2 + ({} - 1) / 250)).$((({} - 1) % 250 + 1)) http://10.77.100.1/)"' | sort -n >"$out"
}

cleanup() {
	siobpf unload eth0 >/dev/null 2>&1 || true
	scripts/servers.sh stop >/dev/null 2>&1 || true
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

trap cleanup EXIT
say "A network of namespaces: $CLIENTS client addresses, balancer, 3 nginx backends"
CLIENTS4=$CLIENTS scripts/topology.sh up
scripts/servers.sh start
sleep 1

say "siobpf load eth0 ($XDP_MODE XDP) and one VIP with three backends"
mode=()
[ "$XDP_MODE" = generic ] && mode=(--mode generic)
siobpf load eth0 "${mode[@]}"
siobpf vip add "$VIP"
for i in 1 2 3; do siobpf backend add "$VIP" "10.77.1.$i"; done
siobpf status

say "Each client opens 3 new connections: all of a client's connections reach one backend"
survey /tmp/siobpf-demo-a
survey /tmp/siobpf-demo-b
survey /tmp/siobpf-demo-c
split=$(paste /tmp/siobpf-demo-a /tmp/siobpf-demo-b /tmp/siobpf-demo-c |
	awk '$2 != $4 || $2 != $6' | wc -l)
echo "clients whose connections went to different backends: $split of $CLIENTS"
echo "clients per backend:"
awk '{print $2}' /tmp/siobpf-demo-a | sort | uniq -c | sed 's/^/  /'
echo "where client $(client 1) goes, and why:"
siobpf lookup "$VIP" "$(client 1)"

say "Live counters while traffic flows (siobpf stats --watch 1)"
( for _ in 1 2 3; do survey /dev/null; done ) &
traffic=$!
timeout 3.5 nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" stats --watch 1 || true
wait "$traffic" || true

say "Backend 10.77.1.2 fails: siobpf backend set $VIP 10.77.1.2 --state down"
siobpf backend set "$VIP" 10.77.1.2 --state down
survey /tmp/siobpf-demo-d
moved=$(paste /tmp/siobpf-demo-a /tmp/siobpf-demo-d | awk '$2 != $4' | wc -l)
moved_other=$(paste /tmp/siobpf-demo-a /tmp/siobpf-demo-d | awk '$2 != $4 && $2 != "b2"' | wc -l)
was_b2=$(awk '$2 == "b2"' /tmp/siobpf-demo-a | wc -l)
echo "clients of b2 before: $was_b2; clients that changed backend: $moved; of them not b2's: $moved_other"
echo "clients per backend now:"
awk '{print $2}' /tmp/siobpf-demo-d | sort | uniq -c | sed 's/^/  /'
rm -f /tmp/siobpf-demo-[a-d]

say "Done: only the failed backend's clients moved. Removing the namespaces."
[ "$split" -eq 0 ] && [ "$moved_other" -eq 0 ] && [ "$moved" -eq "$was_b2" ]
