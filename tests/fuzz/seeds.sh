#!/usr/bin/env bash
# Build the fuzzers' seed corpora from the corpus in tests/corpus: DIR/engine,
# DIR/config, DIR/jsonl, DIR/jsonl_diff, DIR/session, DIR/prefilter and
# DIR/transcode (the corpus converted to GB18030, GBK and UTF-16, invalid
# bytes kept as they are).  usage: tests/fuzz/seeds.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out/engine" "$out/config" "$out/jsonl" "$out/session" \
    "$out/transcode" "$out/jsonl_diff" "$out/prefilter"
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
# The differential target: corpus rows, then the hard cases of JSON itself.
cp "$out"/jsonl/0[0-3]?.jsonl "$out/jsonl_diff/"
python3 - "$out/jsonl_diff" <<'PY'
import sys
d = sys.argv[1]
deep = lambda n, inner: '{"text":"x","d":' + "[" * n + inner + "]" * n + "}"
cases = {
    "dup-text": '{"text":"a##paidend##","te\\u0078t":"QQb","text":"c"}',
    "not-string": '{"id":{"k":[1]},"text":"a","text":null}',
    "numbers": '{"x":1e400,"y":-0.0e-999,"z":' + "9" * 400 + ',"text":"t"}',
    "escapes": '{"text":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001F\\ud83d\\ude00QQ"}',
    "surrogates": '{"text":"\\ud800"}\n{"text":"\\udc00"}\n{"text":"\\ud800\\u0041"}',
    "crlf-space": ' {"text":"a##paidbegin##"} \r\n\t{"text":"b"}\r\n\r\n',
    "literals": '{"a":[true,false,null,{}],"text":"","b":tru}\n[1,2]\n"s"\n5',
    "deep-2046": deep(2046, "1"),
    "deep-2047": deep(2047, ""),
    "deep-2048": deep(2048, ""),
    "keys": '{"t\\u0065xt":"QQ","i\\u0064":7}\n{"id":1}\n{"\\u0000":1,"text":"a"}',
}
for name, text in cases.items():
    open(f"{d}/{name}.jsonl", "w").write(text + "\n")
open(f"{d}/bytes.jsonl", "wb").write(
    b'{"text":"a\xff"}\n{"te\x00xt":"a"}\n{"text":"\xe4\xb8"}\n{"k\xc0\x80":1}\n'
    b'{"text":"\xed\xa0\x80"}\n\r\n{"text":"x"}\x00\n{"text":"\xf4\x90\x80\x80"}')
PY
