"""Query-side structures built once per index generation from its passages (kept on the
`OpenIndex`, and in the generation's cache file an ingest writes): the lexicon (rag.normalize),
who holds which office and the table columns (rag.grounding), and which documents are derived
from the others with, for each of their passages, the primary passages it restates."""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hoidap.model import PATH_SEP
from hoidap.textnorm import fold, syllables

from .grounding import RoleIndex, named_levels, table_columns
from .normalize import Lexicon

log = logging.getLogger("hoidap.structures")
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
    # doc_id → the levels ("tinh", "huyen", …) whose place the document names ("Thành ủy Yên Bái", "tỉnh Điện Biên")
    places: dict[str, set[str]] = field(default_factory=dict)

    def in_primary(self, term: str) -> bool:
        """A primary document (not a derived one) has this syllable or pair."""
        return any(term in terms for d, terms in self.doc_terms.items() if d not in self.derived)

    def booklet_pairs(self, index, doc_ids) -> list:
        """The Q&A pairs of these (derived) documents, in reading order."""
        return sorted((c for c in index.chunks if c.doc_id in doc_ids and c.kind == "qa"), key=lambda c: (c.doc_id, c.span[0]))


def structures(index) -> Structures:
    """The structures of this open index: read from the generation's cache file when an ingest
    left one there for this code, else built (then kept on the index)."""
    cached = index.__dict__.get("_structures")
    if cached is not None:
        return cached
    with _LOCK:
        cached = index.__dict__.get("_structures")
        if cached is None:
            cached = _read_cache(index) or _build(index)
            index.__dict__["_structures"] = cached
    return cached


# --- the cache file -------------------------------------------------------------------------------
# Building the structures takes a minute at 17k passages and over five at 100k, and every server
# opening the generation would repeat it. The ingest that wrote a generation builds them once and
# keeps them in it (`write_cache`); answering only reads the file, so an index on read-only storage
# is served as before. The file is a pickle: the index folder is trusted like the installed code
# (only `hoidap ingest` writes it). It is keyed by the source of the modules that build it, so a
# file written by other code is ignored and the structures are built instead.
CACHE_FILE = "structures.pickle"
_BUILT_BY = ("rag/structures.py", "rag/normalize.py", "rag/grounding.py", "rag/query.py", "rag/index.py",
             "hoidap/textnorm.py", "hoidap/lexical.py")


@lru_cache(maxsize=1)
def _code_key() -> str:
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for rel in _BUILT_BY:
        digest.update((root / rel).read_bytes())
    return digest.hexdigest()


def has_cache(generation: Path) -> bool:
    """The generation holds structures this code wrote."""
    try:
        with (Path(generation) / CACHE_FILE).open("rb") as f:
            return pickle.load(f) == _code_key()
    except Exception:
        return False


def _read_cache(index) -> Structures | None:
    path = Path(index.generation) / CACHE_FILE
    try:
        with path.open("rb") as f:
            if pickle.load(f) != _code_key():
                log.info("%s was written by another version of hoidap: building the structures", path)
                return None
            found = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as e:  # a truncated or damaged file: build instead
        log.warning("ignoring unreadable %s (%s): building the structures", path, e)
        return None
    if not isinstance(found, Structures):
        return None
    log.info("structures read from %s", path)
    return found


def write_cache(index) -> Path:
    """Build (or take) this generation's structures and keep them in it, written whole or not at
    all (a temporary file renamed over)."""
    s = structures(index)
    path = Path(index.generation) / CACHE_FILE
    tmp = path.with_name(f".{CACHE_FILE}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pickle.dump(_code_key(), f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(s, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _build(index) -> Structures:
    by_doc: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for c in index.chunks:
        texts = by_doc.setdefault(c.doc_id, [])
        for head in c.heading.split(PATH_SEP):  # headings are words of the corpus too ("2.1. Đối tượng"), each once
            if head and (c.doc_id, head) not in seen:
                seen.add((c.doc_id, head))
                texts.append(head)
        texts.append(c.text)
    lexicon = Lexicon.build(by_doc)
    docs = index.manifest.documents
    s = Structures(lexicon=lexicon, roles=RoleIndex.build(index.chunks, docs, lexicon), columns=table_columns(index.chunks),
                   derived={d for d, doc in docs.items() if is_derived(doc)})
    s.primary = primary_passages(index, s.derived)
    for doc_id, doc in docs.items():
        s.places[doc_id] = named_levels(f"{doc.get('title', '')}\n{doc.get('issuer', '')}")
    for c in index.chunks:
        s.places.setdefault(c.doc_id, set()).update(named_levels(c.text))
        words = syllables(c.text)
        folded = [fold(w) for w in words]
        terms = s.doc_terms.setdefault(c.doc_id, set())
        for seq in (words, folded):
            terms.update(seq)
            terms.update(f"{a} {b}" for a, b in zip(seq, seq[1:]))
    return s


_QA_WORDS = re.compile(r"\bhoi\s*-?\s*dap\b")
ABOUT_RUN = 3  # title words after "Hỏi - Đáp" that the question must repeat, in order, to name the booklet itself


# What a booklet says of itself: who compiled it, from what, how many questions it holds
_ITS_MAKING = re.compile(r"\b(?:ai|nhom nao|co quan nao|don vi nao)\b.*\b(?:bien soan|soan|tong hop)\b"
                         r"|\b(?:bien soan|soan|tong hop)\b.*\b(?:ai|nhom nao|co quan nao|don vi nao)\b"
                         r"|\b(?:tong hop|bien soan|soan) tu\b|\btu (?:bao nhieu|may|nhung|cac) (?:van ban|tai lieu)\b"
                         r"|\b(?:bao nhieu|may) cau hoi\b")  # (PAIRS_COUNTED)
# "… do Ban Tuyên giáo Trung ương biên soạn": a compiler named is another booklet's (this one's is a group)
_OTHER_COMPILER = re.compile(r"\bdo (?:ban|bo|nha|hoi|so|uy|cuc|vu|vien) \w+.*\b(?:bien soan|soan|phat hanh)\b")


def about_derived(question: str, documents: dict[str, dict], derived: set[str],
                  in_primary=lambda term: False, primary_named: bool = False) -> set[str]:
    """The derived documents a question asks about as such ("Ai biên soạn tài liệu Hỏi - Đáp về
    các kế hoạch học tập tác phẩm?", "… câu hỏi số 11 hỏi về gì?"): for what it says of itself a
    booklet is the primary source. Either the question repeats ABOUT_RUN words of its title right
    after the "Hỏi - Đáp" it names, or it asks how the booklet was made ("Tài liệu hỏi đáp được
    biên soạn từ những văn bản nào?") and the word after "Hỏi - Đáp" does not continue the name of
    a booklet the primary documents cite (`in_primary`: a pair of their words, accent-free): "Tài liệu
    Hỏi - đáp những nội dung cốt lõi của tác phẩm do ai biên soạn" is the official booklet the plans
    distribute, not this one; nor is a booklet asked of a plan the question names (`primary_named`:
    "Theo kế hoạch của Mặt trận, tài liệu hỏi - đáp về tác phẩm do ai biên soạn?")."""
    folded = " ".join(re.findall(r"\w+", fold(question).lower()))
    cited = names_cited_booklet(question, in_primary) or _OTHER_COMPILER.search(folded) is not None
    making = _ITS_MAKING.search(folded) is not None and not primary_named and not cited
    making = making or ((_NUMBERED_QUESTION.search(folded) or PAIRS_COUNTED.search(folded)) is not None
                        and not cited)  # "Câu hỏi số mấy … đề cập …", "câu hỏi cuối cùng …"
    out = set()
    for doc_id in derived:
        title = " ".join(re.findall(r"\w+", fold(documents.get(doc_id, {}).get("title") or "").lower()))
        m = _QA_WORDS.search(title)
        words = title[m.end():].split() if m else []
        if len(words) < ABOUT_RUN:
            continue
        run = " ".join(words[:ABOUT_RUN])
        for q in _QA_WORDS.finditer(folded):
            after = folded[q.end():].split()
            if " ".join(after[:ABOUT_RUN]) == run or (making and after):
                out.add(doc_id)
    return out


def names_cited_booklet(question: str, in_primary) -> bool:
    """The "Hỏi - Đáp" the question names goes on the way a booklet the primary documents cite is
    named ("Tài liệu Hỏi - đáp những nội dung cốt lõi của tác phẩm", the official one the plans
    distribute): `in_primary("dap nhung")` holds."""
    folded = " ".join(re.findall(r"\w+", fold(question).lower()))
    for q in _QA_WORDS.finditer(folded):
        after = folded[q.end():].split()
        if after and in_primary(f"{q.group(0).split()[-1]} {after[0]}"):
            return True
    return False


# by its number, or which number ("câu nào hỏi về …": only ever read of a booklet asked about as such)
_NUMBERED_QUESTION = re.compile(r"\bcau hoi (?:so |thu )?(?:\d+|may|nao)\b|\bcau(?: hoi)? dau tien\b|\bcau nao\b")
_QUESTION_NUMBER = re.compile(r"\bcau hoi (?:so |thu )?(\d{1,3})\b")
_FIRST_QUESTION = re.compile(r"\bcau(?: hoi)? dau tien\b")  # "câu hỏi đầu tiên": number 1
# "… có bao nhiêu câu hỏi?", "Câu hỏi cuối cùng của bộ hỏi - đáp là câu số mấy?": the count, and the last pair
PAIRS_COUNTED = re.compile(r"\b(?:bao nhieu|may) cau hoi\b|\bcau(?: hoi)? cuoi(?: cung)?\b")


def asks_pairs(question: str) -> bool:
    """The booklet's pairs themselves are asked for: by number, which number, or how many."""
    folded = fold(question).lower()
    return _NUMBERED_QUESTION.search(folded) is not None or PAIRS_COUNTED.search(folded) is not None


def question_number(query) -> str | None:
    """The number of a booklet's pair asked about ("câu hỏi số 11 hỏi về gì"), when the question is
    about the booklet itself (`about_derived`)."""
    folded = fold(query.normalized or query.question).lower()
    m = _QUESTION_NUMBER.search(folded)
    number = m.group(1).lstrip("0") if m else "1" if _FIRST_QUESTION.search(folded) else None
    return number if query.about_derived else None


def own_voice(chunk, query) -> bool:
    """A passage of a derived document that speaks for the document itself, when the question
    asks about it: its opening lines (who compiled it, from what), and a numbered question of
    it asked for by number ("câu hỏi số 11 hỏi về gì"). Its answers about the plans stay derived:
    asked through the booklet, a plan's deadline is still quoted from the plan."""
    if chunk.doc_id not in query.about_derived:
        return False
    return chunk.kind != "qa" or _NUMBERED_QUESTION.search(fold(query.normalized or query.question).lower()) is not None


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
