"""Query-side structures built once per open index generation from its passages (cached on
the `OpenIndex`): the lexicon (rag.normalize), who holds which office and the table columns
(rag.grounding), and which documents are derived from the others with, for each of their
passages, the primary passages it restates."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from hoidap.textnorm import fold, syllables

from .grounding import RoleIndex, table_columns
from .normalize import Lexicon

_LOCK = threading.Lock()
_DERIVED = re.compile(r"\b(bien soan|tong hop|trich) tu\b")
_NUMBER = re.compile(r"\d+(?:[/.]\d+)*")


@dataclass
class Structures:
    lexicon: Lexicon
    roles: RoleIndex
    columns: dict[str, str]
    derived: set[str] = field(default_factory=set)  # doc_ids of derived documents
    primary: dict[str, list[str]] = field(default_factory=dict)  # derived chunk_id → primary chunk_ids
    doc_terms: dict[str, set[str]] = field(default_factory=dict)  # doc_id → its syllables and pairs (exact and accent-free)


def structures(index) -> Structures:
    """The structures of this open index (built on first use, then kept on it)."""
    cached = index.__dict__.get("_structures")
    if cached is not None:
        return cached
    with _LOCK:
        cached = index.__dict__.get("_structures")
        if cached is None:
            cached = _build(index)
            index.__dict__["_structures"] = cached
    return cached


def _build(index) -> Structures:
    by_doc: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for c in index.chunks:
        texts = by_doc.setdefault(c.doc_id, [])
        for head in c.heading.split(" › "):  # headings are words of the corpus too ("2.1. Đối tượng"), each once
            if head and (c.doc_id, head) not in seen:
                seen.add((c.doc_id, head))
                texts.append(head)
        texts.append(c.text)
    lexicon = Lexicon.build(by_doc)
    docs = index.manifest.documents
    s = Structures(lexicon=lexicon, roles=RoleIndex.build(index.chunks, docs, lexicon), columns=table_columns(index.chunks),
                   derived={d for d, doc in docs.items() if is_derived(doc)})
    s.primary = primary_passages(index, s.derived)
    for c in index.chunks:
        words = syllables(c.text)
        folded = [fold(w) for w in words]
        terms = s.doc_terms.setdefault(c.doc_id, set())
        for seq in (words, folded):
            terms.update(seq)
            terms.update(f"{a} {b}" for a, b in zip(seq, seq[1:]))
    return s


def is_derived(doc: dict) -> bool:
    """A document compiled from the other documents (its title or kind says so — "biên soạn
    từ …", "tổng hợp từ …" — or its metadata sets `derived`): it may lead to an answer but is
    never the source an answer cites."""
    if doc.get("derived") is not None:
        return bool(doc.get("derived"))
    return bool(_DERIVED.search(fold(" ".join(str(doc.get(k, "")) for k in ("title", "kind"))).lower()))


def primary_passages(index, derived: set[str]) -> dict[str, list[str]]:
    """For every passage of a derived document, the primary passages that say the same: those
    of the documents its question names (else of all primary documents) that best cover its
    answer's words and every number and date in it (at most three)."""
    if not derived:
        return {}
    primaries = [c for c in index.chunks if c.doc_id not in derived]
    out: dict[str, list[str]] = {}
    for c in index.chunks:
        if c.doc_id not in derived:
            continue
        answer = c.text.split("Trả lời:", 1)[-1]
        question = c.question or c.text.split("Trả lời:", 1)[0]
        named = set(index.aliases.match(question)) - derived
        pool = [p for p in primaries if not named or p.doc_id in named]
        words = set(syllables(answer))
        weight = {w: index.idf(w) for w in words}
        total = sum(weight.values()) or 1.0
        numbers = set(_NUMBER.findall(answer))
        scored = []
        for p in pool:
            present = set(syllables(p.text))
            cov = sum(weight[w] for w in words if w in present) / total
            nums = {n for n in numbers if n in p.text}
            scored.append((cov + (len(nums) / len(numbers) if numbers else 0.0), cov, nums, p))
        scored.sort(key=lambda t: -t[0])
        if not scored or scored[0][1] < 0.5:
            continue
        chosen = [scored[0][3]]
        missing = numbers - scored[0][2]
        while missing and len(chosen) < 3:  # an answer gathered from neighbouring passages
            extra = next((t for t in scored[1:] if t[3].doc_id == chosen[0].doc_id and t[2] & missing
                          and t[3] not in chosen), None)
            if extra is None:
                break
            chosen.append(extra[3])
            missing -= extra[2]
        out[c.chunk_id] = [p.chunk_id for p in chosen]
    return out
