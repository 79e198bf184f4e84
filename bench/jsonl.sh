#!/usr/bin/env bash
# JSON Lines figures, every one measured in this run (medians of RUNS).
# usage: bench/jsonl.sh BUILD_DIR   (BUILD_DIR holds scrubd; bench/linecopy
# is built there if missing).  BASE=DIR, a built checkout of an older
# scrubd (see bench/run.sh), adds the "before" row; JSONL_MB sets the input size
# (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-3}
MB=${JSONL_MB:-200}
W=$(mktemp -d /tmp/scrubd-jsonl-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
[ -x "$B/bench/linecopy" ] || make -s BUILD="$B" "$B/bench/linecopy" >/dev/null

# The input: tests/corpus/dev/*.in.txt as {"id":...,"text":...} rows, written
# as python's json writes them (UTF-8, and \uXXXX for the second file),
# repeated to MB megabytes; two records of 16 and 64 MiB for the memory.
python3 - "$W" "$MB" <<'PY'
import glob, json, sys
w, mb = sys.argv[1], int(sys.argv[2])
docs = [(f.split("/")[-1], open(f, encoding="utf-8").read())
        for f in sorted(glob.glob("tests/corpus/dev/*.in.txt"))]
for name, ascii in (("u8", False), ("ascii", True)):
    block = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=ascii) + "\n"
                    for i, t in docs).encode()
    open(f"{w}/{name}.jsonl", "wb").write(block * (mb * 10**6 // len(block) + 1))
line = "这是一段正文，##paidend##用于测试内存。" + "x" * 60 + "\n"
for size in (16, 64):
    text = line * ((size << 20) // len(line.encode()))
    open(f"{w}/rec{size}.jsonl", "w").write(
        json.dumps({"id": 1, "text": text}, ensure_ascii=False) + "\n")
PY
{ printf '[jsonl]\nmax_record = 128M\n'; cat conf/scrubd.conf; } > "$W/big.conf"
cp conf/watermark.patterns "$W/"
SIZE=$(stat -c %s "$W/u8.jsonl")

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
rate() { python3 -c "print('%.0f' % ($SIZE / 1e6 / $1))"; }
ratio() { python3 -c "print('%.1fx' % ($1 / $2))"; }

# Median seconds of RUNS runs of a command reading $1, output discarded.
time_on() {
	local in=$1
	shift
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" < "$in" > /dev/null
		t1=$(date +%s%N)
		python3 -c "print(($t1 - $t0) / 1e9)"
	done | median
}

# Peak RSS in KiB of a command reading $1, from a small parent process
# (a child's ru_maxrss starts from its parent's peak).
peak_rss() {
	local in=$1
	shift
	python3 -c '
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
sys.exit(1) if status else print(ru.ru_maxrss)' "$@" < "$in"
}

S=("$B/scrubd" -c conf/scrubd.conf -F -j)
"${S[@]}" < "$W/u8.jsonl" > "$W/scrubd.out"
python3 bench/peer_jsonl.py < "$W/u8.jsonl" | cmp -s - "$W/scrubd.out" ||
    { echo "python peer and scrubd differ" >&2; exit 1; }
"$B/bench/linecopy" < "$W/u8.jsonl" | cmp -s - "$W/u8.jsonl" ||
    { echo "linecopy is not a copy" >&2; exit 1; }

t_s=$(time_on "$W/u8.jsonl" "${S[@]}")
t_a=$(time_on "$W/ascii.jsonl" "${S[@]}")
t_p=$(time_on "$W/u8.jsonl" python3 bench/peer_jsonl.py)
t_c=$(time_on "$W/u8.jsonl" "$B/bench/linecopy")
m16=$(peak_rss "$W/rec16.jsonl" "$B/scrubd" -c "$W/big.conf" -F -j)
m64=$(peak_rss "$W/rec64.jsonl" "$B/scrubd" -c "$W/big.conf" -F -j)

# Start a daemon with a JSON Lines socket at $W/j.sock; its pid in JPID.
start_jsonl() {
	rm -f "$W/j.sock" "$W/r.sock"
	"$B/scrubd" -c "$W/big.conf" -s "$W/r.sock" -J "$W/j.sock" 2>>"$W/log" &
	JPID=$!
	for _ in $(seq 400); do [ -S "$W/j.sock" ] && return; sleep 0.05; done
	echo "daemon did not start" >&2
	exit 1
}
stop_jsonl() { kill "$JPID"; wait "$JPID" 2>/dev/null || true; }

# The JSON Lines socket: the same rows (output size checked), one client.
want=$(stat -c %s "$W/scrubd.out")
start_jsonl
t_j=$(for _ in $(seq "$RUNS"); do
	out=$("$B/bench/client" stream "$W/j.sock" "$W/u8.jsonl" 1)
	[ "$(echo "$out" | awk '{print $2}')" = "$want" ] ||
	    { echo "short output from the JSON Lines socket: $out" >&2; exit 1; }
	echo "$out" | awk '{print $3}'
done | median)
stop_jsonl
# The daemon's peak RSS (VmHWM) for one record, a fresh daemon each.
daemon_rss() {
	start_jsonl
	"$B/bench/client" stream "$W/j.sock" "$1" 1 > /dev/null
	awk '/VmHWM/ {print $2}' "/proc/$JPID/status"
	stop_jsonl
}
d16=$(daemon_rss "$W/rec16.jsonl")
d64=$(daemon_rss "$W/rec64.jsonl")

echo "JSON Lines: $(nproc) CPU(s), $(uname -m), $(python3 -c "print('%.0f' % ($SIZE / 1e6))") MB of corpus dev/ rows, medians of $RUNS"
printf '%-46s %10s %12s %s\n' "measure" "MB/s" "ratio" "target"
printf '%-46s %10s %12s %s\n' "scrubd -F -j, UTF-8 rows" "$(rate "$t_s")" "" ""
printf '%-46s %10s %12s %s\n' "scrubd -F -j, \\uXXXX rows" "$(rate "$t_a")" "" ""
printf '%-46s %10s %12s %s\n' "python3 json+re peer (bench/peer_jsonl.py)" "$(rate "$t_p")" "$(ratio "$t_p" "$t_s")" ">= 8x"
printf '%-46s %10s %12s %s\n' "memchr+memcpy line copier (bench/linecopy)" "$(rate "$t_c")" "$(python3 -c "print('%.2f' % ($t_c / $t_s))")" "(of the copier)"
if [ -n "${BASE:-}" ]; then
	t_b=$(time_on "$W/u8.jsonl" "$BASE/build/scrubd" -c "$BASE/conf/scrubd.conf" -F -j)
	printf '%-46s %10s %12s %s\n' "scrubd -F -j of BASE" "$(rate "$t_b")" "$(ratio "$t_b" "$t_s")" ">= 15x"
fi
printf '%-46s %10s %12s %s\n' "daemon -J socket, 1 client (ref: -F -j)" "$(rate "$t_j")" "$(python3 -c "print('%.2f' % ($t_s / $t_j))")" ">= 0.8"
for x in "-F_-j 16 $m16" "-F_-j 64 $m64" "daemon_-J 16 $d16" "daemon_-J 64 $d64"; do
	set -- $x
	rec=$(stat -c %s "$W/rec$2.jsonl")
	printf '%-46s %10s %12s %s\n' "peak RSS ${1/_/ }, one $2 MiB record, MiB" "$(python3 -c "print('%.1f' % ($3 / 1024))")" "$(python3 -c "print('%.2fx' % ($3 * 1024 / $rec))")" "<= 3x + fixed"
done
