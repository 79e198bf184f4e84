"""Every mode gives the same bytes: the daemon (raw and JSON Lines, any
chunking, slow readers), scrubc and socat against one-shot -F, on random
documents from a seeded generator (tests/property.py).

SCRUBD_PROPERTY_SEED and SCRUBD_PROPERTY_DOCS change the seed and the
number of documents; a failure prints the seed and the document index.
"""
import json
import os
import random
import socket
import threading
import time

import pytest

from conftest import BUILD, CONF, run
import property as gen
from daemon import Daemon

SEED = int(os.environ.get("SCRUBD_PROPERTY_SEED", "20261201"))
NDOCS = int(os.environ.get("SCRUBD_PROPERTY_DOCS", "40"))

# Two set-ups: the default rules and limits, and one where most lines are
# cut into pieces and every document overflows output_high_water.
VARIANTS = {
    "default": ("1M", "workers = 2\n", 1 << 20),
    "small": ("4K", "workers = 2\noutput_high_water = 4K\n", 4096),
}


def variant_conf(tmp_path, name):
    """Write the variant's configuration; returns (Daemon, max_line)."""
    size, daemon_keys, max_line = VARIANTS[name]
    rules = CONF.read_text().replace("\nmax_line = 1M\n",
                                     f"\nmax_line = {size}\n")
    assert f"max_line = {size}" in rules
    d = Daemon(tmp_path, daemon_keys, rules=rules,
               args=["-J", str(tmp_path / "j.sock")])
    return d, max_line


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def vdaemon(request, tmp_path_factory):
    d, max_line = variant_conf(tmp_path_factory.mktemp(request.param),
                               request.param)
    d.start()
    d.max_line = max_line
    d.name = request.param
    yield d
    assert d.stop() == 0, d.logtext()


def oneshot(d, data, jsonl=False):
    """What -F (or -F -j) makes of data with the daemon's configuration."""
    r = run([str(BUILD / "scrubd"), "-c", str(d.conf), "-F"]
            + (["-j"] if jsonl else []), data)
    assert r.returncode == 0, r.stderr
    return r.stdout


def exchange(path, pieces, rnd, slow):
    """Write pieces to a UNIX socket from a thread, half-close, and read
    everything back (slowly if asked: small reads and pauses)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(120)
    failure = []

    def writer():
        try:
            for p in pieces:
                s.sendall(p)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=writer)
    t.start()
    got = []
    reads = 0
    while True:
        b = s.recv(rnd.randint(1, 4096) if slow else 1 << 20)
        if not b:
            break
        got.append(b)
        reads += 1
        if slow and reads % 64 == 0:
            time.sleep(0.001)
    t.join()
    s.close()
    assert not failure, failure
    return b"".join(got)


def documents(d, utf8):
    """The variant's documents, each with its own seeded generator."""
    for i in range(NDOCS):
        rnd = random.Random(f"{SEED}/{d.name}/{utf8}/{i}")
        yield i, rnd, gen.document(rnd, d.max_line, utf8=utf8)


def test_raw_socket_matches_oneshot(vdaemon):
    for i, rnd, doc in documents(vdaemon, utf8=False):
        want = oneshot(vdaemon, doc)
        tiny = len(doc) < 64 * 1024 and rnd.random() < 0.5
        slow = rnd.random() < 0.4
        got = exchange(vdaemon.sock, gen.chunks(rnd, doc, tiny), rnd, slow)
        assert got == want, (f"seed {SEED} doc {i} ({len(doc)} bytes, "
                             f"tiny={tiny} slow={slow})")


def test_jsonl_socket_matches_oneshot(vdaemon):
    rows, texts = [], []
    for i, rnd, doc in documents(vdaemon, utf8=True):
        text = doc.decode()
        texts.append(text)
        rows.append(json.dumps({"id": i, "text": text},
                               ensure_ascii=i % 2 == 0).encode() + b"\n")
    data = b"".join(rows)
    want = oneshot(vdaemon, data, jsonl=True)
    rnd = random.Random(f"{SEED}/{vdaemon.name}/jsonl")
    got = exchange(str(vdaemon.dir / "j.sock"), gen.chunks(rnd, data), rnd,
                   slow=True)
    assert got == want, f"seed {SEED}: JSON Lines socket differs from -F -j"
    for i, (row, text) in enumerate(zip(got.decode().splitlines(), texts)):
        clean = oneshot(vdaemon, text.encode()).decode()
        assert json.loads(row)["text"] == clean, f"seed {SEED} record {i}"


def test_scrubc_and_socat_match_oneshot(vdaemon):
    scrubc = str(BUILD / "scrubc")
    for i, rnd, doc in list(documents(vdaemon, utf8=False))[:6]:
        want = oneshot(vdaemon, doc)
        r = run([scrubc, "-s", vdaemon.sock], doc)
        assert (r.returncode, r.stderr) == (0, b""), r.stderr
        assert r.stdout == want, f"seed {SEED} doc {i}: scrubc"
        r = run(["socat", "-t", "30", "-", f"UNIX-CONNECT:{vdaemon.sock}"],
                doc)
        assert r.returncode == 0, r.stderr
        assert r.stdout == want, f"seed {SEED} doc {i}: socat"


def test_long_line_after_held_blank_line(vdaemon):
    """The shape that corrupted the first release's daemon output."""
    for n in (64 * 1024, 200 * 1024, 1 << 20):
        doc = b"a\n\n" + b"x" * n + b"\nb\n"
        assert exchange(vdaemon.sock, [doc], random.Random(n), False) == \
            oneshot(vdaemon, doc)
