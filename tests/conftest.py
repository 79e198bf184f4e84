"""Shared fixtures: where the binaries, the config and the corpus are."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / os.environ.get("SCRUBD_BUILD", "build")
CONF = ROOT / "conf" / "scrubd.conf"
CORPUS = ROOT.parent / "shared" / "corpus"
SETS = ("seeds", "dev", "dev-hard")

# Sanitizer reports fail the run: a leak or UB makes the exit code non-zero.
os.environ.setdefault(
    "ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=99")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")


def corpus_cases():
    """Every (input, expected) pair of the shared corpus."""
    cases = []
    for name in SETS:
        for src in sorted((CORPUS / name).glob("*.in.txt")):
            want = src.with_name(src.name.replace(".in.txt", ".expected.txt"))
            cases.append(pytest.param(src, want, id=f"{name}/{src.name}"))
    return cases


@pytest.fixture(scope="session")
def scrubd():
    """Path of the scrubd binary under test."""
    path = BUILD / "scrubd"
    assert path.exists(), f"{path} not built"
    return str(path)


@pytest.fixture(scope="session")
def chunkfeed():
    """Path of the chunked-feeding test driver."""
    path = BUILD / "chunkfeed"
    assert path.exists(), f"{path} not built"
    return str(path)


def run(args, data=b"", timeout=120):
    """Run a command with stdin data; return the CompletedProcess."""
    return subprocess.run(args, input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
