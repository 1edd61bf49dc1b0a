"""The live index generation, opened once per process for answering.

Opening writes nothing into the index: the generation is pinned with a shared lock, checked
against its manifest, and in embedded mode dense search reads the generation's
embeddings.npy (memory-mapped) through `FrozenVectorStore` instead of opening the embedded
Chroma store, whose client rewrites its SQLite and HNSW files on every open and query. So an
index on read-only storage, or one folder shared by several app servers, can be answered
from. With a Chroma server (HOIDAP_CHROMA_URL) the vectors are queried on the server."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (BasePydanticVectorStore, FilterCondition, FilterOperator,
                                                  MetadataFilters, VectorStoreQuery, VectorStoreQueryResult)
from pydantic import PrivateAttr

from hoidap.embeddings import Embedder, LlamaIndexEmbedding, make_embedder
from hoidap.lexical import LexicalIndex, idf
from hoidap.model import Chunk
from hoidap.settings import Settings
from hoidap.store import IndexDamaged, IndexError_, IndexStore, Manifest, Pin, generation_problems

from .query import DocAliases


@dataclass
class OpenIndex:
    generation: Path
    manifest: Manifest
    chunks: list[Chunk]
    position: dict[str, int]  # chunk id → row
    lexical: dict[str, LexicalIndex]
    df: dict[str, int]
    restore: dict[str, str]  # accent-free syllable (pair) → its usual spelling in the corpus
    n_chunks: int
    embedder: Embedder
    retriever: object  # LlamaIndex VectorIndexRetriever (FrozenVectorStore, or Chroma on a server)
    vector_index: object  # LlamaIndex VectorStoreIndex (for filtered retrievers)
    aliases: DocAliases
    groups: dict[str, list[Chunk]]  # near-duplicate group → its chunks
    pin: Pin | None = None  # keeps clean-up away from this generation while it is open
    chroma: object = None  # the Chroma server client, closed with the index

    def close(self) -> None:
        """Let go of the generation: the Chroma client (server mode), then the pin."""
        if self.chroma is not None:
            self.chroma.close()
            self.chroma = None
        if self.pin is not None:
            self.pin.release()
            self.pin = None

    def idf(self, word: str) -> float:
        return idf(self.df, self.n_chunks, word)

    def doc(self, doc_id: str) -> dict:
        return self.manifest.documents[doc_id]

    def doc_rows(self, doc_id: str) -> range:
        """The rows of the document's passages (a generation writes each document's passages
        together): worked out once per open index, so callers need not scan every passage."""
        spans = self.__dict__.get("_doc_rows")
        if spans is None:
            spans = {}
            for row, c in enumerate(self.chunks):
                first, _ = spans.get(c.doc_id, (row, row))
                spans[c.doc_id] = (first, row + 1)
            self.__dict__["_doc_rows"] = spans
        first, end = spans.get(doc_id, (0, 0))
        return range(first, end)

    def doc_text(self, doc_id: str) -> str:
        """The document's cleaned text, which every passage's span points into."""
        return (self.generation / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")


class FrozenVectorStore(BasePydanticVectorStore):
    """Exact dense search over one generation's embeddings.npy, read-only.

    Scores are what LlamaIndex reports for a Chroma collection in cosine space,
    exp(-(1 - cos)), so the refusal threshold calibrated on Chroma holds. A linear scan is
    exact and measured at a few ms per question for 100k chunks (README, "Faults and limits")."""

    stores_text: bool = True  # results carry their nodes; the text itself lives in chunks.jsonl
    is_embedding_query: bool = True
    _vectors: np.ndarray = PrivateAttr()
    _norms: np.ndarray = PrivateAttr()
    _ids: list[str] = PrivateAttr()
    _fields: dict[str, tuple[np.ndarray, list[str]]] = PrivateAttr()  # field → (code per row, values)

    def __init__(self, vectors: np.ndarray, chunks: list[Chunk]) -> None:
        super().__init__()
        self._vectors = vectors
        norms = np.linalg.norm(vectors, axis=1) if len(vectors) else np.zeros(0, np.float32)
        self._norms = np.where(norms > 0, norms, 1.0).astype(np.float32)
        self._ids = [c.chunk_id for c in chunks]
        # Metadata stored with every vector in Chroma, for LlamaIndex metadata filters; as
        # integer codes so that a filter over 100k rows is one vectorised comparison.
        self._fields = {"doc_id": _encode([c.doc_id for c in chunks]), "kind": _encode([c.kind for c in chunks])}

    @property
    def client(self) -> Any:
        return None

    def add(self, nodes, **kwargs) -> list[str]:
        raise NotImplementedError("a generation is read-only; an ingest writes a new one")

    def delete(self, ref_doc_id: str, **kwargs) -> None:
        raise NotImplementedError("a generation is read-only; an ingest writes a new one")

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if not len(self._ids) or query.query_embedding is None:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        q = np.asarray(query.query_embedding, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        cosine = (self._vectors @ q) / self._norms
        allowed = self._allowed(query.filters)
        if allowed is not None:
            cosine = np.where(allowed, cosine, -np.inf)
        k = min(query.similarity_top_k, len(self._ids) if allowed is None else int(allowed.sum()))
        if k <= 0:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        top = np.argpartition(-cosine, k - 1)[:k]
        top = top[np.argsort(-cosine[top], kind="stable")]
        ids = [self._ids[i] for i in top]
        nodes = [TextNode(id_=self._ids[i], text="", metadata={name: values[codes[i]] for name, (codes, values) in
                                                                self._fields.items()})
                 for i in top]
        return VectorStoreQueryResult(nodes=nodes, ids=ids,
                                      similarities=[math.exp(-(1.0 - float(cosine[i]))) for i in top])

    def _allowed(self, filters: MetadataFilters | None) -> np.ndarray | None:
        """Rows passing LlamaIndex metadata filters (equality and IN on doc_id and kind, the
        filters retrieval uses)."""
        if not filters or not filters.filters:
            return None
        masks = []
        for f in filters.filters:
            if isinstance(f, MetadataFilters) or f.key not in self._fields:
                raise NotImplementedError(f"filter on {getattr(f, 'key', 'nested filters')} is not supported")
            codes, values = self._fields[f.key]
            wanted = [values.index(v) for v in (f.value if f.operator == FilterOperator.IN else [f.value])
                      if v in values]
            if f.operator in (FilterOperator.EQ, FilterOperator.IN):
                masks.append(np.isin(codes, wanted))
            elif f.operator == FilterOperator.NE:
                masks.append(~np.isin(codes, wanted))
            else:
                raise NotImplementedError(f"filter operator {f.operator} is not supported")
        combine = np.logical_or if filters.condition == FilterCondition.OR else np.logical_and
        out = masks[0]
        for m in masks[1:]:
            out = combine(out, m)
        return out


def _encode(column: list[str]) -> tuple[np.ndarray, list[str]]:
    values = sorted(set(column))
    code = {v: i for i, v in enumerate(values)}
    return np.fromiter((code[v] for v in column), dtype=np.int32, count=len(column)), values


def open_index(settings: Settings) -> OpenIndex:
    store = IndexStore(settings.index_dir, settings.chroma_url)
    # Leftovers of a killed or failed ingest (a build folder can keep a disk full) go at the
    # next start; skipped while an ingest runs and on read-only storage.
    store.try_collect_garbage()
    pin = store.pin_current()
    try:
        return _load(store, pin, settings)
    except IndexError_:
        pin.release()
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        # A part that passed the size check but cannot be read (a corrupt BM25 file).
        pin.release()
        raise IndexDamaged(store.dir, [f"{pin.gen.name} cannot be read ({e.__class__.__name__}: {e})"]) from e
    except BaseException:
        pin.release()
        raise


def open_generation(folder: Path, settings: Settings) -> OpenIndex:
    """One generation folder opened as it is (a finished build not live yet: see
    rag.prepare_folder), for the process that wrote it."""
    store = IndexStore(Path(folder).parent, settings.chroma_url)
    pin = Pin(Path(folder))
    try:
        return _load(store, pin, settings)
    except BaseException:
        pin.release()
        raise


def _load(store: IndexStore, pin: Pin, settings: Settings) -> OpenIndex:
    from llama_index.core import VectorStoreIndex

    gen = pin.gen
    manifest = store.manifest(gen)
    problems = generation_problems(gen, manifest, embedded=False)
    if problems:
        raise IndexDamaged(store.dir, problems)
    embedder = make_embedder(settings.embed_backend, settings.embed_model)
    if manifest.model != embedder.name or manifest.dim != embedder.dim:
        raise IndexError_(
            f"the index was built with {manifest.model} (dim {manifest.dim}) but the configured model is "
            f"{embedder.name} (dim {embedder.dim}); set HOIDAP_EMBED_BACKEND/HOIDAP_EMBED_MODEL to match, "
            f"or re-ingest with --rebuild")
    chunks = store.chunks(gen)
    if manifest.format == 1:
        _check_counts(store, gen, manifest, chunks)
    stats = json.loads((gen / "stats.json").read_text(encoding="utf-8"))
    client = None
    if settings.chroma_url:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client, collection = store.collection(gen, manifest)
        vector_store = ChromaVectorStore(chroma_collection=collection)
    else:
        vectors = store.embeddings(gen, mmap=True)
        if vectors.shape != (len(chunks), manifest.dim):
            raise IndexDamaged(store.dir, [f"{gen.name}/embeddings.npy has {vectors.shape[0]} rows of "
                                           f"{vectors.shape[1]}, expected {len(chunks)} of {manifest.dim}"])
        vector_store = FrozenVectorStore(vectors, chunks)
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=LlamaIndexEmbedding(embedder))
    return OpenIndex(
        generation=gen, manifest=manifest, chunks=chunks,
        position={c.chunk_id: i for i, c in enumerate(chunks)},
        lexical={form: LexicalIndex.load(gen / f"lexical-{form}") for form in ("exact", "folded")},
        df=stats["df"], restore=stats["restore"], n_chunks=stats["n"], embedder=embedder,
        retriever=index.as_retriever(similarity_top_k=min(40, max(1, len(chunks)))), vector_index=index,
        aliases=DocAliases.from_documents(manifest.documents),
        groups=_groups(chunks), pin=pin, chroma=client,
    )


def _check_counts(store: IndexStore, gen: Path, manifest: Manifest, chunks: list[Chunk]) -> None:
    """Format 1 generations have no file sizes to catch a truncated chunks.jsonl: every
    document's chunks are there, and no chunk of an unknown document."""
    expected = sum(int(d.get("chunks", 0)) for d in manifest.documents.values())
    strays = {c.doc_id for c in chunks} - set(manifest.documents)
    if len(chunks) != expected or strays:
        raise IndexDamaged(store.dir, [f"{gen.name}/chunks.jsonl holds {len(chunks)} chunks, the manifest "
                                       f"lists {expected}" + (f" (unknown documents: {', '.join(sorted(strays))})" if strays else "")])


def _groups(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    groups: dict[str, list[Chunk]] = {}
    for c in chunks:
        if c.dup_group:
            groups.setdefault(c.dup_group, []).append(c)
    return groups
