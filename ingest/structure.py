"""Clean blocks → chunks that follow the document's own structure.

Headings (I. / 1. / 1.1. / a) / Một là, / Phụ lục / Nơi nhận, or the format's own heading
levels) build a heading path; paragraphs under one heading are grouped into chunks small
enough to cite; table rows, footnotes, Q&A pairs and the signature block are chunks of
their own. Each chunk keeps its span in the cleaned document text."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .clean import is_caps
from hoidap.model import PATH_SEP, Block, Chunk

_ROMAN = re.compile(r"^([IVX]+)\.\s")
_NUM = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s")
_LETTER = re.compile(r"^[a-zđ]\)\s")
_ORDINAL = re.compile(r"^(Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười) là,")
_APPENDIX = re.compile(r"^Phụ lục\b", re.IGNORECASE)
_RECIPIENTS = re.compile(r"^Nơi nhận\s*:?$", re.IGNORECASE)
_SIGN_TITLE = re.compile(r"^(T/M|TM\.|KT\.|K/T|TL\.|T/L|Q\.)|(BÍ THƯ|GIÁM ĐỐC|CHỦ TỊCH|TRƯỞNG BAN|PHÓ BAN)\b")
_NAME = re.compile(r"^(?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ][\wÀ-ỹ]*\s?){2,5}$")


def _heading_title(text: str) -> str:
    if len(text) <= 100 and not text.endswith((".", ";")):
        return text.rstrip(":").strip()
    close = text.find("”")
    if 0 < close <= 160:
        return text[: close + 1]
    colon = text.find(":")
    if 0 < colon <= 90:
        return text[:colon]
    words = text.split()
    return " ".join(words[:12]) + "…"


def heading_level(block: Block) -> int | None:
    """Level of a block that opens a section, or None for body text."""
    if block.kind == "heading":
        return block.level if block.level is not None else 1  # a book's parts and articles sit at -1 and 0
    if block.kind != "para":
        return None
    text = block.text
    if _APPENDIX.match(text) or _RECIPIENTS.match(text):
        return 1
    if _ROMAN.match(text):
        return 1
    m = _NUM.match(text)
    if m:
        return 1 + m.group(1).count(".") + 1
    if _LETTER.match(text) or _ORDINAL.match(text):
        return 5
    return None


def is_pure_heading(block: Block) -> bool:
    return block.kind == "heading" or (len(block.text) <= 100 and not block.text.endswith((".", ";")))


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class _Piece:
    text: str
    kind: str
    page: int | None
    question: str = ""


def _page_at(block: Block, offset: int) -> int | None:
    """The page a character of a block is printed on."""
    page = block.page
    for start, p in block.breaks:
        if start <= offset:
            page = p
    return page


def chunk_blocks(doc_id: str, blocks: list[Block], chunk_chars: int = 900) -> tuple[str, list[Chunk]]:
    """Return the cleaned document text and its chunks."""
    doc_parts: list[str] = []
    offset = 0
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    buf: list[tuple] = []  # (start offset, text, page, last page)

    def path() -> str:
        return PATH_SEP.join(t for _, t in stack) or "Mở đầu"

    def emit(kind: str, pieces: list[tuple], question: str = "", heading: str | None = None) -> None:
        if not pieces:
            return
        start = pieces[0][0]
        end = pieces[-1][0] + len(pieces[-1][1])
        text = "\n".join(p[1] for p in pieces)
        n = len(chunks)
        last = [p[3] if len(p) > 3 else p[2] for p in pieces]
        page_end = max((p for p in last if p is not None), default=None)
        chunks.append(Chunk(
            chunk_id=f"{doc_id}#{n}", doc_id=doc_id, text=text, heading=heading or path(), kind=kind,
            page=pieces[0][2], span=(start, end), content_hash=content_hash(text), question=question,
            page_end=page_end,
        ))

    def flush() -> None:
        emit("text", buf)
        buf.clear()

    def add_text(text: str, page: int | None) -> int:
        nonlocal offset
        if doc_parts:
            offset += 1  # the "\n" joining blocks
        start = offset
        doc_parts.append(text)
        offset += len(text)
        return start

    in_recipients = False
    for i, block in enumerate(blocks):
        text = block.text
        if block.kind == "row":
            flush()
            section = block.fields.get("_section", "")
            start = add_text(text, block.page)
            heading = PATH_SEP.join([t for _, t in stack] + ([section] if section else []))
            emit("row", [(start, text, block.page)], heading=heading)
            continue
        if block.kind == "qa":
            flush()
            start = add_text(text, block.page)
            emit("qa", [(start, text, block.page, block.page_end or block.page)], question=block.fields.get("question", ""))
            continue
        if block.kind == "caption":  # a photo's caption: a small unit of its own, under the article it is in
            flush()
            start = add_text(text, block.page)
            emit("caption", [(start, text, block.page)], heading=f"{path()}{PATH_SEP}Ảnh")
            continue
        if block.kind == "footnote":
            flush()
            marker = text.split()[0]
            anchor = footnote_anchor("\n".join(doc_parts[-40:]), marker)
            start = add_text(text, block.page)
            note = f"Chú thích {marker}" + (f": {anchor}" if anchor else "")
            emit("footnote", [(start, text, block.page)], heading=f"{path()}{PATH_SEP}{note}")
            continue
        if _SIGN_TITLE.search(text) and is_caps(text) and len(text) < 80:
            # Signature block: the signer's capacity lines and the name below them.
            flush()
            sig = [(add_text(text, block.page), text, block.page)]
            j = i + 1
            while j < len(blocks) and blocks[j].kind == "para" and (is_caps(blocks[j].text) or _NAME.match(blocks[j].text)):
                sig.append((add_text(blocks[j].text, blocks[j].page), blocks[j].text, blocks[j].page))
                blocks[j] = Block(text="", kind="consumed")
                if _NAME.match(sig[-1][1]) and not is_caps(sig[-1][1]):
                    break
                j += 1
            emit("signature", sig, heading="Chữ ký: người ký văn bản")
            in_recipients = False
            continue
        if block.kind == "consumed" or not text:
            continue
        level = heading_level(block)
        if level is not None and not in_recipients:
            flush()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text if block.kind == "heading" and level <= 0 else _heading_title(text)))
            in_recipients = bool(_RECIPIENTS.match(text))
            if is_pure_heading(block):
                add_text(text, block.page)
                continue
        elif text.startswith("- ") and i + 1 < len(blocks) and blocks[i + 1].text.startswith("+ "):
            flush()  # "- item" with "+ sub-items": one chunk per item
        size = sum(len(p[1]) + 1 for p in buf)
        if buf and size + len(text) > chunk_chars:
            flush()
        pos = 0
        for piece in _split_long(text, chunk_chars):
            if buf and sum(len(p[1]) + 1 for p in buf) + len(piece) > chunk_chars:
                flush()
            at = text.find(piece, pos)
            at = pos if at < 0 else at
            pos = at + len(piece)
            buf.append((add_text(piece, block.page), piece, _page_at(block, at), _page_at(block, max(at, pos - 1))))
    flush()
    return "\n".join(doc_parts), chunks


# Bumped when the same file chunks differently: the next ingest then reads every file again
# (vectors of unchanged passages come from the embedding cache). 2: footnote headings name the
# words they annotate.
CHUNKER_VERSION = 2
_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"


def footnote_anchor(text_before: str, marker: str, words: int = 8) -> str:
    """The words a footnote annotates: the clause just before the last place its marker follows a
    word ("… xây dựng, hoàn thiện thể chế²;" → "xây dựng, hoàn thiện thể chế"), at most `words`
    words. A footnote ("² Đảng đã ban hành 250 văn bản …") rarely repeats them, and questions ask
    with them; its heading carries them."""
    last = None
    for last in re.finditer(rf"(?<=[^\W\d_{_SUPERSCRIPTS}]){re.escape(marker)}(?![\d{_SUPERSCRIPTS}])", text_before):
        pass
    if last is None:
        return ""
    clause = re.split(r"[;:.!?\n]", text_before[max(0, last.start() - 200):last.start()])[-1]
    clause = re.sub(rf"[{_SUPERSCRIPTS}]+", "", clause)
    return " ".join(clause.split()[-words:]).strip(" ,-–")


def _split_long(text: str, limit: int) -> list[str]:
    """Split a paragraph far over the limit at sentence ends (at word boundaries when it has
    none, as OCR output may); lists that fit stay whole."""
    if len(text) <= limit * 1.6:
        return [text]
    sentences = re.split(r"(?<=[.;!?])\s+(?=[\wÀ-ỹ“(])", text)
    pieces: list[str] = []
    for s in sentences:
        while len(s) > limit:
            cut = s.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(s[:cut].strip())
            s = s[cut:].strip()
        pieces.append(s)
    out: list[str] = []
    cur = ""
    for s in pieces:
        if cur and len(cur) + len(s) + 1 > limit:
            out.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}" if cur else s
    if cur:
        out.append(cur)
    return out
