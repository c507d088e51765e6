#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Asks the VIP which backend serves each client address, over real TCP
# connections bound to those addresses (run inside the client namespace).
#
#   survey.py survey --clients N            one GET per client, at once:
#                                           {"10.77.2.1": "b2", ...} (null: no answer)
#   survey.py watch --clients A,B --dead bN --kill CMD [--seconds S]
#                   [--state-cmd CMD --dead-addr ADDR]
#                                           keeps asking from each client, runs CMD
#                                           (the failure) after a second, and reports
#                                           how long until each was served elsewhere
#                                           and, polling `siobpf status --json` through
#                                           --state-cmd, until the backend was marked down
import argparse
import concurrent.futures
import json
import socket
import statistics
import subprocess
import sys
import time

VIP = "10.77.100.1"


def client4(i):
    return "10.77.%d.%d" % (2 + (i - 1) // 250, (i - 1) % 250 + 1)


def ask(src, timeout=2.0):
    """One HTTP/1.0 GET of the VIP from src; the backend's name or None."""
    try:
        with socket.create_connection((VIP, 80), timeout=timeout, source_address=(src, 0)) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            return None
        return body.decode().strip() or None
    except OSError:
        return None


def survey(clients, tries=3):
    result = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        pending = list(clients)
        for _ in range(tries):
            answers = dict(zip(pending, pool.map(ask, pending)))
            result.update(answers)
            pending = [c for c, b in answers.items() if b is None]
            if not pending:
                break
    return {c: result[c] for c in clients}


def backend_state(cmd, addr):
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, timeout=2).stdout
        for vip in json.loads(out)["vips"]:
            for b in vip["backends"]:
                if b["address"] == addr:
                    return b["state"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        pass
    return None


def watch(clients, dead, kill, seconds, interval, state_cmd=None, dead_addr=None):
    """Each client starts a new connection every `interval` seconds, without
    waiting for the ones in flight (a SYN dropped while the ring changes would
    otherwise hold the client up for a whole SYN timeout). The failure is
    injected after a second; a client counts as served elsewhere when an
    attempt started after the failure is answered by another backend."""
    import asyncio

    t_kill = None
    served = {}
    failed_after = 0
    detected = []

    async def attempt(c):
        nonlocal failed_after
        started = time.monotonic()
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(VIP, 80, local_addr=(c, 0)), timeout=2)
            w.write(b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n")
            data = await asyncio.wait_for(r.read(), timeout=2)
            w.close()
            body = data.partition(b"\r\n\r\n")[2].decode().strip()
        except (OSError, asyncio.TimeoutError):
            body = None
        if t_kill is None or started < t_kill:
            return
        if body is None:
            failed_after += 1
        elif body != dead and c not in served:
            served[c] = time.monotonic() - t_kill

    async def client_loop(c, stop_at):
        tasks = []
        while time.monotonic() < stop_at and c not in served:
            tasks.append(asyncio.ensure_future(attempt(c)))
            await asyncio.sleep(interval)
        await asyncio.gather(*tasks)

    async def poll_state():
        while t_kill is None:
            await asyncio.sleep(0.01)
        while time.monotonic() - t_kill < seconds:
            state = await asyncio.get_running_loop().run_in_executor(None, backend_state, state_cmd, dead_addr)
            if state == "down":
                detected.append(time.monotonic() - t_kill)
                return
            await asyncio.sleep(0.02)

    async def main():
        nonlocal t_kill
        stop_at = time.monotonic() + seconds
        loops = [asyncio.ensure_future(client_loop(c, stop_at)) for c in clients]
        poller = asyncio.ensure_future(poll_state()) if state_cmd and dead_addr else None
        await asyncio.sleep(1.0)
        t_kill = time.monotonic()  # the kill command's own time counts
        proc = await asyncio.create_subprocess_shell(kill)
        await proc.wait()
        await asyncio.gather(*loops)
        if poller:
            poller.cancel()

    asyncio.run(main())
    times = sorted(served.values())
    return {
        "marked_down_s": detected[0] if detected else None,
        "clients": len(clients),
        "served_elsewhere": len(times),
        "failed_attempts_after_kill": failed_after,
        "seconds_median": statistics.median(times) if times else None,
        "seconds_max": times[-1] if len(times) == len(clients) else None,
        "attempt_interval_s": interval,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["survey", "watch"])
    ap.add_argument("--clients", required=True, help="a count (1..N) or a comma list")
    ap.add_argument("--dead")
    ap.add_argument("--kill")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--state-cmd")
    ap.add_argument("--dead-addr")
    a = ap.parse_args()
    if "," in a.clients or "." in a.clients:
        clients = a.clients.split(",")
    else:
        clients = [client4(i) for i in range(1, int(a.clients) + 1)]
    if a.mode == "survey":
        json.dump(survey(clients), sys.stdout, indent=1)
    else:
        json.dump(watch(clients, a.dead, a.kill, a.seconds, a.interval, a.state_cmd, a.dead_addr),
                  sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
