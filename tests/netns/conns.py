# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""New TCP connections to a VIP, without pause, from fresh client addresses.

conns.py VIP ADDRS OUT SECONDS [THREADS] [PER_ADDR] [RATE] [PAUSE_MS]

Each of THREADS threads opens connections one after the other (each from a
new source port), sends an HTTP/1.0 GET and reads the answer to the end.
The addresses of the file ADDRS (one a line) come in as new clients, RATE a
second: a thread takes the next one when it is due and opens PER_ADDR
connections from it at once (its first ones, "fresh"); between new clients
it connects again from one already seen ("again"), PAUSE_MS after its last
connection (so that the traffic leaves the machine room to work). OUT gets one line per
connection: "SECONDS_SINCE_EPOCH ADDRESS RESULT fresh|again", RESULT the
backend's name (the body's last word) or a failure: reset, refused,
timeout, closed (no answer), error:ERRNO. Runs for SECONDS, or until the
file OUT.stop exists.
"""
import errno
import os
import random
import socket
import sys
import threading
import time

vip, addrs_file, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
per_addr = int(sys.argv[6]) if len(sys.argv) > 6 else 4
rate = float(sys.argv[7]) if len(sys.argv) > 7 else 40.0
pause = float(sys.argv[8]) / 1e3 if len(sys.argv) > 8 else 0.0
addrs = [a.strip() for a in open(addrs_file) if a.strip()]
lock = threading.Lock()
state = {"next": 0}
lines = []
start = time.time()
end = start + seconds
seen = []


def one(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.bind((src, 0))
        s.connect((vip, 80))
        s.sendall(b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        body = data.split(b"\r\n\r\n", 1)
        if len(body) < 2 or not body[1].split():
            return "closed"
        return body[1].split()[-1].decode(errors="replace")
    except ConnectionResetError:
        return "reset"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()


def worker():
    mine = []
    while time.time() < end and not os.path.exists(out + ".stop"):
        with lock:
            k = state["next"]
            fresh = k < len(addrs) and time.time() >= start + k / rate
            if fresh:
                state["next"] += 1
                src = addrs[k]
            elif seen:
                src = random.choice(seen)
            else:
                src = None
        if src is None:
            time.sleep(0.001)
            continue
        for _ in range(per_addr if fresh else 1):
            mine.append("%.6f %s %s %s" % (time.time(), src, one(src), "fresh" if fresh else "again"))
        if fresh:
            with lock:
                seen.append(src)
        else:
            time.sleep(pause)
    with lock:
        lines.extend(mine)


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    f.write("\n".join(sorted(lines)) + "\n")
