#!/usr/bin/env bash
# Build the fuzzers' seed corpora from the corpus in tests/corpus: DIR/engine,
# DIR/config, DIR/jsonl, DIR/session and DIR/prefilter.
# usage: tests/fuzz/seeds.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out/engine" "$out/config" "$out/jsonl" "$out/session" \
    "$out/prefilter"
# Write each argument (0-255) as one byte.
bytes() { for b; do printf "\\x$(printf %02x "$b")"; done; }
n=0
for f in tests/corpus/*/*.in.txt; do
	n=$((n + 1))
	set=$(basename "$(dirname "$f")")
	head -c 4096 "$f" > "$out/engine/$set-$(basename "$f")"
	# session: six parameter bytes (chunking, high water, max_document,
	# rules), then the document.
	{ bytes $((n % 256)) $((n * 7 % 256)) $((n % 4)) $((n * 13 % 256)) \
	    $((n * 29 % 256)) $((n % 3));
	  head -c 65536 "$f"; } > "$out/session/$set-$(basename "$f")"
	# prefilter: bytes that choose rules from the grammar, then document
	# bytes (each a token, see fuzz_prefilter.c).
	{ bytes $((n % 256)) $((n * 3 % 256)) $((n % 2)) $((n * 5 % 256)) \
	    $((n * 11 % 256)) $((n * 17 % 256)) $((n * 23 % 256)) \
	    $((n * 31 % 256));
	  head -c 512 "$f"; } > "$out/prefilter/$set-$(basename "$f")"
done
[ "$n" -ge 80 ] || { echo "seeds.sh: tests/corpus is missing" >&2; exit 1; }
cp conf/scrubd.conf tests/fuzz/*.conf "$out/config/"
python3 - "$out/jsonl" <<'PY'
import glob, json, sys
for i, f in enumerate(sorted(glob.glob("tests/corpus/dev*/*.in.txt"))[:40]):
    text = open(f, "rb").read()[:2048].decode("utf-8", "replace")
    row = json.dumps({"id": i, "text": text, "meta": {"src": f}}, ensure_ascii=i % 2 == 0)
    open(f"{sys.argv[1]}/{i:03d}.jsonl", "w").write(row + "\n" + row[:40] + "\n")
PY
