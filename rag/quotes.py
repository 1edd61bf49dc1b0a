"""Questions about a quotation. People preparing slides and talks paste or half-remember a
sentence and ask where it stands ("câu '…' nằm trong kế hoạch nào, ở mục nào"), what comes
after or before it ("sau câu '…' thì ý tiếp theo là gì", then "câu ngay trước đó?"), the whole
sentence of a phrase or of a blank ("điền vào chỗ trống: '… thông qua ...'"), or whether it is
word for word ("có đúng nguyên văn không: '…'"). The quotation is looked up in the documents'
own text, accents aside: word for word anywhere, else (a misquotation) the closest span of the
passages retrieved for it. One found nowhere is said to be so, never answered with a neighbour.

The answering piece is a "segment": a line or sentence of a passage, and each item of an
enumerated list "(1) …; (2) …" on its own, so that "ý tiếp theo" of item (3) is item (4)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from hoidap.model import Chunk
from hoidap.textnorm import fold

from .grounding import list_items
from .index import OpenIndex

# text between quotation marks, at least a few words: "câu 'Phòng là cơ bản, …'", “Website Bản tin …”
# (each pair of marks on its own: "'… tham ô, “làm xiếc”'" quotes a sentence that itself quotes)
_QUOTED = [re.compile(rf"(?<!\w){o}([^{c}\n]*?[^\W\d_][^{c}\n]{{6,600}}?){c}(?!\w)")
           for o, c in (("'", "'"), ('"', '"'), ("“", "”"), ("‘", "’"), ("«", "»"), ("”", "”"))]
_BLANK = re.compile(r"\s*(?:\.{2,}|…)+\s*")  # "… thông qua ...": the gap the asker wants filled
MIN_QUOTED_WORDS = 3
NEAR_MATCH = 0.65  # share of a misquotation's words a span must have, in a window its length, to be what was meant
MAX_PLACES = 3  # places a quotation standing in several documents is shown at
LAST = -1

# what is asked of the quotation (accent-free, the quotation itself left out)
_INTENTS = {
    "next": re.compile(r"\b(?:tiep theo|ke tiep|tiep sau|sau do|tiep do|(?:cau|y|doan|dong|muc) (?:sau|tiep)|sau (?:cau|doan|y|dong)"
                       r"|(?:la|ghi|viet) (?:gi|the nao) tiep)\b"),
    "previous": re.compile(r"\b(?:(?:ngay )?truoc do|(?:cau|y|doan|dong|muc) (?:ngay )?truoc|truoc (?:cau|doan|y|dong))\b"),
    "whole": re.compile(r"\b(?:(?:cau|y|doan|dong|ban) (?:\w+ )?(?:day du|tron ven)|(?:day du|tron ven) (?:la gi|ra sao|the nao|ghi)"
                        r"|ca cau|nguyen cau|toan van|cho trong|con thieu|phan con lai|viet tiep|noi tiep"
                        r"|dien(?: vao| giup| cho| not| tiep|\s*:))"),
    "check": re.compile(r"\b(?:dung|chinh xac) (?:nguyen van|khong|ko|k|chua|hong|hem|hok)\b|\bnguyen van (?:khong|ko|chua)\b"
                        r"|\bco dung\b|\bcheck\b|\bkiem tra\b|\bco cau\b"),
    # the quotation as a text of the documents: "nằm ở / trong", "trong KH nào", "thuộc mục nào" (a bare "ở đâu" or
    # "của ai" asks where an event is held or whose work it is, "Hội thảo '…' tổ chức ở đâu"; "ở mục …, ý '…'" says
    # where to look)
    "source": re.compile(r"\b(?:nam|co) (?:o|trong)\b|\b(?:o|trong|thuoc|cua) (?:kh|ke hoach|van ban|tai lieu|huong dan|hd|muc|phan"
                         r"|y|doan) (?:nao|gi)\b|\b(?:kh|ke hoach|van ban|tai lieu|huong dan|hd) nao (?:co|ghi|viet|neu)\b"
                         r"|\bthuoc (?:muc|phan|y|doan|van ban|kh|ke hoach)\b|\bxuat xu\b"),
}
# a follow-up moving along from the quotation the conversation is at: "thế câu tiếp theo?", "ý số (4) trong đó",
# "câu cuối (5) đầy đủ là gì"
_ITEM = re.compile(r"\b(?:y|cau|muc|diem) (?:so |thu )?\(?(\d{1,2})\)?(?!\s*[/.]\d)")
_LAST_ITEM = re.compile(r"\b(?:y|cau|muc|diem) cuoi(?: cung)?\b")
_MOVE = re.compile(r"\b(?:cau|y|doan|dong)\b")


@dataclass
class QuoteAsk:
    """A quotation the question asks about, or the one the conversation is at."""
    text: str
    intents: set[str] = field(default_factory=set)  # next | previous | whole | check | source | item
    item: int | None = None  # "ý số (4)": the list item asked for (LAST for "câu cuối")
    carried: bool = False  # the quotation came from the conversation, not this question
    marked: bool = True  # between quotation marks; one after a colon counts only word for word (a claim may follow)


@dataclass
class Place:
    """Where a quotation stands: the passage, the span it matched and the segment holding it."""
    chunk: Chunk
    start: int
    end: int
    exact: bool
    segment: tuple[int, int] = (0, 0)


def asked_quote(question: str, anchor: str = "") -> QuoteAsk | None:
    """The quotation of the question and what is asked of it; without one, a follow-up moving
    along from `anchor`, the quotation (or the piece last answered) of the conversation."""
    found = max(((m.group(1), m.start(), m.end()) for pattern in _QUOTED for m in pattern.finditer(question)),
                key=lambda t: len(t[0]), default=None)
    marked = found is not None
    found = found or _after_colon(question)
    quoted = found[0].strip() if found else ""
    if len(_words(_BLANK.sub(" ", quoted))) < MIN_QUOTED_WORDS:
        quoted = ""
    rest = fold(question[:found[1]] + " " + question[found[2]:] if quoted else question).lower()
    intents = {name for name, pattern in _INTENTS.items() if pattern.search(rest)}
    if quoted:
        if _blank_in(quoted):
            intents.add("whole")
        # (a quotation asked nothing of, "cái KH có gắn với đợt 'Giữ trọn lời thề đảng viên' ấy … ai ký", names a topic)
        return QuoteAsk(quoted, intents, marked=marked) if intents else None
    if not anchor:
        return None
    item = _ITEM.search(rest)
    number = int(item.group(1)) if item else (LAST if _LAST_ITEM.search(rest) else None)
    if number is not None:
        return QuoteAsk(anchor, intents | {"item"}, number, carried=True)
    moves = intents & {"next", "previous"}
    if moves and _MOVE.search(rest):
        return QuoteAsk(anchor, moves, carried=True)
    return None


# "đoạn này ở mục nào của KH 205: Tổ chức hội nghị …", "check giúp câu này\n…": unmarked, after a colon or line
# break that follows the asking words (which say "câu này" / "đoạn này" or what is asked of it)
_UNMARKED = re.compile(r"^(?P<ask>[^:\n]{6,160}?)\s*(?::|\n)\s*(?P<quote>[^\n]{24,600}?)[\s?.!]*(?:\s(?:ạ|a|nhé|nhe|ko|không))?[\s?.!]*$")
_POINTS_AT_QUOTE = re.compile(r"\b(?:cau|doan|y|dong) (?:nay|sau)\b")


def _after_colon(question: str) -> tuple[str, int, int] | None:
    """An unmarked quotation (text, start, end): the words after a colon or line break, when the words before it
    point at a sentence ("câu này", "đoạn sau") or ask something of one (where it stands, whether it is word for
    word)."""
    m = _UNMARKED.match(question.strip())
    if not m:
        return None
    ask = fold(m.group("ask")).lower()
    if not (_POINTS_AT_QUOTE.search(ask) or any(_INTENTS[k].search(ask) for k in ("source", "check", "whole"))):
        return None
    start = question.rfind(m.group("quote"))
    return m.group("quote"), start, start + len(m.group("quote"))


def _blank_in(quoted: str) -> bool:
    """A gap to fill: dots between words ("… thông qua ... trong hệ thống …"), or closing a lead-in ("… như: ...").
    Dots closing a title ("tác phẩm “Kiên quyết, kiên trì … tiêu cực...”") only shorten it."""
    gaps = list(_BLANK.finditer(quoted.strip()))
    return any(m.end() < len(quoted.strip()) and m.start() > 0 for m in gaps) or bool(
        re.search(r":\s*(?:\.{2,}|…)+\s*$", quoted))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text).lower())


def _folded(index: OpenIndex, chunk: Chunk) -> tuple[str, list[tuple[int, int]]]:
    """The passage's words accent-free, joined by single spaces, with each word's offsets in the passage:
    worked out once per open index."""
    cache = index.__dict__.setdefault("_quote_words", {})
    hit = cache.get(chunk.chunk_id)
    if hit is None:
        spans = [(m.start(), m.end()) for m in re.finditer(r"\w+", chunk.text)]
        hit = cache[chunk.chunk_id] = (" ".join(fold(chunk.text[a:b]).lower() for a, b in spans), spans)
    return hit


def _exact(index: OpenIndex, chunk: Chunk, words: list[str]) -> tuple[int, int] | None:
    joined, spans = _folded(index, chunk)
    needle = " ".join(words)
    at = f" {joined} ".find(f" {needle} ")
    if at < 0:
        return None
    first = joined.count(" ", 0, at) if at else 0
    return spans[first][0], spans[first + len(words) - 1][1]


BLANK_WORDS = 40  # how many words a blank may stand for between the pieces around it


def _in_order(index: OpenIndex, chunk: Chunk, pieces: list[list[str]], hit: tuple[int, int]) -> bool:
    """Every piece around the blanks stands in the passage, in order, each within BLANK_WORDS of the one before:
    "Tác phẩm là ... trong công tác phòng, chống …" is the sentence holding both, not any holding the longer."""
    if len(pieces) < 2:
        return True
    joined, spans = _folded(index, chunk)
    have = joined.split()
    starts = [i for i in range(len(have)) if have[i:i + len(pieces[0])] == pieces[0]]
    for i in starts:
        at = i + len(pieces[0])
        for piece in pieces[1:]:
            nxt = next((j for j in range(at, min(len(have), at + BLANK_WORDS)) if have[j:j + len(piece)] == piece), None)
            if nxt is None:
                break
            at = nxt + len(piece)
        else:
            return True
    return False


def _near(index: OpenIndex, chunk: Chunk, words: list[str]) -> tuple[float, int, int]:
    """The span of the passage a misquotation stands for: the window as long as it sharing most of its words
    (that share decides), then aligned word by word around that window, so that a changed word at either end
    is inside the span. (share, start, end)."""
    joined, spans = _folded(index, chunk)
    have = joined.split()
    if not have:
        return 0.0, 0, 0
    n = len(words)
    wanted = set(words)
    share, at = max(((len(wanted & set(have[i:i + n])) / len(wanted), i) for i in range(max(1, len(have) - n + 1))),
                    key=lambda t: (t[0], -t[1]))
    lo, hi = max(0, at - n // 2), min(len(have), at + n + n // 2)
    blocks = [b for b in difflib.SequenceMatcher(a=words, b=have[lo:hi], autojunk=False).get_matching_blocks() if b.size]
    if not blocks:
        return share, spans[at][0], spans[min(at + n, len(spans)) - 1][1]
    first = max(lo, lo + blocks[0].b - blocks[0].a)  # the quotation's unmatched first words stand just before
    last = min(hi, lo + blocks[-1].b + blocks[-1].size + n - blocks[-1].a - blocks[-1].size)  # … its last, just after
    return share, spans[first][0], spans[max(first, last - 1)][1]


def find(index: OpenIndex, ask: QuoteAsk, chunks: list[Chunk], near: list[Chunk]) -> list[Place]:
    """Every passage of `chunks` holding the quotation word for word (its longest piece, for a blank), in
    their order; else the passage of `near` (those retrieved for it) holding the closest span."""
    pieces = [_words(p) for p in _BLANK.split(ask.text) if _words(p)]
    words = max(pieces, key=len, default=[])
    if not words:
        return []
    places = []
    for chunk in chunks:
        hit = _exact(index, chunk, words)
        if hit and _in_order(index, chunk, pieces, hit):
            places.append(Place(chunk, *hit, exact=True))
    if not places:
        scored = [(_near(index, c, words), c) for c in near]
        (share, a, b), chunk = max(scored, key=lambda t: t[0][0], default=((0.0, 0, 0), None))
        if chunk is None or share < NEAR_MATCH:
            return []
        places = [Place(chunk, a, b, exact=False)]
    for p in places:
        p.segment = _segment_at(p.chunk.text, p.start, p.end)
    return places


def segments(text: str) -> list[tuple[int, int]]:
    """The passage's segments, as offsets: its lines (long ones cut after a sentence), each item of an
    enumerated list on its own, its lead-in ("… cần nhấn mạnh:") one segment before them."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        line_start = m.start()
        line = m.group()
        items = list_items(line)
        if len(items) >= 2:
            if line[:items[0][1]].strip():
                out.append((line_start, line_start + items[0][1]))
            out.extend((line_start + a, line_start + b) for _, a, b in items)
            tail = line[items[-1][2]:]
            if tail.strip():
                out.append((line_start + items[-1][2], line_start + len(line)))
            continue
        pos = 0
        for s in re.finditer(r"(?<=[.!?])(?<!\)\.)\s+(?=[A-ZĐÀ-Ỹ“(\-+])", line):  # ("(4). Tác phẩm …" is one sentence)
            out.append((line_start + pos, line_start + s.start()))
            pos = s.end()
        out.append((line_start + pos, line_start + len(line)))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b - (len(text[a:b]) - len(text[a:b].rstrip())))
            for a, b in out if text[a:b].strip()]


def _segment_at(text: str, start: int, end: int) -> tuple[int, int]:
    segs = segments(text)
    return next((s for s in segs if s[0] <= start < s[1]), segs[0] if segs else (0, len(text)))


def _line_at(text: str, at: int) -> tuple[int, str]:
    """The line of `text` holding offset `at`: where it starts, and the line."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, text[start:end if end >= 0 else len(text)]


def _in_heading(place: Place) -> bool:
    """The quotation is (part of) a heading the passage stands under, or a line of it in capitals (a title):
    it names a part of the document."""
    line = _line_at(place.chunk.text, place.start)[1].strip()
    quoted = _words(place.chunk.text[place.start:place.end])
    return line.isupper() and len(line) <= 160 or " ".join(quoted) in " ".join(_words(place.chunk.heading))


def moved(index: OpenIndex, place: Place, step: int) -> tuple[Chunk, tuple[int, int]] | None:
    """The segment `step` (+1 or -1) from the place's, across to the neighbouring passage of the same
    document at either end. Inside a segment, a clause ends at a colon or semicolon: a quotation that is a
    lead-in ("Các ý kiến tiếp tục khẳng định:") is followed by the words it introduces, and one after a
    semicolon comes after the clause before it."""
    text = place.chunk.text
    a, b = place.segment
    before, after = text[a:place.start], text[place.end:b]
    if step > 0 and len(_words(after)) >= MIN_QUOTED_WORDS and (
            text[place.start:place.end + 2].rstrip().endswith((":", ":“", ':"')) or after.lstrip()[:1] in ":;“\""):
        return place.chunk, (place.end + len(after) - len(after.lstrip(" :;,.-–")), b)
    if step < 0 and len(_words(before)) >= MIN_QUOTED_WORDS and before.rstrip()[-1:] in ":;.":
        # "… Hội nghị báo cáo viên cấp thị; đưa nội dung …": the clause before the quoted one, in its line
        return place.chunk, (a, a + len(before.rstrip().rstrip(":;").rstrip()))
    segs = segments(text)
    i = segs.index(place.segment) if place.segment in segs else 0
    if 0 <= i + step < len(segs):
        return place.chunk, segs[i + step]
    rows = index.doc_rows(place.chunk.doc_id) if hasattr(index, "doc_rows") else range(0)
    row = index.position.get(place.chunk.chunk_id) if hasattr(index, "position") else None
    if row is None or row + step not in rows:
        return None
    other = index.chunks[row + step]
    other_segs = segments(other.text)
    if not other_segs:
        return None
    return other, other_segs[0] if step > 0 else other_segs[-1]


CONTINUED_CHARS = 600  # a sentence ending in a colon is quoted with what follows, up to this much


def _with_lead_in(place: Place) -> list[tuple[int, int]]:
    """The quotation's segment, after its list's lead-in when it is an item of one ("Chỉ ra 05 vấn đề cần lưu ý
    …: … (3) Thi hành đồng bộ …"): which point of the passage it is. A segment ending in a colon ("Các ý kiến
    tập trung vào các nội dung:") runs on into what it introduces."""
    text = place.chunk.text
    a, b = place.segment
    if text[a:b].rstrip().endswith(":"):
        segs = segments(text)
        later = [s for s in segs if s[0] >= b]
        end = b
        for s in later:
            if s[1] - a > CONTINUED_CHARS:
                break
            end = s[1]
        return [(a, end)]
    line_start, line = _line_at(text, a)
    items = list_items(line)
    intro = line[:items[0][1]].strip() if len(items) >= 2 else ""
    if not intro or not any(line_start + k == a for _, k, _ in items):
        return [(a, b)]
    start = line_start + len(line) - len(line.lstrip())
    return [(start, start + len(intro)), (a, b)]


def item_of(place: Place, number: int) -> tuple[int, int] | None:
    """Item `number` (or the last) of the enumerated list the quotation's line holds."""
    text = place.chunk.text
    line_start, line = _line_at(text, place.start)
    items = list_items(line)
    if len(items) < 2:
        return None
    k = items[-1] if number == LAST else next((it for it in items if it[0] == number), None)
    if k is None:
        return None
    piece = line[k[1]:k[2]]
    return line_start + k[1], line_start + k[1] + len(piece.rstrip().rstrip(";").rstrip())


QUOTE_CONFIDENCE = 0.9  # the quotation found word for word: where it stands is read off the documents
NEAR_QUOTE_CONFIDENCE = 0.7  # … found as the closest span of a passage retrieved for it
NOT_FOUND = "Không tìm thấy câu trích này trong các tài liệu của kho."


def _title(doc: dict, doc_id: str) -> str:
    return (doc.get("title") or doc_id).split(":", 1)[0].strip()


def _where(index: OpenIndex, chunk: Chunk) -> str:
    """Where a passage stands: "Kế hoạch 205-KH/TU của Ban Thường vụ Thành ủy Yên Bái, mục III. HÌNH THỨC, THỜI GIAN › …"."""
    title = _title(index.doc(chunk.doc_id), chunk.doc_id)
    return f"{title}, mục {chunk.heading}" if chunk.heading else title


def _located(index: OpenIndex, ask: QuoteAsk, named: list[str], near: list[Chunk], derived: set[str],
             order: list[str]) -> tuple[list[Place], bool] | None:
    """Where the quotation stands, in the documents the question names first (`elsewhere`: only in others),
    retrieval's order (`order`, passage ids) first; [] when nowhere; None when it only names a heading."""
    primary = [c for c in index.chunks if c.doc_id not in derived]
    places = find(index, ask, [c for c in primary if c.doc_id in named], [c for c in near if c.doc_id in named]) \
        if named else []
    elsewhere = not places and bool(named)
    places = places or find(index, ask, primary, near)
    if places and all(_in_heading(p) for p in places):  # "phần 'Mục đích, yêu cầu'": a part named, no sentence quoted
        return None
    rank = {chunk_id: i for i, chunk_id in enumerate(order)}
    places.sort(key=lambda p: rank.get(p.chunk.chunk_id, len(rank)))
    return places, elsewhere


def _moved_to(index: OpenIndex, ask: QuoteAsk, first: Place) -> tuple[Chunk, tuple[int, int], str] | None:
    """The piece a follow-up moves to from the quotation: the list item asked ("ý số (4)", "câu cuối"), or the
    segment after or before it; None when the question moves nowhere or past the document."""
    if "item" in ask.intents and ask.item is not None:
        span = item_of(first, ask.item)
        said = "Ý cuối" if ask.item == LAST else f"Ý ({ask.item})"
        return (first.chunk, span, f"{said} ({_where(index, first.chunk)}):") if span else None
    step = 1 if "next" in ask.intents else -1
    went = moved(index, first, step)
    if went is None:
        return None
    said = "Tiếp theo câu đó" if step > 0 else "Ngay trước câu đó"
    return went[0], went[1], f"{said} ({_where(index, went[0])}):"


def _moves(ask: QuoteAsk) -> bool:
    return bool(ask.intents & {"next", "previous"}) or ("item" in ask.intents and ask.item is not None)


def quote_answer(index: OpenIndex, ask: QuoteAsk, named: list[str], candidates: list, derived: set[str], cite):
    """(answer text, citations, passages, word for word?) for a question about a quotation, NOT_FOUND when it
    stands nowhere, None when it is no such question. `cite(n, candidate, spans)` makes a citation
    (rag.extract.citation)."""
    from .types import Candidate

    located = _located(index, ask, named, [c.chunk for c in candidates if c.chunk.doc_id not in derived], derived,
                       [c.chunk.chunk_id for c in candidates])
    if located is None:
        return None
    places, elsewhere = located
    if not ask.marked and not (places and places[0].exact):  # ("có đúng không: hội nghị … quý II" checks a claim)
        return None
    if not places:
        return NOT_FOUND
    lead = ""
    if elsewhere:  # "trong KH của huyện ủy có câu '…' không": it stands in another document
        lead = f"Không tìm thấy câu này trong {', '.join(_title(index.doc(d), d) for d in named)}. "
    first = places[0]
    pieces: list[tuple[Chunk, list[tuple[int, int]], str]] = []  # (passage, quoted spans, what the piece is)
    if _moves(ask):
        to = _moved_to(index, ask, first)
        if to is None:
            return None
        pieces.append((to[0], [to[1]], to[2]))
    else:
        shown = places[:MAX_PLACES]
        if "check" in ask.intents:
            lead += "Đúng nguyên văn. " if first.exact else f"Chưa đúng nguyên văn{_differences(ask.text, first)}. "
        if len(shown) > 1:
            lead += f"Câu này có trong {len(shown)} đoạn của các văn bản:"
            pieces += [(p.chunk, _with_lead_in(p), f"- {_where(index, p.chunk)}:") for p in shown]
        elif "check" in ask.intents:
            pieces.append((first.chunk, _with_lead_in(first), f"{_where(index, first.chunk)} ghi:"))
        elif "whole" in ask.intents and "source" not in ask.intents:
            pieces.append((first.chunk, _with_lead_in(first), f"Câu đầy đủ ({_where(index, first.chunk)}):"))
        else:
            pieces.append((first.chunk, _with_lead_in(first), f"Câu này nằm trong {_where(index, first.chunk)}:"))
    lines, cited, passages = ([lead.strip()] if lead.strip() else []), [], []
    for n, (chunk, spans, label) in enumerate(pieces, 1):
        cand = Candidate(chunk=chunk, doc=index.doc(chunk.doc_id), score=1.0)
        lines.append(f"{label}\n{' … '.join(chunk.text[a:b].strip() for a, b in spans)} [{n}]")
        cited.append(cite(n, cand, spans))
        passages.append(cand)
    return "\n".join(lines), cited, passages, first.exact


MAX_DIFFERENCES = 3  # misquoted words named in the verdict; beyond that the passage speaks for itself


def _differences(quoted: str, place: Place) -> str:
    """", tài liệu ghi “chiếu lệ” chứ không phải “qua loa”": the words the quotation changed, as the document
    writes them (accents aside in the comparison), or "" when there are too many to name."""
    said = re.findall(r"\w+", quoted)
    span = place.chunk.text[place.start:place.end]
    written = re.findall(r"\w+", span)
    ops = [op for op in difflib.SequenceMatcher(a=[fold(w).lower() for w in said], b=[fold(w).lower() for w in written],
                                               autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops or len(ops) > MAX_DIFFERENCES:
        return ""
    parts = []
    for tag, i1, i2, j1, j2 in ops:
        mine, theirs = " ".join(said[i1:i2]), " ".join(written[j1:j2])
        if tag == "replace":
            parts.append(f"“{theirs}” chứ không phải “{mine}”")
        elif tag == "delete":
            parts.append(f"không có “{mine}”")
        else:
            parts.append(f"có thêm “{theirs}”")
    return ", tài liệu ghi " + "; ".join(parts)


def anchor(index: OpenIndex, ask: QuoteAsk, named: list[str], near: list[Chunk], derived: set[str]) -> str:
    """What a follow-up moves along from after this turn ("thế câu tiếp theo?"): the quotation it asked
    about, or the piece it moved to."""
    located = _located(index, ask, named, near, derived, [c.chunk_id for c in near])
    if not located or not located[0]:
        return ""
    first = located[0][0]
    if not _moves(ask):
        return first.chunk.text[first.start:first.end]
    to = _moved_to(index, ask, first)
    return to[0].text[to[1][0]:to[1][1]] if to else ""
