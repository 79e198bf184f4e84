"""The benchmarks' input: the tests/corpus/dev documents joined with "\\n"
and repeated to MIB MiB (big.in), and their expected files joined the same
way (big.exp).  usage: python3 bench/corpus.py DIR MIB"""
import glob
import sys


def write(w, mib, corpus="tests/corpus"):
    ins = sorted(glob.glob(corpus + "/dev/*.in.txt"))
    a = b"\n".join(open(f, "rb").read() for f in ins)
    e = b"\n".join(open(f.replace(".in.", ".expected."), "rb").read()
                   for f in ins)
    n = (mib << 20) // len(a) + 1
    open(w + "/big.in", "wb").write(b"\n".join([a] * n))
    open(w + "/big.exp", "wb").write(b"\n".join([e] * n))


if __name__ == "__main__":
    write(sys.argv[1], int(sys.argv[2]))
