"""The commands people use: ingest, docs, ask, serve. Messages are in English; answers are in
Vietnamese. `hoidap.cli` puts them together with the evaluation commands."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from hoidap.settings import settings_from

# Control characters (newline, ESC of terminal escape sequences), bidirectional overrides and
# undecodable bytes of file names: shown escaped, so a name cannot forge lines or colours.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str, keep_newlines: bool = False) -> str:
    """`text` as harmless terminal output: `\\n`, `\\x1b`, `\\u202e` instead of the characters
    (newlines kept where the text is meant to span lines, such as an answer)."""
    def escape(m: re.Match) -> str:
        ch = m.group()
        if keep_newlines and ch == "\n":
            return ch
        return ch.encode("unicode_escape", "backslashreplace").decode("ascii")

    return _UNSAFE.sub(escape, str(text))


class IngestProgress:
    """Ingest progress on stderr: on a terminal one line rewritten in place; otherwise (a log,
    a pipe) one line per update, at most one a second, plus the end of each file."""

    def __init__(self, stream=None, quiet: bool = False, interval: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self._last = float("-inf")
        self._shown = False

    def __call__(self, done, total, what) -> None:
        import time

        if self.quiet:
            return
        if total is not None:
            text, last_of_file = f"reading {done}/{total}: {what}", False
        else:  # an EmbedStatus (ingest/pipeline.py) after each embedded batch
            text, last_of_file = str(what), getattr(what, "file_embedded", 0) >= getattr(what, "file_missing", 0)
        now = time.monotonic()
        if now - self._last < self.interval and not last_of_file:
            return
        self._last = now
        text = printable(text)
        if self.tty:
            import shutil

            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r\x1b[K" + (text if len(text) <= width else "…" + text[-(width - 1):]))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def cmd_ingest(args: argparse.Namespace) -> int:
    from hoidap.service import Service, ServiceError

    settings = settings_from(args)
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    bar = IngestProgress(quiet=args.quiet)
    try:
        report = Service(settings).ingest(paths, rebuild=args.rebuild, progress=bar, prune_cache=args.prune_cache)
    except ServiceError as e:
        bar.close()
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: no half-written index was left behind; the live generation is complete, and the passages "
              "embedded so far are in the embedding cache for the next run", file=sys.stderr)
        return 130
    bar.close()
    for label, items in (("failed", report.failed), ("warning", report.warnings), ("note", report.notes)):
        for source, reason in items:
            print(f"{label}: {printable(source)}: {printable(reason)}", file=sys.stderr)
    for what in report.repaired:
        print(f"repaired: {printable(what)}", file=sys.stderr)
    if report.repaired:
        print(f"repaired: the index was rewritten as {report.generation}", file=sys.stderr)
    print(f"documents: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed, {len(report.failed)} failed; chunks: {report.chunks} "
          f"({report.embedded} embedded, {report.cached} from the embedding cache); {report.seconds:.1f} s"
          + (" (" + ", ".join(f"{k} {v:.1f} s" for k, v in report.stages.items()) + ")" if report.stages else "")
          + f"; index: {printable(settings.index_dir)}")
    if report.cache_pruned:
        print(f"note: embedding cache: {report.cache_pruned} entries no live passage uses were deleted", file=sys.stderr)
    nothing = report.chunks == 0 and not report.removed
    if report.chunks == 0:
        print("note: the index is empty: it holds no documents, and `hoidap ask` says so", file=sys.stderr)
    return 1 if report.failed or report.warnings or nothing else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from hoidap.service import Service, ServiceError

    try:
        docs = Service(settings_from(args)).documents()
    except ServiceError as e:
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    docs.sort(key=lambda d: d.source)
    if args.json:
        print(json.dumps([d.model_dump() for d in docs], ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        fields = [d.title[:90], d.kind or "-", d.issuer or "-", d.number or "-", d.date or "-", f"{d.chunks} chunks", d.source]
        print(" | ".join(printable(f) for f in fields))
    print(f"{len(docs)} documents" + ("; the index is empty (run `hoidap ingest PATH`)" if not docs else ""), file=sys.stderr)
    return 0


def format_answer(result) -> str:
    """The answer as terminal text; document text and names are printed as text (control
    characters escaped), never as terminal commands."""
    lines = [printable(result.answer, keep_newlines=True), ""]
    if result.notice:
        lines.insert(0, f"({printable(result.notice)})")
    for c in result.citations:
        where = " · ".join(x for x in (c.issuer, c.number, c.heading, f"trang {c.page}" if c.page else "") if x)
        lines.append(f"[{c.marker}] {printable(c.title[:100])}")
        lines.append(f"    {printable(where)}")
        lines.append(f"    {printable(c.source)} (ký tự {c.span[0]}–{c.span[1]})")
        if c.also_in:
            lines.append("    Cũng có trong: " + "; ".join(printable(a.source) for a in c.also_in))
    return "\n".join(lines).rstrip()


def _history_entry(value: str):
    """An earlier question, or a JSON turn with what its answer cited (`hoidap.schema.Turn`)."""
    if not value.lstrip().startswith("{"):
        return value
    from pydantic import ValidationError

    from hoidap.schema import Turn

    try:
        return Turn.model_validate_json(value)
    except ValidationError as e:
        raise ValueError(f"--history is not a valid turn: {e.errors()[0]['msg']}") from None


def cmd_ask(args: argparse.Namespace) -> int:
    from hoidap.service import Service, ServiceError

    question = " ".join(args.question) if args.question else sys.stdin.read()
    filters = {k: v for k, v in (("doc_id", args.doc), ("issuer", args.issuer), ("kind", args.kind)) if v}
    try:
        history = [_history_entry(h) for h in args.history or []]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    service = Service(settings_from(args))
    try:
        result = service.ask(question, history=history or None, filters=filters or None,
                             generative=False if args.extractive else None, channel="cli")
        empty = result.refused and not result.retrieved and not service.documents()
    except ServiceError as e:
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    if args.json:
        print(result.model_dump_json(indent=1))
    else:
        print(format_answer(result))
    if empty:
        print("note: the index is empty; add documents with `hoidap ingest PATH`", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.server import serve

    return serve(settings_from(args), host=args.host, port=args.port)


def add_commands(sub) -> None:
    """ingest, docs, ask, serve: the commands people use."""

    p = sub.add_parser("ingest", help="load files or folders into the index (default: the bundled data/)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--index", help="index folder (HOIDAP_INDEX_DIR)")
    p.add_argument("--rebuild", action="store_true", help="start from an empty index")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--prune-cache", action="store_true",
                   help="keep only the live index's passages in the embedding cache (<index>/embcache.sqlite)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", help="list the indexed documents")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("ask", help="answer one question with cited passages")
    p.add_argument("question", nargs="*", help="the question (read from stdin when absent)")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--history", action="append", help="an earlier turn, oldest first (repeatable): its question, or a JSON turn "
                   "{\"question\": …, \"doc_ids\": […], \"chunk_ids\": […]} saying what its answer cited")
    p.add_argument("--doc", help="only this document id")
    p.add_argument("--issuer", help="only documents of this issuer")
    p.add_argument("--kind", help="only documents of this kind (Kế hoạch, Hướng dẫn…)")
    p.add_argument("--extractive", action="store_true", help="never call the LLM endpoint (HOIDAP_LLM_BASE_URL)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="the web chat, the HTTP API and the bots' webhooks in one server")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--index")
    p.set_defaults(func=cmd_serve)

    from .zalo_cli import add_commands as add_zalo_commands  # hoidap zalo set-webhook | webhook-info | delete-webhook | poll

    add_zalo_commands(sub)

