#!/usr/bin/env python3
"""Slow-body probe of `tongdao sim serve` (docs/benchmarks/simulator.md, issue 18).

usage: slowloris.py PORT CONNECTIONS SERVER_PID

Opens CONNECTIONS connections to 127.0.0.1:PORT, each announcing a 1 MiB body and
trickling 1 KiB every 0.5 s for 4 s, prints the server's peak RSS (from /proc) and how
the connections ended: still open, answered then closed, or closed without an answer.
"""
import socket, sys, time, re
port, n = int(sys.argv[1]), int(sys.argv[2])
pid = sys.argv[3]
def rss():
    s = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmRSS:\s+(\d+)", s).group(1)) // 1024
print("rss before", rss(), "MiB")
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /pay/unifiedorder HTTP/1.1\r\nHost: sim\r\nContent-Length: 1048576\r\n\r\n" + b"<xml>" + b"a" * 1019)
    socks.append(s)
t0 = time.time()
peak = 0
for k in range(8):
    time.sleep(0.5)
    for s in socks:
        try: s.sendall(b"b" * 1024)
        except Exception: pass
    peak = max(peak, rss())
print(f"{n} connections, each announcing 1 MiB and sending ~9 KiB over 4 s: peak rss {peak} MiB")
res = {"open": 0, "answered then closed": 0, "closed": 0}
for s in socks:
    s.settimeout(0.05)
    buf = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                res["answered then closed" if buf else "closed"] += 1
                break
            buf += d
    except socket.timeout:
        res["open"] += 1
    except Exception:
        res["closed"] += 1
print("connections:", res)
