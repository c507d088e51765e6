#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The Grafana dashboard (contrib/grafana/siobpf.json) against what
# `siobpf run --metrics` serves: a daemon in the balancer's namespace
# watches one VIP with a backend up, one its probe took down and one an
# operator drained, clients send it traffic, and its /metrics is scraped.
# It proves that:
#
#  1. the scrape passes `promtool check metrics` with no problem reported;
#  2. every metric the dashboard's queries and variables name is in the
#     scrape, and every label they filter, group or title a legend by is on
#     every series they read (Prometheus adds job and instance itself);
#  3. every query is valid PromQL (`promtool check rules`, no server);
#  4. the dashboard is importable as it is: one datasource variable that
#     every query uses, a vip variable, unique panel ids, and the rows
#     Overview, VIPs, Backends, Probes, Data path reasons;
#  5. what the panels draw has values: traffic, new sticky entries, the
#     three backend states (1 and 0), probe failures and the verdict reasons;
#  6. a method other than GET and HEAD is answered 405 with an Allow header,
#     a malformed request 400; both are counted in
#     siobpf_metrics_requests_rejected_total, GET is still served, and 200
#     of them add one line to the daemon's log, not 200;
#  7. all of it while the daemon's sockets are numbered past 1023 (it
#     inherits 1100 open descriptors): the server is not select()'s.
SIO_NS=siomet
source "$(dirname "$0")/lib.sh"
require curl nginx python3 nsenter promtool

export CLIENTS4=20 CLIENTS6=1 BACKENDS=3
INTERVAL=200 TIMEOUT=100 RISE=2 FALL=3
VIP=$VIP4:80
VIPL=$VIP4:80/tcp # the vip label, as siobpf status writes it
METRICS=127.0.0.1:9471
DASHBOARD=$ROOT/contrib/grafana/siobpf.json
TOP=$(mktemp -d /tmp/siobpf-metrics.XXXXXX)
trap 'rm -rf "$TOP"' EXIT
LOG=$SIO_RUN/daemon.log # kept after the test, for a look at what happened
DAEMON_PID=

# A copy of the binary: a rebuild of $BUILD while the test runs must not
# pull the daemon or the CLI from under it.
export SIOBPF_BIN=$TOP/siobpf
cp "$BUILD/siobpf" "$SIOBPF_BIN" || { fail "copy $BUILD/siobpf (run make first)"; finish; exit 1; }
siobpf() { nsenter --net="/run/netns/$SIO_NS-lb" "$SIOBPF_BIN" "$@"; }
in_lb() { nsenter --net="/run/netns/$SIO_NS-lb" "$@"; }

cleanup() {
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	teardown_topology
	rm -rf "$TOP"
}

# setup_step WHAT COMMAND...: lib.sh's setup with a name for the step: its
# output is dropped, its errors shown, and its failure ends the test as a
# failure that names the step, followed by the daemon's log.
setup_step() {
	local what=$1
	shift
	"$@" >/dev/null && return 0
	fail "setup: $what"
	[ -s "$LOG" ] && tail -20 "$LOG" | sed 's/^/#   /'
	finish
	exit 1
}

log_start() { mkdir -p "$SIO_RUN" && : >"$LOG"; }
# clean RC OUTPUT: a linter exited 0 and printed nothing.
clean() { [ "$1" -eq 0 ] && [ -z "$2" ]; }
metrics_get() { in_lb curl -sf --max-time 3 "http://$METRICS/metrics"; }
scrape() { metrics_get >"$TOP/scrape" && grep -q '^siobpf_' "$TOP/scrape"; }
# wait_metric LINE SECONDS: the scrape has exactly LINE.
wait_metric() {
	local i
	for i in $(seq $(($2 * 10))); do
		metrics_get | grep -qxF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# traffic N: one HTTP request from each of the first N clients; all answered.
traffic() {
	local i name answered=0
	for i in $(seq 1 "$1"); do
		name=$(http_from "$(client4 "$i")")
		[[ $name =~ ^b[0-9]+$ ]] && answered=$((answered + 1))
	done
	[ "$answered" -eq "$1" ] || { echo "# $answered of $1 clients answered" >&2; return 1; }
}

# ---------------------------------------------------------------------------
# The checks on the dashboard, in Python (json, re): see the header.
cat >"$TOP/check.py" <<'PY'
# refs DASHBOARD SCRAPE RULES: metrics and labels of every query and variable
#   against the scrape; writes the queries as recording rules to RULES for
#   promtool check rules; prints "problem: ..." lines and
#   "queries Q metrics M missing N labels L missing N".
# shape DASHBOARD: the dashboard's importable form and rows.
# values SCRAPE VIP: the series the panels draw have values.
import json, re, sys

# Prometheus attaches these to every series it scrapes: no exporter serves them.
TARGET_LABELS = {"job", "instance"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "and", "or", "unless", "inf", "nan"}
CLAUSE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)?\s*\{([^{}]*)\}")
MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
IDENT = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)(?![\w:])(\s*\()?")
LEGEND = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
# Grafana's variables, replaced as a dashboard would expand them.
GRAFANA = [(r"\$__rate_interval|\$__interval|\$__range", "5m"), (r"\$\{?[A-Za-z_]\w*\}?", ".*")]


def parse_scrape(path):
    series = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m:
            raise ValueError("not exposition format: %r" % line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        series.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return series


def expand(expr):
    for pattern, value in GRAFANA:
        expr = re.sub(pattern, value, expr)
    return expr


def analyse(expr):
    """(metrics, {metric: labels its matchers name}, labels the clauses name)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expand(expr))
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    matched, grouped = {}, set()
    for m in CLAUSE.finditer(text):
        grouped |= {l.strip() for l in m.group(2).split(",") if l.strip()}
    text = CLAUSE.sub(" ", text)
    for m in SELECTOR.finditer(text):
        name = m.group(1) or ""
        matched.setdefault(name, set()).update(MATCHER.findall(m.group(2)))
    text = SELECTOR.sub(lambda m: " %s " % (m.group(1) or ""), text)
    metrics = set(n for n in matched if n)
    for m in IDENT.finditer(text):
        if m.group(2) is None and m.group(1) not in KEYWORDS:
            metrics.add(m.group(1))
    return metrics, matched, grouped


def queries(dash):
    """(where, expr, legend) for every panel target, in rows too."""
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    yield "panel %r %s" % (p.get("title"), t.get("refId")), t["expr"], t.get("legendFormat", "")
            yield from walk(p.get("panels", []))
    yield from walk(dash.get("panels", []))


def variables(dash):
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else q or ""
        yield "variable %r" % v.get("name"), q


def refs(dash_path, scrape_path, rules_path):
    dash = json.load(open(dash_path))
    series = parse_scrape(scrape_path)
    labels_of = {n: set().union(*(set(l) for l, _ in s)) for n, s in series.items()}
    problems, label_problems, seen_metrics, seen_labels, rules = [], [], set(), set(), []

    def check(where, expr, extra_labels, legend_labels):
        metrics, matched, grouped = analyse(expr)
        if "" in matched:
            problems.append("%s: a selector without a metric name: %s" % (where, expr))
        if not metrics:
            problems.append("%s: names no metric: %s" % (where, expr))
        for name in sorted(metrics):
            seen_metrics.add(name)
            if name not in series:
                problems.append("%s: %s is not in the scrape" % (where, name))
                continue
            have = labels_of[name] | TARGET_LABELS
            # A matcher's label must be on its own selector's series; a
            # clause's or legend's on every series the query reads.
            for label in sorted((matched.get(name, set()) | grouped | extra_labels) - have):
                label_problems.append("%s: %s has no label %r" % (where, name, label))
            seen_labels.update(matched.get(name, set()) | grouped | extra_labels)
        if grouped and legend_labels - grouped:
            label_problems.append("%s: legend names %s, which its aggregation drops" %
                            (where, sorted(legend_labels - grouped)))

    n = 0
    for where, expr, legend in queries(dash):
        n += 1
        legend_labels = set(LEGEND.findall(legend))
        check(where, expr, legend_labels, legend_labels)
        rules.append({"record": "dashboard:query_%d" % n, "expr": expand(expr)})
    for where, q in variables(dash):
        n += 1
        m = re.match(r"^\s*label_values\((.*),\s*([A-Za-z_]\w*)\s*\)\s*$", q)
        if not m:
            problems.append("%s: not label_values(SELECTOR, LABEL): %r" % (where, q))
            continue
        check(where, m.group(1), {m.group(2)}, set())
        rules.append({"record": "dashboard:query_%d" % n, "expr": expand(m.group(1))})
    # JSON is YAML: promtool reads this as a rules file.
    json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(rules_path, "w"), indent=1)
    for p in problems + label_problems:
        print("problem:", p)
    print("queries %d metrics %d missing %d labels %d missing %d" % (
        n, len(seen_metrics), len(problems) + (not n), len(seen_labels - TARGET_LABELS), len(label_problems)))
    return 1 if problems or label_problems or not n else 0


def shape(dash_path):
    dash = json.load(open(dash_path))
    problems = []
    temps = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = [v for v in temps.values() if v.get("type") == "datasource"]
    if len(ds) != 1 or ds[0].get("query") != "prometheus":
        problems.append("not one Prometheus datasource variable: %s" % [v.get("name") for v in ds])
    ds_ref = "${%s}" % ds[0]["name"] if ds else None
    if temps.get("vip", {}).get("type") != "query":
        problems.append("no vip query variable")
    if not 36 <= dash.get("schemaVersion", 0) <= 41:
        problems.append("schemaVersion %s" % dash.get("schemaVersion"))
    if dash.get("id") is not None or not dash.get("uid") or not dash.get("title"):
        problems.append("id must be null (Grafana gives one), uid and title set")
    ids, rows = [], []

    def walk(panels):
        for p in panels:
            ids.append(p.get("id"))
            if p.get("type") == "row":
                rows.append(p.get("title"))
            elif "targets" in p:
                pds = p.get("datasource", {}).get("uid")
                if pds != ds_ref:
                    problems.append("panel %r: datasource %s, not %s" % (p.get("title"), pds, ds_ref))
                for t in p["targets"]:
                    tds = t.get("datasource", {}).get("uid", pds)
                    if tds != ds_ref:
                        problems.append("panel %r %s: datasource %s" % (p.get("title"), t.get("refId"), tds))
            if p.get("type") != "row" and not p.get("gridPos"):
                problems.append("panel %r has no gridPos" % p.get("title"))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    for v in temps.values():
        if v.get("type") == "query" and v.get("datasource", {}).get("uid") != ds_ref:
            problems.append("variable %r: datasource %s" % (v.get("name"), v.get("datasource")))
    if len(ids) != len(set(ids)) or None in ids:
        problems.append("panel ids not unique: %s" % ids)
    want = ["Overview", "VIPs", "Backends", "Probes", "Data path reasons"]
    if rows != want:
        problems.append("rows %s, expected %s" % (rows, want))
    for p in problems:
        print("problem:", p)
    print("panels %d rows %d problems %d" % (len(ids) - len(rows), len(rows), len(problems)))
    return 1 if problems else 0


def values(scrape_path, vip):
    series = parse_scrape(scrape_path)
    problems = []

    def pick(name, **want):
        return [v for l, v in series.get(name, []) if all(l.get(k) == w for k, w in want.items())]

    for name in ("siobpf_vip_packets_total", "siobpf_vip_bytes_total", "siobpf_vip_new_sticky_total"):
        if sum(pick(name, vip=vip)) <= 0:
            problems.append("%s{vip=%s} is 0" % (name, vip))
    for name in ("siobpf_backend_packets_total", "siobpf_backend_bytes_total", "siobpf_backend_new_sticky_total"):
        if sum(pick(name, vip=vip, backend="10.77.1.1")) <= 0:
            problems.append("%s of the up backend is 0" % name)
    for addr, state in (("10.77.1.1", "up"), ("10.77.1.2", "down"), ("10.77.1.3", "drain")):
        for s in ("up", "drain", "down"):
            got = pick("siobpf_backend_state", vip=vip, backend=addr, state=s)
            if got != [1.0 if s == state else 0.0]:
                problems.append("siobpf_backend_state{%s,%s}: %s, expected it %s" % (addr, s, got, state))
    if pick("siobpf_backend_probe_down", vip=vip, backend="10.77.1.2") != [1.0]:
        problems.append("the stopped backend is not down by its probe")
    if pick("siobpf_backend_probe_success", vip=vip, backend="10.77.1.2") != [0.0]:
        problems.append("the stopped backend's last probe did not fail")
    if sum(pick("siobpf_backend_probes_total", vip=vip, backend="10.77.1.2", result="fail")) < 3:
        problems.append("fewer than fall failed probes counted")
    if not all(0 < v < 1 for v in pick("siobpf_backend_probe_latency_seconds", vip=vip, backend="10.77.1.1")):
        problems.append("probe latency of the up backend not in (0, 1) s")
    if sum(pick("siobpf_packets_total", reason="tx")) <= 0:
        problems.append("no packet counted by reason tx")
    # No reader asked for new-entry events: none written, none lost.
    for name in ("siobpf_entry_events_total", "siobpf_entry_events_lost_total"):
        if pick(name) != [0.0]:
            problems.append("%s: %s, expected [0.0]" % (name, pick(name)))
    for p in problems:
        print("problem:", p)
    print("problems %d" % len(problems))
    return 1 if problems else 0


cmd, args = sys.argv[1], sys.argv[2:]
sys.exit({"refs": refs, "shape": shape, "values": values}[cmd](*args))
PY

# ---------------------------------------------------------------------------
trap cleanup EXIT
setup_step "$DASHBOARD is JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$DASHBOARD"
setup_topology || { finish; exit 1; }
trap cleanup EXIT # setup_topology set its own
setup_step "the daemon's log $LOG" log_start
setup_step "siobpf load eth0" siobpf load eth0
setup_step "vip add $VIP" siobpf vip add "$VIP" --interval $INTERVAL --timeout $TIMEOUT --rise $RISE --fall $FALL
for i in 1 2 3; do
	setup_step "backend add 10.77.1.$i" siobpf backend add "$VIP" 10.77.1.$i
done
setup_step "drain backend 10.77.1.3" siobpf backend set "$VIP" 10.77.1.3 --state drain
setup_step "stop b2's server" "$ROOT/scripts/servers.sh" stop 2

# Not through a shell function: $! must be the daemon itself (the subshell
# and nsenter exec it). The 1100 descriptors it inherits (no close-on-exec)
# push every socket it opens past select()'s FD_SETSIZE of 1024.
(
	ulimit -n 4096 || exit 1
	exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null 8</dev/null 9</dev/null
	for _ in $(seq 1100); do exec {fd}</dev/null; done # from 10 up
	exec nsenter --net="/run/netns/$SIO_NS-lb" "$SIOBPF_BIN" run --metrics "$METRICS"
) >>"$LOG" 2>&1 &
DAEMON_PID=$!
setup_step "siobpf run --metrics $METRICS watches 3 backends" wait_log 'watching 3 backends of 1 VIP' 5
setup_step "its probe takes the stopped backend down" \
	wait_metric "siobpf_backend_state{vip=\"$VIPL\",backend=\"10.77.1.2\",state=\"down\"} 1" 5
setup_step "every client is answered through the VIP" traffic "$CLIENTS4"
setup_step "scrape http://$METRICS/metrics" scrape
echo "# scrape: $(grep -c '^siobpf_' "$TOP/scrape") samples of $(grep -c '^# TYPE ' "$TOP/scrape") families"
# sockets_past_1023 PID: the daemon holds a socket numbered 1024 or more.
sockets_past_1023() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "${fd##*/}" -ge 1024 ] && [[ $(readlink "$fd") == socket:* ]] && return 0
	done
	return 1
}
check "the daemon's sockets are numbered past select()'s limit of 1023" sockets_past_1023 "$DAEMON_PID"

# ---------------------------------------------------------------------------
# 1. The exposition lints clean.
out=$(promtool check metrics <"$TOP/scrape" 2>&1)
rc=$?
[ -n "$out" ] && echo "$out" | sed 's/^/# promtool: /'
check "promtool check metrics finds no problem in the scrape (exit $rc)" clean "$rc" "$out"

# 2. The dashboard names only what the exporter serves.
out=$(python3 "$TOP/check.py" refs "$DASHBOARD" "$TOP/scrape" "$TOP/rules.yml")
echo "$out" | sed 's/^/# /'
check "every metric the dashboard's queries and variables name is in the scrape" \
	grep -qE '^queries [1-9][0-9]* metrics [0-9]+ missing 0 ' <<<"$out"
check "every label they filter, group or title a legend by is on the series they read" \
	grep -qE ' labels [0-9]+ missing 0$' <<<"$out"

# 3. Its queries are PromQL.
out=$(promtool check rules "$TOP/rules.yml" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/# promtool: /'
check "every query of the dashboard is valid PromQL (promtool check rules)" [ "$rc" -eq 0 ]

# 4. It imports as it is.
out=$(python3 "$TOP/check.py" shape "$DASHBOARD")
echo "$out" | sed 's/^/# /'
check "the dashboard has a Prometheus datasource variable every query uses, a vip variable, unique panels and its five rows" \
	grep -q 'problems 0$' <<<"$out"

# 5. What the panels draw has values.
out=$(python3 "$TOP/check.py" values "$TOP/scrape" "$VIPL")
echo "$out" | sed 's/^/# /'
check "traffic, new sticky entries, the three states, probe failures and reasons have values" \
	grep -q 'problems 0$' <<<"$out"

# 6. Requests it does not serve: answered, counted, logged at most once a minute.
# rejected REASON: the counter's value in a fresh scrape ("" when absent).
rejected() {
	metrics_get | awk -v s="siobpf_metrics_requests_rejected_total{reason=\"$1\"}" '$1 == s {print $2}'
}
# raw TEXT: TEXT (printf escapes) on one connection; the answer's status line.
raw() { printf "$1" | in_lb socat -t2 - "TCP:$METRICS" 2>/dev/null | head -1 | tr -d '\r'; }
# answered405 HEADERS: a 405 whose Allow header names GET and HEAD.
answered405() { tr -d '\r' <"$1" | grep -q '^HTTP/1.1 405 ' && tr -d '\r' <"$1" | grep -qix 'allow: GET, HEAD'; }
# gained N: the lines the daemon's log gained after its first N, but state changes.
gained() { tail -n +$(($1 + 1)) "$LOG" | grep -vc ' -> '; }
method0=$(rejected method)
malformed0=$(rejected malformed)
log0=$(wc -l <"$LOG")
in_lb curl -s --max-time 3 -D "$TOP/post" -o /dev/null -X POST --data 'x=1' "http://$METRICS/metrics"
check "POST /metrics is answered 405 with Allow: GET, HEAD" answered405 "$TOP/post"
in_lb curl -s --max-time 3 -D "$TOP/put" -o /dev/null -X PUT --data-binary @"$DASHBOARD" "http://$METRICS/metrics"
check "PUT /metrics with a 40 kB body is answered 405 with Allow: GET, HEAD" answered405 "$TOP/put"
expect_eq "a request with a made-up method is answered 405" "HTTP/1.1 405 Method Not Allowed" \
	"$(raw 'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n')"
expect_eq "a request with a header line that is no header is answered 400" "HTTP/1.1 400 Bad Request" \
	"$(raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n')"
for i in $(seq 100); do
	raw 'DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >/dev/null
	raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n' >/dev/null
done
check "after 204 refused requests GET /metrics is still served" scrape
expect_eq "siobpf_metrics_requests_rejected_total{reason=\"method\"} counts the POST, the PUT and 101 others" \
	"$((${method0:-0} + 103))" "$(rejected method)"
expect_eq "siobpf_metrics_requests_rejected_total{reason=\"malformed\"} counts the 101 malformed ones" \
	"$((${malformed0:-0} + 101))" "$(rejected malformed)"
expect_eq "204 refused requests add one line to the daemon's log (the next comes a minute later at most)" \
	1 "$(gained "$log0")"
check "that line names the refusal and the counter" grep -qF \
	'warning: metrics: refused a POST request with 405; further refusals are counted in siobpf_metrics_requests_rejected_total' "$LOG"

if [ "$TESTS_FAILED" -gt 0 ]; then
	echo "# scrape:"
	sed 's/^/#   /' "$TOP/scrape"
	echo "# daemon log (last 20 lines):"
	tail -20 "$LOG" | sed 's/^/#   /'
fi
finish
