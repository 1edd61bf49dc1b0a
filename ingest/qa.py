"""Question/answer material: the official "Tài liệu Hỏi - Đáp" booklet shape
("Câu hỏi 1: … Trả lời: …") inside any document, and .jsonl/.csv files of pairs.
Each pair becomes one block that keeps its question as a field."""
from __future__ import annotations

import csv
import io
import json
import re

from hoidap.model import Block

_Q = re.compile(r"^(?:Câu hỏi|Câu|Hỏi)\s*(\d+)?\s*[:.)]\s*(.*)$", re.IGNORECASE)
_A = re.compile(r"^(?:Trả lời|Đáp|TL)\s*[:.)]\s*(.*)$", re.IGNORECASE)
_SECTION = re.compile(r"^(?:[IVX]+\.|PHẦN\b|Phần thứ\b|Chương\b|CHƯƠNG\b)\s")
MAX_ANSWER_CHARS = 3000
Q_KEYS = ("question", "cau_hoi", "câu hỏi", "hoi", "q")
A_KEYS = ("answer", "tra_loi", "trả lời", "dap", "a")


def qa_block(question: str, answer: str, page: int | None = None, page_end: int | None = None,
             number: str | None = None) -> Block:
    """One pair; a booklet's own numbering is kept ("Câu hỏi 11: …"): users ask for it by number."""
    question, answer = question.strip(), answer.strip()
    label = f"Câu hỏi {number}" if number else "Câu hỏi"
    fields = {"question": question, "answer": answer, **({"number": number} if number else {})}
    return Block(text=f"{label}: {question}\nTrả lời: {answer}", kind="qa", page=page, fields=fields, page_end=page_end)


def _answer_at(blocks: list[Block], i: int) -> int | None:
    """Index of the answer marker that follows a question at i (within two paragraphs)."""
    for j in range(i + 1, min(i + 3, len(blocks))):
        if _A.match(blocks[j].text):
            return j
        if _Q.match(blocks[j].text):
            return None
    return None


def find_pairs(blocks: list[Block]) -> list[Block]:
    """Replace "Câu hỏi … / Trả lời …" runs by Q&A blocks; other blocks pass through.
    A question counts only when an answer marker follows it closely, and the document must
    hold at least two such pairs (so a plan that mentions "Câu 1:" is left alone)."""
    starts = [i for i, b in enumerate(blocks) if b.kind in ("para", "heading") and _Q.match(b.text) and _answer_at(blocks, i) is not None]
    if len(starts) < 2:
        return blocks
    out: list[Block] = []
    i = 0
    start_set = set(starts)
    while i < len(blocks):
        if i not in start_set:
            out.append(blocks[i])
            i += 1
            continue
        a = _answer_at(blocks, i)
        first = i
        number = _Q.match(blocks[i].text).group(1)
        question = [_Q.match(blocks[i].text).group(2)] + [b.text for b in blocks[i + 1:a]]
        answer = [_A.match(blocks[a].text).group(1)]
        i = a + 1
        # The answer runs on over its paragraphs, up to the next question, a section heading
        # or a length no answer in a booklet reaches.
        while (i < len(blocks) and i not in start_set and blocks[i].kind in ("para", "footnote")
               and not _SECTION.match(blocks[i].text) and sum(map(len, answer)) < MAX_ANSWER_CHARS):
            answer.append(blocks[i].text)
            i += 1
        # A booklet's pair is cited by the page its question is printed on (PDF), and runs to
        # the last page of its answer.
        pages = [p for b in blocks[first:i] for p in (b.page, b.page_end) if p is not None]
        out.append(qa_block(" ".join(q for q in question if q), "\n".join(x for x in answer if x),
                            blocks[first].page if blocks[first].page is not None else blocks[a].page,
                            max(pages) if pages else None, number))
    return out


def _pick(record: dict, keys: tuple[str, ...]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for k in keys:
        if lowered.get(k):
            return str(lowered[k])
    return ""


def records_to_blocks(records: list[dict]) -> list[Block]:
    blocks = []
    for n, rec in enumerate(records, 1):
        q, a = _pick(rec, Q_KEYS), _pick(rec, A_KEYS)
        if not q or not a:
            raise ValueError(f"record {n} has no question/answer fields (expected one of {Q_KEYS} and {A_KEYS})")
        blocks.append(qa_block(q, a))
    return blocks


def parse_jsonl(text: str) -> list[Block]:
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"line {n} is not valid JSON: {e.msg}") from None
    return records_to_blocks(records)


def parse_csv(text: str) -> list[Block]:
    return records_to_blocks(list(csv.DictReader(io.StringIO(text))))
