"""examples/dask: JSON Lines shards cleaned by scrubd on a real Dask cluster.

A scheduler and two workers are started as on separate machines (`dask
scheduler`, `dask worker tcp://...`, here on loopback) by
examples/dask/cluster.sh; the output is checked record by record against
the corpus and byte for byte against one scrubd process per shard.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, CONF, ROOT, corpus_cases, run

EXAMPLE = ROOT / "examples" / "dask"
SHARDS = 6
COPIES = 3          # the corpus three times over: 3.3 MB of JSON Lines


def utf8_cases():
    """(id, text, expected) for the corpus documents JSON can carry."""
    out = []
    for c in corpus_cases():
        src, want = c.values
        try:
            out.append((c.id, src.read_bytes().decode(),
                        want.read_bytes().decode()))
        except UnicodeDecodeError:
            pass
    return out


def make_shards(directory):
    """Write the shards; returns {record id: expected text}."""
    cases = utf8_cases()
    expected = {}
    shards = [[] for _ in range(SHARDS)]
    n = 0
    for copy in range(COPIES):
        for name, text, want in cases:
            rid = f"{name}#{copy}"
            rec = {"id": rid, "text": text,
                   "meta": {"copy": copy, "n": n, "score": 0.5}}
            shards[n % SHARDS].append(json.dumps(rec,
                                                 ensure_ascii=(n % 2 == 0)))
            expected[rid] = want
            n += 1
    for k, rows in enumerate(shards):
        # Rows that are no record keep their place as error rows.
        rows.insert(len(rows) // 2, '{"id":"bad-%d","body":"no text"}' % k)
        rows.append("not json")
        (directory / f"shard{k}.jsonl").write_text("\n".join(rows) + "\n")
    return expected


def cluster(inp, out, conf, blocksize=None):
    """Run examples/dask/cluster.sh with this build's scrubd."""
    assert shutil.which("dask"), "dask missing: make deps installs " \
        "python3-distributed"
    args = ["bash", str(EXAMPLE / "cluster.sh"), "-w", "2",
            "-s", str(BUILD / "scrubd"), "-c", str(conf)]
    if blocksize:
        args += ["-b", blocksize]
    return subprocess.run(args + [str(inp / "*.jsonl"), str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, PYTHON=sys.executable),
                          timeout=600)


def lines(data):
    """JSON Lines rows (str.splitlines would also cut at U+2028 and such)."""
    return data.rstrip("\n").split("\n")


def unline(row):
    """An error row without its line number, which counts from its block."""
    if row.startswith('{"error"'):
        return re.sub(r'"line":\d+', '"line":N', row)
    return row


def parts(out, shard):
    """The output parts of one shard, in block order."""
    return sorted(out.glob(f"{shard}-*.jsonl"))


def test_shards_cleaned_on_a_dask_cluster(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    expected = make_shards(inp)
    size = sum(f.stat().st_size for f in inp.iterdir())
    assert size > 3 * 2**20
    r = cluster(inp, out, CONF, blocksize="256KiB")
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"0 problems" in r.stdout, r.stdout
    seen = set()
    nparts = 0
    for k in range(SHARDS):
        shard = inp / f"shard{k}.jsonl"
        got_parts = parts(out, shard.stem)
        nparts += len(got_parts)
        # One process over the whole shard is the reference, byte for
        # byte; only error rows' line numbers count from their own block.
        ref = lines(run([str(BUILD / "scrubd"), "-c", str(CONF), "-F", "-j",
                   str(shard)]).stdout.decode())
        got = []
        for p in got_parts:
            rows = lines(p.read_text())
            for i, row in enumerate(rows, 1):
                if row.startswith('{"error"'):
                    assert json.loads(row)["line"] == i, (p, row)
                got.append(row)
        assert [unline(x) for x in got] == [unline(x) for x in ref], shard
        # Record by record against the corpus.
        src = lines(shard.read_text())
        assert len(got) == len(src)
        for a, b in zip(src, got):
            if a == "not json":
                assert json.loads(b)["error"].startswith("not JSON")
                continue
            ra, rb = json.loads(a), json.loads(b)
            if ra["id"].startswith("bad-"):
                assert rb["id"] == ra["id"] and "text" in rb["error"]
                continue
            assert list(rb) == ["id", "text", "meta"]
            assert rb["meta"] == ra["meta"]
            assert rb["text"] == expected[ra["id"]], ra["id"]
            seen.add(ra["id"])
    assert seen == set(expected)
    assert nparts > SHARDS, "256KiB blocks cut shards in several parts"


def test_a_scrubd_failure_fails_the_job(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    make_shards(inp)
    bad = tmp_path / "bad.conf"
    bad.write_text("[filter:x]\ntype = bogus\n")
    r = cluster(inp, out, bad)
    assert r.returncode == 1, r.stdout + r.stderr
    assert b"scrubd exited with status 1" in r.stderr
    assert b"unknown type 'bogus'" in r.stderr
    assert list(out.glob("*.jsonl")) == []


def fake_scrubd(tmp_path, body):
    path = tmp_path / "fake-scrubd"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def load_clean():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import clean
    finally:
        sys.path.pop(0)
    return clean


@pytest.mark.parametrize("body, message", [
    ("cat > /dev/null; exit 3", "exited with status 3"),
    ('exec "$SCRUBD_REAL" "$@" | head -n 1', "returned 1 rows for 3"),
    ("kill -9 $$", "exited with status -9"),
])
def test_a_partition_never_comes_back_short(tmp_path, monkeypatch, body,
                                            message):
    clean = load_clean()
    monkeypatch.setenv("SCRUBD_REAL", str(BUILD / "scrubd"))
    data = b'{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n'
    with pytest.raises(RuntimeError, match=re.escape(message)):
        clean.clean_block(data, fake_scrubd(tmp_path, body), str(CONF))
    assert clean.clean_block(data, str(BUILD / "scrubd"), str(CONF)) == data
