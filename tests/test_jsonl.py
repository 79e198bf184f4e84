"""JSON Lines mode: one-shot (-F -j) and the daemon's JSON Lines socket."""
import json
import random
import socket

import pytest

from conftest import CONF, corpus_cases, run
from daemon import Daemon, recv_all


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
