#!/usr/bin/env bash
# A Dask cluster on this machine, started the way a multi-machine one is,
# then clean.py on it:
#
#   examples/dask/cluster.sh [-w WORKERS] [-s SCRUBD] [-c CONF] \
#       [-b BLOCKSIZE] 'docs/*.jsonl' clean/
#
# On real machines the same three commands run on different hosts:
#
#   scheduler$ dask scheduler --port 8786
#   worker$    dask worker tcp://scheduler:8786 --nworkers 1 --nthreads 2
#   anywhere$  clean.py --scheduler tcp://scheduler:8786 'docs/*.jsonl' out/
#
# with the documents on storage every worker reads (NFS, S3, HDFS) and
# scrubd installed on every worker.  Here the scheduler listens on a free
# loopback port, WORKERS (2) worker processes of one thread each join it
# as `dask worker tcp://127.0.0.1:PORT`, and everything started is
# stopped when clean.py ends.  Exits with clean.py's status.
set -euo pipefail

workers=2
scrubd=/usr/sbin/scrubd
conf=/etc/scrubd/scrubd.conf
blocksize=
while getopts w:s:c:b: opt; do
	case $opt in
	w) workers=$OPTARG ;;
	s) scrubd=$OPTARG ;;
	c) conf=$OPTARG ;;
	b) blocksize=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { echo "usage: $0 [-w N] [-s SCRUBD] [-c CONF]" \
    "[-b BLOCKSIZE] INPUT_GLOB OUTPUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/scrubd-dask.XXXXXX")
pids=()

# Stop what this script started, by process id, and remove its files.
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

dask scheduler --host 127.0.0.1 --port 0 --no-dashboard --no-show \
    --dashboard-address 127.0.0.1:0 \
    --scheduler-file "$work/scheduler.json" > "$work/scheduler.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
	[ -s "$work/scheduler.json" ] && break
	kill -0 "${pids[0]}" 2> /dev/null ||
	    { cat "$work/scheduler.log" >&2; exit 1; }
	sleep 0.1
done
address=$("$python" -c 'import json, sys
print(json.load(open(sys.argv[1]))["address"])' "$work/scheduler.json")
echo "cluster.sh: scheduler at $address, starting $workers worker(s)"
for i in $(seq "$workers"); do
	dask worker "$address" --host 127.0.0.1 --name "worker-$i" \
	    --nworkers 1 --nthreads 1 \
	    --no-dashboard --dashboard-address 127.0.0.1:0 \
	    --local-directory "$work/worker-$i" \
	    > "$work/worker-$i.log" 2>&1 &
	pids+=($!)
done
rc=0
args=(--scheduler "$address" --workers "$workers" --scrubd "$scrubd"
    --conf "$conf")
[ -z "$blocksize" ] || args+=(--blocksize "$blocksize")
"$python" "$here/clean.py" "${args[@]}" "$1" "$2" || rc=$?
if [ "$rc" -ne 0 ]; then
	for f in "$work"/*.log; do
		echo "== $f" >&2
		tail -n 20 "$f" | cut -c 1-300 >&2
	done
fi
exit "$rc"
