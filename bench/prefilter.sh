#!/usr/bin/env bash
# The prefilter's figures (issue 15), every one measured in this run,
# each beside its reference: the one-shot runs in RUNS interleaved rounds
# (bench/rounds.py), medians, and each ratio the median of the rounds'
# ratios; -t is timed RUNS times in a row, by the same script.  Times are CPU time (user +
# system, from getrusage: steadier than wall time on a machine shared with
# other work); wall-clock figures follow in parentheses.
#
#  - default rules, one-shot, on ~100 MB of the dev corpus joined, against
#    a memchr+memcpy line copier (bench/linecopy) and against REF, the
#    scrubd to compare with (default: BASE's, with BASE's own rules, if
#    BASE is set as for bench/run.sh; else BUILD_DIR/novs/scrubd, built
#    with VECTORSCAN=no, if it exists: it has the scan of a few literals
#    too, so for the default rules it measures Vectorscan's library only);
#  - the same rules plus one rule of 100,000 CJK phrases (4-11
#    characters, none in the corpus): -t time and peak RSS, one-shot
#    throughput (whole runs, the set-up of about 0.05 s included, as the
#    default rules' own) against the default rules', and the cleaning
#    alone (the slope between runs on the input and on it five times);
#  - with that rule, a stream's set-up (engine_new + engine_free with the
#    worker's scratch space), a one-line document, and a worker's first
#    document (its scratch space made), from BUILD_DIR/rulecost.
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
REF_CONF=
if [ -z "$REF" ] && [ -n "${BASE:-}" ]; then
	REF=$BASE/build/scrubd
	REF_CONF=$BASE/conf/scrubd.conf
fi
if [ -z "$REF" ] && [ -x "$B/novs/scrubd" ]; then REF=$B/novs/scrubd; fi

# The input (dev/ joined with "\n", repeated to 100 MiB), its expected
# output, and 100,000 phrases that are nowhere in the corpus.
python3 bench/corpus.py "$W" 100
python3 - tests/corpus "$W" <<'EOF'
import glob, random, sys
corpus, w = sys.argv[1:]
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
EOF
cp conf/watermark.patterns "$W/"
cp conf/scrubd.conf "$W/default.conf"
{ cat conf/scrubd.conf
  printf '\n[filter:phrases]\ntype = drop-line\nphrases_file = phrases.txt\n'
} > "$W/phrases.conf"
SIZE=$(stat -c %s "$W/big.in")

# Check a command's output on big.in once (want: the expected file).
check() {
	want=$1; shift
	"$@" < "$W/big.in" | cmp -s - "$want" || { echo "WRONG OUTPUT: $*" >&2; exit 1; }
}
# A command for bench/rounds.py, $W/NAME.args: argsfile NAME INPUT CMD...
argsfile() {
	name=$1 input=$2; shift 2
	printf '%s\n' "$input" "$@" > "$W/$name.args"
}
# MB/s of big.in in $1 seconds.
mbs() { python3 -c "print('%.0f' % ($SIZE / 1e6 / $1))"; }
# A number with two decimals.
two_places() { python3 -c "print('%.2f' % $1)"; }
# "CPU (wall)" MB/s for seconds $1 and $2.
both() { echo "$(mbs "$1") ($(mbs "$2"))"; }

echo "scrubd prefilter benchmark: $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg), input $((SIZE / 1000000)) MB, medians of $RUNS rounds"
# Outputs checked once; then RUNS rounds of every one-shot run in turn
# (bench/rounds.py: each ratio is the median of the rounds' own).
check "$W/big.exp" "$B/scrubd" -c "$W/default.conf" -F
check "$W/big.exp" "$B/scrubd" -c "$W/phrases.conf" -F
argsfile copy "$W/big.in" "$B/bench/linecopy"
argsfile def "$W/big.in" "$B/scrubd" -c "$W/default.conf" -F
argsfile phr "$W/big.in" "$B/scrubd" -c "$W/phrases.conf" -F
for _ in 1 2 3 4 5; do cat "$W/big.in"; done > "$W/big5.in"
argsfile phr_x5 "$W/big5.in" "$B/scrubd" -c "$W/phrases.conf" -F
names="copy def phr phr_x5"
if [ -n "$REF" ]; then
	check "$W/big.exp" "$REF" -c "${REF_CONF:-$W/default.conf}" -F
	argsfile ref "$W/big.in" "$REF" -c "${REF_CONF:-$W/default.conf}" -F
	names="$names ref"
fi
# shellcheck disable=SC2086
python3 bench/rounds.py "$W" "$RUNS" $names
rm -f "$W/big5.in"
# The median seconds of NAME's rounds: median_of NAME cpu|wall.
median_of() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in open(sys.argv[1])))" "$W/$1.$2"; }
# The median of the rounds' ratios: ratio_of A B cpu|wall (A over B).
ratio_of() { python3 bench/rounds.py --ratio "$W" "$1" "$2" "$3"; }
t_copy=$(median_of copy cpu); w_copy=$(median_of copy wall)
t_def=$(median_of def cpu); w_def=$(median_of def wall)
t_phr=$(median_of phr cpu); w_phr=$(median_of phr wall)
argsfile check /dev/null "$B/scrubd" -c "$W/phrases.conf" -t
python3 bench/rounds.py "$W" "$RUNS" check
t_check=$(median_of check cpu); w_check=$(median_of check wall)
rss_t=$(/usr/bin/time -f %M "$B/scrubd" -c "$W/phrases.conf" -t 2>&1 >/dev/null | tail -1)
rss_f=$(/usr/bin/time -f %M "$B/scrubd" -c "$W/phrases.conf" -F < "$W/big.in" 2>&1 >/dev/null | tail -1)
cost=$("$B/rulecost" -c "$W/phrases.conf" 200)
field() { echo "$cost" | sed -n "s/.*$1 \\([0-9.]*\\) us.*/\\1/p"; }

printf '\n%-48s %14s %14s %12s %s\n' "measure (CPU time; wall time)" scrubd reference ratio target
printf '%-48s %14s %14s %12s %s\n' "default rules, one-shot, MB/s (ref: linecopy)" \
    "$(both "$t_def" "$w_def")" "$(both "$t_copy" "$w_copy")" \
    "$(two_places "$(ratio_of copy def cpu)") ($(two_places "$(ratio_of copy def wall)"))" ">= 0.7"
if [ -n "$REF" ]; then
	t_ref=$(median_of ref cpu); w_ref=$(median_of ref wall)
	printf '%-48s %14s %14s %12s %s\n' "default rules, one-shot, MB/s (ref: REF)" \
	    "$(both "$t_def" "$w_def")" "$(both "$t_ref" "$w_ref")" \
	    "$(two_places "$(ratio_of ref def cpu)")x ($(two_places "$(ratio_of ref def wall)")x)" ">= 1.4x"
fi
printf '%-48s %14s %14s %12s %s\n' "100,000 phrases: -t, s" \
    "$(python3 -c "print('%.2f (%.2f)' % ($t_check, $w_check))")" "" "" "<= 3"
printf '%-48s %14s %14s %12s %s\n' "100,000 phrases: peak RSS of -t / -F, MiB" \
    "$((rss_t / 1024)) / $((rss_f / 1024))" "" "" "<= 256"
printf '%-48s %14s %14s %12s %s\n' "100,000 phrases: one-shot, MB/s (ref: default)" \
    "$(both "$t_phr" "$w_phr")" "$(both "$t_def" "$w_def")" \
    "$(two_places "$(ratio_of def phr cpu)") ($(two_places "$(ratio_of def phr wall)"))" ">= 0.5"
t_clean=$(python3 bench/rounds.py --cleaning "$W" phr phr_x5 cpu)
w_clean=$(python3 bench/rounds.py --cleaning "$W" phr phr_x5 wall)
printf '%-48s %14s %14s %12s %s\n' "  its cleaning alone (set-up left out), MB/s" \
    "$(both "$t_clean" "$w_clean")" "$(both "$t_def" "$w_def")" \
    "$(two_places "$(python3 bench/rounds.py --slope "$W" def phr phr_x5 cpu)") ($(two_places "$(python3 bench/rounds.py --slope "$W" def phr phr_x5 wall)"))" ""
printf '%-48s %14s\n' "100,000 phrases: engine_new+engine_free, us" "$(field engine_new+engine_free)"
printf '%-48s %14s\n' "100,000 phrases: one-line document, us" "$(field 'one-line document')"
printf '%-48s %14s\n' "100,000 phrases: a worker's first document, us" "$(field 'new scratch space')"
if [ -n "$REF" ]; then echo "REF: $REF"; fi
