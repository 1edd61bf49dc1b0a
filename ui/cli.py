"""The commands people use: ingest, docs, ask, serve. Messages are in English; answers are in
Vietnamese. `hoidap.cli` puts them together with the evaluation commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hoidap.settings import settings_from


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hoidap.service import Service, ServiceError

    settings = settings_from(args)
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    bar = tqdm(total=0, unit="file", file=sys.stderr, disable=args.quiet, leave=False)

    def progress(done, total, name):
        if total is not None:
            bar.total = total
            bar.n = done
        bar.set_postfix_str(name[-60:], refresh=True)

    try:
        report = Service(settings).ingest(paths, rebuild=args.rebuild, progress=progress)
    except ServiceError as e:
        bar.close()
        print(f"error: {e}", file=sys.stderr)
        return 2
    bar.close()
    for source, reason in report.failed:
        print(f"failed: {source}: {reason}", file=sys.stderr)
    for source, note in report.notes:
        print(f"note: {source}: {note}", file=sys.stderr)
    print(f"documents: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed, {len(report.failed)} failed; chunks: {report.chunks} "
          f"({report.embedded} embedded); {report.seconds:.1f} s; index: {settings.index_dir}")
    return 1 if report.failed else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from hoidap.service import Service, ServiceError

    try:
        docs = Service(settings_from(args)).documents()
    except ServiceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    docs.sort(key=lambda d: d.source)
    if args.json:
        print(json.dumps([d.model_dump() for d in docs], ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        fields = [d.title[:90], d.kind or "-", d.issuer or "-", d.number or "-", d.date or "-", f"{d.chunks} chunks", d.source]
        print(" | ".join(fields))
    print(f"{len(docs)} documents", file=sys.stderr)
    return 0


def format_answer(result) -> str:
    lines = [result.answer, ""]
    if result.notice:
        lines.insert(0, f"({result.notice})")
    for c in result.citations:
        where = " · ".join(x for x in (c.issuer, c.number, c.heading, f"trang {c.page}" if c.page else "") if x)
        lines.append(f"[{c.marker}] {c.title[:100]}")
        lines.append(f"    {where}")
        lines.append(f"    {c.source} (ký tự {c.span[0]}–{c.span[1]})")
        if c.also_in:
            lines.append("    Cũng có trong: " + "; ".join(a.source for a in c.also_in))
    return "\n".join(lines).rstrip()


def cmd_ask(args: argparse.Namespace) -> int:
    from hoidap.service import Service, ServiceError

    question = " ".join(args.question) if args.question else sys.stdin.read()
    filters = {k: v for k, v in (("doc_id", args.doc), ("issuer", args.issuer), ("kind", args.kind)) if v}
    try:
        result = Service(settings_from(args)).ask(question, history=args.history, filters=filters or None,
                                              generative=False if args.extractive else None, channel="cli")
    except ServiceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(result.model_dump_json(indent=1))
    else:
        print(format_answer(result))
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", help="list the indexed documents")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("ask", help="answer one question with cited passages")
    p.add_argument("question", nargs="*", help="the question (read from stdin when absent)")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--history", action="append", help="an earlier question of the conversation (repeatable)")
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

