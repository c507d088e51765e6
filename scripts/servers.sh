#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Real servers on the topology's backends, each answering with its own name:
# nginx on TCP port 80 (HTTP, IPv4 and IPv6) and a UDP responder on 5353.
#
#   servers.sh start [N...]   start on backends N (default: all)
#   servers.sh stop [N...]
#
# State (configs, logs, pids) lives in $SIO_RUN (default /tmp/siobpf-run).
set -euo pipefail
cd "$(dirname "$0")/.."

P=${SIO_NS:-sio}
RUN=${SIO_RUN:-/tmp/siobpf-run}
VIP4=10.77.100.1
VIP6=fd77::100

backends() {
	if [ $# -gt 0 ]; then
		echo "$@"
	else
		ip netns list | awk '{print $1}' | sed -n "s/^$P-b\([0-9]*\)$/\1/p" | sort -n
	fi
}

start_one() {
	local i=$1 dir="$RUN/b$1"
	mkdir -p "$dir/tmp"
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $dir/tmp;
	proxy_temp_path $dir/tmp;
	fastcgi_temp_path $dir/tmp;
	uwsgi_temp_path $dir/tmp;
	scgi_temp_path $dir/tmp;
	keepalive_requests 100000;
	server {
		listen 80 reuseport;
		listen [::]:80 reuseport;
		location / { default_type text/plain; return 200 "b$i\n"; }
	}
}
CONF
	ip netns exec "$P-b$i" nginx -c "$dir/nginx.conf" -p "$dir"
	# UDP: one datagram in, the backend's name back, from one process bound
	# to the VIP, so the answer leaves from the VIP as a DSR client expects.
	# (socat UDP-RECVFROM,fork loses about one datagram in a thousand to a
	# race between its processes on the shared socket.)
	local vip
	: >"$dir/udp.pid"
	for vip in "$VIP4" "$VIP6"; do
		ip netns exec "$P-b$i" python3 -c '
import socket, sys
addr, name = sys.argv[1], sys.argv[2].encode() + b"\n"
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 5353))
while True:
    _, peer = s.recvfrom(65535)
    s.sendto(name, peer)
' "$vip" "b$i" </dev/null >/dev/null 2>>"$dir/udp.log" &
		echo $! >>"$dir/udp.pid"
	done
}

stop_one() {
	local dir="$RUN/b$1"
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	[ -f "$dir/udp.pid" ] && xargs -r kill <"$dir/udp.pid" 2>/dev/null || true
	rm -f "$dir/nginx.pid" "$dir/udp.pid"
}

cmd=${1:-}
shift || true
case "$cmd" in
start) for i in $(backends "$@"); do start_one "$i"; done ;;
stop) for i in $(backends "$@"); do stop_one "$i"; done ;;
*) echo "usage: $0 start|stop [N...]" >&2; exit 2 ;;
esac
