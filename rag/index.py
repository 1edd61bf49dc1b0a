"""The live index generation, opened once per process for answering."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hoidap.embeddings import Embedder, LlamaIndexEmbedding, make_embedder
from hoidap.lexical import LexicalIndex, idf
from hoidap.model import Chunk
from hoidap.store import IndexError_, IndexStore, Manifest, Pin
from hoidap.settings import Settings

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
    retriever: object  # LlamaIndex VectorIndexRetriever over Chroma
    vector_index: object  # LlamaIndex VectorStoreIndex (for filtered retrievers)
    aliases: DocAliases
    groups: dict[str, list[Chunk]]  # near-duplicate group → its chunks
    pin: Pin | None = None  # keeps clean-up away from this generation while it is open
    chroma: object = None  # the Chroma client, closed with the index

    def close(self) -> None:
        """Let go of the generation: Chroma's files, then the pin."""
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


def open_index(settings: Settings) -> OpenIndex:
    store = IndexStore(settings.index_dir, settings.chroma_url)
    pin = store.pin_current()
    try:
        return _load(store, pin, settings)
    except BaseException:
        pin.release()
        raise


def _load(store: IndexStore, pin: Pin, settings: Settings) -> OpenIndex:
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    gen = pin.gen
    manifest = store.manifest(gen)
    embedder = make_embedder(settings.embed_backend, settings.embed_model)
    if manifest.model != embedder.name or manifest.dim != embedder.dim:
        raise IndexError_(
            f"the index was built with {manifest.model} (dim {manifest.dim}) but the configured model is "
            f"{embedder.name} (dim {embedder.dim}); set HOIDAP_EMBED_BACKEND/HOIDAP_EMBED_MODEL to match, "
            f"or re-ingest with --rebuild")
    chunks = store.chunks(gen)
    stats = json.loads((gen / "stats.json").read_text(encoding="utf-8"))
    client, collection = store.collection(gen, manifest)
    vector_store = ChromaVectorStore(chroma_collection=collection)
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


def _groups(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    groups: dict[str, list[Chunk]] = {}
    for c in chunks:
        if c.dup_group:
            groups.setdefault(c.dup_group, []).append(c)
    return groups
