"""Documents in GB18030, GBK and UTF-16: the corpus converted, cleaned to
exactly the converted expected output, with the encoding given and with
auto, one-shot (-F), chunked (chunkfeed) and through the daemon (socat
and scrubc); --output-encoding utf-8; GBK's 聽 and 聟; the errors, the log
line and the metric.

The conversion: the UTF-8 corpus is decoded with surrogateescape, so its
invalid bytes and NULs survive as lone surrogates, and encoded:

- GB18030 and GBK with surrogateescape: an invalid byte is written as
  itself.  A document holding a character GBK cannot represent would be
  skipped for GBK (none of the corpus does; the test says how many).
- UTF-16LE with a byte order mark, with surrogatepass: UTF-16 has no room
  for a stray byte (it would shift every unit after it), so an invalid byte
  b becomes the lone surrogate unit U+DC00+b, itself invalid UTF-16, which
  scrubd must keep as the two bytes it is.
"""
import re
import time

import pytest

from conftest import BUILD, CONF, corpus_cases, run
from daemon import Daemon
from test_metrics import scrape

ENCODINGS = ("gb18030", "gbk", "utf-16")
CASES = [c.values for c in corpus_cases()]


def convert(data, enc):
    """The UTF-8 bytes data in enc (see the module's docstring); None if
    enc cannot represent a character of it."""
    text = data.decode("utf-8", "surrogateescape")
    if enc == "utf-16":
        if not text.startswith("\ufeff"):
            text = "\ufeff" + text
        return text.encode("utf-16-le", "surrogatepass")
    try:
        return text.encode(enc, "surrogateescape")
    except UnicodeEncodeError:
        return None


def has_invalid(data):
    """Does UTF-8 data hold invalid bytes?"""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """{enc: [(name, in_path, expected_bytes, src, want)]} and skips."""
    root = tmp_path_factory.mktemp("converted")
    out, skipped = {}, {}
    for enc in ENCODINGS:
        out[enc], skipped[enc] = [], 0
        for src, want in CASES:
            din, dwant = (convert(src.read_bytes(), enc),
                          convert(want.read_bytes(), enc))
            if din is None or dwant is None:
                skipped[enc] += 1
                continue
            name = f"{src.parent.name}-{src.name}"
            path = root / f"{enc}-{name}"
            path.write_bytes(din)
            out[enc].append((name, path, dwant, src, want))
    return out, skipped


def test_conversion_skips_nothing(converted):
    """Every corpus document is representable (GBK included)."""
    docs, skipped = converted
    assert skipped == {enc: 0 for enc in ENCODINGS}
    assert all(len(docs[enc]) == len(CASES) for enc in ENCODINGS)
    assert all(d[1].read_bytes() != d[3].read_bytes()
               for d in docs["gb18030"][:5])


@pytest.mark.parametrize("given", [True, False], ids=["given", "auto"])
@pytest.mark.parametrize("enc", ENCODINGS)
def test_corpus_oneshot(scrubd, converted, enc, given):
    docs, _ = converted
    name = enc if given else "auto"
    for doc, path, want, _, _ in docs[enc]:
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", name,
                 str(path)])
        assert (r.returncode, r.stderr) == (0, b""), doc
        assert r.stdout == want, f"{enc} ({name}): {doc}"


@pytest.mark.parametrize("enc", ENCODINGS)
def test_corpus_oneshot_config_key(scrubd, converted, enc, tmp_path):
    """[engine] encoding does what --encoding does (and -t takes it)."""
    conf = tmp_path / "enc.conf"
    (tmp_path / "watermark.patterns").write_bytes(
        (CONF.parent / "watermark.patterns").read_bytes())
    conf.write_text(CONF.read_text().replace(
        "[engine]\n", f"[engine]\nencoding = {enc}\n", 1))
    assert run([scrubd, "-c", str(conf), "-t"]).returncode == 0
    docs, _ = converted
    paths = [str(d[1]) for d in docs[enc]]
    r = run([scrubd, "-c", str(conf), "-F"] + paths)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"".join(d[2] for d in docs[enc])


@pytest.mark.parametrize("enc", ENCODINGS)
def test_corpus_random_chunks(chunkfeed, converted, enc):
    """Fed in random pieces (a character split anywhere), given and auto."""
    docs, _ = converted
    for doc, path, want, _, _ in docs[enc]:
        for seed, most in ((1, 1), (2, 3), (3, 7), (5, 4096)):
            for name in (enc, "auto"):
                r = run([chunkfeed, str(CONF), str(path), str(seed),
                         str(most), name])
                assert r.returncode == 0, r.stderr
                assert r.stdout == want, f"{enc} {name} {doc} seed {seed}"


def test_utf8_corpus_with_auto(scrubd, chunkfeed):
    """auto leaves the UTF-8 corpus (invalid bytes included) as it was."""
    for src, want in CASES:
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "auto",
                 str(src)])
        assert r.stdout == want.read_bytes(), src
        r = run([chunkfeed, str(CONF), str(src), "7", "5", "auto"])
        assert r.stdout == want.read_bytes(), src


@pytest.mark.parametrize("enc", ENCODINGS)
def test_output_encoding_utf8(scrubd, chunkfeed, converted, enc):
    """--output-encoding utf-8 gives the UTF-8 expected output (behind the
    byte order mark UTF-16 added) for every document without invalid
    bytes; those with them are compared in test_invalid_bytes_kept."""
    docs, _ = converted
    n = 0
    for doc, path, _, src, want in docs[enc]:
        if has_invalid(src.read_bytes()):
            continue
        n += 1
        expect = want.read_bytes()
        if enc == "utf-16":
            expect = b"\xef\xbb\xbf" + expect
        for name in (enc, "auto"):
            r = run([scrubd, "-c", str(CONF), "-F", "--encoding", name,
                     "--output-encoding", "utf-8", str(path)])
            assert r.stdout == expect, f"{enc} ({name}): {doc}"
        r = run([chunkfeed, str(CONF), str(path), "3", "7", enc, "utf-8"])
        assert r.stdout == expect, f"{enc} chunked: {doc}"
    assert n >= 70


def test_invalid_bytes_kept(scrubd):
    """Bytes invalid in the encoding pass through, in and out of UTF-8; a
    four-byte GB18030 code is a character like any other (U+00A0, a
    no-break space, makes a blank line)."""
    gb = "标题\n".encode("gb18030")
    four = "\u0080".encode("gb18030")
    assert four == b"\x81\x30\x81\x30"
    nbsp = "\u00a0".encode("gb18030")
    doc = (gb + b"\x80\xff\x81\x30\n" + b"a\x81\n##paidend##\n" + nbsp
           + b"\n" + nbsp + b"\n" + "正文".encode("gb18030") + four +
           b"\n\x81")
    want = (gb + b"\x80\xff\x81\x30\n" + b"a\x81\n" + nbsp + b"\n" +
            "正文".encode("gb18030") + four + b"\n\x81")
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gb18030"], doc)
    assert r.stdout == want
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gb18030",
             "--output-encoding", "utf-8"], doc)
    assert r.stdout == ("标题\n".encode() + b"\x80\xff\x81\x30\n" +
                        b"a\x81\n" + "\u00a0\n正文\u0080\n".encode() +
                        b"\x81")
    # GBK: 0x80 is the euro sign, four-byte codes are not GBK
    doc = b"\x80\x81\x30\x81\x30\n\n\n##paidbegin##\xff"
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gbk"], doc)
    assert r.stdout == b"\x80\x81\x30\x81\x30\n\n\xff"
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gbk",
             "--output-encoding", "utf-8"], doc)
    assert r.stdout == "€".encode() + b"\x81\x30\x81\x30\n\n\xff"
    # UTF-16: a lone surrogate, an odd last byte
    u16 = "\ufeff一\n".encode("utf-16-le") + b"\x00\xd8a\x00\n\x00" + \
        "##paidend##\n".encode("utf-16-le") + b"\x0a"
    want16 = "\ufeff一\n".encode("utf-16-le") + b"\x00\xd8a\x00\n\x00" + \
        b"\x0a"
    for name in ("utf-16", "utf-16le", "auto"):
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", name], u16)
        assert r.stdout == want16, name


def test_gbk_nie_lines_are_content(scrubd, chunkfeed, tmp_path):
    """聽 is C2 A0 in GBK and 聟 C2 85, the bytes of UTF-8's no-break space
    and NEL: read as UTF-8 those lines are blank; read as GBK they are
    content and stay."""
    doc = "聽\n\n\n聟\n聽聟\n\n".encode("gbk")
    assert doc == b"\xc2\xa0\n\n\n\xc2\x85\n\xc2\xa0\xc2\x85\n\n"
    want = "聽\n\n聟\n聽聟\n".encode("gbk")
    for name in ("gbk", "gb18030"):
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", name], doc)
        assert r.stdout == want, name
    path = tmp_path / "nie.txt"
    path.write_bytes(doc)
    for seed in (1, 2, 3):
        r = run([chunkfeed, str(CONF), str(path), str(seed), "2", "gbk"])
        assert r.stdout == want
    # as UTF-8 (and so with auto: it is valid UTF-8) they are blank
    r = run([scrubd, "-c", str(CONF), "-F"], doc)
    assert r.stdout == b""


def test_utf16_bom_kept_and_not_line_one(scrubd):
    """A UTF-16 byte order mark stays in the output but is not part of
    line 1: an ad on line 1 goes, a line of only the mark is blank."""
    for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        doc = bom + "【哒哒素材库】广告\n\n正文\n".encode(codec)
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "utf-16"], doc)
        assert r.stdout == bom + "正文\n".encode(codec), codec
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "auto"], doc)
        assert r.stdout == bom + "正文\n".encode(codec), codec
        doc = bom + "\n\n正文".encode(codec)
        r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "utf-16"], doc)
        assert r.stdout == bom + "正文".encode(codec), codec
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "utf-16"], b"\xff\xfe")
    assert r.stdout == b"\xff\xfe"
    # no mark: big-endian
    doc = "正文\n\n\n尾".encode("utf-16-be")
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "utf-16"], doc)
    assert r.stdout == "正文\n\n尾".encode("utf-16-be")


def test_auto_detection(scrubd):
    """What auto decides, logged with -v."""
    cases = [
        ("你好，世界。\n".encode("gb18030"), "gb18030"),
        (("abc\n" * 5000 + "后来的中文\n").encode("gb18030"), "gb18030"),
        ("你好\n".encode() + b"\xe4\xbd", "utf-8"),           # cut UTF-8
        ("正文".encode() * 100 + b"\xff\xfe" + "正文\n".encode(), "utf-8"),
        ("Café, élève, naïve, Größe.\n".encode("latin-1"), "utf-8"),
        ("\u201cquoted\u201d \u2013 dash\n".encode("cp1252"), "utf-8"),
        ("plain ascii\n".encode(), "utf-8"),
        (b"", "utf-8"),
        (b"\xef\xbb\xbf" + "你好".encode("gb18030"), "utf-8"),
        (b"\xff\xfe" + "你好".encode("utf-16-le"), "utf-16le"),
        (b"\xfe\xff" + "你好".encode("utf-16-be"), "utf-16be"),
    ]
    for doc, want in cases:
        r = run([scrubd, "-v", "-c", str(CONF), "-F", "--encoding", "auto"],
                doc)
        assert r.returncode == 0
        assert f"-: read as {want}".encode() in r.stderr, (doc[:40], want,
                                                         r.stderr)


def test_encoding_errors_name_the_line(scrubd, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[engine]\nmax_line = 1M\nencoding = latin9\n"
                    "output_encoding = gbk\n\n[filter:b]\ntype = blank\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == [
        f"{conf}:3: unknown encoding latin9 (known: utf-8, gb18030, gbk, "
        "utf-16, utf-16le, utf-16be, auto)",
        f"{conf}:4: unknown output_encoding gbk (known: same, utf-8)",
    ]
    conf.write_text("[engine]\nencoding = gbk\nencoding = auto\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert b"bad.conf:3: encoding given twice (first at line 2)" in r.stderr


def test_command_line_errors(scrubd):
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "latin9"])
    assert r.returncode == 2
    assert b"unknown encoding latin9 (known: utf-8, gb18030" in r.stderr
    r = run([scrubd, "-c", str(CONF), "-F", "--output-encoding", "gbk"])
    assert r.returncode == 2
    r = run([scrubd, "-c", str(CONF), "-F", "-j", "--encoding", "gbk"])
    assert r.returncode == 2
    assert b"JSON Lines is always UTF-8" in r.stderr
    r = run([scrubd, "-c", str(CONF), "-t", "--encoding", "gbk"])
    assert r.returncode == 2


def test_jsonl_ignores_engine_encoding(scrubd, tmp_path):
    """JSON Lines is UTF-8 (RFC 8259) whatever [engine] encoding says."""
    conf = tmp_path / "j.conf"
    (tmp_path / "watermark.patterns").write_bytes(
        (CONF.parent / "watermark.patterns").read_bytes())
    conf.write_text(CONF.read_text().replace(
        "[engine]\n", "[engine]\nencoding = gbk\n", 1))
    row = '{"text":"聽\\n\\n\\n正文##paidend##"}\n'.encode()
    r = run([scrubd, "-c", str(conf), "-F", "-j"], row)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '{"text":"聽\\n\\n正文"}\n'.encode()


def engine_conf(enc):
    """The default rules with [engine] encoding = enc."""
    return CONF.read_text().replace("[engine]\n",
                                    f"[engine]\nencoding = {enc}\n", 1)


@pytest.fixture(scope="module", params=ENCODINGS + ("auto",))
def edaemon(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("enc-" + request.param)
    addr = f"unix:{tmp}/metrics.sock"
    d = Daemon(tmp, "workers = 2\n", rules=engine_conf(request.param),
               args=["-M", addr])
    d.start()
    d.enc = request.param
    d.addr = addr
    yield d
    assert d.stop() == 0, d.logtext()


def daemon_docs(edaemon, converted):
    """The converted documents the daemon's encoding reads."""
    docs, _ = converted
    encs = ENCODINGS if edaemon.enc == "auto" else (edaemon.enc,)
    return [(enc, d) for enc in encs for d in docs[enc]]


def test_daemon_socat(edaemon, converted):
    for enc, (doc, path, want, _, _) in daemon_docs(edaemon, converted):
        assert edaemon.socat(path.read_bytes()) == want, f"{enc}: {doc}"


def test_daemon_scrubc(edaemon, converted, tmp_path):
    """scrubc -o DIR: many documents at once, 4 in flight."""
    by_enc = {}
    for enc, d in daemon_docs(edaemon, converted):
        by_enc.setdefault(enc, []).append(d)
    for enc, docs in by_enc.items():
        out = tmp_path / enc
        out.mkdir()
        r = run([str(BUILD / "scrubc"), "-s", edaemon.sock, "-q", "-o",
                 str(out)] + [str(d[1]) for d in docs], timeout=300)
        assert (r.returncode, r.stderr) == (0, b""), r.stderr
        for doc, path, want, _, _ in docs:
            assert (out / path.name).read_bytes() == want, f"{enc}: {doc}"


def test_daemon_chunked(edaemon, converted):
    """Written in pieces of 1 to 7 bytes: characters split anywhere."""
    import random
    rnd = random.Random(17)
    for enc, (doc, path, want, _, _) in daemon_docs(edaemon,
                                                    converted)[::9]:
        got = edaemon.roundtrip(path.read_bytes(), piece=7, rnd=rnd)
        assert got == want, f"{enc}: {doc}"


def test_daemon_logs_and_counts_encoding(edaemon):
    """The connection's log line says what the document was read in, and
    scrubd_documents_encoding_total counts it."""
    before = scrape(edaemon.addr)
    docs = {"gb18030": "正文\n".encode("gb18030"),
            "utf-16le": "\ufeff正文\n".encode("utf-16-le"),
            "utf-8": "正文\n".encode()}
    want = {"gb18030": "gb18030", "gbk": "gbk", "utf-16": "utf-16le"}
    if edaemon.enc == "auto":
        sent = docs
    else:
        sent = {want[edaemon.enc]: docs["utf-16le" if edaemon.enc ==
                                        "utf-16" else "gb18030"]}
    for enc, data in sent.items():
        assert edaemon.roundtrip(data) == data
        edaemon.wait_log(f"encoding={enc}")
    time.sleep(0.2)
    after = scrape(edaemon.addr)
    for enc in sent:
        key = f'scrubd_documents_encoding_total{{encoding="{enc}"}}'
        assert after[key] - before.get(key, 0) == 1, (key, after)
    total = sum(v for k, v in after.items()
                if k.startswith("scrubd_documents_encoding_total"))
    assert total == after["scrubd_documents_total"]
    line = [x for x in edaemon.logtext().splitlines() if "end=ok" in x][-1]
    assert re.search(r"proto=raw end=ok .* duration=\S+ encoding=\S+$",
                     line), line


def test_explain_decodes(scrubd, converted):
    """--explain with an encoding shows what it shows for the UTF-8
    document: the lines in UTF-8, as the rules see them."""
    docs, _ = converted
    for enc in ENCODINGS:
        for doc, path, _, src, _ in docs[enc][:12]:
            r = run([scrubd, "-c", str(CONF), "-F", "--explain",
                     "--encoding", enc, str(path)])
            assert r.returncode == 0, r.stderr
            mine = r.stdout.replace(str(path).encode(), b"F")
            r = run([scrubd, "-c", str(CONF), "-F", "--explain", str(src)])
            want = r.stdout.replace(str(src).encode(), b"F")
            read = "utf-16le" if enc == "utf-16" else enc
            want = want.replace(b" out\ntotals",
                                f" out (of UTF-8: read as {read})\ntotals"
                                .encode())
            if enc == "utf-16":     # the byte order mark UTF-16 added
                want = re.sub(rb"F: (\d+) bytes in, (\d+) out",
                              lambda m: b"F: %d bytes in, %d out" % (
                                  int(m[1]) + 3, int(m[2]) + 3), want)
            assert mine == want, f"{enc}: {doc}"


def test_many_short_lines(scrubd, chunkfeed, tmp_path):
    """More lines in one 64 KiB batch than the layer notes (8192): the rest
    are encoded again rather than copied, with the same bytes."""
    doc = "一\n二\r\n".encode("gb18030") * 12000 + "三\n\n\n".encode("gb18030")
    want = doc[:-2]                    # the blank lines at the end go
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gb18030"], doc)
    assert r.stdout == want
    path = tmp_path / "short.txt"
    path.write_bytes(doc)
    r = run([chunkfeed, str(CONF), str(path), "9", "70000", "gb18030"])
    assert r.stdout == want
    u16 = b"\xff\xfe" + "a\n".encode("utf-16-le") * 30000
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "auto"], u16)
    assert r.stdout == u16


def test_gb18030_bom_kept_and_not_line_one(scrubd):
    """GB18030's byte order mark (84 31 95 33, U+FEFF) is treated as the
    UTF-8 one: kept, and not part of line 1."""
    bom = "\ufeff".encode("gb18030")
    assert bom == b"\x84\x31\x95\x33"
    doc = bom + "【哒哒素材库】广告\n\n正文\n".encode("gb18030")
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gb18030"], doc)
    assert r.stdout == bom + "正文\n".encode("gb18030")
    r = run([scrubd, "-c", str(CONF), "-F", "--encoding", "gb18030",
             "--output-encoding", "utf-8"], doc)
    assert r.stdout == "\ufeff正文\n".encode()
