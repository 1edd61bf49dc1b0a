"""Turning answers and passages into what a person sees. Document text is always shown as
text: HTML is escaped and markdown characters are escaped, so a passage containing
`<script>` or `**` shows literally; only the markup built here is live."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

from hoidap.schema import AnswerOut, Citation

_MARKER = re.compile(r"\[(\d{1,2})\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def md_text(text: str) -> str:
    """Plain text made inert for the chat's markdown renderer: HTML escaped, markdown
    punctuation backslash-escaped (so "1." is not a list, "**x**" is not bold)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def highlight_param(c: Citation) -> str:
    return ",".join(f"{a}-{b}" for a, b in c.highlights)


def parse_highlights(value: str | None) -> list[tuple[int, int]]:
    out = []
    for part in (value or "").split(",")[:50]:
        m = re.fullmatch(r"(\d{1,9})-(\d{1,9})", part.strip())
        if m and int(m.group(1)) < int(m.group(2)):
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def passage_url(c: Citation) -> str:
    return f"/passage/{quote(c.chunk_id, safe='')}?h={highlight_param(c)}"


def where(c: Citation) -> str:
    """A compact source line: issuer, number, date, section, page."""
    parts = [c.issuer, c.number, c.date and f"ngày {c.date}", c.heading and f"mục {c.heading}", c.page and f"trang {c.page}"]
    return " · ".join(p for p in parts if p)


def answer_markdown(answer: AnswerOut, turn: int) -> str:
    """The chat message for a finished answer: the quoted text with clickable [n] markers,
    then its sources (so copying the message copies them too). Refusals are set apart and
    their closest passages are labelled as not being support."""
    by_marker = {c.marker: c for c in answer.citations}
    pieces, pos = [], 0
    for m in _MARKER.finditer(answer.answer):
        pieces.append(md_text(answer.answer[pos:m.start()]))
        c = by_marker.get(int(m.group(1)))
        if c is None:
            pieces.append(md_text(m.group(0)))
        else:
            pieces.append(f'<a href="{passage_url(c)}" target="_blank" class="hoidap-cite cite-{turn}-{c.marker}">'
                          f'[{c.marker}]</a>')
        pos = m.end()
    pieces.append(md_text(answer.answer[pos:]))
    body = "".join(pieces)
    if answer.refused:
        return f'<span class="hoidap-refusal">⚠️ Không tìm thấy căn cứ trong tài liệu</span>\n\n{body}'
    lines = [body]
    if answer.notice:
        lines.insert(0, f"_{md_text(answer.notice)}_")
    if answer.flagged:
        lines.append(f"\n_{md_text('Có câu chưa có căn cứ trích dẫn, cần đối chiếu với tài liệu gốc.')}_")
    if answer.citations:
        lines.append("\n**Nguồn:**")
        for c in answer.citations:
            lines.append(f'- <a href="{passage_url(c)}" target="_blank" class="hoidap-cite cite-{turn}-{c.marker}">'
                         f'[{c.marker}]</a> {md_text(c.title[:140])}' + (f" — {md_text(where(c))}" if where(c) else ""))
    return "\n".join(lines)


def answer_plain(answer: AnswerOut) -> str:
    """The answer with its sources as plain text (copying, messaging apps)."""
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("Nguồn:")
        for c in answer.citations:
            lines.append(f"[{c.marker}] {c.title[:140]}" + (f" — {where(c)}" if where(c) else ""))
    return "\n".join(lines)


def passage_html(view, pdf_url: str | None = None) -> str:
    """The side panel: document facts, then the passage within its surrounding text, the
    quoted parts marked, and the other documents that carry the same passage."""
    e = html.escape
    d = view.doc
    facts = [("Tài liệu", d.title), ("Cơ quan ban hành", d.issuer), ("Số", d.number), ("Ngày", d.date),
             ("Mục", view.heading), ("Trang", str(view.page) if view.page else "")]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts if v)
    body = "".join(f"<mark>{e(t)}</mark>" if quoted else e(t) for t, quoted in view.segments)
    parts = [f'<div class="hoidap-passage" data-chunk="{e(view.chunk_id)}">',
             f'<table class="hoidap-facts">{rows}</table>']
    if pdf_url:
        parts.append(f'<p><a href="{e(pdf_url)}" target="_blank" rel="noopener">Mở tệp PDF gốc'
                     + (f" tại trang {view.page}" if view.page else "") + "</a></p>")
    parts.append(f'<div class="hoidap-context"><span class="hoidap-around">{e(view.before)}</span>'
                 f'<span class="hoidap-cited">{body}</span><span class="hoidap-around">{e(view.after)}</span></div>')
    if view.also_in:
        items = "".join(f"<li>{e(a['title'] or a['source'])}</li>" for a in view.also_in)
        parts.append(f"<p>Đoạn này cũng có trong:</p><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


PANEL_CSS = """
.hoidap-passage { font-size: 0.95em; }
.hoidap-facts th { text-align: left; padding-right: .6em; white-space: nowrap; vertical-align: top; }
.hoidap-context { white-space: pre-wrap; line-height: 1.5; max-height: 60vh; overflow-y: auto;
  border: 1px solid #ddd; border-radius: 6px; padding: .6em; }
.hoidap-around { color: #666; }
.hoidap-cited { background: #eef5ff; }
.hoidap-context mark { background: #ffe066; color: #000; padding: 0 1px; }
.hoidap-refusal { display: inline-block; background: #fff3cd; color: #664d03; border: 1px solid #ffda6a;
  border-radius: 4px; padding: 2px 8px; font-weight: 600; }
"""


def passage_page(view, pdf_url: str | None = None) -> str:
    """A whole page for one passage (the marker links' target when scripts are off)."""
    title = html.escape(view.doc.title or view.doc.doc_id)
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>body{{font-family:sans-serif;max-width:52em;margin:1em auto;padding:0 1em}}{PANEL_CSS}</style>"
            f"</head><body>{passage_html(view, pdf_url)}</body></html>")
