"""Questions that ask two things at once: "Kế hoạch 205 ra đời ngày nào và ai là người ký ban
hành?", "Mặt trận các cấp phối hợp với ai và căn cứ vào đâu …?". Answered in one pass, no
single passage covers both halves (the date is in the heading, the signer in the signature
block), so the confidence model refuses an answer it holds. Each half is then asked on its
own, the later ones as follow-ups of the earlier (the conversation carries the document), and
the answers are joined, one part per question asked."""
from __future__ import annotations

import re

from hoidap.schema import Citation
from hoidap.textnorm import fold, squash_spaces

from .query import (asks_recipients, content_words, counted_noun, counts, has_fact, is_recipients_heading, wanted_fact,
                    without_question_frame)
from .grounding import ORDINALS
from .normalize import strip_chatter
from .types import Answer

# A yes/no check ("có phải tập trung lên hội trường không"), accent-free
_CHECK = re.compile(r"\bco phai\b.*\bkhong\b")
# What makes a clause a question of its own (accent-free): a question word, not "không" (too
# often part of the topic: "không có vùng cấm"), or a check
_ASKING = re.compile(r"\b(ai|gi|nao|bao nhieu|may|dau|khi nao|bao gio|the nao|ra sao|bao lau)\b|" + _CHECK.pattern)
# Where one question ends and the next begins: a question mark, or "và" / "còn" / "rồi" / "đồng
# thời" / a comma or semicolon before a clause that asks again
_JOINT = re.compile(r"\?\s+|\s*[,;]?\s+(?:và|va|còn|con|rồi|roi|đồng thời|dong thoi)\s+|\s*[,;]\s+")
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’")
MAX_PARTS = 3  # each is one more retrieval and answer
MIN_PART_WORDS = 2  # "ai ký", "ngày nào": shorter is no question of its own


def asked_parts(question: str) -> list[str]:
    """The questions `question` asks, in order, each a clause with its own question word; [] when
    it asks one thing. A piece with no question word of its own stays with the clause before it:
    "Ban Tuyên giáo và Ban Dân vận có nhiệm vụ gì" is one question."""
    pieces: list[str] = []
    pos = 0
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(question)]  # a title's commas join no questions
    for m in _JOINT.finditer(question):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        pieces.append(question[pos:m.start()])
        pos = m.end()
    pieces.append(question[pos:])
    parts: list[str] = []
    for piece in pieces:
        piece = piece.strip(" ,;?")
        if not piece:
            continue
        own = _ASKING.search(fold(piece).lower()) is not None and len(piece.split()) >= MIN_PART_WORDS
        if parts and own and _ASKING.search(fold(parts[-1]).lower()):
            parts.append(piece)
        elif parts:  # no question of its own (or the clause before asked nothing yet): one clause
            parts[-1] = _rejoined(question, parts[-1], piece)
        else:
            parts.append(piece)
    if len(parts) < 2 or len(parts) > MAX_PARTS:
        return []
    return [squash_spaces(p) + "?" for p in parts]


def asks_something(text: str) -> bool:
    """The text has a question word of its own ("ngày nào", "ai", "bao nhiêu") or a yes/no check."""
    return _ASKING.search(fold(text).lower()) is not None


def is_check(part: str) -> bool:
    """A yes/no check of a part: "có phải tập trung lên hội trường không?"."""
    return _CHECK.search(fold(part).lower()) is not None


def checked_apart(question: str, missing: list[str]) -> bool:
    """The question asks something and then checks something else ("… theo hình thức nào, có phải tập trung lên hội
    trường không?"), and everything the documents lack is named in the checks only: the question before still
    asks what they have."""
    parts = asked_parts(question)
    checks = [fold(p).lower() for p in parts if is_check(p)]
    return bool(checks) and len(checks) < len(parts) and all(any(fold(m).lower() in c for c in checks) for m in missing)


def marked_parts(question: str) -> list[str]:
    """The parts (`asked_parts`) of two or three questions with a question mark between them ("… ban hành
    ngày nào? làm theo KH số mấy …"), each to be answered though one passage may answer the whole message
    with a line for only one of them; [] when the message is not so marked."""
    parts = asked_parts(question)
    marked = any(_ASKING.search(fold(piece).lower()) and len(piece.split()) >= MIN_PART_WORDS
                 for piece in re.split(r"\?\s+", question.strip())[1:])
    return parts if marked else []


def asked_apart(question: str, asks_signer: bool) -> list[str]:
    """The parts to answer each on its own where one passage may answer the whole message with a line for only
    one of them: those of two or three questions marked apart (`marked_parts`), and any parts of a message asking
    who signed ("KH 205 ai ký, ký ngày nào?": a signature block says who signed, nothing else)."""
    return marked_parts(question) or (asked_parts(question) if asks_signer else [])


def mentions_topic(part: str, answer: str, names: list[str] = ()) -> bool:
    """Every topic word of the part (its question frame, the documents' `names`, ordinals, numbers and the
    items a list counts left out) stands in the answer, accent-free: "Ban Tuyên giáo Thị ủy tham mưu mấy việc?
    việc thứ 2 là gì?" is answered by the guidance's list "(1) …; (2) …", which never says "việc" nor "thứ hai"."""
    said = set(re.findall(r"\w+", fold(answer).lower()))
    asked = _LISTED_ITEM.sub(" ", fold(part).lower())
    for name in sorted(names, key=len, reverse=True):
        asked = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", asked)
    return all(w in said for w in content_words(without_question_frame(asked))
               if w not in ORDINALS and w not in _POSITION_WORDS and not w.isdigit())


# the item a list counts or numbers: "mấy việc", "bao nhiêu bài học", "việc thứ 2", "vấn đề thứ nhất" (accent-free)
_LISTED_ITEM = re.compile(r"\b(?:may|bao nhieu|bn)\s+\w+(?:\s+\w+)?|\b\w+(?:\s+\w+)?\s+thu\s+\w+")


_POSITION_WORDS = {"thu", "dau", "tien", "cuoi"}  # "thứ …", "đầu tiên", "cuối cùng" (the numbers: grounding.ORDINALS)


def _rejoined(question: str, left: str, right: str) -> str:
    """`left` and `right` as they stood in the question, whatever joined them."""
    start = question.find(left)
    end = question.find(right, start + len(left)) if start >= 0 else -1
    if start < 0 or end < 0:
        return f"{left} {right}"
    return question[start:end + len(right)]


def holds(part: str, answer: Answer) -> bool:
    """A part's own answer is worth joining: it holds the kind of fact the part asks (a number, a date),
    a count asked is given ("… có bao nhiêu trang?"), and it is no "Nơi nhận" line for what is not asked
    of the recipients ("… Trung tâm Chính trị huyện có nhiệm vụ gì?")."""
    if answer.refused or not answer.citations:
        return False
    wants = wanted_fact(part)
    if wants and not has_fact(wants, answer.answer):  # "… có số hiệu bao nhiêu?" answered with no number at all
        return False
    if is_recipients_heading(answer.citations[0].heading or "") and not asks_recipients(part):
        return False
    noun = counted_noun(part)
    return not noun or counts(answer.answer, noun)


def joined(question: str, parts: list[tuple[str, Answer]]) -> Answer | None:
    """One answer from the parts' own: each part's question, then its answer, markers renumbered.
    None unless some part was answered (the single answer, or its refusal, stands); a part refused for
    what the documents lack keeps its refusal's first line ("… không ghi số hiệu.")."""
    if not parts or all(a.refused for _, a in parts):
        return None
    shown: list[tuple[str, Answer]] = []
    for asked, a in parts:
        asked = strip_chatter(asked).core  # "Anh chị ơi, Sở … theo hình thức nào vậy?": the question, not its greeting
        label = f"• {asked[:1].upper()}{asked[1:]}"
        if shown and _same_answer(shown[-1][1], a):  # "ký với chức danh gì, thay mặt ai": one signature block, once
            shown[-1] = (f"{shown[-1][0]}\n{label}", shown[-1][1])
        else:
            shown.append((label, a))
    return labelled(question, shown)


def _same_answer(a: Answer, b: Answer) -> bool:
    return not a.refused and not b.refused and a.answer == b.answer and \
        [c.chunk_id for c in a.citations] == [c.chunk_id for c in b.citations]


def labelled(question: str, parts: list[tuple[str, Answer]]) -> Answer:
    """Answers joined under their labels (a part's question, a document's title), their citation
    markers renumbered in order; the least confident part's confidence."""
    lines: list[str] = []
    citations: list[Citation] = []
    retrieved = []
    for label, a in parts:
        offset = len(citations)
        lines.append(label)
        if a.refused:  # only what it lacks, never the closest passages as if they answered
            lines.append(a.answer.split("\n", 1)[0])
            continue
        lines.append(re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", a.answer))
        citations += [c.model_copy(update={"marker": c.marker + offset}) for c in a.citations]
        retrieved += a.retrieved[:5]
    return Answer(question=question, answer="\n".join(lines), refused=False,
                  confidence=min(a.confidence for _, a in parts if not a.refused), citations=citations,
                  retrieved=retrieved)
