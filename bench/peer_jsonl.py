#!/usr/bin/env python3
"""The peer a user would write instead of `scrubd -F -j`: json + re doing
the cleaning of conf/scrubd.conf (tests/corpus/README.md), for bench/jsonl.sh.
Records in, records out; the text member cleaned, the rest re-encoded."""
import json
import re
import sys

HV = ("[\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029"
      "\u202f\u205f\u3000]")                       # PCRE2's [\h\v]
BLANK = re.compile("[ \t\x0b\x0c\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029"
                   "\u202f\u205f\u3000]*")         # a blank line
PAYWALL = re.compile("##paid(?:begin|end)##")
AD = re.compile(f"^{HV}*(?:[【\\[]{HV}*哒哒|欢迎加入{HV}*[\"'“”‘’「」『』《]?"
                f"{HV}*哒哒)")
B = "哒哒(?:素材库|代笔|君|唯一平台)?"
WATERMARK = re.compile(f"^{HV}*(?:（|\\(|——|-)?{HV}*(?:本文由|来源[：:]|{B}{HV}*"
                       f"[：:])?{HV}*{B}{HV}*(?:收集整理|整理)?{HV}*"
                       f"(?:）|\\)|——|-)?{HV}*$")
TOKEN = re.compile("哒哒君")


def clean(text):
    """The default rules over one document, line by line."""
    out, held, seen = [], None, False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        eol = "\n" if i < len(lines) - 1 else ""
        if eol and line.endswith("\r"):
            line, eol = line[:-1], "\r\n"
        if not eol and not line:
            break
        line, n = PAYWALL.subn("", line)
        if n and BLANK.fullmatch(line):
            continue
        if AD.search(line) or WATERMARK.search(line):
            continue
        line, n = TOKEN.subn("", line)
        if n and BLANK.fullmatch(line):
            continue
        if BLANK.fullmatch(line):       # squeeze runs, trim both ends
            if seen and held is None:
                held = line + eol
            continue
        if held is not None:
            out.append(held)
            held = None
        seen = True
        out.append(line + eol)
    return "".join(out)


def main():
    write = sys.stdout.buffer.write
    for row in sys.stdin.buffer:
        obj = json.loads(row)
        obj["text"] = clean(obj["text"])
        write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")


if __name__ == "__main__":
    main()
