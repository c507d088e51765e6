#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The declarative configuration (`siobpf apply -f FILE`, `siobpf save`)
# against a real topology with nginx backends. It proves that save prints
# what apply was given and that save -> apply -> save is a fixed point; that
# applying an unchanged file makes no map write at all (no bpf() update,
# delete or map creation; ring ids, sticky entries and counters as they
# were); that a weight change, an added and a removed backend, a VIP change
# and a removed VIP do exactly that and keep the sticky entries of every
# untouched client (real HTTP clients, `lookup` says "sticky"); that a state
# the file leaves out stays as it runs; and that bad files of every kind are
# refused with their line and column while `status --json` stays
# byte-identical. A probe path the URL rule refuses, written into the maps
# by an older siobpf, is named by `status` with its fix, makes `save` refuse
# to write, and is never sent by `siobpf run`: the probe fails, saying why.
SIO_NS=siocfg
source "$(dirname "$0")/lib.sh"

require python3 curl bpftool nsenter strace ip cc

T=$(mktemp -d /tmp/siocfg.XXXXXX)
V4=$VIP4:80/tcp
V6="[$VIP6]:80/tcp"
U4=$VIP4:5353/udp

DAEMON_PID=
cleanup() {
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	rm -rf "$T"
	teardown_topology
}

# ---------------------------------------------------------------- helpers

# run ARGS...: siobpf ARGS with stdout in $T/out, stderr in $T/err, status in RC.
run() {
	siobpf "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# py EXPR: a Python expression over the JSON document on stdin (d); vip(NAME)
# and be(NAME, ADDR) find a VIP and a backend of `status --json`.
py() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
def vip(name):
    return next((v for v in d["vips"] if v["vip"] == name), None)
def be(name, addr):
    return next((b for b in vip(name)["backends"] if b["address"] == addr), None)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
stat() { siobpf status --json | py "$1"; }

# A pinned map's whole content, one line per entry.
map_dump() { bpftool -j map dump pinned "$SIOBPF_PIN_DIR/$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(json.dumps(e, sort_keys=True))' | sort; }

# The sticky table's slots in use, each with its bucket, kind, backend,
# generation and deadline (tests/netns/slots.c: siobpf writes the mapped
# table with plain stores, which strace does not see).
setup cc -O2 -I"$ROOT/include" -o "$T/slots" "$ROOT/tests/netns/slots.c" -lbpf
sticky_slots() { "$T/slots" "$SIOBPF_PIN_DIR/sio_sticky" | awk 'NR > 1 { print $1, $2, $3, $4, $5, $6 }'; }

# Everything apply could write, and the counters it must not reset.
snapshot() {
	local m
	{
		# sio_vip_admit: each VIP's table epoch (a new one forgets its
		# entries) and last ring change.
		for m in sio_vips sio_backends sio_rings sio_vip_cfg sio_vip_admit sio_be_cfg; do
			[ -e "$SIOBPF_PIN_DIR/$m" ] || continue
			echo "== $m"
			map_dump "$m"
		done
		echo "== sio_sticky"
		sticky_slots
		# Per VIP and backend; not the global reasons, which ARP and ND
		# between the namespaces move at any time, nor ring_changed_unix,
		# converted from the clock afresh at each read (its raw value is
		# sio_vip_admit's above).
		echo "== stats"
		siobpf stats --json | py '[{k: v for k, v in x.items() if k != "ring_changed_unix"} for x in d["vips"]]'
		echo "== status"
		siobpf status --json
	} >"$1"
}

# The inner ring map id of each VIP id: "VIPID INNERID" lines.
rings() {
	bpftool -j map dump pinned "$SIOBPF_PIN_DIR/sio_rings" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    k = e["key"]
    k = int.from_bytes(bytes(int(b, 16) for b in k), "little") if isinstance(k, list) else int(k)
    v = e["value"]
    v = int.from_bytes(bytes(int(b, 16) for b in v), "little") if isinstance(v, list) else int(v)
    print(k, v)' | sort -n
}
ring_of() { rings | awk -v id="$1" '$1 == id {print $2}'; }
vip_id() { stat "vip(\"$1\")[\"id\"]"; }

# bpf() commands that change maps, made by one siobpf invocation.
map_writes() {
	nsenter --net="/run/netns/$SIO_NS-lb" strace -f -qq -e trace=bpf -o "$T/strace" \
		"$BUILD/siobpf" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	grep -cE 'BPF_MAP_(UPDATE_ELEM|DELETE_ELEM|UPDATE_BATCH|DELETE_BATCH|CREATE)' "$T/strace"
}

# The backend a client's lookup names, and why ("ADDR REASON").
lookup() {
	siobpf lookup "$1" "$2" --json | py 'str(d["backend"]) + " " + d["reason"]'
}

# Clients 1..N of a family: HTTP from each, and the backend it reached
# ("CLIENT bN" lines) into a file.
traffic() {
	local family=$1 n=$2 file=$3 i c
	: >"$file"
	for i in $(seq 1 "$n"); do
		c=$(client"$family" "$i")
		echo "$c $(http_from "$c")" >>"$file"
	done
}

# Every client of a traffic file still reaches its backend over HTTP and
# `lookup` says it is sticky there; KEEP names backends (bN) whose clients
# are checked, the others' are skipped.
sticky_kept() {
	local vip=$1 file=$2 keep=$3 c b got ok=0 bad=0
	while read -r c b; do
		case " $keep " in *" $b "*) ;; *) continue ;; esac
		got=$(lookup "$vip" "$c")
		if [ "$got" = "$(backend_addr "$vip" "$b") sticky" ] && [ "$(http_from "$c")" = "$b" ]; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			echo "# $c: was on $b, now: lookup '$got'" >&2
		fi
	done <"$file"
	[ "$bad" -eq 0 ] && [ "$ok" -gt 0 ]
}
backend_addr() {
	case "$1" in
	\[*) echo "fd77::1:${2#b}" ;;
	*) echo "10.77.1.${2#b}" ;;
	esac
}

# rejects NAME FILE WANT: apply of FILE exits 1 with WANT in its message and
# changes nothing (status --json, rings, sticky entries byte for byte).
rejects() {
	local name=$1 file=$2 want=$3
	snapshot "$T/before"
	run apply -f "$file"
	snapshot "$T/after"
	if [ "$RC" -eq 1 ] && grep -qF -- "$want" "$T/err" && cmp -s "$T/before" "$T/after"; then
		pass "$name"
	else
		fail "$name (exit $RC, stderr: $(head -c 400 "$T/err"); state $(cmp -s "$T/before" "$T/after" && echo same || echo changed))"
	fi
}

# bad NAME LINES...: a file $T/NAME.yaml of the lines given.
bad() { printf '%s\n' "${@:2}" >"$T/$1.yaml"; }

# ---------------------------------------------------------------- setup

setup_topology || { finish; exit 1; }
trap cleanup EXIT
if ! siobpf load eth0 >/dev/null; then
	fail "siobpf load eth0"
	finish
	exit 1
fi

cat >"$T/c1.yaml" <<EOF
# The starting configuration: one VIP of each kind.
vips:
  - vip: $V4
    sticky: ip
    prefix: 32
    persist: 600
    forward: dsr
    seed: 0
    probe: {type: tcp, interval: 2000, timeout: 1000, rise: 2, fall: 3}
    backends:
      - {address: 10.77.1.1, weight: 1, state: up}
      - {address: 10.77.1.2, weight: 1, state: up}
  - vip: "$V6"
    prefix: 128
    backends:
      - {address: "fd77::1:1"}
      - {address: "fd77::1:2"}
  - vip: $U4
    sticky: ip-port
    backends:
      - {address: 10.77.1.3}
EOF

# ---------------------------------------------------------------- apply and save

run apply -f "$T/c1.yaml"
expect_eq "apply of a new file exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/err"
check "apply says what it added" grep -qF "applied $T/c1.yaml: VIPs 3 added, 0 changed, 0 removed; backends 5 added" "$T/out"
expect_eq "the VIPs are the file's" '["10.77.100.1:80/tcp", "[fd77::100]:80/tcp", "10.77.100.1:5353/udp"]' \
	"$(stat '[v["vip"] for v in d["vips"]]')"
expect_eq "the IPv4 VIP's backends and weights are the file's" '[["10.77.1.1", 1, "up"], ["10.77.1.2", 1, "up"]]' \
	"$(stat "[[b['address'], b['weight'], b['state']] for b in vip('$V4')['backends']]")"
expect_eq "settings the file leaves out are the CLI's defaults (persist 600, tcp probe every 2000 ms)" \
	'["ip-port", 32, 600, "tcp", 2000, 1000]' \
	"$(stat "[vip('$U4')[k] for k in ('sticky', 'prefix', 'persist')] + [vip('$U4')['probe'][k] for k in ('type', 'interval', 'timeout')]")"
expect_eq "a new backend's MAC is resolved like backend add's" \
	"$(ip -n "$SIO_NS-b2" -j link show eth0 | py 'd[0]["address"]')" "$(stat "be('$V6', 'fd77::1:2')['mac']")"

siobpf save >"$T/s1.yaml"
check "save prints every VIP and backend of the file" \
	grep -qF "      - {address: \"fd77::1:2\", weight: 1, state: up}" "$T/s1.yaml"
run apply -f "$T/s1.yaml"
check "apply of the saved file changes nothing" grep -qF "matches the running state: nothing changed" "$T/out"
siobpf save >"$T/s2.yaml"
check "save -> apply -> save gives identical text" cmp -s "$T/s1.yaml" "$T/s2.yaml"
siobpf save | siobpf apply -f - >"$T/out" 2>&1
check "apply -f - reads the file from standard input" grep -qF "<stdin> matches the running state" "$T/out"

# ---------------------------------------------------------------- traffic, then an unchanged file

traffic 4 30 "$T/t4"
traffic 6 10 "$T/t6"
check "IPv4 clients reach both backends" bash -c "grep -q ' b1$' '$T/t4' && grep -q ' b2$' '$T/t4'"
check "IPv4 clients are sticky after their first request" sticky_kept "$V4" "$T/t4" "b1 b2"
check "IPv6 clients are sticky after their first request" sticky_kept "$V6" "$T/t6" "b1 b2"

snapshot "$T/before"
writes=$(map_writes apply -f "$T/c1.yaml")
snapshot "$T/after"
expect_eq "apply of an unchanged file exits 0" 0 "$RC"
check "apply of an unchanged file says nothing changed" grep -qF "matches the running state: nothing changed" "$T/out"
expect_eq "apply of an unchanged file makes no bpf() map update, delete or creation" 0 "$writes"
check "apply of an unchanged file leaves every map, ring id, sticky entry and counter as it was" \
	cmp -s "$T/before" "$T/after"
writes=$(map_writes save)
expect_eq "save makes no map write" 0 "$writes"

# ---------------------------------------------------------------- weight change

sed 's/{address: 10.77.1.2, weight: 1, state: up}/{address: 10.77.1.2, weight: 3, state: up}/' "$T/c1.yaml" >"$T/c2.yaml"
id4=$(vip_id "$V4")
id6=$(vip_id "$V6")
idu=$(vip_id "$U4")
r4=$(ring_of "$id4")
r6=$(ring_of "$id6")
ru=$(ring_of "$idu")
run apply -f "$T/c2.yaml"
check "a weight change is applied and said" grep -qF "VIP $V4: backend 10.77.1.2 changed: weight 1 -> 3" "$T/out"
check "a weight change is the only change" grep -qF "VIPs 0 added, 0 changed, 0 removed; backends 0 added, 1 changed, 0 removed" "$T/out"
expect_eq "status shows the new weight" 3 "$(stat "be('$V4', '10.77.1.2')['weight']")"
check "the changed VIP's ring is swapped" test "$r4" != "$(ring_of "$id4")"
expect_eq "the other VIPs' rings are not touched" "$r6 $ru" "$(ring_of "$id6") $(ring_of "$idu")"
check "after a weight change every IPv4 client stays on its backend" sticky_kept "$V4" "$T/t4" "b1 b2"
check "after a weight change every IPv6 client stays on its backend" sticky_kept "$V6" "$T/t6" "b1 b2"

# ---------------------------------------------------------------- add a backend

sed 's/{address: 10.77.1.2, weight: 3, state: up}/&\n      - {address: 10.77.1.3, weight: 1}/' "$T/c2.yaml" >"$T/c3.yaml"
run apply -f "$T/c3.yaml"
check "an added backend is applied and said" grep -qF "VIP $V4: backend 10.77.1.3 added (up, weight 1)" "$T/out"
expect_eq "the added backend is up with b3's MAC" \
	"up $(ip -n "$SIO_NS-b3" -j link show eth0 | py 'd[0]["address"]')" \
	"$(stat "be('$V4', '10.77.1.3')['state'] + ' ' + be('$V4', '10.77.1.3')['mac']")"
check "after an add every client keeps its backend" sticky_kept "$V4" "$T/t4" "b1 b2"
traffic 4 80 "$T/t4new"
check "new clients reach the added backend" grep -q ' b3$' "$T/t4new"

# ---------------------------------------------------------------- remove a backend

grep -v '10.77.1.1, weight: 1, state: up' "$T/c3.yaml" >"$T/c4.yaml"
run apply -f "$T/c4.yaml"
check "a removed backend is applied and said" grep -qF "VIP $V4: backend 10.77.1.1 removed" "$T/out"
expect_eq "the removed backend is gone" '["10.77.1.2", "10.77.1.3"]' \
	"$(stat "[b['address'] for b in vip('$V4')['backends']]")"
check "after a removal the other backends' clients stay" sticky_kept "$V4" "$T/t4" "b2"
moved=$(awk '$2 == "b1" {print $1}' "$T/t4" | while read -r c; do lookup "$V4" "$c"; done | sort -u)
check "the removed backend's clients move, and only by the ring" \
	bash -c "[ -n '$moved' ] && ! grep -q '10.77.1.1' <<<'$moved' && ! grep -q sticky <<<'$moved'"
check "the other VIPs' clients keep their backends" sticky_kept "$V6" "$T/t6" "b1 b2"

# ---------------------------------------------------------------- a state the file leaves out

siobpf backend set "$V4" 10.77.1.3 --state drain >/dev/null
run apply -f "$T/c4.yaml"
check "a backend whose state the file leaves out is not touched" grep -qF "nothing changed" "$T/out"
expect_eq "its running state (drain) stays" drain "$(stat "be('$V4', '10.77.1.3')['state']")"
sed 's/{address: 10.77.1.3, weight: 1}/{address: 10.77.1.3, weight: 1, state: up}/' "$T/c4.yaml" >"$T/c5.yaml"
run apply -f "$T/c5.yaml"
check "a state the file names wins" grep -qF "backend 10.77.1.3 changed: state drain -> up" "$T/out"
expect_eq "status shows the file's state" up "$(stat "be('$V4', '10.77.1.3')['state']")"

# ---------------------------------------------------------------- VIP settings and removal

sed 's/    persist: 600/    persist: 300/' "$T/c5.yaml" >"$T/c6.yaml"
run apply -f "$T/c6.yaml"
check "a VIP setting change is applied and said" grep -qF "VIP $V4 changed: persist 600 -> 300" "$T/out"
check "a persist change keeps sticky entries" sticky_kept "$V4" "$T/t4" "b2"

python3 - "$T/c6.yaml" "$T/c7.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
text = text.replace('    prefix: 128\n', '    prefix: 64\n')          # the IPv6 VIP's key shape
text = text[:text.index('  - vip: 10.77.100.1:5353/udp')]              # the UDP VIP goes
open(sys.argv[2], 'w').write(text)
PY
run apply -f "$T/c7.yaml"
check "a removed VIP is applied and said" grep -qF "VIP $U4 removed with its backends" "$T/out"
check "a prefix change says the VIP's sticky entries were cleared" \
	grep -qF "VIP $V6 changed: prefix 128 -> 64; its sticky key changed" "$T/out"
expect_eq "the removed VIP is gone" '["10.77.100.1:80/tcp", "[fd77::100]:80/tcp"]' "$(stat '[v["vip"] for v in d["vips"]]')"
expect_eq "the prefix change cleared that VIP's sticky entries" "ring" \
	"$(lookup "$V6" "$(awk 'NR == 1 {print $1}' "$T/t6")" | cut -d' ' -f2)"
check "the other VIP's sticky entries survive the prefix change" sticky_kept "$V4" "$T/t4" "b2"

# ---------------------------------------------------------------- dry run

sed 's/{address: 10.77.1.3, weight: 1, state: up}/{address: 10.77.1.3, weight: 7, state: up}/' "$T/c7.yaml" >"$T/c8.yaml"
snapshot "$T/before"
run apply -f "$T/c8.yaml" --dry-run
snapshot "$T/after"
check "apply --dry-run says what would change" grep -qF "would: VIP $V4: backend 10.77.1.3 changed: weight 1 -> 7" "$T/out"
check "apply --dry-run changes nothing" cmp -s "$T/before" "$T/after"

# ---------------------------------------------------------------- a backend's own probe

sed 's|{address: 10.77.1.3, weight: 1, state: up}|{address: 10.77.1.3, weight: 1, state: up, probe: {type: http, path: /ready, interval: 500, timeout: 200}}|' \
	"$T/c7.yaml" >"$T/c9.yaml"
r4=$(ring_of "$id4")
run apply -f "$T/c9.yaml"
check "a backend's probe block is applied and said" grep -qF "backend 10.77.1.3 changed: its own probe settings set" "$T/out"
siobpf save >"$T/s3.yaml"
check "save prints the backend's own probe fields, and only those" grep -qF \
	"{address: 10.77.1.3, weight: 1, state: up, probe: {type: http, path: /ready, interval: 500, timeout: 200}}" "$T/s3.yaml"
expect_eq "a probe-only change leaves the ring alone" "$r4" "$(ring_of "$id4")"
writes=$(map_writes apply -f "$T/c9.yaml")
expect_eq "applying the same probe block again makes no map write" 0 "$writes"
run apply -f "$T/c7.yaml"
check "a probe block left out drops the backend's own settings" \
	grep -qF "backend 10.77.1.3 changed: its own probe settings removed" "$T/out"
check "after probe changes every client keeps its backend" sticky_kept "$V4" "$T/t4" "b2"

# ---------------------------------------------------------------- a probe timeout nobody set

# W probes every 300 ms and sets no timeout; W2 has the defaults and a
# backend probed every 300 ms: both timeouts are derived (300 ms), neither
# is refused, and save writes no timeout for them.
W=$VIP4:8080/tcp
W2=$VIP4:8081/tcp
# saved VIP: the VIP's block of `siobpf save`, from its "- vip:" line to the next.
saved() { siobpf save | awk -v v="  - vip: $1" '$0 == v {f = 1; next} /^  - vip: /{f = 0} f'; }
cat "$T/c7.yaml" - >"$T/c10.yaml" <<EOF
  - vip: $W
    probe: {interval: 300}
    backends:
      - {address: 10.77.1.1}
  - vip: $W2
    backends:
      - {address: 10.77.1.1, probe: {interval: 300}}
EOF
run apply -f "$T/c10.yaml"
expect_eq "apply of a VIP with only interval 300, and of a backend with only interval 300, exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/err"
expect_eq "status shows the VIP's timeout derived from its interval: 300 ms" '[300, 300, true]' \
	"$(stat "[vip('$W')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')]" 2>&1)"
expect_eq "status shows the backend's timeout derived from its own interval, its VIP's from the default" \
	'[300, 300, true, 2000, 1000, true]' \
	"$(stat "[be('$W2', '10.77.1.1')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')] + [vip('$W2')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')]" 2>&1)"
saved "$W" >"$T/saved"
check "save prints the VIP's interval 300 and no timeout" \
	bash -c "grep -qF 'interval: 300, rise: 2, fall: 3}' '$T/saved' && ! grep -q timeout '$T/saved'"
saved "$W2" >"$T/saved"
check "save prints the backend's own interval and no timeout" \
	bash -c "grep -qF '{address: 10.77.1.1, weight: 1, state: up, probe: {interval: 300}}' '$T/saved' && ! grep -q timeout '$T/saved'"
siobpf save >"$T/s4.yaml"
run apply -f "$T/s4.yaml"
check "apply of that save (it holds both VIPs) changes nothing" \
	bash -c "grep -qxF '  - vip: $W2' '$T/s4.yaml' && grep -qF 'matches the running state: nothing changed' '$T/out'"
run apply -f "$T/c7.yaml"
check "applying the file without them removes both VIPs" \
	bash -c "grep -qF 'VIP $W removed' '$T/out' && grep -qF 'VIP $W2 removed' '$T/out' && [ '$(stat "[v['vip'] for v in d['vips'] if v['vip'] in ('$W', '$W2')]")' = '[]' ]"

# ---------------------------------------------------------------- bad files

bad be_timeout "vips:" "  - vip: $V4" "    probe: {interval: 300}" "    backends:" "      - {address: 10.77.1.2, probe: {timeout: 500}}"
rejects "a backend timeout above its VIP's interval is refused, saying whose each is" "$T/be_timeout.yaml" \
	"$T/be_timeout.yaml:5:37: backend 10.77.1.2 of VIP $V4: the probe timeout (500 ms, its own) must not exceed the interval (300 ms, its VIP's)"
bad vip_timeout "vips:" "  - vip: $V4" "    probe: {timeout: 500}" "    backends:" "      - {address: 10.77.1.2, probe: {interval: 300}}"
rejects "a VIP timeout above a backend's own interval is refused, naming the backend" "$T/vip_timeout.yaml" \
	"$T/vip_timeout.yaml:5:37: backend 10.77.1.2 of VIP $V4: the probe timeout (500 ms, its VIP's) must not exceed the interval (300 ms, its own)"

bad probe_timeout "vips:" "  - vip: $V4" "    backends:" "      - {address: 10.77.1.2, probe: {timeout: 2500}}"
rejects "a backend probe whose timeout exceeds its VIP's interval is refused" "$T/probe_timeout.yaml" \
	"$T/probe_timeout.yaml:4:37: backend 10.77.1.2 of VIP $V4: the probe timeout (2500 ms, its own) must not exceed the interval (2000 ms, its VIP's)"
bad unknown_key "vips:" "  - vip: $V4" "    backends:" "      - {address: 10.77.1.2, weigth: 2}"
rejects "a file with an unknown key is refused at its line and column" "$T/unknown_key.yaml" \
	"$T/unknown_key.yaml:4:30: unknown key 'weigth' in a backend"
bad bad_value "vips:" "  - vip: $V4" "    prefix: 33"
rejects "a file with a bad value is refused at its line and column" "$T/bad_value.yaml" \
	"$T/bad_value.yaml:3:13: prefix must be a number from 0 to 32, not '33'"
bad dup_vip "vips:" "  - vip: $V4" "  - vip: 10.77.100.1:80"
rejects "a file with a duplicate VIP is refused at its line and column" "$T/dup_vip.yaml" \
	"$T/dup_vip.yaml:3:10: duplicate VIP $V4 (first at line 2)"
bad dup_backend "vips:" "  - vip: $V4" "    backends:" "      - {address: 10.77.1.2}" "      - {address: 10.77.1.2}"
rejects "a file with a duplicate backend is refused at its line and column" "$T/dup_backend.yaml" \
	"$T/dup_backend.yaml:5:19: duplicate backend 10.77.1.2 of VIP $V4 (first at line 4)"
bad family "vips:" "  - vip: $V4" "    backends:" "      - {address: \"fd77::1:2\"}"
rejects "a file with a backend of the other family is refused at its line and column" "$T/family.yaml" \
	"$T/family.yaml:4:19: backend fd77::1:2 is IPv6 but VIP $V4 is IPv4"
bad syntax "vips:" "  - vip: $V4" "     sticky: ip"
rejects "a file with bad YAML syntax is refused at libyaml's line and column" "$T/syntax.yaml" \
	"$T/syntax.yaml:3:12: bad YAML syntax: mapping values are not allowed in this context"
bad timeout "vips:" "  - vip: $V4" "    probe: {interval: 500, timeout: 800}"
rejects "a file whose probe timeout exceeds its interval is refused" "$T/timeout.yaml" \
	"$T/timeout.yaml:3:37: VIP $V4: the probe timeout (800 ms) must not exceed the interval (500 ms)"
: >"$T/empty.yaml"
rejects "an empty file is refused rather than removing every VIP" "$T/empty.yaml" "the file is empty"
rejects "a missing file is refused" "$T/absent.yaml" "cannot open $T/absent.yaml"
# Valid, but a new backend does not answer ARP: resolved before any write,
# so the weight change in the same file is not made either.
sed 's/{address: 10.77.1.3, weight: 1, state: up}/{address: 10.77.1.3, weight: 9, state: up}\n      - {address: 10.77.1.99}/' \
	"$T/c7.yaml" >"$T/unresolved.yaml"
rejects "a file with a backend that cannot be resolved is refused whole" "$T/unresolved.yaml" \
	"$T/unresolved.yaml:$(grep -n '10.77.1.99' "$T/unresolved.yaml" | cut -d: -f1):19: cannot learn the MAC of backend 10.77.1.99"
run apply
expect_eq "apply without -f is a usage error" 2 "$RC"

# ---------------------------------------------------------------- stored paths the rule refuses

# Where the path sits in each map's value, from the ABI header itself.
cat >"$T/offsets.c" <<'EOF'
#include <stddef.h>
#include <stdio.h>
#include "siobpf/abi.h"
int main(void)
{
	printf("%zu %zu\n", offsetof(struct siobpf_vip_config, probe_path),
	       offsetof(struct siobpf_backend_config, probe_path));
	return 0;
}
EOF
setup gcc -I"$ROOT/include" "$T/offsets.c" -o "$T/offsets"
read -r VIP_PATH_AT BE_PATH_AT < <("$T/offsets")
# store_path MAP ID OFFSET PATH: PATH written over the entry's path bytes, as
# an older siobpf that had no URL rule could have stored it.
store_path() {
	python3 - "$SIOBPF_PIN_DIR/$1" "$2" "$3" "$4" <<'PY'
import json, subprocess, sys
pin, key, at, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
kb = ["%02x" % b for b in key.to_bytes(4, "little")]
cur = json.loads(subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", pin, "key", "hex"] + kb,
                                capture_output=True, text=True, check=True).stdout)
value = bytearray(int(b, 16) for b in cur["value"])
value[at:at + 108] = path.ljust(108, b"\0")
subprocess.run(["bpftool", "map", "update", "pinned", pin, "key", "hex"] + kb +
               ["value", "hex"] + ["%02x" % b for b in value], check=True)
PY
}
setup siobpf vip set "$V4" --probe http --probe-path /ok --interval 200 --timeout 100 --fall 2
setup siobpf backend set "$V4" 10.77.1.3 --probe-path /ready
setup store_path sio_vip_cfg "$(vip_id "$V4")" "$VIP_PATH_AT" '/health check'
setup store_path sio_be_cfg "$(stat "be('$V4', '10.77.1.3')['id']")" "$BE_PATH_AT" '/ready#now'

run status
check "status warns of the VIP's stored path, naming the VIP, the character and the fix" grep -qF \
	"warning: VIP $V4: probe path \"/health check\": character ' ' at position 8 is not allowed in a URL path; set one with \`siobpf vip set $V4 --probe-path PATH\`" "$T/err"
check "status warns of the backend's stored path, naming the backend, the character and the fix" grep -qF \
	"warning: backend 10.77.1.3 of VIP $V4: probe path \"/ready#now\": character '#' at position 7 is not allowed in a URL path; set one with \`siobpf backend set $V4 10.77.1.3 --probe-path PATH\`" "$T/err"
expect_eq "status warns once for each, and still shows the state (exit 0)" "0 2" "$RC $(grep -c 'probe path' "$T/err")"
run save
expect_eq "save with stored paths the rule refuses exits 1 and writes nothing" "1 0" "$RC $(wc -c <"$T/out")"
check "save names the VIP's and the backend's paths, and what to do" bash -c "grep -qF '/health check' '$T/err' && grep -qF 'backend 10.77.1.3' '$T/err' && grep -qF '/ready#now' '$T/err' && grep -qF 'nothing saved' '$T/err'"
[ "$TESTS_FAILED" -eq 0 ] || sed 's/^/# /' "$T/err"

# The daemon sends no request with such a path: the probe fails, saying why.
nsenter --net="/run/netns/$SIO_NS-lb" "$BUILD/siobpf" run >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for i in $(seq 50); do
	[ "$(stat "be('$V4', '10.77.1.2')['state']")" = down ] && break
	sleep 0.1
done
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
DAEMON_PID=
check "siobpf run names the VIP's stored path and the fix once for its backend" grep -qF \
	"warning: backend 10.77.1.2 of VIP $V4: probe path \"/health check\": character ' ' at position 8 is not allowed in a URL path; it is not probed and counts as failing until \`siobpf vip set $V4 --probe-path PATH\`" "$T/daemon.log"
check "siobpf run names the backend's own stored path and its fix" grep -qF \
	"warning: backend 10.77.1.3 of VIP $V4: probe path \"/ready#now\": character '#' at position 7 is not allowed in a URL path; it is not probed and counts as failing until \`siobpf backend set $V4 10.77.1.3 --probe-path PATH\`" "$T/daemon.log"
check "the probe fails with the path's problem as its reason: the backend goes down" grep -qF \
	"backend 10.77.1.2 of VIP $V4: up -> down (2 failures: probe path refused: \"/health check\"" "$T/daemon.log"
expect_eq "each warning is logged once, not per probe" 2 "$(grep -c 'it is not probed' "$T/daemon.log")"
siobpf vip set "$V4" --probe-path /ok >/dev/null
siobpf backend set "$V4" 10.77.1.3 --probe-path /ready >/dev/null
run save
expect_eq "with both paths set again save exits 0 and warns of nothing" "0 0" "$RC $(wc -c <"$T/err")"
[ "$TESTS_FAILED" -eq 0 ] || sed 's/^/# /' "$T/daemon.log"

finish
