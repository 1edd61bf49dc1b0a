"""Document metadata: a sidecar `<file>.meta.json` when one exists, otherwise what the
document's own first lines say (kind, number, date, place).

Sidecars are validated against `Sidecar` field by field: a field of the wrong type is named
(file and field) and left out, so the document's own value is used instead; the document is
still ingested. Unchecked values used to abort the ingest or crash `hoidap docs` later."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hoidap.model import Block, DocMeta

from .book import PART_LEVEL
from .clean import is_caps

META_SUFFIX = ".meta.json"
_ISSUER = re.compile(r"^(BAN|ĐẢNG ỦY|ĐẢNG BỘ|TỈNH ỦY|THÀNH ỦY|HUYỆN ỦY|THỊ ỦY|ỦY BAN|SỞ|BỘ|VĂN PHÒNG|HỘI ĐỒNG)\b")
_PUBLISHER = re.compile(r"^(NHÀ XUẤT BẢN|NXB)\b", re.IGNORECASE)
_KINDS = ("Kế hoạch", "Hướng dẫn", "Chỉ thị", "Nghị quyết", "Kết luận", "Thông báo", "Báo cáo", "Công văn", "Quyết định", "Tài liệu")


def slug(text: str) -> str:
    from hoidap.textnorm import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "doc"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


MAX_SIDECAR_BYTES = 256 * 1024
_Text = Field(default=None, max_length=2000)


class Sidecar(BaseModel):
    """The fields a sidecar may set. Strict types: a number where text belongs is reported,
    not silently turned into text."""
    model_config = ConfigDict(extra="ignore", strict=True)

    title: str | None = _Text
    issuer: str | None = _Text
    number: str | None = _Text
    date: str | None = _Text
    kind: str | None = _Text
    signed_by: str | None = _Text
    aliases: list[str] | None = Field(default=None, max_length=100)


@dataclass
class SidecarRead:
    """The valid fields of a sidecar and what was wrong with the rest."""
    fields: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "<file>: field 'issuer': …"


def read_sidecar(path: Path) -> SidecarRead:
    side = sidecar(path)
    if not side.exists():
        return SidecarRead()
    try:
        if side.stat().st_size > MAX_SIDECAR_BYTES:
            return SidecarRead(problems=[f"{side.name}: larger than {MAX_SIDECAR_BYTES // 1024} KB; ignored"])
        data = json.loads(side.read_text(encoding="utf-8"))
    except OSError as e:
        return SidecarRead(problems=[f"{side.name}: cannot be read ({e.strerror}); ignored"])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        where = f" (line {e.lineno}: {e.msg})" if isinstance(e, json.JSONDecodeError) else " (not UTF-8)"
        return SidecarRead(problems=[f"{side.name}: not valid JSON{where}; ignored"])
    if not isinstance(data, dict):
        return SidecarRead(problems=[f"{side.name}: expected a JSON object with fields such as \"title\", "
                                     f"got {type(data).__name__}; ignored"])
    return validate_sidecar(side.name, data)


def validate_sidecar(name: str, data: dict) -> SidecarRead:
    """Keep the fields that pass the schema; name each one that does not."""
    problems: list[str] = []
    unknown = sorted(k for k in data if k not in Sidecar.model_fields)
    if unknown:
        problems.append(f"{name}: unknown field{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(repr(k) for k in unknown)} ignored")
    candidate = {k: v for k, v in data.items() if k in Sidecar.model_fields}
    try:
        valid = Sidecar.model_validate(candidate)
    except ValidationError as e:
        bad: set[str] = set()
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            if key not in bad:
                bad.add(key)
                problems.append(f"{name}: field {key!r}: {err['msg']} (got {_shown(candidate.get(key))}); "
                                f"using what the document says")
        valid = Sidecar.model_validate({k: v for k, v in candidate.items() if k not in bad})
    return SidecarRead(fields=valid.model_dump(exclude_none=True), problems=problems)


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def derive(blocks: list[Block]) -> dict:
    """Best-effort metadata from the opening of a document."""
    head = [b.text for b in blocks[:12] if b.text]
    text = "\n".join(head)
    out: dict = {}
    for kind in _KINDS:
        if re.search(rf"^\s*{kind.upper()}\b", text, re.MULTILINE) or re.search(rf"^\s*{kind}\b", text, re.MULTILINE):
            out["kind"] = kind
            break
    m = re.search(r"Số\s*:?\s*([\w/.\-]*\d[\w/.\-]*)", text)
    if m:
        out["number"] = m.group(1)
    m = re.search(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text)
    if m:
        out["date"] = f"{int(m.group(1)):02d}/{int(m.group(2)):02d}/{m.group(3)}"
    for t in head:
        if out.get("kind") and t.upper().startswith(out["kind"].upper()) and len(t) > len(out["kind"]) + 5:
            out["title"] = t
            break
    if "title" not in out and head:
        out["title"] = next((t for t in head if len(t) > 25), head[0])[:200]
    out["title"] = _whole_caps_title(out["title"], head)
    issuers = []
    for t in head[:4]:  # a cover: the issuing bodies on top, in capitals
        if not (is_caps(t) and _ISSUER.match(t)):
            break
        issuers.append(t)
    if issuers and not any(t == out.get("title") for t in issuers):
        out.setdefault("issuer", " - ".join(issuers))
    if re.search(r"\bHỎI\s*-?\s*ĐÁP\b", out.get("title", ""), re.IGNORECASE):
        out["aliases"] = ["hỏi - đáp", "hỏi đáp"]  # "theo tài liệu hỏi - đáp, …" names the booklet
    if any(b.kind == "heading" and b.level == PART_LEVEL for b in blocks):
        out.setdefault("kind", "Sách")  # a book in parts (see ingest.book)
    return out


def _whole_caps_title(title: str, head: list[str]) -> str:
    """A title in capitals printed over several lines (a cover) is read whole."""
    if title not in head or not is_caps(title):
        return title
    parts = [title]
    for t in head[head.index(title) + 1:]:
        if not is_caps(t) or _PUBLISHER.match(t) or sum(map(len, parts)) + len(t) > 300:
            break
        parts.append(t)
    return " ".join(parts)


def build_meta(doc_id: str, source: str, file_hash: str, blocks: list[Block], path: Path) -> tuple[DocMeta, list[str]]:
    """The document's metadata and the problems found in its sidecar (if any)."""
    side = read_sidecar(path)
    fields = {**derive(blocks), **side.fields}
    known = {k: v for k, v in fields.items() if k in DocMeta.__dataclass_fields__ and k not in ("doc_id", "source", "file_hash")}
    meta = DocMeta(doc_id=doc_id, source=source, file_hash=file_hash, **known)
    if not meta.title:
        meta.title = path.stem
    return meta, side.problems
