#!/usr/bin/env bash
# make bench: every figure measured in this run, medians of RUNS runs.
# usage: bench/run.sh BUILD_DIR   (BUILD_DIR holds scrubd, bench/client, bench/echo)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-3}
SECS=${SECS:-3}
CORPUS=tests/corpus
W=$(mktemp -d /tmp/scrubd-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
NCPU=$(nproc)

# The input: dev/ inputs joined with "\n", repeated to at least 500 MiB;
# the expected output is the expected files joined the same way.
python3 - "$CORPUS" "$W" <<'PY'
import glob, sys
corpus, w = sys.argv[1:]
ins = sorted(glob.glob(corpus + "/dev/*.in.txt"))
a = b"\n".join(open(f, "rb").read() for f in ins)
e = b"\n".join(open(f.replace(".in.", ".expected."), "rb").read() for f in ins)
n = (500 << 20) // len(a) + 1
open(w + "/big.in", "wb").write(b"\n".join([a] * n))
open(w + "/big.exp", "wb").write(b"\n".join([e] * n))
PY
cp "$CORPUS/dev/000.in.txt" "$W/doc8k.in"
SIZE=$(stat -c %s "$W/big.in")
MB=$(python3 -c "print($SIZE/1e6)")

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
rate() { python3 -c "print('%.0f' % ($1/$2))"; }
ratio() { python3 -c "print('%.1f' % ($1/$2))"; }

# Check a command's output once, then time it RUNS times on big.in with
# its output to /dev/null; print the median seconds.
time_cmd() {
	"$@" < "$W/big.in" | cmp -s - "$W/big.exp" || { echo "WRONG OUTPUT: $*" >&2; exit 1; }
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" < "$W/big.in" > /dev/null
		t1=$(date +%s%N)
		python3 -c "print(($t1 - $t0) / 1e9)"
	done | median
}

# Start a server on $W/$1.sock, wait for it; its pid goes to SERVER.
start_server() {
	rm -f "$W/$1.sock"
	shift_name=$1; shift
	"$@" 2>>"$W/server.log" &
	SERVER=$!
	for _ in $(seq 200); do [ -S "$W/$shift_name.sock" ] && return; sleep 0.05; done
	echo "server did not start: $*" >&2; exit 1
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }
conf_with() {
	cp conf/watermark.patterns "$W/"
	{ cat conf/scrubd.conf; printf '\n[daemon]\n%s\n' "$1"; } > "$W/scrubd.conf"
}

echo "scrubd benchmark: $(nproc) CPU(s), $(uname -m), input $(python3 -c "print('%.0f' % $MB)") MB (corpus dev/ joined), medians of $RUNS"

# 1. One-shot throughput against the perl peer.
t_one=$(time_cmd "$B/scrubd" -c conf/scrubd.conf -F)
t_perl=$(time_cmd perl bench/peer.pl)

# 2. Daemon bulk throughput against the echo server, one worker.
conf_with "workers = 1"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
socat -t 60 - UNIX-CONNECT:"$W/scrubd.sock" < "$W/big.in" | cmp -s - "$W/big.exp" || { echo "daemon output wrong" >&2; exit 1; }
t_d=$(for _ in $(seq "$RUNS"); do "$B/bench/client" stream "$W/scrubd.sock" "$W/big.in" 1 | awk '{print $3}'; done | median)
lat_s=()
for c in 1 16 256; do lat_s+=("$("$B/bench/client" latency "$W/scrubd.sock" "$W/doc8k.in" $c "$SECS")"); done
stop_server
start_server echo "$B/bench/echo" "$W/echo.sock"
t_e=$(for _ in $(seq "$RUNS"); do "$B/bench/client" stream "$W/echo.sock" "$W/big.in" 1 | awk '{print $3}'; done | median)
lat_e=()
for c in 1 16 256; do lat_e+=("$("$B/bench/client" latency "$W/echo.sock" "$W/doc8k.in" $c "$SECS")"); done
stop_server

# 3. Memory: peak RSS streaming a 1 GB document; RSS with 1000 idle clients.
conf_with "workers = 1"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
reps=$(( (1000000000 + SIZE - 1) / SIZE ))
"$B/bench/client" stream "$W/scrubd.sock" "$W/big.in" "$reps" > /dev/null
hwm=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
stop_server
conf_with "workers = $NCPU"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
rss0=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
mkfifo "$W/hold"
"$B/bench/client" idle "$W/scrubd.sock" 1000 < "$W/hold" > "$W/idle.out" &
IDLE=$!
exec 9> "$W/hold"
for _ in $(seq 200); do grep -q ready "$W/idle.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.5
rss1=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
exec 9>&-
wait "$IDLE"

# 4. Scaling: 8 KB documents/s at 16 clients, workers = 1 and = CPUs.
scale_n=$("$B/bench/client" latency "$W/scrubd.sock" "$W/doc8k.in" 16 "$SECS" | awk '{print $2}')
stop_server
conf_with "workers = 1"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
scale_1=$("$B/bench/client" latency "$W/scrubd.sock" "$W/doc8k.in" 16 "$SECS" | awk '{print $2}')
stop_server

f() { echo "$1" | awk -v k="$2" '{print $k}'; }
printf '\n%-44s %14s %14s %10s %s\n' "measure" "scrubd" "peer" "ratio" "target"
printf '%-44s %14s %14s %10s %s\n' "one-shot throughput, MB/s (peer: perl)" "$(rate "$MB" "$t_one")" "$(rate "$MB" "$t_perl")" "$(ratio "$t_perl" "$t_one")x" ">= 15x"
printf '%-44s %14s %14s %10s %s\n' "daemon bulk, 1 worker, MB/s (peer: echo)" "$(rate "$MB" "$t_d")" "$(rate "$MB" "$t_e")" "$(python3 -c "print('%.2f' % ($t_e/$t_d))")" ">= 0.6"
i=0
for c in 1 16 256; do
	printf '%-44s %14s %14s %10s %s\n' "8 KB docs/s at $c client(s) (peer: echo)" "$(f "${lat_s[$i]}" 2)" "$(f "${lat_e[$i]}" 2)" "$(python3 -c "print('%.2f' % ($(f "${lat_s[$i]}" 2)/$(f "${lat_e[$i]}" 2)))")" ""
	printf '%-44s %14s %14s %10s %s\n' "  p50 / p99 ms at $c client(s)" "$(f "${lat_s[$i]}" 3) / $(f "${lat_s[$i]}" 4)" "$(f "${lat_e[$i]}" 3) / $(f "${lat_e[$i]}" 4)" "$(python3 -c "print('%.2f' % ($(f "${lat_s[$i]}" 4)/$(f "${lat_e[$i]}" 4)))")" "$([ $c = 16 ] && echo 'p99 <= 2x' || true)"
	i=$((i + 1))
done
printf '%-44s %14s %14s %10s %s\n' "daemon peak RSS, 1 GB document, MiB" "$(python3 -c "print('%.1f' % ($hwm/1024))")" "" "" "<= 32"
printf '%-44s %14s %14s %10s %s\n' "daemon RSS, idle -> 1000 idle clients, MiB" "$(python3 -c "print('%.1f -> %.1f' % ($rss0/1024, $rss1/1024))")" "" "" ""
printf '%-44s %14s %14s %10s %s\n' "8 KB docs/s at 16 clients, workers 1 -> $NCPU" "$scale_1 -> $scale_n" "" "$(python3 -c "print('%.2f' % ($scale_n/$scale_1))")" ""
