"""Hybrid retrieval: dense (Chroma through LlamaIndex) + BM25 on syllables + BM25 on the
accent-free form, fused by reciprocal rank, then reranked with cheap features (topic-word
coverage, heading match, documents named in the question), and near-duplicates collapsed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from llama_index.core.schema import QueryBundle

from hoidap.store import index_text_parts
from hoidap.textnorm import canonical, fold, has_diacritics, lexical_terms, syllables

from .book import BookQuestion, page_rows
from .grounding import (asked_levels, asks_own_number, carries_own_number, cites, dates_cited_number, cited_reference, issuer_reference,
                        list_items, mentions_date, named_levels, row_cells)
from .index import OpenIndex
from .query import (BASIS_LINE, DOC_NUMBER, FOLDED_STOPWORDS, LISTED_NOUNS, Query, asks_recipients, counted_noun, has_fact,
                    is_recipients_block, is_recipients_heading, lists_items, numbers_items)
from .sections import in_section
from .structures import own_voice, question_number, structures
from .types import Candidate

POOL = 40
RRF_K = 60
WEIGHTS = {"dense": 0.7, "exact": 1.0, "folded": 0.4}
# Rerank: a weighted sum of the features `rerank_features` gives a passage for a question.
RERANK = {
    "rank": 0.3,  # the fused dense + BM25 rank (1 for the best)
    "coverage": 0.4,  # idf-weighted share of the question's topic syllables and pairs in the passage
    "heading": 0.15,  # … in its heading path (and its Q&A question)
    "text": 0.05,  # tie-break within a section: the passage whose own text (not its heading) has the words
    "leaf": 0.1,  # … or whose own sub-heading ("2.1. Đối tượng") has them, not just the section above it
    "named_heading": 0.1,  # the question says a short sub-heading word for word ("đối tượng … gồm những ai": "III. ĐỐI TƯỢNG")
    "field": 0.1,  # a labelled line whose label the question names ("+ Báo cáo viên: …" for "báo cáo viên … là ai")
    "named_doc": 1.0,  # passages of a document the question names come first
    "context_doc": 0.25,  # the conversation's documents, when the question names none (a soft preference)
    "signer": 0.6,  # "Ai ký …?": the signature block
    "fact": 0.1,  # the passage holds the kind of fact asked for (a date, a number)
    "docnum": 0.2,  # … a document number asked for ("thực hiện kế hoạch số mấy"): without one a passage cannot answer
    "deadline": 0.2,  # … a deadline asked for ("trước ngày nào", "thời hạn"): likewise
    "place": 0.2,  # … a place asked for by its level ("thuộc tỉnh nào"): the passage names one ("UBND tỉnh Điện Biên")
    "focus": 0.2,  # "người đó", "kế hoạch đó": the passage the previous answer cited
    # … and, pointed at or not, a tie goes to that passage: "Văn phòng Thành ủy có nhiệm vụ gì" then "phối hợp với
    # ai" asks of the task just quoted, not of a table row naming the same office
    "previous": 0.02,
    "role": 0.6,  # the passage where the holder of the office asked for appears with that office
    "row": 0.5,  # how well a table row's content cell covers the question, when a column is asked for
    # … and when none is, nor the table, a tie between a table row and the body text saying the same goes to the
    # text (the appendix table summarises the body: "tuyên truyền trên những kênh nào" is the body's "+ Hình thức: …")
    "unasked_row": -0.02,
    "subject": 0.15,  # "X có nhiệm vụ gì": the passage that opens with X (X's own item of the plan)
    "issue_date": 0.3,  # "Kế hoạch 205 ban hành ngày nào?": the named document's passage giving its own date
    "id": 0.1,  # "Kế hoạch 205 ban hành ngày nào?": the passage itself mentions the number the question names
    "recipients": 0.3,  # "Kế hoạch … được gửi (báo cáo) tới những cơ quan nào": the named document's "Nơi nhận" block
    "cited": 0.3,  # "Kế hoạch của Tỉnh ủy được Sở nhắc tới mang số hiệu gì": the line citing a plan of that issuer by number
    # (and "Kế hoạch 143 ban hành ngày nào" of the plan carrying out plan 143: the line giving 143 with its date)
    "ordinal": 0.3,  # coverage, when the passage holds the numbered item asked for ("bài học thứ năm")
    "basis": 0.3,  # "căn cứ văn bản nào": the passage has a line "Thực hiện Kế hoạch số …" / "Căn cứ …"
    "numbered_question": 0.6,  # "câu hỏi số 11 của tài liệu Hỏi - Đáp": the booklet's pair numbered so
    # "CCVC là viết tắt của gì": the passage that spells it out, "công chức, viên chức (CCVC)"; "“phòng” và “chống”
    # được xác định thế nào": the passage saying what each quoted word is ("Phòng là …, chống là …")
    "defined": 0.6,
    "routed": 0.2,  # "gửi về đâu, qua cơ quan nào", "đầu mối chuyển báo cáo": the line "… về A (qua B)"
    # "mấy việc, gồm những gì": the passage lists the tasks (query.LISTED_NOUNS). Only for what plans list: a
    # count of people or pages elsewhere ("500 đại biểu" of another meeting) would outrank the passage
    # that, lacking the count, shows the question is a near-miss
    "listed": 0.2,
    "closing": 0.6,  # "đoạn kết của kế hoạch …": the named document's last passage before its recipients and signature
    "section": 0.6,  # "Mục VI của hướng dẫn …": the passage lies in the numbered section asked for (rag.sections)
    "book": 1.0,  # pages, article dates, photos asked about in a book (rag.book keeps its own weights)
    # "… phối hợp với ai": the passage saying with whom it is done ("… phối hợp với các đoàn thể …")
    "partnered": 0.1,
}
DERIVED_PENALTY = 0.5  # a derived passage (Q&A booklet) is never quoted: it drops below the primary passages
_NUMBERED_SEGMENT = re.compile(r"(?:^|› )\s*(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*)[.)]\s")
_MARKER = re.compile(r"\(\d{1,2}\)|(?:^|› )\s*(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*)[.)]\s", re.M)  # numbering is not a topic word


@lru_cache(maxsize=2048)  # ~70 candidates × 4 texts a question; a passage's set is ~20 KB
def _present_terms(text: str, folded: bool) -> frozenset:
    """The syllables and side-by-side pairs of a passage (list numbering left out), as coverage
    matches a question's terms against them. Cached: the same passages come back question after
    question, and splitting them was most of retrieval's time on a large index."""
    text = _MARKER.sub(" ", text)
    words = [w.lstrip("0") or "0" if w.isdigit() else w for w in syllables(fold(text) if folded else text)]
    # "Kết luận số 21-KL/TW" is also said "Kết luận 21": the pair across the "số" before a number
    numbered = {f"{a} {n}" for a, s, n in zip(words, words[1:], words[2:]) if s in ("số", "so") and n.isdigit()}
    return frozenset(words) | {f"{a} {b}" for a, b in zip(words, words[1:])} | numbered


def coverage(index: OpenIndex, query: Query, text: str) -> float:
    """Share of the question's topic syllables and pairs (idf-weighted) found in the text."""
    if not query.terms:
        return 0.0
    return _covered(index, query, _present_terms(text, query.folded))


def terms_coverage(index: OpenIndex, terms: list[str], text: str, folded: bool) -> float:
    """Share (idf-weighted) of `terms` found in the text: coverage of a part of the question."""
    present = _present_terms(text, folded)
    total = sum(index.idf(t) for t in terms)
    return sum(index.idf(t) for t in terms if t in present) / total if total else 0.0


def passage_coverage(index: OpenIndex, query: Query, chunk, doc: dict) -> float:
    """Coverage of what the index saw of a passage (`index_text`: document line, heading, Q&A
    question, text), taken part by part: the context part is shared by a section's passages and
    the text's terms are needed on their own as well, so each part is split once. A pair of words
    across the break between two parts is not a phrase of the passage."""
    if not query.terms:
        return 0.0
    parts = [_present_terms(p, query.folded) for p in index_text_parts(chunk, doc) if p]
    return _covered(index, query, frozenset().union(*parts))


def _covered(index: OpenIndex, query: Query, present: frozenset) -> float:
    if query.synonyms:
        present = set(present)
    for abbr, terms in query.synonyms:  # "MTTQ" in the passage answers "Mặt trận Tổ quốc", and back
        whole = [t for t in terms if " " not in t] or terms
        if abbr in present or fold(abbr) in present or (whole and all(t in present for t in whole)):
            present |= set(terms) | {abbr, fold(abbr)}
    weighted, total = _weighted_terms(index, query)
    return sum(w for t, w in weighted if t in present) / total if total else 0.0


def _weighted_terms(index: OpenIndex, query: Query) -> tuple[list[tuple[str, float]], float]:
    """The question's terms with their idf × weight, and the sum: computed once per question
    (coverage runs a few hundred times for one question)."""
    key = ("weighted_terms", id(index))
    if key not in query.memo:
        weighted = [(t, index.idf(t) * query.weights.get(t, 1.0)) for t in query.terms]
        query.memo[key] = (weighted, sum(w for _, w in weighted))
    return query.memo[key]


def retrieve(index: OpenIndex, query: Query, top_k: int = 10, filters: dict | None = None) -> list[Candidate]:
    n = len(index.chunks)
    if n == 0 or _names_only_excluded_documents(index, query, filters):
        return []
    ranked: dict[str, list[int]] = {}
    # Dense: the query embedding is computed once and handed to the LlamaIndex retriever.
    allowed = _allowed_rows(index, filters)
    embedding = index.embedder.query(query.search_text)
    nodes = _dense_retriever(index, filters).retrieve(
        QueryBundle(query_str=query.search_text, embedding=embedding.tolist()))
    dense_scores = {index.position[nw.node.node_id]: float(nw.score or 0.0) for nw in nodes if nw.node.node_id in index.position}
    ranked["dense"] = sorted(dense_scores, key=dense_scores.get, reverse=True)
    scheme = index.manifest.lexical_scheme
    forms = {"folded": lexical_terms(query.typed_text, "folded", scheme)}
    if not query.folded:
        forms["exact"] = lexical_terms(query.search_text, "exact", scheme)
    for form, toks in forms.items():
        scores = index.lexical[form].scores(toks)
        if allowed is not None:  # a filtered search ranks only the passages it may return
            scores = np.where(allowed, scores, 0.0)
        top = np.argpartition(-scores, POOL)[:POOL] if len(scores) > POOL else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        ranked[form] = [int(i) for i in top if scores[i] > 0]
    fused: dict[int, float] = {}
    for name, rows in ranked.items():
        for rank, row in enumerate(rows):
            fused[row] = fused.get(row, 0.0) + WEIGHTS[name] / (RRF_K + rank + 1)
    if not fused:
        return []
    extra = _structural_rows(index, query, filters)
    for row in extra:
        fused.setdefault(row, 0.0)
    book_q = BookQuestion.of(query.question)  # pages, dates, "bài nào …" in the question (rag.book)
    for row in page_rows(index, book_q.page, allowed) if book_q.page is not None else ():
        fused.setdefault(row, 0.0)
    best = max(fused.values()) or 1.0
    # a passage the dense search did not return is less similar than the last one it did, not dissimilar
    dense_floor = min(dense_scores.values(), default=0.0)
    ids = identifiers(query.normalized)
    holders: set[str] = set()
    if query.role is not None:
        holders = {h.chunk_id for h in structures(index).roles.find(query.role, index.manifest.documents)[0]}
    derived = structures(index).derived
    candidates = []
    context = _RerankContext(query=query, best=best, ids=ids, holders=holders, derived=derived, book=book_q,
                             cited=query.cited or cited_reference(query.normalized or query.question) or (
                                 # "kế hoạch của Tỉnh ủy số mấy", no document of that issuer in the corpus: a cited one
                                 issuer_reference(query.normalized or query.question)
                                 if query.wants == "docnum" and not query.docs else None),
                             recipients=asks_recipients(query.normalized or query.question),
                             question_number=question_number(query), closing=closing_passages(index, query),
                             listed=counted_noun(query.normalized or query.question) in LISTED_NOUNS,
                             routed=_ASKS_ROUTE.search(fold(query.normalized or query.question).lower()) is not None,
                             levels=tuple(place_levels(query)), quoted=tuple(quoted_terms_asked(query.question)),
                             partner=_PARTNER_ASKED.search(fold(query.normalized or query.question).lower()) is not None)
    for row, rrf in fused.items():
        chunk = index.chunks[row]
        doc = index.doc(chunk.doc_id)
        if filters and not passes_filters(doc, filters):
            continue
        feats = rerank_features(index, context, chunk, doc, rrf)
        score = sum(RERANK[name] * value for name, value in feats.items() if value)
        candidates.append(Candidate(chunk=chunk, doc=doc, score=score, dense=dense_scores.get(row, dense_floor),
                                    coverage=feats["coverage"], features=feats))
    _promote_primaries(index, query, candidates)
    candidates.sort(key=lambda c: c.score, reverse=True)
    return collapse(candidates, index)[: max(top_k, 20)]


@dataclass
class _RerankContext:
    """What every passage's features are computed against, worked out once per question."""
    query: Query
    best: float  # the best fused rank score (ranks are scaled by it)
    ids: list[str]  # document numbers the question names
    holders: set[str]  # passages naming the holder of the office asked for
    derived: set[str]  # derived documents (never the named document's passages)
    book: BookQuestion
    cited: tuple[str, str] | None = None  # (kind, issuer) of a cited document asked for (grounding.cited_reference)
    recipients: bool = False  # the question asks where the document is sent (query.asks_recipients)
    question_number: str | None = None  # "câu hỏi số 11": a booklet's pair asked for by its number
    listed: bool = False  # a "mấy việc / bao nhiêu nhiệm vụ" question: what plans list is counted (query.LISTED_NOUNS)
    closing: frozenset = frozenset()  # "đoạn kết của kế hoạch": the named documents' closing passages
    routed: bool = False  # the question asks through whom something is sent ("qua cơ quan nào", "đầu mối")
    levels: tuple = ()  # the levels whose place the question asks ("thuộc tỉnh nào": grounding.asked_levels)
    quoted: tuple = ()  # the words the question quotes and asks what they are ("“phòng” và “chống” … thế nào")
    partner: bool = False  # the question asks with whom something is done ("phối hợp với ai")


# Reports go "về Ban Thường vụ Thị ủy (qua Ban Tuyên giáo Thị ủy)": asked through whom, that line answers
# (not "đầu mối tổng hợp là Ban Tuyên giáo …": the hub said, not asked)
_ASKS_ROUTE = re.compile(r"\b(?:thong )?qua (?:co quan|don vi|ban|noi|dau) nao\b|\b(?:thong )?qua (?:co quan|don vi|ai)\b"
                         r"|\bdau moi\b(?! (?:\w+ ){0,2}la (?!ai\b|gi\b|(?:don vi|co quan|ban|noi) nao\b))")
_ROUTED = re.compile(r"\((?:thông )?qua\s")
# "… phối hợp với ai / cơ quan nào": with whom, which a passage saying "phối hợp với …" answers (accent-free)
_PARTNER_ASKED = re.compile(r"\bphoi hop (?:\w+ ){0,2}voi (?:ai|nhung ai|co quan nao|don vi nao|ban nao|to chuc nao)\b")
_PARTNERED = re.compile(r"\bphoi hop (?:chat che )?voi\b")


# "Đoạn kết của kế hoạch yêu cầu …", "phần cuối hướng dẫn …": the closing paragraph, where plans say who
# must carry them out ("Trên đây là Kế hoạch …, yêu cầu các chi bộ … nghiêm túc triển khai")
# (typed with diacritics, they must be these: "cấu kết" is collusion; typed without, "cau ket" is left out)
_CLOSING = re.compile(r"\b(?:đoạn|phần|câu) (?:kết|cuối)(?: cùng)?\b|\bcuối (?:văn bản|kế hoạch|hướng dẫn)\b")
_CLOSING_FOLDED = re.compile(r"\b(?:doan|phan) (?:ket|cuoi)(?: cung)?\b|\bcuoi (?:van ban|ke hoach|huong dan)\b")


def closing_passages(index: OpenIndex, query: Query) -> frozenset:
    """The last passage of body text of each document the question names, before its "Nơi nhận" and
    signature, when the question asks for its closing part."""
    asked = query.normalized or query.question
    closing = _CLOSING.search(canonical(asked)) if has_diacritics(asked) else _CLOSING_FOLDED.search(fold(asked).lower())
    if not query.docs or not closing:
        return frozenset()
    out = set()
    for doc_id in query.docs:
        chunks = [index.chunks[r] for r in index.doc_rows(doc_id)]
        ends = [c.span[0] for c in chunks if c.kind == "signature" or is_recipients_heading(c.heading)]
        body = [c for c in chunks if c.kind == "text" and not is_recipients_heading(c.heading)
                and (not ends or c.span[1] <= min(ends))]
        if body:
            out.add(max(body, key=lambda c: c.span[1]).chunk_id)
    return frozenset(out)


# the table is what the question reads ("theo bảng phân công", "trong phụ lục", "cột", "dòng": accented only, as
# accent-free "dong" is also "đồng chí"; "hàng" is "hàng năm" too), and reads it as where to look ("trong phụ lục …")
_TABLE_NAMED = re.compile(r" (?:bang|phu luc|phan cong|cot) ")
_ROW_WORD = re.compile(r"(?<!\w)dòng(?!\w)")
_IN_TABLE = re.compile(r" (?:trong|theo|o|tai|tren) (?:bang|phu luc) ")
_ASKS_WHERE = re.compile(r" (o|tai) dau | noi nao | dia diem nao ")
HEADING_NUMBER = re.compile(r"^\s*(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s*", re.I)  # "II. ", "1.2. ", "a) "
NAMED_HEADING_WORDS = 4  # longer headings are topics the question shares, not names it says …
SECTION_NAMED_WORDS = 8  # … unless the question calls them a part ("phần", "mục"), up to this long
_PART_WORDS = {"phan", "muc", "doan"}  # ("tiểu mục" ends in "mục")


def _heading_words(leaf: str) -> list[str]:
    """A sub-heading's syllables without its numbering ("2. Về đối tượng" names "đối tượng")."""
    words = syllables(HEADING_NUMBER.sub("", leaf))
    return words[1:] if words[:1] == ["về"] else words


HEADING_SAID = 0.75  # share of a sub-heading's words the question says for it to name that list ("tài liệu sinh hoạt, tuyên truyền")


def says_heading(query: Query, leaf: str) -> bool:
    """The question says most of the sub-heading's words, anywhere: a long question naming a plan and more
    covers little of the heading by share, yet asks for exactly that list ("những tài liệu sinh hoạt, tuyên
    truyền nào")."""
    words = [w for w in (fold(w).lower() for w in _heading_words(leaf)) if w not in FOLDED_STOPWORDS]
    said = set(_asked(query).folded.split())
    return len(words) >= 2 and sum(w in said for w in words) >= HEADING_SAID * len(words)


def defines(text: str, abbreviation: str) -> bool:
    """The text spells the abbreviation out, writing it in brackets after its words ("… viên chức (CCVC)")."""
    return re.search(rf"\w\s*\(\s*{re.escape(abbreviation)}\s*\)", text) is not None


# A word or two the question quotes ("“phòng” và “chống” được xác định thế nào", "“giặc nội xâm” là gì"), asked what
# it is: the passage saying "X là …" (or "… là “X”") answers, not the many that only use the word
_SHORT_QUOTE = re.compile(r"[“\"‘']([^”\"’']{2,30})[”\"’']")
_WHAT_IS = re.compile(r"\b(?:la gi|nhu the nao|the nao|ra sao|duoc xac dinh|duoc hieu|nghia la|co nghia|hieu la"
                      r"|(?:cau chu|loi le|cach dien dat) nao)\b")


def quoted_terms_asked(question: str) -> list[str]:
    """The quoted words (at most three each) of a question asking what they are; [] otherwise."""
    terms = [t.strip() for t in _SHORT_QUOTE.findall(question) if 1 <= len(t.split()) <= 3]
    return terms if terms and _WHAT_IS.search(fold(question).lower()) else []


def says_what_is(text: str, term: str) -> bool:
    """The text says what `term` is: "Phòng là cơ bản, …" or "… là “giặc nội xâm”"."""
    t = re.escape(canonical(term))
    return re.search(rf"(?<!\w){t}[”\"’]?\s+là\s|\slà\s+[“\"‘]?{t}(?!\w)", canonical(text), re.I) is not None


def _names_heading(query: Query, leaf: str) -> bool:
    """The question contains the sub-heading's words as they stand (numbering and case aside)."""
    words = _heading_words(leaf)
    if not words or len(words) > SECTION_NAMED_WORDS:
        return False
    asked = _asked(query)
    if not asked.accented:
        words = [fold(w) for w in words]
    n = len(words)
    if any(" ".join(words) == said and terms for said, terms in query.synonyms):
        return True  # said in the askers' words: "… áp dụng cho những ai" names "2.1. Đối tượng" (query.PARAPHRASES)
    at = [i for i in range(len(asked.words) - n + 1) if asked.words[i:i + n] == words
          and not _said_as_verb(words, asked.words[i + n:i + n + 1])]
    # a longer heading counts when the question calls it a part ("Trong phần giá trị của tác phẩm, …")
    return any(n <= NAMED_HEADING_WORDS or fold(" ".join(asked.words[max(0, i - 1):i])) in _PART_WORDS for i in at)


# Headings that are also verbs: "Kế hoạch 205 yêu cầu tuyên truyền …" requires something, it does not name
# the section "2. Yêu cầu"; said as the section, the heading ends the phrase or is followed by what it is asked
VERB_HEADINGS = {"yeu cau"}
_AFTER_NOUN = {"gi", "nao", "gom", "la", "cua", "doi", "dat", "chung", "cu", "trong", "the", "thu", "ra", "duoc", "co", "nhu", "ve"}


def _said_as_verb(words: list[str], after: list[str]) -> bool:
    said = " ".join(fold(w) for w in words).lower()
    return said in VERB_HEADINGS and bool(after) and fold(after[0]).lower() not in _AFTER_NOUN


@dataclass(frozen=True)
class _AskedWords:
    """The question's words as the per-passage features read them, worked out once per question."""
    words: list[str]  # its syllables, lowercase, as typed
    accented: bool  # typed with diacritics
    folded: str  # " a b c ": its accent-free syllables, space-padded for phrase lookups
    where: bool  # "… ở đâu", "tại đâu", "nơi nào"
    table: bool  # "theo bảng phân công", "trong phụ lục": the table is what the question reads
    in_table: bool  # … as where to look ("trong phụ lục ai phụ trách việc đó")


def _asked(query: Query) -> _AskedWords:
    if "asked_words" not in query.memo:
        words = syllables(query.normalized or query.question)
        folded = " " + " ".join(fold(w) for w in words) + " "
        table = _TABLE_NAMED.search(folded) is not None or _ROW_WORD.search(" ".join(words).lower()) is not None
        query.memo["asked_words"] = _AskedWords(words, has_diacritics(" ".join(words)), folded,
                                                _ASKS_WHERE.search(folded) is not None, table,
                                                _IN_TABLE.search(folded) is not None)
    return query.memo["asked_words"]


# labels naming the kind of value every activity of a plan has ("+ Thời gian: …"): a question saying
# "thời gian" asks for a time, and each activity's line would match it
GENERIC_LABELS = {"thoi gian", "thoi han", "hinh thuc", "noi dung", "dia diem", "thanh phan", "muc dich", "yeu cau"}
_FIELD_LABEL = re.compile(r"^[ \t]*(?:[-+•]|\d{1,2}\.)?[ \t]*([^\W\d][^:\n]{2,30}):", re.M)


def _has_asked_field(query: Query, text: str) -> bool:
    """A line of the passage labels its value with words the question asks about, as a
    form does ("+ Báo cáo viên: mời báo cáo viên Trung ương."): two syllables at least, so
    "Nơi nhận" or a lone "Lưu" is no match for any question that happens to share a word."""
    asked = _asked(query)
    for m in _FIELD_LABEL.finditer(text):
        label = syllables(fold(m.group(1)))
        if asked.where and label[:1] == ["noi"]:  # "… sinh hoạt ở đâu": "1. Nơi sinh hoạt: …"
            label = label[1:]
        if len(label) >= 2 and " ".join(label) not in GENERIC_LABELS and f" {' '.join(label)} " in asked.folded:
            return True
    return False


def rerank_features(index: OpenIndex, ctx: _RerankContext, chunk, doc: dict, rrf: float) -> dict[str, float]:
    """The features of a passage for the question (see RERANK for what each is)."""
    query = ctx.query
    cov = passage_coverage(index, query, chunk, doc)
    leaf = chunk.leaf_heading
    named = chunk.doc_id in query.docs and (chunk.doc_id not in ctx.derived or own_voice(chunk, query))
    # (naming a derived document, "tài liệu Hỏi - Đáp", points at what it restates: no bonus)
    return {
        "rank": rrf / ctx.best,
        "coverage": cov,
        "heading": coverage(index, query, chunk.heading + " " + chunk.question),
        "text": coverage(index, query, chunk.text),
        # a real sub-heading, not the passage's own first words
        "leaf": coverage(index, query, leaf) if leaf and leaf[:30] not in chunk.text[:200] else 0.0,
        "named_heading": float(bool(leaf) and leaf[:30] not in chunk.text[:200] and _names_heading(query, leaf)),
        "field": float(chunk.kind != "row" and _has_asked_field(query, chunk.text)),
        "named_doc": float(named),
        "context_doc": float(not named and chunk.doc_id in query.context_docs),
        "signer": float(query.asks_signer and chunk.kind == "signature"),
        "fact": (fact := float(carries_own_number(chunk.text, doc) if own_number_asked_of(query, chunk.doc_id, doc)
                               else _has_wanted_fact(query, chunk.text, ctx.ids))),
        "docnum": fact if query.wants == "docnum" else 0.0,
        "deadline": fact if query.memo.get("deadline") else 0.0,
        "place": float(bool(ctx.levels) and bool(set(ctx.levels) & named_levels(chunk.text))),
        # … unless the question reads the table and that passage is no row ("trong phụ lục ai phụ trách việc đó")
        "focus": float(chunk.chunk_id in query.focus and (chunk.kind == "row" or not _asked(query).in_table)),
        "previous": float(chunk.chunk_id in query.previous and _says_what_is_asked(query, chunk.text, ctx.ids)),
        "role": float(chunk.chunk_id in ctx.holders),
        "row": row_match(index, query, chunk.text) if query.columns and chunk.kind == "row" else 0.0,
        "unasked_row": float(chunk.kind == "row" and not query.columns and not _asked(query).table),
        "subject": float(bool(query.subject) and led_by(chunk, query.subject)),
        "issue_date": float(query.issue_date and chunk.doc_id in query.docs
                            and mentions_date(chunk.text, doc.get("date") or "")),
        # only for its issue date: asked what a document says or wants ("thời hạn … theo Kế hoạch 205",
        # "thực hiện kế hoạch số mấy"), a line repeating its number ("(kèm theo Kế hoạch số 205 …)") is no clue
        "id": float(bool(ctx.ids) and query.issue_date and any(re.search(rf"(?<![\d/.]){i}(?!\d)", chunk.text) for i in ctx.ids)),
        "recipients": float(ctx.recipients and named and is_recipients_block(chunk, query.normalized or query.question)),
        "cited": float(query.wants in ("docnum", "date") and ctx.cited is not None and cites(chunk.text, ctx.cited, doc.get("number") or "")
                       or query.wants == "date" and dates_cited_number(query.docs.get(chunk.doc_id) or [], doc, chunk.text)),
        "ordinal": cov if query.ordinal and has_item(chunk.text, query.ordinal, _asked(query).table) else 0.0,
        # the preamble's ("Mở đầu") basis is the plan's own; one inside a section, of a single activity
        "basis": (0.0 if not query.basis or not BASIS_LINE.search(chunk.text)
                  else 1.0 if not _NUMBERED_SEGMENT.search(chunk.heading) else 0.5),
        # (only in a document the question names: "phần II của tác phẩm" is the book's part, not a plan's section II)
        "numbered_question": float(chunk.kind == "qa" and ctx.question_number is not None
                                   and chunk.text.startswith(f"Câu hỏi {ctx.question_number}:")),
        # a numbered list says how many; a list of dashes, only by counting its lines
        "listed": 0.0 if not ctx.listed else 1.0 if numbers_items(chunk.text) else 0.5 if lists_items(chunk.text) else 0.0,
        "closing": float(chunk.chunk_id in ctx.closing),
        "routed": float(ctx.routed and _ROUTED.search(chunk.text) is not None),
        "defined": float(bool(query.defines) and defines(chunk.text, query.defines)
                         or bool(ctx.quoted) and all(says_what_is(chunk.text, t) for t in ctx.quoted)),
        "section": float(query.section is not None and chunk.doc_id in query.docs and in_section(chunk.heading, query.section)),
        "book": ctx.book.bonus(chunk),
        "partnered": float(ctx.partner and _PARTNERED.search(fold(chunk.text).lower()) is not None),
    }


def _says_what_is_asked(query: Query, text: str, ids) -> bool:
    """The passage holds every syllable the follow-up itself says (not those it inherits) and the kind of fact it asks:
    "phối hợp với ai" of a task quoted with "phối hợp với …", not "hạn nộp?" of a passage giving no date."""
    present = _present_terms(text, query.folded)
    own = [t for t in query.terms if " " not in t and query.weights.get(t, 1.0) >= 1.0]  # (a table's cells part pairs)
    return all(t in present for t in own) and (not query.wants or _has_wanted_fact(query, text, ids))


def own_number_asked_of(query: Query, doc_id: str, doc: dict) -> bool:
    """"Kế hoạch 205 mang số hiệu gì?": the named document's own number is what answers (once per
    document and question)."""
    if query.wants != "docnum" or doc_id not in query.docs:
        return False
    key = f"own_number:{doc_id}"
    if key not in query.memo:
        query.memo[key] = asks_own_number(query.normalized or query.question, doc)
    return query.memo[key]


def own_number_asked(index, query: Query) -> list[str]:
    """The named documents whose own number the question asks."""
    return [d for d in query.docs if own_number_asked_of(query, d, index.doc(d))]


def asks_deadline(query: Query) -> bool:
    """"Trước ngày nào", "thời hạn", "hạn chót": a date something must be done by, not any date."""
    if "deadline" not in query.memo:  # once per question, not per passage
        query.memo["deadline"] = query.wants == "date" and bool(_ASKS_DEADLINE.search(fold(query.normalized or query.question).lower()))
    return query.memo["deadline"]


def _has_wanted_fact(query: Query, text: str, own_ids: list[str]) -> bool:
    """The passage holds the kind of fact asked for. A document number asked for ("thực hiện kế
    hoạch số mấy?") is another document's: the named document's own number does not answer it."""
    if asks_deadline(query):
        return DEADLINE.search(text) is not None  # "trước ngày nào": a deadline, not any date (a cited plan's)
    if query.wants != "docnum" or not own_ids:
        return has_fact(query.wants, text)
    return any((m.group(1) or m.group(2)).lstrip("0") not in own_ids for m in DOC_NUMBER.finditer(text))


_ASKS_DEADLINE = re.compile(r"\b(truoc (ngay|thoi diem|thoi han) (?:nao|bao nhieu|may)|han chot|thoi han|cham nhat|han (bao cao|nop|gui)"
                            r"|(keo dai |ket thuc |)(den|toi) (khi nao|bao gio|luc nao|thoi diem nao|ngay nao|thang nao))\b")
DEADLINE = re.compile(r"\b(?:trước|chậm nhất|hạn|xong|hoàn thành)(?:\s+vào)?\W{0,3}(?:ngày\s*|\*\*)?\d{1,2}\s*/\s*\d{1,2}"
                       r"|\b(?:trước|chậm nhất|hạn|xong trước)(?:\s+vào)?\W{0,3}(?:tháng|quý)\s"
                       r"|\bđến(?: hết)?\W{0,3}(?:ngày|tháng|năm|quý)\s*\d", re.IGNORECASE)  # "… đến tháng 11/2025": until when


def led_by(chunk, subject: str) -> bool:
    """The passage (or its own sub-heading) opens with the subject: "4. Ban Tuyên giáo Huyện ủy
    hướng dẫn …" is what the Ban Tuyên giáo Huyện ủy does."""
    wanted = subject.split()
    for own_heading, text in ((False, chunk.text), (True, chunk.heading.rsplit("›", 1)[-1])):
        lead = re.sub(r"^[\s\-–+•*]*(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*)?[.)]?\s*", "", text[:200])
        words = re.sub(r"[^\w ]", " ", fold(lead).lower()).split()
        if words[:len(wanted)] == wanted:
            return True
        # "Trung tâm Truyền thông và Văn hóa thành phố Yên Bái có nhiệm vụ gì": the sub-heading
        # names the body without the place the question adds
        if own_heading and 2 <= len(words) < len(wanted) <= len(words) + PLACE_WORDS and wanted[:len(words)] == words:
            return True
        # "Ủy ban Mặt trận với các đoàn thể cấp thị xã …": the sub-heading "UB Mặt trận Tổ quốc và các đoàn thể
        # chính trị - xã hội cấp thị" names every word of it, in other order and spelling
        if own_heading and len(words) <= SUBHEADING_WORDS and _spelled_out(wanted) - _LINKING <= set(_spelled_out(words)) \
                and len(_spelled_out(wanted) - _LINKING) >= 4:
            return True
    return False


SUBHEADING_WORDS = 20  # a sub-heading naming a body, not a sentence
_LINKING = {"va", "voi", "cac", "cua", "nhung", "cung"}
_BODY_ABBREVIATIONS = {"ub": "uy ban", "mttq": "mat tran to quoc", "ubmttq": "uy ban mat tran to quoc", "btg": "ban tuyen giao",
                       "ubnd": "uy ban nhan dan", "tu": "", "hu": ""}


def _spelled_out(words: list[str]) -> set[str]:
    return {w for word in words for w in _BODY_ABBREVIATIONS.get(word, word).split()}


PLACE_WORDS = 3  # words a question may add after a body's name ("… thành phố Yên Bái")


def identifiers(text: str) -> list[str]:
    """Document numbers a question names ("205", "126-KH/TU" → "126"): 3 digits or more, or
    written with a document code; not dates, counts or years."""
    out = []
    for m in re.finditer(r"(?<![\d/.])(\d{2,4})(?:\s*-?\s*[A-ZĐ]{2,}(?:/[A-ZĐ]+)?)?(?![\d/.])", text):
        n = m.group(1)
        if (len(n) >= 3 or m.group(0) != n) and not re.fullmatch(r"(19|20)\d\d", n):
            out.append(n)
    return out


def row_match(index: OpenIndex, query: Query, text: str) -> float:
    """How well a table row's content cell (the one after its number) covers the question."""
    cells = row_cells(text)
    content = next((v for name, v, _, _ in cells[1:2]), text)
    return coverage(index, query, content)


def place_levels(query: Query) -> list[str]:
    """The levels whose place the question asks ("thuộc tỉnh nào": grounding.asked_levels), once per question."""
    if "levels" not in query.memo:
        query.memo["levels"] = asked_levels(query.normalized or query.question)
    return query.memo["levels"]


def has_item(text: str, n: int, rows: bool = False) -> bool:
    """The passage is item n of a list ("(5) …" at its start), holds "(n)" among its items, or, when the
    question reads a table (`rows`), is row n of it ("TT: 1; NỘI DUNG: …": "dòng đầu tiên của nhóm hội nghị")."""
    row = _ROW_NUMBER.match(text)
    if row:
        return rows and int(row.group(1)) == n
    return text.lstrip().startswith(f"({n})") or any(k == n for k, _, _ in list_items(text))


_ROW_NUMBER = re.compile(r"\s*S?TT:\s*(\d{1,3})\s*;")


def _structural_rows(index: OpenIndex, query: Query, filters: dict | None) -> list[int]:
    """Passages that must be considered whatever the search ranked: the holder of the office
    asked for, the passages a follow-up points at, the named documents' signature blocks asked who
    signed, the numbered section asked for."""
    rows = []
    ids = list(query.focus)
    if query.role is not None:
        ids += [h.chunk_id for h in structures(index).roles.find(query.role, index.manifest.documents)[0]]
    for cid in ids:
        row = index.position.get(cid)
        if row is not None:
            rows.append(row)
    if query.asks_signer and query.docs:  # "… ai ký": the named documents' signature blocks, whatever else the words found
        rows += [row for doc_id in query.docs for row in index.doc_rows(doc_id)
                 if index.chunks[row].doc_id == doc_id and index.chunks[row].kind == "signature"]
    if query.section is not None and query.docs:  # "Mục VI của hướng dẫn …": that section's passages
        rows += [row for doc_id in query.docs for row in index.doc_rows(doc_id)
                 if index.chunks[row].doc_id == doc_id and in_section(index.chunks[row].heading, query.section)][:MAX_SECTION_ROWS]
    return rows


MAX_SECTION_ROWS = 50  # a section's passages considered whatever the search ranked (an appendix table runs long)


def _promote_primaries(index: OpenIndex, query: Query, candidates: list[Candidate]) -> None:
    """A derived passage (the Q&A booklet restating a plan) is never a source. When one ranks
    first it leads to the primary passages it restates: they take its place, the one that covers
    the question best first (see structures.primary_passages). Every derived passage then drops
    below the primary ones (extract never quotes it)."""
    st = structures(index)
    if not st.primary or not candidates:
        return
    by_id = {c.chunk.chunk_id: c for c in candidates}
    ranked = sorted(candidates, key=lambda c: -c.score)
    for n, c in enumerate(ranked):
        if c.chunk.doc_id not in st.derived or own_voice(c.chunk, query):
            continue
        if n > 0:
            c.score -= DERIVED_PENALTY
            continue
        primaries = st.primary.get(c.chunk.chunk_id) or []
        if n == 0:  # of the passages it restates, the one that answers this question first
            primaries = sorted(primaries, key=lambda pid: -_own_coverage(index, query, pid))
        for k, pid in enumerate(primaries):
            p = by_id.get(pid)
            if p is None:
                row = index.position.get(pid)
                if row is None:
                    continue
                chunk = index.chunks[row]
                own = passage_coverage(index, query, chunk, index.doc(chunk.doc_id))
                p = Candidate(chunk=chunk, doc=index.doc(chunk.doc_id), score=RERANK["coverage"] * own, coverage=own)
                candidates.append(p)
                by_id[pid] = p
            if n == 0:  # the booklet answered best: its primary passages answer in its place
                p.score = max(p.score, c.score + 0.01 - 0.001 * k)
                p.coverage, p.dense, p.via = max(p.coverage, c.coverage), max(p.dense, c.dense), c.chunk.chunk_id
        c.score -= DERIVED_PENALTY


def _own_coverage(index: OpenIndex, query: Query, chunk_id: str) -> float:
    row = index.position.get(chunk_id)
    if row is None:
        return 0.0
    chunk = index.chunks[row]
    return coverage(index, query, chunk.text)


def _allowed_rows(index: OpenIndex, filters: dict | None) -> np.ndarray | None:
    if not filters:
        return None
    docs = {doc_id for doc_id, doc in index.manifest.documents.items() if passes_filters(doc, filters)}
    return np.fromiter((c.doc_id in docs for c in index.chunks), dtype=bool, count=len(index.chunks))


def _dense_retriever(index: OpenIndex, filters: dict | None):
    """The shared retriever, or one restricted to the documents the filters allow (Chroma
    filters on the doc_id stored with every vector)."""
    if not filters:
        return index.retriever
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    docs = sorted(d for d, doc in index.manifest.documents.items() if passes_filters(doc, filters)) or ["-"]
    return index.vector_index.as_retriever(
        similarity_top_k=index.retriever.similarity_top_k,
        filters=MetadataFilters(filters=[MetadataFilter(key="doc_id", value=docs, operator=FilterOperator.IN)]))


def _names_only_excluded_documents(index: OpenIndex, query: Query, filters: dict | None) -> bool:
    """The question names documents and the search scope excludes every one of them: another
    document's passage would answer a question about a different plan, so nothing is retrieved."""
    if not filters or not query.docs:
        return False
    docs = index.manifest.documents
    return not any(passes_filters(docs[d], filters) for d in query.docs if d in docs)


def passes_filters(doc: dict, filters: dict) -> bool:
    for key in ("doc_id", "issuer", "kind"):
        wanted = filters.get(key)
        if wanted and fold(str(wanted)) not in fold(str(doc.get(key, ""))):
            return False
    return True


def collapse(candidates: list[Candidate], index: OpenIndex) -> list[Candidate]:
    """One result per repeated passage (the best-ranked copy); every other document
    carrying it is listed in `also_in`."""
    kept: list[Candidate] = []
    seen: set[str] = set()
    for c in candidates:
        group = c.chunk.dup_group
        if group:
            if group in seen:
                continue
            seen.add(group)
            others: dict[str, dict] = {}
            for twin in index.groups.get(group, []):
                if twin.doc_id != c.chunk.doc_id and twin.doc_id not in others:
                    doc = index.doc(twin.doc_id)
                    others[twin.doc_id] = {"doc_id": twin.doc_id, "title": doc.get("title", ""),
                                           "source": doc.get("source", ""), "chunk_id": twin.chunk_id}
            c.also_in = list(others.values())
        kept.append(c)
    return kept
