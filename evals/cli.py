"""The evaluation commands: eval and bench."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from hoidap.settings import settings_from


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evals.dataset import load_questions, DEFAULT_QUESTIONS
    from evals.runner import run_eval
    from hoidap.service import ServiceError
    from hoidap.store import IndexError_

    settings = settings_from(args)
    questions = Path(args.questions) if args.questions else None
    try:
        total = len(load_questions(questions or DEFAULT_QUESTIONS)) * (2 if args.compare else 1) * (5 if args.variants else 1)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    bar = tqdm(total=total, unit="q", file=sys.stderr, leave=False)
    try:
        summary = run_eval(settings, questions, Path(args.out), compare_baseline=args.compare == "baseline",
                           progress=lambda name: (bar.set_postfix_str(name), bar.update()), with_variants=args.variants)
    except (IndexError_, ServiceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    from evals.report import HEADLINE

    systems = ["ours"] + (["baseline"] if "baseline" in summary else [])
    print(f"{'metric':<22}" + "".join(f"{s:>12}" for s in systems))
    for key in HEADLINE:
        print(f"{key:<22}" + "".join(f"{summary[s].get(key) if summary[s].get(key) is not None else '-':>12}" for s in systems))
    if summary.get("variants"):
        from evals.report import robustness_table

        print("robustness (automatic variants):")
        print(robustness_table(summary["variants"]))
    cal = summary["calibration"]
    print(f"refusal threshold: {summary['refuse_threshold']} (suggested {cal['suggested_threshold']}: refuses "
          f"{cal['refused_unanswerable']:.0%} of unanswerable, {cal['false_refusals']:.0%} of answerable questions)")
    print(f"report: {Path(args.out) / 'report.html'} ({len(summary['failures'])} failed questions listed)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from evals.bench import main as bench

    if args.clients < 1 or args.seconds <= 0:
        print("error: --clients must be ≥ 1 and --seconds > 0", file=sys.stderr)
        return 2
    try:
        bench(settings_from(args), Path(args.out) if args.out else None, load_only=args.load_only,
              clients=args.clients, seconds=args.seconds, zalo_only=args.zalo_only, book_only=args.book_only,
              realtext_only=args.realtext_only, pages=args.pages, realtext_n=args.realtext_n,
              reuse_vectors=args.realtext_reuse_vectors)
    except RuntimeError as e:  # the server of the load run did not start
        print(f"error: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:  # `hoidap ingest` or `hoidap ask` failed
        output = (e.stderr or b"").decode(errors="replace").strip() or (e.stdout or b"").decode(errors="replace").strip()
        print(f"error: {' '.join(map(str, e.cmd[2:]))} exited with {e.returncode}:\n{output[-2000:]}", file=sys.stderr)
        return 1
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("eval", help="run the question set and write the report")
    p.add_argument("--questions", help="a JSONL question file (default: the bundled set)")
    p.add_argument("--index")
    p.add_argument("--out", default="eval-out")
    p.add_argument("--compare", choices=["baseline"], help="also run a vanilla LlamaIndex pipeline")
    p.add_argument("--variants", action="store_true",
                   help="also ask every question without diacritics, abbreviated, with typos and chatty: robustness table")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="measure ingest and answering speed and memory")
    p.add_argument("--out", help="write the results as JSON here")
    p.add_argument("--load-only", action="store_true",
                   help="only the HTTP load run (`hoidap serve` in its own process, concurrent clients)")
    p.add_argument("--clients", type=int, default=20, help="concurrent clients of the load run (default 20)")
    p.add_argument("--seconds", type=float, default=60, help="duration of the load run in seconds (default 60)")
    p.add_argument("--zalo-only", action="store_true",
                   help="only the Zalo webhook load run (50 users × 10 questions through /zalo/bot, fake Zalo)")
    p.add_argument("--book-only", action="store_true",
                   help="only the book: cold ingest, killed at ~50 %% and run again, everything cached")
    p.add_argument("--pages", type=int, default=600, help="pages of the generated book (default 600)")
    p.add_argument("--realtext-only", action="store_true",
                   help="only the real-text index (vectors from `python -m evals.realtext embed`'s cache)")
    p.add_argument("--realtext-n", type=int, default=100_000, help="passages of the real-text index (default 100000)")
    p.add_argument("--realtext-reuse-vectors", action="store_true",
                   help="all --realtext-n passages even before all are embedded: those not yet embedded reuse an "
                        "embedded passage's vector (latency, size and memory are measured; hit@1 means little)")
    p.set_defaults(func=cmd_bench)
