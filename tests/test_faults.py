"""Fault tests: load, reload storms, hostile clients, descriptor exhaustion,
kill -9.  The daemon must answer every good client exactly, close the bad
ones at their limit, and never crash, hang or leak."""
import os
import resource
import selectors
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BUILD, corpus_cases
from daemon import Daemon, recv_all

DOCS = [c.values for c in corpus_cases() if "dev/" in c.id]
ASAN = "asan" in str(BUILD)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(autouse=True)
def more_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)),
                                                hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_1000_connections_at_once(tmp_path):
    d = Daemon(tmp_path, "workers = 2\nmax_connections = 1100\n"
               "idle_timeout = 60s\n").start()
    try:
        socks = [d.connect() for _ in range(1000)]
        sel = selectors.DefaultSelector()
        got = {}
        for i, s in enumerate(socks):
            s.sendall(DOCS[i % len(DOCS)][0].read_bytes())
            s.shutdown(socket.SHUT_WR)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            got[i] = []
        open_ = len(socks)
        end = time.monotonic() + 120
        while open_ and time.monotonic() < end:
            for key, _ in sel.select(timeout=1):
                chunk = key.fileobj.recv(1 << 16)
                if chunk:
                    got[key.data].append(chunk)
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    open_ -= 1
        assert open_ == 0
        for i in range(1000):
            assert b"".join(got[i]) == DOCS[i % len(DOCS)][1].read_bytes(), i
    finally:
        assert d.stop() == 0, d.logtext()


def test_clients_loop_through_reloads(tmp_path):
    d = Daemon(tmp_path, "workers = 2\n").start()
    failures, done = [], [0]
    stop = time.monotonic() + 4

    def client(n):
        k = n
        while time.monotonic() < stop:
            src, want = DOCS[k % len(DOCS)]
            try:
                if d.roundtrip(src.read_bytes(), piece=2048) != \
                        want.read_bytes():
                    failures.append(("wrong", src))
            except OSError as e:
                failures.append((repr(e), src))
            done[0] += 1
            k += 7

    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    try:
        for t in threads:
            t.start()
        for i in range(6):
            time.sleep(0.5)
            d.write_conf("workers = 2\n")
            d.signal(signal.SIGHUP)
        for t in threads:
            t.join(60)
        assert failures == []
        assert done[0] > 32
        assert d.logtext().count("reload done") == 6
    finally:
        assert d.stop() == 0, d.logtext()


def test_sender_that_never_reads(tmp_path):
    """Backpressure holds memory flat; the idle timeout then frees it."""
    d = Daemon(tmp_path, "output_high_water = 256K\nidle_timeout = 1s\n")
    d.start()
    try:
        base = rss_kib(d.proc.pid)
        s = d.connect()
        s.setblocking(False)
        sent, blocked = 0, None
        line = "法治建设，依法行政。".encode() * 100 + b"\n"
        while True:
            try:
                sent += s.send(line * 32)
                blocked = None
            except BlockingIOError:
                blocked = blocked or time.monotonic()
                if time.monotonic() - blocked > 0.3:
                    break
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                break
        grown = rss_kib(d.proc.pid) - base
        assert sent < 32 << 20
        if not ASAN:
            assert grown < 32 * 1024, f"RSS grew {grown} KiB"
        d.wait_log("end=idle_timeout")
        s.close()
        assert d.roundtrip(b"ok\n") == b"ok\n"
    finally:
        assert d.stop() == 0, d.logtext()


def test_slowloris_and_silent_clients(tmp_path):
    d = Daemon(tmp_path, "idle_timeout = 1s\n").start()
    try:
        silent = d.connect()
        loris = d.connect()
        closed = {}

        def drip():
            try:
                for _ in range(5):
                    loris.sendall(b"x")
                    time.sleep(2)
            except OSError:
                pass
            closed["loris"] = True

        t = threading.Thread(target=drip)
        t.start()
        t0 = time.monotonic()
        good = 0
        while time.monotonic() - t0 < 3:
            src, want = DOCS[good % len(DOCS)]
            assert d.roundtrip(src.read_bytes()) == want.read_bytes()
            good += 1
        silent.settimeout(5)
        assert recv_all(silent) == b""
        t.join(15)
        assert d.logtext().count("end=idle_timeout") >= 2
        assert good > 3
        silent.close()
        loris.close()
    finally:
        assert d.stop() == 0, d.logtext()


def test_descriptor_exhaustion(tmp_path):
    d = Daemon(tmp_path, "workers = 1\n")

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    d.log = open(d.logpath, "ab")
    d.log_start = 0
    d.proc = subprocess.Popen([str(BUILD / "scrubd"), "-c", str(d.conf), "-s",
                               d.sock], stderr=d.log, preexec_fn=low_limit)
    d.wait_listening()
    try:
        held = []
        for _ in range(80):
            s = d.connect()
            s.sendall(b"held\n")
            held.append(s)
        d.wait_log("Too many open files: pausing new connections")
        for s in held:
            s.close()
        end = time.monotonic() + 30
        while True:
            try:
                assert d.roundtrip(b"a##paidend##\n", timeout=10) == b"a\n"
                break
            except (OSError, AssertionError):
                assert time.monotonic() < end, d.logtext()
                time.sleep(0.2)
    finally:
        assert d.stop() == 0, d.logtext()


def test_kill9_then_restart(tmp_path):
    d = Daemon(tmp_path).start()
    assert d.roundtrip(b"one\n") == b"one\n"
    d.proc.kill()
    d.proc.wait()
    d.log.close()
    assert os.path.exists(d.sock)
    d.start()
    try:
        assert "removing stale socket" in d.logtext()
        assert d.roundtrip(b"two##paidend##\n") == b"two\n"
    finally:
        assert d.stop() == 0, d.logtext()


def test_aborted_connections_return_resources(tmp_path):
    d = Daemon(tmp_path, "workers = 2\n").start()
    try:
        doc = DOCS[0][0].read_bytes()
        for _ in range(50):
            d.roundtrip(doc)
        time.sleep(0.2)
        fds, rss = d.nfds(), rss_kib(d.proc.pid)
        for i in range(500):
            s = d.connect()
            s.sendall(doc[: (i * 37) % len(doc)])
            s.close()
        assert d.roundtrip(doc) == DOCS[0][1].read_bytes()
        end = time.monotonic() + 10
        while d.nfds() != fds and time.monotonic() < end:
            time.sleep(0.05)
        assert d.nfds() == fds
        if not ASAN:
            assert rss_kib(d.proc.pid) - rss < 8 * 1024
    finally:
        assert d.stop() == 0, d.logtext()
