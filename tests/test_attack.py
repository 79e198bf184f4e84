"""Regressions from the attack on the daemon rewrite: each case broke the
first version of it (descriptor passing, write timeouts, systemd's
descriptors, JSON Lines amplification, metrics, scrubc, shutdown)."""
import array
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, run
from daemon import Daemon, recv_all, send_and_read_slowly
from test_hostile import ASAN, big_rules, rss_kib
from test_metrics import http_get

DOC = b"Hello, this line is kept.\n" * 20 + "一##paidend##二\n".encode()


def oneshot(d, data):
    r = run([str(BUILD / "scrubd"), "-c", str(d.conf), "-F"], data)
    assert r.returncode == 0
    return r.stdout


def send_fd(s, payload, fd):
    s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                           array.array("i", [fd]))])


def test_descriptor_on_a_later_message_is_not_a_request(tmp_path):
    """Bytes queued before a descriptor-bearing message are document."""
    d = Daemon(tmp_path, "workers = 1\n").start()
    try:
        r, w = os.pipe()
        s = d.connect()
        d.signal(signal.SIGSTOP)
        s.sendall(DOC[:100])
        send_fd(s, DOC[100:200], w)
        s.sendall(DOC[200:])
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.2)
        d.signal(signal.SIGCONT)
        assert recv_all(s) == oneshot(d, DOC)
        os.close(w)
        assert os.read(r, 1000) == b""      # no status: not a request
    finally:
        assert d.stop() == 0, d.logtext()


def test_status_goes_only_to_a_pipe(tmp_path):
    """A socket passed as the status descriptor gets nothing (scrubd would
    speak with its own credentials to whatever it is connected to), and
    its flags are left as they were."""
    d = Daemon(tmp_path).start()
    try:
        a, b = socket.socketpair()
        s = d.connect()
        send_fd(s, b"S", a.fileno())
        s.sendall(DOC)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == oneshot(d, DOC)
        assert os.get_blocking(a.fileno())
        a.close()
        b.settimeout(5)
        assert b.recv(100) == b""
    finally:
        assert d.stop() == 0, d.logtext()


def test_write_timeout_restarts_with_every_write(tmp_path):
    """A reader that keeps reading, slowly, is never timed out."""
    d = Daemon(tmp_path, "idle_timeout = 1s\noutput_high_water = 4K\n")
    d.start()
    try:
        doc = (b"x" * 99 + b"\n") * 10000
        assert send_and_read_slowly(d.connect(), doc, 0.25) == doc
        d.wait_log("end=ok")
    finally:
        assert d.stop() == 0, d.logtext()


def test_listen_fds_naming_a_closed_descriptor(tmp_path):
    """LISTEN_FDS for a descriptor that is not open: scrubd must not close
    its own event loop's descriptor in its place."""
    d = Daemon(tmp_path)
    d.start(prefix=["sh", "-c", 'exec 3>&-; LISTEN_FDS=1 LISTEN_PID=$$ '
                    'exec "$0" "$@"'])
    try:
        assert d.roundtrip(b"a##paidend##\n") == b"a\n"
    finally:
        assert d.stop(timeout=20) == 0, d.logtext()


@pytest.mark.skipif(ASAN, reason="RSS under ASan includes its quarantine")
def test_jsonl_output_per_read_is_bounded(tmp_path):
    """Empty lines become error rows 80 times their size: a client that
    sends them and reads nothing costs about output_high_water."""
    j = str(tmp_path / "j.sock")
    d = Daemon(tmp_path, f"jsonl_socket = {j}\nworkers = 1\n").start()
    try:
        base = rss_kib(d.proc.pid)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(j)
        s.setblocking(False)
        sent = 0
        end = time.monotonic() + 3
        while time.monotonic() < end and sent < 16 << 20:
            try:
                sent += s.send(b"\n" * 65536)
            except BlockingIOError:
                time.sleep(0.05)
        grown = rss_kib(d.proc.pid) - base
        assert grown < 12 * 1024, f"RSS grew {grown} KiB"
        s.close()
    finally:
        assert d.stop() == 0, d.logtext()


def test_metrics_protocol_edges(tmp_path):
    addr = f"unix:{tmp_path}/m.sock"
    d = Daemon(tmp_path, args=["-M", addr]).start()
    try:
        for req in (b"GET /metrics HTTP/1.banana\r\n\r\n",
                    b"GET /metrics\x00 HTTP/1.1\r\n"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(addr[5:])
            s.settimeout(3)
            s.sendall(req)
            assert recv_all(s).startswith(b"HTTP/1.1 400 "), req
            s.close()
        assert http_get(addr, "/healthz") == (200, "ok\n")
    finally:
        assert d.stop() == 0, d.logtext()


def test_second_sigterm_cuts_a_long_reload_short(tmp_path):
    d = Daemon(tmp_path, "workers = 1\n", rules=big_rules(20000)).start()
    d.signal(signal.SIGHUP)
    d.wait_log("reloading")
    d.signal(signal.SIGTERM)
    d.signal(signal.SIGTERM)
    t0 = time.monotonic()
    assert d.proc.wait(timeout=60) == 0
    assert time.monotonic() - t0 < (20 if ASAN else 5)
    assert not os.path.exists(d.sock)


def test_startup_failure_removes_the_socket_it_made(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    d = Daemon(tmp_path)
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-s",
                        d.sock, "-M", f"127.0.0.1:{port}"],
                       stderr=subprocess.PIPE, timeout=30)
    busy.close()
    assert r.returncode == 1 and b"Address already in use" in r.stderr
    assert not os.path.exists(d.sock)


def test_scrubc_standard_descriptors_and_dash(tmp_path):
    scrubc = str(BUILD / "scrubc")
    d = Daemon(tmp_path).start()
    try:
        for redirect, what in (("<&-", b"input"), (">&-", b"output")):
            r = subprocess.run(["sh", "-c", f'"$0" -s "$1" {redirect}',
                                scrubc, d.sock], stdin=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=30)
            assert r.returncode == 2
            assert b"standard " + what + b" is closed" in r.stderr
        dash = tmp_path / "-"
        dash.write_bytes(DOC)
        out = tmp_path / "out"
        out.mkdir()
        r = subprocess.run([scrubc, "-s", d.sock, "-o", str(out), "--",
                            "-"], cwd=tmp_path, stdout=subprocess.PIPE,
                           timeout=30)
        assert (r.returncode, r.stdout) == (0, b"")
        assert (out / "-").read_bytes() == oneshot(d, DOC)
    finally:
        assert d.stop() == 0, d.logtext()


def test_scrubc_timeout_covers_a_blocked_output(tmp_path):
    """-T: a consumer that stops reading ends the document in time; one
    that reads steadily, however slowly, does not."""
    d = Daemon(tmp_path).start()
    try:
        doc = (b"y" * 199 + b"\n") * 20000
        p = subprocess.Popen([str(BUILD / "scrubc"), "-s", d.sock, "-T",
                              "2"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.set_blocking(p.stdin.fileno(), False)
        try:
            p.stdin.write(doc)
        except BlockingIOError:
            pass
        t0 = time.monotonic()
        assert p.wait(timeout=30) == 1
        assert time.monotonic() - t0 < 10
        assert b"no progress for 2 seconds" in p.stderr.read()
    finally:
        assert d.stop() == 0, d.logtext()
