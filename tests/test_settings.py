"""[daemon] settings: -t refuses, with FILE:LINE, every configuration that
start-up or reload would refuse; a reload names every changed key that
needs a restart, in the log and in systemd's STATUS=."""
import signal
import socket
import subprocess

import pytest

from conftest import BUILD
from daemon import Daemon
from test_systemd import notifications


def check(d, *args):
    """scrubd -t with the daemon's configuration (and options)."""
    return subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), "-t",
                           *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30)


def start_fails(d, *args):
    """Start-up with the same configuration: exit 1 and its stderr."""
    r = subprocess.run([str(BUILD / "scrubd"), "-c", str(d.conf), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert r.returncode == 1, r.stderr
    return r.stderr.decode()


LONG = "/tmp/" + "x" * 110 + ".sock"


@pytest.mark.parametrize("keys,message", [
    ("metrics = 127.0.0.1:99999\n", "bad port in 127.0.0.1:99999"),
    ("metrics = 127.0.0.1:\n", "bad port"),
    ("metrics = :9100\n", "bad host"),
    ("metrics = 999.1.1.1:9100\n", "bad host"),
    ("metrics = -:9100\n", "bad host"),
    ("metrics = no-such-host.invalid:9100\n", "bad host"),
    ("metrics = ::1:9100\n", "bad host"),
    ("metrics = [127.0.0.1]:9100\n", "bad host"),
    ("metrics = no-colon\n", "metrics must be unix:PATH or HOST:PORT"),
    ("metrics = unix:relative.sock\n", "must be an absolute path"),
    (f"metrics = unix:{LONG}\n", "path too long for a UNIX socket"),
    (f"socket = {LONG}\n", "path too long for a UNIX socket"),
    (f"jsonl_socket = {LONG}\n", "path too long for a UNIX socket"),
    ("socket = relative.sock\n", "socket must be an absolute path"),
    ("socket = /tmp/\n", "names a directory, not a socket"),
    ("socket = /etc/passwd\n", "exists and is not a socket"),
    ("socket_mode = 0999\n", "socket_mode must be an octal mode"),
    ("socket_group = no-such-group-here\n", "unknown group"),
    ("allow_uid = no-such-user-here\n", "unknown user"),
    ("workers = 1000\n", "workers must be from 0"),
    ("max_connections = 0\n", "max_connections must be from 1"),
    ("idle_timeout = 0\n", "idle_timeout must be a duration"),
    ("shutdown_timeout = soon\n", "shutdown_timeout must be a duration"),
    ("max_document = lots\n", "max_document must be a size"),
    ("output_high_water = 1K\n", "output_high_water must be a size from 4K"),
])
def test_check_refuses_what_start_refuses(tmp_path, keys, message):
    d = Daemon(tmp_path, keys)
    r = check(d)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"{d.conf}:" in err and message in err, err
    assert message in start_fails(d, "-s", str(tmp_path / "s.sock"))


def test_two_options_naming_one_path(tmp_path):
    path = str(tmp_path / "same.sock")
    d = Daemon(tmp_path, f"socket = {path}\njsonl_socket = {path}\n")
    r = check(d)
    assert r.returncode == 1
    assert b"jsonl_socket names the same path as socket" in r.stderr
    assert f"{d.conf}:".encode() in r.stderr
    d = Daemon(tmp_path, "")
    for args in (["-s", path, "-J", path], ["-s", path, "-M", f"unix:{path}"]):
        r = check(d, *args)
        assert r.returncode == 1, args
        assert b"command line" in r.stderr and b"same path" in r.stderr
        assert "same path" in start_fails(d, *args)
        assert "another scrubd" not in start_fails(d, *args)


def test_command_line_values_are_checked(tmp_path):
    d = Daemon(tmp_path, "")
    r = check(d, "-M", "localhost:0")
    assert r.returncode == 1
    assert b"command line: -M localhost:0: metrics: bad port" in r.stderr
    r = check(d, "-s", LONG)
    assert r.returncode == 1 and b"command line: -s" in r.stderr
    assert check(d, "-M", "localhost:9100").returncode == 0
    assert check(d, "-M", "[::1]:9100").returncode == 0


RESTART = {
    "socket": lambda t: f"socket = {t}/other.sock\n",
    "jsonl_socket": lambda t: f"jsonl_socket = {t}/other-j.sock\n",
    "metrics": lambda t: f"metrics = unix:{t}/other-m.sock\n",
    "socket_mode": lambda t: "socket_mode = 0600\n",
    "socket_group": lambda t: "socket_group = 0\n",
    "workers": lambda t: "workers = 3\n",
}


@pytest.mark.parametrize("key", sorted(RESTART))
def test_reload_names_keys_that_need_a_restart(tmp_path, key):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    notify.bind(path)
    notify.settimeout(20)
    d = Daemon(tmp_path, f"socket = {tmp_path}/scrubd.sock\n")
    d.start(env={"NOTIFY_SOCKET": path}, socket_arg=False)
    try:
        notifications(notify, "READY=1")
        d.write_conf(f"socket = {tmp_path}/scrubd.sock\n" +
                     ("idle_timeout = 5s\n" if key == "socket" else "") +
                     RESTART[key](tmp_path))
        if key == "socket":
            d.write_conf(RESTART[key](tmp_path))
        d.signal(signal.SIGHUP)
        msgs = notifications(notify, "READY=1")
        assert f"{key} changed: needs a restart" in msgs[-1], msgs[-1]
        d.wait_log(f"reload: {key} changed: needs a restart")
        assert d.roundtrip(b"still ##paidend##served\n") == \
            b"still served\n"
        # A second reload with the same file still says so.
        d.signal(signal.SIGHUP)
        msgs = notifications(notify, "READY=1")
        assert f"{key} changed: needs a restart" in msgs[-1]
    finally:
        assert d.stop() == 0, d.logtext()
        notify.close()


def test_reload_applies_reloadable_keys(tmp_path):
    d = Daemon(tmp_path, "max_document = 1M\n").start()
    try:
        d.write_conf("max_document = 10\n")
        d.signal(signal.SIGHUP)
        d.wait_log("reload done: generation 2")
        assert "needs a restart" not in d.logtext()
        s = d.connect()
        s.sendall(b"0123456789abcdef\n")
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        try:
            while s.recv(100):
                pass
        except ConnectionResetError:
            pass
        s.close()
        d.wait_log("end=max_document")
    finally:
        assert d.stop() == 0, d.logtext()


def test_one_path_spelled_two_ways(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for a, b in ((f"{tmp_path}/real/x.sock", f"{tmp_path}//real/x.sock"),
                 (f"{tmp_path}/real/x.sock", f"{tmp_path}/./real/x.sock"),
                 (f"{tmp_path}/real/x.sock", f"{tmp_path}/a/../real/x.sock"),
                 (f"{tmp_path}/real/x.sock", f"{tmp_path}/link/x.sock")):
        d = Daemon(tmp_path, f"socket = {a}\njsonl_socket = {b}\n")
        r = check(d)
        assert r.returncode == 1, (a, b)
        assert b"names the same path as socket" in r.stderr
