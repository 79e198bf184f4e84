#!/usr/bin/python3
"""Clean JSON Lines shards with scrubd on a Dask cluster.

    clean.py --scheduler tcp://HOST:8786 --workers N \\
        [--scrubd /usr/sbin/scrubd] [--conf /etc/scrubd/scrubd.conf] \\
        [--blocksize 64MiB] 'docs/*.jsonl' clean/

Every input file is cut at line boundaries into blocks (one block per file
unless --blocksize is given); each block is one task, run on whichever
worker the scheduler picks: `scrubd -F -j` reads the block on standard
input and writes one row per record.  A task fails, and with it the job,
when scrubd exits with a non-zero status or returns another number of
rows than it was given: a failure is never written as an empty or short
part.  Parts are written as OUT/<file stem>-<block>.jsonl (first to a
temporary name, then renamed).  A second pass, on the workers too, checks
every output row against its input row: same members, same values but
for the text, and error rows only where the input row was not a record.

Paths may be fsspec URLs (s3://, hdfs://, ...) when the filesystem
library is installed; scrubd and its configuration must be installed on
every worker (the scrubd Debian package puts them in /usr/sbin and
/etc/scrubd).
"""
import argparse
import json
import os
import subprocess
import sys

import dask
import fsspec
from dask.bytes import read_bytes
from distributed import Client


def rows(data):
    """The records of a block of JSON Lines, without their newlines."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def clean_block(data, scrubd, conf):
    """Run scrubd -F -j over one block; the cleaned block, or raise."""
    p = subprocess.run([scrubd, "-c", conf, "-F", "-j"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f"scrubd exited with status {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[-2000:]}")
    n_in, n_out = len(rows(data)), len(rows(p.stdout))
    if n_in != n_out:
        raise RuntimeError(f"scrubd returned {n_out} rows for {n_in}")
    return p.stdout


def write_part(data, url):
    """Write one cleaned block: a temporary name first, then the real one."""
    fs, path = fsspec.core.url_to_fs(url)
    with fs.open(path + ".tmp", "wb") as f:
        f.write(data)
    fs.mv(path + ".tmp", path)
    return len(data)


def record(row):
    """The JSON object of a row, or None if the row is not one."""
    try:
        obj = json.loads(row)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def check_row(i, src, out, field):
    """What is wrong with output row out for input row src, or None."""
    a, b = record(src), record(out)
    if b is None:
        return f"row {i}: output is not a JSON object"
    if a is None or not isinstance(a.get(field), str):
        if set(b) - {"error", "line", "id"} or "error" not in b:
            return f"row {i}: a bad input row must give an error row"
        return None
    if "error" in b and "error" not in a:
        return f"row {i}: error row {b['error']!r} for a record"
    if list(a) != list(b) or not isinstance(b[field], str):
        return f"row {i}: members differ"
    if any(a[k] != b[k] for k in a if k != field):
        return f"row {i}: a member other than {field!r} changed"
    return None


def check_block(data, cleaned, field):
    """Check a block record by record; returns (rows, changed, errors,
    problems)."""
    src, out = rows(data), rows(cleaned)
    changed = errors = 0
    problems = []
    for i, (a, b) in enumerate(zip(src, out), 1):
        why = check_row(i, a, b, field)
        if why is not None:
            problems.append(why)
        elif b.startswith(b'{"error"'):
            errors += 1
        elif a != b:
            changed += 1
    if len(src) != len(out):
        problems.append(f"{len(out)} rows for {len(src)}")
    return len(src), changed, errors, problems[:5]


def stem(url):
    """A file's name without its directory and last extension."""
    return os.path.splitext(os.path.basename(url))[0]


def build(args):
    """The task graph: per block, clean, write, check."""
    _, blocks, paths = read_bytes(args.input, delimiter=b"\n",
                                  blocksize=args.blocksize, sample=False,
                                  include_path=True)
    writes, checks = [], []
    for path, file_blocks in zip(paths, blocks):
        for k, block in enumerate(file_blocks):
            cleaned = dask.delayed(clean_block, pure=True)(
                block, args.scrubd, args.conf)
            url = f"{args.output.rstrip('/')}/{stem(path)}-{k:05d}.jsonl"
            writes.append(dask.delayed(write_part)(cleaned, url))
            checks.append(dask.delayed(check_block)(block, cleaned,
                                                    args.field))
    return writes, checks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scheduler", required=True, help="tcp://HOST:PORT")
    ap.add_argument("--workers", type=int, default=1,
                    help="wait for this many workers before starting")
    ap.add_argument("--scrubd", default="/usr/sbin/scrubd")
    ap.add_argument("--conf", default="/etc/scrubd/scrubd.conf")
    ap.add_argument("--field", default="text",
                    help="the text field ([jsonl] text_field)")
    ap.add_argument("--blocksize", default=None,
                    help="cut files into blocks of about this size")
    ap.add_argument("input", help="input files: a glob, or a list")
    ap.add_argument("output", help="output directory")
    args = ap.parse_args()

    with Client(args.scheduler) as client:
        client.wait_for_workers(args.workers, timeout=120)
        fs, out = fsspec.core.url_to_fs(args.output)
        fs.makedirs(out, exist_ok=True)
        writes, checks = build(args)
        try:
            written, stats = dask.compute(writes, checks)
        except RuntimeError as e:
            print(f"clean.py: a task failed: {e}", file=sys.stderr)
            return 1
    n = sum(s[0] for s in stats)
    problems = [p for s in stats for p in s[3]]
    print(f"clean.py: {len(written)} blocks, {n} records, "
          f"{sum(s[1] for s in stats)} changed, "
          f"{sum(s[2] for s in stats)} error rows, "
          f"{sum(written)} bytes written, {len(problems)} problems")
    for p in problems[:20]:
        print(f"clean.py: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
