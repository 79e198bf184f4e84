"""A seeded generator of dirty documents for the property tests.

Documents mix every shape the engine and the daemon treat differently:
runs of blank lines (ASCII, U+3000, NBSP), CRLF and bare LF endings, a
missing final newline, a byte order mark, NUL bytes and invalid UTF-8,
paywall markers anywhere (inside words, glued, split characters), ad,
watermark and brand-token lines, and lines whose length sits just below,
at and just above every buffer size in the code.
"""

KIB = 1024
MIB = 1024 * 1024

# Buffer sizes in the code: read sizes, reservations, the engine's and the
# rules' limits (max_line default 1M; blank and drop-block hold 1M), the
# session's shrink threshold (1M), output_high_water (4K in one variant).
BOUNDARIES = (4 * KIB, 64 * KIB, 128 * KIB, 256 * KIB, MIB)

PROSE = ("依法治理工作总结，坚持以人民为中心的发展思想。",
         "The committee met twice and agreed on the plan. ",
         "一是抓好决策制度建设。", "二、加强队伍建设，提升服务水平",
         "onomatopoeia: 哒哒哒 went the horse. ", "数据 123,456.78 元")
ADS = ("【哒哒素材库】——每天更新材料1000多篇", "[ 哒哒代笔 ] 专业代写",
       "　欢迎加入哒哒君大家庭", "欢迎加入“哒哒唯一平台”")
WATERMARKS = ("哒哒素材库", "本文由哒哒代笔整理", "（哒哒君）", "——哒哒唯一平台——",
              "来源：哒哒素材库", " 哒哒君 ")
KEPT = ("哒哒", "（哒哒）", "——哒哒", "来源：哒哒", "本文由哒哒整理",
        "含有哒哒素材库的句子。", "##paid", "#paidend#", "##PAID##")
BLANKS = ("", " ", "\t", "\u3000", "\u3000 \u3000", "\u00a0", "  \t  ")
MARKERS = ("##paidbegin##", "##paidend##")
BINARY = (b"\x00", b"\xff", b"\xfe\xfe", b"\xe5\x93", b"\x80", b"\r",
          b"\xef\xbb\xbf")


def _sizes(max_line):
    """Long-line lengths: around every boundary and around max_line."""
    out = []
    for b in BOUNDARIES + (max_line,):
        out += [b - 1, b, b + 1, b + 7]
    return out


def _insert(rnd, data, token, utf8):
    """Insert token at a random byte position (a character boundary if
    utf8, else anywhere, even inside a character)."""
    at = rnd.randint(0, len(data))
    if utf8:
        while at < len(data) and (data[at] & 0xC0) == 0x80:
            at += 1
    return data[:at] + token + data[at:]


def _marked(rnd, text, utf8):
    """Insert paywall markers and brand tokens at random positions."""
    data = text.encode()
    for _ in range(rnd.randint(0, 3)):
        data = _insert(rnd, data, rnd.choice(MARKERS + ("哒哒君",)).encode(),
                       utf8)
    return data


def _long_line(rnd, length, utf8):
    """A line of exactly length bytes (fewer to end on a character in
    UTF-8 mode), with markers somewhere inside."""
    unit = rnd.choice(PROSE).encode()
    body = (unit * (length // len(unit) + 2))[:length]
    if utf8:
        body = body.decode(errors="ignore").encode()
    for _ in range(rnd.randint(0, 4)):
        body = _insert(rnd, body, rnd.choice(MARKERS).encode(), utf8)
    return body


def _short_line(rnd, utf8):
    """One ordinary, noisy or blank line, without its ending."""
    kind = rnd.random()
    if kind < 0.25:
        return rnd.choice(BLANKS).encode()
    if kind < 0.35:
        return rnd.choice(ADS).encode()
    if kind < 0.45:
        return rnd.choice(WATERMARKS).encode()
    if kind < 0.5:
        return rnd.choice(KEPT).encode()
    if kind < 0.55:
        return rnd.choice(MARKERS).encode() * rnd.randint(1, 3)
    line = _marked(rnd, "".join(rnd.choice(PROSE)
                                for _ in range(rnd.randint(1, 4))), utf8)
    if not utf8 and rnd.random() < 0.2:
        line = _insert(rnd, line, rnd.choice(BINARY), False)
    elif utf8 and rnd.random() < 0.1:
        line += b"\x00"
    return line


def document(rnd, max_line, utf8=False, big=True):
    """One document: bytes, valid UTF-8 if utf8 (for JSON Lines)."""
    lines = []
    for _ in range(rnd.randint(0, 60)):
        if rnd.random() < 0.1:
            lines += [rnd.choice(BLANKS).encode()] * rnd.randint(2, 6)
        lines.append(_short_line(rnd, utf8))
    for _ in range(rnd.randint(0, 3) if big else 0):
        at = rnd.randint(0, len(lines))
        if rnd.random() < 0.5:
            lines.insert(at, b"")          # a held blank line before it
            at += 1
        lines.insert(at, _long_line(rnd, rnd.choice(_sizes(max_line)),
                                    utf8))
    eol = b"\r\n" if rnd.random() < 0.3 else b"\n"
    doc = b"".join(line + (eol if rnd.random() < 0.9 else b"\n")
                   for line in lines)
    if doc and rnd.random() < 0.3:
        doc = doc[:-1] if doc.endswith(b"\n") else doc
    if rnd.random() < 0.15:
        doc = b"\xef\xbb\xbf" + doc
    return doc


def chunks(rnd, data, tiny=False):
    """Cut data into writes: 1-16 bytes (tiny) or 1 byte to 4 MiB."""
    off = 0
    while off < len(data):
        if tiny:
            n = rnd.randint(1, 16)
        else:
            n = int(2 ** rnd.uniform(0, 22))
        yield data[off:off + n]
        off += n
