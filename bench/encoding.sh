#!/usr/bin/env bash
# make bench, encodings: one-shot throughput of the same text in UTF-8,
# GB18030 and UTF-16, medians of RUNS runs, every output checked first.
# usage: bench/encoding.sh BUILD_DIR
#
# The input: the dev/ corpus joined with "\n", repeated to 100 MiB, and
# that text converted to GB18030 and to UTF-16LE with a byte order mark
# (Python's codecs; invalid bytes kept, see tests/test_encoding.py).  MB/s
# are of each input as given (GB18030 is a third smaller than UTF-8 for
# Chinese text, so the same text in less time is fewer MB/s); "same text"
# compares the time to clean the one text.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/scrubd-bench-enc.XXXXXX)
trap 'rm -rf "$W"' EXIT

python3 bench/corpus.py "$W" 100
mv "$W/big.in" "$W/utf8.in"
mv "$W/big.exp" "$W/utf8.exp"
python3 - "$W" <<'PY'
import sys
w = sys.argv[1]
docs = {"utf8": tuple(open(f"{w}/utf8.{x}", "rb").read() for x in ("in", "exp"))}
for name, codec, err, bom in (("gb18030", "gb18030", "surrogateescape", ""),
                              ("utf16", "utf-16-le", "surrogatepass", "\ufeff")):
    docs[name] = tuple((bom + d.decode("utf-8", "surrogateescape")).encode(codec, err)
                       for d in docs["utf8"])
docs["gb18030-u8"] = (docs["gb18030"][0], docs["utf8"][1])
for name, (i, x) in docs.items():
    if name == "utf8":
        continue        # written by bench/corpus.py
    open(f"{w}/{name}.in", "wb").write(i)
    open(f"{w}/{name}.exp", "wb").write(x)
PY

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# Check the output of "$@" on $W/$1.in against $W/$1.exp, then print the
# median seconds of RUNS runs writing to /dev/null.
time_on() {
	local name=$1
	shift
	"$@" < "$W/$name.in" | cmp -s - "$W/$name.exp" ||
	    { echo "WRONG OUTPUT: $name: $*" >&2; exit 1; }
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" < "$W/$name.in" > /dev/null
		t1=$(date +%s%N)
		echo "$(( t1 - t0 ))"
	done | median
}
mbs() { python3 -c "print('%.0f' % ($(stat -c %s "$W/$1.in") * 1e3 / $2))"; }
div() { python3 -c "print('%.2f' % ($1 / $2))"; }

S="$B/scrubd -c conf/scrubd.conf -F"
t_u8=$(time_on utf8 $S)
t_gb=$(time_on gb18030 $S --encoding gb18030)
t_auto=$(time_on gb18030 $S --encoding auto)
t_gbu8=$(time_on gb18030-u8 $S --encoding gb18030 --output-encoding utf-8)
t_u16=$(time_on utf16 $S --encoding utf-16)
gbpipe() { iconv -f GB18030 -t UTF-8 | $S | iconv -f UTF-8 -t GB18030; }
t_pipe=""
if iconv -f GB18030 -t UTF-8 < "$W/gb18030.in" > /dev/null 2>&1; then
	t_pipe=$(time_on gb18030 gbpipe)
fi

echo "scrubd encodings: input $(python3 -c "print('%.0f' % ($(stat -c %s "$W/utf8.in") / 1e6))") MB of UTF-8 (corpus dev/ joined), $(python3 -c "print('%.0f' % ($(stat -c %s "$W/gb18030.in") / 1e6))") MB as GB18030; medians of $RUNS"
printf '\n%-50s %10s %10s %8s %s\n' "measure" "scrubd" "peer" "ratio" "target"
printf '%-50s %10s %10s %8s %s\n' "one-shot UTF-8, MB/s" "$(mbs utf8 "$t_u8")" "" "" ""
printf '%-50s %10s %10s %8s %s\n' "one-shot GB18030, MB/s (peer: UTF-8)" "$(mbs gb18030 "$t_gb")" "$(mbs utf8 "$t_u8")" "$(div "$(mbs gb18030 "$t_gb")" "$(mbs utf8 "$t_u8")")" ">= 0.5"
printf '%-50s %10s %10s %8s %s\n' "  same text: UTF-8 time / GB18030 time" "" "" "$(div "$t_u8" "$t_gb")" ">= 0.5"
printf '%-50s %10s %10s %8s %s\n' "one-shot GB18030, auto, MB/s (peer: given)" "$(mbs gb18030 "$t_auto")" "$(mbs gb18030 "$t_gb")" "$(div "$t_gb" "$t_auto")" ""
printf '%-50s %10s %10s %8s %s\n' "one-shot GB18030 to UTF-8, MB/s (peer: GB18030)" "$(mbs gb18030 "$t_gbu8")" "$(mbs gb18030 "$t_gb")" "$(div "$t_gb" "$t_gbu8")" ""
printf '%-50s %10s %10s %8s %s\n' "one-shot UTF-16, MB/s (peer: UTF-8)" "$(mbs utf16 "$t_u16")" "$(mbs utf8 "$t_u8")" "$(div "$(mbs utf16 "$t_u16")" "$(mbs utf8 "$t_u8")")" ""
if [ -n "$t_pipe" ]; then
	printf '%-50s %10s %10s %8s %s\n' "GB18030, MB/s (peer: iconv | scrubd | iconv)" "$(mbs gb18030 "$t_gb")" "$(mbs gb18030 "$t_pipe")" "$(div "$t_pipe" "$t_gb")x" ""
fi
