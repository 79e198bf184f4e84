"""Shared fixtures: where the binaries, the config and the corpus are."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / os.environ.get("SCRUBD_BUILD", "build")
CONF = ROOT / "conf" / "scrubd.conf"
# The corpus lives in the repository (copied from the shared corpus), so a
# plain clone tests itself; a missing set is an error, never a silent skip.
CORPUS = ROOT / "tests" / "corpus"
SETS = ("seeds", "dev", "dev-hard")
SET_SIZES = {"seeds": 5, "dev": 40, "dev-hard": 40}

# Sanitizer reports fail the run: a leak or UB makes the exit code non-zero.
os.environ.setdefault(
    "ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=99")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")


def corpus_cases():
    """Every (input, expected) pair of the shared corpus."""
    cases = []
    for name in SETS:
        found = sorted((CORPUS / name).glob("*.in.txt"))
        if len(found) != SET_SIZES[name]:
            raise RuntimeError(f"corpus set {CORPUS / name}: expected "
                               f"{SET_SIZES[name]} documents, found "
                               f"{len(found)}")
        for src in found:
            want = src.with_name(src.name.replace(".in.txt", ".expected.txt"))
            if not want.exists():
                raise RuntimeError(f"{want} missing")
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
