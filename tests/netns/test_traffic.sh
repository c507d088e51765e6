#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Real traffic through siobpf, between real clients (curl, UDP sockets, long
# lived HTTP keep-alive connections) and real backends (scripts/servers.sh:
# nginx and a UDP responder), in native and in generic XDP mode, each on a
# fresh topology. It proves that:
#
#  1. every new connection of a client (a new source port each time) reaches
#     the client's one backend, over TCP and UDP, IPv4 and IPv6, and the
#     clients spread evenly over the backends (binomial bounds below);
#  2. adding a backend breaks no open connection and moves no known client,
#     while new clients reach the new backend;
#  3. a drained backend keeps its open connections and its clients, and gets
#     no new client;
#  4. a backend marked down, or removed, loses its clients to the others and
#     only those: every other open connection and client stays;
#  5. weights 2:1:1 give shares of about 1/2, 1/4, 1/4;
#  6. traffic not for a VIP (TCP to the balancer, ARP, neighbour discovery,
#     ping) behaves as without siobpf, and the pass counters count it;
#  7. `siobpf reload` under load fails no request and moves no client;
#  8. `siobpf lookup` names the backend the real connections reached.
#
# Clients: the topology's first 200 IPv4 and 50 IPv6 addresses are "the
# clients" of the stickiness tests; 200 more IPv4 and 100 more IPv6 addresses
# (CLIENTS4=400, CLIENTS6=150) stay unused until the add-backend test
# (IPv4 201..300, IPv6 51..100) and the drain test (IPv4 301..400, IPv6
# 101..150), which need clients the balancer has never seen.
SIO_NS=siotr
source "$(dirname "$0")/lib.sh"
require curl nginx python3 ping ethtool nsenter timeout xargs awk

export VIP4 VIP6
export CLIENTS4=400 CLIENTS6=150
TOP=$(mktemp -d /tmp/siobpf-traffic.XXXXXX)
HOLD_PID=

# A private copy of the build, so that a rebuild while the test runs cannot
# swap the binary (or the XDP_PASS object) under it.
mkdir -p "$TOP/build/tests"
for _ in $(seq 20); do
	cp "$BUILD/siobpf" "$TOP/build/siobpf" 2>/dev/null &&
		cp "$BUILD/tests/xdp_pass.bpf.o" "$TOP/build/tests/" 2>/dev/null &&
		"$TOP/build/siobpf" version >/dev/null 2>&1 && break
	sleep 1
done
"$TOP/build/siobpf" version >/dev/null 2>&1 || { fail "a working $BUILD/siobpf (run make && make tests)"; rm -rf "$TOP"; finish; exit 1; }
export BUILD=$TOP/build
LB_PIDS=()

cleanup() {
	stop_hold
	teardown_topology
	rm -rf "$TOP"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Client programs, run in the client namespace.
cat >"$TOP/sio.py" <<'PY'
# udp VIP PORT ROUNDS SRC...: ROUNDS datagrams per source, each from a new
#   socket (a new port); prints "SRC name,name,... port,port,..." ("-" for no
#   answer, or an answer that did not come from VIP:PORT).
# hold LOGDIR SECONDS STOPFILE SRC...: one keep-alive HTTP connection per
#   source to the VIP's port 80, a request every 0.5 s, until STOPFILE exists
#   or SECONDS pass; logs "open T PORT", "ok T NAME" per response, and
#   "err T WHAT" (then gives up) or "end T" to LOGDIR/SRC.
# llcheck LOGDIR MAPFILE only|except NAME...: checks the connections whose
#   backend (MAPFILE: "SRC NAME") is (only) or is not (except) one of NAMEs:
#   no error, every answer from that backend, no gap over 3 s, answering
#   now. Prints one line per bad connection and "checked N bad M".
import os, socket, sys, threading, time

VIP4, VIP6 = "10.77.100.1", "fd77::100"
GAP = 3.0


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp(vip, port, rounds, srcs):
    port, rounds = int(port), int(rounds)
    for src in srcs:
        names, ports, held = [], [], []
        for _ in range(rounds):
            s = socket.socket(family(src), socket.SOCK_DGRAM)
            # Kept open until the source's last round: a closed socket's
            # port may be handed out again, and each datagram must come
            # from a port of its own.
            held.append(s)
            try:
                s.bind((src, 0))
                s.settimeout(5)
                ports.append(str(s.getsockname()[1]))
                s.sendto(b"x\n", (vip, port))
                data, peer = s.recvfrom(256)
                ok = peer[0] == vip and peer[1] == port
                names.append(data.decode().strip() if ok and data.strip() else "-")
            except OSError:
                names.append("-")
        for s in held:
            s.close()
        print(src, ",".join(names), ",".join(ports), flush=True)


def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError("connection closed by peer")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    if b" 200 " not in lines[0] + b" ":
        raise ValueError("status " + lines[0].decode(errors="replace"))
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(buf) < length:
        d = s.recv(4096)
        if not d:
            raise EOFError("connection closed by peer in a body")
        buf += d
    return buf[:length].decode().strip(), buf[length:]


def hold_one(logdir, deadline, stop, src):
    vip = VIP6 if ":" in src else VIP4
    with open(os.path.join(logdir, src), "a", buffering=1) as log:
        try:
            s = socket.create_connection((vip, 80), timeout=3, source_address=(src, 0))
            log.write("open %.3f %d\n" % (time.time(), s.getsockname()[1]))
            buf = b""
            while time.time() < deadline and not os.path.exists(stop):
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                name, buf = read_response(s, buf)
                log.write("ok %.3f %s\n" % (time.time(), name))
                time.sleep(0.5)
            s.close()
            log.write("end %.3f\n" % time.time())
        except Exception as e:  # every failure is the finding: log it
            log.write("err %.3f %s: %s\n" % (time.time(), type(e).__name__, e))


def hold(logdir, seconds, stop, srcs):
    deadline = time.time() + float(seconds)
    threads = [threading.Thread(target=hold_one, args=(logdir, deadline, stop, src)) for src in srcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def llcheck(logdir, mapfile, how, names):
    want = dict(line.split()[:2] for line in open(mapfile) if line.strip())
    now = time.time()
    checked = bad = 0
    for src, name in sorted(want.items()):
        if (name in names) != (how == "only"):
            continue
        checked += 1
        problems, times = [], []
        for line in open(os.path.join(logdir, src)):
            f = line.split(None, 2)
            if f[0] == "open":
                times.append(float(f[1]))
            elif f[0] == "ok":
                times.append(float(f[1]))
                if f[2].strip() != name:
                    problems.append("answer from %s" % f[2].strip())
            else:
                problems.append(line.strip())
        gaps = [b - a for a, b in zip(times, times[1:])]
        if len(times) < 2:
            problems.append("no answer")
        elif max(gaps) > GAP:
            problems.append("a gap of %.1f s" % max(gaps))
        if times and now - times[-1] > GAP:
            problems.append("silent for %.1f s" % (now - times[-1]))
        if problems:
            bad += 1
            print("%s (%s): %s" % (src, name, "; ".join(sorted(set(problems))[:3])))
    print("checked %d bad %d" % (checked, bad))


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "udp":
    udp(args[0], args[1], args[2], args[3:])
elif cmd == "hold":
    hold(args[0], args[1], args[2], args[3:])
elif cmd == "llcheck":
    llcheck(args[0], args[1], args[2], args[3:])
PY

# http_one SRC N: N HTTP requests from SRC to the VIP's port 80, each on a
# new connection (Connection: close makes curl open a new one, from a new
# port, for the next URL). Prints "SRC name,name,... port,port,...", "-" for
# a failed request.
http_one() {
	local src=$1 n=$2 url i urls=()
	case "$src" in
	*:*) url="http://[$VIP6]/" ;;
	*) url="http://$VIP4/" ;;
	esac
	for ((i = 0; i < n; i++)); do urls+=("$url"); done
	curl -s --connect-timeout 3 --max-time 5 --interface "$src" -H 'Connection: close' \
		-w '|%{local_port}|%{http_code}\n' "${urls[@]}" |
		awk -v src="$src" -v n="$n" '
			/^\|/ { split($0, f, "|"); k++
				names = names sep (f[3] == "200" && name != "" ? name : "-")
				ports = ports sep f[2]; sep = ","; name = ""; next }
			{ name = $0 }
			END { for (; k < n; k++) { names = names sep "-"; ports = ports sep "0"; sep = "," }
			      print src, names, ports }'
}
export -f http_one

# http_clients N SRC...: http_one for every source, 8 at a time.
http_clients() {
	local n=$1
	shift
	printf '%s\n' "$@" | in_ns c timeout 300 xargs -P 8 -n 1 bash -c 'http_one "$1" '"$n" _ | sort
}

# udp_clients VIP ROUNDS SRC...
udp_clients() {
	in_ns c timeout 300 python3 "$TOP/sio.py" udp "$1" 5353 "$2" "${@:3}" | sort
}

c4() { local i; for ((i = $1; i <= $2; i++)); do client4 "$i"; done; }
c6() { local i; for ((i = $1; i <= $2; i++)); do client6 "$i"; echo; done; }

# Backend N's address in the family of a VIP ("[IPv6]:PORT" or "IPv4:PORT").
baddr() { case "$1" in *\[*) echo "fd77::1:$2" ;; *) echo "10.77.1.$2" ;; esac; }

# Result lines ("SRC names ports") whose answers are not all one backend.
not_sticky() { awk '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "-" || a[i] != a[1]) { print; next } }' "$1"; }
# ... whose connections did not each use a new source port.
port_reused() { awk '{ n = split($3, p, ","); delete s; for (i = 1; i <= n; i++) s[p[i]]; k = 0; for (x in s) k++; if (k != n) print }' "$1"; }
# ... whose answers are not all the backend MAP gives the source.
moved() { awk 'NR == FNR { m[$1] = $2; next } { n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] != m[$1]) { print $1 " expected " m[$1] ", got " $2; next } }' "$2" "$1"; }
# ... whose first answer is one of NAMEs.
landed_on() { local f=$1; shift; awk -v names=" $* " '{ split($2, a, ","); if (index(names, " " a[1] " ")) print }' "$f"; }
# How many clients of a result each backend got: "b1=N b2=N ...".
shares() { awk '{ split($2, a, ","); c[a[1]]++ } END { for (b in c) printf "%s=%d\n", b, c[b] }' "$1" | sort | paste -sd' '; }
count_of() { awk '{ split($2, a, ","); if (a[1] == "'"$2"'") k++ } END { print k + 0 }' "$1"; }
# Records every source's first answer as its backend in $D/map.
map_update() { cat "$D/map" "$@" 2>/dev/null | awk '{ split($2, a, ","); m[$1] = a[1] } END { for (s in m) print s, m[s] }' | sort >"$D/map.new" && mv "$D/map.new" "$D/map"; }
# The map's clients of the given backends (or, with -v, of any other).
clients_of() {
	local inv=0
	[ "$1" = -v ] && { inv=1; shift; }
	awk -v names=" $* " -v inv="$inv" '{ hit = index(names, " " $2 " ") > 0; if (hit != inv) print $1 }' "$D/map"
}

# expect_empty NAME FILE: passes when FILE is empty; else shows its start.
expect_empty() {
	if [ ! -s "$2" ]; then
		pass "$1"
	else
		fail "$1 ($(wc -l <"$2") offending, e.g. $(head -3 "$2" | paste -sd';'))"
	fi
}

# expect_lines NAME FILE N: FILE has a result line for each of N clients.
expect_lines() { expect_eq "$1" "$3" "$(grep -c . "$2")"; }

# in_range NAME N LO HI
in_range() {
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then pass "$1 ($2)"; else fail "$1 (got $2, bounds $3..$4)"; fi
}

# shares_within NAME FILE LO HI NAME... : every named backend's number of
# clients is within LO..HI.
shares_within() {
	local name=$1 f=$2 lo=$3 hi=$4 b k bad=""
	shift 4
	for b in "$@"; do
		k=$(count_of "$f" "$b")
		{ [ "$k" -ge "$lo" ] && [ "$k" -le "$hi" ]; } || bad+=" $b=$k"
	done
	if [ -z "$bad" ]; then pass "$name ($(shares "$f"))"; else fail "$name (outside $lo..$hi:$bad; all: $(shares "$f"))"; fi
}

every_backend_gets() {
	local name=$1 f=$2 b missing=""
	shift 2
	for b in "$@"; do [ "$(count_of "$f" "$b")" -gt 0 ] || missing+=" $b"; done
	if [ -z "$missing" ]; then pass "$name"; else fail "$name (none for$missing)"; fi
}

# The long-lived connections (sio.py hold, in $D/ll, expected backends in
# $D/llmap). ll_check NAME only|except NAME...
ll_check() {
	local name=$1 out
	shift
	out=$(in_ns c python3 "$TOP/sio.py" llcheck "$D/ll" "$D/llmap" "$@")
	local summary=${out##*$'\n'}
	if [[ $summary =~ ^checked\ ([0-9]+)\ bad\ 0$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		pass "$name (${BASH_REMATCH[1]} connections)"
	else
		fail "$name ($summary: $(printf '%s\n' "$out" | head -3 | paste -sd';'))"
	fi
}

stop_hold() {
	[ -n "$HOLD_PID" ] || return 0
	touch "$D/stop"
	local i
	for i in $(seq 50); do kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}

# lookup_check NAME VIP RESULT: siobpf lookup names, for every client of
# RESULT, the backend its connections reached, and calls it a sticky entry.
lookup_check() {
	local name=$1 vip=$2 res=$3
	awk '{ print $1 }' "$res" |
		nsenter --net="/run/netns/$SIO_NS-lb" timeout 300 xargs -P 4 -n 1 \
			sh -c 'echo "$1 $("$BUILD/siobpf" lookup "$0" "$1" --json 2>&1)"' "$vip" >"$D/lookup.out"
	# "SRC JSON" lines; a client is bad when its lookup does not name, as a
	# sticky entry, the backend its connections reached.
	awk 'NR == FNR { split($2, a, ","); want[$1] = a[1]; next }
		{ src = $1; addr = ""; reason = ""
		  if (match($0, /"backend":"[^"]*"/)) addr = substr($0, RSTART + 11, RLENGTH - 12)
		  if (match($0, /"reason":"[^"]*"/)) reason = substr($0, RSTART + 10, RLENGTH - 11)
		  n = split(addr, p, /[.:]/)
		  if (("b" p[n]) != want[src] || reason != "sticky") print src " reached " want[src] ", lookup says: " substr($0, length(src) + 2)
		  seen[src] = 1 }
		END { for (s in want) if (!(s in seen)) print s " reached " want[s] ", no lookup" }' "$res" "$D/lookup.out" >"$D/lookup.bad"
	expect_empty "$name ($(grep -c . "$res") clients)" "$D/lookup.bad"
}

section() { echo "# [$M +$((SECONDS - started)) s] $*"; }

stat_counter() {
	siobpf stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"]["'"$1"'"])'
}

# ping_outcome ADDR: how a ping from the client ends ("N received[, +N errors]").
ping_outcome() {
	in_ns c ping -n -q -c 2 -i 0.2 -W 1 "$1" 2>&1 |
		sed -n 's/.* \([0-9]*\) received\(, +[0-9]* errors\)\{0,1\}.*/\1 received\2/p'
}

xdp_prog() { ip -n "$SIO_NS-lb" -d link show eth0 | grep -o 'prog/xdp[a-z]* id [0-9]*' | head -1; }
xdp_attach_mode() { ip -n "$SIO_NS-lb" link show eth0 | grep -o ' xdp[a-z]* ' | tr -d ' '; }

vips_tcp=("$VIP4:80" "[$VIP6]:80")

# backend_cmd VERB N ARGS...: `siobpf backend VERB` for backend N on both TCP VIPs.
backend_cmd() {
	local verb=$1 n=$2 v
	shift 2
	for v in "${vips_tcp[@]}"; do
		siobpf backend "$verb" "$v" "$(baddr "$v" "$n")" "$@" >/dev/null || return 1
	done
}

# ---------------------------------------------------------------------------
run_mode() {
	local mode=$1 M=$1 started=$SECONDS
	local t lo hi
	export XDP_MODE=$mode
	D=$TOP/$mode
	mkdir -p "$D/ll" "$D/www"
	echo "# === $mode XDP: fresh topology"
	setup_topology || return 1
	trap cleanup EXIT # setup_topology sets its own

	# A server on the balancer's own addresses (traffic not for a VIP).
	echo lb >"$D/www/lb.txt"
	for a in 10.77.0.1 fd77::1; do
		in_ns lb python3 -m http.server 8080 --bind "$a" --directory "$D/www" >/dev/null 2>&1 &
		LB_PIDS+=($!)
	done

	# Without siobpf: what non-VIP traffic does, for comparison.
	local base_ping4 base_ping6 base_lb4 base_lb6
	base_ping4=$(ping_outcome "$VIP4")
	base_ping6=$(ping_outcome "$VIP6")
	base_lb4=$(ping_outcome 10.77.0.1)
	base_lb6=$(ping_outcome fd77::1)
	for t in $(seq 30); do
		in_ns c curl -s --max-time 1 http://10.77.0.1:8080/lb.txt >/dev/null && break
		sleep 0.1
	done

	if [ "$mode" = generic ]; then
		check "$M: siobpf load eth0 --mode generic" siobpf load eth0 --mode generic
	else
		check "$M: siobpf load eth0" siobpf load eth0
	fi
	expect_eq "$M: attached in $mode mode" "$([ "$mode" = generic ] && echo xdpgeneric || echo xdp)" "$(xdp_attach_mode)"
	local ok=true v n
	for v in "$VIP4:80" "[$VIP6]:80" "$VIP4:5353/udp" "[$VIP6]:5353/udp"; do
		siobpf vip add "$v" >/dev/null || ok=false
		for n in 1 2 3; do
			case "$v" in
			\[*) siobpf backend add "$v" "fd77::1:$n" >/dev/null || ok=false ;;
			*) siobpf backend add "$v" "10.77.1.$n" >/dev/null || ok=false ;;
			esac
		done
	done
	check "$M: 4 VIPs (TCP/UDP, IPv4/IPv6) with backends b1..b3 configured" $ok
	configured=$EPOCHREALTIME

	# --- 1. Stickiness over IPv4 TCP --------------------------------------
	section "1. Stickiness over IPv4 TCP"
	# Each backend's number of clients among n independent clients is
	# Binomial(n, p). For n=200, p=1/3: mean 66.7, sd 6.7; mean +- 4 sd is
	# 40..94 (20%..47%), exceeded by chance with probability < 1e-4 per
	# backend. For n=50 (IPv6): mean 16.7, sd 3.3; 4 sd: 4..30.
	http_clients 5 $(c4 1 200) >"$D/t1"
	expect_lines "$M: IPv4 TCP: all 200 clients made 5 connections each" "$D/t1" 200
	not_sticky "$D/t1" >"$D/bad"
	expect_empty "$M: IPv4 TCP: all 5 connections of each of 200 clients reach one backend" "$D/bad"
	port_reused "$D/t1" >"$D/bad"
	expect_empty "$M: IPv4 TCP: each of a client's 5 connections came from a new source port" "$D/bad"
	every_backend_gets "$M: IPv4 TCP: every backend gets clients" "$D/t1" b1 b2 b3
	shares_within "$M: IPv4 TCP: each backend has 40..94 of 200 clients (20%..47%, 4 sd of Binomial(200,1/3))" "$D/t1" 40 94 b1 b2 b3
	echo "# $M shares IPv4 TCP, 200 clients: $(shares "$D/t1")"
	: >"$D/map"
	map_update "$D/t1"

	# --- 2. IPv6 TCP, UDP ---------------------------------------------------
	section "2. IPv6 TCP, UDP"
	http_clients 3 $(c6 1 50) >"$D/t2"
	expect_lines "$M: IPv6 TCP: all 50 clients made 3 connections each" "$D/t2" 50
	not_sticky "$D/t2" >"$D/bad"
	expect_empty "$M: IPv6 TCP: all 3 connections of each of 50 clients reach one backend" "$D/bad"
	port_reused "$D/t2" >"$D/bad"
	expect_empty "$M: IPv6 TCP: each of a client's connections came from a new source port" "$D/bad"
	every_backend_gets "$M: IPv6 TCP: every backend gets clients" "$D/t2" b1 b2 b3
	shares_within "$M: IPv6 TCP: each backend has 4..30 of 50 clients (4 sd of Binomial(50,1/3))" "$D/t2" 4 30 b1 b2 b3
	echo "# $M shares IPv6 TCP, 50 clients: $(shares "$D/t2")"
	map_update "$D/t2"

	# A UDP datagram is never a connection start, so for 5 s after a ring
	# change (SIOBPF_PREV_RING_MS) one with no entry follows the previous
	# ring (siobpf/decide.h): here, the ring before b3 was added. The shares
	# below are the current ring's, so the window is let pass first.
	sleep "$(awk -v t0="$configured" -v t="$EPOCHREALTIME" 'BEGIN { w = t0 + 5.5 - t; print (w > 0 ? w : 0) }')"
	udp_clients "$VIP4" 3 $(c4 1 200) >"$D/u4"
	expect_lines "$M: IPv4 UDP: all 200 clients sent 3 datagrams each" "$D/u4" 200
	not_sticky "$D/u4" >"$D/bad"
	expect_empty "$M: IPv4 UDP: all 3 datagrams (new sockets) of each of 200 clients answered by one backend, from the VIP" "$D/bad"
	port_reused "$D/u4" >"$D/bad"
	expect_empty "$M: IPv4 UDP: each datagram came from a new source port" "$D/bad"
	every_backend_gets "$M: IPv4 UDP: every backend gets clients" "$D/u4" b1 b2 b3
	shares_within "$M: IPv4 UDP: each backend has 40..94 of 200 clients" "$D/u4" 40 94 b1 b2 b3
	echo "# $M shares IPv4 UDP, 200 clients: $(shares "$D/u4")"
	udp_clients "$VIP6" 3 $(c6 1 50) >"$D/u6"
	expect_lines "$M: IPv6 UDP: all 50 clients sent 3 datagrams each" "$D/u6" 50
	not_sticky "$D/u6" >"$D/bad"
	expect_empty "$M: IPv6 UDP: all 3 datagrams of each of 50 clients answered by one backend, from the VIP" "$D/bad"
	every_backend_gets "$M: IPv6 UDP: every backend gets clients" "$D/u6" b1 b2 b3
	shares_within "$M: IPv6 UDP: each backend has 4..30 of 50 clients" "$D/u6" 4 30 b1 b2 b3
	echo "# $M shares IPv6 UDP, 50 clients: $(shares "$D/u6")"

	# --- 9a. lookup agrees with the connections ------------------------------
	section "9a. lookup agrees with the connections"
	lookup_check "$M: lookup names the backend every IPv4 TCP client reached (sticky)" "$VIP4:80" "$D/t1"
	lookup_check "$M: lookup names the backend every IPv6 TCP client reached (sticky)" "[$VIP6]:80" "$D/t2"

	# --- 7. Traffic not for a VIP -------------------------------------------
	section "7. Traffic not for a VIP"
	# The balancer does not hold the VIP and does not forward, so without
	# siobpf a ping of the VIP is not answered; "as without siobpf" means the
	# same outcome with it (siobpf passes ICMP to the stack; were it to send
	# ICMP to a backend, which holds the VIP, the ping would be answered).
	local not_vip icmp not_ip lbmac
	not_vip=$(stat_counter pass_not_vip)
	icmp=$(stat_counter pass_icmp)
	not_ip=$(stat_counter pass_not_ip)
	ip -n "$SIO_NS-c" neigh del 10.77.0.1 dev eth0 2>/dev/null
	ip -n "$SIO_NS-c" neigh del fd77::1 dev eth0 2>/dev/null
	expect_eq "$M: TCP to the balancer's own 10.77.0.1:8080 works" lb \
		"$(in_ns c curl -s --max-time 3 --interface "$(client4 1)" http://10.77.0.1:8080/lb.txt)"
	expect_eq "$M: TCP to the balancer's own [fd77::1]:8080 works" lb \
		"$(in_ns c curl -s --max-time 3 --interface "$(client6 1)" 'http://[fd77::1]:8080/lb.txt')"
	lbmac=$(ip -n "$SIO_NS-lb" -br link show eth0 | awk '{print $3}')
	check "$M: ARP: the client resolved 10.77.0.1 to the balancer's MAC" \
		grep -Eq "lladdr $lbmac (REACHABLE|STALE|DELAY|PROBE)" <(ip -n "$SIO_NS-c" neigh show 10.77.0.1 dev eth0)
	check "$M: neighbour discovery: the client resolved fd77::1 to the balancer's MAC" \
		grep -Eq "lladdr $lbmac (REACHABLE|STALE|DELAY|PROBE)" <(ip -n "$SIO_NS-c" neigh show fd77::1 dev eth0)
	expect_eq "$M: ping of the balancer 10.77.0.1: same outcome as without siobpf" "$base_lb4" "$(ping_outcome 10.77.0.1)"
	expect_eq "$M: ping of the balancer fd77::1: same outcome as without siobpf" "$base_lb6" "$(ping_outcome fd77::1)"
	expect_eq "$M: the balancer answers ping" "2 received" "$base_lb4"
	expect_eq "$M: ping of VIP $VIP4: same outcome as without siobpf ($base_ping4)" "$base_ping4" "$(ping_outcome "$VIP4")"
	expect_eq "$M: ping of VIP $VIP6: same outcome as without siobpf ($base_ping6)" "$base_ping6" "$(ping_outcome "$VIP6")"
	check "$M: counter pass_not_vip grew (TCP to the balancer)" [ "$(stat_counter pass_not_vip)" -gt "$not_vip" ]
	check "$M: counter pass_icmp grew (ping, neighbour discovery)" [ "$(stat_counter pass_icmp)" -gt "$icmp" ]
	check "$M: counter pass_not_ip grew (ARP)" [ "$(stat_counter pass_not_ip)" -gt "$not_ip" ]

	# --- 3. Adding a backend under long-lived connections ---------------------
	section "3. Adding a backend under long-lived connections"
	# 8 IPv4 and 3 IPv6 clients of each backend hold one keep-alive
	# connection each, a request every 0.5 s, until the end of test 8.
	: >"$D/llmap"
	for n in 1 2 3; do
		grep -E "^10\.77\.[0-9.]+ b$n\$" "$D/map" | head -8 >>"$D/llmap"
		grep -E "^fd77:[0-9a-f:]+ b$n\$" "$D/map" | head -3 >>"$D/llmap"
	done
	rm -f "$D/stop"
	in_ns c python3 "$TOP/sio.py" hold "$D/ll" 240 "$D/stop" $(awk '{print $1}' "$D/llmap") &
	HOLD_PID=$!
	for t in $(seq 50); do
		[ "$(cat "$D"/ll/* 2>/dev/null | grep -c '^ok ')" -ge $((2 * $(grep -c . "$D/llmap"))) ] && break
		sleep 0.2
	done
	ll_check "$M: long-lived connections open, each answered by its client's backend" except none

	"$ROOT/scripts/topology.sh" add-backend 4 >/dev/null && "$ROOT/scripts/servers.sh" start 4 &&
		wait_servers
	check "$M: backend b4 added to the topology and serving" \
		[ "$(in_ns c curl -s --max-time 2 http://10.77.1.4/)" = b4 ]
	check "$M: siobpf backend add b4 to both TCP VIPs" backend_cmd add 4
	sleep 1
	http_clients 1 $(awk '{print $1}' "$D/map") >"$D/t3"
	moved "$D/t3" "$D/map" >"$D/bad"
	expect_empty "$M: after adding b4, all 250 known clients' new connections keep their backend" "$D/bad"
	http_clients 2 $(c4 201 300) >"$D/t3n4"
	http_clients 2 $(c6 51 100) >"$D/t3n6"
	cat "$D/t3n4" "$D/t3n6" | not_sticky /dev/stdin >"$D/bad"
	expect_empty "$M: after adding b4, 150 new clients are served, each by one backend" "$D/bad"
	# Maglev moves about 1/4 of the slots to b4: of 100 new IPv4 clients
	# Binomial(100,1/4) (mean 25, sd 4.3) land there; 4 sd: 8..42. Of 50
	# IPv6 clients: mean 12.5, sd 3.1; at least 1 (P(0) < 1e-6).
	in_range "$M: new IPv4 clients reaching b4 (of 100; 4 sd: 8..42)" "$(count_of "$D/t3n4" b4)" 8 42
	in_range "$M: new IPv6 clients reaching b4 (of 50)" "$(count_of "$D/t3n6" b4)" 1 50
	echo "# $M new clients after adding b4: IPv4 $(shares "$D/t3n4"); IPv6 $(shares "$D/t3n6")"
	ll_check "$M: adding b4 broke no long-lived connection (no error, same backend, answers every 0.5 s)" except none
	map_update "$D/t3n4" "$D/t3n6"

	# --- 4. Draining b2 -------------------------------------------------------
	section "4. Draining b2"
	check "$M: siobpf backend set b2 --state drain on both TCP VIPs" backend_cmd set 2 --state drain
	sleep 1
	http_clients 2 $(clients_of b2) >"$D/t4"
	moved "$D/t4" "$D/map" >"$D/bad"
	expect_empty "$M: drained b2's $(grep -c . "$D/t4") clients' new connections still reach b2" "$D/bad"
	http_clients 1 $(clients_of -v b2) >"$D/t4o"
	moved "$D/t4o" "$D/map" >"$D/bad"
	expect_empty "$M: during the drain, the other clients keep their backends" "$D/bad"
	http_clients 2 $(c4 301 400) $(c6 101 150) >"$D/t4n"
	expect_lines "$M: during the drain, 150 new clients made 2 connections each" "$D/t4n" 150
	not_sticky "$D/t4n" >"$D/bad"
	expect_empty "$M: during the drain, every new client is served, by one backend" "$D/bad"
	landed_on "$D/t4n" b2 >"$D/bad"
	expect_empty "$M: no new client lands on drained b2 ($(shares "$D/t4n"))" "$D/bad"
	ll_check "$M: drained b2's long-lived connections continue" only b2
	ll_check "$M: during the drain, every long-lived connection continues" except none
	map_update "$D/t4n"
	check "$M: b2 back up" backend_cmd set 2 --state up

	# --- 5. b3 down, then b1 removed -------------------------------------------
	section "5. b3 down, then b1 removed"
	check "$M: siobpf backend set b3 --state down on both TCP VIPs" backend_cmd set 3 --state down
	sleep 1
	http_clients 2 $(clients_of b3) >"$D/t5"
	not_sticky "$D/t5" >"$D/bad"
	expect_empty "$M: b3 down: its $(grep -c . "$D/t5") clients are served, each by one backend" "$D/bad"
	landed_on "$D/t5" b3 >"$D/bad"
	expect_empty "$M: b3 down: its clients moved to the others ($(shares "$D/t5"))" "$D/bad"
	http_clients 1 $(clients_of -v b3) >"$D/t5o"
	moved "$D/t5o" "$D/map" >"$D/bad"
	expect_empty "$M: b3 down: every other client's new connections keep their backend" "$D/bad"
	ll_check "$M: b3 down: every other client's long-lived connection continues" except b3
	map_update "$D/t5"

	check "$M: siobpf backend del b1 from both TCP VIPs" backend_cmd del 1
	sleep 1
	http_clients 2 $(clients_of b1) >"$D/t5d"
	not_sticky "$D/t5d" >"$D/bad"
	expect_empty "$M: b1 removed: its $(grep -c . "$D/t5d") clients are served, each by one backend" "$D/bad"
	landed_on "$D/t5d" b1 b3 >"$D/bad"
	expect_empty "$M: b1 removed: its clients moved to b2/b4 ($(shares "$D/t5d"))" "$D/bad"
	http_clients 1 $(clients_of -v b1) >"$D/t5do"
	moved "$D/t5do" "$D/map" >"$D/bad"
	expect_empty "$M: b1 removed: every other client's new connections keep their backend" "$D/bad"
	ll_check "$M: b1 removed: every other client's long-lived connection continues" except b1 b3
	map_update "$D/t5d"

	# --- 8. Reload under load ---------------------------------------------------
	section "8. Reload under load"
	# 40 IPv4 and 10 IPv6 clients each make requests, one new connection
	# each, back to back from 1.5 s before the program is replaced until
	# 2 s after the reload returned (however long it took: 50 clients
	# keep both CPUs busy). Result lines: "SRC name,name,... time,time,..."
	# (when each ended).
	local prog_before prog_after srcs r0 r1
	srcs=$( (c4 1 40; c6 1 10) )
	prog_before=$(xdp_prog)
	rm -f "$D/t8.stop"
	printf '%s\n' $srcs | in_ns c timeout 60 xargs -P 50 -I{} bash -c '
		names=""; times=""; sep=""
		while [ ! -e "$2" ]; do
			r=$(http_one "$1" 1); r=${r#* }
			names+="$sep${r%% *}"; times+="$sep$EPOCHREALTIME"; sep=,
		done
		echo "$1 $names $times"' _ {} "$D/t8.stop" | sort >"$D/t8" &
	local loop=$!
	sleep 1.5
	r0=$EPOCHREALTIME
	check "$M: siobpf reload eth0 during traffic" siobpf reload eth0
	r1=$EPOCHREALTIME
	echo "# $M: the reload took $(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms"
	sleep 2
	: >"$D/t8.stop"
	wait "$loop"
	prog_after=$(xdp_prog)
	check "$M: reload replaced the program ($prog_before -> $prog_after)" \
		[ -n "$prog_after" -a "$prog_before" != "$prog_after" ]
	expect_eq "$M: still attached in $mode mode after reload" "$([ "$mode" = generic ] && echo xdpgeneric || echo xdp)" "$(xdp_attach_mode)"
	local total failed
	total=$(awk '{ n += split($2, a, ",") } END { print n + 0 }' "$D/t8")
	failed=$(awk '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "-") k++ } END { print k + 0 }' "$D/t8")
	local before after
	before=$(awk -v t="$r0" '{ n = split($3, a, ","); for (i = 1; i <= n; i++) if (a[i] < t) k++ } END { print k + 0 }' "$D/t8")
	after=$(awk -v t="$r1" '{ n = split($3, a, ","); for (i = 1; i <= n; i++) if (a[i] > t) k++ } END { print k + 0 }' "$D/t8")
	expect_lines "$M: reload: all 50 clients made requests" "$D/t8" 50
	check "$M: reload: requests ended before ($before) and after ($after) the reload, $total in all" \
		[ "$before" -gt 0 -a "$after" -gt 0 ]
	expect_eq "$M: reload: no failed request of $total" 0 "$failed"
	moved "$D/t8" "$D/map" >"$D/bad"
	expect_empty "$M: reload: every client kept its backend" "$D/bad"
	ll_check "$M: reload broke no long-lived connection" except b1 b3
	stop_hold

	# --- 6. Weights 2:1:1 on fresh VIPs -----------------------------------------
	section "6. Weights 2:1:1 on fresh VIPs"
	# b1 gets half of the ring, b2 and b3 a quarter each. n=200:
	# Binomial(200,1/2): mean 100, sd 7.1, 4 sd: 72..128 (36%..64%);
	# Binomial(200,1/4): mean 50, sd 6.1, 4 sd: 26..74 (13%..37%).
	# IPv6, n=100: 30..70 and 8..42.
	ok=true
	for v in "${vips_tcp[@]}"; do
		siobpf vip del "$v" >/dev/null && siobpf vip add "$v" >/dev/null || ok=false
		for n in 1 2 3; do
			siobpf backend add "$v" "$(baddr "$v" "$n")" --weight $([ $n = 1 ] && echo 2 || echo 1) >/dev/null || ok=false
		done
	done
	check "$M: TCP VIPs recreated with b1 weight 2, b2 and b3 weight 1" $ok
	http_clients 2 $(c4 1 200) >"$D/t6"
	not_sticky "$D/t6" >"$D/bad"
	expect_empty "$M: weights: every one of 200 IPv4 clients is served by one backend" "$D/bad"
	in_range "$M: weights: b1 (weight 2) has 72..128 of 200 IPv4 clients" "$(count_of "$D/t6" b1)" 72 128
	shares_within "$M: weights: b2, b3 (weight 1) each have 26..74 of 200 IPv4 clients" "$D/t6" 26 74 b2 b3
	echo "# $M shares with weights 2:1:1, 200 IPv4 clients: $(shares "$D/t6")"
	http_clients 2 $(c6 1 100) >"$D/t6v6"
	not_sticky "$D/t6v6" >"$D/bad"
	expect_empty "$M: weights: every one of 100 IPv6 clients is served by one backend" "$D/bad"
	in_range "$M: weights: b1 (weight 2) has 30..70 of 100 IPv6 clients" "$(count_of "$D/t6v6" b1)" 30 70
	shares_within "$M: weights: b2, b3 (weight 1) each have 8..42 of 100 IPv6 clients" "$D/t6v6" 8 42 b2 b3
	echo "# $M shares with weights 2:1:1, 100 IPv6 clients: $(shares "$D/t6v6")"

	# --- 9b. lookup after all the changes -----------------------------------------
	section "9b. lookup after all the changes"
	lookup_check "$M: lookup names the backend every IPv4 client reached under weights" "$VIP4:80" "$D/t6"
	lookup_check "$M: lookup names the backend every IPv6 client reached under weights" "[$VIP6]:80" "$D/t6v6"

	echo "# $M took $((SECONDS - started)) s"
	for t in "${LB_PIDS[@]}"; do kill "$t" 2>/dev/null; done
	LB_PIDS=()
	teardown_topology
}

run_mode native
run_mode generic
finish
