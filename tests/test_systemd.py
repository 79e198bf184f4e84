"""systemd integration: units, socket activation, sd_notify, install, man."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BUILD, ROOT, corpus_cases
from daemon import Daemon


def make_install(tmp_path, *extra):
    prefix, etc = tmp_path / "usr", tmp_path / "etc"
    r = subprocess.run(["make", "-s", "install", f"BUILD={BUILD}",
                        f"PREFIX={prefix}", f"SYSCONFDIR={etc}", *extra],
                       cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    assert r.returncode == 0, r.stderr
    return prefix, etc, r.stdout.decode()


def test_install_tree_and_uninstall(tmp_path):
    prefix, etc, _ = make_install(tmp_path)
    want = [prefix / "sbin/scrubd", etc / "scrubd/scrubd.conf",
            etc / "scrubd/watermark.patterns",
            prefix / "lib/systemd/system/scrubd.service",
            prefix / "lib/systemd/system/scrubd.socket",
            prefix / "lib/systemd/system/scrubd-jsonl.socket",
            prefix / "lib/sysusers.d/scrubd.conf",
            prefix / "share/man/man8/scrubd.8",
            prefix / "share/man/man5/scrubd.conf.5"]
    for path in want:
        assert path.is_file(), path
    assert os.access(prefix / "sbin/scrubd", os.X_OK)
    unit = (prefix / "lib/systemd/system/scrubd.service").read_text()
    assert f"ExecStart={prefix}/sbin/scrubd -c {etc}/scrubd/scrubd.conf" \
        in unit
    # An operator's configuration is never overwritten.
    (etc / "scrubd/scrubd.conf").write_text("# mine\n")
    _, _, out = make_install(tmp_path)
    assert "keeping existing" in out
    assert (etc / "scrubd/scrubd.conf").read_text() == "# mine\n"
    # The installed binary checks the installed default configuration.
    r = subprocess.run([str(prefix / "sbin/scrubd"), "-c",
                        str(ROOT / "conf/scrubd.conf"), "-t"],
                       stdout=subprocess.PIPE, timeout=30)
    assert r.stdout == b"configuration OK\n"
    r = subprocess.run(["make", "-s", "uninstall", f"BUILD={BUILD}",
                        f"PREFIX={prefix}", f"SYSCONFDIR={etc}"], cwd=ROOT,
                       stdout=subprocess.PIPE, timeout=60)
    assert r.returncode == 0
    assert not any(p.exists() for p in want if "etc" not in p.parts)
    assert (etc / "scrubd/scrubd.conf").exists()


def test_units_verify(tmp_path):
    prefix, _, _ = make_install(tmp_path)
    units = prefix / "lib/systemd/system"
    r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        str(units / "scrubd.socket"),
                        str(units / "scrubd-jsonl.socket"),
                        str(units / "scrubd.service")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"scrubd" not in r.stderr, r.stderr


def test_service_hardening_exposure(tmp_path):
    prefix, _, _ = make_install(tmp_path)
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        str(prefix / "lib/systemd/system/scrubd.service")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    m = re.search(rb"Overall exposure level for scrubd.service: "
                  rb"([0-9.]+)", r.stdout)
    assert m, r.stdout[-500:] + r.stderr
    assert float(m.group(1)) <= 1.5


@pytest.mark.parametrize("page", ["scrubd.8", "scrubd.conf.5", "scrubc.1"])
def test_man_pages_render_cleanly(page):
    r = subprocess.run(["man", "--warnings", "-l", str(ROOT / "man" / page)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8",
                                MANPAGER="cat", PAGER="cat"), timeout=60)
    assert r.returncode == 0
    assert r.stderr == b""
    assert b"NAME" in r.stdout and b"SEE ALSO" in r.stdout


def test_socket_activation(tmp_path):
    d = Daemon(tmp_path)
    d.start(wait=False, socket_arg=False,
            prefix=["systemd-socket-activate", "-l", d.sock])
    try:
        d.wait_log("Listening on")
        for src, want in (c.values for c in corpus_cases()[:3]):
            assert d.socat(src.read_bytes()) == want.read_bytes()
        d.wait_log("listening on the socket passed by systemd")
    finally:
        assert d.stop() == 0, d.logtext()
    # The socket file belongs to the activator, not to scrubd.
    assert os.path.exists(d.sock)


def test_socket_activation_with_jsonl(tmp_path):
    d = Daemon(tmp_path)
    jsock = str(tmp_path / "jsonl.sock")
    d.start(wait=False, socket_arg=False,
            prefix=["systemd-socket-activate", "-l", d.sock, "-l", jsock,
                    "--fdname=scrubd.socket:jsonl"])
    try:
        d.wait_log("Listening on")
        assert d.socat(b"a##paidend##\n") == b"a\n"
        d.wait_log("and JSON Lines on the socket passed by systemd")
        r = subprocess.run(["socat", "-t", "30", "-",
                            f"UNIX-CONNECT:{jsock}"],
                           input=b'{"text":"b##paidend##"}\n',
                           stdout=subprocess.PIPE, timeout=60)
        assert r.stdout == b'{"text":"b"}\n'
    finally:
        assert d.stop() == 0, d.logtext()


def notify_receiver(tmp_path):
    """A datagram socket bound in tmp_path, for NOTIFY_SOCKET; and its path."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    notify.bind(path)
    return notify, path


def notifications(sock, until):
    """Collect sd_notify datagrams until one contains `until`."""
    got = []
    while True:
        msg = sock.recv(4096).decode()
        got.append(msg)
        if until in msg:
            return got


def test_sd_notify_messages(tmp_path):
    notify, path = notify_receiver(tmp_path)
    notify.settimeout(20)
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": path})
    try:
        first = notifications(notify, "READY=1")
        assert any("STATUS=serving" in m for m in first)
        status = notifications(notify, "connection(s) open")
        assert "generation 1, 5 rules" in status[-1]

        d.signal(signal.SIGHUP)
        msgs = notifications(notify, "READY=1")
        reloading = [m for m in msgs if "RELOADING=1" in m]
        assert reloading and "MONOTONIC_USEC=" in reloading[0]
        assert "STATUS=reload done: generation 2, new configuration taken" \
            in msgs[-1]

        d.conf.write_text("[filter:x]\ntype = bogus\n")
        d.signal(signal.SIGHUP)
        msgs = notifications(notify, "READY=1")
        assert any("RELOADING=1" in m for m in msgs)
        assert "reload refused" in msgs[-1]

        d.signal(signal.SIGTERM)
        msgs = notifications(notify, "STOPPING=1")
        assert d.proc.wait(timeout=30) == 0
    finally:
        d.kill()
        notify.close()


def test_sd_notify_abstract_socket(tmp_path):
    """NOTIFY_SOCKET=@name is an abstract socket address."""
    name = f"scrubd-test-{os.getpid()}-{time.monotonic_ns()}"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind("\0" + name)
    notify.settimeout(20)
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": "@" + name})
    try:
        assert any("STATUS=serving" in m
                   for m in notifications(notify, "READY=1"))
    finally:
        assert d.stop() == 0, d.logtext()
        notify.close()


def test_sd_notify_receiver_that_never_reads(tmp_path):
    """A notification socket whose queue is full must not stall the
    daemon: a state change waits half a second at most, then it is
    dropped; documents are still served and SIGTERM still stops it."""
    notify, path = notify_receiver(tmp_path)
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": path})
    try:
        for _ in range(16):	# more reloads than the datagram queue holds
            d.signal(signal.SIGHUP)
            time.sleep(0.2)
        d.wait_log("reload", timeout=20)
        t0 = time.monotonic()
        assert d.roundtrip(b"a##paidend##\n", timeout=30) == b"a\n"
        assert time.monotonic() - t0 < 20
    finally:
        assert d.stop(timeout=30) == 0, d.logtext()
        notify.close()


def fill_datagram_queue(path):
    """Send datagrams to path until its queue is full."""
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setblocking(False)
        try:
            s.sendto(b"X-FILLER=1", path)
        except BlockingIOError:
            return
        finally:
            s.close()


def test_sd_notify_state_reaches_a_reader_that_was_late(tmp_path):
    """A state change that finds the manager's queue full is not lost: it
    is sent again (by the status timer) once there is room, and only the
    newest one counts.  A full queue costs half a second once, not at
    every state change."""
    notify, path = notify_receiver(tmp_path)
    fill_datagram_queue(path)
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": path})
    try:
        t0 = time.monotonic()
        n = 4
        for i in range(n):
            d.signal(signal.SIGHUP)
            d.wait_log(f"reload done: generation {i + 2}", timeout=30)
            assert d.roundtrip(b"a##paidend##\n") == b"a\n"
        # Waiting 0.5 s at each of the 2n state changes would take 4 s.
        assert time.monotonic() - t0 < 3, d.logtext()
        time.sleep(1)	# longer than any wait for the queue
        notify.setblocking(False)
        try:
            while notify.recv(4096):
                pass
        except BlockingIOError:
            pass
        notify.settimeout(20)
        msgs = notifications(notify, "READY=1")
        assert f"reload done: generation {n + 1}," in msgs[-1], msgs
    finally:
        assert d.stop(timeout=30) == 0, d.logtext()
        notify.close()


def test_sd_notify_full_queue_and_a_signal_storm(tmp_path):
    """A signal that cuts a state change's wait short counts as the wait
    running out: reloads 0.3 s apart against a manager that has stopped
    reading do not stall serving at every one of them."""
    notify, path = notify_receiver(tmp_path)
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": path})
    try:
        fill_datagram_queue(path)

        def storm():
            for _ in range(12):
                d.signal(signal.SIGHUP)
                time.sleep(0.3)
        t = threading.Thread(target=storm)
        t.start()
        slow = 0.0
        while t.is_alive():
            t0 = time.monotonic()
            assert d.roundtrip(b"a##paidend##\n", timeout=30) == b"a\n"
            if time.monotonic() - t0 > 0.2:
                slow += time.monotonic() - t0
        t.join()
        # A wait at every state change, each cut short by the next
        # signal, stalled serving for about 4 s in all.
        assert slow < 2.5, (slow, d.logtext())
    finally:
        assert d.stop(timeout=30) == 0, d.logtext()
        notify.close()


@pytest.mark.parametrize("fds,names,said", [
    ("1", "jsonl:extra", "LISTEN_FDNAMES names 2"),
    ("1", "", "LISTEN_FDNAMES names 0"),
    ("1", "a:b:c", "LISTEN_FDNAMES names 3"),
    ("65", None, "ignoring LISTEN_FDS=65: not a number"),
    ("abc", None, "ignoring LISTEN_FDS=abc: not a number"),
    ("99999999999999999999", None, "not a number of descriptors"),
])
def test_listen_fds_refused(tmp_path, fds, names, said):
    """LISTEN_FDS that is not a number of descriptors up to 64, or
    LISTEN_FDNAMES naming another number of them: the passed socket is not
    used (libsystemd refuses those too), scrubd says so and serves on the
    socket it was told to bind."""
    passed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    passed.bind(str(tmp_path / "passed.sock"))
    passed.listen()
    d = Daemon(tmp_path)
    fd = passed.fileno()
    env = f'LISTEN_FDS="{fds}" ' + \
        (f'LISTEN_FDNAMES="{names}" ' if names is not None else "")
    d.start(prefix=["bash", "-c", f'exec 3<&{fd}; {env}LISTEN_PID=$$ '
                    'exec "$0" "$@"'], pass_fds=(fd,))
    try:
        assert d.roundtrip(b"a##paidend##\n") == b"a\n"
        d.wait_log(said)
    finally:
        assert d.stop() == 0, d.logtext()
        passed.close()


@pytest.mark.parametrize("value", ["relative.sock", "@" + "x" * 120,
                                   "/" + "y" * 120, "vsock:2:1"])
def test_notify_socket_we_cannot_speak_is_ignored(tmp_path, value):
    """A NOTIFY_SOCKET that is no UNIX socket address (relative, too long
    for sun_path, another family) is ignored: scrubd starts and serves."""
    d = Daemon(tmp_path)
    d.start(env={"NOTIFY_SOCKET": value})
    try:
        assert d.roundtrip(b"a##paidend##\n") == b"a\n"
    finally:
        assert d.stop() == 0, d.logtext()
