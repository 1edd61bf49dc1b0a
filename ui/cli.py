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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
