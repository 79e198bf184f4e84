"""One-shot mode (-F): the shared corpus, chunking, binary safety, -t."""
import os
import random
import subprocess
import time

import pytest

from conftest import CONF, corpus_cases, run

MARK_B, MARK_E = b"##paidbegin##", b"##paidend##"


@pytest.mark.parametrize("src,want", corpus_cases())
def test_corpus_file_argument(scrubd, src, want):
    r = run([scrubd, "-c", str(CONF), "-F", str(src)])
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    assert r.stdout == want.read_bytes()


@pytest.mark.parametrize("src,want", corpus_cases())
def test_corpus_stdin(scrubd, src, want):
    r = run([scrubd, "-c", str(CONF), "-F"], src.read_bytes())
    assert r.returncode == 0, r.stderr
    assert r.stdout == want.read_bytes()


@pytest.mark.parametrize("src,want", corpus_cases())
def test_corpus_random_chunks(chunkfeed, src, want):
    """Fed in random pieces of 1..N bytes, the output is the same."""
    for seed, most in ((1, 1), (2, 3), (3, 7), (4, 64), (5, 4096)):
        r = run([chunkfeed, str(CONF), str(src), str(seed), str(most)])
        assert r.returncode == 0, r.stderr
        assert r.stdout == want.read_bytes(), f"seed {seed} max {most}"


def test_several_files_are_several_documents(scrubd):
    seeds = [c.values for c in corpus_cases()[:3]]
    r = run([scrubd, "-c", str(CONF), "-F"] + [str(s) for s, _ in seeds])
    assert r.returncode == 0
    assert r.stdout == b"".join(w.read_bytes() for _, w in seeds)


def test_missing_file_is_reported_and_others_cleaned(scrubd, tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_bytes(b"a##paidend##b\n")
    r = run([scrubd, "-c", str(CONF), "-F", str(tmp_path / "nope"),
             str(doc)])
    assert r.returncode == 1
    assert b"nope" in r.stderr
    assert r.stdout == b"ab\n"


def test_binary_bytes_pass_through(scrubd):
    doc = (b"\x00a\xff\xfe##paid" + b"end##\x00\r\n"
           b"lone\rcr\n\xe5\x93\x92\xe5##paidbegin##\x93\n"
           b"\x01\x02\x7f no newline")
    r = run([scrubd, "-c", str(CONF), "-F"], doc)
    assert r.returncode == 0
    assert r.stdout == (b"\x00a\xff\xfe\x00\r\nlone\rcr\n"
                        b"\xe5\x93\x92\xe5\x93\n\x01\x02\x7f no newline")


def test_16mib_single_line(scrubd):
    """A line 16x max_line long: markers anywhere, even across pieces."""
    rnd = random.Random(7)
    parts, want = [], []
    size = 0
    while size < 16 * 1024 * 1024:
        text = "法治建设".encode() * rnd.randint(1, 5000) + b"x" * rnd.randint(0, 3)
        parts += [text, rnd.choice([MARK_B, MARK_E])]
        want.append(text)
        size += len(text) + 12
    doc = b"".join(parts) + b"\r\n"
    r = run([scrubd, "-c", str(CONF), "-F"], doc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"".join(want) + b"\r\n"


def test_crlf_and_no_final_newline(scrubd):
    doc = "\r\n标题\r\n\r\n\r\n##paidend##\r\n正文哒哒君\r\n\r\n【哒哒素材库】广告\r\n  ".encode()
    r = run([scrubd, "-c", str(CONF), "-F"], doc)
    assert r.stdout == "标题\r\n\r\n正文\r\n".encode()


def test_check_ok(scrubd):
    r = run([scrubd, "-c", str(CONF), "-t"])
    assert r.returncode == 0
    assert r.stdout == b"configuration OK\n"


def test_check_reports_every_error(scrubd, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[filter:a]\ntype = nope\n\n[filter:b]\n"
                    "type = replace\npattern = (x\n[what]\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    lines = r.stderr.decode().splitlines()
    assert lines == [
        f"{conf}:2: unknown type 'nope' (known: replace, drop-line, "
        "drop-block, blank)",
        f"{conf}:6: bad pattern at offset 2: missing closing parenthesis",
        f"{conf}:7: unknown section [what] (expected [filter:NAME], "
        "[engine], [jsonl] or [daemon])",
    ]


def test_missing_config(scrubd, tmp_path):
    r = run([scrubd, "-c", str(tmp_path / "none.conf"), "-t"])
    assert r.returncode == 1
    assert b"none.conf: cannot open" in r.stderr


def test_help_and_version(scrubd):
    r = run([scrubd, "-h"])
    assert r.returncode == 0 and b"usage: scrubd" in r.stdout
    r = run([scrubd, "-V"])
    assert r.returncode == 0 and r.stdout.startswith(b"scrubd ")
    r = run([scrubd, "--bogus"])
    assert r.returncode == 2


def test_pattern_that_cannot_finish_keeps_text_and_warns(scrubd, tmp_path):
    conf = tmp_path / "bt.conf"
    conf.write_text("[filter:bad]\ntype = drop-line\npattern = ^(a+)+$\n")
    doc = (b"a" * 40 + b"b\n") * 3
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0
    assert r.stdout == doc
    assert r.stderr.count(b"a pattern failed to run (match limit "
                          b"exceeded)") == 1


def test_gathered_and_copied_output_interleave(scrubd, tmp_path):
    """Output written from the read buffer (kept lines) and copied
    (rewritten lines) comes out in order: kept and rewritten lines take
    turns, many pieces to a read, the rewritten ones longer and longer so
    that each batch of copies outgrows the one before, two copies longer
    than the output buffer, and a slow reader on a pipe."""
    parts, want = [], []
    for i in range(12000):
        if i % 2 == 0:
            parts.append(b"kept %d " % i + b"x" * 80 + b"\n")
            want.append(parts[-1])
        else:
            body = b"w%d" % i + b"v" * (100 + i // 8)
            parts.append(body + MARK_E + b"\n")
            want.append(body + b"\n")
        if i in (3001, 8001):
            body = b"z" * 300000
            parts.append(body + MARK_B + body + b"\n")
            want.append(body + body + b"\n")
    doc = tmp_path / "d.txt"
    doc.write_bytes(b"".join(parts))
    r = run(["sh", "-c", f'"{scrubd}" -c "{CONF}" -F < "{doc}" | '
             "(sleep 0.5; cat)"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"".join(want)


def test_nonblocking_stdout_waits_and_writes_everything(scrubd, tmp_path):
    """A standard output set non-blocking by whoever shares the pipe: a
    full pipe is waited for, each short writev is taken up where it
    stopped, and every byte arrives in order."""
    parts = [b"kept %d " % i + b"x" * (i % 300) + b"\n" if i % 3 else
             b"a%d" % i + MARK_E + b"b\n" for i in range(40000)]
    doc = tmp_path / "d.txt"
    doc.write_bytes(b"".join(parts))
    want = run([scrubd, "-c", str(CONF), "-F", str(doc)]).stdout
    r, w = os.pipe()
    os.set_blocking(w, False)
    p = subprocess.Popen([scrubd, "-c", str(CONF), "-F", str(doc)],
                         stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    got = []
    while True:
        time.sleep(0.002)		# a slow reader: the pipe fills
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        got.append(chunk)
    os.close(r)
    assert p.wait(timeout=60) == 0, p.stderr.read()
    assert b"".join(got) == want


def test_failed_write_stops_reading(scrubd):
    """With SIGPIPE ignored and standard output gone, scrubd says so and
    exits 1 at once, though its input is still open."""
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen([scrubd, "-c", str(CONF), "-F"],
                         stdin=subprocess.PIPE, stdout=w,
                         stderr=subprocess.PIPE, restore_signals=False)
    os.close(w)
    try:	# one read's worth, then no end
        p.stdin.write(b"line\n" * 20000)
        p.stdin.flush()
    except BrokenPipeError:
        pass	# it read a first part, failed to write and is gone: fine
    try:
        assert p.wait(timeout=30) == 1
    finally:
        p.kill()
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    assert b"write to standard output" in p.stderr.read()


@pytest.mark.parametrize("args", [["-t"], ["-F", "--explain"], ["-F"]])
def test_full_disk_on_stdout_is_an_error(scrubd, args):
    """A report or text that could not be written is not a success: -t,
    --explain and -F into /dev/full say so and exit 1."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    src = corpus_cases()[0].values[0]
    with open("/dev/full", "wb") as full:
        r = subprocess.run([scrubd, "-c", str(CONF)] + args +
                           ([str(src)] if "-F" in args else []),
                           stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 1, r.stderr
    assert b"No space left on device" in r.stderr, r.stderr
