"""The `hoidap` command line. Messages are in English; answers are in Vietnamese."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hoidap.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ingest.pipeline import ingest
    from ingest.store import IndexError_

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    bar = tqdm(total=0, unit="file", file=sys.stderr, disable=args.quiet, leave=False)

    def progress(done, total, name):
        if total is not None:
            bar.total = total
            bar.n = done
        bar.set_postfix_str(name[-60:], refresh=True)

    try:
        report = ingest(paths, settings, rebuild=args.rebuild, progress=progress)
    except IndexError_ as e:
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
    from ingest.store import IndexError_, IndexStore

    settings = _settings(args)
    try:
        manifest = IndexStore(settings.index_dir, settings.chroma_url).manifest()
    except IndexError_ as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    docs = sorted(manifest.documents.values(), key=lambda d: d["source"])
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        fields = [d["title"][:90], d.get("kind") or "-", d.get("issuer") or "-", d.get("number") or "-",
                  d.get("date") or "-", f"{d['chunks']} chunks", d["source"]]
        print(" | ".join(fields))
    print(f"{len(docs)} documents, model {manifest.model}", file=sys.stderr)
    return 0


def format_answer(result) -> str:
    lines = [result.answer, ""]
    if result.notice:
        lines.insert(0, f"({result.notice})")
    for c in result.citations:
        where = " · ".join(x for x in (c.issuer, c.number, c.heading, f"trang {c.page}" if c.page else "") if x)
        lines.append(f"[{c.n}] {c.title[:100]}")
        lines.append(f"    {where}")
        lines.append(f"    {c.source} (ký tự {c.span[0]}–{c.span[1]})")
        if c.also_in:
            lines.append("    Cũng có trong: " + "; ".join(a["source"] for a in c.also_in))
    return "\n".join(lines).rstrip()


def cmd_ask(args: argparse.Namespace) -> int:
    from ingest.store import IndexError_
    from rag import Assistant, BadQuestion

    settings = _settings(args)
    question = " ".join(args.question) if args.question else sys.stdin.read()
    filters = {k: v for k, v in (("doc_id", args.doc), ("issuer", args.issuer), ("kind", args.kind)) if v}
    try:
        result = Assistant(settings).answer(question, history=args.history or None, filters=filters or None,
                                            generative=False if args.extractive else None)
    except BadQuestion as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except IndexError_ as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(top=max(10, settings.top_k)), ensure_ascii=False, indent=1))
    else:
        print(format_answer(result))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evals.dataset import load_questions, DEFAULT_QUESTIONS
    from evals.runner import run_eval
    from ingest.store import IndexError_

    settings = _settings(args)
    questions = Path(args.questions) if args.questions else None
    try:
        total = len(load_questions(questions or DEFAULT_QUESTIONS)) * (2 if args.compare else 1)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    bar = tqdm(total=total, unit="q", file=sys.stderr, leave=False)
    try:
        summary = run_eval(settings, questions, Path(args.out), compare_baseline=args.compare == "baseline",
                           progress=lambda name: (bar.set_postfix_str(name), bar.update()))
    except IndexError_ as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    from evals.report import HEADLINE

    systems = ["ours"] + (["baseline"] if "baseline" in summary else [])
    print(f"{'metric':<22}" + "".join(f"{s:>12}" for s in systems))
    for key in HEADLINE:
        print(f"{key:<22}" + "".join(f"{summary[s].get(key) if summary[s].get(key) is not None else '-':>12}" for s in systems))
    cal = summary["calibration"]
    print(f"refusal threshold: {summary['refuse_threshold']} (suggested {cal['suggested_threshold']}: refuses "
          f"{cal['refused_unanswerable']:.0%} of unanswerable, {cal['false_refusals']:.0%} of answerable questions)")
    print(f"report: {Path(args.out) / 'report.html'} ({len(summary['failures'])} failed questions listed)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from evals.bench import main as bench

    bench(_settings(args), Path(args.out) if args.out else None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hoidap", description="Cited answers about the book and the plans for studying it.")
    sub = parser.add_subparsers(dest="command", required=True)

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

    p = sub.add_parser("eval", help="run the question set and write the report")
    p.add_argument("--questions", help="a JSONL question file (default: the bundled set)")
    p.add_argument("--index")
    p.add_argument("--out", default="eval-out")
    p.add_argument("--compare", choices=["baseline"], help="also run a vanilla LlamaIndex pipeline")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="measure ingest and answering speed and memory")
    p.add_argument("--out", help="write the results as JSON here")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
