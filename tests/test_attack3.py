"""Regressions from the third attack (quiet lines, the prefilter, JSON
Lines, encodings): each case failed before its fix."""
import pytest

from conftest import run

WORD_EDGE = """[engine]
max_line = 64

[filter:edge]
type = replace
pattern = \\B
replacement = Z
"""


@pytest.mark.parametrize("doc", [
    b".\xc3\n",
    b"x\xf0\r\n",
    b"a\xe4\xb8\nb\n",
    b"\x9f\xb0\n",
    b"ab\xc3",
    b"a" * 100 + b"\xc3" + b"b" * 30 + b"\n",
])
def test_invalid_utf8_at_a_line_end_does_not_depend_on_chunking(
        tmp_path, scrubd, chunkfeed, doc):
    """PCRE2's JIT (10.42) reads past the end of a subject whose last
    character is cut or invalid, for \\b and \\B: the result depended on
    the bytes after the line in memory, so on how the document was fed."""
    conf = tmp_path / "c.conf"
    conf.write_text(WORD_EDGE)
    src = tmp_path / "d.txt"
    src.write_bytes(doc)
    whole = run([scrubd, "-c", str(conf), "-F", str(src)])
    assert whole.returncode == 0
    for seed in range(1, 6):
        r = run([chunkfeed, str(conf), str(src), str(seed), "1"])
        assert r.stdout == whole.stdout, seed
        r = run([chunkfeed, str(conf), str(src), str(seed), "3"])
        assert r.stdout == whole.stdout, seed


def test_a_reader_slower_than_the_socket_wakeups_is_not_idle(tmp_path):
    """A UNIX socket becomes writable again only once three quarters of
    its buffer are read: a client reading 64 KiB every 0.45 s keeps
    reading, but scrubd saw no progress for more than idle_timeout and
    cut it (since input slices of 64 KiB let a full queue go out at
    once)."""
    from daemon import Daemon, send_and_read_slowly
    d = Daemon(tmp_path, "idle_timeout = 1s\noutput_high_water = 4K\n")
    d.start()
    try:
        doc = (b"y" * 99 + b"\n") * 5000
        assert send_and_read_slowly(d.connect(), doc, 0.45) == doc
        d.wait_log("end=ok")
    finally:
        assert d.stop() == 0, d.logtext()


MAX64 = """[engine]
max_line = 64

[filter:only-a]
type = drop-line
pattern = ^a+$

[filter:blank]
type = blank
"""


def test_a_crlf_line_of_max_line_bytes_is_not_long(tmp_path, scrubd,
                                                   chunkfeed):
    """The '\\r' before '\\n' belongs to the ending: a line of exactly
    max_line bytes was cut into pieces when it ended in CRLF (so `^a+$`
    did not drop it and 64 spaces were content), not when it ended in
    LF; the same whatever the chunks."""
    conf = tmp_path / "c.conf"
    conf.write_text(MAX64)
    for eol in (b"\n", b"\r\n"):
        doc = (b"x" + eol + b"a" * 64 + eol + b"b" * 63 + b"\r" + eol +
               b" " * 64 + eol + eol + b"y" + eol + b"a" * 64 + b"\r")
        src = tmp_path / "d.txt"
        src.write_bytes(doc)
        r = run([scrubd, "-c", str(conf), "-F", str(src)])
        assert r.stdout == (b"x" + eol + b"b" * 63 + b"\r" + eol +
                            b" " * 64 + eol + b"y" + eol + b"a" * 64 +
                            b"\r"), eol
        for seed in range(1, 8):
            c = run([chunkfeed, str(conf), str(src), str(seed), "7"])
            assert c.stdout == r.stdout, (eol, seed)
        c = run([chunkfeed, str(conf), str(src), "1", "1"])
        assert c.stdout == r.stdout, eol


@pytest.mark.parametrize("rep, why", [
    ("<$9>", "no such group"),
    ("${nope}", "no such group"),
    ("$n$", "$ not followed by a group"),
    ("${1", "missing }"),
])
def test_a_replacement_that_can_never_be_made_is_a_configuration_error(
        tmp_path, scrubd, rep, why):
    """`-t` took a replacement naming a group the patterns do not have
    (or a bad `${`): every match then failed at run time and was kept."""
    conf = tmp_path / "c.conf"
    conf.write_text("[filter:r]\ntype = replace\npattern = (?<n>a)(b)?\n"
                    "replacement = " + rep + "\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert f"{conf}:4: replacement: {why}" in r.stderr.decode()


def test_replacements_with_groups_that_exist_still_load(tmp_path, scrubd):
    conf = tmp_path / "c.conf"
    conf.write_text("[filter:r]\ntype = replace\npattern = (?<n>a)(b)?\n"
                    "replacement = $$ $0 ${1} $2 $n ${n} ${*MARK}\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 0, r.stderr
