#!/usr/bin/env bash
# make bench: one table, every figure measured in this run against the real
# limits (a memchr+memcpy line copier for the engine, a plain blocking echo
# server for the socket, short perl and python scripts for what users would
# write instead).  Medians of RUNS runs; outputs checked before timing.
# usage: bench/run.sh BUILD_DIR   (scrubd, scrubc, bench/{client,echo,linecopy})
# BASE=DIR, a built checkout of an older scrubd (DIR/build/scrubd and
# DIR/conf/scrubd.conf), adds "before" rows: one-shot, daemon bulk, p99.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-3}
SECS=${SECS:-3}
MIB=${BENCH_MIB:-100}
BASE=${BASE:-}
export RUNS SECS BASE
W=$(mktemp -d /tmp/scrubd-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT

# The input: the dev/ corpus joined and repeated to MIB MiB (bench/corpus.py).
python3 bench/corpus.py "$W" "$MIB"
cp tests/corpus/dev/000.in.txt "$W/doc8k.in"
SIZE=$(stat -c %s "$W/big.in")
MB=$(python3 -c "print($SIZE / 1e6)")

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
py() { python3 -c "print($1)"; }
row() { printf '%-50s %16s %16s %8s  %s\n' "$@"; }

# Start a server whose socket is $W/$1.sock; its pid goes to SERVER.
start_server() {
	local name=$1
	shift
	rm -f "$W/$name.sock"
	"$@" 2>>"$W/server.log" &
	SERVER=$!
	for _ in $(seq 400); do
		[ -S "$W/$name.sock" ] && return
		sleep 0.05
	done
	echo "server did not start: $*" >&2
	exit 1
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

# A configuration: the default rules, extra rules from a file, [daemon] keys.
conf_with() {
	cp conf/watermark.patterns "$W/"
	{ cat conf/scrubd.conf; [ -n "${2:-}" ] && cat "$2";
	  printf '\n[daemon]\n%s\n' "$1"; } > "$W/scrubd.conf"
}

# The older release's configuration, its own rules, workers = 1.
base_conf() {
	cp "$BASE"/conf/*.patterns "$W/" 2>/dev/null || true
	{ cat "$BASE/conf/scrubd.conf"; printf '\n[daemon]\nworkers = 1\n'; } \
	    > "$W/base.conf"
}

# Median seconds of RUNS streams of big.in through a socket (output checked),
# after one untimed stream (the worker's first document makes its scratch
# space and heap: one-shot's runs are as warm, from the page cache).
stream() {
	local sock=$1 want=$2
	"$B/bench/client" stream "$sock" "$W/big.in" 1 > /dev/null
	for _ in $(seq "$RUNS"); do
		out=$("$B/bench/client" stream "$sock" "$W/big.in" 1)
		[ "$(echo "$out" | awk '{print $2}')" = "$want" ] ||
		    { echo "short output from $sock: $out" >&2; exit 1; }
		echo "$out" | awk '{print $3}'
	done | median
}

echo "scrubd benchmark: $(nproc) CPU(s), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
echo "input $(py "'%.0f' % $MB") MB (tests/corpus/dev joined), medians of $RUNS, $(date -u +%F)"

# 1. One-shot against the perl peer, the line copier and BASE, in
# interleaved rounds (bench/rounds.py: every round runs each once, so that
# the VM's drift does not fall between a figure and its reference); wall
# times, medians; each ratio the median of the rounds' ratios.
check_out() {
	want=$1; shift
	"$@" < "$W/big.in" | cmp -s - "$want" ||
	    { echo "WRONG OUTPUT: $*" >&2; exit 1; }
}
# NAME INPUT CMD...: a command for bench/rounds.py.
argsfile() {
	name=$1 input=$2; shift 2
	printf '%s\n' "$input" "$@" > "$W/$name.args"
}
# One-shot fed by another process, as the daemon is by its client.
piped=(sh -c 'cat | "$0" -c conf/scrubd.conf -F' "$B/scrubd")
check_out "$W/big.exp" "$B/scrubd" -c conf/scrubd.conf -F
check_out "$W/big.exp" perl bench/peer.pl
check_out "$W/big.exp" "${piped[@]}"
check_out "$W/big.in" "$B/bench/linecopy"
argsfile one "$W/big.in" "$B/scrubd" -c conf/scrubd.conf -F
argsfile perl "$W/big.in" perl bench/peer.pl
argsfile pipe "$W/big.in" "${piped[@]}"
argsfile copy "$W/big.in" "$B/bench/linecopy"
names="one perl pipe copy"
if [ -n "$BASE" ]; then
	base_conf
	check_out "$W/big.exp" "$BASE/build/scrubd" -c "$W/base.conf" -F
	argsfile base "$W/big.in" "$BASE/build/scrubd" -c "$W/base.conf" -F
	names="$names base"
fi
# shellcheck disable=SC2086
python3 bench/rounds.py "$W" "$RUNS" $names
wall() { median < "$W/$1.wall"; }
ratio() { python3 bench/rounds.py --ratio "$W" "$1" "$2" wall; }
t_one=$(wall one) t_perl=$(wall perl) t_pipe=$(wall pipe) t_copy=$(wall copy)
r_perl=$(ratio perl one) r_copy=$(ratio copy one)
t_base="" r_base=""
if [ -n "$BASE" ]; then t_base=$(wall base) r_base=$(ratio base one); fi

# 2. The daemon's raw socket, one worker, against one-shot and the echo server.
conf_with "workers = 1"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
want=$(stat -c %s "$W/big.exp")
t_d=$(stream "$W/scrubd.sock" "$want")
strace -q -c -f -o "$W/strace.txt" -p "$SERVER" & ST=$!
sleep 0.5
"$B/bench/client" stream "$W/scrubd.sock" "$W/big.in" 1 > /dev/null
sleep 0.3
kill -INT "$ST"; wait "$ST" 2>/dev/null || true
calls=$(awk '/total$/ {print $4}' "$W/strace.txt")
lat_s=()
for c in 1 16 256; do
	lat_s+=("$("$B/bench/client" latency "$W/scrubd.sock" "$W/doc8k.in" $c "$SECS")")
done
stop_server
start_server echo "$B/bench/echo" "$W/echo.sock"
t_e=$(stream "$W/echo.sock" "$SIZE")
lat_e=()
for c in 1 16 256; do
	lat_e+=("$("$B/bench/client" latency "$W/echo.sock" "$W/doc8k.in" $c "$SECS")")
done
stop_server

if [ -n "$BASE" ]; then
	start_server base "$BASE/build/scrubd" -c "$W/base.conf" -s "$W/base.sock"
	t_db=$(stream "$W/base.sock" "$want")
	lat_b=$("$B/bench/client" latency "$W/base.sock" "$W/doc8k.in" 16 "$SECS")
	stop_server
fi

# 3. Memory: peak RSS of one 1 GB document; RSS with 1000 idle clients.
conf_with "workers = 1"
start_server scrubd "$B/scrubd" -c "$W/scrubd.conf" -s "$W/scrubd.sock"
reps=$(( (1000000000 + SIZE - 1) / SIZE ))
"$B/bench/client" stream "$W/scrubd.sock" "$W/big.in" "$reps" > /dev/null
hwm=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
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
stop_server

# 4. 10,000 rules: a scrape, a connection's set-up, serving during 40 SIGHUPs.
rules=$(python3 bench/rules.py "$B" "$W" 2>>"$W/server.log")

f() { echo "$1" | awk -v k="$2" '{print $k}'; }
echo
row "measure" "scrubd" "reference" "ratio" "target"
row "one-shot -F, MB/s (ref: perl peer)" "$(py "'%.0f' % ($MB/$t_one)")" \
    "$(py "'%.0f' % ($MB/$t_perl)")" "$(py "'%.1fx' % $r_perl")" ""
row "one-shot -F, MB/s (ref: memchr+memcpy copier)" "$(py "'%.0f' % ($MB/$t_one)")" \
    "$(py "'%.0f' % ($MB/$t_copy)")" "$(py "'%.2f' % $r_copy")" ">= 0.7"
row "daemon raw bulk, MB/s (ref: one-shot -F)" "$(py "'%.0f' % ($MB/$t_d)")" \
    "$(py "'%.0f' % ($MB/$t_one)")" "$(py "'%.2f' % ($t_one/$t_d)")" ">= 0.9"
row "daemon raw bulk, MB/s (ref: cat | scrubd -F)" "$(py "'%.0f' % ($MB/$t_d)")" \
    "$(py "'%.0f' % ($MB/$t_pipe)")" "$(py "'%.2f' % ($t_pipe/$t_d)")" ""
row "daemon raw bulk, MB/s (ref: blocking echo)" "$(py "'%.0f' % ($MB/$t_d)")" \
    "$(py "'%.0f' % ($MB/$t_e)")" "$(py "'%.2f' % ($t_e/$t_d)")" ""
if [ -n "$BASE" ]; then
	row "one-shot -F, MB/s (ref: BASE)" "$(py "'%.0f' % ($MB/$t_one)")" \
	    "$(py "'%.0f' % ($MB/$t_base)")" "$(py "'%.2fx' % $r_base")" ">= 1.4x"
	row "daemon raw bulk, MB/s (ref: BASE)" "$(py "'%.0f' % ($MB/$t_d)")" \
	    "$(py "'%.0f' % ($MB/$t_db)")" "$(py "'%.2fx' % ($t_db/$t_d)")" ""
fi
row "daemon system calls per 100 MB" "$(py "'%.0f' % ($calls * 100 / $MB)")" "" "" "<= 5000"
i=0
for c in 1 16 256; do
	row "8 KB docs/s at $c client(s) (ref: echo)" "$(f "${lat_s[$i]}" 2)" \
	    "$(f "${lat_e[$i]}" 2)" "$(py "'%.2f' % ($(f "${lat_s[$i]}" 2)/$(f "${lat_e[$i]}" 2))")" ""
	row "  p50 / p99 ms at $c client(s)" "$(f "${lat_s[$i]}" 3) / $(f "${lat_s[$i]}" 4)" \
	    "$(f "${lat_e[$i]}" 3) / $(f "${lat_e[$i]}" 4)" "" \
	    "$([ $c = 16 ] && echo 'p99 <= 1.26 (half the last release)' || true)"
	i=$((i + 1))
done
if [ -n "$BASE" ]; then
	row "  p50 / p99 ms at 16 clients, BASE" "" \
	    "$(f "$lat_b" 3) / $(f "$lat_b" 4)" \
	    "$(py "'%.2f' % ($(f "${lat_s[1]}" 4)/$(f "$lat_b" 4))")" "p99 <= 0.5 of BASE"
fi
[ -n "$BASE" ] && echo "BASE: $BASE ($(git -C "$BASE" log -1 --format='%h %ad' --date=short 2>/dev/null || echo '?'))"
row "daemon peak RSS, 1 GB raw document, MiB" "$(py "'%.1f' % ($hwm/1024)")" "" "" ""
row "daemon RSS, idle -> 1000 idle clients, MiB" "$(py "'%.1f -> %.1f' % ($rss0/1024, $rss1/1024)")" "" "" ""
echo "$rules"
for extra in jsonl prefilter encoding; do
	[ -x "bench/$extra.sh" ] && bash "bench/$extra.sh" "$B" "$W"
done
exit 0
