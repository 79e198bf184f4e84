#!/usr/bin/env bash
# The prefilter's figures (issue 15), every one measured in this run,
# medians of RUNS runs, each beside its reference:
#
#  - default rules, one-shot, on ~100 MB of the dev corpus joined, against
#    a memchr+memcpy line copier (bench/linecopy) and against REF, the
#    scrubd to compare with (default: BUILD_DIR/scrubd with the prefilter
#    off, i.e. built with VECTORSCAN=no in BUILD_DIR/novs if it exists);
#  - the same rules plus one rule of 100,000 CJK phrases (4-11
#    characters, none in the corpus): -t time and peak RSS, one-shot
#    throughput against the default rules' own;
#  - a stream's set-up with that rule (engine_new + engine_free with the
#    worker's scratch space) and a worker's first document (its scratch
#    space made), from BUILD_DIR/rulecost.
#
# usage: bench/prefilter.sh BUILD_DIR   (BUILD_DIR holds scrubd, rulecost,
# bench/linecopy: make all BUILD_DIR/rulecost BUILD_DIR/bench/linecopy)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-5}
REF=${REF:-}
W=$(mktemp -d /tmp/scrubd-pfbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
if [ -z "$REF" ] && [ -x "$B/novs/scrubd" ]; then REF=$B/novs/scrubd; fi

# The input (dev/ joined with "\n", repeated to 100 MiB), its expected
# output, and 100,000 phrases that are nowhere in the corpus.
python3 - tests/corpus "$W" <<'PY'
import glob, random, sys
corpus, w = sys.argv[1:]
ins = sorted(glob.glob(corpus + "/dev/*.in.txt"))
a = b"\n".join(open(f, "rb").read() for f in ins)
e = b"\n".join(open(f.replace(".in.", ".expected."), "rb").read() for f in ins)
n = (100 << 20) // len(a) + 1
open(w + "/big.in", "wb").write(b"\n".join([a] * n))
open(w + "/big.exp", "wb").write(b"\n".join([e] * n))
text = "\n".join(open(f, encoding="utf-8", errors="replace").read()
                 for f in sorted(glob.glob(corpus + "/*/*.in.txt")))
grams = set(text[i:i + 4] for i in range(len(text) - 3))
rnd, out = random.Random(15), set()
while len(out) < 100000:
    s = "".join(chr(rnd.randint(0x4E00, 0x9FA5))
                for _ in range(rnd.randint(4, 11)))
    if s[:4] not in grams:
        out.add(s)
open(w + "/phrases.txt", "w", encoding="utf-8").write("\n".join(sorted(out)) + "\n")
PY
cp conf/watermark.patterns "$W/"
cp conf/scrubd.conf "$W/default.conf"
{ cat conf/scrubd.conf
  printf '\n[filter:phrases]\ntype = drop-line\nphrases_file = phrases.txt\n'
} > "$W/phrases.conf"
SIZE=$(stat -c %s "$W/big.in")

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# Median wall seconds of a command reading big.in, output to /dev/null,
# after checking its output once (want: the expected file, or - for none).
time_cmd() {
	want=$1; shift
	if [ "$want" != - ]; then
		"$@" < "$W/big.in" | cmp -s - "$want" || { echo "WRONG OUTPUT: $*" >&2; exit 1; }
	fi
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" < "$W/big.in" > /dev/null
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 ))e-6"
	done | median
}
mbs() { python3 -c "print('%.0f' % ($SIZE / 1e6 / $1))"; }
div() { python3 -c "print('%.2f' % ($1 / $2))"; }

echo "scrubd prefilter benchmark: $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg), input $((SIZE / 1000000)) MB, medians of $RUNS"
t_copy=$(time_cmd - "$B/bench/linecopy")
t_def=$(time_cmd "$W/big.exp" "$B/scrubd" -c "$W/default.conf" -F)
t_ref=
if [ -n "$REF" ]; then
	t_ref=$(time_cmd "$W/big.exp" "$REF" -c "$W/default.conf" -F)
fi
t_check=$(for _ in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	"$B/scrubd" -c "$W/phrases.conf" -t > /dev/null
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 ))e-6"
done | median)
rss_t=$(/usr/bin/time -f %M "$B/scrubd" -c "$W/phrases.conf" -t 2>&1 >/dev/null | tail -1)
t_phr_all=$(time_cmd "$W/big.exp" "$B/scrubd" -c "$W/phrases.conf" -F)
rss_f=$(/usr/bin/time -f %M "$B/scrubd" -c "$W/phrases.conf" -F < "$W/big.in" 2>&1 >/dev/null | tail -1)
# One-shot throughput of the phrase rules: the run less the load (-t).
t_phr=$(python3 -c "print(max($t_phr_all - $t_check, 1e-9))")
cost=$("$B/rulecost" -c "$W/phrases.conf" 200)

printf '\n%-52s %12s %12s %8s %s\n' measure scrubd reference ratio target
printf '%-52s %12s %12s %8s %s\n' "default rules, one-shot, MB/s (ref: linecopy)" \
    "$(mbs "$t_def")" "$(mbs "$t_copy")" "$(div "$t_copy" "$t_def")" ">= 0.7"
if [ -n "$t_ref" ]; then
	printf '%-52s %12s %12s %8s %s\n' "default rules, one-shot, MB/s (ref: $(basename "$(dirname "$REF")")/scrubd)" \
	    "$(mbs "$t_def")" "$(mbs "$t_ref")" "$(div "$t_ref" "$t_def")x" ">= 1.4x"
fi
printf '%-52s %12s %12s %8s %s\n' "100,000 phrases: -t, s" "$(python3 -c "print('%.2f' % $t_check)")" "" "" "<= 3"
printf '%-52s %12s %12s %8s %s\n' "100,000 phrases: peak RSS of -t / -F, MiB" \
    "$((rss_t / 1024)) / $((rss_f / 1024))" "" "" "<= 256"
printf '%-52s %12s %12s %8s %s\n' "100,000 phrases: one-shot, MB/s (ref: default rules)" \
    "$(mbs "$t_phr")" "$(mbs "$t_def")" "$(div "$t_def" "$t_phr")" ">= 0.5"
printf '%-52s %12s\n' "100,000 phrases: engine_new+engine_free, us" \
    "$(echo "$cost" | sed -n 's/.*engine_new+engine_free \([0-9.]*\) us.*/\1/p')"
printf '%-52s %12s\n' "100,000 phrases: a worker's first document, us" \
    "$(echo "$cost" | sed -n 's/.*new scratch space \([0-9.]*\) us.*/\1/p')"
