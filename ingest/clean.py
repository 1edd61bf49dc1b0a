"""Raw text lines → clean paragraphs.

Office exports hard-wrap lines (sometimes with a blank line after every line), split
footnote markers onto lines of their own, scatter stray spaces and markdown emphasis, and
put tab-separated tables in the middle. This module rejoins wrapped lines into paragraphs,
reattaches footnote markers, turns footnotes into their own blocks and tables into rows."""
from __future__ import annotations

import re
from dataclasses import dataclass

from hoidap.model import Block
from hoidap.textnorm import squash_spaces

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_ORDINALS = "Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười"
# A line that starts a new structural item: I. / 1. / 1.1. / a) / (1) / - / + / Một là,
MARKER = re.compile(
    rf"^(?:[IVX]+\.|\d{{1,2}}(?:\.\d{{1,2}})*\.|\d{{1,2}}\.\d{{1,2}}|\d{{1,2}}\)|[a-zđ]\)|\(\d{{1,2}}\)\.?|[-+•–]|(?:{_ORDINALS}) là,)(?=\s|$)"
)
_TERMINAL = tuple(".;:!?…")
_DECORATION = re.compile(r"^[-_=*~.·•\s]{3,}$")
_FOOTNOTE_DEF = re.compile(r"^([¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*(\S.*)$")
_URL_BRACKETS = re.compile(r"<(https?://[^>\s]+)>")
_CAPTION_START = re.compile(r"^(Ảnh|Hình|Tranh)\s*(\d+)?\s*[:.]", re.IGNORECASE)


@dataclass
class Line:
    text: str
    page: int | None = None
    kind: str = "text"  # text | heading (a book's part or article, see ingest.book) | caption (a photo page's text)
    level: int | None = None  # for headings


def clean_inline(text: str) -> str:
    """Remove markdown emphasis and bracketed URLs; squash runs of spaces."""
    text = _URL_BRACKETS.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)
    text = re.sub(r"^\*\s+", "", text.strip())
    return squash_spaces(text)


def is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def heading_like(text: str) -> bool:
    return is_caps(text) or len(text) <= 40 or (bool(MARKER.match(text)) and len(text) <= 60 and not text.startswith(("-", "+")))


def continues(prev: str, line: str) -> bool:
    """Does `line` continue the paragraph ending with `prev` (a hard wrap)?"""
    if not prev or _FOOTNOTE_DEF.match(line):
        return False
    if line.startswith("- ") and line[2:3].islower():  # "Hỏi\n- đáp": a hyphen wrapped onto the next line
        return True
    item = re.match(r"^\((\d{1,2})\)", line)
    if item:  # "(3)" continues an inline enumeration "…(2) …;" but not a list of "(n)" paragraphs
        return f"({int(item.group(1)) - 1})" in prev[1:] and not prev.startswith("(")
    if MARKER.match(line):
        return False
    if is_caps(prev) and not line[:1].islower():
        return False
    if line[:1].islower() or line[:1] in ";,.)”’":
        return True
    if prev.endswith(_TERMINAL):
        return False
    return not heading_like(prev)


def _join(prev: str, line: str) -> str:
    if line[:1] in ";,.)”’" or prev.endswith(tuple("⁰¹²³⁴⁵⁶⁷⁸⁹(“‘")):
        return prev + line if line[:1] in ";,.)”’" else prev + line
    return f"{prev} {line}"


def _table_row(cells: list[str], page: int | None) -> Block:
    return Block(text="", kind="row", page=page, fields={str(i): c for i, c in enumerate(cells)})


def lines_to_blocks(lines: list[Line]) -> list[Block]:
    blocks: list[Block] = []
    pending_notes: list[Block] = []
    para: str = ""
    para_page: int | None = None
    breaks: list[tuple[int, int]] = []  # where the paragraph goes on onto a new page (PDF)
    caption: Block | None = None

    def flush() -> None:
        nonlocal para
        if para:
            blocks.append(Block(text=para, page=para_page, page_end=breaks[-1][1] if breaks else None,
                                breaks=list(breaks)))
        para = ""
        breaks.clear()
        blocks.extend(pending_notes)
        pending_notes.clear()

    def aside(block: Block) -> None:
        """A footnote or caption printed in the middle of a paragraph that runs on over the
        page: it follows the paragraph, which is not cut."""
        if para:
            pending_notes.append(block)
        else:
            blocks.append(block)

    raw = [ln for ln in lines]
    i = 0
    while i < len(raw):
        ln = raw[i]
        i += 1
        if ln.kind == "heading":
            flush()
            blocks.append(Block(text=clean_inline(ln.text), kind="heading", page=ln.page, level=ln.level))
            caption = None
            continue
        if ln.kind == "caption":
            text = clean_inline(ln.text)
            if not text:
                continue
            if caption is not None and caption.page == ln.page and not _CAPTION_START.match(text) \
                    and not caption.text.endswith(_TERMINAL):
                caption.text = _join(caption.text, text)  # a caption wrapped over lines
            else:
                caption = Block(text=text, kind="caption", page=ln.page)
                aside(caption)
            continue
        caption = None
        if ln.text.count("\t") >= 2:
            flush()
            blocks.append(_table_row([squash_spaces(c) for c in ln.text.split("\t")], ln.page))
            continue
        text = clean_inline(ln.text)
        if not text or _DECORATION.match(text):
            continue
        if re.fullmatch(r"\d{1,2}", text):
            # A footnote number alone on its line: a reference if the text goes on with
            # punctuation or lowercase, else the start of the footnote itself.
            nxt = next((clean_inline(r.text) for r in raw[i:] if clean_inline(r.text)), "")
            mark = text.translate(SUPERSCRIPT)
            if nxt[:1] in ";,.:)" or nxt[:1].islower() or not para:
                if para:
                    para += mark
                continue
            note, i = _collect_footnote(raw, i)
            pending_notes.append(Block(text=f"{mark} {note}", kind="footnote", page=ln.page))
            continue
        m = _FOOTNOTE_DEF.match(text)
        if m and ln.page is not None:
            # A PDF page's footnote: its lines run to the end of the page.
            note = [m.group(2)]
            while i < len(raw) and raw[i].page == ln.page and raw[i].kind == "text":
                more = clean_inline(raw[i].text)
                if more and _FOOTNOTE_DEF.match(more):
                    break
                if more:
                    note.append(more)
                i += 1
            aside(Block(text=f"{m.group(1)} {' '.join(note)}", kind="footnote", page=ln.page))
            continue
        if m:
            flush()
            blocks.append(Block(text=f"{m.group(1)} {m.group(2)}", kind="footnote", page=ln.page))
            continue
        if para and continues(para, text):
            joined = _join(para, text)
            if ln.page is not None and ln.page != (breaks[-1][1] if breaks else para_page):
                breaks.append((len(joined) - len(text), ln.page))
            para = joined
        else:
            flush()
            para, para_page = text, ln.page
    flush()
    return blocks


def _collect_footnote(raw: list[Line], i: int) -> tuple[str, int]:
    parts: list[str] = []
    while i < len(raw):
        text = clean_inline(raw[i].text)
        if not text:
            i += 1
            continue
        if re.fullmatch(r"\d{1,2}", text):
            break
        parts.append(text)
        i += 1
        if text.endswith((".", ".)")):
            break
    return " ".join(parts), i


def text_to_blocks(text: str, page: int | None = None) -> list[Block]:
    return lines_to_blocks([Line(t, page) for t in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")])


def merge_table_rows(blocks: list[Block]) -> list[Block]:
    """Give table rows their column headers, drop repeated header rows, fold continuation
    rows (empty first cell) into the row above, and keep section rows (I, II…) as context."""
    out: list[Block] = []
    header: list[str] = []
    section = ""
    for b in blocks:
        if b.kind != "row":
            out.append(b)
            if b.kind == "para":  # the table is over; the next one brings its own header
                header, section = [], ""
            continue
        cells = [b.fields[str(k)] for k in range(len(b.fields))]
        nonempty = [c for c in cells if c]
        if nonempty and is_caps(" ".join(nonempty)) and (cells[0].upper() in ("TT", "STT") or len(nonempty) >= 3):
            header = cells
            continue
        if not header:
            header = [f"Cột {k + 1}" for k in range(len(cells))]
        if cells[0] and re.fullmatch(r"[IVX]+", cells[0]) and len(nonempty) <= 2:
            section = f"{cells[0]}. {' '.join(nonempty[1:])}".strip()
            continue
        named = {header[k] if k < len(header) else f"Cột {k + 1}": c for k, c in enumerate(cells)}
        if not cells[0] and out and out[-1].kind == "row":
            prev = out[-1]
            for key, val in named.items():
                if val:
                    prev.fields[key] = f"{prev.fields[key]}; {val}" if prev.fields.get(key) else val
            prev.text = _row_text(prev.fields)
            continue
        fields = {k: v for k, v in named.items()}
        fields["_section"] = section
        out.append(Block(text=_row_text(fields), kind="row", page=b.page, fields=fields))
    return out


def _row_text(fields: dict[str, str]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in fields.items() if v and not k.startswith("_"))
