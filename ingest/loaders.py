"""Files → blocks of text, one loader per format.

Every loader raises LoadError with a short English reason for a file it cannot read
(corrupt, encrypted, empty, unsupported, over a limit); the pipeline reports it and moves on.
Limits are checked before the expensive work: a DOCX's declared uncompressed size before its
XML is parsed (zipfile never inflates a member past its declared size), a PDF's page count
before its text is extracted, a text file's size before it is decoded."""
from __future__ import annotations

import io
import re
import shutil
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .clean import Line, lines_to_blocks, merge_table_rows
from .encodings import EncodingError, decode_text
from hoidap.model import Block, LoadedFile
from . import book, qa

SUPPORTED = {".pdf", ".docx", ".txt", ".md", ".html", ".htm", ".jsonl", ".csv"}


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one file may cost (Settings: HOIDAP_MAX_EXPANDED_MB, HOIDAP_MAX_PAGES, and
    HOIDAP_MAX_CHUNKS_PER_DOC × chunk size as the most text, checked right after decoding so
    that a huge text file is refused before it is cleaned and chunked). 0 = no limit."""
    max_expanded_mb: float = 50.0
    max_pages: int = 2000
    max_chars: int = 0
    chunk_chars: int = 900

    @property
    def max_expanded_bytes(self) -> int:
        return int(self.max_expanded_mb * 2**20)


def load(path: Path, ocr_lang: str = "vie", limits: Limits = Limits()) -> LoadedFile:
    """Raises LoadError for a file that cannot be ingested, OSError when it cannot be read
    at all (permissions, gone): the pipeline names both and moves on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(f"unsupported file type '{suffix or path.name}'")
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty file")
    if suffix == ".pdf":
        loaded = _load_pdf(path, ocr_lang, limits)
    elif suffix == ".docx":
        _check_expanded_size(path, limits)
        loaded = _load_docx(path)
    else:
        if size > limits.max_expanded_bytes:
            raise LoadError(f"file of {size / 2**20:.1f} MB is over the limit of {limits.max_expanded_mb:g} MB "
                            f"(HOIDAP_MAX_EXPANDED_MB)")
        try:
            text, encoding = decode_text(path.read_bytes())
        except EncodingError as e:
            raise LoadError(str(e)) from None
        if limits.max_chars and len(text) > limits.max_chars:
            raise LoadError(f"about {len(text) // limits.chunk_chars} passages ({len(text):,} characters), "
                            f"over the limit of {limits.max_chars // limits.chunk_chars} per document "
                            f"(HOIDAP_MAX_CHUNKS_PER_DOC); split the document or raise the limit")
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


def _check_expanded_size(path: Path, limits: Limits) -> None:
    """A DOCX is a ZIP of XML: refuse one whose members add up to more than the limit before
    python-docx inflates and parses them (a 300 KB file can declare 100 MB of XML)."""
    try:
        with zipfile.ZipFile(path) as z:
            expanded = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return  # not a readable ZIP: _load_docx reports it as corrupt
    if expanded > limits.max_expanded_bytes:
        raise LoadError(f"DOCX expands to {expanded / 2**20:.1f} MB (over the limit of {limits.max_expanded_mb:g} MB, "
                        f"HOIDAP_MAX_EXPANDED_MB)")


def _load_docx(path: Path) -> LoadedFile:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PermissionError, FileNotFoundError):
        raise  # not the file's fault: the pipeline names it as unreadable or gone
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


def _load_pdf(path: Path, ocr_lang: str, limits: Limits = Limits()) -> LoadedFile:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (a password is needed)")
        if len(reader.pages) > limits.max_pages:
            raise LoadError(f"PDF of {len(reader.pages)} pages is over the limit of {limits.max_pages} pages "
                            f"(HOIDAP_MAX_PAGES)")
        pages = [p.extract_text() or "" for p in reader.pages]
    except (LoadError, PermissionError, FileNotFoundError):
        raise
    except FileNotDecryptedError:
        raise LoadError("encrypted PDF (a password is needed)") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise LoadError(f"corrupt PDF ({e})") from None
    notes: list[str] = []
    images = {i for i, p in enumerate(reader.pages) if _has_images(p)}
    # A book's blank pages (nothing drawn, maybe a page number) are neither scans nor missing text.
    empty = [i for i, t in enumerate(pages) if len(t.strip()) < 20 and (i in images or not _blank(reader.pages[i]))]
    ocred: set[int] = set()
    if empty:
        ocr = _ocr_available(ocr_lang)
        if ocr:
            for i in empty:
                pages[i] = _ocr_page(reader.pages[i], ocr_lang)
            ocred = {i for i in empty if pages[i].strip()}
            still = [i + 1 for i in empty if len(pages[i].strip()) < 20]
            if still:
                notes.append(f"no text even after OCR on pages {_ranges(still)}")
        else:
            notes.append(f"pages without a text layer skipped (install tesseract-ocr-vie for OCR): {_ranges([i + 1 for i in empty])}")
    toc, _ = book.find_toc([Line(l, n) for n, p in enumerate(pages, 1) for l in p.split("\n")])
    # A book's pages with a photo and a little text: the text is the photo's caption (a stamp or
    # a logo on a plan's page is not a photo with a caption).
    photos = {i for i in images - ocred if 0 < len(pages[i].strip()) < 600
              and (toc or re.search(r"^\s*(Ảnh|Hình)\s*\d*\s*[:.]", pages[i], re.MULTILINE))}
    lines = _strip_running_lines(pages, photos, ocred, [book.key(e.title) for e in toc])
    for ln in lines:
        if ln.page - 1 in photos and ln.text.strip():
            ln.kind = "caption"
    lines = book.mark_structure(lines)
    return LoadedFile(path=path, blocks=lines_to_blocks(lines), notes=notes)


def _has_images(page) -> bool:
    try:
        return len(page.images) > 0
    except Exception:
        return False


def _blank(page) -> bool:
    try:
        contents = page.get_contents()
        return contents is None or len(contents.get_data()) < 400
    except Exception:
        return False


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


def _strip_running_lines(pages: list[str], uncounted: set[int] = frozenset(), ocred: set[int] = frozenset(),
                         titles: list[str] = ()) -> list[Line]:
    """Drop page numbers and headers/footers repeated at the top or bottom of many pages.
    A book alternates its running headers (the book's title on one page, the part's on the
    next) and changes them with each part, so a line that is always the outermost one of its
    page, never appears inside the text and recurs every few pages counts too, unless it
    begins a title of the table of contents (`titles`, as book.key gives them: articles built
    on one pattern start alike; ingest.book drops headers that repeat a title). Photo pages
    (`uncounted`, 0-based) do not vote (captions repeat their openings); on scans (`ocred`) a
    header read with an OCR slip still matches."""
    def key(s: str) -> str:
        return re.sub(r"\d+", "#", s.strip().lower())

    split = [p.split("\n") for p in pages]
    edge, outer, inner = Counter(), Counter(), Counter()
    where: dict[str, list[int]] = {}
    sample: dict[str, str] = {}
    counted = [i for i in range(len(split)) if i not in uncounted]
    for i in counted:
        nonblank = [l for l in split[i] if l.strip()]
        for l in set(nonblank[:2] + nonblank[-2:]):
            edge[key(l)] += 1
        if nonblank:
            for l in {nonblank[0], nonblank[-1]}:
                outer[key(l)] += 1
                where.setdefault(key(l), []).append(i)
                sample.setdefault(key(l), l)
            for l in nonblank[1:-1]:
                inner[key(l)] += 1
    n_pages = len(counted)
    repeated = {k for k, n in edge.items() if n_pages >= 4 and n >= max(3, n_pages // 2)}

    def starts_title(k: str) -> bool:
        line = book.key(sample[k]).rstrip(".")
        return len(line) >= 10 and any(t.startswith(line) for t in titles)

    repeated |= {k for k, n in outer.items()
                 if n_pages >= 4 and n >= 3 and len(k) >= 8 and inner[k] <= n // 10
                 and n / (where[k][-1] - where[k][0] + 1) >= 0.15 and not starts_title(k)}
    out: list[Line] = []
    page_no = re.compile(r"^(?:-\s*)?(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*-)?$", re.IGNORECASE)
    for n, lines in enumerate(split, 1):
        idx = [i for i, l in enumerate(lines) if l.strip()]
        edges = set(idx[:2] + idx[-2:])
        for i, l in enumerate(lines):
            if i in edges and (key(l) in repeated or page_no.match(l.strip())
                               or (n - 1 in ocred and _near(key(l), repeated))):
                continue
            out.append(Line(l, n))
        out.append(Line("", n))
    return out


def _near(k: str, keys: set[str]) -> bool:
    from difflib import SequenceMatcher

    return len(k) >= 8 and any(SequenceMatcher(None, k, r).ratio() >= 0.85 for r in keys if abs(len(r) - len(k)) <= 8)


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
