#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Turns a bench run's raw data into bench/results/: one JSON file per
# section, summary.md, and PNG charts drawn by gnuplot. Every figure is set
# against a baseline measured in the same run.
#
#   report.py WORK OUT     collect WORK (run.sh's raw data) into OUT and render
#   report.py --render OUT re-render summary.md and the charts from OUT's JSON
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

TARGETS = {
    "sticky_hit": 2.5,          # x the floor, BPF_PROG_TEST_RUN
    "new_client": 5.0,          # x the floor, BPF_PROG_TEST_RUN
    "e2e_ceiling": 0.9,         # x the ceiling's requests/s
    "e2e_forwarder": 0.95,      # x the trivial XDP forwarder's requests/s
}

# The sticky table against the previous one (siobench table), ratios in the
# same run: (case, implementation, measure, target, what).
TABLE_TARGETS = [
    ("hits_1m", "ratio_to_floor_plus_cold_line", 2.0,
     "hits over 1M clients <= 2x (floor + one cold cache line)"),
    ("hits_1m", "ratio_new_to_prev", 0.5, "hits over 1M clients <= 0.5x the previous table"),
    ("new_client_fresh", "ratio_to_floor_plus_cold_line", 3.0,
     "new client, fresh table <= 3x (floor + one cold cache line)"),
    ("new_client_fresh", "ratio_new_to_prev", 0.4, "new client, fresh table <= 0.4x the previous table"),
    ("new_client_reused", "ratio_to_floor_plus_cold_line", 3.0,
     "new client, reused table <= 3x (floor + one cold cache line)"),
    ("new_client_reused", "ratio_new_to_prev", 0.4, "new client, reused table <= 0.4x the previous table"),
    ("hot_hit", "ratio_new_to_prev", 1.0, "hot hit (one client) no slower than the previous table"),
    ("hot_hit", "ratio_new_to_prev", 0.7, "hot hit: aim 0.7x the previous table"),
    ("reused_to_fresh", "new", 1.1, "new client: a reused table within 10% of a fresh one"),
]

E2E_LABELS = {
    "ceiling": "no balancer (ceiling)",
    "xdp-fwd-native": "trivial XDP forwarder, native",
    "siobpf-native": "siobpf, native",
    "xdp-fwd-generic": "trivial XDP forwarder, generic",
    "siobpf-generic": "siobpf, generic",
    "haproxy": "HAProxy (tcp, balance source, consistent)",
    "nginx": "nginx stream (hash $remote_addr consistent)",
    "nftables": "nftables DNAT (jhash ip saddr mod N)",
}


def load(path):
    with open(path) as f:
        return json.load(f)


def dump(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


# ---------------------------------------------------------------- collect

def collect_meta(work):
    meta = {}
    with open(os.path.join(work, "meta.txt")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            meta[key] = value
    meta["seconds"] = int(meta.get("seconds", "0"))
    return meta


def collect_testrun(work):
    d = load(os.path.join(work, "testrun.json"))
    c = d["cases"]
    checks = []
    for name in ("sticky_hit_v4", "sticky_hit_v6"):
        r = c[name]["ratio_to_floor"]
        checks.append({"case": name, "ratio": r, "target": TARGETS["sticky_hit"],
                       "met": r <= TARGETS["sticky_hit"]})
    for name in ("new_client_v4", "new_client_v6", "new_connection_ip_port", "new_client_ring"):
        r = c[name]["ratio_to_floor"]
        checks.append({"case": name, "ratio": r, "target": TARGETS["new_client"],
                       "met": r <= TARGETS["new_client"]})
    d["targets"] = checks
    d["method"] = (
        "Each case runs BPF_PROG_TEST_RUN with `repeat` on one frame; ns is the measuring "
        "thread's CPU time per repetition, the best (lowest) of the rounds, since interference "
        "from other work on the machine (including its interrupts, charged to whichever task "
        "they land on) only ever adds time; the median is kept as ns_median. With repeat the kernel hands each repetition the "
        "previous one's output, so a plain repeat of one frame is the same client every time: "
        "right for sticky hits and the not-a-VIP pass, wrong for a new client. For new clients "
        "bench/driver.bpf.c rewrites the client address (or port) from a counter on every "
        "repetition and tail-calls siobpf, so each repetition is a client never seen before "
        "(new_entries_per_packet = 1.0 proves it from siobpf's own counters). The driver's "
        "own cost (driver_floor minus floor, same round) is subtracted: net_ns. "
        "new_client_ring uses a VIP with --persist 0: a miss and a ring lookup per packet "
        "but no insert. Insert cases start from an empty table of the product's size "
        "(rated for 2^20 clients: 2^18 buckets of 8 slots) and fill it to its rated size "
        "(half its slots) with repeat = 1,000,000. "
        "The flood cases send a spoofed source per frame (flood_syn: a SYN each; flood_ack: "
        "an ACK each; flood_syn_then_ack: a SYN and then an ACK from each source) against "
        "admission: the key's two buckets missed, then the ring, and for a SYN a probation "
        "slot; ratio_to_sticky_hit sets each against sticky_hit_v4 of the same run."
    )
    return d


def collect_table(work):
    d = load(os.path.join(work, "table.json"))
    checks = []
    for case, measure, target, what in TABLE_TARGETS:
        if case == "reused_to_fresh":
            r = d["reused_to_fresh"][measure]
        elif measure == "ratio_new_to_prev":
            r = d["cases"][case]["ratio_new_to_prev"]
        else:
            r = d["cases"][case]["new"][measure]
        checks.append({"case": case, "measure": measure, "what": what, "ratio": r,
                       "target": target, "met": r is not None and r <= target})
    rated = d["rated"]
    checks.append({"case": "rated", "measure": "first_full_at", "what":
                   "the rated size (buckets x 4 clients) holds: no insert refused below it",
                   "ratio": rated["first_full_at"] / rated["rated_clients"], "target": 1.0,
                   "met": rated["first_full_at"] >= rated["rated_clients"], "higher": True})
    checks.append({"case": "rated", "measure": "bytes_per_client_at_rated", "what":
                   "memory at the rated size <= 16 bytes per client",
                   "ratio": rated["bytes_per_client_at_rated"], "target": 16.0,
                   "met": rated["bytes_per_client_at_rated"] <= 16.0 * 1.001, "unit": "bytes"})
    d["targets"] = checks
    d["method"] = (
        "The real program (new: the bucket table) and the same program built with "
        "bench/sticky_prev.h in place of bpf/sticky.h (prev: the previous table, two LRU hashes "
        "of the full key, 2^20 protected entries and 2^17 on probation) are loaded side by side "
        "sharing every other map (VIPs, backends, rings, counters), and run on the same frames "
        "in the same rounds, alternating which goes first. hot_hit: one client's ACK over and over "
        "(repeat of one frame); hits_1k, hits_1m: ACKs (an established connection's packets, "
        "what most hits are), bench/driver.bpf.c cycling the source over "
        "1,000 or 1,000,000 clients whose protected entries were written from user space into "
        "both tables, after a warm-up pass; new_client_fresh: 1,000,000 never-seen clients' "
        "first SYN each into freshly loaded tables; new_client_reused: after that, 2,000,000 more "
        "new clients go through the same tables (the bucket table evicts over a million "
        "newcomers' probation slots; the previous probation LRU evicts ~3M), then 1,000,000 "
        "never-seen clients are measured. Driver cases are net of the driver (driver_overhead_ns, "
        "the driver in front of the floor). The floor plus one cold cache line is floor_swap "
        "plus (cold_read - counter) of bench/bound.bpf.c, same rounds. The best round is the "
        "estimate. The rated size: distinct random clients written as protected slots, with the "
        "insert rule the program uses, into a default-size table until the first finds no room; "
        "the previous table's memory is its LRU's memlock over its entries, as before.")
    return d


def collect_live(work):
    d = {"balancer_veth": load(os.path.join(work, "live", "lb.json")), "topology": {}}
    for mode in ("native", "generic"):
        m = {}
        for bal in ("siobpf", "floor_fwd"):
            runs = []
            r = 1
            while os.path.exists(os.path.join(work, "live", "%s-%s-%d.json" % (mode, bal, r))):
                runs.append(load(os.path.join(work, "live", "%s-%s-%d.json" % (mode, bal, r))))
                r += 1
            m[bal] = {
                "delivered_pps": med([x["delivered_pps"] for x in runs]),
                "sent_pps": med([x["sent_pps"] for x in runs]),
                "delivered_share": med([x["delivered"] / x["sent"] for x in runs if x["sent"]]),
                "generator_kernel_ns": med([x["generator_kernel_ns"] for x in runs]),
                "rounds": runs,
            }
        rounds = min(len(m["siobpf"]["rounds"]), len(m["floor_fwd"]["rounds"]))
        m["ratio_to_floor_fwd"] = med([
            ratio(m["siobpf"]["rounds"][i]["delivered_pps"], m["floor_fwd"]["rounds"][i]["delivered_pps"])
            for i in range(rounds)])
        d["topology"][mode] = m
    d["method"] = (
        "balancer_veth: siobpf (a sticky hit) and floor.bpf.c's swap-MACs program run in "
        "live-frames mode on the balancer's veth; XDP_TX is real and the veth peer counts and "
        "drops with XDP. topology: a live-frames generator on a client's veth sends one UDP flow "
        "through the bridge to the balancer's veth, where siobpf or floor_fwd is attached "
        "(native or generic), and on to XDP sinks on the backends that count what arrives; "
        "everything runs in softirq on the generating CPU, so the delivered rate is the cost of "
        "the whole path (two bridge hops, veth, the balancer) and the balancer is a small part."
    )
    return d


def read_wrk(path):
    """wrk.lua's file: totals, and 1,000 latency quantiles (us), each standing
    for a thousandth of the run's requests in the merged distribution."""
    res = {"lat": {}}
    quantiles = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "q":
                quantiles.append(int(parts[2]))
            else:
                res[parts[0]] = int(parts[1])
    if quantiles:
        weight = res.get("requests", 0) / len(quantiles)
        for us in quantiles:
            res["lat"][us] = res["lat"].get(us, 0) + weight
    return res


def percentile(hist, p):
    total = sum(hist.values())
    if not total:
        return None
    want = total * p / 100.0
    seen = 0
    for us in sorted(hist):
        seen += hist[us]
        if seen >= want:
            return us
    return max(hist)


def collect_e2e(work, meta):
    base = os.path.join(work, "e2e")
    files = os.listdir(base) if os.path.isdir(base) else []
    pat = re.compile(r"^(.*)-(close|keepalive)-(\d+)-c(\d+)\.txt$")
    runs = {}
    for name in files:
        m = pat.match(name)
        if not m:
            continue
        cfg, style, rnd, _ = m.groups()
        runs.setdefault(cfg, {}).setdefault(style, {}).setdefault(int(rnd), []).append(
            read_wrk(os.path.join(base, name)))
    out = {"configs": {}}
    for cfg in E2E_LABELS:
        entry = {"label": E2E_LABELS[cfg]}
        err_path = os.path.join(base, cfg + ".error")
        if os.path.exists(err_path):
            entry["error"] = open(err_path).read().strip()
        for style in ("close", "keepalive"):
            rounds = runs.get(cfg, {}).get(style, {})
            if not rounds:
                continue
            per_round = {}
            hist = {}
            errors = 0
            for rnd, ws in sorted(rounds.items()):
                per_round[rnd] = sum(w["requests"] / (w["duration_us"] / 1e6) for w in ws)
                for w in ws:
                    errors += sum(v for k, v in w.items() if k.startswith("errors_"))
                    for us, n in w["lat"].items():
                        hist[us] = hist.get(us, 0) + n
            entry[style] = {
                "requests_per_s": med(list(per_round.values())),
                "requests_per_s_rounds": [per_round[r] for r in sorted(per_round)],
                "p50_ms": percentile(hist, 50) / 1000 if hist else None,
                "p99_ms": percentile(hist, 99) / 1000 if hist else None,
                "requests": sum(hist.values()),
                "errors": errors,
                "_per_round": per_round,
            }
        out["configs"][cfg] = entry

    def per_round_ratios(cfg, base_cfg, style):
        a = out["configs"].get(cfg, {}).get(style)
        b = out["configs"].get(base_cfg, {}).get(style)
        if not a or not b:
            return []
        return [ratio(a["_per_round"][r], b["_per_round"][r]) for r in sorted(a["_per_round"])
                if r in b["_per_round"]]

    def per_round_ratio(cfg, base_cfg, style):
        return med(per_round_ratios(cfg, base_cfg, style))

    for cfg, entry in out["configs"].items():
        for style in ("close", "keepalive"):
            s = entry.get(style)
            if not s:
                continue
            ceiling = out["configs"].get("ceiling", {}).get(style)
            s["ratio_rps_to_ceiling"] = per_round_ratio(cfg, "ceiling", style)
            s["ratio_rps_to_ceiling_rounds"] = per_round_ratios(cfg, "ceiling", style)
            if ceiling:
                s["ratio_p50_to_ceiling"] = ratio(s["p50_ms"], ceiling["p50_ms"])
                s["ratio_p99_to_ceiling"] = ratio(s["p99_ms"], ceiling["p99_ms"])
            if cfg.startswith("siobpf-"):
                fwd = "xdp-fwd-" + cfg.split("-", 1)[1]
                s["ratio_rps_to_forwarder"] = per_round_ratio(cfg, fwd, style)
                s["ratio_rps_to_forwarder_rounds"] = per_round_ratios(cfg, fwd, style)
    for entry in out["configs"].values():
        for style in ("close", "keepalive"):
            if style in entry:
                entry[style].pop("_per_round")

    checks = []
    for cfg in ("siobpf-native", "siobpf-generic"):
        for style in ("close", "keepalive"):
            s = out["configs"].get(cfg, {}).get(style)
            if not s:
                continue
            for key, target in (("ratio_rps_to_ceiling", TARGETS["e2e_ceiling"]),
                                ("ratio_rps_to_forwarder", TARGETS["e2e_forwarder"])):
                r = s.get(key)
                checks.append({"config": cfg, "style": style, "measure": key, "ratio": r,
                               "rounds": s.get(key + "_rounds", []),
                               "target": target, "met": r is not None and r >= target})
    out["targets"] = checks
    out["settings"] = meta.get("settings", "")
    out["method"] = (
        "One wrk (1 thread, N connections) per client namespace, all at once, each namespace "
        "one client address; requests/s is the sum over namespaces, the median over rounds; "
        "ratios are taken per round (each round measures every configuration back to back) "
        "and their median reported (the per-round ratios are kept, to show the spread; the "
        "order of the configurations rotates from round to round). Latency percentiles come "
        "from merging every namespace's and round's distribution (1,000 quantiles each, from "
        "bench/wrk.lua) weighted by its requests (wrk measures from the request's write to the response, "
        "so a new connection's handshake is in requests/s, not in latency). close: "
        "'Connection: close', a new TCP connection per request; keepalive: wrk's default. "
        "Backends: nginx, 1 worker each. ceiling: each client namespace routes the VIP to "
        "one backend directly (the backends hold the VIP). The proxies (HAProxy, nginx "
        "stream) hold the VIP in the balancer's namespace and open their own connections to "
        "the backends, whose replies return to the proxy: not DSR. nftables DNATs in the "
        "balancer's namespace; for its runs the backends route the client networks via the "
        "balancer so that replies are un-NATed there (no SNAT: backends still see client "
        "addresses), with ICMP redirects off."
    )
    return out


def collect_disruption(work):
    base = os.path.join(work, "disruption")
    out = {"systems": {}}
    steps = [("added", "before", None, 3), ("removed", "added", "b1", 4), ("failed", "removed", "b2", 3)]
    for sysname in ("siobpf", "ring", "haproxy", "nginx", "nftables"):
        path = lambda step: os.path.join(base, "%s-%s.json" % (sysname, step))
        if not os.path.exists(path("before")):
            if os.path.exists(os.path.join(base, sysname + ".error")):
                out["systems"][sysname] = {"error": "setup failed"}
            continue
        entry = {}
        for step, prev, gone, n_before in steps:
            if not os.path.exists(path(step)):
                continue
            a, b = load(path(prev)), load(path(step))
            both = [c for c in a if a[c] and b.get(c)]
            moved = [c for c in both if a[c] != b[c]]
            if gone is None:
                # A stateless balanced hash must move 1/(N+1) to fill the new backend.
                minimal = 1.0 / (n_before + 1)
                collateral = [c for c in moved if b[c] != "b4"]
            else:
                # Only the lost backend's clients must move.
                minimal = sum(1 for c in both if a[c] == gone) / len(both) if both else None
                collateral = [c for c in moved if a[c] != gone]
            share = len(moved) / len(both) if both else None
            entry[step] = {
                "clients": len(both),
                "unanswered": len(a) - len(both),
                "moved": len(moved),
                "moved_share": share,
                "minimal_share": minimal,
                "ratio_to_minimal": ratio(share, minimal),
                "moved_not_required": len(collateral),
                "per_backend_after": {k: list(b.values()).count(k) for k in sorted(set(b.values()) - {None})},
            }
        out["systems"][sysname] = entry
    out["method"] = (
        "200 client addresses in one namespace each open a real TCP connection to the VIP "
        "and read which backend answered; then backend 4 joins backends 1-3 (added), "
        "backend 1 leaves 1-4 (removed: `siobpf backend del`, a config reload for the "
        "proxies and nftables), and for siobpf backend 2 fails (`--state down`). moved_share "
        "is the share of clients whose backend changed; minimal_share is what any balanced "
        "stateless hash must move (1/(N+1) on an add; the lost backend's clients on a removal), "
        "so ratio_to_minimal 1.0 is ideal consistent hashing and 0 means nobody moved; "
        "moved_not_required counts clients moved without need. siobpf: sticky table and ring "
        "(--persist 600); ring: siobpf --persist 0. HAProxy servers carry explicit ids, since "
        "its consistent hash keys servers by id (by default their position in the list)."
    )
    return out


def collect_failover(work):
    base = os.path.join(work, "failover")
    if os.path.exists(os.path.join(base, "not-measurable")):
        return {"status": "not measurable",
                "reason": open(os.path.join(base, "not-measurable")).read().strip()}
    out = {"status": "measured", "settings": {}}
    for name in ("default", "subsecond", "drained"):
        p = os.path.join(base, name + ".json")
        if not os.path.exists(p):
            if os.path.exists(os.path.join(base, name + ".error")):
                out["settings"][name] = {"error": open(os.path.join(base, name + ".error")).read().strip()}
            continue
        d = load(p)
        probe = load(os.path.join(base, name + "-status.json"))["vips"][0]["probe"]
        bound = probe["fall"] * probe["interval"] / 1000.0
        d["probe"] = {"interval_ms": probe["interval"], "timeout_ms": probe["timeout"],
                      "fall": probe["fall"], "rise": probe["rise"]}
        d["detection_bound_s"] = bound
        d["ratio_max_to_bound"] = ratio(d["seconds_max"], bound)
        d["ratio_marked_down_to_bound"] = ratio(d.get("marked_down_s"), bound)
        out["settings"][name] = d
    out["method"] = (
        "siobpf run probes the backends; the bench finds the clients of backend 2, keeps "
        "starting a new connection from each of them every 50 ms, stops backend 2's nginx, and records when each "
        "is first answered by another backend, and (polling `siobpf status --json` every 20 ms) "
        "when the maps first show backend 2 down. The baseline is fall x interval: probes run "
        "on a fixed grid, so the first failing one comes up to one interval after the failure "
        "and detection lands between (fall - 1) x interval and fall x interval (plus a probe's "
        "own time). \"drained\": the same with backend 2 drained first (its clients stay "
        "on it until it dies; the daemon must take a drained backend down too)."
    )
    return out


def collect_massfail(work):
    base = os.path.join(work, "massfail")
    if os.path.exists(os.path.join(base, "error")):
        return {"status": "failed", "reason": open(os.path.join(base, "error")).read().strip()}
    d = load(os.path.join(base, "result.json"))
    d["status"] = "measured"
    d["method"] = (
        "500 backends of one IPv6 VIP on one backend machine, applied from one file and probed "
        "by one `siobpf run` (tcp); 250 of their addresses removed in one `ip -batch`. The time "
        "runs from the removal until `siobpf status --json` (polled every 50 ms) shows all 250 "
        "down; the bound is fall x interval + timeout + 1 s (the probes cannot know sooner). "
        "A scraper fetches /metrics every 50 ms throughout; the requirement is every scrape "
        "within 100 ms.")
    return d


def collect(work, out):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith((".json", ".png", ".md")):
            os.remove(os.path.join(out, f))
    meta = collect_meta(work)
    dump(meta, os.path.join(out, "meta.json"))
    dump(collect_testrun(work), os.path.join(out, "testrun.json"))
    scale = load(os.path.join(work, "scale.json"))
    bt = os.path.join(work, "bpftool-sticky.json")
    dump(scale, os.path.join(out, "scale.json"))
    if os.path.exists(os.path.join(work, "table.json")):
        table = collect_table(work)
        if os.path.exists(bt) and os.path.getsize(bt):
            table["memory"]["new"]["bpftool_map_show"] = load(bt)
        dump(table, os.path.join(out, "table.json"))
    if os.path.exists(os.path.join(work, "live", "lb.json")):
        dump(collect_live(work), os.path.join(out, "live.json"))
    dump(collect_e2e(work, meta), os.path.join(out, "e2e.json"))
    dump(collect_disruption(work), os.path.join(out, "disruption.json"))
    dump(collect_failover(work), os.path.join(out, "failover.json"))
    dump(collect_massfail(work), os.path.join(out, "massfail.json"))


# ---------------------------------------------------------------- render

def f(v, digits=2):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return ("%%.%df" % digits) % v
    return str(v)


def x(v):
    return "n/a" if v is None else "%.2fx" % v


def pct(v):
    return "n/a" if v is None else "%.1f%%" % (100 * v)


def spread(values):
    values = [v for v in values or [] if v is not None]
    if len(values) < 2:
        return ""
    return " (%.2f-%.2f)" % (min(values), max(values))


def met(flag):
    return "**met**" if flag else "**not met**"


def least_possible(case, target, bounds):
    """The least-possible cell of a per-packet target: what bench/bound.bpf.c
    measured in the same run, and whether the target lies below it."""
    if not bounds:
        return "not measured in this run"
    floor = bounds["floor"]["ns"]

    def verdict(least, what):
        # A bound within a tenth of the target may land either side of it in another run.
        close = ""
        if abs(least - target) < target / 10:
            close = " (within a tenth of the target: the noise of a shared VM)"
        if least > target:
            return ": **below the least possible here**: %s costs %s%s" % (what, x(least), close)
        return "; leaves %.2fx of the floor for the rest%s" % (target - least, close)

    cold = bounds["cold_read"]["ns_over_floor"] / floor
    if case.startswith("sticky_hit"):
        lru, arr = bounds["lru_hit"]["ratio_to_floor"], bounds["array_hit"]["ratio_to_floor"]
        if "design_hit" in bounds:
            whole = bounds["design_hit"]["ratio_to_floor"]
            text = ("%s doing a hit's whole job with the previous table's LRU hash (its lookup alone: %s; "
                    "an array slot instead: %s)" % (x(whole), x(lru), x(arr)))
            text += verdict(whole, "a hit's whole job with the previous table, and nothing more,")
        else:
            whole = lru
            text = "%s with the previous table's LRU hash (array slot: %s)" % (x(lru), x(arr))
            text += verdict(lru, "the previous table's LRU lookup, in a path stripped of all else,")
        if whole > target:
            text += "; %s" % ("even a plain array slot costs %s" % x(arr) if arr > target else
                              "only a table without the LRU (%s) fits" % x(arr))
        return text
    if case == "new_client_ring":
        # No insert here, and a miss need not touch a line that has left the cache.
        return "no insert, so no bound; for scale, one cold cache line adds %s" % x(cold)
    ins = bounds["lru_insert"]["ratio_to_floor"]
    text = "%s with the previous table's LRU hash; one cold cache line adds %s" % (x(ins), x(cold))
    text += verdict(ins, "the previous table's LRU insert, in a path stripped of all else,")
    if 1 + cold > target:
        text += "%s the floor plus one cold cache line costs %s, whatever 2^20-entry table holds the entry" % (
            ", and" if ins > target else ": **below the least possible here**:", x(1 + cold))
    return text


def table_bound(t, table):
    """The least-possible cell of a table target: the memory the path must
    touch at least, from bench/bound.bpf.c in the same rounds."""
    b = table["bounds"]
    base = b["floor_plus_cold_line_ns"]
    c = table["cases"]
    whole = b.get("bucket_hit_1m_ns")
    if t["case"] == "hits_1m" and t["measure"] != "ratio_new_to_prev":
        text = "floor + one cold line = %.1f ns (fenced: %.1f): one line read is the least a hit on a cold entry costs" % (
            base, b["floor_plus_cold_line_fenced_ns"])
        if whole is not None:
            text += ("; a hit's whole job with this table, stripped of all else (bound_bucket_hit, "
                     "the same table and clients): %.1f ns, %s" % (whole, x(whole / base)))
        return text
    if t["case"] == "hits_1m" and whole is not None:
        prev = c["hits_1m"]["prev"]["net_ns"]
        return ("new %.1f ns, previous %.1f ns; a hit's whole job with this table, stripped of all "
                "else (bound_bucket_hit, the same table and clients): %.1f ns, **%s the previous "
                "table's**" % (c["hits_1m"]["new"]["net_ns"], prev, whole, x(whole / prev)))
    if t["case"].startswith("new_client") and t["measure"] != "ratio_new_to_prev":
        least = b["floor_plus_two_lines_cas_ns"] / base
        return ("floor + two cold lines and a compare-and-exchange (a miss reads both buckets): "
                "%.1f ns, %s (floor + one cold line)" % (b["floor_plus_two_lines_cas_ns"], x(least)))
    if t["measure"] == "ratio_new_to_prev" and t["case"] in c:
        v = c[t["case"]]
        return "new %.1f ns, previous %.1f ns" % (v["new"].get("net_ns", v["new"]["ns"]),
                                                 v["prev"].get("net_ns", v["prev"]["ns"]))
    if t["case"] == "reused_to_fresh":
        return "fresh %.1f ns, reused %.1f ns" % (c["new_client_fresh"]["new"]["net_ns"],
                                                 c["new_client_reused"]["new"]["net_ns"])
    if t["case"] == "rated":
        r = table["rated"]
        return "first insert refused at %d clients; rated %d (%d buckets x 4); %.1f bytes/client there" % (
            r["first_full_at"], r["rated_clients"], r["buckets"], r["bytes_per_client_at_first_full"])
    return ""


def render_table(w, table):
    w("## 1b. The sticky table against the previous one (siobench table, best of %s rounds)" % (
        table["rounds"] if table else "?"))
    w("")
    if not table:
        w("Not in this run (its raw data predates `siobench table`).")
        w("")
        return
    b = table["bounds"]
    w("Floor %.1f ns; one cold cache line %.1f ns (bound.bpf.c cold_read over its counter), so floor + "
      "one cold line = **%.1f ns**; with a full barrier after the read %.1f ns; floor + two cold lines "
      "%.1f ns, + a compare-and-exchange %.1f ns. The driver's own cost (%.1f ns) is taken off the "
      "cases it drives." % (table["floor_ns"], table["cold_line_ns"], b["floor_plus_cold_line_ns"],
                             b["floor_plus_cold_line_fenced_ns"], b["floor_plus_two_lines_ns"],
                             b["floor_plus_two_lines_cas_ns"], table["driver_overhead_ns"]))
    w("")
    w("| case | new ns | prev ns | new / prev | new x floor | new x (floor + cold line) | prev x (floor + cold line) | misses new / prev | new entries/packet new / prev |")
    w("|---|---|---|---|---|---|---|---|---|")
    for k, v in table["cases"].items():
        n, p = v["new"], v["prev"]
        w("| %s: %s | %.1f | %.1f | %s | %s | %s | %s | %s / %s | %s |" % (
            k, v["what"], n.get("net_ns", n["ns"]), p.get("net_ns", p["ns"]), x(v["ratio_new_to_prev"]),
            x(n["ratio_to_floor"]), x(n["ratio_to_floor_plus_cold_line"]), x(p["ratio_to_floor_plus_cold_line"]),
            pct(n.get("miss_share")), pct(p.get("miss_share")),
            ("%s / %s" % (f(n.get("new_entries_per_packet"), 4), f(p.get("new_entries_per_packet"), 4)))
            if "new_entries_per_packet" in n else ""))
    w("")
    rf = table["reused_to_fresh"]
    w("Reused against fresh (new client): new table %s, previous %s." % (x(rf["new"]), x(rf["prev"])))
    ev = table["cases"]["new_client_reused"]["new"].get("evicted_per_packet")
    if ev is not None:
        w("In the reused run the bucket table displaced a newcomer's probation slot on %s of inserts "
          "(full: %s)." % (pct(ev), pct(table["cases"]["new_client_reused"]["new"].get("full_per_packet"))))
    ee = table.get("entry_events")
    if ee:
        # No target: the figure is reported, as the added cost per new client.
        w("")
        w("New-entry events (%s): switch off %.1f ns, on with a reader draining %.1f ns per new "
          "client: **%s the cost, %+.1f ns per new client** (written %s, lost %s, received %s per "
          "packet)." % (ee["what"], ee["off"]["net_ns"], ee["on"]["net_ns"], x(ee["ratio_on_to_off"]),
                        ee["added_ns"], f(ee["on"]["written_per_packet"], 4), f(ee["on"]["lost_per_packet"], 4),
                        f(ee["on"]["received_per_packet"], 4)))
    w("")
    m, r = table["memory"], table["rated"]
    bt = m["new"].get("bpftool_map_show", {})
    w("- Memory, new: %d buckets of 64 bytes, %.1f MB memlock, rated for %d clients (buckets x 4): "
      "**%.2f bytes per client at the rated size**%s." % (
          m["new"]["buckets"], m["new"]["memlock_bytes"] / 1e6, m["new"]["rated_clients"],
          m["new"]["bytes_per_rated_client"],
          ("; `bpftool map show` on the loaded siobpf: %s, %d entries, bytes_memlock %d" % (
              bt.get("name"), bt.get("max_entries", 0), bt.get("bytes_memlock", 0))) if bt else ""))
    w("- Rated size, measured: distinct random clients written as protected slots into a default-size "
      "table: the first insert that found no room came at **%d clients** (%s the rated %d; %d protected "
      "slots held then), %.2f bytes per client there; refused below the rated size: %d." % (
          r["first_full_at"], x(r["first_full_at"] / r["rated_clients"]), r["rated_clients"], r["held_at_first_full"],
          r["bytes_per_client_at_first_full"], r["refused_within_rated"]))
    w("- Memory, previous: the protected LRU of %d entries, %.1f MB memlock: **%.0f bytes per entry** "
      "(%.0f with its probation LRU of %d), for a %d-byte key and value." % (
          m["prev"]["max_entries"], m["prev"]["memlock_bytes"] / 1e6, m["prev"]["bytes_per_entry"],
          m["prev"]["bytes_per_entry_with_probation"], m["prev"]["probation_max_entries"],
          m["prev"]["payload_bytes_per_entry"]))
    w("- Protected clients present after writing %d for the hits over 1M: new %d (a client whose "
      "fingerprint matches a slot of its buckets shares that slot), previous %d." % (
          m["new"]["clients_written"], m["new"]["protected_present"], m["prev"]["protected_present"]))
    w("")
    w(table["method"])
    w("")


def hop_bound(e2e, t):
    """The least-possible cell of an end-to-end target against the ceiling:
    the trivial forwarder does no lookup at all, so no balancer on the same
    hop can do better than it (within the noise)."""
    if t["measure"] != "ratio_rps_to_ceiling":
        return ""
    fwd = e2e["configs"].get(t["config"].replace("siobpf-", "xdp-fwd-"), {}).get(t["style"])
    if not fwd or fwd.get("ratio_rps_to_ceiling") is None:
        return ""
    r = fwd["ratio_rps_to_ceiling"]
    text = "the trivial forwarder (the hop, no lookup): %s%s" % (
        x(r), spread(fwd.get("ratio_rps_to_ceiling_rounds") or []))
    if r < t["target"]:
        text += ": **the hop alone misses the target here**"
    return text


def gnuplot(script, out):
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True, cwd=out,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        print("report: gnuplot failed: %s" % e, file=sys.stderr)


PLOT_HEAD = """set terminal pngcairo noenhanced size 1000,560 font 'DejaVu Sans,10'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal
set xtics rotate by -25 left
set datafile separator '\\t'
"""


def charts(out, tmp, testrun, live, e2e, disruption):
    made = []
    # 1. per-packet cost
    cases = testrun["cases"]
    order = [k for k in cases if k not in ("floor", "driver_floor")]
    with open(os.path.join(tmp, "testrun.dat"), "w") as fh:
        for k in order:
            fh.write("%s\t%.3f\n" % (k, cases[k]["ratio_to_floor"]))
    gnuplot(PLOT_HEAD + """set output 'testrun.png'
set title 'Per-packet cost under BPF_PROG_TEST_RUN, x the swap-MACs floor (%.1f ns); lower is better'
set ylabel 'x floor'
set yrange [0:*]
plot '%s/testrun.dat' using 2:xtic(1) title 'siobpf / floor', \\
     2.5 with lines lw 2 dt 2 title 'sticky-hit target 2.5x', \\
     5 with lines lw 2 dt 3 title 'new-client target 5x'
""" % (cases["floor"]["ns"], tmp), out)
    made.append("testrun.png")

    # 2. end to end
    cfgs = [c for c in E2E_LABELS if "close" in e2e["configs"].get(c, {})]
    if cfgs:
        with open(os.path.join(tmp, "e2e.dat"), "w") as fh:
            for c in cfgs:
                e = e2e["configs"][c]
                fh.write("%s\t%.4f\t%.4f\n" % (c, e["close"].get("ratio_rps_to_ceiling") or 0,
                                              e.get("keepalive", {}).get("ratio_rps_to_ceiling") or 0))
        gnuplot(PLOT_HEAD + """set output 'e2e.png'
set title 'End to end, requests/s as a share of the ceiling (clients straight to backends); higher is better'
set ylabel 'x ceiling'
set yrange [0:*]
plot '%s/e2e.dat' using 2:xtic(1) title 'new connection per request', '' using 3 title 'keep-alive', \\
     0.9 with lines lw 2 dt 2 title 'target 0.9x (siobpf)'
""" % tmp, out)
        made.append("e2e.png")
        with open(os.path.join(tmp, "lat.dat"), "w") as fh:
            for c in cfgs:
                e = e2e["configs"][c]
                fh.write("%s\t%s\t%s\t%s\t%s\n" % (c, e["close"]["p50_ms"], e["close"]["p99_ms"],
                                                   e.get("keepalive", {}).get("p50_ms", 0),
                                                   e.get("keepalive", {}).get("p99_ms", 0)))
        gnuplot(PLOT_HEAD + """set output 'e2e_latency.png'
set title 'End to end latency (ms, merged over all client namespaces); lower is better'
set ylabel 'ms'
set logscale y
plot '%s/lat.dat' using 2:xtic(1) title 'p50, new connections', '' using 3 title 'p99, new connections', \\
     '' using 4 title 'p50, keep-alive', '' using 5 title 'p99, keep-alive'
""" % tmp, out)
        made.append("e2e_latency.png")

    # 3. live frames
    if live:
        with open(os.path.join(tmp, "live.dat"), "w") as fh:
            for mode in ("native", "generic"):
                t = live["topology"][mode]
                fh.write("%s\t%.0f\t%.0f\n" % (mode, (t["siobpf"]["delivered_pps"] or 0) / 1e3,
                                              (t["floor_fwd"]["delivered_pps"] or 0) / 1e3))
        gnuplot(PLOT_HEAD + """set output 'live.png'
set title 'Live frames through client veth, bridge, balancer, bridge, backend (kpps delivered); higher is better'
set ylabel 'kpps'
set yrange [0:*]
set xtics norotate
set key top right
plot '%s/live.dat' using 2:xtic(1) title 'siobpf', '' using 3 title 'trivial forwarder (floor_fwd)'
""" % tmp, out)
        made.append("live.png")

    # 4. disruption
    systems = [s for s in ("siobpf", "ring", "haproxy", "nginx", "nftables")
               if "added" in disruption["systems"].get(s, {})]
    if systems:
        with open(os.path.join(tmp, "dis.dat"), "w") as fh:
            for s in systems:
                d = disruption["systems"][s]
                fh.write("%s\t%.4f\t%.4f\t%.4f\n" % (
                    s, d["added"]["moved_share"] * 100, d.get("removed", {}).get("moved_share", 0) * 100,
                    d.get("removed", {}).get("minimal_share", 0) * 100))
        gnuplot(PLOT_HEAD + """set output 'disruption.png'
set title 'Clients (of 200) whose backend changed (%%); lower is better'
set ylabel '%% of clients'
set yrange [0:100]
set xtics norotate
plot '%s/dis.dat' using 2:xtic(1) title 'backend added (3 -> 4)', '' using 3 title 'backend removed (4 -> 3)', \\
     '' using 4 title 'removed backend''s own clients (the minimum)', \\
     25 with lines lw 2 dt 2 title 'minimum for a stateless hash on an add (1/4)'
""" % tmp, out)
        made.append("disruption.png")
    return made


def render(out):
    meta = load(os.path.join(out, "meta.json"))
    testrun = load(os.path.join(out, "testrun.json"))
    scale = load(os.path.join(out, "scale.json"))
    table = load(os.path.join(out, "table.json")) if os.path.exists(os.path.join(out, "table.json")) else None
    live = load(os.path.join(out, "live.json")) if os.path.exists(os.path.join(out, "live.json")) else None
    e2e = load(os.path.join(out, "e2e.json"))
    disruption = load(os.path.join(out, "disruption.json"))
    failover = load(os.path.join(out, "failover.json"))
    tmp = tempfile.mkdtemp(prefix="siobench-plot-")
    try:
        made = charts(out, tmp, testrun, live, e2e, disruption)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    L = []
    w = L.append
    c = testrun["cases"]
    w("# siobpf benchmark results")
    w("")
    w("Run: %s, %s mode, %d s, kernel %s, %s CPUs. Before it, other work kept the CPUs %s%% busy; load "
      "average %s at the start, %s at the end%s." % (
        meta.get("started", "?"), meta.get("mode", "?"), meta.get("seconds", 0), meta.get("kernel", "?"),
        meta.get("cpus", "?"), meta.get("cpu_busy_before_pct", "?"), meta.get("loadavg_start", "?"),
        meta.get("loadavg_end", "?"),
        ("; other namespace topologies present: " + meta["other_namespaces"]) if meta.get("other_namespaces") else ""))
    w("Every figure is a ratio to a baseline measured in the same run; concurrent load on this "
      "2-core VM moves absolute numbers, so read the ratios. How to run and read this: "
      "[bench/README.md](../README.md).")
    w("")
    w("## Targets")
    w("")
    bounds = testrun.get("bounds")
    w("| target | measured | | least possible here (same run) | rounds |")
    w("|---|---|---|---|---|")
    for t in testrun["targets"]:
        w("| %s <= %.1fx floor (BPF_PROG_TEST_RUN) | %s | %s | %s | |" % (
            t["case"], t["target"], x(t["ratio"]), met(t["met"]),
            least_possible(t["case"], t["target"], bounds)))
    if table:
        for t in table["targets"]:
            shown = "%.2f bytes" % t["ratio"] if t.get("unit") == "bytes" else x(t["ratio"])
            w("| %s (siobench table) | %s | %s | %s | |" % (
                t["what"], shown, met(t["met"]), table_bound(t, table)))
    for t in e2e["targets"]:
        base = "ceiling" if t["measure"] == "ratio_rps_to_ceiling" else "trivial forwarder"
        rounds = [r for r in t.get("rounds") or [] if r is not None]
        if not rounds:
            verdict = ""
        elif min(rounds) >= t["target"]:
            verdict = "met in every round"
        elif max(rounds) < t["target"]:
            verdict = "met in no round"
        else:
            verdict = "met in %d of %d rounds: within the noise" % (
                sum(1 for r in rounds if r >= t["target"]), len(rounds))
        w("| %s, %s: req/s >= %.2fx %s (median of rounds; range) | %s%s | %s | %s | %s |" % (
            t["config"], "new connections" if t["style"] == "close" else "keep-alive", t["target"], base,
            x(t["ratio"]), spread(rounds), met(t["met"]), hop_bound(e2e, t), verdict))
    w("")

    w("## 1. Per-packet cost (BPF_PROG_TEST_RUN, repeat %d, best of %d rounds)" % (testrun["repeat"], testrun["rounds"]))
    w("")
    w("| case | ns/packet | x floor | median of rounds, ns | new entries/packet |")
    w("|---|---|---|---|---|")
    for k, v in c.items():
        ns = v.get("net_ns", v["ns"])
        note = " (net of driver; raw %.1f)" % v["ns"] if "net_ns" in v else ""
        w("| %s: %s | %.1f%s | %s | %s | %s |" % (k, v["what"], ns, note, x(v["ratio_to_floor"]),
                                                f(v.get("ns_median"), 1), f(v.get("new_entries_per_packet"))))
    w("")
    floods = [k for k in ("flood_syn", "flood_ack", "flood_syn_then_ack") if k in c]
    if floods:
        w("A flood frame's cost (spoofed sources, one frame or a SYN-then-ACK pair each) against "
          "the floor and against a hot sticky hit (sticky_hit_v4), in the same run:")
        w("")
        w("| flood | ns/frame | x floor | x sticky hit | probation entries/frame |")
        w("|---|---|---|---|---|")
        for k in floods:
            v = c[k]
            w("| %s | %.1f | %s | %s | %s |" % (k, v.get("net_ns", v["ns"]), x(v["ratio_to_floor"]),
                                             x(v.get("ratio_to_sticky_hit")), f(v.get("new_entries_per_packet"))))
        w("")
    if bounds:
        w("The least these paths can cost on this machine, measured in the same rounds "
          "(`bench/bound.bpf.c`): each program keeps only what its path cannot do without (a "
          "bounds-checked Ethernet / IPv4 / TCP parse, the VIP in one array probe, the sticky "
          "entry, the backend from an array, both MACs) and, but for design_hit, none of siobpf's "
          "counters, clock, liveness rules, IPv6 or VLANs, so siobpf cannot beat them with the "
          "same sticky table. "
          "Their ratios are to a floor measured right beside them in each round, since they are "
          "only a few ns above it. "
          "lru_hit uses the previous sticky table (a shared LRU hash of 2^20 entries); "
          "design_hit adds the rest of a hit's job in that design (the entry's age against the "
          "VIP's persistence, read from the clock, and the per-VIP, per-backend and per-reason "
          "counters), so it is the least a complete sticky hit can cost with that table; "
          "array_hit puts the entry in one slot of a plain array instead, the least any sticky "
          "table can cost. lru_insert makes a new client each repetition and inserts it into an "
          "empty 2^20-entry LRU hash; cold_read reads one random cache line of 64 MB, more than "
          "the last-level cache holds, as a new client's entry has never been read. Both name "
          "their line or client from a per-CPU counter, whose cost over the floor (counter) is "
          "taken off as the driver's is. A target below a bound is out of reach here for that "
          "design, whatever else the code does.")
        w("")
        w("| bound | ns/packet | x floor | median of rounds, ns |")
        w("|---|---|---|---|")
        for k, v in bounds.items():
            note = " (net of the counter; raw %.1f)" % v["ns"] if "net_ns" in v else ""
            w("| %s: %s | %.1f%s | %s | %s |" % (k, v["what"], v.get("net_ns", v["ns"]), note,
                                              x(v["ratio_to_floor"]), f(v.get("ns_median"), 1)))
        w("")
        w("One cold cache line alone (cold_read over counter): %.1f ns, %s the floor." % (
            bounds["cold_read"]["ns_over_floor"], x(bounds["cold_read"]["ns_over_floor"] / bounds["floor"]["ns"])))
        w("")
    else:
        w("The lower bounds (`bench/bound.bpf.c`: the least a sticky hit and a new client can cost "
          "here) are missing: this run's testrun.json predates them.")
        w("")
    if "steps" in testrun:
        hit = c["sticky_hit_v4"]["ns"] - c["floor"]["ns"]
        w("Where a sticky hit's %.1f ns above the floor go: each step alone, on top of the floor "
          "(`bench/cost.bpf.c`, maps shaped like siobpf's; best of three times as many rounds; "
          "a step of a few ns is within the noise of a shared VM):" % hit)
        w("")
        w("| step | ns over the floor | share of the hit's extra cost |")
        w("|---|---|---|")
        rest = hit
        for k, v in testrun["steps"].items():
            w("| %s | %.1f | %s |" % (v["what"], v["ns_over_floor"], pct(v["share_of_sticky_hit"])))
            rest -= v["ns_over_floor"]
        w("| the rest: parsing, the key, the backend array, the MAC rewrite | %.1f | %s |" % (rest, pct(rest / hit)))
        w("")
    w(testrun["method"])
    w("")
    w("![per-packet cost](testrun.png)")
    w("")
    render_table(w, table)

    w("## 2. Packet rate with live frames")
    w("")
    if live:
        lb = live["balancer_veth"]
        w("On the balancer's veth (real XDP_TX, peer drops with XDP): floor %s ns/frame (%.2f Mpps), "
          "siobpf %s ns/frame (%.2f Mpps): **%s the floor**." % (
              f(lb["floor"]["kernel_ns"], 0), lb["floor"]["mpps"], f(lb["siobpf"]["kernel_ns"], 0),
              lb["siobpf"]["mpps"], x(lb["siobpf"]["ratio_to_floor"])))
        w("")
        w("| through the topology | siobpf kpps | trivial forwarder kpps | siobpf / forwarder | delivered (siobpf / fwd) |")
        w("|---|---|---|---|---|")
        for mode in ("native", "generic"):
            t = live["topology"][mode]
            w("| %s | %.0f | %.0f | %s | %s / %s |" % (
                mode, (t["siobpf"]["delivered_pps"] or 0) / 1e3, (t["floor_fwd"]["delivered_pps"] or 0) / 1e3,
                x(t["ratio_to_floor_fwd"]), pct(t["siobpf"]["delivered_share"]), pct(t["floor_fwd"]["delivered_share"])))
        w("")
        w(live["method"])
        w("")
        w("![live frames](live.png)")
    else:
        w("Not run.")
    w("")

    w("## 3. End to end (wrk, nginx backends)")
    w("")
    w("Settings: %s." % e2e.get("settings", ""))
    w("")
    w("x ceiling: the median of the per-round ratios, with their range in brackets.")
    w("")
    w("| balancer | style | req/s | x ceiling | p50 ms | x | p99 ms | x | errors |")
    w("|---|---|---|---|---|---|---|---|---|")
    for cfg, e in e2e["configs"].items():
        if "error" in e and "close" not in e:
            w("| %s | | %s | | | | | | |" % (e["label"], e["error"]))
            continue
        for style in ("close", "keepalive"):
            s = e.get(style)
            if not s:
                continue
            extra = spread(s.get("ratio_rps_to_ceiling_rounds"))
            if "ratio_rps_to_forwarder" in s:
                extra += "; %s fwd%s" % (x(s["ratio_rps_to_forwarder"]),
                                         spread(s.get("ratio_rps_to_forwarder_rounds")))
            w("| %s | %s | %.0f | %s%s | %s | %s | %s | %s | %d |" % (
                e["label"], "new conn." if style == "close" else "keep-alive", s["requests_per_s"],
                x(s.get("ratio_rps_to_ceiling")), extra, f(s["p50_ms"]), x(s.get("ratio_p50_to_ceiling")),
                f(s["p99_ms"]), x(s.get("ratio_p99_to_ceiling")), s["errors"]))
    w("")
    w(e2e["method"])
    w("")
    w("![end to end](e2e.png)")
    w("")
    w("![latency](e2e_latency.png)")
    w("")

    w("## 4. Scale")
    w("")
    w("- The sticky table at 1M clients (memory, hits, inserts): section 1b.")
    rb = scale["ring_build"]
    w("- Ring build, 1,000 backends at M=%d: %.2f ms (%s the 3-backend build, %.2f ms; %s the Maglev "
      "paper's 1.8 ms, on other hardware)." % (rb["ring_size"], rb["backends_1000_ms"], x(rb["ratio_1000_to_3"]),
                                               rb["backends_3_ms"], x(rb["ratio_to_paper"])))
    rs = scale["ring_swap"]
    w("- Ring swap (dataplane_ring_install: new inner map, batch write, outer slot update): %.2f ms, "
      "%s writing the same slots in place (%.2f ms). One ring is %.0f KB of memlock (array maps "
      "store each 4-byte slot in 8 bytes)." % (
          rs["install_us"] / 1e3, x(rs["ratio_to_in_place"]), rs["in_place_write_us"] / 1e3, rs["ring_memlock_bytes"] / 1024))
    v = scale["vips_64"]
    w("- 64 VIPs of 3 backends: configured in %.0f ms (%s one VIP); rings %.1f MB; sticky hit %s the "
      "one-VIP cost; new clients spread over 63 rings %s one ring." % (
          v["setup_ms_64"], x(v["setup_ratio_64_to_1"]), v["rings_memlock_bytes_64"] / 1e6,
          x(v["sticky_hit_ratio_64_to_1"]), x(v["new_client_ring_ratio_63_to_1"])))
    w("")

    w("## 5. Failover")
    w("")
    if failover["status"] != "measured":
        w("Not measurable: %s." % failover.get("reason", ""))
    else:
        w("| probe settings | clients watched | served elsewhere | marked down s | served elsewhere: median s | max s | fall x interval s | max / bound |")
        w("|---|---|---|---|---|---|---|---|")
        for name, d in failover["settings"].items():
            if "error" in d:
                w("| %s | %s | | | | | | |" % (name, d["error"]))
                continue
            w("| %s (interval %d ms, timeout %d ms, fall %d) | %d | %d | %s | %s | %s | %.1f | %s |" % (
                name, d["probe"]["interval_ms"], d["probe"]["timeout_ms"], d["probe"]["fall"], d["clients"],
                d["served_elsewhere"], f(d.get("marked_down_s")), f(d["seconds_median"]), f(d["seconds_max"]),
                d["detection_bound_s"], x(d["ratio_max_to_bound"])))
        w("")
        w(failover["method"])
    w("")

    massfail = load(os.path.join(out, "massfail.json"))
    w("### 5b. Mass failure: 250 of 500 backends gone at once")
    w("")
    if massfail["status"] != "measured":
        w("Failed: %s." % massfail.get("reason", ""))
    else:
        sc = massfail["scrapes"]
        w("| taken down | still up | first down after | all down after | bound | / bound | scrapes | failed | scrape median | p99 | max |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        w("| %d of %d | %d | %.2f s | %.2f s | %.2f s | %s | %d | %d | %.1f ms | %.1f ms | %.1f ms |" % (
            massfail["taken_down"], massfail["gone"], massfail["still_up"], massfail["first_down_ms"] / 1e3,
            massfail["all_down_ms"] / 1e3,
            massfail["bound_ms"] / 1e3, x(massfail["ratio_to_bound"]), sc["scrapes"], sc["failed"],
            sc["median_ms"], sc["p99_ms"], sc["max_ms"]))
        w("")
        w(massfail["method"])
    w("")

    w("## 6. Disruption (200 client addresses, real connections)")
    w("")
    w("| system | added: moved | x minimal | removed: moved | x minimal | moved without need | failed: moved | x minimal |")
    w("|---|---|---|---|---|---|---|---|")
    for s, d in disruption["systems"].items():
        if "error" in d:
            w("| %s | %s | | | | | | |" % (s, d["error"]))
            continue
        a, r, fl = d.get("added", {}), d.get("removed", {}), d.get("failed")
        w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s, pct(a.get("moved_share")), x(a.get("ratio_to_minimal")), pct(r.get("moved_share")),
            x(r.get("ratio_to_minimal")), "%d + %d" % (a.get("moved_not_required", 0), r.get("moved_not_required", 0)),
            pct(fl["moved_share"]) if fl else "-", x(fl["ratio_to_minimal"]) if fl else "-"))
    w("")
    w(disruption["method"])
    w("")
    w("![disruption](disruption.png)")
    w("")
    w("Charts: " + ", ".join(made) + ".")
    with open(os.path.join(out, "summary.md"), "w") as fh:
        fh.write("\n".join(L) + "\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        render(sys.argv[2])
    elif len(sys.argv) == 3:
        collect(sys.argv[1], sys.argv[2])
        render(sys.argv[2])
    else:
        print("usage: report.py WORK OUT | report.py --render OUT", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
