"""`hoidap ingest`: walk files, skip the unchanged ones, load and chunk the rest, embed the
new chunks, and write a new index generation.

The steps, each a function below: collect the source files (`collect_sources`), read what
the live generation holds and can be reused (`read_previous`), take each file
(`take_file`), account for documents that are gone or dropped (`take_removals`), embed the
new chunks through the embedding cache (`embed_new`: cached passages are free, the others are
embedded batch by batch and cached at once, so a killed run resumes) and write the generation. Every fault of one file (unreadable, vanished, over a
limit, a bad sidecar) is named in the report and the others go on; a damaged live
generation is repaired from what can be reused plus the source files; an empty index is a
valid result."""
from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hoidap.embcache import FILE_NAME as CACHE_FILE
from hoidap.embcache import EmbeddingCache
from hoidap.embeddings import make_embedder
from hoidap.model import Chunk
from hoidap.settings import Settings
from hoidap.textnorm import TEXT_NORM_VERSION
from hoidap.store import IndexDamaged, IndexError_, IndexStore, Manifest, generation_problems, index_text

from .dedupe import assign_groups
from .loaders import SUPPORTED, Limits, LoadError, load
from .metadata import META_SUFFIX, build_meta, slug
from .structure import CHUNKER_VERSION, chunk_blocks


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason): not (re)ingested
    notes: list[tuple[str, str]] = field(default_factory=list)  # remarks that need no action
    warnings: list[tuple[str, str]] = field(default_factory=list)  # ingested, but something was wrong (a sidecar)
    repaired: list[str] = field(default_factory=list)  # damage found in the previous generation and mended
    chunks: int = 0
    embedded: int = 0  # passages given to the model in this run
    cached: int = 0  # passages whose vectors came from the embedding cache
    cache_pruned: int = 0  # cache entries no live passage uses, deleted (hoidap/embcache.py)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds: read (load, clean, chunk), embed, write
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


# --- collecting the source files ---------------------------------------------------------------

@dataclass
class Sources:
    """The files to ingest, each once, and what was skipped while looking for them."""
    files: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    _seen: dict[tuple[int, int], Path] = field(default_factory=dict)  # (device, inode) → first path

    def add(self, path: Path, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = path
            self.files.append(path)
            return
        # A symbolic (or hard) link to a file already taken: indexed once, under the file's
        # own name rather than the link's (its document id comes from the name).
        if first.is_symlink() and not path.is_symlink():
            self.files[self.files.index(first)] = self._seen[key] = path
            first, path = path, first
        self.notes.append((_shown(path), f"same file as {_shown(first)}; indexed once"))


def file_hash(path: Path) -> str:
    h = hashlib.sha256(path.read_bytes())
    side = path.with_name(path.name + META_SUFFIX)
    try:
        h.update(side.read_bytes())  # new metadata re-ingests the document
    except FileNotFoundError:
        pass
    except OSError:
        h.update(b"unreadable sidecar")  # reported when the metadata is read
    return h.hexdigest()


def display_source(path: Path) -> str:
    """How a document's file is named in reports and in the index: relative to the working
    folder when inside it, links resolved."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _shown(path: Path) -> str:
    """A path as the walk met it, links not resolved (for messages about links)."""
    try:
        return str(path.absolute().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.absolute())


def is_index_folder(folder: Path) -> bool:
    """A hoidap index (ours or another): never ingested as documents (its chunks.jsonl and
    docs/*.txt would come back as copies of every document)."""
    try:
        return (folder / "CURRENT").is_file() and any(folder.glob("gen-*"))
    except OSError:  # a folder we may not enter: reported by the walk
        return False


def collect_sources(paths: list[Path], index_dir: Path) -> Sources:
    """Walk the given files and folders (following links to folders, once each). Hidden
    entries and sidecars are left out; broken links, link loops, unreadable folders and the
    index folder itself are named."""
    out = Sources()
    index_real = Path(os.path.realpath(index_dir))
    for p in paths:
        shown = _shown(p)
        real = Path(os.path.realpath(p))
        if real == index_real or index_real in real.parents:
            out.failed.append((shown, f"inside the index folder {index_dir}; not ingested"))
            continue
        try:
            st = os.stat(p)
        except FileNotFoundError:
            reason = f"broken link to {os.readlink(p)}" if os.path.islink(p) else "no such file or folder"
            out.failed.append((shown, reason))
            continue
        except OSError as e:
            out.failed.append((shown, _os_reason(e)))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(p, out, index_real)
        elif stat.S_ISREG(st.st_mode):
            out.add(p, st)
        else:
            out.failed.append((shown, "not a regular file"))
    return out


def _walk(root: Path, out: Sources, index_real: Path) -> None:
    root_st = os.stat(root)
    stack: list[tuple[Path, frozenset]] = [(root, frozenset({(root_st.st_dev, root_st.st_ino)}))]
    while stack:
        folder, above = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            out.failed.append((_shown(folder), f"folder cannot be read ({e.strerror or e}); its files were skipped"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(META_SUFFIX):
                continue
            path = Path(entry.path)
            try:
                st = os.stat(path)  # follows links
            except FileNotFoundError:
                out.failed.append((_shown(path), f"broken link to {os.readlink(path)}"
                                   if entry.is_symlink() else "disappeared during the ingest"))
                continue
            except OSError as e:  # ELOOP: a link to itself; EACCES: a folder we may not enter
                out.failed.append((_shown(path), _os_reason(e)))
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in above:
                    out.notes.append((_shown(path), "link back to a folder above it (a loop); skipped"))
                elif Path(os.path.realpath(path)) == index_real or is_index_folder(path):
                    out.notes.append((_shown(path), "an index folder; skipped"))
                else:
                    subfolders.append((path, above | {key}))
            elif stat.S_ISREG(st.st_mode):
                out.add(path, st)
            else:
                out.notes.append((_shown(path), "not a regular file (a pipe, socket or device); skipped"))
        stack.extend(reversed(subfolders))  # depth first, in name order


def _os_reason(e: OSError) -> str:
    import errno

    if e.errno == errno.ELOOP:
        return "symbolic link loop; skipped"
    if isinstance(e, PermissionError):
        return "cannot be read (permission denied)"
    if isinstance(e, FileNotFoundError):
        return "disappeared during the ingest"
    return f"cannot be read ({e.strerror or e.__class__.__name__})"


# --- what the live generation holds ----------------------------------------------------------------

@dataclass
class Previous:
    """The live generation, as far as it can be reused. `damage` lists what was wrong with
    it; documents whose chunks, vectors or text are lost are re-read from their files."""
    gen: Path | None = None
    manifest: Manifest | None = None
    docs: dict[str, dict] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    damage: list[str] = field(default_factory=list)

    def reusable(self, doc_id: str) -> bool:
        return doc_id in self.chunks and doc_id in self.texts and doc_id in self.vectors

    def chunked_alike(self, doc_id: str) -> bool:
        """The document was chunked as this version chunks (else its file is read again)."""
        return self.docs.get(doc_id, {}).get("chunker", 1) == CHUNKER_VERSION


def read_previous(store: IndexStore, embedder, rebuild: bool) -> Previous:
    if rebuild:
        return Previous()
    gen, damage = store.current(), []
    if gen is None or not gen.is_dir():
        found = newest_generation(store)
        if found is not None:
            damage += [f"CURRENT names {gen.name}, which is missing" if gen else "CURRENT is missing or unreadable",
                       f"recovered from {found.name}"]
        elif gen is not None:
            damage.append(f"CURRENT names {gen.name}, which is missing")
        gen = found
    if gen is None:
        return Previous(damage=damage)
    try:
        manifest = store.manifest(gen)  # IndexFormatError (a newer format) is not ours to overwrite
    except IndexDamaged as e:
        return Previous(damage=damage + e.problems + ["documents from folders not ingested in this run are no longer indexed"])
    if manifest.model != embedder.name or manifest.dim != embedder.dim:
        raise IndexError_(
            f"the index at {store.dir} was built with {manifest.model} (dim {manifest.dim}), "
            f"not {embedder.name} (dim {embedder.dim}); use --rebuild to re-embed everything with the new model")
    prev = Previous(gen=gen, manifest=manifest, docs=manifest.documents,
                    damage=damage + generation_problems(gen, manifest, embedded=store.chroma_url is None))
    prev.damage += _unloadable_parts(gen) if not prev.damage else []
    try:
        chunks, vectors = store.chunks(gen), store.embeddings(gen)
        if len(chunks) != len(vectors) or vectors.shape[1] != manifest.dim:
            raise IndexDamaged(store.dir, [f"{gen.name}/embeddings.npy does not match chunks.jsonl"])
    except IndexDamaged as e:
        prev.damage += [p for p in e.problems if p not in prev.damage]
        return prev  # nothing reusable: every document is read again
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_doc.setdefault(c.doc_id, []).append(i)
    for doc_id, doc in manifest.documents.items():
        rows = by_doc.get(doc_id, [])
        try:
            text = (gen / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported by generation_problems; the document is read again
        if len(rows) != int(doc.get("chunks", 0)):
            prev.damage.append(f"{doc_id} has {len(rows)} chunks, the manifest lists {doc.get('chunks', 0)}")
            continue
        prev.chunks[doc_id] = [chunks[i] for i in rows]
        prev.vectors[doc_id] = np.asarray(vectors[rows], dtype=np.float32).reshape(-1, manifest.dim)
        prev.texts[doc_id] = text
    return prev


def newest_generation(store: IndexStore) -> Path | None:
    """The most recent complete generation, for when CURRENT is lost."""
    for gen in sorted(store.dir.glob("gen-*"), reverse=True):
        if (gen / "manifest.json").is_file():
            return gen
    return None


def _unloadable_parts(gen: Path) -> list[str]:
    """Open the derived parts a reader opens (fast), so that an ingest never calls "unchanged"
    a generation that readers cannot load."""
    import json

    from hoidap.lexical import LexicalIndex

    problems = []
    try:
        json.loads((gen / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        problems.append(f"{gen.name}/stats.json cannot be read")
    for form in ("exact", "folded"):
        try:
            LexicalIndex.load(gen / f"lexical-{form}")
        except Exception:  # bm25s raises what its loader meets (JSON, numpy, key errors)
            problems.append(f"{gen.name}/lexical-{form} cannot be read")
    return problems


# --- the generation being assembled ---------------------------------------------------------------

@dataclass
class NextGeneration:
    dim: int
    docs: dict[str, dict] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    to_embed: list[str] = field(default_factory=list)

    def keep(self, doc_id: str, prev: Previous) -> None:
        """Carry a document of the previous generation over as it was (no re-embedding)."""
        self.docs[doc_id], self.texts[doc_id] = prev.docs[doc_id], prev.texts[doc_id]
        self.chunks[doc_id], self.vectors[doc_id] = prev.chunks[doc_id], prev.vectors[doc_id]

    def add(self, doc: "Document") -> None:
        self.docs[doc.doc_id], self.chunks[doc.doc_id], self.texts[doc.doc_id] = doc.record, doc.chunks, doc.text
        self.to_embed.append(doc.doc_id)

    def drop(self, doc_id: str) -> None:
        for part in (self.docs, self.chunks, self.vectors, self.texts):
            part.pop(doc_id, None)
        self.to_embed = [d for d in self.to_embed if d != doc_id]

    @property
    def n_chunks(self) -> int:
        return sum(len(c) for c in self.chunks.values())


@dataclass
class Document:
    """One file, loaded and chunked."""
    doc_id: str
    record: dict  # manifest metadata
    chunks: list[Chunk]
    text: str
    notes: list[str]
    warnings: list[str]


def read_document(path: Path, doc_id: str, source: str, digest: str, settings: Settings) -> Document:
    """Load, check the limits, take the metadata and chunk. Raises LoadError (the file's
    fault) or OSError (unreadable, gone)."""
    limits = Limits(max_expanded_mb=settings.max_expanded_mb, max_pages=settings.max_pages,
                    max_chars=settings.max_chunks_per_doc * settings.chunk_chars, chunk_chars=settings.chunk_chars)
    loaded = load(path, settings.ocr_lang, limits)
    _check_passages(sum(len(b.text) + sum(len(v) for v in b.fields.values()) for b in loaded.blocks) // settings.chunk_chars,
                    settings, estimate=True)
    meta, sidecar_problems = build_meta(doc_id, source, digest, loaded.blocks, path)
    text, chunks = chunk_blocks(doc_id, loaded.blocks, settings.chunk_chars)
    if not chunks:
        raise LoadError("no text found")
    _check_passages(len(chunks), settings)
    record = meta.to_dict() | {"source_path": str(path.resolve()), "chunks": len(chunks),
                               "encoding": loaded.encoding or "", "ingested": time.time(), "chunker": CHUNKER_VERSION}
    return Document(doc_id, record, chunks, text, loaded.notes, sidecar_problems)


def _check_passages(n: int, settings: Settings, estimate: bool = False) -> None:
    limit = settings.max_chunks_per_doc
    if limit and n > limit:
        raise LoadError(f"{'about ' if estimate else ''}{n} passages, over the limit of {limit} per document "
                        f"(HOIDAP_MAX_CHUNKS_PER_DOC); split the document or raise the limit")


def take_file(path: Path, settings: Settings, prev: Previous, nxt: NextGeneration, report: IngestReport,
              by_source: dict[str, str], taken_ids: set[str]) -> None:
    """Bring one file into the next generation: kept as it was when unchanged, read again
    when new or changed, named in the report when it cannot be read."""
    source = display_source(path)
    if path.suffix.lower() not in SUPPORTED:
        report.failed.append((source, f"unsupported file type '{path.suffix or path.name}'"))
        return
    old_id = by_source.get(str(path.resolve()))
    try:
        digest = file_hash(path)
    except OSError as e:
        report.failed.append((source, _os_reason(e)))
        if old_id and prev.reusable(old_id) and path.exists():  # unreadable, not gone: keep the last good version
            nxt.keep(old_id, prev)
            report.notes.append((source, "the version ingested before stays in the index"))
        return
    if old_id and prev.reusable(old_id) and prev.docs[old_id].get("file_hash") == digest and prev.chunked_alike(old_id):
        nxt.keep(old_id, prev)
        report.unchanged.append(source)
        return
    doc_id = old_id or _unique_id(slug(path.stem), taken_ids | set(prev.docs))
    try:
        doc = read_document(path, doc_id, source, digest, settings)
    except (LoadError, ValueError, OSError) as e:
        report.failed.append((source, _os_reason(e) if isinstance(e, OSError) else str(e)))
        if old_id and prev.reusable(old_id) and path.exists():  # keep the last good version of a file that turned bad
            nxt.keep(old_id, prev)
        return
    except Exception as e:  # a parser bug on one odd file must not stop the others
        report.failed.append((source, f"could not read ({e.__class__.__name__}: {e})"))
        return
    taken_ids.add(doc_id)
    nxt.add(doc)
    report.notes += [(source, n) for n in doc.notes]
    report.warnings += [(source, w) for w in doc.warnings]
    if old_id and not prev.reusable(old_id):
        report.repaired.append(f"{source} read again")
    (report.updated if old_id else report.added).append(source)


def take_removals(prev: Previous, nxt: NextGeneration, report: IngestReport, roots: list[Path],
                  drop: set[str] | None) -> None:
    """Documents of the previous generation not taken in this run: dropped, gone, under a
    folder of this run (deleted), or kept as they were (another folder)."""
    for doc_id, d in prev.docs.items():
        if drop and doc_id in drop:
            nxt.drop(doc_id)
            report.removed.append(d.get("source", doc_id))
            continue
        if doc_id in nxt.docs:
            continue
        source_path = Path(d.get("source_path", ""))
        gone = not source_path.exists()
        under_roots = any(source_path == r or r in source_path.parents for r in roots)
        if gone or under_roots:
            report.removed.append(d.get("source", doc_id))
        elif prev.reusable(doc_id):  # from another folder, not part of this run
            nxt.keep(doc_id, prev)
        else:
            report.removed.append(d.get("source", doc_id))
            report.warnings.append((d.get("source", doc_id), "its passages were lost from the damaged index and its "
                                    "file could not be read again; ingest it again"))


def files_to_repair(prev: Previous, files: list[Path]) -> list[Path]:
    """Source files of documents the damaged generation lost, when this run does not already
    include them: read again so that a repair does not silently drop them."""
    given = {str(p.resolve()) for p in files}
    out = []
    for doc_id, d in prev.docs.items():
        path = Path(d.get("source_path", ""))
        if not prev.reusable(doc_id) and d.get("source_path") and path.is_file() and str(path.resolve()) not in given:
            out.append(path)
    return out


# --- the whole run --------------------------------------------------------------------------------

LOCK_WAIT_S = 10.0  # seconds an ingest waits for the index lock (readers take it briefly to clean up)


def ingest(paths: list[Path], settings: Settings, rebuild: bool = False, progress=None,
           drop: set[str] | None = None, prune_cache: bool = False, prepare=None) -> IngestReport:
    """Bring the index in line with `paths`, leaving out the documents in `drop` (ids).
    `progress(n_done, n_total, name)` is optional: called with the file's number while files
    are read, then with (None, None, EmbedStatus) after each embedded batch. `prune_cache`
    keeps only the live generation's passages in the embedding cache. Raises IndexError_ (and
    its IndexWriteError) when the index cannot be changed; the previous generation then stays
    live, and what was embedded stays in the embedding cache for the next run."""
    started = time.perf_counter()
    report = IngestReport()
    store = IndexStore(settings.index_dir, settings.chroma_url)
    sources = collect_sources(paths, settings.index_dir)
    report.failed += sources.failed
    report.notes += sources.notes
    if not sources.files and not drop:
        report.notes.append((", ".join(_shown(p) for p in paths) or "(no paths)", "no files to ingest"))
    roots = [p.resolve() for p in paths]
    with store.lock(wait_s=LOCK_WAIT_S):  # a reader's clean-up holds it for a moment; another ingest for long
        store.collect_garbage()  # what a killed or failed ingest left (a build folder can fill a disk)
        embedder = make_embedder(settings.embed_backend, settings.embed_model)
        prev = read_previous(store, embedder, rebuild)
        report.repaired += prev.damage
        files = sources.files + files_to_repair(prev, sources.files)
        nxt = NextGeneration(dim=embedder.dim)
        by_source = {d.get("source_path", ""): doc_id for doc_id, d in prev.docs.items()}
        taken_ids: set[str] = set()
        t0 = time.perf_counter()
        for n, path in enumerate(files, 1):
            if progress:
                progress(n, len(files), path.name)
            take_file(path, settings, prev, nxt, report, by_source, taken_ids)
        take_removals(prev, nxt, report, roots, drop)
        report.stages["read"] = time.perf_counter() - t0
        report.chunks = nxt.n_chunks
        same_scheme = (prev.manifest is not None and prev.manifest.lexical_scheme == settings.lexical_scheme
                       and prev.manifest.text_norm == TEXT_NORM_VERSION)  # same tokens as this version makes
        unchanged = not report.changed and same_scheme and not prev.damage
        if unchanged and not prune_cache:
            report.generation = prev.gen.name
            report.seconds = time.perf_counter() - started
            return report
        with open_cache(store, embedder, report) as cache:
            if unchanged:  # only the cache is pruned
                report.generation = prev.gen.name
                live_texts = [index_text(c, nxt.docs[d]) for d in sorted(nxt.chunks) for c in nxt.chunks[d]]
            else:
                live_texts = embed_and_write(store, nxt, embedder, cache, settings, report, progress, prepare)
            report.cache_pruned = tend_cache(cache, live_texts, prune_cache)
    report.seconds = time.perf_counter() - started
    return report


def embed_and_write(store: IndexStore, nxt: NextGeneration, embedder, cache: EmbeddingCache, settings: Settings,
                    report: IngestReport, progress, prepare=None) -> list[str]:
    """Vectors for the new passages (cache first), then the generation; return the texts
    of the live passages. `prepare(folder)`: see IndexStore.write_generation."""
    t0 = time.perf_counter()
    report.embedded, report.cached = embed_new(nxt, embedder, cache, progress)
    t1 = time.perf_counter()
    prepared: dict[str, float] = {}

    def timed_prepare(folder: Path) -> None:
        started = time.perf_counter()
        prepare(folder)
        prepared["structures"] = time.perf_counter() - started

    gen, live_texts = write(store, nxt, embedder, settings, timed_prepare if prepare else None)
    report.generation = gen.name
    report.stages |= {"embed": t1 - t0, "write": time.perf_counter() - t1 - prepared.get("structures", 0.0)} | prepared
    return live_texts


def write(store: IndexStore, nxt: NextGeneration, embedder, settings: Settings, prepare=None) -> tuple[Path, list[str]]:
    """Write the next generation; return it with the texts its passages were embedded from."""
    order = sorted(nxt.chunks)
    all_chunks = [c for d in order for c in nxt.chunks[d]]
    assign_groups(all_chunks)
    matrix = (np.vstack([nxt.vectors[d] for d in order]) if all_chunks
              else np.zeros((0, embedder.dim), np.float32))
    texts = [index_text(c, nxt.docs[c.doc_id]) for c in all_chunks]
    gen = store.write_generation(embedder.name, embedder.dim, nxt.docs, all_chunks, matrix, nxt.texts, texts,
                                 settings.lexical_scheme, prepare=prepare)
    return gen, texts


# --- embedding, through the cache -----------------------------------------------------------------

EMBED_BATCH = 32  # passages per model call and per cache commit: a kill loses at most one batch


def open_cache(store: IndexStore, embedder, report: IngestReport) -> EmbeddingCache:
    """The index folder's embedding cache for this model; a damaged one is set aside and
    started again, an unusable one leaves the run without a cache (named in the report)."""
    cache = EmbeddingCache(store.dir / CACHE_FILE, embedder.name, embedder.dim)
    if cache.problem:
        report.notes.append(("embedding cache", cache.problem))
    return cache


def tend_cache(cache: EmbeddingCache, live_texts: list[str], force: bool) -> int:
    """Keep the cache bounded: when asked, or when it holds more than PRUNE_FACTOR times the
    live index, keep only the live generation's passages."""
    if force or cache.needs_prune(len(live_texts)):
        return cache.prune(live_texts)
    return 0


@dataclass
class EmbedStatus:
    """Where the embedding step stands, for progress output: this file and the whole run.
    Only passages missing from the cache take time, so the estimates count those, at the rate
    measured in this run."""
    name: str
    file_embedded: int
    file_missing: int  # passages of this file not found in the cache
    file_cached: int
    embedded: int
    missing: int  # of the whole run
    cached: int
    seconds_per_passage: float | None  # measured in this run; None before the first batch
    resolved: int = 0  # missing passages of the run that have a vector now

    def _eta(self, left: int) -> float | None:
        return None if self.seconds_per_passage is None else left * self.seconds_per_passage

    @property
    def file_eta_s(self) -> float | None:
        return self._eta(self.file_missing - self.file_embedded)

    @property
    def eta_s(self) -> float | None:
        return self._eta(self.missing - self.resolved)

    @property
    def fraction(self) -> float:
        return self.resolved / self.missing if self.missing else 1.0

    def __str__(self) -> str:
        if not self.file_missing:
            head = f"{self.name}: {self.file_cached} passages, all from the cache"
        else:
            head = (f"{self.name}: embedded {self.file_embedded}/{self.file_missing} new passages (cache {self.file_cached})"
                    + (" · file done" if self.file_embedded >= self.file_missing else f" · file {_duration(self.file_eta_s)} left"))
        tail = "" if self.resolved >= self.missing else f" {_duration(self.eta_s)} left"
        return f"{head} · overall {self.fraction:.0%}{tail}"

    def vietnamese(self) -> str:
        if not self.file_missing:
            head = f"{self.name}: {self.file_cached} đoạn, tất cả lấy từ bộ nhớ đệm"
        else:
            head = (f"{self.name}: đã tạo véc-tơ {self.file_embedded}/{self.file_missing} đoạn mới "
                    f"(lấy lại {self.file_cached} đoạn đã có)"
                    + (" · xong tệp" if self.file_embedded >= self.file_missing
                       else f" · tệp còn {_duration(self.file_eta_s, 'vi')}"))
        tail = "" if self.resolved >= self.missing else f", còn {_duration(self.eta_s, 'vi')}"
        return f"{head} · toàn bộ {self.fraction:.0%}{tail}"


def _duration(seconds: float | None, lang: str = "en") -> str:
    if seconds is None:
        return "(estimating)" if lang == "en" else "(đang ước tính)"
    if seconds < 90:
        return f"~{max(1, round(seconds))} s" if lang == "en" else f"khoảng {max(1, round(seconds))} giây"
    if seconds < 90 * 60:
        return f"~{round(seconds / 60)} min" if lang == "en" else f"khoảng {round(seconds / 60)} phút"
    return f"~{seconds / 3600:.1f} h" if lang == "en" else f"khoảng {seconds / 3600:.1f} giờ".replace(".", ",")


@dataclass
class DocWork:
    """One document's passages to vectorise: found in the cache, or still missing."""
    doc_id: str
    name: str
    texts: list[str]
    vectors: dict[int, np.ndarray]  # position → vector
    missing: list[int]


def plan_embedding(nxt: NextGeneration, cache: EmbeddingCache) -> list[DocWork]:
    """Look every new passage up in the cache first."""
    work = []
    for doc_id in nxt.to_embed:
        doc = nxt.docs[doc_id]
        texts = [index_text(c, doc) for c in nxt.chunks[doc_id]]
        found = cache.lookup(texts)
        missing = [i for i in range(len(texts)) if i not in found]
        work.append(DocWork(doc_id, Path(doc.get("source", doc_id)).name, texts, found, missing))
    return work


def embed_new(nxt: NextGeneration, embedder, cache: EmbeddingCache, progress) -> tuple[int, int]:
    """Vectors for every new passage: from the cache, else embedded in batches, each batch
    stored in the cache as soon as it is computed. Return (embedded, from the cache)."""
    work = plan_embedding(nxt, cache)
    status = EmbedStatus("", 0, 0, 0, embedded=0, missing=sum(len(w.missing) for w in work),
                         cached=sum(len(w.vectors) for w in work), seconds_per_passage=None)
    clock = _EmbedClock()
    for w in work:
        status.name, status.file_embedded, status.file_missing, status.file_cached = w.name, 0, len(w.missing), len(w.vectors)
        for start in range(0, len(w.missing), EMBED_BATCH):
            _embed_batch(w, w.missing[start:start + EMBED_BATCH], embedder, cache, clock, status)
            if progress:
                progress(None, None, status)
        if progress and not w.missing:
            progress(None, None, status)
        nxt.vectors[w.doc_id] = (np.vstack([w.vectors[i] for i in range(len(w.texts))]).astype(np.float32)
                                 if w.texts else np.zeros((0, embedder.dim), np.float32))
    return status.embedded, status.cached


@dataclass
class _EmbedClock:
    seconds: float = 0.0  # spent in the model during this run
    memo: dict[str, np.ndarray] = field(default_factory=dict)  # embedded in this run (a passage repeated across documents)


def _embed_batch(w: DocWork, positions: list[int], embedder, cache: EmbeddingCache, clock: _EmbedClock,
                 status: EmbedStatus) -> None:
    """Embed one batch of a document's missing passages, store it in the cache (committed),
    and count it."""
    todo = [i for i in positions if w.texts[i] not in clock.memo]
    if todo:
        t0 = time.perf_counter()
        vectors = embedder.passages([w.texts[i] for i in todo])
        clock.seconds += time.perf_counter() - t0
        cache.store([w.texts[i] for i in todo], vectors)
        clock.memo.update({w.texts[i]: v for i, v in zip(todo, vectors)})
    for i in positions:
        w.vectors[i] = clock.memo[w.texts[i]]
    status.embedded += len(todo)  # model calls (the report's count)
    status.resolved += len(positions)
    status.file_embedded += len(positions)  # a repeat of a passage embedded earlier in the run counts here
    status.cached += len(positions) - len(todo)
    status.seconds_per_passage = clock.seconds / status.embedded if status.embedded else None


def _unique_id(base: str, taken: set[str]) -> str:
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}-{n}", n + 1
    return doc_id
