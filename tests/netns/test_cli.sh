#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The `siobpf` command against a real namespace topology (3 backends with
# nginx and a UDP responder). It proves that every command and option does
# what `siobpf help` says and that `status --json` shows it; that every class
# of bad input exits 1 (2 for usage errors), names the problem and leaves the
# state byte-for-byte unchanged; that concurrent invocations (20 parallel
# backend adds and dels) end in a consistent ring and backend table; that
# reload keeps sticky entries and counters; that `lookup` names exactly the
# backend the kernel program picks for real TCP and UDP traffic, IPv4 and
# IPv6; and all of it in native XDP mode, then again in generic mode with
# another pin directory.
SIO_NS=siocli
source "$(dirname "$0")/lib.sh"

require python3 curl socat nsenter setpriv ip

T=$(mktemp -d /tmp/siocli.XXXXXX)
ALT=/sys/fs/bpf/siobpf-test-$SIO_NS-alt     # the pin directory of phase 2
EMPTY=/sys/fs/bpf/siobpf-test-$SIO_NS-empty # never loaded: nothing in it
V4=$VIP4:80/tcp
V6="[$VIP6]:80/tcp"
U4=$VIP4:5353/udp
U6="[$VIP6]:5353/udp"
# The pinned maps (sio_sticky: the one bucket table of layout 4, in which
# sio_probation is gone; the per-CPU sio_scratch is the program's own, not pinned;
# layout 5 adds the events ring sio_events, the settings sio_node and the
# counters sio_ev_stats).
MAPS="sio_admit_stats sio_backends sio_be_cfg sio_be_stats sio_ev_stats sio_events sio_ifaces sio_node sio_prev_rings sio_reasons sio_rings sio_sticky sio_vip_admit sio_vip_cfg sio_vip_index sio_vip_stats sio_vips"

cleanup() {
	local dir
	for dir in "$ALT" "$SIOBPF_PIN_DIR"; do
		SIOBPF_PIN_DIR=$dir siobpf unload lo >/dev/null 2>&1 || true
		SIOBPF_PIN_DIR=$dir siobpf unload eth0 >/dev/null 2>&1 || true
	done
	rm -rf "$ALT" "$EMPTY" 2>/dev/null || true
	rm -rf "$T"
	teardown_topology
}

# ---------------------------------------------------------------- helpers

# run ARGS...: siobpf ARGS with stdout in $T/out, stderr in $T/err, status in RC.
run() {
	siobpf "$@" >"$T/out" 2>"$T/err"
	RC=$?
	return $RC
}
# must ARGS...: a step the tests rely on; only its failure is reported.
must() { run "$@" || fail "siobpf $* exits 0 (exit $RC: $(head -c 300 "$T/err"))"; }
out() { cat "$T/out"; }
err() { cat "$T/err"; }

# The binary as user nobody, in the balancer's namespace.
as_nobody() {
	nsenter --net="/run/netns/$SIO_NS-lb" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BUILD/siobpf" "$@"
}
# The binary with another pin directory in the environment.
with_pins() {
	local dir=$1
	shift
	SIOBPF_PIN_DIR=$dir siobpf "$@"
}

# py EXPR: a Python expression over the JSON document on stdin (d); vip(NAME)
# and be(NAME, ADDR) find a VIP and a backend of `status --json`.
py() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
def vip(name):
    return next(v for v in d["vips"] if v["vip"] == name)
def be(name, addr):
    return next(b for b in vip(name)["backends"] if b["address"] == addr)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
status_json() { siobpf status --json; }
stat() { status_json | py "$1"; }
mac_of() { ip -n "$SIO_NS-b$1" -j link show eth0 | py 'd[0]["address"]'; }

# has_all FILE PATTERNS: FILE holds every fixed string of PATTERNS (separated
# by "@@").
has_all() {
	local file=$1 rest=$2 p
	while :; do
		p=${rest%%@@*}
		grep -qF -- "$p" "$file" || return 1
		[ "$p" = "$rest" ] && return 0
		rest=${rest#*@@}
	done
}

# expect_run NAME RC PATTERN ARGS...: siobpf ARGS exits RC and prints PATTERN
# (fixed strings, see has_all) on stdout or stderr. With RUNNER set, that
# command runs instead of siobpf.
expect_run() {
	local name=$1 want=$2 pattern=$3
	shift 3
	${RUNNER:-siobpf} "$@" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" != "$want" ]; then
		fail "$name (exit $RC, expected $want: $(head -c 400 "$T/err"))"
	elif ! cat "$T/out" "$T/err" >"$T/both" || ! has_all "$T/both" "$pattern"; then
		fail "$name (output lacks '$pattern': $(head -c 400 "$T/out") $(head -c 400 "$T/err"))"
	else
		pass "$name"
	fi
}

# rejects NAME RC PATTERN COMMAND...: COMMAND exits RC, says PATTERN (fixed
# strings, see has_all) on stderr, and `status --json` is byte-for-byte what it was.
rejects() {
	local name=$1 want=$2 pattern=$3 before after rc
	shift 3
	before=$(status_json)
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	after=$(status_json)
	if [ "$rc" != "$want" ]; then
		fail "$name (exit $rc, expected $want: $(head -c 400 "$T/err"))"
	elif ! has_all "$T/err" "$pattern"; then
		fail "$name (stderr lacks '$pattern': $(head -c 400 "$T/err"))"
	elif [ -z "$before" ]; then
		fail "$name (status --json printed nothing)"
	elif [ "$before" != "$after" ]; then
		fail "$name (status changed: $(diff <(echo "$before") <(echo "$after") | head -c 400))"
	else
		pass "$name"
	fi
}

# only_changed NAME BEFORE AFTER PYTHON-STATEMENT: the JSON AFTER equals BEFORE
# with the statement applied (it edits `d`).
only_changed() {
	local name=$1 msg
	msg=$(python3 -c '
import json, sys
before, after, stmt = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
d = before
def vip(name):
    return next(v for v in d["vips"] if v["vip"] == name)
def be(name, addr):
    return next(b for b in vip(name)["backends"] if b["address"] == addr)
exec(stmt)
if d != after:
    print("expected %s, got %s" % (json.dumps(d)[:600], json.dumps(after)[:600]))' "$2" "$3" "$4" 2>&1)
	if [ -z "$msg" ]; then pass "$name"; else fail "$name ($msg)"; fi
}

# lookups VIP CLIENT...: one `lookup --json` line per client, in any order
# (four at a time: lookup only reads).
lookups() {
	local vip=$1
	shift
	printf '%s\n' "$@" | LK_NS="/run/netns/$SIO_NS-lb" LK_BIN="$BUILD/siobpf" LK_VIP="$vip" xargs -P 4 -n 1 sh -c '
		nsenter --net="$LK_NS" "$LK_BIN" lookup --json "$LK_VIP" "$1" 2>&1 ||
			echo "{\"client\": \"$1\", \"error\": true}"' sh
}
# https CLIENT...: "CLIENT NAME" per client, NAME the backend that answered
# (four clients at a time, in any order).
https() {
	printf '%s\n' "$@" | HT_NS="$SIO_NS-c" HT_VIP4="$VIP4" HT_VIP6="$VIP6" xargs -P 4 -n 1 sh -c '
		case "$1" in *:*) url="http://[$HT_VIP6]/" ;; *) url="http://$HT_VIP4/" ;; esac
		echo "$1 $(ip netns exec "$HT_NS" curl -s --max-time 3 --interface "$1" "$url")"' sh
}
# udps CLIENT...: the same for one UDP datagram each, all in parallel.
udps() {
	local c i=0
	for c in "$@"; do
		i=$((i + 1))
		(echo "$c $(udp_from "$c")" >"$T/udp.$i") &
	done
	wait
	cat "$T"/udp.*
	rm -f "$T"/udp.*
}

# verdict MODE ARGS: checks lookup and traffic results (see the Python);
# prints nothing when they hold, else what is wrong.
cat >"$T/verdict.py" <<'PY'
import json, sys

def name(addr):
    """Backend N has 10.77.1.N and fd77::1:N and answers bN."""
    if addr is None:
        return None
    if "." in addr:
        return "b%d" % int(addr.rsplit(".", 1)[1])
    return "b%d" % int(addr.rsplit(":", 1)[1], 16)

def load_lookups(path):
    out, problems = {}, []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        try:
            j = json.loads(line)
        except ValueError:
            problems.append("unparsable lookup output %r" % line)
            continue
        key = j.get("client")
        if j.get("port"):
            key = "%s:%s" % (key, j["port"])
        out[key] = j
    return out, problems

def load_answers(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if parts:
            out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out

mode, args = sys.argv[1], sys.argv[2:]
problems = []
if mode == "reason":            # reason WANT N LOOKUPS: N lookups, each WANT with a backend
    want, n, path = args[0], int(args[1]), args[2]
    L, problems = load_lookups(path)
    if len(L) != n:
        problems.append("%d lookups, expected %d" % (len(L), n))
    for c, j in L.items():
        if j.get("error") or j.get("reason") != want or not j.get("backend"):
            problems.append("%s: %s" % (c, json.dumps(j)))
elif mode == "reach":           # reach LOOKUPS ANSWERS: each answer came from the looked-up backend
    L, problems = load_lookups(args[0])
    A = load_answers(args[1])
    if set(A) != set(L):
        problems.append("answers for %d clients, lookups for %d" % (len(A), len(L)))
    for c, got in A.items():
        want = name(L.get(c, {}).get("backend"))
        if got != want:
            problems.append("%s: lookup said %s, answered by %r" % (c, want, got))
elif mode == "same":            # same BEFORE AFTER: AFTER is sticky, on BEFORE's backend
    B, problems = load_lookups(args[0])
    L, p2 = load_lookups(args[1])
    problems += p2
    if set(B) != set(L) or not B:
        problems.append("lookups for %d clients before, %d after" % (len(B), len(L)))
    for c, j in L.items():
        if j.get("reason") != "sticky" or j.get("backend") != B.get(c, {}).get("backend"):
            problems.append("%s: before %s, after %s" % (c, B.get(c, {}).get("backend"), json.dumps(j)))
elif mode == "equal":           # equal A B: B's clients, looked up in A too, with the same reason and backend
    A, problems = load_lookups(args[0])
    B, p2 = load_lookups(args[1])
    problems += p2
    if not set(B) <= set(A) or not B:
        problems.append("lookups for %d clients, then %d" % (len(A), len(B)))
    for c, j in B.items():
        a = A.get(c, {})
        if (j.get("reason"), j.get("backend")) != (a.get("reason"), a.get("backend")) or j.get("error"):
            problems.append("%s: %s/%s, then %s/%s" % (c, a.get("reason"), a.get("backend"), j.get("reason"), j.get("backend")))
elif mode == "answered":        # answered ANSWERS: the backends named, one per client
    A = load_answers(args[0])
    print(" ".join(sorted(set(A.values()))))
    sys.exit(0)
elif mode == "named":           # named LOOKUPS: the distinct backends the lookups name
    L, problems = load_lookups(args[0])
    if not problems:
        print(" ".join(sorted(set(str(j.get("backend")) for j in L.values()))))
        sys.exit(0)
if problems:
    print("%d problems, e.g. %s" % (len(problems), "; ".join(problems[:4])))
PY
verdict() { python3 "$T/verdict.py" "$@" 2>&1; }
# check_verdict NAME MODE ARGS...
check_verdict() {
	local name=$1 msg
	shift
	msg=$(verdict "$@")
	if [ -z "$msg" ]; then pass "$name"; else fail "$name ($msg)"; fi
}

section() { echo "# --- $* (${SECONDS}s)"; }
prog_id() { ip -n "$SIO_NS-lb" link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
xdp_flag() { ip -n "$SIO_NS-lb" link show "$1" | head -1 | grep -o ' xdp[a-z]* ' | tr -d ' '; }
pins_in() {
	local dir=$1 m
	for m in $MAPS; do [ -e "$dir/$m" ] || return 1; done
}

# ================================================================ setup
section "setup"

rm -rf "$ALT" "$EMPTY" 2>/dev/null
XDP_MODE=native setup_topology || { finish; exit 1; }
trap cleanup EXIT

CL4=()
for i in $(seq 200); do CL4+=("$(client4 "$i")"); done
CL6=()
for i in $(seq 50); do CL6+=("$(client6 "$i")"); done

# ================================================================ help and version
section "help and version"

names=()
while IFS= read -r n; do names+=("$n"); done < <(sed -n 's/^\t{"\([a-z ]*\)", "[^"]*", [0-9], [0-9],.*/\1/p' "$ROOT/user/cli/commands.c")
KNOWN=(load reload unload "vip add" "vip set" "vip del" "backend add" "backend set" "backend del" status stats lookup help version)
missing=""
for k in "${KNOWN[@]}"; do printf '%s\n' "${names[@]}" | grep -qxF "$k" || missing+=" [$k]"; done
expect_eq "user/cli/commands.c defines every command this test knows (${#names[@]} commands in all)" "" "$missing"

declare -A OPTS=(
	[load]="mode pin-dir" [reload]="pin-dir" [unload]="pin-dir"
	[vip add]="sticky prefix persist forward seed probe probe-path probe-port probe-status interval timeout rise fall pin-dir"
	[vip set]="sticky prefix persist forward seed probe probe-path probe-port probe-status interval timeout rise fall pin-dir"
	[vip del]="pin-dir" [backend add]="weight state pin-dir" [backend set]="state weight pin-dir"
	[backend del]="pin-dir" [status]="json pin-dir" [stats]="json watch pin-dir" [lookup]="json pin-dir"
	[help]="markdown man" [version]=""
)
run help
missing=""
for n in "${names[@]}"; do grep -qE "^  $n( |$)" "$T/out" || missing+=" $n"; done
if [ "$RC" = 0 ] && [ -z "$missing" ]; then pass "siobpf help exits 0 and lists every command"; else
	fail "siobpf help exits 0 and lists every command (exit $RC, missing:$missing)"; fi

bad=""
for n in "${names[@]}"; do
	# shellcheck disable=SC2086
	run $n --help
	[ "$RC" = 0 ] && grep -q "^usage: siobpf $n" "$T/out" || { bad+=" [$n: exit $RC]"; continue; }
	for o in ${OPTS[$n]-}; do grep -qE -- "^  --$o( |$)" "$T/out" || bad+=" [$n lacks --$o]"; done
	# shellcheck disable=SC2086
	siobpf help $n >"$T/out2" 2>&1
	cmp -s "$T/out" "$T/out2" || bad+=" [help $n differs from $n --help]"
done
expect_eq "siobpf COMMAND --help exits 0 and shows every option of every command (and equals siobpf help COMMAND)" "" "$bad"

run help --markdown
missing=""
for n in "${names[@]}"; do grep -qE "^#### \`siobpf $n( |\`)" "$T/out" || missing+=" $n"; done
expect_eq "help --markdown exits 0 with a section for every command" "0:" "$RC:$missing"
run help --man
missing=""
for n in "${names[@]}"; do grep -qE "^\.B siobpf $n( |$)" "$T/out" || missing+=" $n"; done
if [ "$RC" = 0 ] && [ -z "$missing" ] && head -1 "$T/out" | grep -q '^\.TH SIOBPF 8'; then
	pass "help --man exits 0 with a man page naming every command"
else fail "help --man exits 0 with a man page naming every command (exit $RC, missing:$missing)"; fi
run version
if [ "$RC" = 0 ] && grep -qE '^siobpf [0-9]+\.[0-9]+\.[0-9]+ \(ring [0-9]+ slots' "$T/out"; then
	pass "version prints 'siobpf X.Y.Z (ring N slots, ...)'"
else fail "version prints 'siobpf X.Y.Z (ring N slots, ...)' (exit $RC: $(out))"; fi
run --help
expect_eq "siobpf --help exits 0 and prints the command list" "0 yes" "$RC $(grep -q '^commands:' "$T/out" && echo yes)"
run
expect_eq "siobpf with no command exits 2 and prints the help on stderr" "2 yes" "$RC $(grep -q '^commands:' "$T/err" && echo yes)"
expect_run "help of an unknown command exits 2 naming it" 2 "no command 'frobnicate'" help frobnicate
expect_run "an unknown global option exits 2 naming it" 2 "unknown option '--bogus'" --bogus version

# ================================================================ load (native)
section "load (native)"

expect_run "status before load exits 1 and says to run siobpf load IFACE first" 1 \
	"siobpf is not loaded (no maps in $SIOBPF_PIN_DIR): run \`siobpf load IFACE\` first" status
expect_run "load on a missing interface exits 1 naming it" 1 "no interface named eth9" load eth9
expect_eq "a failed load on a missing interface creates no pin directory" "absent" \
	"$([ -e "$SIOBPF_PIN_DIR" ] && echo present || echo absent)"
expect_run "load with a bad --mode exits 2 naming the value" 2 "--mode must be native or generic, not 'turbo'" \
	load eth0 --mode turbo
expect_eq "a load with a bad --mode attaches nothing" "" "$(xdp_flag eth0)"
RUNNER=as_nobody expect_run "load as a non-root user exits 1 saying it needs root" 1 "needs root" load eth0
expect_eq "a load as a non-root user attaches nothing" "" "$(xdp_flag eth0)"

expect_run "load eth0 in native mode exits 0" 0 "siobpf attached to eth0 (native mode), maps in $SIOBPF_PIN_DIR" \
	load eth0 --mode native
expect_eq "the native program is attached in driver mode (ip link shows xdp, not xdpgeneric)" "xdp" "$(xdp_flag eth0)"
check "load pins every map in \$SIOBPF_PIN_DIR ($MAPS)" pins_in "$SIOBPF_PIN_DIR"
check "load pins no probation table: sio_sticky is the only sticky table" [ ! -e "$SIOBPF_PIN_DIR/sio_probation" ]
expect_eq "status --json lists eth0 in native mode and no VIP" \
	'[{"ifname": "eth0", "mode": "native"}] []' "$(stat 'd["interfaces"]') $(stat 'd["vips"]')"
run status
expect_eq "status (text) exits 0 naming the interface, mode and pin directory" "0 yes" \
	"$RC $(grep -qF "siobpf on eth0 (native), maps in $SIOBPF_PIN_DIR" "$T/out" && echo yes)"
id_before=$(prog_id eth0)
rejects "a second load on eth0 exits 1 and suggests reload" 1 "already attached to eth0: use \`siobpf reload eth0\`" \
	siobpf load eth0
expect_eq "the refused second load leaves the attached program in place" "$id_before" "$(prog_id eth0)"
rejects "unload of an interface without siobpf exits 1 naming it" 1 "siobpf is not attached to lo: nothing to unload" \
	siobpf unload lo
rejects "reload of an interface without siobpf exits 1 suggesting load" 1 "siobpf is not attached to lo: use \`siobpf load lo\`" \
	siobpf reload lo
rejects "reload of a missing interface exits 1 naming it" 1 "no interface named eth9" siobpf reload eth9
check "the pins stay after the refused unload" pins_in "$SIOBPF_PIN_DIR"

# ================================================================ vip add / set / del
section "vip add / set / del"

S=10.77.100.2:8080/udp
expect_run "vip add with every option exits 0" 0 "VIP $S added" \
	vip add 10.77.100.2:8080/udp --sticky ip-port --prefix 24 --persist 120 --forward dsr --seed 7 \
	--probe http --probe-path /health --probe-port 8081 --probe-status 204 --interval 500 --timeout 250 \
	--rise 4 --fall 5
expect_eq "status --json shows every option given to vip add" \
	'["10.77.100.2", 8080, "udp", "ip-port", 24, 120, "dsr", 7, [], "http", 8081, "/health", 204, 500, 250, 4, 5]' \
	"$(stat "[vip('$S')[k] for k in ('address', 'port', 'proto', 'sticky', 'prefix', 'persist', 'forward', 'seed', 'backends')] + [vip('$S')['probe'][k] for k in ('type', 'port', 'path', 'status', 'interval', 'timeout', 'rise', 'fall')]")"
expect_run "vip add with no option exits 0 (tcp by default)" 0 "VIP 10.77.100.2:8081/tcp added" vip add 10.77.100.2:8081
expect_eq "vip add without options gets the documented defaults" \
	'["ip", 32, 600, "dsr", 0, "tcp", 8081, "/", 200, 2000, 1000, 2, 3]' \
	"$(stat "[vip('10.77.100.2:8081/tcp')[k] for k in ('sticky', 'prefix', 'persist', 'forward', 'seed')] + [vip('10.77.100.2:8081/tcp')['probe'][k] for k in ('type', 'port', 'path', 'status', 'interval', 'timeout', 'rise', 'fall')]")"
expect_run "vip add of an IPv6 VIP with --prefix 64 exits 0" 0 "VIP [fd77::200]:443/udp added" \
	vip add "[fd77::200]:443/udp" --prefix 64
expect_eq "the IPv6 VIP has prefix 64 and the IPv6 default for everything else" '[64, "ip", 600]' \
	"$(stat "[vip('[fd77::200]:443/udp')[k] for k in ('prefix', 'sticky', 'persist')]")"
expect_run "vip add of an IPv6 VIP without --prefix exits 0" 0 "added" vip add "[fd77::200]:444/udp"
expect_eq "an IPv6 VIP's default prefix is 128" 128 "$(stat "vip('[fd77::200]:444/udp')['prefix']")"

# vip set, one option at a time: only that value changes.
while read -r opt val stmt; do
	before=$(status_json)
	run vip set "$S" "--$opt" "$val"
	after=$(status_json)
	if [ "$RC" != 0 ]; then fail "vip set --$opt $val exits 0 (exit $RC: $(err))"; continue; fi
	only_changed "vip set --$opt $val changes only that value in status --json" "$before" "$after" "$stmt"
done <<'EOF'
sticky ip vip("10.77.100.2:8080/udp")["sticky"] = "ip"
prefix 16 vip("10.77.100.2:8080/udp")["prefix"] = 16
persist 900 vip("10.77.100.2:8080/udp")["persist"] = 900
forward dsr pass
seed 4242 vip("10.77.100.2:8080/udp")["seed"] = 4242
probe socketio vip("10.77.100.2:8080/udp")["probe"]["type"] = "socketio"
probe-path /ready vip("10.77.100.2:8080/udp")["probe"]["path"] = "/ready"
probe-port 9000 vip("10.77.100.2:8080/udp")["probe"]["port"] = 9000
probe-status 302 vip("10.77.100.2:8080/udp")["probe"]["status"] = 302
interval 3000 vip("10.77.100.2:8080/udp")["probe"]["interval"] = 3000
timeout 1500 vip("10.77.100.2:8080/udp")["probe"]["timeout"] = 1500
rise 9 vip("10.77.100.2:8080/udp")["probe"]["rise"] = 9
fall 8 vip("10.77.100.2:8080/udp")["probe"]["fall"] = 8
probe none vip("10.77.100.2:8080/udp")["probe"]["type"] = "none"
EOF
before=$(status_json)
run vip set "$S" --persist=77 --prefix=20
only_changed "vip set --persist=77 --prefix=20 (the --opt=value form) changes just those" "$before" "$(status_json)" \
	'vip("10.77.100.2:8080/udp").update(persist=77, prefix=20)'
before=$(status_json)
run vip set "[fd77::200]:443/udp" --prefix 128 --persist 0
only_changed "vip set on an IPv6 VIP accepts --prefix 128 and --persist 0" "$before" "$(status_json)" \
	'vip("[fd77::200]:443/udp").update(prefix=128, persist=0)'

# ================================================================ backends
section "backends"

B=10.77.100.3:80/tcp
must vip add $B
MAC1=$(mac_of 1)
MAC2=$(mac_of 2)
MAC3=$(mac_of 3)
expect_run "backend add --weight 5 --state drain exits 0" 0 "backend 10.77.1.1 added to VIP $B (drain, weight 5)" \
	backend add $B 10.77.1.1 --weight 5 --state drain
expect_eq "status shows the backend's weight, state, interface eth0 and the MAC of b1's eth0" \
	"[5, \"drain\", \"eth0\", \"$MAC1\"]" "$(stat "[be('$B', '10.77.1.1')[k] for k in ('weight', 'state', 'ifname', 'mac')]")"
expect_run "backend add with defaults exits 0" 0 "backend 10.77.1.2 added to VIP $B (up, weight 1)" \
	backend add $B 10.77.1.2
expect_eq "a backend added without options is up with weight 1 and b2's MAC on eth0" \
	"[1, \"up\", \"eth0\", \"$MAC2\"]" "$(stat "[be('$B', '10.77.1.2')[k] for k in ('weight', 'state', 'ifname', 'mac')]")"
lookups $B "${CL4[@]:0:40}" >"$T/lk"
expect_eq "lookup gives no new client to the drained backend" "10.77.1.2" "$(verdict named "$T/lk")"
before=$(status_json)
expect_run "backend set --weight 7 exits 0" 0 "backend 10.77.1.1 of VIP $B is drain, weight 7" \
	backend set $B 10.77.1.1 --weight 7
only_changed "backend set --weight changes only the weight" "$before" "$(status_json)" \
	'be("10.77.100.3:80/tcp", "10.77.1.1")["weight"] = 7'
before=$(status_json)
run backend set $B 10.77.1.1 --state down
# A drain without clients shows as drained; a down backend does not.
only_changed "backend set --state down changes only the state (and no longer drained)" "$before" "$(status_json)" \
	'be("10.77.100.3:80/tcp", "10.77.1.1").update(state="down", drained=False)'
before=$(status_json)
run backend set $B 10.77.1.1 --state up --weight 3
only_changed "backend set --state up --weight 3 changes both" "$before" "$(status_json)" \
	'be("10.77.100.3:80/tcp", "10.77.1.1").update(state="up", weight=3)'
lookups $B "${CL4[@]:0:40}" >"$T/lk"
expect_eq "once up again the backend gets new clients (lookup names both)" "10.77.1.1 10.77.1.2" "$(verdict named "$T/lk")"
expect_run "backend del exits 0" 0 "backend 10.77.1.1 removed from VIP $B" backend del $B 10.77.1.1
expect_eq "after backend del status lists only the other backend" '["10.77.1.2"]' \
	"$(stat "[b['address'] for b in vip('$B')['backends']]")"
lookups $B "${CL4[@]:0:40}" >"$T/lk"
expect_eq "after backend del lookup names only the remaining backend" "10.77.1.2" "$(verdict named "$T/lk")"

# The services the traffic tests use.
ok=0
for v in $V4 "$V6" $U4 "$U6"; do run vip add "$v" && ok=$((ok + 1)); done
expect_eq "the 4 VIPs of the traffic tests are added" 4 "$ok"
ok=0
for n in 1 2 3; do
	for v in $V4 $U4; do run backend add $v 10.77.1.$n && ok=$((ok + 1)); done
	for v in "$V6" "$U6"; do run backend add "$v" fd77::1:$n && ok=$((ok + 1)); done
done
expect_eq "12 backends added to the 4 test VIPs" 12 "$ok"
expect_eq "IPv6 backends show the MAC and interface of their machine" \
	"[[\"$MAC1\", \"eth0\"], [\"$MAC2\", \"eth0\"], [\"$MAC3\", \"eth0\"]]" \
	"$(stat "[[b['mac'], b['ifname']] for b in vip('$V6')['backends']]")"
expect_eq "every backend record has its own id" 13 "$(stat 'len(set(b["id"] for v in d["vips"] for b in v["backends"]))')"

before=$(status_json)
expect_run "vip del exits 0" 0 "VIP $B removed with its backends" vip del $B
only_changed "vip del removes the VIP and its backends and nothing else" "$before" "$(status_json)" \
	'd["vips"] = [v for v in d["vips"] if v["vip"] != "10.77.100.3:80/tcp"]'
rejects "lookup on a deleted VIP exits 1 naming it" 1 "no VIP $B" siobpf lookup $B 10.77.2.1

# ================================================================ bad input
section "bad input"

ip -n "$SIO_NS-lb" route add 198.51.100.0/24 via 10.77.1.1
rejects "vip add of a VIP without a port exits 1 saying it needs one" 1 "a VIP needs a port" siobpf vip add $VIP4
rejects "vip add of port 0 exits 1 naming the port range" 1 "the port must be a number from 1 to 65535" siobpf vip add $VIP4:0
rejects "vip add of port 70000 exits 1 naming the port range" 1 "the port must be a number from 1 to 65535" siobpf vip add $VIP4:70000
rejects "vip add of a bad address exits 1 saying it is not an address" 1 "bad VIP '10.77.300.1:80': not an IPv4 or IPv6 address" \
	siobpf vip add 10.77.300.1:80
rejects "vip add with a /sctp suffix exits 1 naming /tcp and /udp" 1 "the protocol suffix must be /tcp or /udp" \
	siobpf vip add $VIP4:80/sctp
rejects "vip add of [IPv6 without ] exits 1 naming the bracket" 1 "missing ']'" siobpf vip add "[fd77::100:80"
rejects "vip set of a malformed VIP exits 1" 1 "bad VIP '10.77.100.1:x'" siobpf vip set $VIP4:x --persist 5
rejects "vip del of a malformed VIP exits 1" 1 "bad VIP '10.77.100.1:99999'" siobpf vip del $VIP4:99999
rejects "backend add with a malformed VIP exits 1" 1 "bad VIP '10.77.100.1'" siobpf backend add $VIP4 10.77.1.1
rejects "lookup with a malformed VIP exits 1" 1 "bad VIP" siobpf lookup $VIP4:80/icmp 10.77.2.1
rejects "backend add of a malformed address exits 1 naming it" 1 "bad backend address '10.77.1': not an IPv4 or IPv6 address" \
	siobpf backend add $V4 10.77.1
rejects "backend del of a malformed address exits 1 naming it" 1 "bad backend address 'b1'" siobpf backend del $V4 b1
rejects "lookup of a malformed client exits 1 naming it" 1 "bad client '10.77.2'" siobpf lookup $V4 10.77.2
rejects "backend add to an unknown VIP exits 1 suggesting vip add" 1 "no VIP 10.77.100.9:80/tcp: create it with \`siobpf vip add 10.77.100.9:80/tcp\`" \
	siobpf backend add 10.77.100.9:80 10.77.1.1
rejects "vip set of an unknown VIP exits 1 naming it" 1 "no VIP 10.77.100.9:80/tcp" siobpf vip set 10.77.100.9:80 --persist 5
# A del of what is gone is done already (the rule for a command run again
# after it was killed): exit 0, saying so, and nothing changes.
before=$(status_json)
expect_run "vip del of an unknown VIP exits 0 saying there is nothing to remove" 0 \
	"no VIP 10.77.100.9:80/tcp: nothing to remove" vip del 10.77.100.9:80
expect_run "vip del of the UDP twin of a TCP VIP removes nothing (protocol is part of the VIP)" 0 \
	"no VIP 10.77.100.1:80/udp: nothing to remove" vip del $VIP4:80/udp
expect_run "backend del of a backend the VIP lacks exits 0 saying there is nothing to remove" 0 \
	"backend 10.77.1.7 does not serve VIP $V4: nothing to remove" backend del $V4 10.77.1.7
expect_eq "and those dels changed nothing" "$before" "$(status_json)"
rejects "backend set on an unknown VIP exits 1 naming it" 1 "no VIP 10.77.100.9:80/tcp" \
	siobpf backend set 10.77.100.9:80 10.77.1.1 --weight 2
rejects "lookup on an unknown VIP exits 1 naming it" 1 "no VIP 10.77.100.9:80/tcp" siobpf lookup 10.77.100.9:80 10.77.2.1
rejects "a duplicate vip add exits 1 suggesting vip set" 1 "VIP $V4 already exists: change it with \`siobpf vip set $V4\`" \
	siobpf vip add $VIP4:80 --persist 5
rejects "a duplicate backend add exits 1 suggesting backend set" 1 "backend 10.77.1.1 already serves VIP $V4: change it with \`siobpf backend set" \
	siobpf backend add $V4 10.77.1.1 --weight 9
# An add of exactly what exists is done already: exit 0, nothing changes.
before=$(status_json)
b1_now=$(status_json | py '" ".join(["--weight %d --state %s" % (b["weight"], b["state"]) for v in d["vips"] if v["vip"] == "'"$V4"'" for b in v["backends"] if b["address"] == "10.77.1.1"])')
# shellcheck disable=SC2086 # the options, split
expect_run "an add of exactly the backend that exists ($b1_now) exits 0 saying so" 0 \
	"backend 10.77.1.1 already serves VIP $V4 as given" backend add $V4 10.77.1.1 $b1_now
expect_eq "and it changed nothing" "$before" "$(status_json)"
rejects "backend set of a backend the VIP lacks exits 1 naming it" 1 "backend 10.77.1.7 does not serve VIP $V4" \
	siobpf backend set $V4 10.77.1.7 --weight 2
rejects "an IPv4 backend for an IPv6 VIP exits 1 naming both families" 1 "backend 10.77.1.3 is IPv4 but VIP $V6 is IPv6" \
	siobpf backend add "$V6" 10.77.1.3
rejects "an IPv6 backend for an IPv4 VIP exits 1 naming both families" 1 "backend fd77::1:3 is IPv6 but VIP $V4 is IPv4" \
	siobpf backend add $V4 fd77::1:3
rejects "lookup of an IPv6 client on an IPv4 VIP exits 1" 1 "different address families" siobpf lookup $V4 fd77::2:1
rejects "backend add --weight 0 exits 1 naming the range" 1 "--weight must be a number from 1 to 1000, not '0'" \
	siobpf backend add $V4 10.77.1.4 --weight 0
rejects "backend add --weight 1001 exits 1 naming the range" 1 "--weight must be a number from 1 to 1000, not '1001'" \
	siobpf backend add $V4 10.77.1.4 --weight 1001
rejects "backend set --weight 0 exits 1 naming the range" 1 "--weight must be a number from 1 to 1000, not '0'" \
	siobpf backend set $V4 10.77.1.1 --weight 0
rejects "backend set --weight 1001 exits 1 naming the range" 1 "--weight must be a number from 1 to 1000, not '1001'" \
	siobpf backend set $V4 10.77.1.1 --weight 1001
rejects "backend set --weight 2x exits 1 naming the value" 1 "not '2x'" siobpf backend set $V4 10.77.1.1 --weight 2x
rejects "backend add --state sideways exits 1 naming the states" 1 "--state must be up, drain or down, not 'sideways'" \
	siobpf backend add $V4 10.77.1.4 --state sideways
rejects "backend set --state sideways exits 1 naming the states" 1 "--state must be up, drain or down, not 'sideways'" \
	siobpf backend set $V4 10.77.1.1 --state sideways
rejects "a backend set with one bad option applies neither" 1 "--state must be" \
	siobpf backend set $V4 10.77.1.1 --weight 9 --state sideways
rejects "a backend with no route exits 1 saying so" 1 "no route to backend 192.0.2.1" siobpf backend add $V4 192.0.2.1
rejects "a backend behind a gateway exits 1 saying it must be directly connected" 1 \
	"backend 198.51.100.5 is reached through a gateway on eth0" siobpf backend add $V4 198.51.100.5
rejects "the balancer's own address as a backend exits 1 saying so" 1 "backend 10.77.0.1 is an address of this host" \
	siobpf backend add $V4 10.77.0.1
t0=$(date +%s%N)
rejects "a backend that does not answer ARP exits 1 after the resolve timeout" 1 \
	"cannot learn the MAC of backend 10.77.1.99 on eth0" siobpf backend add $V4 10.77.1.99
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -ge 2500 ] && [ "$ms" -le 8000 ]; then pass "the unanswered ARP is given up after the resolve timeout (${ms} ms)"; else
	fail "the unanswered ARP is given up after the resolve timeout (took ${ms} ms, expected about 3000)"; fi
rejects "vip add --timeout above --interval exits 1 naming both" 1 "the probe timeout (3000 ms) must not exceed the interval (2000 ms)" \
	siobpf vip add 10.77.100.4:80 --timeout 3000
rejects "vip add --prefix 33 on IPv4 exits 1 naming the range" 1 "--prefix must be a number from 0 to 32, not '33'" \
	siobpf vip add 10.77.100.4:80 --prefix 33
rejects "vip set --prefix 129 on IPv6 exits 1 naming the range" 1 "--prefix must be a number from 0 to 128, not '129'" \
	siobpf vip set "$V6" --prefix 129
rejects "a vip set with one bad option applies none of them" 1 "--prefix must be a number from 0 to 32" \
	siobpf vip set $V4 --persist 900 --prefix 33
rejects "vip add --sticky cookie exits 1 naming the value" 1 "--sticky@@'cookie'" siobpf vip add 10.77.100.4:80 --sticky cookie
rejects "vip add --probe smtp exits 1 naming the value" 1 "--probe@@'smtp'" siobpf vip add 10.77.100.4:80 --probe smtp
rejects "vip add --forward nat exits 1 naming the value" 1 "--forward@@'nat'" siobpf vip add 10.77.100.4:80 --forward nat
rejects "vip add --probe-path without a leading / exits 1" 1 "--probe-path \"health\" must start with '/'" \
	siobpf vip add 10.77.100.4:80 --probe-path health
rejects "vip add --probe-path with a space names the character and its position" 1 \
	"--probe-path \"/a b\": character ' ' at position 3 is not allowed in a URL path" \
	siobpf vip add 10.77.100.4:80 --probe-path "/a b"
rejects "vip add --probe-path with bytes that are not UTF-8 exits 1" 1 "character \\xff at position 3" \
	siobpf vip add 10.77.100.4:80 --probe-path "$(printf '/a\377')"
rejects "vip add --probe socketio with a query in its path exits 1" 1 \
	"character '?' at position 3 is not allowed in a socketio probe path" \
	siobpf vip add 10.77.100.4:80 --probe socketio --probe-path "/s?EIO=3"
rejects "backend add --probe socketio on its VIP's path with a query exits 1" 1 \
	"--probe-path@@character '?'" \
	siobpf backend add $V4 10.77.1.9 --probe socketio --probe-path "/s?x"
rejects "vip add --persist -1 exits 1 naming the range" 1 "--persist must be a number from 0 to 1000000, not '-1'" \
	siobpf vip add 10.77.100.4:80 --persist -1
rejects "vip add --seed 2^32 exits 1 naming the range" 1 "--seed must be a number from 0 to 4294967295" \
	siobpf vip add 10.77.100.4:80 --seed 4294967296
rejects "vip add --probe-port 0 exits 1 naming the range" 1 "--probe-port must be a number from 1 to 65535" \
	siobpf vip add 10.77.100.4:80 --probe-port 0
rejects "vip add --probe-status 700 exits 1 naming the range" 1 "--probe-status must be a number from 100 to 599" \
	siobpf vip add 10.77.100.4:80 --probe-status 700
rejects "vip add --rise 0 exits 1 naming the range" 1 "--rise must be a number from 1 to 100" siobpf vip add 10.77.100.4:80 --rise 0
rejects "vip add --fall 101 exits 1 naming the range" 1 "--fall must be a number from 1 to 100" siobpf vip add 10.77.100.4:80 --fall 101
rejects "stats --watch 0 exits 1 naming the range" 1 "--watch must be a number of seconds from 1 to 3600" siobpf stats --watch 0
rejects "status while not loaded (empty pin directory) exits 1 saying to run siobpf load IFACE first" 1 \
	"siobpf is not loaded (no maps in $EMPTY): run \`siobpf load IFACE\` first" with_pins "$EMPTY" status
rejects "vip add while not loaded exits 1 saying to run siobpf load IFACE first" 1 \
	"run \`siobpf load IFACE\` first" with_pins "$EMPTY" vip add 10.77.100.4:80
rejects "backend add while not loaded exits 1 saying to run siobpf load IFACE first" 1 \
	"run \`siobpf load IFACE\` first" siobpf --pin-dir "$EMPTY" backend add $V4 10.77.1.4
rejects "unload while not loaded exits 1 saying to run siobpf load IFACE first" 1 \
	"run \`siobpf load IFACE\` first" siobpf unload eth0 --pin-dir "$EMPTY"
expect_eq "commands on an unloaded pin directory do not create it" "absent" "$([ -e "$EMPTY" ] && echo present || echo absent)"
rejects "vip add as a non-root user exits 1 saying it needs root" 1 "siobpf needs root" as_nobody vip add 10.77.100.4:80
rejects "backend add as a non-root user exits 1 saying it needs root" 1 "siobpf needs root" as_nobody backend add $V4 10.77.1.4
rejects "status as a non-root user exits 1 saying it needs root" 1 "siobpf needs root" as_nobody status --json
rejects "unload as a non-root user exits 1 saying it needs root" 1 "siobpf needs root" as_nobody unload eth0
rejects "an unknown command exits 2 naming it" 2 "unknown command 'frobnicate'" siobpf frobnicate
rejects "vip without a subcommand exits 2 listing add, set, del" 2 "'vip' needs a subcommand: add, set or del" siobpf vip
rejects "vip rename (unknown subcommand) exits 2" 2 "'vip' needs a subcommand" siobpf vip rename $V4
rejects "an unknown option exits 2 naming it" 2 "unknown option '--bogus' for 'vip add'" siobpf vip add 10.77.100.4:80 --bogus 1
rejects "an option without its value exits 2 naming it" 2 "option --persist needs a value (SECONDS)" siobpf vip add 10.77.100.4:80 --persist
rejects "a flag given a value exits 2" 2 "option --json takes no value" siobpf status --json=yes
rejects "a missing argument exits 2 naming what is needed" 2 "'backend add' needs VIP ADDR" siobpf backend add $V4
rejects "an extra argument exits 2 naming it" 2 "unexpected argument 'extra'" siobpf vip del $V4 extra
rejects "vip set with nothing to change exits 2" 2 "nothing to change" siobpf vip set $V4
rejects "backend set with nothing to change exits 2" 2 "nothing to change" siobpf backend set $V4 10.77.1.1
rejects "an option of another command exits 2" 2 "unknown option '--weight' for 'vip add'" siobpf vip add 10.77.100.4:80 --weight 2
ip -n "$SIO_NS-lb" route del 198.51.100.0/24

# ================================================================ probe timeout
section "probe timeout"

# A timeout nobody set is derived from the interval in force (capped at
# 1000 ms) and never refused; only a timeout that was set above the interval
# in force is, naming the VIP and backend. PT probes every 300 ms, PD has the
# defaults, PE a timeout of its own.
PT=10.77.100.5:80/tcp
PD=10.77.100.6:80/tcp
PE=10.77.100.7:80/tcp
# saved VIP: the VIP's block of `siobpf save`, from its "- vip:" line to the next.
saved() { siobpf save | awk -v v="  - vip: $1" '$0 == v {f = 1; next} /^  - vip: /{f = 0} f'; }

expect_run "vip add --interval 300 alone exits 0 (its timeout is derived, not a 1000 ms default)" 0 "VIP $PT added" \
	vip add $PT --interval 300
expect_eq "status --json shows the derived timeout of a VIP probed every 300 ms: 300 ms, marked derived" \
	'[300, 300, true]' "$(stat "[vip('$PT')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')]" 2>&1)"
run status
check "status (text) shows the VIP's timeout as 300ms (derived)" grep -qF "every 300ms timeout 300ms (derived) rise" "$T/out"
saved $PT >"$T/saved"
check "save prints the VIP's interval 300 and no timeout, which nobody set" \
	bash -c "grep -qF 'interval: 300, rise: 2, fall: 3}' '$T/saved' && ! grep -q timeout '$T/saved'"
must vip add $PD
must backend add $PD 10.77.1.2
expect_run "backend set --interval 300 under a VIP with the default interval exits 0, its timeout derived" 0 \
	"backend 10.77.1.2 of VIP $PD: probe tcp port 80 every 300ms timeout 300ms (derived) rise 2 fall 3 (its own)" \
	backend set $PD 10.77.1.2 --interval 300
expect_eq "status --json shows the backend's own interval and the timeout derived from it" \
	'[300, 300, true, true, 2000, 1000, true]' \
	"$(stat "[be('$PD', '10.77.1.2')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')] + [be('$PD', '10.77.1.2')['probe_own']] + [vip('$PD')['probe'][k] for k in ('interval', 'timeout', 'timeout_derived')]" 2>&1)"
saved $PD >"$T/saved"
check "save prints the backend's own interval and no timeout" \
	bash -c "grep -qF '{address: 10.77.1.2, weight: 1, state: up, probe: {interval: 300}}' '$T/saved' && ! grep -q timeout '$T/saved'"

rejects "vip add --timeout 500 --interval 300 exits 1 naming the VIP and both values" 1 \
	"VIP $PE: the probe timeout (500 ms) must not exceed the interval (300 ms)" \
	siobpf vip add $PE --timeout 500 --interval 300
rejects "vip set --timeout 500 on a VIP probed every 300 ms exits 1 naming it" 1 \
	"VIP $PT: the probe timeout (500 ms) must not exceed the interval (300 ms)" siobpf vip set $PT --timeout 500
must backend add $PT 10.77.1.1
rejects "backend set --timeout 500 under its VIP's 300 ms interval exits 1 naming the backend, the VIP and whose each is" 1 \
	"backend 10.77.1.1 of VIP $PT: the probe timeout (500 ms, its own) must not exceed the interval (300 ms, its VIP's)" \
	siobpf backend set $PT 10.77.1.1 --timeout 500
rejects "backend add --timeout 500 --interval 300 exits 1 naming the backend and the VIP" 1 \
	"backend 10.77.1.3 of VIP $PT: the probe timeout (500 ms) must not exceed the interval (300 ms)" \
	siobpf backend add $PT 10.77.1.3 --timeout 500 --interval 300
rejects "vip set --timeout 500 above a backend's own 300 ms interval exits 1 naming that backend" 1 \
	"VIP $PD: backend 10.77.1.2: the probe timeout (500 ms, its VIP's) must not exceed the interval (300 ms, its own)" \
	siobpf vip set $PD --timeout 500
must vip add $PE --timeout 500
rejects "vip set --interval 300 on a VIP whose timeout is 500 exits 1 naming it" 1 \
	"VIP $PE: the probe timeout (500 ms) must not exceed the interval (300 ms)" siobpf vip set $PE --interval 300
must backend add $PE 10.77.1.3 --timeout 800
rejects "vip set --interval 300 under a backend's own 800 ms timeout exits 1 naming that backend" 1 \
	"VIP $PE: backend 10.77.1.3: the probe timeout (800 ms, its own) must not exceed the interval (300 ms, its VIP's)" \
	siobpf vip set $PE --interval 300 --timeout 300
for v in $PT $PD $PE; do must vip del $v; done

# ================================================================ lookup agrees with the kernel
section "lookup agrees with the kernel"

siobpf stats --json >"$T/stats0"
lookups $V4 "${CL4[@]}" >"$T/lk4"
check_verdict "before any traffic lookup names a ring backend for each of 200 IPv4 clients of $V4" reason ring 200 "$T/lk4"
https "${CL4[@]}" >"$T/an4"
check_verdict "each of the 200 IPv4 clients' HTTP request reaches the backend lookup named" reach "$T/lk4" "$T/an4"
expect_eq "the 200 IPv4 clients are spread over all 3 backends" "b1 b2 b3" "$(verdict answered "$T/an4")"
lookups $V4 "${CL4[@]}" >"$T/lk4b"
check_verdict "after the request lookup says sticky with the same backend for all 200 IPv4 clients" same "$T/lk4" "$T/lk4b"
sleep 0.3
siobpf stats --json >"$T/stats1"
msg=$(python3 - "$T/stats0" "$T/stats1" "$T/an4" "$V4" <<'PY'
import json, sys
s0, s1 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
vip = sys.argv[4]
answers = [l.split() for l in open(sys.argv[3])]
v0 = next(v for v in s0["vips"] if v["vip"] == vip)
v1 = next(v for v in s1["vips"] if v["vip"] == vip)
b0 = {b["address"]: b for b in v0["backends"]}
problems = []
dp, db, dn = (v1[k] - v0[k] for k in ("packets", "bytes", "new_sticky"))
if dn != 200:
    problems.append("VIP new_sticky grew by %d, not 200" % dn)
if dp < 4 * 200:
    problems.append("VIP packets grew by %d, fewer than 4 per connection" % dp)
if db < 54 * dp:
    problems.append("VIP bytes grew by %d, less than 54 per packet (%d)" % (db, dp))
sum_p = 0
for b in v1["backends"]:
    n = b["address"].rsplit(".", 1)[1]
    want = sum(1 for a in answers if len(a) == 2 and a[1] == "b" + n)
    got = b["new_sticky"] - b0[b["address"]]["new_sticky"]
    sum_p += b["packets"] - b0[b["address"]]["packets"]
    if got != want:
        problems.append("backend %s new_sticky grew by %d, it answered %d clients" % (b["address"], got, want))
if sum_p != dp:
    problems.append("backend packets grew by %d in all, the VIP's by %d" % (sum_p, dp))
dtx = s1["counters"]["tx"] - s0["counters"]["tx"]
if dtx != dp:
    problems.append("counters.tx grew by %d, the VIP's packets by %d" % (dtx, dp))
print("; ".join(problems))
PY
)
expect_eq "stats --json: new_sticky per VIP and backend grew by the clients each served; packets, bytes and counters.tx agree" "" "$msg"
# No reader asked for new-entry events: the switch is off and the 200 new
# clients wrote none.
expect_eq "stats --json: the entry events are off, none written or lost after 200 new clients" \
	"False 0 0" "$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["entry_events"]; print(e["on"], e["written"], e["lost"])' "$T/stats1")"
check "stats says the entry events are off, none written or lost" \
	grep -qx "entry events: off, 0 written, 0 lost" <(siobpf stats)

lookups "$V6" "${CL6[@]}" >"$T/lk6"
check_verdict "before any traffic lookup names a ring backend for each of 50 IPv6 clients of $V6" reason ring 50 "$T/lk6"
https "${CL6[@]}" >"$T/an6"
check_verdict "each of the 50 IPv6 clients' HTTP request reaches the backend lookup named" reach "$T/lk6" "$T/an6"
expect_eq "the 50 IPv6 clients are spread over all 3 backends" "b1 b2 b3" "$(verdict answered "$T/an6")"
lookups "$V6" "${CL6[@]}" >"$T/lk6b"
check_verdict "after the request lookup says sticky with the same backend for all 50 IPv6 clients" same "$T/lk6" "$T/lk6b"

UC4=("${CL4[@]:100:30}")
UC6=("${CL6[@]:20:15}")
lookups $U4 "${UC4[@]}" >"$T/lku4"
lookups "$U6" "${UC6[@]}" >"$T/lku6"
check_verdict "before any traffic lookup names a ring backend for 30 IPv4 clients of $U4" reason ring 30 "$T/lku4"
check_verdict "before any traffic lookup names a ring backend for 15 IPv6 clients of $U6" reason ring 15 "$T/lku6"
udps "${UC4[@]}" >"$T/anu4"
udps "${UC6[@]}" >"$T/anu6"
check_verdict "each IPv4 client's UDP datagram reaches the backend lookup named" reach "$T/lku4" "$T/anu4"
check_verdict "each IPv6 client's UDP datagram reaches the backend lookup named" reach "$T/lku6" "$T/anu6"
lookups $U4 "${UC4[@]}" >"$T/lku4b"
lookups "$U6" "${UC6[@]}" >"$T/lku6b"
check_verdict "after the datagram lookup says sticky with the same backend (UDP, IPv4)" same "$T/lku4" "$T/lku4b"
check_verdict "after the datagram lookup says sticky with the same backend (UDP, IPv6)" same "$T/lku6" "$T/lku6b"
run lookup $V4 "${CL4[0]}"
expect_eq "lookup (text) exits 0 and explains a sticky choice" "0 yes" \
	"$RC $(grep -qE "^${CL4[0]} -> 10\.77\.1\.[123]: sticky entry, last seen" "$T/out" && echo yes)"

# ================================================================ reload keeps state
section "reload keeps state"

RC50=("${CL4[@]:0:50}")
https "${RC50[@]}" >"$T/anr"
lookups $V4 "${RC50[@]}" >"$T/lkr"
check_verdict "50 clients' requests reach their sticky backends before the reload" reach "$T/lkr" "$T/anr"
# Drained, b1 keeps its clients only through their sticky entries: if the
# reload lost them, the ring would move those clients elsewhere.
must backend set $V4 10.77.1.1 --state drain
on_b1=$(grep -c ' b1$' "$T/anr")
sleep 0.3
st_before=$(status_json)
siobpf stats --json >"$T/sr0"
id_before=$(prog_id eth0)
expect_run "reload eth0 exits 0 saying the state is kept" 0 "siobpf reloaded on eth0; VIPs, backends and sticky entries kept" reload eth0
id_after=$(prog_id eth0)
if [ -n "$id_after" ] && [ "$id_after" != "$id_before" ]; then pass "reload attaches a new program (id $id_before -> $id_after), still native"
else fail "reload attaches a new program (id $id_before -> $id_after)"; fi
expect_eq "reload keeps native mode on eth0" xdp "$(xdp_flag eth0)"
expect_eq "status --json is byte-for-byte the same after reload" "$st_before" "$(status_json)"
siobpf stats --json >"$T/sr1"
msg=$(python3 - "$T/sr0" "$T/sr1" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
p = []
if a["counters"]["tx"] <= 0:
    p.append("no tx before the reload")
for k, v in a["counters"].items():
    if b["counters"][k] < v:
        p.append("counter %s fell from %d to %d" % (k, v, b["counters"][k]))
for va, vb in zip(a["vips"], b["vips"]):
    for k in ("packets", "bytes", "new_sticky"):
        if vb[k] < va[k]:
            p.append("%s %s fell from %d to %d" % (va["vip"], k, va[k], vb[k]))
    for ba, bb in zip(va["backends"], vb["backends"]):
        if bb["packets"] < ba["packets"]:
            p.append("%s packets fell" % ba["address"])
print("; ".join(p))
PY
)
expect_eq "reload does not reset the counters" "" "$msg"
lookups $V4 "${RC50[@]}" >"$T/lkr2"
check_verdict "after reload lookup says sticky with the same backend for the 50 clients" same "$T/lkr" "$T/lkr2"
https "${RC50[@]}" >"$T/anr2"
expect_eq "after reload the 50 clients reach the same backends (b1 drained, $on_b1 of them on it)" \
	"$(sort "$T/anr")" "$(sort "$T/anr2")"
[ "$on_b1" -gt 0 ] && pass "the drained backend had sticky clients to keep ($on_b1)" ||
	fail "the drained backend had sticky clients to keep (none of the 50 was on b1)"
must backend set $V4 10.77.1.1 --state up

# ================================================================ reload after an upgrade
section "reload after an upgrade"

# A siobpf that pinned fewer maps than this one stands in as the old version:
# the program keeps its maps, only the pin of the VIP index is gone.
st_before=$(status_json)
rm "$SIOBPF_PIN_DIR/sio_vip_index"
expect_run "with a map missing from the pins, vip add exits 1 and says to reload" 1 \
	"were pinned by an older siobpf@@run \`siobpf reload IFACE\` to migrate them" vip add 10.77.100.9:80/tcp
expect_run "reload eth0 over pins missing a map exits 0" 0 "siobpf reloaded on eth0" reload eth0
[ -e "$SIOBPF_PIN_DIR/sio_vip_index" ] && pass "the reload pinned sio_vip_index again" ||
	fail "the reload pinned sio_vip_index again"
expect_eq "after it, status --json is byte-for-byte what it was" "$st_before" "$(status_json)"
https "${RC50[@]}" >"$T/anr3"
expect_eq "after it, the 50 clients reach the same backends through the rebuilt index" \
	"$(sort "$T/anr")" "$(sort "$T/anr3")"

# ================================================================ vip set and sticky entries
section "vip set and sticky entries"

C=${CL4[0]}
X=$(siobpf lookup --json $V4 "$C" | py 'd["backend"]')
before=$(status_json)
expect_run "vip set --persist 900 exits 0 without clearing entries" 0 "VIP $V4 changed" vip set $V4 --persist 900
grep -q cleared "$T/out" && fail "vip set --persist does not say entries were cleared ($(out))" ||
	pass "vip set --persist does not say entries were cleared"
only_changed "vip set --persist 900 changes only persist" "$before" "$(status_json)" 'vip("10.77.100.1:80/tcp")["persist"] = 900'
expect_eq "vip set --persist keeps sticky entries (lookup still sticky on the same backend)" "sticky $X" \
	"$(siobpf lookup --json $V4 "$C" | py 'd["reason"] + " " + d["backend"]')"
expect_run "vip set --sticky ip-port exits 0 saying entries were cleared" 0 "its sticky key changed, so its sticky entries were cleared" \
	vip set $V4 --sticky ip-port
rejects "lookup without a port on an ip-port VIP exits 1 asking for CLIENT:PORT" 1 "give the client as CLIENT:PORT" \
	siobpf lookup $V4 "$C"
PORTS=()
for n in $(seq 40001 40010); do PORTS+=("$C:$n"); done
lookups $V4 "${PORTS[@]}" >"$T/lkport"
check_verdict "ip-port: lookup of CLIENT:PORT answers from the ring for 10 ports" reason ring 10 "$T/lkport"
for n in $(seq 40001 40010); do
	echo "$C:$n $(in_ns c curl -s --max-time 3 --interface "$C" --local-port "$n" "http://$VIP4/")"
done >"$T/anport"
msg=$(python3 - "$T/lkport" "$T/anport" <<'PY'
import json, sys
L = {"%s:%d" % (j["client"], j["port"]): j["backend"] for j in map(json.loads, open(sys.argv[1]))}
bad = []
for line in open(sys.argv[2]):
    parts = line.split()
    want = "b" + L[parts[0]].rsplit(".", 1)[1]
    if parts[1:] != [want]:
        bad.append("%s: lookup %s, answered %r" % (parts[0], want, parts[1:]))
print("; ".join(bad))
PY
)
expect_eq "ip-port: a connection from each CLIENT:PORT reaches the backend lookup named" "" "$msg"
expect_eq "ip-port: the 10 ports of one client are spread over more than one backend" yes \
	"$([ "$(cut -d' ' -f2 "$T/anport" | sort -u | wc -l)" -gt 1 ] && echo yes)"
lookups $V4 "${PORTS[@]}" >"$T/lkport2"
msg=$(python3 - "$T/lkport" "$T/lkport2" <<'PY'
import json, sys
def load(path):
    return {"%s:%s" % (j["client"], j.get("port")): j for j in map(json.loads, open(path))}
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = ["%s %s/%s (was %s)" % (k, y["reason"], y["backend"], a.get(k, {}).get("backend"))
       for k, y in sorted(b.items()) if y["reason"] != "sticky" or y["backend"] != a.get(k, {}).get("backend")]
if len(a) != 10 or set(a) != set(b):
    bad.append("lookups for %d and %d ports" % (len(a), len(b)))
print("; ".join(bad))
PY
)
expect_eq "ip-port: after the connection each CLIENT:PORT is sticky on the same backend" "" "$msg"
run vip set $V4 --sticky ip
expect_eq "after --sticky ip-port and back to ip the client's old entry is gone (lookup says ring)" "0 ring" \
	"$RC $(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
https "$C" >/dev/null
expect_eq "new traffic makes the client sticky again" sticky "$(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
run vip set $V4 --prefix 24
https "$C" >/dev/null
expect_eq "with --prefix 24 traffic makes an entry for the client's /24" sticky \
	"$(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
# /24 and /25 mask this client to the same key: only clearing makes it ring.
expect_run "vip set --prefix 25 exits 0 saying entries were cleared" 0 "sticky entries were cleared" vip set $V4 --prefix 25
expect_eq "vip set --prefix clears the entries (same masked key, yet lookup says ring)" ring \
	"$(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
must vip set $V4 --prefix 32 --persist 600
https "$C" >/dev/null
must vip set $V4 --persist 0
expect_eq "vip set --persist 0 makes existing entries expire at once" ring "$(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
https "$C" >/dev/null
expect_eq "with --persist 0 traffic makes no live sticky entry" ring "$(siobpf lookup --json $V4 "$C" | py 'd["reason"]')"
must vip set $V4 --persist 600

# ================================================================ concurrency
section "concurrency"

P=$VIP4:8080/tcp
expect_run "vip add of the VIP for the concurrency tests exits 0" 0 "VIP $P added" vip add $P
for n in $(seq 101 120); do echo "addr add 10.77.1.$n/16 dev eth0"; done | ip -n "$SIO_NS-b3" -batch -
nb_before=$(stat 'sum(len(v["backends"]) for v in d["vips"])')
pids=()
for n in $(seq 101 120); do
	siobpf backend add $P 10.77.1.$n >"$T/par.$n" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
expect_eq "20 parallel backend add of distinct backends all exit 0" "$(printf '0 %.0s' $(seq 20))" "$rcs"
expect_eq "status lists exactly those 20 backends on the VIP, each once" \
	"$(for n in $(seq 101 120); do echo 10.77.1.$n; done | sort | tr '\n' ' ')" \
	"$(stat "' '.join(sorted(b['address'] for b in vip('$P')['backends'])) + ' '")"
expect_eq "the backend table holds 20 more records, all with distinct ids" "$((nb_before + 20)) $((nb_before + 20))" \
	"$(stat '"%d %d" % (sum(len(v["backends"]) for v in d["vips"]), len(set(b["id"] for v in d["vips"] for b in v["backends"])))')"
expect_eq "the 20 backends are up, weight 1, with b3's MAC" "[[\"up\", 1, \"$MAC3\"]]" \
	"$(stat "sorted(set((b['state'], b['weight'], b['mac']) for b in vip('$P')['backends']))")"
lookups $P "${CL4[@]}" >"$T/lkp"
check_verdict "lookup for 200 clients after the parallel adds answers from the ring" reason ring 200 "$T/lkp"
expect_eq "the ring is consistent: the 200 lookups name every one of the 20 backends and nothing else" \
	"$(for n in $(seq 101 120); do echo 10.77.1.$n; done | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(verdict named "$T/lkp")"
# Repeated adds of one backend: exactly one adds it, the others find it
# there as given (an add of exactly what exists is done: exit 0).
pids=()
for n in $(seq 10); do
	siobpf backend add $P 10.77.1.2 >"$T/dup.$n" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$?"$'\n'; done
expect_eq "10 parallel adds of the same backend: all exit 0, one adds it, nine find it there as given" "10 1 9" \
	"$(echo -n "$rcs" | grep -c '^0$') $(cat "$T"/dup.* | grep -c ' added to VIP') $(cat "$T"/dup.* | grep -c 'already serves VIP .* as given')"
expect_eq "the VIP lists that backend once" 1 "$(stat "sum(1 for b in vip('$P')['backends'] if b['address'] == '10.77.1.2')")"
must backend del $P 10.77.1.2
pids=()
for n in $(seq 101 120); do
	siobpf backend del $P 10.77.1.$n >"$T/par.$n" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
expect_eq "20 parallel backend del all exit 0" "$(printf '0 %.0s' $(seq 20))" "$rcs"
expect_eq "after the parallel dels the VIP has no backend and the table is as before" "0 $nb_before" \
	"$(stat "'%d %d' % (len(vip('$P')['backends']), sum(len(v['backends']) for v in d['vips']))")"
expect_eq "lookup on the emptied VIP says none" "none None" \
	"$(siobpf lookup --json $P "${CL4[0]}" | py 'd["reason"] + " " + str(d["backend"])')"
drops0=$(siobpf stats --json | py 'd["counters"]["drop_no_backend"]')
got=$(in_ns c curl -s --max-time 1 --interface "${CL4[5]}" "http://$VIP4:8080/")
drops1=$(siobpf stats --json | py 'd["counters"]["drop_no_backend"]')
if [ -z "$got" ] && [ "$drops1" -gt "$drops0" ]; then
	pass "traffic to the emptied VIP is dropped (drop_no_backend $drops0 -> $drops1)"
else fail "traffic to the emptied VIP is dropped (answer '$got', drop_no_backend $drops0 -> $drops1)"; fi
# The same backends added one by one, in reverse order, make the same ring.
ok=0
for n in $(seq 120 -1 101); do run backend add $P 10.77.1.$n && ok=$((ok + 1)); done
lookups $P "${CL4[@]:0:100}" >"$T/lkp2"
check_verdict "the ring after the 20 parallel adds equals the ring of 20 sequential adds in reverse order (100 clients, $ok added)" \
	equal "$T/lkp" "$T/lkp2"
pids=()
for n in $(seq 101 120); do
	siobpf backend del $P 10.77.1.$n >/dev/null 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
expect_eq "after deleting them all again the table is as before" "0 $nb_before" \
	"$(stat "'%d %d' % (len(vip('$P')['backends']), sum(len(v['backends']) for v in d['vips']))")"
pids=()
for n in $(seq 9001 9010); do
	siobpf vip add $VIP4:$n >/dev/null 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
expect_eq "10 parallel vip add of distinct VIPs all exit 0; status lists them all, every VIP with its own id" \
	"$(printf '0 %.0s' $(seq 10))10 True" \
	"$rcs$(stat '"%d %s" % (sum(1 for v in d["vips"] if v["port"] > 9000), len(set(v["id"] for v in d["vips"])) == len(d["vips"]))')"
pids=()
for n in $(seq 9001 9010); do
	siobpf vip del $VIP4:$n >/dev/null 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
expect_eq "10 parallel vip del all exit 0 and leave none of those VIPs" "$(printf '0 %.0s' $(seq 10))0" \
	"$rcs$(stat 'sum(1 for v in d["vips"] if v["port"] > 9000)')"
for n in $(seq 101 120); do echo "addr del 10.77.1.$n/16 dev eth0"; done | ip -n "$SIO_NS-b3" -batch -

# ================================================================ stats
section "stats"

run stats
expect_eq "stats (text) exits 0 with per-VIP lines and the verdict counters" "0 yes" \
	"$RC $(grep -qF "vip $V4" "$T/out" && grep -q '^packets by verdict: tx=[1-9]' "$T/out" && echo yes)"
nsenter --net="/run/netns/$SIO_NS-lb" timeout --preserve-status 2.5 "$BUILD/siobpf" stats --watch 1 --json \
	>"$T/watch" 2>&1 &
wpid=$!
sleep 0.3
https "${CL4[@]:0:20}" >/dev/null
wait "$wpid"
wrc=$?
msg=$(python3 - "$T/watch" "$V4" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
p = []
if len(lines) < 2:
    p.append("%d lines" % len(lines))
else:
    try:
        docs = [json.loads(l) for l in lines]
    except ValueError as e:
        docs = []
        p.append("not JSON: %s" % e)
    if docs:
        v = next(v for v in docs[1]["vips"] if v["vip"] == sys.argv[2])
        if "packets_per_sec" in docs[0]["vips"][0]:
            p.append("the first sample has rates")
        if not v.get("packets_per_sec", 0) > 0:
            p.append("second sample: packets_per_sec %r" % v.get("packets_per_sec"))
        if not 0.8 < docs[1].get("interval", 0) < 1.5:
            p.append("interval %r" % docs[1].get("interval"))
        if "packets_per_sec" not in v["backends"][0]:
            p.append("no backend rates")
print("; ".join(p))
PY
)
expect_eq "stats --watch 1 --json prints a JSON line a second, rates (packets_per_sec > 0 under traffic) from the second" "" "$msg"
expect_eq "stats --watch ends with exit 0 on SIGTERM" 0 "$wrc"
run -v status --json
expect_eq "-v before the command is accepted" 0 "$RC"
run -vv version
expect_eq "-vv before the command is accepted" 0 "$RC"

# ================================================================ unload (native)
section "unload (native)"

expect_run "unload eth0 exits 0 and removes the pins once no interface uses them" 0 \
	"no interface uses siobpf any more: removed $SIOBPF_PIN_DIR" unload eth0
expect_eq "after unload eth0 has no XDP program and the pin directory is gone" ":absent" \
	"$(xdp_flag eth0):$([ -e "$SIOBPF_PIN_DIR" ] && echo present || echo absent)"
expect_run "a second unload exits 1 saying siobpf is not loaded" 1 "run \`siobpf load IFACE\` first" unload eth0
got=$(in_ns c curl -s --max-time 1 --interface "${CL4[0]}" "http://$VIP4/")
expect_eq "after unload traffic to the VIP is no longer balanced (no backend answers)" "" "$got"

# ================================================================ generic mode, another pin directory
section "generic mode, another pin directory"

expect_run "load --mode generic --pin-dir DIR exits 0" 0 "siobpf attached to eth0 (generic mode), maps in $ALT" \
	load eth0 --mode generic --pin-dir "$ALT"
expect_eq "the generic program is attached as xdpgeneric" xdpgeneric "$(xdp_flag eth0)"
check "--pin-dir puts every map in that directory" pins_in "$ALT"
expect_eq "--pin-dir wins over \$SIOBPF_PIN_DIR (nothing created there)" absent \
	"$([ -e "$SIOBPF_PIN_DIR" ] && echo present || echo absent)"
expect_eq "status --pin-dir DIR --json shows eth0 in generic mode" '[{"ifname": "eth0", "mode": "generic"}]' \
	"$(siobpf status --pin-dir "$ALT" --json | py 'd["interfaces"]')"
expect_run "status with the other (empty) \$SIOBPF_PIN_DIR exits 1: not loaded there" 1 "run \`siobpf load IFACE\` first" status
export SIOBPF_PIN_DIR=$ALT
ok=0
run vip add $V4 && run vip add "$V6" && ok=2
for n in 1 2 3; do
	run backend add $V4 10.77.1.$n && ok=$((ok + 1))
	run backend add "$V6" fd77::1:$n && ok=$((ok + 1))
done
expect_eq "with \$SIOBPF_PIN_DIR=DIR two VIPs and 6 backends are added there" 8 "$ok"
expect_eq "the global --pin-dir DIR form reads the same state" "$(status_json)" \
	"$(SIOBPF_PIN_DIR=$EMPTY siobpf --pin-dir "$ALT" status --json)"
G4=("${CL4[@]:0:60}")
G6=("${CL6[@]:0:20}")
lookups $V4 "${G4[@]}" >"$T/g4"
lookups "$V6" "${G6[@]}" >"$T/g6"
check_verdict "generic mode: lookup names a ring backend for 60 IPv4 clients" reason ring 60 "$T/g4"
check_verdict "generic mode: lookup names a ring backend for 20 IPv6 clients" reason ring 20 "$T/g6"
https "${G4[@]}" >"$T/ga4"
https "${G6[@]}" >"$T/ga6"
check_verdict "generic mode: each IPv4 request reaches the backend lookup named" reach "$T/g4" "$T/ga4"
check_verdict "generic mode: each IPv6 request reaches the backend lookup named" reach "$T/g6" "$T/ga6"
expect_eq "generic mode: the 60 IPv4 clients are spread over all 3 backends" "b1 b2 b3" "$(verdict answered "$T/ga4")"
st_before=$(status_json)
expect_run "generic mode: reload eth0 exits 0" 0 "siobpf reloaded on eth0" reload eth0
expect_eq "generic mode: reload keeps xdpgeneric and the status" "xdpgeneric yes" \
	"$(xdp_flag eth0) $([ "$st_before" = "$(status_json)" ] && echo yes)"
lookups $V4 "${G4[@]}" >"$T/g4b"
check_verdict "generic mode: after reload lookup says sticky with the same backend" same "$T/g4" "$T/g4b"
expect_run "a second interface (lo, generic) shares the pins" 0 "siobpf attached to lo (generic mode), maps in $ALT" \
	load lo --mode generic
expect_eq "status lists both interfaces" '["eth0", "lo"]' "$(stat 'sorted(i["ifname"] for i in d["interfaces"])')"
run unload eth0
if [ "$RC" = 0 ] && ! grep -q removed "$T/out" && pins_in "$ALT"; then
	pass "unload of one of two interfaces exits 0 and keeps the pins"
else fail "unload of one of two interfaces exits 0 and keeps the pins (exit $RC: $(out) $(err))"; fi
expect_eq "the VIPs survive while lo still uses the pins" "2 lo" \
	"$(stat '"%d %s" % (len(d["vips"]), " ".join(i["ifname"] for i in d["interfaces"]))')"
expect_run "unload of the last interface removes the pin directory" 0 "removed $ALT" unload lo
expect_eq "the pin directory given by --pin-dir/\$SIOBPF_PIN_DIR is gone" absent "$([ -e "$ALT" ] && echo present || echo absent)"

finish
