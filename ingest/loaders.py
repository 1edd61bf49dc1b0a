"""Files → blocks of text, one loader per format.

Every loader raises LoadError with a short English reason for a file it cannot read
(corrupt, encrypted, empty, unsupported); the pipeline reports it and moves on."""
from __future__ import annotations

import io
import re
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

from .clean import Line, lines_to_blocks, merge_table_rows
from .encodings import EncodingError, decode_text
from hoidap.model import Block, LoadedFile
from . import qa

SUPPORTED = {".pdf", ".docx", ".txt", ".md", ".html", ".htm", ".jsonl", ".csv"}


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""


def load(path: Path, ocr_lang: str = "vie") -> LoadedFile:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(f"unsupported file type '{suffix or path.name}'")
    if path.stat().st_size == 0:
        raise LoadError("empty file")
    if suffix == ".pdf":
        loaded = _load_pdf(path, ocr_lang)
    elif suffix == ".docx":
        loaded = _load_docx(path)
    else:
        try:
            text, encoding = decode_text(path.read_bytes())
        except EncodingError as e:
            raise LoadError(str(e)) from None
        try:
            if suffix == ".jsonl":
                blocks = qa.parse_jsonl(text)
            elif suffix == ".csv":
                blocks = qa.parse_csv(text)
            elif suffix in (".html", ".htm"):
                blocks = _html_blocks(text)
            elif suffix == ".md":
                blocks = _markdown_blocks(text)
            else:
                blocks = lines_to_blocks([Line(t) for t in _lines(text)])
        except ValueError as e:
            raise LoadError(str(e)) from None
        loaded = LoadedFile(path=path, blocks=blocks, encoding=encoding)
    loaded.blocks = qa.find_pairs(merge_table_rows(loaded.blocks))
    if not any(b.text.strip() or b.fields for b in loaded.blocks):
        raise LoadError("no text found" + (f" ({'; '.join(loaded.notes)})" if loaded.notes else ""))
    return loaded


def _lines(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    body: list[Line] = []
    for raw in _lines(text):
        m = re.match(r"^(#{1,6})\s+(.*)$", raw)
        if m:
            blocks.extend(lines_to_blocks(body))
            body = []
            blocks.append(Block(text=m.group(2).strip(), kind="heading", level=len(m.group(1))))
        else:
            body.append(Line(raw))
    return blocks + lines_to_blocks(body)


def _html_blocks(text: str) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    blocks: list[Block] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote"]):
        if el.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in el.find_all(["td", "th"])]
            blocks.append(Block(text="", kind="row", fields={str(i): c for i, c in enumerate(cells)}))
        elif el.find_parent(["li", "tr"]) is None or el.name == "li":
            t = el.get_text(" ", strip=True)
            if t:
                kind = "heading" if el.name[0] == "h" and el.name[1:].isdigit() else "para"
                level = int(el.name[1]) if kind == "heading" else None
                blocks.append(Block(text=("- " + t) if el.name == "li" else t, kind=kind, level=level))
    if not blocks:  # plain text wrapped in minimal HTML
        blocks = lines_to_blocks([Line(t) for t in soup.get_text("\n").split("\n")])
    return blocks


def _load_docx(path: Path) -> LoadedFile:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise LoadError(f"not a readable DOCX file ({e.__class__.__name__})") from None
    except Exception as e:  # zipfile.BadZipFile and lxml errors on corrupt files
        raise LoadError(f"corrupt DOCX file ({e.__class__.__name__}: {e})") from None
    blocks: list[Block] = []
    body: list[Line] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = (item.style.name if item.style is not None else "") or ""
            m = re.match(r"^(?:Heading|Tiêu đề|Title)\s*(\d*)", style, re.IGNORECASE)
            if m and item.text.strip():
                blocks.extend(lines_to_blocks(body))
                body = []
                blocks.append(Block(text=item.text.strip(), kind="heading", level=int(m.group(1) or 1)))
            else:
                body.append(Line(item.text))
                body.append(Line(""))
        elif isinstance(item, Table):
            blocks.extend(lines_to_blocks(body))
            body = []
            for row in item.rows:
                cells = _dedupe_merged([c.text.strip() for c in row.cells])
                blocks.append(Block(text="", kind="row", fields={str(i): c for i, c in enumerate(cells)}))
    blocks.extend(lines_to_blocks(body))
    return LoadedFile(path=path, blocks=blocks)


def _dedupe_merged(cells: list[str]) -> list[str]:
    """python-docx repeats a horizontally merged cell; keep it once."""
    out: list[str] = []
    for i, c in enumerate(cells):
        out.append("" if i and c and c == cells[i - 1] else c)
    return out


def _load_pdf(path: Path, ocr_lang: str) -> LoadedFile:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (a password is needed)")
        pages = [p.extract_text() or "" for p in reader.pages]
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError("encrypted PDF (a password is needed)") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise LoadError(f"corrupt PDF ({e})") from None
    notes: list[str] = []
    empty = [i for i, t in enumerate(pages) if len(t.strip()) < 20]
    if empty:
        ocr = _ocr_available(ocr_lang)
        if ocr:
            for i in empty:
                pages[i] = _ocr_page(reader.pages[i], ocr_lang)
            still = [i + 1 for i in empty if len(pages[i].strip()) < 20]
            if still:
                notes.append(f"no text even after OCR on pages {_ranges(still)}")
        else:
            notes.append(f"pages without a text layer skipped (install tesseract-ocr-vie for OCR): {_ranges([i + 1 for i in empty])}")
    lines = _strip_running_lines(pages)
    return LoadedFile(path=path, blocks=lines_to_blocks(lines), notes=notes)


def _ranges(pages: list[int]) -> str:
    out, start, prev = [], None, None
    for p in pages + [None]:
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = p
    return ", ".join(out)


def _strip_running_lines(pages: list[str]) -> list[Line]:
    """Drop page numbers and headers/footers repeated at the top or bottom of many pages."""
    def key(s: str) -> str:
        return re.sub(r"\d+", "#", s.strip().lower())

    split = [p.split("\n") for p in pages]
    edge = Counter()
    for lines in split:
        nonblank = [l for l in lines if l.strip()]
        for l in set(nonblank[:2] + nonblank[-2:]):
            edge[key(l)] += 1
    repeated = {k for k, n in edge.items() if len(pages) >= 4 and n >= max(3, len(pages) // 2)}
    out: list[Line] = []
    page_no = re.compile(r"^(?:-\s*)?(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*-)?$", re.IGNORECASE)
    for n, lines in enumerate(split, 1):
        idx = [i for i, l in enumerate(lines) if l.strip()]
        edges = set(idx[:2] + idx[-2:])
        for i, l in enumerate(lines):
            if i in edges and (key(l) in repeated or page_no.match(l.strip())):
                continue
            out.append(Line(l, n))
        out.append(Line("", n))
    return out


def _ocr_available(lang: str) -> bool:
    if not shutil.which("tesseract"):
        return False
    try:
        import pytesseract

        return lang in pytesseract.get_languages(config="")
    except Exception:
        return False


def _ocr_page(page, lang: str) -> str:
    import pytesseract
    from PIL import Image

    texts = []
    for image in page.images:
        try:
            img = Image.open(io.BytesIO(image.data))
        except Exception:
            continue
        texts.append(pytesseract.image_to_string(img, lang=lang))
    return unicodedata.normalize("NFC", "\n".join(texts))
