"""make bench, large rule sets: with 10,000 rules (the default rules plus
10,000 replace rules that match nothing), the time of a /metrics scrape,
a connection's set-up (round trip of a tiny document, against the default
rules), and serving during a burst of 40 SIGHUPs (reloads of the 10,000
rules).  usage: rules.py BUILD_DIR WORK_DIR; prints table rows."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

BUILD, WORK = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def row(measure, scrubd, ref="", ratio="", target=""):
    print(f"{measure:<50} {scrubd:>16} {ref:>16} {ratio:>8}  {target}")


def start(name, rules):
    """A daemon with the default rules plus rules; (process, dir)."""
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "conf", "watermark.patterns"), d)
    conf = open(os.path.join(ROOT, "conf", "scrubd.conf")).read() + rules
    with open(os.path.join(d, "scrubd.conf"), "w") as f:
        f.write(conf + "\n[daemon]\nworkers = 1\n")
    p = subprocess.Popen([os.path.join(BUILD, "scrubd"), "-c",
                          os.path.join(d, "scrubd.conf"), "-s",
                          os.path.join(d, "s.sock"), "-M",
                          "unix:" + os.path.join(d, "m.sock")],
                         stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(os.path.join(d, "m.sock")):
            return p, d
        time.sleep(0.05)
    raise SystemExit(f"{name}: daemon did not start")


def roundtrip(d, doc=b"a##paidend##\n"):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(d, "s.sock"))
    s.sendall(doc)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
    return time.monotonic() - t0


def scrape(d):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(d, "m.sock"))
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    n = 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        n += len(b)
    s.close()
    return time.monotonic() - t0, n


def median(v):
    return sorted(v)[len(v) // 2]


def main():
    many = "".join(f"\n[filter:r{i}]\ntype = replace\npattern = zq{i:05d}xw\n"
                   for i in range(10000))
    small, ds = start("rules5", "")
    big, db = start("rules10k", many)
    try:
        scrapes = []
        for _ in range(3):
            time.sleep(1.1)           # past the render cache
            scrapes.append(scrape(db))
        t, size = median(scrapes)
        row("/metrics scrape at 10,000 rules, ms", f"{t * 1e3:.1f}",
            f"{size / 1e6:.1f} MB", "", "")
        base = median([roundtrip(ds) for _ in range(200)])
        many_t = median([roundtrip(db) for _ in range(200)])
        row("connection set-up at 10,000 rules, ms", f"{(many_t - base) * 1e3:.3f}",
            f"{base * 1e3:.3f} (5 rules)", "", "")
        idle = [roundtrip(db) for _ in range(100)]
        lat, stop = [], []

        def hups():
            for _ in range(40):
                big.send_signal(signal.SIGHUP)
                time.sleep(0.02)
            stop.append(1)

        t = threading.Thread(target=hups)
        t.start()
        while not stop:
            lat.append(roundtrip(db))
        t.join()
        lat.sort()
        row("round trip during 40 SIGHUPs, p50/max ms",
            f"{lat[len(lat) // 2] * 1e3:.2f} / {lat[-1] * 1e3:.1f}",
            f"{median(idle) * 1e3:.2f} idle", "", "no stall")
    finally:
        for p in (small, big):
            p.terminate()
            p.wait()


main()
