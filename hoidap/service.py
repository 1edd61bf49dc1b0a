"""The one seam every interface goes through: the CLI, the web page, the HTTP API and the
Zalo bot each hold one `Service` per process and call only this.

It keeps the live index generation open, follows it when an ingest (CLI or admin upload)
switches generations, and never closes a generation while a request still uses it."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hoidap.schema import AnswerOut, DeltaEvent, DocumentOut, DoneEvent, NoticeEvent
from hoidap.settings import Settings, get_settings
from hoidap.store import IndexError_, IndexStore

FILTER_KEYS = ("doc_id", "issuer", "kind")


class ServiceError(Exception):
    """Something the caller asked for cannot be done; the message is for the caller."""


class BadRequest(ServiceError):
    """The request itself is wrong (an empty question, an unknown filter); Vietnamese message."""


class IndexUnavailable(ServiceError):
    """No usable index (none built yet, or damaged); English message, says what to do."""


@dataclass
class PassageView:
    """A cited passage inside its surrounding document text, ready to show."""
    doc: DocumentOut
    chunk_id: str
    heading: str
    page: int | None
    before: str  # document text leading up to the passage
    segments: list[tuple[str, bool]]  # the passage in pieces: (text, quoted?)
    after: str
    also_in: list[dict] = field(default_factory=list)


class _Live:
    """One open generation and the number of requests using it right now."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.users = 0
        self.retired = False


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.store = IndexStore(self.settings.index_dir, self.settings.chroma_url)
        self._live: _Live | None = None
        self._lock = threading.Lock()  # guards _live and the counters
        self._opening = threading.Lock()  # one thread opens a new generation, the others keep answering
        self._state = None

    # --- the index ------------------------------------------------------------------------
    def _current_name(self) -> str | None:
        gen = self.store.current()
        return gen.name if gen else None

    def refresh(self) -> bool:
        """Open the live generation if it is not the one in use. True when it switched."""
        name = self._current_name()
        live = self._live
        if live is not None and live.assistant.index.generation.name == name:
            return False
        if name is None:
            if live is None:
                raise IndexUnavailable(f"no index at {self.settings.index_dir}; run `hoidap ingest` first")
            return False  # the pointer is being replaced: keep answering from what is open
        # Opening a generation builds its structures (seconds for the book, most of a minute at
        # 12k passages): the request that finds it opens it; the others, while it does, keep
        # answering from the generation they have instead of queueing behind it.
        if not self._opening.acquire(blocking=live is None):
            return False
        try:
            live = self._live
            if live is not None and live.assistant.index.generation.name == self._current_name():
                return False  # another thread switched while this one waited
            from rag import Assistant

            try:
                fresh = _Live(Assistant(self.settings))
            except IndexError_ as e:
                if live is None:
                    raise IndexUnavailable(str(e)) from e
                return False  # keep the working generation; the next request tries again
            with self._lock:
                old, self._live = self._live, fresh
                if old is not None:
                    old.retired = True
                    close_now = old.users == 0
            if old is not None and close_now:
                self._close(old)
            return True
        finally:
            self._opening.release()

    @contextmanager
    def _lease(self):
        """The assistant of the live generation, held open for the duration of one request."""
        self.refresh()
        with self._lock:
            live = self._live
            live.users += 1
        try:
            yield live.assistant
        finally:
            with self._lock:
                live.users -= 1
                close_now = live.retired and live.users == 0
            if close_now:
                self._close(live)

    def _close(self, live: _Live) -> None:
        live.assistant.index.close()
        self.store.try_collect_garbage()

    def close(self) -> None:
        with self._lock:
            live, self._live = self._live, None
        if live is not None:
            live.assistant.index.close()
        if self._state is not None:
            self._state.close()

    @property
    def model_name(self) -> str:
        with self._lease() as assistant:
            return assistant.index.manifest.model

    @property
    def generation(self) -> str | None:
        live = self._live
        return live.assistant.index.generation.name if live else self._current_name()

    # --- answering --------------------------------------------------------------------------
    def ask(self, question: str, history: list | None = None, filters: dict | None = None,
            generative: bool | None = None, channel: str | None = "web") -> AnswerOut:
        """The whole answer. `channel=None` does not log the question (evaluation runs)."""
        done = None
        for event in self.stream(question, history, filters, generative, channel):
            if isinstance(event, DoneEvent):
                done = event.answer
        return done

    def stream(self, question: str, history: list | None = None, filters: dict | None = None,
               generative: bool | None = None, channel: str | None = "web") -> Iterator[DeltaEvent | NoticeEvent | DoneEvent]:
        """Typed events: pieces of the answer as it is produced, a notice when generation fell
        back, then the final answer (which replaces what was streamed when they differ)."""
        from rag import BadQuestion

        filters = check_filters(filters)
        history = _history(history)
        with self._lease() as assistant:
            try:
                events = assistant.stream(question, history, filters, generative)
                for event in events:
                    if event["type"] == "delta":
                        yield DeltaEvent(text=event["text"])
                    elif event["type"] == "notice":
                        yield NoticeEvent(text=event["text"])
                    else:
                        top = max(10, self.settings.top_k)
                        result = event["answer"].to_schema(top=top, generation=assistant.index.generation.name)
                        if channel:
                            self._log(result, channel)
                        yield DoneEvent(answer=result)
            except BadQuestion as e:
                raise BadRequest(str(e)) from e

    def _log(self, result: AnswerOut, channel: str) -> None:
        try:
            self.state.log_question(question=_storable(result.question), answer=_storable(result.answer),
                                    refused=result.refused, confidence=result.confidence, channel=channel,
                                    generation=result.generation)
        except Exception as e:  # usage statistics must never cost a user the answer
            logging.getLogger("hoidap").warning("could not log the question: %s", e.__class__.__name__)

    # --- documents ----------------------------------------------------------------------------
    def documents(self) -> list[DocumentOut]:
        with self._lease() as assistant:
            docs = assistant.index.manifest.documents
            return sorted((_document(d) for d in docs.values()), key=lambda d: (d.kind, d.title))

    def document_file(self, doc_id: str) -> Path | None:
        """The original file of an indexed document, if it still exists (for "open the PDF")."""
        with self._lease() as assistant:
            doc = assistant.index.manifest.documents.get(doc_id)
        if not doc:
            return None
        path = Path(doc.get("source_path", ""))
        return path if path.is_file() else None

    def passage(self, chunk_id: str, highlights: list[tuple[int, int]] | None = None,
                context_chars: int = 700) -> PassageView | None:
        """The passage within its document text; `highlights` (document offsets, as in a
        citation) are marked inside it. None for an unknown chunk."""
        with self._lease() as assistant:
            index = assistant.index
            row = index.position.get(chunk_id)
            if row is None:
                return None
            chunk = index.chunks[row]
            doc = index.manifest.documents[chunk.doc_id]
            text = index.doc_text(chunk.doc_id)
        start, end = chunk.span
        # A section-name answer quotes the heading line just above its passage (rag.titles): the view
        # starts there when a highlight is such a line. Other highlights outside the passage are ignored.
        heading_lines = [a for a, b in (highlights or []) if 0 <= a < b <= start and start - a <= context_chars
                         and (a == 0 or text[a - 1] == "\n") and "\n" not in text[a:b]]
        start = min([start] + heading_lines)
        # Whole lines of context on each side, about `context_chars` of them.
        lo, hi = max(0, start - context_chars), min(len(text), end + context_chars)
        if lo > 0 and (nl := text.find("\n", lo, start)) >= 0:
            lo = nl + 1
        if hi < len(text) and (nl := text.rfind("\n", end, hi)) >= 0:
            hi = nl
        marks = sorted((max(a, start), min(b, end)) for a, b in (highlights or []) if b > start and a < end)
        segments, pos = [], start
        for a, b in marks:
            if a < pos:
                a = pos
            if a > pos:
                segments.append((text[pos:a], False))
            if b > a:
                segments.append((text[a:b], True))
            pos = max(pos, b)
        if pos < end:
            segments.append((text[pos:end], False))
        also = [{"doc_id": c.doc_id, "title": index.manifest.documents[c.doc_id].get("title", ""),
                 "source": index.manifest.documents[c.doc_id].get("source", "")}
                for c in index.groups.get(chunk.dup_group, []) if chunk.dup_group and c.doc_id != chunk.doc_id]
        return PassageView(doc=_document(doc), chunk_id=chunk_id, heading=chunk.heading, page=chunk.page,
                           before=text[lo:start], segments=segments, after=text[end:hi], also_in=also)

    def health(self) -> dict:
        try:
            docs = self.documents()
            return {"status": "ok", "generation": self.generation, "documents": len(docs),
                    "chunks": sum(d.chunks for d in docs)}
        except ServiceError as e:
            return {"status": "no-index", "generation": None, "documents": 0, "chunks": 0, "detail": str(e)}

    # --- changing the index ------------------------------------------------------------------
    def ingest(self, paths: list[Path], rebuild: bool = False, progress=None, drop: set[str] | None = None,
               prune_cache: bool = False):
        """Bring the index in line with `paths` (or drop documents); the server keeps answering
        from the current generation meanwhile and switches when the new one is written."""
        from ingest.pipeline import ingest

        try:
            from rag import prepare_folder

            report = ingest(paths, self.settings, rebuild=rebuild, progress=progress, drop=drop, prune_cache=prune_cache,
                            prepare=lambda folder: prepare_folder(folder, self.settings))
            if report.generation:  # an unchanged index written before the structures were kept in it
                from rag import prepare_generation
                from rag.structures import has_cache

                if not has_cache(self.store.dir / report.generation):  # servers read them instead of building them
                    try:
                        report.stages["structures"] = prepare_generation(self.settings)
                    except Exception as e:  # the generation is live and sound: servers build them on opening it
                        logging.getLogger("hoidap").warning("query structures not kept in the index (%s): servers build them", e)
                        report.notes.append((str(self.settings.index_dir),
                                             f"query structures not kept in the index ({e}); servers build them"))
        except IndexError_ as e:
            raise ServiceError(str(e)) from e
        if self._live is not None:
            self.refresh()
        return report

    # --- shared state (feedback, usage, and the bot's memory) ---------------------------------
    @property
    def state(self):
        if self._state is None:
            with self._lock:
                if self._state is None:
                    from hoidap.state import StateStore

                    self._state = StateStore.from_settings(self.settings)
        return self._state

    def feedback(self, question: str, answer: str, liked: bool, comment: str = "", channel: str = "web") -> int:
        return self.state.add_feedback(question=_storable(question[:4000]), answer=_storable(answer[:20000]),
                                       liked=liked, comment=_storable(comment[:4000]), channel=channel)

    def feedback_comment(self, feedback_id: int, comment: str) -> bool:
        return self.state.set_feedback_comment(feedback_id, _storable(comment[:4000]))


def _history(history: list | None) -> list | None:
    """Earlier turns, the last six: question strings, or `hoidap.schema.Turn` (or dicts of its
    fields) that also say what each answer cited, for resolving follow-ups."""
    from hoidap.schema import Turn

    keep = []
    for h in history or []:
        if isinstance(h, str):
            if h.strip():
                keep.append(h)
        elif isinstance(h, Turn):
            if h.question.strip():
                keep.append(h)
        elif isinstance(h, dict) and isinstance(h.get("question"), str) and h["question"].strip():
            keep.append(Turn.model_validate({k: v for k, v in h.items() if k in Turn.model_fields}))
    return keep[-6:] or None


def _storable(text: str) -> str:
    """User text as a database column can hold it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "")


def check_filters(filters: dict | None) -> dict | None:
    if not filters:
        return None
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise BadRequest(f"Bộ lọc không hợp lệ: {', '.join(unknown)}. Chỉ dùng: {', '.join(FILTER_KEYS)}.")
    clean = {}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 300:
            raise BadRequest(f"Giá trị bộ lọc “{key}” phải là một chuỗi ngắn.")
        clean[key] = value
    return clean or None


def _document(d: dict) -> DocumentOut:
    path = Path(d.get("source_path", ""))
    return DocumentOut(doc_id=d["doc_id"], title=d.get("title", ""), kind=d.get("kind", ""), issuer=d.get("issuer", ""),
                       number=d.get("number", ""), date=d.get("date", ""), signed_by=d.get("signed_by", ""),
                       source=d.get("source", ""), chunks=int(d.get("chunks", 0)), has_file=path.is_file(),
                       is_pdf=path.suffix.lower() == ".pdf")


_default: Service | None = None
_default_lock = threading.Lock()


def get_service() -> Service:
    """The process's service (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Service()
        return _default

