"""The persistent index, written in generations so that readers never see half of one.

index_dir/
  CURRENT                  name of the live generation (replaced atomically)
  gen-<stamp>/             one complete index:
    manifest.json          model, dimension, documents (metadata, file hash, chunk ids)
    chunks.jsonl           chunks in index order
    embeddings.npy         one row per chunk
    docs/<doc_id>.txt      cleaned document text (chunk spans point into it)
    lexical-exact/, lexical-folded/   BM25 indexes (syllables or segmented words)
    stats.json             syllable frequencies and spellings (word weights, diacritic restoration)
    chroma/                the Chroma store (embedded mode; a server keeps collection hoidap-<stamp>)
    .pin                   readers hold a shared lock on it while they answer from the generation
An ingest builds a new generation beside the live one and flips CURRENT only when every
file is written, so a killed or failed ingest leaves the previous index as it was."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .lexical import LexicalIndex, vocabulary_stats
from .model import Chunk

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class IndexError_(Exception):
    """The index is missing, locked or incompatible; the message says what to do."""


PIN = ".pin"


class Pin:
    """A shared lock on one generation's pin file: while a reader holds it, clean-up leaves the
    generation alone. The kernel drops it when the process dies, so nothing can leak a pin."""

    def __init__(self, gen: Path) -> None:
        self.gen = gen
        self._handle = open(gen / PIN, "rb")  # FileNotFoundError: the generation is gone
        try:
            fcntl.flock(self._handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # being deleted right now
            self._handle.close()
            raise FileNotFoundError(gen) from None

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


@dataclass
class Manifest:
    generation: str
    model: str
    dim: int
    created: float
    documents: dict[str, dict] = field(default_factory=dict)
    chroma_collection: str = "chunks"
    lexical_scheme: str = "syllables"

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


def chroma_client(url: str | None, path: Path | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(host=parsed.hostname, port=parsed.port or 8000, ssl=parsed.scheme == "https", settings=settings)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def get_collection(client, name: str, create: bool = False):
    # embedding_function=None: we always pass our own vectors; Chroma's default would
    # download an ONNX model.
    if create:
        return client.get_or_create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine"})
    return client.get_collection(name, embedding_function=None)


def index_text(chunk: Chunk, doc: dict) -> str:
    """What the embeddings and BM25 see: the passage with its document and heading context."""
    head = " · ".join(x for x in (doc.get("kind", ""), doc.get("issuer", ""), doc.get("number", "")) if x)
    body = f"{chunk.question}\n{chunk.text}" if chunk.question and chunk.question not in chunk.text else chunk.text
    return f"{head}\n{chunk.heading}\n{body}"


class IndexStore:
    def __init__(self, index_dir: Path, chroma_url: str | None = None) -> None:
        self.dir = Path(index_dir)
        self.chroma_url = chroma_url

    # --- reading -------------------------------------------------------------------------
    def current(self) -> Path | None:
        pointer = self.dir / "CURRENT"
        if not pointer.exists():
            return None
        gen = self.dir / pointer.read_text().strip()
        return gen if (gen / "manifest.json").exists() else None

    def require_current(self) -> Path:
        gen = self.current()
        if gen is None:
            raise IndexError_(f"no index at {self.dir}; run `hoidap ingest` first")
        return gen

    def pin_current(self, attempts: int = 50) -> Pin:
        """Pin the live generation. Retries when an ingest switches generations and removes
        the old one between reading CURRENT and taking the pin."""
        for _ in range(attempts):
            gen = self.require_current()
            try:
                pin = Pin(gen)
            except FileNotFoundError:
                time.sleep(0.05)
                continue
            if (gen / "manifest.json").exists():
                return pin
            pin.release()
        raise IndexError_(f"the index at {self.dir} keeps changing; try again")

    def manifest(self, gen: Path | None = None) -> Manifest:
        gen = gen or self.require_current()
        return Manifest(**json.loads((gen / "manifest.json").read_text()))

    @staticmethod
    def chunks(gen: Path) -> list[Chunk]:
        with open(gen / "chunks.jsonl", encoding="utf-8") as f:
            return [Chunk.from_dict(json.loads(line)) for line in f]

    @staticmethod
    def embeddings(gen: Path) -> np.ndarray:
        return np.load(gen / "embeddings.npy")

    def collection(self, gen: Path, manifest: Manifest):
        """(client, collection); close the client when done with the generation."""
        client = chroma_client(self.chroma_url, None if self.chroma_url else gen / "chroma")
        return client, get_collection(client, manifest.chroma_collection)

    # --- writing -------------------------------------------------------------------------
    @contextmanager
    def lock(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexError_(f"another ingest is writing {self.dir}; wait for it to finish") from None
            yield

    def write_generation(self, model: str, dim: int, documents: dict[str, dict], chunks: list[Chunk],
                         vectors: np.ndarray, doc_texts: dict[str, str], texts_for_index: list[str],
                         lexical_scheme: str = "syllables") -> Path:
        """Write a complete generation, then make it the live one."""
        stamp = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        gen = self.dir / f"gen-{stamp}"
        tmp = self.dir / f".building-{stamp}"
        tmp.mkdir(parents=True)
        manifest = Manifest(generation=gen.name, model=model, dim=dim, created=time.time(), documents=documents,
                            chroma_collection=f"hoidap-{stamp}" if self.chroma_url else "chunks", lexical_scheme=lexical_scheme)
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "embeddings.npy", vectors.astype(np.float32))
        (tmp / "docs").mkdir()
        for doc_id, text in doc_texts.items():
            (tmp / "docs" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        for form in ("exact", "folded"):
            LexicalIndex.build(texts_for_index, form, lexical_scheme).save(tmp / f"lexical-{form}")
        (tmp / "stats.json").write_text(json.dumps(vocabulary_stats(texts_for_index), ensure_ascii=False))
        self._write_vectors(tmp, manifest, chunks, vectors)
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        (tmp / PIN).touch()
        _fsync_tree(tmp)
        os.rename(tmp, gen)
        pointer_tmp = self.dir / "CURRENT.tmp"
        pointer_tmp.write_text(gen.name)
        with open(pointer_tmp) as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, self.dir / "CURRENT")
        self.collect_garbage()
        return gen

    def _write_vectors(self, gen_dir: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray) -> None:
        from llama_index.core.schema import TextNode
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = chroma_client(self.chroma_url, None if self.chroma_url else gen_dir / "chroma")
        collection = get_collection(client, manifest.chroma_collection, create=True)
        store = ChromaVectorStore(chroma_collection=collection)
        # Chroma holds the vectors; the text lives once, in chunks.jsonl (storing it again in
        # Chroma tripled the size of a 100k-chunk index).
        nodes = [TextNode(id_=c.chunk_id, text="", embedding=v.tolist(), metadata={"doc_id": c.doc_id, "kind": c.kind})
                 for c, v in zip(chunks, vectors)]
        for start in range(0, len(nodes), 4000):
            store.add(nodes[start:start + 4000])
        # Let go of the embedded store's files before its folder is renamed into place; only
        # this client's system is stopped (a server process keeps answering from its own).
        client.close()

    def collect_garbage(self) -> None:
        """Remove generations other than the live one that no reader has pinned, and
        unfinished builds. Call it with the ingest lock held (a build may be in progress)."""
        live = self.current()
        for path in self.dir.iterdir():
            if path == live or not path.is_dir():
                continue
            if path.name.startswith(".building-") or path.name.startswith(".deleting-"):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith("gen-"):
                self._remove_generation(path)

    def _remove_generation(self, gen: Path) -> None:
        try:
            handle = open(gen / PIN, "rb")
        except FileNotFoundError:
            handle = None  # a generation from before pins existed
        try:
            if handle is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return  # a reader still answers from it; the next clean-up takes it
            # Out of readers' sight first, then delete.
            doomed = gen.with_name(".deleting-" + gen.name)
            os.rename(gen, doomed)
        finally:
            if handle is not None:
                handle.close()
        if self.chroma_url:
            try:
                chroma_client(self.chroma_url, None).delete_collection(f"hoidap-{gen.name[4:]}")
            except Exception:
                pass  # already gone
        shutil.rmtree(doomed, ignore_errors=True)

    def try_collect_garbage(self) -> None:
        """Clean-up from a reader that just let go of a generation: only when no ingest runs,
        and never an error (read-only storage, another process racing)."""
        try:
            with self.lock():
                self.collect_garbage()
        except (IndexError_, OSError):
            pass


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as f:
                os.fsync(f.fileno())
