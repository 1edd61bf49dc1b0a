"""What a plan is for, and what it requires, asked of the plan as a whole: "KH của Huyện ủy đề ra mục đích gì",
"Sở KHCN triển khai đợt sinh hoạt này nhằm mục đích gì ạ", "MTTQ thành phố xây dựng kế hoạch này để làm gì",
"KH đó yêu cầu tránh bệnh gì khi triển khai".

Every plan opens with "I. MỤC ĐÍCH, YÊU CẦU". Three write it as two sub-sections ("1. Mục đích", "2. Yêu cầu"),
each of several bullets over several passages; two number its items "1.", "2.", "3." with no sub-heading, the
purposes first and then what the campaign must be ("Đợt sinh hoạt chính trị phải được triển khai …"). Asked the
plan's purpose, retrieval ranks one bullet first (or the opening line, which says the plan was "xây dựng"), and one
bullet is a third of the answer: the whole sub-section is. Only a question whose every other word names the plan or
the campaign is asked this way: "mục đích của việc xử lý tham nhũng" asks what the book says, "mục đích thứ hai"
one item (rag.positions), "để làm gì" after a step of the plan that step.
"""
from __future__ import annotations

import re

from hoidap.textnorm import fold

from .positions import ListItem, bulleted_items
from .query import content_words, without_question_frame
from .types import Candidate

PURPOSE, REQUIREMENT = "purpose", "requirement"

# (accent-free) "mục đích gì", "nhằm mục đích gì", "để làm gì", "nhằm gì"; not "mục đích thứ hai" / "mục đích số 2"
_ASKS = {
    PURPOSE: re.compile(r"\bmuc dich\b(?! (?:thu|so|y)\b)|\bde lam (?:gi|j)\b|\bnham (?:lam )?(?:gi|j)\b"),
    # "yêu cầu gì", "yêu cầu những gì", "phải bảo đảm yêu cầu gì", "cần tránh gì", "tránh bệnh gì"
    REQUIREMENT: re.compile(r"\byeu cau (?:nhung |cac )?(?:gi|j|nao|the nao|ra sao)\b|\b(?:tranh|bao dam|dam bao)"
                            r"(?: benh)? (?:nhung |cac )?(?:gi|j|dieu gi)\b"),
}
# the words a question about the plan as a whole has beside what it asks: the plan, the campaign, what one does with
# a plan, the asking words themselves (accent-free)
_ABOUT_THE_PLAN = set("""ke hoach kh huong dan hd van ban dot sinh hoat sh chinh tri tu tuong nay do ay trien khai xay dung
de ra doi hanh to chuc thuc hien muc dich nham lam viec hoc tap quan triet cua la gi j vay oi yeu cau tranh benh bao dam
dam phai can khi nhung cac nao the sao""".split())
# an item of a "MỤC ĐÍCH, YÊU CẦU" section with no sub-headings that states what must be done: a requirement
_OBLIGES = re.compile(r"\b(?:phải|bảo đảm|đảm bảo)\b")
_SUB_HEADING = {PURPOSE: "muc dich", REQUIREMENT: "yeu cau"}
_SECTION = re.compile(r"\bmuc dich,? yeu cau\b")
ITEM_CHARS = 320  # each bullet quoted up to this many characters (its opening says what it is for)
MAX_ITEMS = 4


def asked_section(question: str, names: list[str]) -> str | None:
    """PURPOSE or REQUIREMENT when the question asks it of the plan as a whole (`names`: the words that named the
    plan, accent-free); None otherwise."""
    folded = fold(question).lower()
    kind = next((k for k, pattern in _ASKS.items() if pattern.search(folded)), None)
    if kind is None:
        return None
    named = {w for name in names for w in fold(name).lower().split()}
    rest = [w for w in content_words(without_question_frame(folded)) if w not in _ABOUT_THE_PLAN and w not in named]
    return kind if not rest else None


def section_items(index, doc_id: str, kind: str) -> list:
    """The passages of the plan's purposes (or requirements), in order: its "1. Mục đích" sub-section, else the
    items of its "MỤC ĐÍCH, YÊU CẦU" section that state (or, for purposes, do not state) an obligation."""
    chunks = [index.chunks[r] for r in index.doc_rows(doc_id)]
    own = [c for c in chunks if fold(c.heading.rsplit("›", 1)[-1]).lower().strip(" .0123456789") == _SUB_HEADING[kind]]
    if own:
        return own
    section = [c for c in chunks if " › " in c.heading and _SECTION.search(fold(c.heading.split(" › ")[0]).lower())]
    return [c for c in section if bool(_OBLIGES.search(c.text)) == (kind == REQUIREMENT)]


def section_answer(index, query, doc, citation) -> tuple[str, list, list[Candidate]] | None:
    """The plan's purposes (or requirements), every bullet's opening, cited passage by passage; None when the
    question asks neither of one plan, or the plan has no such section."""
    docs = list(query.docs)
    if len(docs) != 1 or not hasattr(index, "doc_rows"):
        return None
    # (the words that named the plan, and its issuer as its title writes it: "MTTQ thành phố")
    names = [n for names in query.docs.values() for n in names] + [doc(docs[0]).get("title", "").split(":", 1)[0]]
    kind = asked_section(query.normalized or query.question, names)
    items = section_items(index, docs[0], kind) if kind else []
    if not items:
        return None
    shown = items[:MAX_ITEMS]
    # its bullets ("- …", over the passages); items numbered "1.", "2." each fill a passage of their own
    bullets = bulleted_items(shown) or [ListItem(c, 0, len(c.text)) for c in shown]
    lines, cited, passages = [], [], []
    for chunk in shown:
        cand = Candidate(chunk=chunk, doc=doc(chunk.doc_id), score=1.0, coverage=1.0)
        n = len(passages) + 1
        spans = []
        for item in (b for b in bullets if b.chunk is chunk):
            a, b = item.quoted
            cut = b - a > ITEM_CHARS
            b = chunk.text.rfind(" ", a, a + ITEM_CHARS) if cut else b
            lines.append(f"{chunk.text[a:b]}{' …' if cut else ''} [{n}]")
            spans.append((a, b))
        cited.append(citation(n, cand, spans))
        passages.append(cand)
    # (the sub-section's own heading, "1. Mục đích"; items numbered under "I. MỤC ĐÍCH, YÊU CẦU" each head a passage)
    name = items[0].heading.rsplit(" › ", 1)[-1].strip() if len({c.heading for c in items}) == 1 else \
        ("Mục đích" if kind == PURPOSE else "Yêu cầu")
    return f"{name}:\n" + "\n".join(lines), cited, passages
