"""The daemon with an encoding gives what -F with that encoding gives, on
random documents (tests/property.py) converted to the encoding, sent as
they are (so mostly invalid in it), and of random bytes; written in random
chunks, some read slowly; max_line = 4K and output_high_water = 4K, so that
long lines go in pieces and the output queue fills.

SCRUBD_PROPERTY_SEED and SCRUBD_PROPERTY_DOCS change the seed and the
number of documents; a failure names the seed and the document.
"""
import os
import random

import pytest

from conftest import BUILD, CONF, run
import property as gen
from daemon import Daemon
from test_property import exchange

SEED = int(os.environ.get("SCRUBD_PROPERTY_SEED", "20261201"))
NDOCS = int(os.environ.get("SCRUBD_PROPERTY_DOCS", "40")) // 2
ENCODINGS = ("gb18030", "gbk", "utf-16", "auto")
MAX_LINE = 4096


def rules(enc):
    """The default rules, max_line 4K, [engine] encoding = enc."""
    text = CONF.read_text().replace("\nmax_line = 1M\n", "\nmax_line = 4K\n")
    assert "max_line = 4K" in text
    return text.replace("[engine]\n", f"[engine]\nencoding = {enc}\n", 1)


@pytest.fixture(scope="module", params=ENCODINGS)
def pdaemon(request, tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("penc-" + request.param),
               "workers = 2\noutput_high_water = 4K\n",
               rules=rules(request.param))
    d.start()
    d.enc = request.param
    yield d
    assert d.stop() == 0, d.logtext()


def in_encoding(rnd, doc):
    """A generated (UTF-8, partly invalid) document in another encoding,
    or left as it is, or random bytes."""
    text = doc.decode("utf-8", "surrogateescape")
    kind = rnd.random()
    if kind < 0.4:
        return text.encode("gb18030", "surrogateescape")
    if kind < 0.7:
        bom = "\ufeff" if rnd.random() < 0.7 else ""
        codec = "utf-16-le" if rnd.random() < 0.7 else "utf-16-be"
        if bom and codec.endswith("be"):
            return b"\xfe\xff" + text.encode(codec, "surrogatepass")
        return (bom + text).encode(codec, "surrogatepass")
    if kind < 0.85:
        return doc
    return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 20000)))


def oneshot(d, data):
    r = run([str(BUILD / "scrubd"), "-c", str(d.conf), "-F"], data)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_daemon_matches_oneshot(pdaemon):
    for i in range(NDOCS):
        rnd = random.Random(f"{SEED}/{pdaemon.enc}/{i}")
        doc = in_encoding(rnd, gen.document(rnd, MAX_LINE))
        want = oneshot(pdaemon, doc)
        tiny = len(doc) < 64 * 1024 and rnd.random() < 0.5
        slow = rnd.random() < 0.4
        got = exchange(pdaemon.sock, gen.chunks(rnd, doc, tiny), rnd, slow)
        assert got == want, (f"seed {SEED} {pdaemon.enc} doc {i} "
                             f"({len(doc)} bytes, tiny={tiny} slow={slow})")


def test_oneshot_encoding_option_matches_config(pdaemon, scrubd):
    """--encoding on the command line does what [engine] encoding does."""
    for i in range(6):
        rnd = random.Random(f"{SEED}/{pdaemon.enc}/opt/{i}")
        doc = in_encoding(rnd, gen.document(rnd, MAX_LINE, big=False))
        plain = pdaemon.dir / "plain.conf"
        plain.write_text(rules("utf-8"))
        r = run([scrubd, "-c", str(plain), "-F", "--encoding",
                 pdaemon.enc], doc)
        assert r.stdout == oneshot(pdaemon, doc), f"doc {i}"
