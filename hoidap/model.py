"""Plain data passed between the ingest stages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Block:
    """One unit of a document in reading order, as a loader or the cleaner sees it."""
    text: str
    kind: str = "para"  # para | heading | row | footnote | qa
    page: int | None = None
    level: int | None = None  # heading level when the format states it (docx, html, md; a book's parts and articles)
    fields: dict[str, str] = field(default_factory=dict)  # table cells by header; qa question/answer
    page_end: int | None = None  # last page the block runs onto (PDF), when it leaves its first page
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where a new page starts


@dataclass
class LoadedFile:
    path: Path
    blocks: list[Block]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)  # non-fatal remarks, e.g. pages without text


@dataclass
class DocMeta:
    doc_id: str
    source: str
    title: str = ""
    issuer: str = ""
    number: str = ""
    date: str = ""
    kind: str = ""
    signed_by: str = ""
    aliases: list[str] = field(default_factory=list)
    file_hash: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


PATH_SEP = " › "  # joins a chunk's heading path ("II. NỘI DUNG › 1. Những nội dung cốt lõi")


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    heading: str
    kind: str = "text"  # text | row | footnote | qa | signature | caption
    page: int | None = None  # the page the chunk starts on (PDF)
    span: tuple[int, int] = (0, 0)
    content_hash: str = ""
    question: str = ""  # for Q&A pairs: the booklet's own question
    dup_group: str = ""  # chunks repeating the same passage across documents share it
    page_end: int | None = None  # the page it ends on (= page for a chunk on one page)

    @property
    def leaf_heading(self) -> str:
        """The last heading of its path (its own sub-heading), without a shortening "…"."""
        return self.heading.rsplit("›", 1)[-1].strip().rstrip("…")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["span"] = list(self.span)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}  # older and newer chunks.jsonl alike
        d["span"] = tuple(d.get("span", (0, 0)))
        return cls(**d)
