"""report.md and report.html (plots: metrics per tag, latency histogram, ours vs baseline,
when matplotlib is installed — `pip install -e ".[report]"`; the tables need nothing)."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

HEADLINE = ["hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "citation_hit", "citation_precision",
            "source_hit", "page_hit", "derived_only", "answer_correctness", "correct_refusals", "false_refusals", "latency_p50_ms",
            "latency_p95_ms"]
VARIANT_COLUMNS = ["answer_correctness", "hit@1", "false_refusals", "correct_refusals"]


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) and v <= 1 else str(v))


def markdown(summary: dict) -> str:
    ours, base = summary["ours"], summary.get("baseline")
    lines = ["# hoidap evaluation", "", f"Questions: {ours['questions']} ({ours['answerable']} answerable, "
             f"{ours['unanswerable']} unanswerable) · model {summary['model']} · index {summary['index_generation']}", "",
             "| metric | ours |" + (" baseline |" if base else ""), "|---|---|" + ("---|" if base else "")]
    for key in HEADLINE:
        lines.append(f"| {key} | {_fmt(ours.get(key))} |" + (f" {_fmt(base.get(key))} |" if base else ""))
    cal = summary["calibration"]
    lines += ["", f"Refusal threshold {summary['refuse_threshold']}; suggested by calibration {cal['suggested_threshold']} "
              f"(refuses {cal['refused_unanswerable']:.0%} of unanswerable, {cal['false_refusals']:.0%} of answerable questions)."]
    if summary.get("variants"):
        lines += ["", "## Robustness: automatic variants", "", robustness_table(summary["variants"]), "",
                  "Each row: the questions the variant changes, as written (orig) and as the variant (var)."]
    lines += ["", "## Per tag", "", "| tag | n | hit@1 | hit@5 | correctness | refusals ok |", "|---|---|---|---|---|---|"]
    for tag, m in summary["ours_by_tag"].items():
        lines.append(f"| {tag} | {m['questions']} | {_fmt(m['hit@1'])} | {_fmt(m['hit@5'])} | {_fmt(m['answer_correctness'])} | {_fmt(m['correct_refusals'])} |")
    lines += ["", f"## Failed questions ({len(summary['failures'])})", ""]
    for f in summary["failures"]:
        lines += [f"### {f['id']}: {f['question']}", f"- tags: {', '.join(f['tags'])}",
                  f"- expected: {'refusal' if f['unanswerable'] else f['expected']}", f"- evidence: {f['evidence']}",
                  f"- refused: {f['refused']}; top source: {f['top_source']}", f"- answer: {f['answer'][:600]}", ""]
    return "\n".join(lines)


def robustness_table(variants: dict) -> str:
    head = "| variant | n | " + " | ".join(f"{k} orig | {k} var" for k in VARIANT_COLUMNS) + " |"
    rows = [head, "|---|---|" + "---|---|" * len(VARIANT_COLUMNS)]
    for kind, row in variants.items():
        cells = []
        for k in VARIANT_COLUMNS:
            cells += [_fmt(row["original"].get(k)), _fmt(row["variant"].get(k))]
        rows.append(f"| {kind} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def plots(summary: dict) -> list[tuple[str, str]]:
    try:
        import matplotlib
    except ImportError:  # the default install has no matplotlib: the report keeps its tables
        return []

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    tags = list(summary["ours_by_tag"])
    fig, ax = plt.subplots(figsize=(max(6, len(tags) * 0.6), 3.5))
    ax.bar(tags, [summary["ours_by_tag"][t]["answer_correctness"] or 0 for t in tags])
    ax.set_ylim(0, 1)
    ax.set_title("Answer correctness per tag")
    ax.tick_params(axis="x", rotation=60)
    out.append(("Metrics per tag", _png(fig)))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(summary["latencies_ms"], bins=30)
    ax.set_xlabel("ms")
    ax.set_title("answer() latency")
    out.append(("Latency", _png(fig)))
    plt.close(fig)
    if summary.get("baseline"):
        keys = ["hit@1", "hit@5", "mrr@10", "citation_hit", "answer_correctness", "correct_refusals"]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        xs = range(len(keys))
        ax.bar([x - 0.2 for x in xs], [summary["ours"][k] or 0 for k in keys], width=0.4, label="ours")
        ax.bar([x + 0.2 for x in xs], [summary["baseline"][k] or 0 for k in keys], width=0.4, label="baseline")
        ax.set_xticks(list(xs), keys, rotation=30)
        ax.set_ylim(0, 1)
        ax.legend()
        ax.set_title("Ours vs vanilla LlamaIndex")
        out.append(("Baseline vs ours", _png(fig)))
        plt.close(fig)
    return out


def write_report(summary: dict, out_dir: Path) -> None:
    md = markdown(summary)
    (out_dir / "report.md").write_text(md, encoding="utf-8")
    images = "".join(f"<h2>{html.escape(t)}</h2><img src='data:image/png;base64,{b}'>" for t, b in plots(summary))
    page = (f"<!doctype html><html lang='vi'><meta charset='utf-8'><title>hoidap evaluation</title>"
            f"<body style='font-family:sans-serif;max-width:960px;margin:auto'>{images}<pre style='white-space:pre-wrap'>"
            f"{html.escape(md)}</pre></body></html>")
    (out_dir / "report.html").write_text(page, encoding="utf-8")
