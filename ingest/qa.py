"""Question/answer material: the official "Tài liệu Hỏi - Đáp" booklet shape
("Câu hỏi 1: … Trả lời: …") inside any document, and .jsonl/.csv files of pairs.
Each pair becomes one block that keeps its question as a field."""
from __future__ import annotations

import csv
import io
import json
import re

from .model import Block

_Q = re.compile(r"^(?:Câu hỏi|Câu|Hỏi)\s*(\d+)?\s*[:.)]\s*(.*)$", re.IGNORECASE)
_A = re.compile(r"^(?:Trả lời|Đáp|TL)\s*[:.)]\s*(.*)$", re.IGNORECASE)
Q_KEYS = ("question", "cau_hoi", "câu hỏi", "hoi", "q")
A_KEYS = ("answer", "tra_loi", "trả lời", "dap", "a")


def qa_block(question: str, answer: str, page: int | None = None) -> Block:
    question, answer = question.strip(), answer.strip()
    return Block(text=f"Câu hỏi: {question}\nTrả lời: {answer}", kind="qa", page=page,
                 fields={"question": question, "answer": answer})


def find_pairs(blocks: list[Block]) -> list[Block]:
    """Replace "Câu hỏi … / Trả lời …" runs by Q&A blocks; other blocks pass through.
    Only applies when the document holds at least two such questions."""
    if sum(1 for b in blocks if b.kind == "para" and _Q.match(b.text)) < 2:
        return blocks
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        m = _Q.match(blocks[i].text) if blocks[i].kind in ("para", "heading") else None
        if not m:
            out.append(blocks[i])
            i += 1
            continue
        page = blocks[i].page
        question = [m.group(2)]
        answer: list[str] = []
        i += 1
        while i < len(blocks) and not answer and not _A.match(blocks[i].text) and not _Q.match(blocks[i].text):
            question.append(blocks[i].text)  # a question wrapped over several paragraphs
            i += 1
        if i < len(blocks) and _A.match(blocks[i].text):
            answer.append(_A.match(blocks[i].text).group(1))
            i += 1
            while i < len(blocks) and not _Q.match(blocks[i].text) and blocks[i].kind in ("para", "footnote"):
                answer.append(blocks[i].text)
                i += 1
        out.append(qa_block(" ".join(q for q in question if q), "\n".join(a for a in answer if a), page))
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
