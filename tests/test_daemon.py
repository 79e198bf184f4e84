"""The daemon on a real UNIX socket, driven by socat and raw sockets."""
import os
import random
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BUILD, corpus_cases
from daemon import Daemon, recv_all

CASES = corpus_cases()


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path, "workers = 2\nidle_timeout = 20s\n").start()
    yield d
    assert d.stop() == 0, d.logtext()
    assert not os.path.exists(d.sock), "socket file left behind"


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("shared"), "workers = 2\n").start()
    yield d
    assert d.stop() == 0, d.logtext()


@pytest.mark.parametrize("src,want", CASES)
def test_corpus_through_socat(shared_daemon, src, want):
    assert shared_daemon.socat(src.read_bytes()) == want.read_bytes()


def test_socat_default_options(shared_daemon):
    src, want = CASES[0].values
    assert shared_daemon.socat(src.read_bytes(), extra=()) == \
        want.read_bytes()


def test_corpus_in_tiny_pieces(shared_daemon):
    """Written 1-7 bytes at a time: markers and characters split."""
    rnd = random.Random(11)
    for c in CASES[::4]:
        src, want = c.values
        got = shared_daemon.roundtrip(src.read_bytes(), piece=7, rnd=rnd)
        assert got == want.read_bytes(), src


def test_64_clients_at_once(shared_daemon):
    docs = [c.values for c in CASES[:64]]
    results = [None] * len(docs)

    def client(i):
        src, _ = docs[i]
        results[i] = shared_daemon.roundtrip(src.read_bytes(), piece=4096)

    threads = [threading.Thread(target=client, args=(i,))
               for i in range(len(docs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for (src, want), got in zip(docs, results):
        assert got == want.read_bytes(), src


def test_16mib_single_line(shared_daemon):
    rnd = random.Random(3)
    parts, want = [], []
    while sum(map(len, want)) < 16 << 20:
        text = "依法治理".encode() * rnd.randint(1, 9000)
        parts += [text, b"##paidend##"]
        want.append(text)
    doc = b"".join(parts)
    assert shared_daemon.socat(doc) == b"".join(want)


def test_nul_and_invalid_utf8(shared_daemon):
    doc = b"\x00\xff\xfe##paidbegin##x\x00\r\n\xe5\x93\n\x80 tail"
    assert shared_daemon.socat(doc) == b"\x00\xff\xfex\x00\r\n\xe5\x93\n\x80 tail"


def test_output_streams_before_half_close(shared_daemon):
    """Lines come back while the client is still writing."""
    s = shared_daemon.connect()
    s.settimeout(10)
    s.sendall("第一行##paidend##\n第二行\n".encode())
    got = b""
    while len(got) < len("第一行\n第二行\n".encode()):
        got += s.recv(4096)
    assert got == "第一行\n第二行\n".encode()
    s.sendall(b"last")
    s.shutdown(socket.SHUT_WR)
    assert recv_all(s) == b"last"
    s.close()


def test_aborted_clients_leave_nothing(daemon):
    doc = CASES[0].values[0].read_bytes()
    daemon.roundtrip(b"warm up\n")
    time.sleep(0.2)
    before = daemon.nfds()
    for i in range(300):
        s = daemon.connect()
        s.sendall(doc[: 100 + i * 7])
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    assert daemon.roundtrip(b"a##paidend##\n") == b"a\n"
    end = time.monotonic() + 10
    while daemon.nfds() != before and time.monotonic() < end:
        time.sleep(0.05)
    assert daemon.nfds() == before


def test_idle_timeout(tmp_path):
    d = Daemon(tmp_path, "idle_timeout = 300ms\n").start()
    try:
        s = d.connect()
        s.settimeout(10)
        t0 = time.monotonic()
        s.sendall(b"partial line")
        assert recv_all(s) == b""
        assert time.monotonic() - t0 < 5
        d.wait_log("idle_timeout (300ms) reached")
        d.wait_log("end=idle_timeout")
        assert d.roundtrip(b"x\n") == b"x\n"
    finally:
        assert d.stop() == 0


RULES_V2 = "[filter:only]\ntype = replace\npattern = apple\nreplacement = pear\n"


def test_reload_good_and_broken(tmp_path):
    d = Daemon(tmp_path).start()
    try:
        inflight = d.connect()
        inflight.sendall("苹果##paidend##\n".encode())
        time.sleep(0.2)
        d.write_conf(rules=RULES_V2)
        d.signal(signal.SIGHUP)
        d.wait_log("reload done: generation 2")
        # The connection in flight keeps its rules; new ones get the new.
        inflight.sendall(b"apple##paidbegin##\n")
        inflight.shutdown(socket.SHUT_WR)
        assert recv_all(inflight) == "苹果\napple\n".encode()
        inflight.close()
        assert d.roundtrip(b"apple##paidend##\n") == b"pear##paidend##\n"
        # A broken configuration is refused whole, with FILE:LINE.
        d.conf.write_text("[filter:x]\ntype = replace\npattern = (\n")
        d.signal(signal.SIGHUP)
        d.wait_log("reload failed")
        assert f"{d.conf}:3: bad pattern at offset 1" in d.logtext()
        assert d.roundtrip(b"apple\n") == b"pear\n"
    finally:
        assert d.stop() == 0


def test_sigterm_lets_documents_finish(tmp_path):
    d = Daemon(tmp_path).start()
    s = d.connect()
    s.settimeout(20)
    s.sendall(b"one##paidend##\n")
    time.sleep(0.2)
    d.signal(signal.SIGTERM)
    d.wait_log("stopping")
    assert not os.path.exists(d.sock)
    time.sleep(0.2)
    s.sendall(b"two\n")
    s.shutdown(socket.SHUT_WR)
    assert recv_all(s) == b"one\ntwo\n"
    s.close()
    assert d.proc.wait(timeout=20) == 0
    assert "stopped" in d.logtext()


def test_shutdown_timeout_closes_stragglers(tmp_path):
    d = Daemon(tmp_path, "shutdown_timeout = 300ms\n").start()
    s = d.connect()
    s.sendall(b"never finished")
    time.sleep(0.1)
    d.signal(signal.SIGTERM)
    assert d.proc.wait(timeout=20) == 0
    assert "end=shutdown_timeout" in d.logtext()
    s.close()


def test_stale_socket_is_replaced(tmp_path):
    d = Daemon(tmp_path)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(d.sock)
    stale.close()
    d.start()
    try:
        assert "removing stale socket" in d.logtext()
        assert d.roundtrip(b"ok\n") == b"ok\n"
    finally:
        assert d.stop() == 0


def test_live_socket_refuses_start(daemon):
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(daemon.conf),
                        "-s", daemon.sock], stderr=subprocess.PIPE,
                       timeout=30)
    assert r.returncode == 1
    assert b"is live: another scrubd is listening" in r.stderr
    assert daemon.roundtrip(b"still\n") == b"still\n"


def test_not_a_socket_refuses_start(tmp_path):
    d = Daemon(tmp_path)
    open(d.sock, "w").close()
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-s",
                        d.sock], stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 1
    assert b"exists and is not a socket" in r.stderr


def test_refused_peer(tmp_path):
    d = Daemon(tmp_path, f"allow_uid = {os.getuid() + 4242}\n").start()
    try:
        s = d.connect()
        s.settimeout(10)
        try:
            s.sendall(b"x\n")
            s.shutdown(socket.SHUT_WR)
            assert recv_all(s) == b""
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
        d.wait_log("not in allow_uid or allow_gid")
    finally:
        assert d.stop() == 0


def test_allowed_peer_by_gid(tmp_path):
    d = Daemon(tmp_path, f"allow_uid = {os.getuid() + 4242}\n"
               f"allow_gid = {os.getgid()}\n").start()
    try:
        assert d.roundtrip(b"ok\n") == b"ok\n"
    finally:
        assert d.stop() == 0


def test_max_document(tmp_path):
    d = Daemon(tmp_path, "max_document = 1K\n").start()
    try:
        s = d.connect()
        s.settimeout(10)
        try:
            s.sendall(b"x" * 4096 + b"\n")
            s.shutdown(socket.SHUT_WR)
            recv_all(s)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
        d.wait_log("larger than max_document (1024 bytes)")
        d.wait_log("end=max_document")
        assert d.roundtrip(b"small\n") == b"small\n"
    finally:
        assert d.stop() == 0


def test_max_connections(tmp_path):
    d = Daemon(tmp_path, "max_connections = 2\n").start()
    try:
        held = [d.connect(), d.connect()]
        for h in held:
            h.sendall(b"x")
        time.sleep(0.3)
        third = d.connect()
        third.settimeout(10)
        assert recv_all(third) == b""
        third.close()
        d.wait_log("max_connections (2) reached")
        for h in held:
            h.shutdown(socket.SHUT_WR)
            assert recv_all(h) == b"x"
            h.close()
        time.sleep(0.2)
        assert d.roundtrip(b"after\n") == b"after\n"
    finally:
        assert d.stop() == 0


def test_every_daemon_key_together(tmp_path):
    """All [daemon] keys at once, in file order, as an operator writes them."""
    d = Daemon(tmp_path, f"metrics = unix:{tmp_path}/m.sock\n"
               f"jsonl_socket = {tmp_path}/j.sock\nsocket_mode = 0600\n"
               f"socket_group = {os.getgid()}\nworkers = 1\n"
               "max_connections = 10\nidle_timeout = 5s\n"
               "shutdown_timeout = 5s\nmax_document = 1M\n"
               f"output_high_water = 64K\nallow_uid = {os.getuid()}\n"
               f"allow_gid = {os.getgid()}\n")
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-t"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"configuration OK\n",
                                                   b"")
    d.start()
    try:
        assert os.stat(d.sock).st_mode & 0o777 == 0o600
        assert os.path.exists(f"{tmp_path}/m.sock")
        assert os.path.exists(f"{tmp_path}/j.sock")
        assert d.roundtrip(b"x##paidend##\n") == b"x\n"
    finally:
        assert d.stop() == 0, d.logtext()


def test_bad_daemon_keys_are_reported(tmp_path):
    d = Daemon(tmp_path, "workers = many\nbogus = 1\nidle_timeout = 0\n"
               "allow_gid = 0\nallow_gid = 1\nidle_timeout = 5s\n")
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-t"],
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "workers must be from 0" in err
    assert "unknown key bogus in [daemon]" in err
    assert "idle_timeout must be a duration" in err
    assert "idle_timeout given twice (first at line" in err
    assert "allow_gid given twice" not in err
    assert err.count(str(d.conf) + ":") == 4
