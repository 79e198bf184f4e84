"""phrases_file: literal phrase lists, up to 100,000 phrases in one rule."""
import random
import re
import resource
import subprocess

import pytest

from conftest import BUILD, CONF, run

ASAN = "asan" in str(BUILD)


def has_vectorscan(scrubd):
    """Was this scrubd built with Vectorscan (the prefilter)?"""
    out = subprocess.run(["ldd", scrubd], stdout=subprocess.PIPE).stdout
    return b"libhs" in out


def cjk_phrases(n, seed=15):
    """n distinct random CJK phrases of 4 to 11 characters."""
    rnd = random.Random(seed)
    out = set()
    while len(out) < n:
        k = rnd.randint(4, 11)
        out.add("".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(k)))
    return sorted(out, key=lambda s: rnd.random())


def write_conf(tmp_path, body, phrases=None, name="p.txt"):
    """A configuration (and its phrases file); returns its path."""
    if phrases is not None:
        (tmp_path / name).write_bytes(phrases)
    conf = tmp_path / "s.conf"
    conf.write_text(body)
    return conf


def test_hundred_thousand_phrases_load_and_work(scrubd, tmp_path):
    phrases = cjk_phrases(100000)
    planted = [phrases[7], phrases[50000], phrases[99999]]
    conf = write_conf(tmp_path, CONF.read_text().replace(
        "patterns_file = watermark.patterns",
        "patterns_file = " + str(CONF.parent / "watermark.patterns")) +
        "\n[filter:spam]\ntype = drop-line\nphrases_file = p.txt\n"
        "[filter:cut]\ntype = replace\nreplacement = *\n"
        "phrases_file = p.txt\n",
        ("\n".join(phrases) + "\n").encode())
    r = run([scrubd, "-c", str(conf), "-t"])
    if not has_vectorscan(scrubd):
        # PCRE2 alone cannot join so many: the error says what to do.
        assert r.returncode == 1
        assert b"too large" in r.stderr and b"Vectorscan" in r.stderr
        return
    assert r.returncode == 0, r.stderr
    lines = ["正文第一行，没有短语。", "广告：" + planted[0] + "。",
             "a##paidbegin##b", planted[1], "结尾" + planted[2][:3],
             "最后一行" + planted[2]]
    doc = ("\n".join(lines) + "\n").encode()
    text = "\n".join(lines)
    assert not any(p in text for p in phrases if p not in planted)
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("正文第一行，没有短语。\nab\n结尾" + planted[2][:3] +
                        "\n").encode()


def test_replace_is_leftmost_then_first_listed(scrubd, tmp_path):
    conf = write_conf(tmp_path, "[filter:p]\ntype = replace\n"
                      "replacement = <>\nphrases_file = p.txt\n",
                      "\ufeffab\r\nabc\n\n#x\nbc\n  sp \n哒哒\n".encode())
    doc = "xabcx\nbcd\n#x and #y\n a  sp  b\n哒哒哒\nab\n".encode()
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0, r.stderr
    # a BOM, CRLF and empty lines are no phrases; '#' and spaces are text.
    assert r.stdout == "x<>cx\n<>d\n<> and #y\n a<> b\n<>哒\n<>\n".encode()


def test_phrase_lines_as_written(scrubd, tmp_path):
    """A last line without a newline is a phrase; a NUL byte inside one
    and a lone CR before its end are its text; invalid UTF-8 on a later
    line is reported with its number even when earlier lines are good."""
    conf = write_conf(tmp_path, "[filter:p]\ntype = replace\n"
                      "replacement = <>\nphrases_file = p.txt\n",
                      b"a\x00b\r\nc\rd\n\xe5\x93\x92\xe5\x93\x92\nlast")
    doc = b"xa\x00by\nc\rd!\n\xe5\x93\x92\xe5\x93\x92\xe5\x93\x92\nthe last\n"
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"x<>y\n<>!\n<>\xe5\x93\x92\nthe <>\n"
    conf = write_conf(tmp_path, "[filter:p]\ntype = drop-line\n"
                      "phrases_file = p.txt\n",
                      "".join(f"好{i}\n" for i in range(300)).encode() +
                      b"\xc3(\n" + b"ok\n\xed\xa0\x80")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert f"{tmp_path / 'p.txt'}:301: phrase is not valid".encode() \
        in r.stderr
    assert f"{tmp_path / 'p.txt'}:303: phrase is not valid".encode() \
        in r.stderr, r.stderr


def test_caseless_folds_ascii_only(scrubd, tmp_path):
    conf = write_conf(tmp_path, "[filter:p]\ntype = drop-line\n"
                      "caseless = yes\nphrases_file = p.txt\n",
                      b"Kiss Me\nstra\xc3\x9fe\n")
    doc = ("kiss me\nKISS ME\n\u212aiss me\nSTRASSE\nSTRA\u00dfE\n"
           "stra\u00dfe\n").encode()
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "\u212aiss me\nSTRASSE\n".encode()


@pytest.mark.parametrize("content,line,message", [
    (b"good\n\xff\xfe bad\n", 2, b"phrase is not valid UTF-8"),
    (b"ok\n\x00lead\n", 2, b"phrase starts with a NUL byte"),
    (b"ok\n" + b"x" * 5000 + b"\n", 2, b"phrase longer than 4096 bytes"),
])
def test_bad_phrases_file_names_file_and_line(scrubd, tmp_path, content,
                                              line, message):
    conf = write_conf(tmp_path, "[filter:p]\ntype = drop-line\n"
                      "phrases_file = p.txt\n", content)
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert f"{tmp_path / 'p.txt'}:{line}: ".encode() + message in r.stderr


def test_each_bad_pattern_names_its_own_file(scrubd, tmp_path):
    """Sources of one rule from keys and from two files, each line named
    by the file it came from (a file's lines share one copy of its name)."""
    (tmp_path / "a.pat").write_bytes(b"ok1\nok2\nbad(\n")
    (tmp_path / "b.pat").write_bytes(b"fine\n[z\n")
    conf = write_conf(tmp_path, "[filter:x]\ntype = drop-line\n"
                      "pattern = good\npatterns_file = a.pat\n"
                      "patterns_file = b.pat\npattern = (q\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert r.stderr.count(b": bad pattern at offset ") == 3
    assert f"{tmp_path / 'a.pat'}:3: bad pattern at offset 4".encode() \
        in r.stderr
    assert f"{tmp_path / 'b.pat'}:2: bad pattern at offset 2".encode() \
        in r.stderr
    assert f"{conf}:6: bad pattern at offset 2".encode() in r.stderr


@pytest.mark.skipif(ASAN, reason="ASan maps terabytes of shadow memory")
def test_empty_lines_take_no_room(scrubd, tmp_path):
    """A phrases file of 16 Mi empty lines and one phrase loads in a
    400 MB address space: room is made for the phrases, not the lines
    (32 bytes a line would be 512 MiB), and an address-space limit turns
    the load's 32 MiB heap pad off."""
    conf = write_conf(tmp_path, "[filter:p]\ntype = drop-line\n"
                      "phrases_file = p.txt\n", b"\n" * (16 << 20) +
                      b"ab\r\n\n")
    limit = 400 << 20
    r = subprocess.run([scrubd, "-c", str(conf), "-t"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       preexec_fn=lambda: resource.setrlimit(
                           resource.RLIMIT_AS, (limit, limit)))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"configuration OK\n"


def test_phrases_file_must_be_a_regular_nonempty_file(scrubd, tmp_path):
    (tmp_path / "d").mkdir()
    conf = write_conf(tmp_path, "[filter:p]\ntype = drop-line\n"
                      "phrases_file = d\n[filter:q]\ntype = drop-line\n"
                      "phrases_file = e.txt\n", b"\n\n", name="e.txt")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert b"s.conf:3: phrases file " in r.stderr
    assert b"is a directory, not a regular file" in r.stderr
    assert b"s.conf:6: phrases file " in r.stderr
    assert b"holds no phrase" in r.stderr


def test_phrases_and_patterns_do_not_mix(scrubd, tmp_path):
    conf = write_conf(tmp_path, "[filter:p]\ntype = replace\n"
                      "pattern = a+\nphrases_file = p.txt\n"
                      "[filter:q]\ntype = replace\nreplacement = $0\n"
                      "phrases_file = p.txt\n", b"abc\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert b"s.conf:1: pattern: a rule's list takes either patterns or a " \
        b"phrases file, not both" in r.stderr
    assert b"s.conf:5: a replacement with $ needs patterns" in r.stderr


def test_drop_block_phrases(scrubd, tmp_path):
    conf = write_conf(tmp_path, "[filter:b]\ntype = drop-block\n"
                      "begin_phrases_file = p.txt\nend = ^END$\n",
                      "广告开始\n".encode())
    doc = "a\n这里广告开始了\nx\nEND\nb\n".encode()
    r = run([scrubd, "-c", str(conf), "-F"], doc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"


def test_sorted_and_shuffled_lists(scrubd, tmp_path):
    """A phrase list in byte order (which skips the sort) and the same
    list shuffled each work as PCRE2's alternation of the list would: a
    drop-line rule drops the lines that hold a phrase, a replace rule
    takes the leftmost match, there the first listed.  Phrases share
    their first 8 bytes, begin others, hold 4-byte and mixed characters,
    and are found at every character offset of a line."""
    rnd = random.Random(27)
    chars = ["的", "一", "是", "不", "了", "😀", "a", "Z", " "]
    phrases = {"的一是不了的一", "的一是不了的二", "的一是不", "的一是不了",
               "😀😀的一", "ab的一是不", "不了不了不了"}
    while len(phrases) < 400:
        phrases.add("".join(rnd.choice(chars)
                            for _ in range(rnd.randint(2, 9))).strip())
    phrases.discard("")
    ordered = sorted(phrases, key=lambda s: s.encode())
    shuffled = sorted(phrases, key=lambda s: rnd.random())
    lines = []
    for i in range(3000):
        line = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 40)))
        if i % 3 == 0:
            at = rnd.randint(0, len(line))
            line = line[:at] + rnd.choice(ordered) + line[at:]
        lines.append(line)
    doc = ("\n".join(lines) + "\n").encode()
    kept = "".join(x + "\n" for x in lines
                   if not any(p in x for p in phrases)).encode()
    for name, lst in (("o.txt", ordered), ("s.txt", shuffled)):
        alt = re.compile("|".join(re.escape(p) for p in lst))
        cut = "".join(alt.sub("<>", x) + "\n" for x in lines).encode()
        # max_line 64: long lines reach the rule in pieces, and a phrase
        # cut by a piece's end is found by the binary search of the
        # sorted list (a partial match).
        for rule, want, engine in (
                ("type = drop-line", kept, ""),
                ("type = replace\nreplacement = <>", cut, ""),
                ("type = replace\nreplacement = <>", cut,
                 "[engine]\nmax_line = 64\n")):
            conf = write_conf(tmp_path, engine + "[filter:p]\n" + rule +
                              "\nphrases_file = " + name + "\n",
                              ("\n".join(lst) + "\n").encode(), name=name)
            r = run([scrubd, "-c", str(conf), "-F"], doc)
            assert r.returncode == 0, r.stderr
            assert r.stdout == want, (name, rule, engine)
