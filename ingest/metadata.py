"""Document metadata: a sidecar `<file>.meta.json` when one exists, otherwise what the
document's own first lines say (kind, number, date, place)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from hoidap.model import Block, DocMeta

META_SUFFIX = ".meta.json"
_KINDS = ("Kế hoạch", "Hướng dẫn", "Chỉ thị", "Nghị quyết", "Kết luận", "Thông báo", "Báo cáo", "Công văn", "Quyết định", "Tài liệu")


def slug(text: str) -> str:
    from hoidap.textnorm import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "doc"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def read_sidecar(path: Path) -> dict:
    side = sidecar(path)
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{side.name} is not valid JSON: {e.msg}") from None
    return data if isinstance(data, dict) else {}


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
    return out


def build_meta(doc_id: str, source: str, file_hash: str, blocks: list[Block], path: Path) -> DocMeta:
    fields = {**derive(blocks), **read_sidecar(path)}
    known = {k: v for k, v in fields.items() if k in DocMeta.__dataclass_fields__ and k not in ("doc_id", "source", "file_hash")}
    meta = DocMeta(doc_id=doc_id, source=source, file_hash=file_hash, **known)
    if not meta.title:
        meta.title = path.stem
    return meta
