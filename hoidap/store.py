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
  .building-<stamp>/       a generation being written (removed when the write fails, or by the
                           next ingest or reader when the writer was killed)
An ingest builds a new generation beside the live one and flips CURRENT only when every
file is written, so a killed or failed ingest leaves the previous index as it was.

Format versions (manifest "format"): 1 had no such field; 2 adds it and "files", the size of
every data file, so that a truncated or missing file is found when the generation is opened.
Format 1 indexes hold the same files and are read as they are (checked for presence only);
a newer format than FORMAT_VERSION is refused with what to do.

Answering never writes into a generation: in embedded mode dense search reads embeddings.npy
(memory-mapped; see rag/index.py), so an index on read-only storage can be served by
several app servers at once."""
from __future__ import annotations

import errno
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
from .textnorm import TEXT_NORM_VERSION

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


FORMAT_VERSION = 2


class IndexError_(Exception):
    """The index is missing, locked or incompatible; the message says what to do."""


class IndexDamaged(IndexError_):
    """A generation with a missing, truncated or unreadable part. `ingest` repairs it."""

    def __init__(self, index_dir: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"the index at {index_dir} is damaged: {'; '.join(problems)}. Run `hoidap ingest` to repair it "
            f"(what can be reused is kept, the rest is read again from the source files), "
            f"or `hoidap ingest --rebuild` to start from an empty index")


class IndexFormatError(IndexError_):
    """A generation written by a newer version of the format."""


class IndexWriteError(IndexError_):
    """A generation could not be written (disk full, read-only storage); the previous one is live."""


PIN = ".pin"


def _pin_target(gen: Path) -> Path:
    """What readers lock: the generation's .pin, or the folder itself for a generation written
    before pins existed (flock works on a directory too). Readers and clean-up agree on it
    because .pin never appears or disappears in a live generation."""
    pin = gen / PIN
    return pin if pin.exists() else gen


class Pin:
    """A shared lock on one generation: while a reader holds it, clean-up leaves the
    generation alone. The kernel drops it when the process dies, so nothing can leak a pin.
    Taking it writes nothing, so it works on read-only storage."""

    def __init__(self, gen: Path) -> None:
        self.gen = gen
        self._fd: int | None = os.open(_pin_target(gen), os.O_RDONLY)  # FileNotFoundError: the generation is gone
        try:
            fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # being deleted right now
            os.close(self._fd)
            self._fd = None
            raise FileNotFoundError(gen) from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


@dataclass
class Manifest:
    generation: str
    model: str
    dim: int
    created: float
    documents: dict[str, dict] = field(default_factory=dict)
    chroma_collection: str = "chunks"
    lexical_scheme: str = "syllables"
    format: int = 1  # absent in format 1 manifests
    files: dict[str, int] = field(default_factory=dict)  # path in the generation → size in bytes (format ≥ 2)
    text_norm: int = 1  # textnorm.TEXT_NORM_VERSION the lexical parts were tokenised with (absent: 1)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


# Document metadata as the interfaces read it: text fields are strings, `chunks` a count.
# Older ingests copied sidecar values unchecked (a number as the issuer), which crashed
# `hoidap docs` and `hoidap ask`; they are read as text.
_DOC_TEXT_FIELDS = ("doc_id", "source", "title", "issuer", "number", "date", "kind", "signed_by", "file_hash",
                    "source_path", "encoding")


def _clean_document(doc_id: str, doc: dict) -> dict:
    doc = dict(doc)
    for key in _DOC_TEXT_FIELDS:
        value = doc.get(key, "")
        doc[key] = value if isinstance(value, str) else ("" if value is None else str(value))
    doc["doc_id"] = doc["doc_id"] or doc_id
    aliases = doc.get("aliases") or []
    doc["aliases"] = [str(a) for a in aliases] if isinstance(aliases, list) else [str(aliases)]
    try:
        doc["chunks"] = int(doc.get("chunks", 0))
    except (TypeError, ValueError):
        doc["chunks"] = 0
    return doc


def read_manifest(gen: Path, index_dir: Path | None = None) -> Manifest:
    """The generation's manifest, checked: a clear IndexDamaged / IndexFormatError instead of
    a JSON or type error deep inside a reader."""
    index_dir = index_dir or gen.parent
    where = f"{gen.name}/manifest.json"
    try:
        data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexDamaged(index_dir, [f"{where} is missing"]) from None
    except (ValueError, UnicodeDecodeError):
        raise IndexDamaged(index_dir, [f"{where} is truncated or not valid JSON"]) from None
    if not isinstance(data, dict):
        raise IndexDamaged(index_dir, [f"{where} does not hold a manifest"])
    version = data.get("format", 1)
    if not isinstance(version, int) or version < 1:
        raise IndexDamaged(index_dir, [f"{where} has an invalid format version {version!r}"])
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"the index at {index_dir} was written in format {version} by a newer version of hoidap; this version "
            f"reads formats 1 to {FORMAT_VERSION}. Upgrade hoidap, or rebuild the index with `hoidap ingest --rebuild`")
    known = {k: v for k, v in data.items() if k in Manifest.__dataclass_fields__}
    try:
        manifest = Manifest(**known)
    except TypeError as e:  # a required field is missing
        raise IndexDamaged(index_dir, [f"{where} is incomplete ({e})"]) from None
    bad = [name for name, kind in (("model", str), ("dim", int), ("documents", dict), ("files", dict))
           if not isinstance(getattr(manifest, name), kind)]
    if bad or not all(isinstance(d, dict) for d in manifest.documents.values()):
        raise IndexDamaged(index_dir, [f"{where} has invalid fields ({', '.join(bad) or 'documents'})"])
    manifest.documents = {doc_id: _clean_document(doc_id, d) for doc_id, d in manifest.documents.items()}
    return manifest


# The parts of a generation; chroma/ only in embedded mode (a server keeps the vectors).
_PARTS = ("chunks.jsonl", "embeddings.npy", "stats.json", "lexical-exact", "lexical-folded")


def generation_problems(gen: Path, manifest: Manifest, embedded: bool = True) -> list[str]:
    """What is missing or truncated in a generation, from its manifest (cheap: stat calls).
    Answering does not read chroma/, so readers pass `embedded=False`; an ingest checks it
    too, to rewrite a generation that lost it."""
    parts = list(_PARTS) + [f"docs/{doc_id}.txt" for doc_id in manifest.documents]
    if embedded and manifest.chroma_collection == "chunks":
        parts.append("chroma")
    missing = [part for part in parts if not (gen / part).exists()]
    problems = [f"{gen.name}/{part} is missing" for part in missing]
    for rel, size in manifest.files.items():  # format 2: sizes catch truncated files
        path = gen / rel
        if any(rel == m or rel.startswith(m + "/") for m in missing):
            continue  # already reported with its folder
        if not path.exists():
            problems.append(f"{gen.name}/{rel} is missing")
        elif path.stat().st_size != size:
            problems.append(f"{gen.name}/{rel} is truncated or changed ({path.stat().st_size} bytes, expected {size})")
    return problems


def _data_files(gen: Path) -> dict[str, int]:
    """Sizes of the files a reader relies on (chroma/ is Chroma's own business; .pin is empty)."""
    out: dict[str, int] = {}
    for path in sorted(gen.rglob("*")):
        rel = path.relative_to(gen).as_posix()
        if path.is_file() and rel != PIN and not rel.startswith("chroma/") and rel != "manifest.json":
            out[rel] = path.stat().st_size
    return out


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
    context, question, text = index_text_parts(chunk, doc)
    return f"{context}\n{question}\n{text}" if question else f"{context}\n{text}"


def index_text_parts(chunk: Chunk, doc: dict) -> tuple[str, str, str]:
    """`index_text` in its three parts: the document line and heading, the Q&A question when the
    text does not repeat it (else ""), the passage's text."""
    head = " · ".join(x for x in (doc.get("kind", ""), doc.get("issuer", ""), doc.get("number", "")) if x)
    question = chunk.question if chunk.question and chunk.question not in chunk.text else ""
    return f"{head}\n{chunk.heading}", question, chunk.text


class IndexStore:
    def __init__(self, index_dir: Path, chroma_url: str | None = None) -> None:
        self.dir = Path(index_dir)
        self.chroma_url = chroma_url

    # --- reading -------------------------------------------------------------------------
    def _pointer(self) -> str | None:
        """The generation name CURRENT holds, or None when there is no (usable) CURRENT."""
        try:
            name = (self.dir / "CURRENT").read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
            return None
        return name if name.startswith("gen-") and "/" not in name else None

    def current(self) -> Path | None:
        """The generation CURRENT names (it may be missing or damaged: readers check)."""
        name = self._pointer()
        return self.dir / name if name else None

    def require_current(self) -> Path:
        gen = self.current()
        if gen is None:
            raise IndexError_(f"no index at {self.dir}; run `hoidap ingest` first")
        return gen

    def pin_current(self, attempts: int = 50) -> Pin:
        """Pin the live generation. Retries when an ingest switches generations and removes
        the old one between reading CURRENT and taking the pin; a CURRENT that keeps naming
        a generation that is not there is damage, not a race."""
        missing_twice = None
        for _ in range(attempts):
            gen = self.require_current()
            try:
                pin = Pin(gen)
            except FileNotFoundError:
                if missing_twice == gen.name:
                    raise IndexDamaged(self.dir, [f"CURRENT names {gen.name}, which is missing"]) from None
                missing_twice = gen.name
                time.sleep(0.05)
                continue
            if (gen / "manifest.json").exists():
                return pin
            pin.release()
            if gen.exists():  # pinned and in place, yet without a manifest: not a switch in progress
                raise IndexDamaged(self.dir, [f"{gen.name}/manifest.json is missing"])
        raise IndexError_(f"the index at {self.dir} keeps changing; try again")

    def manifest(self, gen: Path | None = None) -> Manifest:
        return read_manifest(gen or self.require_current(), self.dir)

    @staticmethod
    def chunks(gen: Path) -> list[Chunk]:
        try:
            with open(gen / "chunks.jsonl", encoding="utf-8") as f:
                return [Chunk.from_dict(json.loads(line)) for line in f]
        except FileNotFoundError:
            raise IndexDamaged(gen.parent, [f"{gen.name}/chunks.jsonl is missing"]) from None
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise IndexDamaged(gen.parent, [f"{gen.name}/chunks.jsonl is truncated or not valid"]) from None

    @staticmethod
    def embeddings(gen: Path, mmap: bool = False) -> np.ndarray:
        """One row per chunk; `mmap=True` maps the file read-only (shared between processes)."""
        try:
            matrix = np.load(gen / "embeddings.npy", mmap_mode="r" if mmap else None)
        except FileNotFoundError:
            raise IndexDamaged(gen.parent, [f"{gen.name}/embeddings.npy is missing"]) from None
        except (ValueError, OSError, EOFError):
            raise IndexDamaged(gen.parent, [f"{gen.name}/embeddings.npy is truncated or not valid"]) from None
        if matrix.ndim != 2:
            raise IndexDamaged(gen.parent, [f"{gen.name}/embeddings.npy is not a matrix"])
        return matrix

    def collection(self, gen: Path, manifest: Manifest):
        """(client, collection); close the client when done with the generation."""
        client = chroma_client(self.chroma_url, None if self.chroma_url else gen / "chroma")
        return client, get_collection(client, manifest.chroma_collection)

    # --- writing -------------------------------------------------------------------------
    @contextmanager
    def lock(self, wait_s: float = 0.0):
        """The ingest lock (exclusive). `wait_s`: how long to wait for it — readers take it for a
        moment to clean up leftovers, so an ingest waits a little rather than failing on them."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.dir / ".lock", "a")
        except OSError as e:
            raise IndexWriteError(
                f"cannot write to the index folder {self.dir} ({e.strerror}); an index on read-only storage can be "
                f"answered from but not changed: ingest where it is writable, then copy it") from None
        with handle:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexError_(f"another ingest is writing {self.dir}; wait for it to finish") from None
                    time.sleep(0.05)
            yield

    def write_generation(self, model: str, dim: int, documents: dict[str, dict], chunks: list[Chunk],
                         vectors: np.ndarray, doc_texts: dict[str, str], texts_for_index: list[str],
                         lexical_scheme: str = "syllables", prepare=None) -> Path:
        """Write a complete generation, then make it the live one. On failure (a full disk)
        nothing of it is left behind and the previous generation stays live. `prepare(folder)`
        adds derived parts to the finished generation before it goes live (the query structures:
        rag.prepare_folder), so that no reader ever opens it without them."""
        stamp = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        gen = self.dir / f"gen-{stamp}"
        tmp = self.dir / f".building-{stamp}"
        manifest = Manifest(generation=gen.name, model=model, dim=dim, created=time.time(), documents=documents,
                            chroma_collection=f"hoidap-{stamp}" if self.chroma_url else "chunks",
                            lexical_scheme=lexical_scheme, format=FORMAT_VERSION, text_norm=TEXT_NORM_VERSION)
        try:
            tmp.mkdir(parents=True)
            self._write_parts(tmp, manifest, chunks, vectors, doc_texts, texts_for_index)
            if prepare is not None:
                prepare(tmp)
            os.rename(tmp, gen)
            self._point_to(gen)
        except BaseException as e:  # Ctrl-C too: leave nothing half-written behind
            # Measured before the clean-up frees the space: numpy reports a full disk as a short
            # write ("4272 requested and 2016 written") without an errno.
            full = _out_of_space(e) or (isinstance(e, OSError) and e.errno is None and _free_bytes(self.dir) < 2**20)
            self._abandon(tmp, gen, manifest)
            error = self._write_error(e, full) if isinstance(e, Exception) else None
            if error is not None:
                raise error from e
            raise
        self.collect_garbage()
        return gen

    def _write_parts(self, tmp: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray,
                     doc_texts: dict[str, str], texts_for_index: list[str]) -> None:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "embeddings.npy", vectors.astype(np.float32))
        (tmp / "docs").mkdir()
        for doc_id, text in doc_texts.items():
            (tmp / "docs" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        for form in ("exact", "folded"):
            LexicalIndex.build(texts_for_index, form, manifest.lexical_scheme).save(tmp / f"lexical-{form}")
        (tmp / "stats.json").write_text(json.dumps(vocabulary_stats(texts_for_index), ensure_ascii=False))
        self._write_vectors(tmp, manifest, chunks, vectors)
        manifest.files = _data_files(tmp)
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        (tmp / PIN).touch()
        _fsync_tree(tmp)

    def _point_to(self, gen: Path) -> None:
        pointer_tmp = self.dir / "CURRENT.tmp"
        pointer_tmp.write_text(gen.name)
        with open(pointer_tmp) as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, self.dir / "CURRENT")

    def _abandon(self, tmp: Path, gen: Path, manifest: Manifest) -> None:
        """Remove what a failed write left: the build folder, and the new generation unless
        CURRENT already names it (then it is complete and live)."""
        shutil.rmtree(tmp, ignore_errors=True)
        if self._pointer() != gen.name:
            shutil.rmtree(gen, ignore_errors=True)
            if self.chroma_url:
                try:
                    chroma_client(self.chroma_url, None).delete_collection(manifest.chroma_collection)
                except Exception:
                    pass  # never created, or the server is what failed
        try:
            (self.dir / "CURRENT.tmp").unlink(missing_ok=True)
        except OSError:
            pass

    def _write_error(self, error: Exception, full: bool) -> IndexWriteError | None:
        """A clear message for the failures storage causes; None for anything else (a bug)."""
        if full:
            free = _free_bytes(self.dir)
            live = self.current()
            size = _tree_bytes(live) if live is not None and live.exists() else 0
            return IndexWriteError(
                f"no space left on the device holding {self.dir} ({_mb(free)} free) while writing a new index "
                f"generation; the unfinished generation was removed and the previous index is still live. An ingest "
                f"needs room for a second copy of the index while it writes (the current one takes {_mb(size)}): "
                f"free some space and run `hoidap ingest` again")
        if isinstance(error, OSError) and error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return IndexWriteError(f"cannot write the index at {self.dir} ({error.strerror}: {error.filename}); "
                                   f"the previous index is still live")
        return None

    def _write_vectors(self, gen_dir: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray) -> None:
        from llama_index.core.schema import TextNode
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = chroma_client(self.chroma_url, None if self.chroma_url else gen_dir / "chroma")
        try:
            collection = get_collection(client, manifest.chroma_collection, create=True)
            store = ChromaVectorStore(chroma_collection=collection)
            # Chroma holds the vectors; the text lives once, in chunks.jsonl (storing it again in
            # Chroma tripled the size of a 100k-chunk index).
            nodes = [TextNode(id_=c.chunk_id, text="", embedding=v.tolist(), metadata={"doc_id": c.doc_id, "kind": c.kind})
                     for c, v in zip(chunks, vectors)]
            for start in range(0, len(nodes), 4000):
                store.add(nodes[start:start + 4000])
        finally:
            # Let go of the embedded store's files before its folder is renamed into place (or
            # removed after a failure); only this client's system is stopped (a server process
            # keeps answering from its own).
            client.close()

    def collect_garbage(self) -> None:
        """Remove generations other than the live one that no reader has pinned, and
        unfinished builds. Call it with the ingest lock held (a build may be in progress).
        With CURRENT lost or naming a missing generation, generations are left alone: the
        next ingest recovers from the newest of them."""
        live = self.current()
        keep_generations = live is None or not live.is_dir()
        for path in self.dir.iterdir():
            if path == live or not path.is_dir():
                continue
            if path.name.startswith(".building-") or path.name.startswith(".deleting-"):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith("gen-") and not keep_generations:
                self._remove_generation(path)

    def _remove_generation(self, gen: Path) -> None:
        try:
            fd = os.open(_pin_target(gen), os.O_RDONLY)
        except FileNotFoundError:
            return  # removed meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a reader still answers from it; the next clean-up takes it
            # Out of readers' sight first, then delete.
            doomed = gen.with_name(".deleting-" + gen.name)
            os.rename(gen, doomed)
        finally:
            os.close(fd)
        if self.chroma_url:
            try:
                chroma_client(self.chroma_url, None).delete_collection(f"hoidap-{gen.name[4:]}")
            except Exception:
                pass  # already gone
        shutil.rmtree(doomed, ignore_errors=True)

    def try_collect_garbage(self) -> None:
        """Clean-up from a reader (at start, or after letting go of a generation): only when
        no ingest runs, and never an error (read-only storage, another process racing)."""
        try:
            with self.lock():
                self.collect_garbage()
        except (IndexError_, OSError):
            pass


def _out_of_space(error: BaseException) -> bool:
    """ENOSPC/EDQUOT anywhere in the chain, or SQLite's and Chroma's words for it."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(error).lower()
        if "no space left" in text or "disk is full" in text or "quota exceeded" in text:
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as f:
                os.fsync(f.fileno())
