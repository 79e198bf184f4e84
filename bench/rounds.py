#!/usr/bin/env python3
"""Time commands in interleaved rounds: on a VM whose speed drifts from
minute to minute, a command timed RUNS times in a row and then another
timed RUNS times compares two different machines.  Here every round runs
each command once, one after the other, and a ratio is the median of the
rounds' ratios.

usage: rounds.py DIR RUNS NAME...
Each NAME has DIR/NAME.args: its standard input's path on the first line,
then the command, one argument a line.  Output goes to /dev/null.  Writes
DIR/NAME.cpu and DIR/NAME.wall: the CPU (user + system) and wall seconds
of each round, one a line.

usage: rounds.py --ratio DIR A B [cpu|wall]
Prints the median over the rounds of A's seconds over B's.

usage: rounds.py --cleaning DIR ONE FIVE [cpu|wall]
Prints the median over the rounds of ONE's cleaning time, (FIVE - ONE) / 4,
where FIVE ran on ONE's input five times over: its set-up left out.

usage: rounds.py --slope DIR REF ONE FIVE [cpu|wall]
Prints the median over the rounds of REF's seconds over ONE's cleaning
time.

The commands run in a different order each round (rotated by one), so
that none always follows another.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(args):
    """CPU and wall seconds of one run of args (stdin path, command...)."""
    src, cmd = args[0], args[1:]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(src, "rb") as i, open(os.devnull, "wb") as o:
        subprocess.run(cmd, stdin=i, stdout=o, check=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    return cpu, wall


def rounds(d, runs, names):
    """Run every named command once a round, runs rounds; write the times."""
    args = {}
    for n in names:
        with open(os.path.join(d, n + ".args")) as f:
            args[n] = f.read().splitlines()
    times = {n: ([], []) for n in names}
    for r in range(runs):
        for n in names[r % len(names):] + names[:r % len(names)]:
            cpu, wall = run_once(args[n])
            times[n][0].append(cpu)
            times[n][1].append(wall)
    for n in names:
        for kind, v in zip(("cpu", "wall"), times[n]):
            with open(os.path.join(d, n + "." + kind), "w") as f:
                f.write("".join("%f\n" % x for x in v))


def load(d, n, kind):
    """The seconds of each round of n."""
    with open(os.path.join(d, n + "." + kind)) as f:
        return [float(x) for x in f.read().split()]


def ratio(d, a, b, kind):
    """Median over the rounds of a's seconds over b's."""
    return statistics.median(x / y for x, y in zip(load(d, a, kind),
                                                   load(d, b, kind)))


def cleanings(d, one, five, kind):
    """One's cleaning time in each round: (five - one) / 4, at least 1 ns."""
    return [max((f - o) / 4, 1e-9) for o, f in
            zip(load(d, one, kind), load(d, five, kind))]


def slope(d, ref, one, five, kind):
    """Median over the rounds of ref's seconds over one's cleaning time."""
    return statistics.median(r / c for r, c in
                             zip(load(d, ref, kind),
                                 cleanings(d, one, five, kind)))


if __name__ == "__main__":
    if sys.argv[1] == "--ratio":
        print("%f" % ratio(sys.argv[2], sys.argv[3], sys.argv[4],
                           sys.argv[5] if len(sys.argv) > 5 else "cpu"))
    elif sys.argv[1] == "--cleaning":
        print("%f" % statistics.median(cleanings(
            sys.argv[2], sys.argv[3], sys.argv[4],
            sys.argv[5] if len(sys.argv) > 5 else "cpu")))
    elif sys.argv[1] == "--slope":
        print("%f" % slope(sys.argv[2], sys.argv[3], sys.argv[4],
                           sys.argv[5],
                           sys.argv[6] if len(sys.argv) > 6 else "cpu"))
    else:
        rounds(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
