"""`hoidap ingest`: walk files, skip the unchanged ones, load and chunk the rest, embed the
new chunks, and write a new index generation."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hoidap.settings import Settings

from .dedupe import assign_groups
from hoidap.embeddings import make_embedder
from .loaders import SUPPORTED, LoadError, load
from .metadata import META_SUFFIX, build_meta, slug
from hoidap.model import Chunk
from hoidap.store import IndexError_, IndexStore, index_text
from .structure import chunk_blocks


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def file_hash(path: Path) -> str:
    h = hashlib.sha256(path.read_bytes())
    side = path.with_name(path.name + META_SUFFIX)
    if side.exists():
        h.update(side.read_bytes())  # new metadata re-ingests the document
    return h.hexdigest()


def display_source(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def collect_files(paths: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.endswith(META_SUFFIX)
                            and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.is_file():
            files.append(p)
        else:
            missing.append((str(p), "no such file or folder"))
    return files, missing


def ingest(paths: list[Path], settings: Settings, rebuild: bool = False, progress=None,
           drop: set[str] | None = None) -> IngestReport:
    """Bring the index in line with `paths`, leaving out the documents in `drop` (ids).
    `progress(n_done, n_total, name)` is optional."""
    started = time.perf_counter()
    report = IngestReport()
    store = IndexStore(settings.index_dir, settings.chroma_url)
    files, report.failed = collect_files(paths)
    roots = [p.resolve() for p in paths]
    with store.lock():
        embedder = make_embedder(settings.embed_backend, settings.embed_model)
        prev_gen = None if rebuild else store.current()
        manifest = None
        prev_docs: dict[str, dict] = {}
        prev_chunks: dict[str, list[Chunk]] = {}
        prev_vectors: dict[str, np.ndarray] = {}
        prev_texts: dict[str, str] = {}
        if prev_gen is not None:
            manifest = store.manifest(prev_gen)
            if manifest.model != embedder.name or manifest.dim != embedder.dim:
                raise IndexError_(
                    f"the index at {settings.index_dir} was built with {manifest.model} (dim {manifest.dim}), "
                    f"not {embedder.name} (dim {embedder.dim}); use --rebuild to re-embed everything with the new model")
            prev_docs = manifest.documents
            vectors = store.embeddings(prev_gen)
            for i, c in enumerate(store.chunks(prev_gen)):
                prev_chunks.setdefault(c.doc_id, []).append(c)
                prev_vectors.setdefault(c.doc_id, []).append(vectors[i])
            for doc_id in prev_docs:
                prev_texts[doc_id] = (prev_gen / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")

        by_source = {d["source_path"]: doc_id for doc_id, d in prev_docs.items()}
        docs: dict[str, dict] = {}
        chunks_by_doc: dict[str, list[Chunk]] = {}
        vectors_by_doc: dict[str, np.ndarray] = {}
        texts: dict[str, str] = {}
        seen_ids: set[str] = set()
        to_embed: list[str] = []

        def keep(doc_id: str) -> None:
            """Carry a document of the previous generation over as it was (no re-embedding)."""
            docs[doc_id], texts[doc_id] = prev_docs[doc_id], prev_texts[doc_id]
            chunks_by_doc[doc_id] = prev_chunks.get(doc_id, [])
            vectors_by_doc[doc_id] = np.array(prev_vectors.get(doc_id, []), dtype=np.float32).reshape(-1, embedder.dim)
            seen_ids.add(doc_id)
        for n, path in enumerate(files, 1):
            if progress:
                progress(n, len(files), path.name)
            source = display_source(path)
            resolved = str(path.resolve())
            if path.suffix.lower() not in SUPPORTED:
                report.failed.append((source, f"unsupported file type '{path.suffix or path.name}'"))
                continue
            digest = file_hash(path)
            old_id = by_source.get(resolved)
            if old_id and prev_docs[old_id]["file_hash"] == digest:
                keep(old_id)
                report.unchanged.append(source)
                continue
            try:
                loaded = load(path, settings.ocr_lang)
                doc_id = old_id or _unique_id(slug(path.stem), seen_ids | set(prev_docs))
                meta = build_meta(doc_id, source, digest, loaded.blocks, path)
            except (LoadError, ValueError) as e:
                report.failed.append((source, str(e)))
                if old_id:  # keep the last good version of a file that became unreadable
                    keep(old_id)
                continue
            except Exception as e:  # a parser bug on one odd file must not stop the others
                report.failed.append((source, f"could not read ({e.__class__.__name__}: {e})"))
                continue
            for note in loaded.notes:
                report.notes.append((source, note))
            text, chunks = chunk_blocks(doc_id, loaded.blocks, settings.chunk_chars)
            if not chunks:
                report.failed.append((source, "no text found"))
                continue
            seen_ids.add(doc_id)
            record = meta.to_dict() | {"source_path": resolved, "chunks": len(chunks),
                                       "encoding": loaded.encoding or "", "ingested": time.time()}
            docs[doc_id] = record
            chunks_by_doc[doc_id] = chunks
            texts[doc_id] = text
            to_embed.append(doc_id)
            (report.updated if old_id else report.added).append(source)

        for doc_id, d in prev_docs.items():
            if drop and doc_id in drop:
                docs.pop(doc_id, None), chunks_by_doc.pop(doc_id, None), texts.pop(doc_id, None)
                to_embed = [x for x in to_embed if x != doc_id]
                report.removed.append(d["source"])
                continue
            if doc_id in seen_ids:
                continue
            gone = not Path(d["source_path"]).exists()
            under_roots = any(Path(d["source_path"]) == r or r in Path(d["source_path"]).parents for r in roots)
            if gone or under_roots:
                report.removed.append(d["source"])
            else:  # from another folder, not part of this run
                keep(doc_id)

        report.chunks = sum(len(c) for c in chunks_by_doc.values())
        same_scheme = manifest is not None and manifest.lexical_scheme == settings.lexical_scheme
        if not report.changed and same_scheme:
            report.generation = prev_gen.name
            report.seconds = time.perf_counter() - started
            return report
        for doc_id in to_embed:
            batch = [index_text(c, docs[doc_id]) for c in chunks_by_doc[doc_id]]
            vectors_by_doc[doc_id] = _embed(embedder, batch, progress, docs[doc_id]["source"])
            report.embedded += len(batch)
        order = sorted(chunks_by_doc)
        all_chunks = [c for d in order for c in chunks_by_doc[d]]
        assign_groups(all_chunks)
        matrix = np.vstack([vectors_by_doc[d] for d in order]) if all_chunks else np.zeros((0, embedder.dim), np.float32)
        gen = store.write_generation(embedder.name, embedder.dim, docs, all_chunks, matrix, texts,
                                     [index_text(c, docs[c.doc_id]) for c in all_chunks], settings.lexical_scheme)
        report.generation = gen.name
    report.seconds = time.perf_counter() - started
    return report


def _embed(embedder, texts: list[str], progress, name: str) -> np.ndarray:
    out = []
    for start in range(0, len(texts), 64):
        out.append(embedder.passages(texts[start:start + 64]))
        if progress:
            progress(None, None, f"{name}: embedded {min(start + 64, len(texts))}/{len(texts)} chunks")
    return np.vstack(out) if out else np.zeros((0, embedder.dim), np.float32)


def _unique_id(base: str, taken: set[str]) -> str:
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}-{n}", n + 1
    return doc_id
