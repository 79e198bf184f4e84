#!/usr/bin/env bash
# Build the fuzzers' seed corpora from the corpus in tests/corpus: DIR/engine,
# DIR/config, DIR/jsonl, DIR/session and DIR/transcode (the corpus converted
# to GB18030, GBK and UTF-16, invalid bytes kept as they are).
# usage: tests/fuzz/seeds.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out/engine" "$out/config" "$out/jsonl" "$out/session" \
    "$out/transcode"
n=0
for f in tests/corpus/*/*.in.txt; do
	n=$((n + 1))
	set=$(basename "$(dirname "$f")")
	head -c 4096 "$f" > "$out/engine/$set-$(basename "$f")"
	# session: six parameter bytes (chunking, high water, max_document,
	# rules), then the document.
	{ printf "$(printf '\\x%02x' $((n % 256)) $((n * 7 % 256)) \
	    $((n % 4)) $((n * 13 % 256)) $((n * 29 % 256)) $((n % 3)))";
	  head -c 65536 "$f"; } > "$out/session/$set-$(basename "$f")"
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
python3 - "$out/transcode" <<'PY'
import glob, sys
for i, f in enumerate(sorted(glob.glob("tests/corpus/*/*.in.txt"))[::4]):
    text = open(f, "rb").read()[:3000].decode("utf-8", "surrogateescape")
    for enc, data in (("gb18030", text.encode("gb18030", "surrogateescape")),
                      ("gbk", text.encode("gbk", "surrogateescape")),
                      ("utf16le", ("\ufeff" + text).encode("utf-16-le", "surrogatepass")),
                      ("utf16be", text.encode("utf-16-be", "surrogatepass"))):
        open(f"{sys.argv[1]}/{i:03d}-{enc}", "wb").write(data[:4096])
PY
