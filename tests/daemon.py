"""A helper that runs the real scrubd daemon on a temporary socket."""
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time

from conftest import BUILD, CONF


class Daemon:
    """scrubd in the foreground, its stderr captured to a log file."""

    def __init__(self, tmp_path, daemon_keys="", rules=None, args=()):
        self.dir = pathlib.Path(tmp_path)
        self.sock = str(self.dir / "scrubd.sock")
        self.conf = self.dir / "scrubd.conf"
        self.logpath = self.dir / "scrubd.log"
        self.write_conf(daemon_keys, rules)
        self.args = list(args)
        self.proc = None

    def write_conf(self, daemon_keys="", rules=None):
        """Write the config: the default rules unless given, plus keys."""
        base = rules if rules is not None else CONF.read_text()
        (self.dir / "watermark.patterns").write_bytes(
            (CONF.parent / "watermark.patterns").read_bytes())
        self.conf.write_text(base + "\n[daemon]\n" + daemon_keys + "\n")

    def start(self, wait=True, env=None, prefix=(), socket_arg=True,
              pass_fds=()):
        self.log = open(self.logpath, "ab")
        self.log_start = self.logpath.stat().st_size
        sock = ["-s", self.sock] if socket_arg else []
        self.proc = subprocess.Popen(
            list(prefix) + [str(BUILD / "scrubd"), "-c", str(self.conf)]
            + sock + self.args, stdout=subprocess.DEVNULL, stderr=self.log,
            env=dict(os.environ, **(env or {})), pass_fds=pass_fds)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, timeout=20):
        """Wait until the log says the daemon listens."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if b"listening on" in \
                    self.logpath.read_bytes()[self.log_start:]:
                return
            assert self.proc.poll() is None, self.logtext()
            time.sleep(0.02)
        raise AssertionError("daemon did not start: " + self.logtext())

    def logtext(self):
        return self.logpath.read_bytes().decode(errors="replace")

    def wait_log(self, text, timeout=20):
        """Wait until text appears in the log."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.logtext():
                return
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not logged: " + self.logtext())

    def wait_count(self, text, n, timeout=20):
        """Wait until text appears n times in the log."""
        end = time.monotonic() + timeout
        while self.logtext().count(text) < n:
            assert time.monotonic() < end, \
                f"{text!r} not logged {n} times: " + self.logtext()
            time.sleep(0.02)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=60):
        """SIGTERM, wait, and insist on exit status 0."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.log.close()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def nfds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        return s

    def roundtrip(self, data, piece=None, rnd=None, timeout=60):
        """Send a document (in pieces if asked), half-close, read all."""
        s = self.connect()
        s.settimeout(timeout)
        try:
            off = 0
            while off < len(data):
                n = len(data) if piece is None else (
                    rnd.randint(1, piece) if rnd else piece)
                s.sendall(data[off:off + n])
                off += n
            s.shutdown(socket.SHUT_WR)
            return recv_all(s)
        finally:
            s.close()

    def socat(self, data, extra=("-t", "30")):
        r = subprocess.run(["socat", *extra, "-",
                            f"UNIX-CONNECT:{self.sock}"], input=data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout


def send_and_read_slowly(s, doc, pause):
    """Send doc from a thread and half-close; meanwhile read 64 KiB at a
    time, pausing between reads; what came back, up to the close (or a
    reset)."""
    def writer():
        try:
            s.sendall(doc)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    got = []
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        got.append(b)
        time.sleep(pause)
    t.join(10)
    return b"".join(got)


def recv_all(s):
    """Read until the peer closes."""
    chunks = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)
