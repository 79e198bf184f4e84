"""Engine bounds against the real binary: the byte order mark, the
watermark family, replacement growth, the JIT stack, files that are not
regular files, cost linear in the rule count, drop-block on long blocks."""
import itertools
import json
import os
import subprocess
import time

import pytest

from conftest import BUILD, CONF, corpus_cases, run

BOM = b"\xef\xbb\xbf"
ASAN = "asan" in str(BUILD)


def clean(scrubd, doc, conf=CONF, args=()):
    r = run([scrubd, "-c", str(conf), "-F", *args], doc)
    assert r.returncode == 0, r.stderr
    return r.stdout


def hwm_kib(pid):
    """Peak RSS of a live process since its exec (VmHWM), in KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def output_and_peak_rss(args, data):
    """Run a command; return (stdout length, peak RSS in KiB, sampled as
    its output is read: it cannot exit before the last of it is read)."""
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(data)
    p.stdin.close()
    n = peak = 0
    while chunk := p.stdout.read(1 << 16):
        n += len(chunk)
        peak = max(peak, hwm_kib(p.pid))
    assert p.wait() == 0
    return n, peak


# 1. The byte order mark (contract step 8).

@pytest.mark.parametrize("doc,want", [
    (BOM + "【哒哒素材库】精品材料\n正文\n".encode(), BOM + "正文\n".encode()),
    (BOM + "哒哒素材库\r\n正文".encode(), BOM + "正文".encode()),
    (BOM + b"##paidbegin##\n##paidend##a\n", BOM + b"a\n"),
    (BOM + b"\n\nText", BOM + b"Text"),
    (BOM + "\u3000 \r\n\r\nText\n\n".encode(), BOM + b"Text\n"),
    (BOM, BOM),
    (BOM + b"\n", BOM),
    (b"\xef\xbb", b"\xef\xbb"),
    (b"a\n" + BOM + "【哒哒素材库】x\n".encode(),
     b"a\n" + BOM + "【哒哒素材库】x\n".encode()),
])
def test_bom(scrubd, chunkfeed, tmp_path, doc, want):
    """Kept, not part of line 1, whatever the chunking."""
    assert clean(scrubd, doc) == want
    src = tmp_path / "doc"
    src.write_bytes(doc)
    for seed, most in ((1, 1), (2, 2), (3, 5)):
        r = run([chunkfeed, str(CONF), str(src), str(seed), str(most)])
        assert r.stdout == want, (seed, most)


def test_bom_json_lines(scrubd):
    row = json.dumps({"id": 1, "text": "\ufeff【哒哒代笔】广告\n\n正文"},
                     ensure_ascii=False).encode() + b"\n"
    out = clean(scrubd, row, args=("-j",))
    assert json.loads(out)["text"] == "\ufeff正文"


def test_bom_corpus(scrubd):
    """Every corpus document behind a BOM: the BOM, then the expected."""
    for c in corpus_cases():
        src, want = c.values
        assert clean(scrubd, BOM + src.read_bytes()) == \
            BOM + want.read_bytes(), c.id


# 2. The watermark family: brand names go, the bare stem stays.

BRANDS = ["哒哒素材库", "哒哒代笔", "哒哒君", "哒哒唯一平台"]
# The contract's prefixes; a brand name and a colon before another brand
# name (哒哒唯一平台：哒哒君, in the corpus) is one too.
PREFIXES = ["", "本文由", "来源：", "来源:"]
BRAND_PREFIXES = ["哒哒素材库：", "哒哒唯一平台: "]
SUFFIXES = ["", "整理", "收集整理"]
WRAPS = [("", ""), ("（", "）"), ("(", ")"), ("——", "——"), ("-", "-"),
         ("（", ""), ("——", ""), ("", "——")]
SPACES = [("", "", ""), (" ", " ", "\u3000"), ("\u3000\u3000", "\t", " ")]


def family(name, prefixes=PREFIXES):
    """Every way of writing one watermark line around a name."""
    for pre, suf, (op, cl), (sp1, sp2, sp3) in itertools.product(
            prefixes, SUFFIXES, WRAPS, SPACES):
        yield f"{sp1}{op}{sp2}{pre}{name}{sp2}{suf}{sp2}{cl}{sp3}"


def test_watermark_brand_names_dropped(scrubd):
    lines = [w for b in BRANDS for w in family(b, PREFIXES + BRAND_PREFIXES)]
    doc = "".join(f"正文{i}\n{w}\n" for i, w in enumerate(lines))
    want = "".join(f"正文{i}\n" for i in range(len(lines)))
    assert clean(scrubd, doc.encode()).decode() == want


def test_watermark_bare_stem_kept(scrubd):
    """哒哒 alone, however wrapped, is content (an onomatopoeia)."""
    lines = list(family("哒哒"))
    assert "本文由哒哒整理" in lines and "（哒哒）" in lines
    assert "——哒哒" in lines and "来源：哒哒" in lines and "哒哒" in lines
    doc = "".join(f"{w}\n" for w in lines if w.strip(" \t\u3000"))
    assert clean(scrubd, ("x\n" + doc).encode()).decode() == "x\n" + doc


def test_watermark_not_whole_line_kept(scrubd):
    doc = "马蹄声哒哒作响\n哒哒素材库的文章\n哒哒哒\n哒哒 哒哒\n".encode()
    assert clean(scrubd, doc) == doc


# 3. Replacement growth: bounded memory, exact output, valid UTF-8 only.

def test_expanding_replace_bounded(scrubd, tmp_path):
    """Each of 4096 empty matches puts back 11 copies of the rest of the
    line: about 92 MB of output from a 4 KB line, never all in memory."""
    conf = tmp_path / "grow.conf"
    conf.write_text("[filter:g]\ntype = replace\npattern = (?=(.*))\n"
                    "replacement = " + "$1" * 11 + "\n")
    n = 4096
    size, rss = output_and_peak_rss([scrubd, "-c", str(conf), "-F"],
                            b"x" * n + b"\n")
    assert size == 11 * n * (n + 1) // 2 + n + 1
    if not ASAN:
        assert rss < 24 * 1024, f"peak RSS {rss} KiB"


def test_replacement_not_utf8_refused(scrubd, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_bytes(b"[filter:g]\ntype = replace\npattern = x\n"
                     b"replacement = \xff\xfe\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert r.stderr == f"{conf}:4: replacement is not valid UTF-8\n".encode()


# 4. The JIT stack: JIT and interpreter give the same output.

def jit_conf(tmp_path, jit):
    """The default configuration with [engine] jit set."""
    text = CONF.read_text().replace("\njit = yes\n", f"\njit = {jit}\n")
    assert f"\njit = {jit}\n" in text
    (tmp_path / "watermark.patterns").write_bytes(
        (CONF.parent / "watermark.patterns").read_bytes())
    conf = tmp_path / f"jit-{jit}.conf"
    conf.write_text(text)
    return conf


@pytest.mark.parametrize("jit", ["yes", "no"])
def test_corpus_jit_and_interpreter(scrubd, tmp_path, jit):
    conf = jit_conf(tmp_path, jit)
    for c in corpus_cases():
        src, want = c.values
        r = run([scrubd, "-c", str(conf), "-F", str(src)])
        assert r.stderr == b""
        assert r.stdout == want.read_bytes(), c.id


@pytest.mark.parametrize("jit", ["yes", "no"])
def test_repeated_group_on_6k_line(scrubd, tmp_path, jit):
    conf = tmp_path / "rep.conf"
    conf.write_text(f"[engine]\njit = {jit}\n[filter:r]\ntype = replace\n"
                    "pattern = (?:ab|cd)+X\n")
    r = run([scrubd, "-c", str(conf), "-F"], b"k" + b"ab" * 3000 + b"Xk\n")
    assert r.stderr == b""
    assert r.stdout == b"kk\n"


def test_match_errors_logged_per_rule_rate_limited(scrubd, tmp_path):
    conf = tmp_path / "bt.conf"
    conf.write_text("[filter:one]\ntype = drop-line\npattern = ^(a+)+$\n"
                    "[filter:two]\ntype = replace\npattern = ^(a+)+$\n")
    doc = (b"a" * 26 + b"b\n") * 20
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.stdout == doc
    lines = r.stderr.decode().splitlines()
    assert lines == [
        f"scrubd: warning: rule {n}: a pattern failed to run (match limit "
        "exceeded): the text is kept as if it did not match"
        for n in ("one", "two")], lines


# 5, 6. Files that are not regular files; a BOM in a patterns file.

def test_fifo_patterns_file_refused(scrubd, tmp_path):
    fifo = tmp_path / "p.fifo"
    os.mkfifo(fifo)
    conf = tmp_path / "f.conf"
    conf.write_text(f"[filter:a]\ntype = drop-line\npatterns_file = {fifo}\n")
    r = run([scrubd, "-c", str(conf), "-t"], timeout=10)
    assert r.returncode == 1
    assert r.stderr == (f"{conf}:3: patterns file {fifo}: is a FIFO, not a "
                        "regular file\n").encode()


def test_directory_config_refused(scrubd, tmp_path):
    r = run([scrubd, "-c", str(tmp_path), "-t"], timeout=10)
    assert r.returncode == 1
    assert r.stderr == (f"{tmp_path}: is a directory, not a regular "
                        "file\n").encode()


def test_patterns_file_bom(scrubd, tmp_path):
    (tmp_path / "ads.patterns").write_bytes(BOM + b"^ad\n^spam\n")
    conf = tmp_path / "b.conf"
    conf.write_text("[filter:a]\ntype = drop-line\n"
                    "patterns_file = ads.patterns\n")
    assert clean(scrubd, b"ad 1\nok\nspam\n", conf) == b"ok\n"


# 7. Configuration loading linear in the rule count.

def check_seconds(scrubd, conf):
    """Best of three runs of scrubd -t, in seconds."""
    best = None
    for _ in range(3):
        t = time.monotonic()
        r = run([scrubd, "-c", str(conf), "-t"])
        t = time.monotonic() - t
        assert r.returncode == 0, r.stderr
        best = t if best is None else min(best, t)
    return best


def test_config_load_linear_in_rules(scrubd, tmp_path):
    """Ten times the rules costs about ten times the time, not a hundred
    (a complexity check, with a wide margin: not a speed goal)."""
    times = []
    for n in (3000, 30000):
        conf = tmp_path / f"r{n}.conf"
        conf.write_text("".join(f"[filter:r{i}]\ntype = blank\n"
                                for i in range(n)))
        times.append(check_seconds(scrubd, conf))
    assert times[1] < 30 * max(times[0], 0.005), times


# 8. drop-block linear in the block's length.

def test_drop_block_long_block_linear(scrubd, tmp_path):
    """2.4 MB of begin lines with max_lines raised: every line past the
    1 MiB max_bytes releases one; that took minutes, it takes well under
    a second (the timeout is 20 times that, even under ASan)."""
    conf = tmp_path / "db.conf"
    conf.write_text("[filter:b]\ntype = drop-block\nbegin = ^begin\n"
                    "end = ^end\nmax_lines = 1000000\n")
    doc = b"begin line\n" * 220000
    r = run([scrubd, "-c", str(conf), "-F"], doc, timeout=20)
    assert r.stdout == doc


# 9. Too many patterns for one expression.

def test_patterns_file_too_large_message(scrubd, tmp_path):
    (tmp_path / "many.patterns").write_text(
        "".join(f"word{i:05d}x\n" for i in range(6000)))
    conf = tmp_path / "m.conf"
    conf.write_text("[filter:a]\ntype = drop-line\n"
                    "patterns_file = many.patterns\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "many.patterns:1: the 6000 patterns of this rule are too large " \
        "together for one PCRE2 expression (regular expression is too " \
        "large" in err
    assert "fit: split the list across several rules" in err
