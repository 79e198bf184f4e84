"""Hostile load on the daemon side: metrics clients that flood, trickle or
crowd; descriptor exhaustion; reload storms; a socket path taken over.
Each case failed on the release before issue 3/7."""
import os
import resource
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, CONF
from daemon import Daemon, recv_all
from test_faults import rss_kib
from test_metrics import http_get, scrape

ASAN = "asan" in str(BUILD)


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def mdaemon(tmp_path):
    addr = f"unix:{tmp_path}/metrics.sock"
    d = Daemon(tmp_path, "workers = 1\n", args=["-M", addr]).start()
    d.addr = addr
    d.mpath = addr[5:]
    yield d
    assert d.stop() == 0, d.logtext()


def metrics_conn(d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.mpath)
    s.settimeout(30)
    return s


def test_metrics_headers_are_bounded(mdaemon):
    before = rss_kib(mdaemon.proc.pid)
    s = metrics_conn(mdaemon)
    s.sendall(b"GET /metrics HTTP/1.1\r\n")
    try:
        for _ in range(128 * 16):
            s.sendall(b"X-Filler: " + b"a" * 8000 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    try:
        data = recv_all(s)
    except ConnectionResetError:
        pass
    s.close()
    assert data == b"" or data.startswith(b"HTTP/1.1 431 ")
    if not ASAN:
        assert rss_kib(mdaemon.proc.pid) - before < 8 * 1024
    assert http_get(mdaemon.addr, "/healthz") == (200, "ok\n")


def test_metrics_trickle_is_cut_at_the_deadline(mdaemon):
    s = metrics_conn(mdaemon)
    t0 = time.monotonic()
    closed = None
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        while time.monotonic() - t0 < 30:
            s.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.5)
    except (BrokenPipeError, ConnectionResetError):
        closed = time.monotonic() - t0
    s.close()
    assert closed is not None and closed < 15, closed


def test_metrics_connections_are_bounded(mdaemon):
    """16 clients that never finish a request hold 16 slots; the next
    client takes the oldest one's slot and is answered at once."""
    idle = [metrics_conn(mdaemon) for _ in range(16)]
    for s in idle:
        s.sendall(b"GET /metr")
    time.sleep(0.2)
    for _ in range(3):
        assert http_get(mdaemon.addr, "/healthz") == (200, "ok\n")
    assert recv_all(idle[0]) == b""      # the oldest gave way
    assert mdaemon.roundtrip(b"a##paidend##\n") == b"a\n"
    for s in idle:
        s.close()


def test_metrics_methods_and_paths(mdaemon):
    assert http_get(mdaemon.addr, "/nope")[0] == 404
    s = metrics_conn(mdaemon)
    s.sendall(b"POST /metrics HTTP/1.1\r\n\r\n")
    reply = recv_all(s)
    assert reply.startswith(b"HTTP/1.1 405 ") and b"Allow: GET, HEAD" in reply
    s = metrics_conn(mdaemon)
    s.sendall(b"HEAD /metrics HTTP/1.1\r\n\r\n")
    head = recv_all(s)
    assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")
    s = metrics_conn(mdaemon)
    s.sendall(b"garbage\r\n\r\n")
    assert recv_all(s).startswith(b"HTTP/1.1 400 ")


def test_accept_errors_back_off(tmp_path):
    """Out of descriptors: no spinning, few log lines, documents resume."""
    addr = f"unix:{tmp_path}/metrics.sock"
    d = Daemon(tmp_path, "workers = 1\n", args=["-M", addr])
    d.log = open(d.logpath, "ab")
    d.log_start = 0
    d.proc = subprocess.Popen(
        [str(BUILD / "scrubd"), "-c", str(d.conf), "-s", d.sock, "-M", addr],
        stderr=d.log, preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (40, 40)))
    d.wait_listening()
    held = []
    try:
        for _ in range(60):
            s = d.connect()
            s.sendall(b"held\n")
            held.append(s)
        scrapers = []
        for _ in range(5):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(addr[5:])
            s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            scrapers.append(s)
        cpu0 = cpu_seconds(d.proc.pid)
        time.sleep(2)
        assert cpu_seconds(d.proc.pid) - cpu0 < 0.5
        errors = [x for x in d.logtext().splitlines() if "accept on" in x]
        assert 1 <= len(errors) <= 4, errors
        for s in held + scrapers:
            s.close()
        end = time.monotonic() + 30
        while True:
            try:
                assert d.roundtrip(b"a##paidend##\n", timeout=10) == b"a\n"
                break
            except (OSError, AssertionError):
                assert time.monotonic() < end, d.logtext()
                time.sleep(0.2)
        assert scrape(addr)['scrubd_errors_total{reason="accept"}'] >= 1
    finally:
        assert d.stop() == 0, d.logtext()


def big_rules(n):
    """The default rules plus n replace rules of their own names."""
    extra = "".join(f"\n[filter:r{i}]\ntype = replace\npattern = zq{i:05d}xw\n"
                    for i in range(n))
    return CONF.read_text() + extra


def test_reload_storm_keeps_serving_and_sigterm_wins(tmp_path):
    d = Daemon(tmp_path, "workers = 1\n", rules=big_rules(10000)).start()
    worst = 0.0
    try:
        for _ in range(40):        # spaced: the kernel merges pending ones
            d.signal(signal.SIGHUP)
            time.sleep(0.02)
        for _ in range(20):
            t0 = time.monotonic()
            assert d.roundtrip(b"a##paidend##\n") == b"a\n"
            worst = max(worst, time.monotonic() - t0)
        assert worst < 2, worst
        d.wait_log("reload done")
        for _ in range(40):
            d.signal(signal.SIGHUP)
            time.sleep(0.005)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        assert d.proc.wait(timeout=60) == 0
        assert time.monotonic() - t0 < 10
    finally:
        d.kill()
    log = d.logtext()
    assert "one more will follow, merging further requests" in log
    assert log.count("reload done") < 10
    assert "pending reload dropped" in log


def test_shutdown_removes_only_its_own_socket(tmp_path):
    d = Daemon(tmp_path).start()
    os.unlink(d.sock)
    with open(d.sock, "w") as f:
        f.write("not a socket\n")
    assert d.stop() == 0, d.logtext()
    with open(d.sock) as f:
        assert f.read() == "not a socket\n"
    assert "no longer the socket scrubd made" in d.logtext()
    os.unlink(d.sock)
    # Another daemon's live socket at the path is left alone too.
    d1 = Daemon(tmp_path / "a" if (tmp_path / "a").mkdir() is None else 0)
    d1.sock = d.sock
    d1.start()
    os.rename(d.sock, d.sock + ".moved")
    d2 = Daemon(tmp_path / "b" if (tmp_path / "b").mkdir() is None else 0)
    d2.sock = d.sock
    d2.start()
    assert d1.stop() == 0
    assert os.path.exists(d.sock)
    assert d2.roundtrip(b"x\n") == b"x\n"
    assert d2.stop() == 0
    os.unlink(d.sock + ".moved")


def test_many_rules_pass_and_change_without_deep_stacks(tmp_path):
    """10,000 rules: a line none of them changes costs no stack depth; a
    line every one of them changes in turn still fits the deep stacks of
    the one-shot and worker threads."""
    deep = "".join(f"\n[filter:r{i}]\ntype = replace\npattern = x\n"
                   f"replacement = x\n" for i in range(10000))
    for rules, doc, want in ((big_rules(10000), b"a##paidend##b\n", b"ab\n"),
                             (deep, b"axb\n" * 3, b"axb\n" * 3)):
        d = Daemon(tmp_path, "workers = 1\n", rules=rules)
        r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-F"],
                           input=doc, stdout=subprocess.PIPE, timeout=120)
        assert (r.returncode, r.stdout) == (0, want)
        d.start()
        try:
            assert d.roundtrip(doc) == want
        finally:
            assert d.stop() == 0, d.logtext()


def test_too_many_rules_is_a_config_error(tmp_path):
    rules = "".join(f"\n[filter:r{i}]\ntype = blank\n"
                    for i in range(100001))
    d = Daemon(tmp_path, "", rules=rules)
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-t"],
                       stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 1
    assert b"too many rules: at most 100000" in r.stderr
