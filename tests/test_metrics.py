"""Metrics (/metrics, /healthz), --explain, and the connection log."""
import re
import signal
import socket
import time

import pytest

from conftest import CONF, corpus_cases, run
from daemon import Daemon, recv_all

SEEDS = [c.values for c in corpus_cases() if c.id.startswith("seeds/")]
DEV = [c.values for c in corpus_cases() if c.id.startswith("dev/")][:20]


def http_get(addr, path):
    """GET over unix:PATH or HOST:PORT; returns (status, body)."""
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(10)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    data = recv_all(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


def scrape_until(addr, key, want, timeout=10):
    """Scrape until key has the value want (a body is reused for ten times
    as long as it took to render, see README) or timeout; the last one."""
    end = time.monotonic() + timeout
    while True:
        m = scrape(addr)
        if m.get(key) == want or time.monotonic() > end:
            return m
        time.sleep(0.01)


def scrape(addr):
    """Parse the exposition format into {name{labels}: value}."""
    status, body = http_get(addr, "/metrics")
    assert status == 200
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def rules_sum(m, metric):
    return sum(v for k, v in m.items() if k.startswith(metric + "{"))


@pytest.fixture
def mdaemon(tmp_path):
    addr = f"unix:{tmp_path}/metrics.sock"
    d = Daemon(tmp_path, "workers = 2\n", args=["-M", addr]).start()
    d.addr = addr
    yield d
    assert d.stop() == 0, d.logtext()


def explain_totals(scrubd, files):
    r = run([scrubd, "-c", str(CONF), "-F", "--explain"] +
            [str(f) for f in files])
    assert r.returncode == 0
    totals = {}
    for line in r.stdout.decode().split("totals:\n")[1].splitlines():
        name, _, *kv = line.split()
        totals[name] = {k: int(v) for k, v in (x.split("=") for x in kv)}
    return totals, r.stdout.decode()


def test_metrics_exact_totals_and_balanced_books(mdaemon, scrubd):
    docs = SEEDS + DEV
    for src, want in docs:
        assert mdaemon.roundtrip(src.read_bytes(), piece=999) == \
            want.read_bytes()
    time.sleep(0.2)
    m = scrape(mdaemon.addr)
    bytes_in = sum(s.stat().st_size for s, _ in docs)
    bytes_out = sum(w.stat().st_size for _, w in docs)
    assert m["scrubd_documents_total"] == len(docs)
    assert m["scrubd_connections_total"] == len(docs)
    assert m["scrubd_connections_active"] == 0
    assert m["scrubd_bytes_in_total"] == bytes_in
    assert m["scrubd_bytes_out_total"] == bytes_out
    assert rules_sum(m, "scrubd_rule_bytes_removed_total") == \
        bytes_in - bytes_out
    assert m['scrubd_document_duration_seconds_count'] == len(docs)
    assert m['scrubd_document_duration_seconds_bucket{le="+Inf"}'] == \
        len(docs)
    # Each rule's figures equal what --explain counts on the same files.
    totals, _ = explain_totals(scrubd, [s for s, _ in docs])
    for rule, t in totals.items():
        assert m[f'scrubd_rule_matches_total{{rule="{rule}"}}'] == \
            t["matches"]
        assert m[f'scrubd_rule_lines_dropped_total{{rule="{rule}"}}'] == \
            t["lines_dropped"]
        assert m[f'scrubd_rule_bytes_removed_total{{rule="{rule}"}}'] == \
            t["bytes_removed"]
    assert m["scrubd_config_generation"] == 1


def test_aborted_documents_keep_the_books(mdaemon):
    s = mdaemon.connect()
    s.sendall(b"a##paidend##\n\n\n\n")
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    mdaemon.wait_log("end=")
    time.sleep(0.2)
    m = scrape(mdaemon.addr)
    assert m["scrubd_bytes_in_total"] - m["scrubd_bytes_out_total"] == \
        rules_sum(m, "scrubd_rule_bytes_removed_total")


def test_healthz_and_unknown_path(mdaemon):
    assert http_get(mdaemon.addr, "/healthz") == (200, "ok\n")
    assert http_get(mdaemon.addr, "/nope")[0] == 404


def test_metrics_across_reload(mdaemon):
    for src, _ in SEEDS[:2]:
        mdaemon.roundtrip(src.read_bytes())
    mdaemon.write_conf("workers = 2\n", rules="[filter:renamed]\n"
                       "type = replace\npattern = x\n")
    mdaemon.signal(signal.SIGHUP)
    mdaemon.wait_log("reload done")
    mdaemon.roundtrip(b"xyz\n")
    m = scrape_until(mdaemon.addr, "scrubd_documents_total", 3)
    assert m['scrubd_reloads_total{result="ok"}'] == 1
    assert m["scrubd_config_generation"] == 2
    assert m["scrubd_documents_total"] == 3
    assert m['scrubd_rule_matches_total{rule="renamed"}'] == 1
    assert m['scrubd_rule_matches_total{rule="paywall"}'] > 0
    mdaemon.conf.write_text("[filter:x]\ntype = nope\n")
    mdaemon.signal(signal.SIGHUP)
    mdaemon.wait_log("reload failed")
    m = scrape_until(mdaemon.addr, 'scrubd_reloads_total{result="failed"}', 1)
    assert m['scrubd_reloads_total{result="failed"}'] == 1
    assert m["scrubd_config_generation"] == 2


def test_errors_by_reason_and_jsonl_records(tmp_path):
    addr = f"unix:{tmp_path}/m.sock"
    jsock = str(tmp_path / "j.sock")
    d = Daemon(tmp_path, "idle_timeout = 300ms\n",
               args=["-M", addr, "-J", jsock]).start()
    try:
        s = d.connect()
        s.settimeout(10)
        assert recv_all(s) == b""
        s.close()
        j = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        j.connect(jsock)
        j.sendall(b'{"text":"a"}\n{"text":"b"}\nbad\n')
        j.shutdown(socket.SHUT_WR)
        assert len(recv_all(j).splitlines()) == 3
        j.close()
        d.wait_log("proto=jsonl end=ok")
        m = scrape_until(addr, "scrubd_documents_total", 1 + 3)
        assert m['scrubd_errors_total{reason="idle_timeout"}'] == 1
        assert m["scrubd_documents_total"] == 1 + 3
    finally:
        assert d.stop() == 0, d.logtext()


def test_metrics_on_tcp(tmp_path):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    d = Daemon(tmp_path, f"metrics = 127.0.0.1:{port}\n").start()
    try:
        d.roundtrip(b"x\n")
        time.sleep(0.1)
        assert scrape(f"127.0.0.1:{port}")["scrubd_documents_total"] == 1
    finally:
        assert d.stop() == 0, d.logtext()


def test_connection_log_is_key_value(mdaemon):
    mdaemon.roundtrip(b"a\n##paidend##\n")
    mdaemon.wait_log("end=ok")
    line = [x for x in mdaemon.logtext().splitlines() if "end=ok" in x][0]
    assert re.search(r"conn id=\d+ proto=raw end=ok in=14 out=2 sent=2 "
                     r"lines_dropped=1 duration=\d+\.\d+s", line), line


@pytest.mark.parametrize("src,want", SEEDS)
def test_explain_names_every_rule_that_fired(scrubd, src, want):
    totals, text = explain_totals(scrubd, [src])
    events = [l for l in text.splitlines() if l.startswith(str(src) + ":")
              and (": dropped: " in l or ": changed: " in l)]
    fired = {r for r, t in totals.items()
             if t["matches"] or t["lines_dropped"]}
    named = {l.split(": ")[1] for l in events}
    assert fired == named
    removed = sum(t["bytes_removed"] for t in totals.values())
    assert removed == src.stat().st_size - want.stat().st_size
    assert f"{src}: {src.stat().st_size} bytes in, " \
        f"{want.stat().st_size} out" in text


def test_explain_shows_changes_before_and_after(scrubd, tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_bytes("正文##paidend##结束\n【哒哒素材库】广告\n".encode())
    r = run([scrubd, "-c", str(CONF), "-F", "--explain", str(doc)])
    lines = r.stdout.decode().splitlines()
    assert f"{doc}:1: paywall: changed: 正文##paidend##结束" in lines
    assert f"{doc}:1: paywall:      to: 正文结束" in lines
    assert f"{doc}:2: ads: dropped: 【哒哒素材库】广告" in lines
