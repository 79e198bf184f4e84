"""JSON Lines mode: one-shot (-F -j) and the daemon's JSON Lines socket."""
import json
import random
import socket
import subprocess
import sys

import pytest

from conftest import BUILD, CONF, corpus_cases, run
from daemon import Daemon, recv_all

ASAN = "asan" in str(BUILD)


def utf8_cases():
    """Corpus documents JSON can carry (valid UTF-8, NULs allowed)."""
    out = []
    for c in corpus_cases():
        src, want = c.values
        try:
            out.append((c.id, src.read_bytes().decode(),
                        want.read_bytes().decode()))
        except UnicodeDecodeError:
            pass
    return out


def corpus_jsonl():
    """The corpus as JSON Lines, with ids and metadata around the text."""
    cases = utf8_cases()
    lines = [json.dumps({"id": name, "text": text,
                         "meta": {"n": i, "score": 0.1, "tags": ["a", "}"]}},
                        ensure_ascii=(i % 2 == 0))
             for i, (name, text, _) in enumerate(cases)]
    return ("\n".join(lines) + "\n").encode(), cases


def check_corpus_rows(out, cases):
    rows = out.decode().splitlines()
    assert len(rows) == len(cases)
    for i, (row, (name, _, want)) in enumerate(zip(rows, cases)):
        obj = json.loads(row)
        assert obj["id"] == name
        assert obj["meta"] == {"n": i, "score": 0.1, "tags": ["a", "}"]}
        assert obj["text"] == want, name
        assert list(obj) == ["id", "text", "meta"]


def test_corpus_oneshot(scrubd):
    data, cases = corpus_jsonl()
    assert len(cases) > 70
    r = run([scrubd, "-c", str(CONF), "-F", "-j"], data)
    assert r.returncode == 0, r.stderr
    check_corpus_rows(r.stdout, cases)


def test_other_fields_keep_their_bytes(scrubd):
    line = (b'{"id":18446744073709551615, "x":1e5,"y":0.1 ,'
            b'"text":"a##paidend##b","nested":{"text":"##paidend##"}}\n')
    r = run([scrubd, "-c", str(CONF), "-F", "-j"], line)
    assert r.stdout == (b'{"id":18446744073709551615, "x":1e5,"y":0.1 ,'
                        b'"text":"ab","nested":{"text":"##paidend##"}}\n')


def test_escapes_nul_and_surrogates(scrubd):
    line = (r'{"text":"\u0041\u0000B\ud83d\ude00\u54d2\u54d2\u541b'
            r'\"q\"\\ \/\n"}' + "\n").encode()
    r = run([scrubd, "-c", str(CONF), "-F", "-j"], line)
    obj = json.loads(r.stdout)
    assert obj["text"] == 'A\x00B😀"q"\\ /\n'
    assert "😀".encode() in r.stdout and b"\\u0000" in r.stdout


def test_bad_rows_in_the_middle(scrubd):
    rows = [b'{"id":1,"text":"ok##paidend##"}', b"not json",
            b'[1,2]', b'{"id":"k","body":"x"}', b'{"id":[3],"text":7}',
            b"", b'{"id":2,"text":"fine"}']
    r = run([scrubd, "-c", str(CONF), "-F", "-j"], b"\n".join(rows) + b"\n")
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(out) == len(rows)
    assert out[0] == {"id": 1, "text": "ok"}
    assert out[1]["line"] == 2 and out[1]["error"].startswith("not JSON")
    assert out[2] == {"error": "not a JSON object", "line": 3}
    assert out[3] == {"error": 'no "text" field', "line": 4, "id": "k"}
    assert out[4] == {"error": '"text" is not a string', "line": 5,
                      "id": [3]}
    assert out[5]["line"] == 6 and "error" in out[5]
    assert out[6] == {"id": 2, "text": "fine"}


def jsonl_conf(tmp_path, keys):
    conf = tmp_path / "j.conf"
    (tmp_path / "watermark.patterns").write_bytes(
        (CONF.parent / "watermark.patterns").read_bytes())
    conf.write_text(CONF.read_text() + "\n[jsonl]\n" + keys)
    return conf


def test_over_large_record_is_skipped(scrubd, tmp_path):
    conf = jsonl_conf(tmp_path, "max_record = 1K\n")
    big = b'{"id":"big","text":"' + b"x" * 5000 + b'"}'
    data = b'{"text":"a"}\n' + big + b'\n{"text":"b"}\n' + big
    r = run([scrubd, "-c", str(conf), "-F", "-j"], data)
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert out == [{"text": "a"},
                   {"error": "record larger than max_record (1024 bytes)",
                    "line": 2},
                   {"text": "b"},
                   {"error": "record larger than max_record (1024 bytes)",
                    "line": 4}]


def test_text_field_and_stats(scrubd, tmp_path):
    conf = jsonl_conf(tmp_path, "text_field = body\njsonl_stats = yes\n"
                      "stats_field = _clean\n")
    line = '{"id":5,"body":"x##paidend##y\\n【哒哒素材库】广告\\nz哒哒君"}\n'
    r = run([scrubd, "-c", str(conf), "-F", "-j"], line.encode())
    obj = json.loads(r.stdout)
    assert obj["body"] == "xy\nz"
    st = obj["_clean"]
    assert st["bytes_out"] == len("xy\nz".encode())
    assert st["rules"]["paywall"] == {"matches": 1, "lines_dropped": 0,
                                      "bytes_removed": 11, "bytes_added": 0}
    assert st["rules"]["ads"]["lines_dropped"] == 1
    assert st["rules"]["brand-token"]["bytes_removed"] == 9
    removed = sum(x["bytes_removed"] - x["bytes_added"]
                  for x in st["rules"].values())
    assert st["bytes_in"] - st["bytes_out"] == removed


def test_jsonl_config_errors(scrubd, tmp_path):
    conf = jsonl_conf(tmp_path, "max_record = 1\ncolor = red\n")
    r = run([scrubd, "-c", str(conf), "-t"])
    assert r.returncode == 1
    assert b"max_record must be a size" in r.stderr
    assert b"unknown key color in [jsonl]" in r.stderr


@pytest.fixture
def jdaemon(tmp_path):
    # max_document bounds raw documents only: the JSON Lines streams below
    # are far larger than 4K and must go through whole.
    d = Daemon(tmp_path, "workers = 2\nmax_document = 4K\n",
               args=["-J", str(tmp_path / "jsonl.sock")]).start()
    d.jsock = str(tmp_path / "jsonl.sock")
    yield d
    assert d.stop() == 0, d.logtext()


def jsonl_roundtrip(path, data, piece=None, seed=1):
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(60)
    off = 0
    while off < len(data):
        n = len(data) if piece is None else rnd.randint(1, piece)
        s.sendall(data[off:off + n])
        off += n
    s.shutdown(socket.SHUT_WR)
    out = recv_all(s)
    s.close()
    return out


def test_daemon_jsonl_corpus(jdaemon):
    data, cases = corpus_jsonl()
    check_corpus_rows(jsonl_roundtrip(jdaemon.jsock, data), cases)
    # The raw socket still speaks the raw protocol.
    assert jdaemon.roundtrip(b"a##paidend##\n") == b"a\n"


def test_daemon_jsonl_small_pieces(jdaemon):
    data, cases = corpus_jsonl()
    cases, data = cases[:12], b"".join(data.splitlines(True)[:12])
    check_corpus_rows(jsonl_roundtrip(jdaemon.jsock, data, piece=5), cases)


def test_daemon_jsonl_bad_rows(jdaemon):
    out = jsonl_roundtrip(jdaemon.jsock, b'{"text":"a"}\nnope\n{"text":"b"}')
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert rows[0] == {"text": "a"} and rows[2] == {"text": "b"}
    assert rows[1]["line"] == 2
    jdaemon.wait_log("proto=jsonl end=ok")


def test_unchanged_record_is_byte_identical(scrubd):
    rows = (b'{"id":1,"text":"clean \\u00e9 \\/ text\\n\\ncontent"}\n'
            b'{"text" : "x\\u0000y" , "z":1}\n')
    r = run([scrubd, "-c", str(CONF), "-F", "-j"], rows)
    assert r.stdout == rows


def oneshot(scrubd, data, conf=CONF):
    """Rows of -F -j for data (bytes), checked to exit 0."""
    r = run([scrubd, "-c", str(conf), "-F", "-j"], data)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_every_text_member_is_cleaned(scrubd):
    # Repeated and escaped spellings of the key: each string is cleaned as
    # a document of its own; the keys and everything else stay as written.
    line = (b'{"text":"a##paidend##","n":1,"te\\u0078t":"\\u54d2\\u54d2\\u541b'
            b'b\\n\\u3010\\u54d2\\u54d2\\u3011ad\\nc","\\u0074ext":"same\\/",'
            b'"texts":"##paidend##","m":{"text":"##paidend##"}}\n')
    assert oneshot(scrubd, line) == (
        b'{"text":"a","n":1,"te\\u0078t":"b\\nc","\\u0074ext":"same\\/",'
        b'"texts":"##paidend##","m":{"text":"##paidend##"}}\n')


def test_a_text_member_not_a_string_among_several(scrubd):
    rows = (b'{"id":"k","text":"a","te\\u0078t":null}\n'
            b'{"text":{"text":"x"},"text":"a"}\n{"text":"ok"}\n')
    assert oneshot(scrubd, rows) == (
        b'{"error":"\\"text\\" is not a string","line":1,"id":"k"}\n'
        b'{"error":"\\"text\\" is not a string","line":2}\n{"text":"ok"}\n')


def test_endings_and_white_space_kept(scrubd):
    rows = (b' \t{"text":"a##paidend##"} \t\r\n{"text":"b"}\r\n'
            b'{"text":"c"}\r{"x":1}\r\n\r\n{"text":"d"}\r')
    assert oneshot(scrubd, rows) == (
        b' \t{"text":"a"} \t\r\n{"text":"b"}\r\n'
        b'{"error":"not JSON: end of record expected at column 14",'
        b'"line":3}\r\n'
        b'{"error":"not JSON: unexpected end of record at column 2",'
        b'"line":4}\r\n{"text":"d"}\r\n')


def test_numbers_jansson_cannot_hold_are_kept(scrubd):
    nums = (b'"x":1e400,"y":' + b"9" * 400 + b',"z":-1.5E-400,'
            b'"w":0.' + b"1" * 300)
    changed = b'{' + nums + b',"text":"a##paidend##"}\n'
    same = b'{' + nums + b',"text":"a"}\n'
    assert oneshot(scrubd, changed + same) == same + same


def test_every_error_row_kind(scrubd, tmp_path):
    conf = jsonl_conf(tmp_path, "max_record = 8K\n")
    bad_json = [b"", b"\r", b"{", b'{"text":"a"', b'{"text":"a"}}',
                b'{"text":"a",}', b'{"text":"a"} x', b'{"text":"a\x01"}',
                b'{"text":"a"}\x00', b'{"text":\x00"a"}', b'{"t\xffxt":"a"}',
                b'{"text":"\xe4\xb8"}', b'{"text":"\xed\xa0\x80"}',
                b'{"text":"\\ud800"}', b'{"text":"\\udc00\\ud800"}',
                b'{"text":"\\x"}', b'{"text":"\\u00e"}', b'{"text":01}',
                b'{"text":"a","b":[1,2,]}', b'{"text":"a","b":tru}',
                b'{"text":NaN}', b"\xef\xbb\xbf{}", b"{'text':'a'}",
                b'{"text":"a","d":' + b"[" * 2048 + b"]" * 2048 + b"}"]
    rows = bad_json + [
        b"[1,2]", b'"text"', b"5", b"null",
        b'{"id":7}', b'{"i\\u0064":{"k":[1,"}"]},"body":"x"}', b"{}",
        b'{"id":1,"text":7}', b'{"text":null}', b'{"text":["a"]}',
        b'{"text":{}}', b'{"id":"big","text":"' + b"x" * 9000 + b'"}',
        b'{"text":"fine"}']
    out = oneshot(scrubd, b"\n".join(rows) + b"\n", conf).split(b"\n")
    assert out[-1] == b"" and len(out) == len(rows) + 1
    got = [json.loads(x) for x in out[:-1]]
    for i in range(len(bad_json)):
        assert set(got[i]) == {"error", "line"}, got[i]
        assert got[i]["error"].startswith("not JSON: "), got[i]
        assert got[i]["line"] == i + 1
    n = len(bad_json)
    assert got[n:] == [
        {"error": "not a JSON object", "line": n + 1},
        {"error": "not a JSON object", "line": n + 2},
        {"error": "not a JSON object", "line": n + 3},
        {"error": "not a JSON object", "line": n + 4},
        {"error": 'no "text" field', "line": n + 5, "id": 7},
        {"error": 'no "text" field', "line": n + 6, "id": {"k": [1, "}"]}},
        {"error": 'no "text" field', "line": n + 7},
        {"error": '"text" is not a string', "line": n + 8, "id": 1},
        {"error": '"text" is not a string', "line": n + 9},
        {"error": '"text" is not a string', "line": n + 10},
        {"error": '"text" is not a string', "line": n + 11},
        {"error": "record larger than max_record (8192 bytes)",
         "line": n + 12},
        {"text": "fine"}]
    # The id's bytes as written, and the nesting jansson allows is valid.
    assert b'"id":{"k":[1,"}"]}}' in out[n + 5]
    deep = b'{"text":"a","d":' + b"[" * 2047 + b"]" * 2047 + b"}\n"
    assert oneshot(scrubd, deep, conf) == deep


def test_max_record_boundaries(scrubd, tmp_path):
    conf = jsonl_conf(tmp_path, "max_record = 1K\n")

    def rec(size, end=b"\n"):
        r = b'{"text":"a##paidend##","pad":"'
        return r + b"x" * (size - len(r) - 2) + b'"}' + end

    data = (rec(1024) + rec(1025) + rec(1023, b"\r\n") + rec(1024, b"\r\n")
            + rec(1024, b""))
    want = [b"{\"text\":\"a\"" + rec(1024)[22:],
            b'{"error":"record larger than max_record (1024 bytes)",'
            b'"line":2}\n',
            b"{\"text\":\"a\"" + rec(1023, b"\r\n")[22:],
            b'{"error":"record larger than max_record (1024 bytes)",'
            b'"line":4}\r\n',
            b"{\"text\":\"a\"" + rec(1024)[22:]]
    assert oneshot(scrubd, data, conf) == b"".join(want)
    d = Daemon(tmp_path, "workers = 1\n",
               rules=CONF.read_text() + "\n[jsonl]\nmax_record = 1K\n",
               args=["-J", str(tmp_path / "j.sock")]).start()
    try:
        for piece in (1, 3, 700):
            assert jsonl_roundtrip(str(tmp_path / "j.sock"), data,
                                   piece=piece, seed=piece) == b"".join(want)
    finally:
        assert d.stop() == 0, d.logtext()


def test_escapes_split_across_reads(jdaemon):
    rows = (b'{"text":"\\ud83d\\ude00\\u00e9##paid\\u0065nd##\\n\\u0000\\"",'
            b'"te\\u0078t":"\\/"}\r\n' * 20)
    want = (b'{"text":"\xf0\x9f\x98\x80\xc3\xa9\\n\\u0000\\"",'
            b'"te\\u0078t":"\\/"}\r\n' * 20)
    for piece in (1, 2, 7):
        assert jsonl_roundtrip(jdaemon.jsock, rows, piece=piece,
                               seed=piece) == want


def test_corpus_with_crlf_rows_and_padding(scrubd):
    data, cases = corpus_jsonl()
    rows = data.split(b"\n")[:-1]
    padded = b"".join(b" " * (i % 3) + r + b"\t" * (i % 2) + b"\r\n"
                      for i, r in enumerate(rows))
    out = oneshot(scrubd, padded).split(b"\r\n")
    assert out[-1] == b"" and len(out) == len(rows) + 1
    for i, row in enumerate(out[:-1]):
        assert row.startswith(b" " * (i % 3) + b"{")
        assert row.endswith(b"}" + b"\t" * (i % 2))
        assert json.loads(row)["text"] == cases[i][2]


# Run argv[2:] with stdout to argv[1] from a fresh, small process and print
# its exit code and peak RSS: a child's ru_maxrss starts from the peak of
# the process it was forked from, here pytest's.
MAXRSS = """import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_maxrss)
"""


def test_big_record_memory(scrubd, tmp_path):
    # One 16 MiB record whose text has escapes and changes costs the record,
    # its decoded text and fixed buffers: at most 3x the record plus a fixed
    # amount.  Not under ASan, whose shadow memory and quarantine dominate.
    if ASAN:
        pytest.skip("RSS is meaningless under ASan")
    line = "这是一段正文，##paidend##用于测试。" + "x" * 60 + "\n"
    text = line * ((16 << 20) // len(line.encode()))
    rec = json.dumps({"id": 1, "text": text}, ensure_ascii=False).encode()
    (tmp_path / "big.jsonl").write_bytes(rec + b"\n")
    with open(tmp_path / "big.jsonl", "rb") as f:
        r = subprocess.run([sys.executable, "-c", MAXRSS,
                            str(tmp_path / "out"), scrubd, "-c", str(CONF),
                            "-F", "-j"], stdin=f, stdout=subprocess.PIPE,
                           timeout=120)
    code, maxrss = map(int, r.stdout.split())
    assert code == 0
    out = (tmp_path / "out").read_bytes()
    assert json.loads(out)["text"] == text.replace("##paidend##", "")
    assert maxrss * 1024 <= 3 * len(rec) + (16 << 20), (maxrss, len(rec))
