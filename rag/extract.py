"""The default answer, which needs no language model: the sentence(s) or list that answer
the question, quoted verbatim from the best passages, each tied to a numbered citation —
or an honest refusal when the passages do not cover the question."""
from __future__ import annotations

import re
from dataclasses import replace

from hoidap.schema import Citation, OtherDocument
from hoidap.textnorm import canonical, fold, syllables

from .book import asks_where, covers, locator, only_page, page_asked
from .calibration import features, probability
from .grounding import (as_typed, carries_own_number, dates_cited_number, list_items, mentions_date, named_levels,
                        names_a_section, person_names, row_cells)
from .index import OpenIndex
from .query import (BASIS_LINE, FOLDED_STOPWORDS, Query, asks_day, asks_fact, asks_hour, asks_recipients, asks_who,
                    counted_noun, counted_nouns, counts, dated_object, gives_hour, has_fact, is_recipients_block, is_recipients_heading,
                    content_words, numbers_items, topic_terms, without_question_frame)
from .parts import asked_parts
from .positions import COUNT, LAST, asked_list, item_at, named_depth, named_part, subsections
from .timeline import period_answer
from .purposes import section_answer as purpose_answer
from .quotes import NEAR_QUOTE_CONFIDENCE, NOT_FOUND, QUOTE_CONFIDENCE, quote_answer
from .conversation import asks_all_of_it
from .enumerations import asked_point, asks_part_outline, list_quoted, lists_asked, names_list, part_outline, points_answer
from .routes import other_routes
from .retrieve import (DEADLINE, HEADING_NUMBER, asks_deadline, coverage, led_by, own_number_asked, own_number_asked_of,
                       place_levels, quoted_terms_asked, says_heading, says_what_is, terms_coverage)
from .structures import own_voice
from .sections import asks_outline
from .titles import (actor_leaf, actor_line, asks_columns, asks_title, columns_answer, document_outline_answer,
                     heading_above, heading_line, missing_pair, missing_section, pairs_count_answer, section_answer,
                     title_answer, with_heading_line)
from .types import AVAILABLE_DOCUMENTS, Answer, Candidate

LEAD_CHARS = 1000
_INJECTION = re.compile(
    r"bo qua (moi|tat ca|cac|nhung)? ?(huong dan|chi dan|chi thi|lenh|quy tac)|ignore (all|any|the|previous|your)|"
    r"(viet|sang tac|lam) (cho toi )?(mot )?(bai )?(tho|truyen|bai hat)|system prompt|jailbreak|dong vai|gia vo la|"
    r"quen (het|di) (moi|cac)|khong can (trich dan|nguon)")
REFUSAL = ("Các tài liệu trong kho không đề cập đến nội dung này, nên tôi không thể trả lời "
           "mà không có đoạn trích làm căn cứ.")
SUGGESTIONS = [
    "Tác phẩm gồm mấy phần?",
    "8 bài học kinh nghiệm trong phòng, chống tham nhũng, tiêu cực là gì?",
    "Thời hạn gửi báo cáo kết quả của Thành ủy Yên Bái?",
    "Ai ký Hướng dẫn của Ban Tuyên giáo Thị ủy?",
]


def units(text: str) -> list[str]:
    """Quotable units of a passage: its lines, long lines cut at sentence ends. A line
    holding an enumerated list "(1) …; (2) …" stays whole."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if len(line) <= 500 or re.search(r"\(\d\)", line):
            out.append(line)
        else:
            out.extend(s for s in _SENTENCE_START.split(line) if s)
    return out


# where a long line is cut into units: after a sentence's end, and before a plan's basis clause ("…
# Nguyễn Phú Trọng Thực hiện Hướng dẫn số 66 …"), which the chunker joins to the title line above it
_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ“(])|\s+(?=(?:Thực hiện|Căn cứ) (?:theo )?(?:các |những )?"
                             r"(?:Kế hoạch|Hướng dẫn|Chỉ thị|Kết luận|Nghị quyết|[Cc]ông văn|Quy định|Quyết định)\b)")


BASIS_UNIT_BONUS = 0.3  # "căn cứ văn bản nào": the line "Thực hiện Kế hoạch số …" over one that merely mentions a plan


OWN_NUMBER_UNIT_BONUS = 0.3  # "Kế hoạch … có ký hiệu gì": its number line ("Số: /KH-SKHCN") over a line citing others


ISSUE_DATE_UNIT_BONUS = 0.3  # "… ban hành ngày nào": the line with the named document's own date ("Điện Biên, ngày tháng 4 năm 2023")


PLACE_UNIT_BONUS = 0.3  # "Sở … thuộc tỉnh nào": the line naming the place of that level ("UBND tỉnh Điện Biên")


def unit_score(index: OpenIndex, query: Query, unit: str) -> float:
    score = coverage(index, query, unit) + (0.15 if has_fact(query.wants, unit) else 0.0)
    levels = place_levels(query)
    if levels and set(levels) & named_levels(unit):
        score += PLACE_UNIT_BONUS
    if query.wants == "docnum" and any(carries_own_number(unit, index.doc(d)) for d in own_number_asked(index, query)):
        score += OWN_NUMBER_UNIT_BONUS
    if query.issue_date and any(mentions_date(unit, index.doc(d).get("date") or "") for d in query.docs):
        score += ISSUE_DATE_UNIT_BONUS
    return score + (BASIS_UNIT_BONUS if query.basis and BASIS_LINE.search(unit) else 0.0)


def confidence(index: OpenIndex, query: Query, candidates: list[Candidate], lead: Candidate | None = None,
               unit_cov: float | None = None) -> float:
    """P(the answer quoted from `lead` is correct), from the fitted model in rag.calibration."""
    if not candidates or not query.terms:
        return 0.0
    lead = lead or candidates[0]
    if unit_cov is None:
        unit_cov = best_unit_coverage(index, query, lead)
    return probability(answer_features(index, query, candidates, lead, unit_cov))


def answer_features(index: OpenIndex, query: Query, candidates: list[Candidate], lead: Candidate,
                    unit_cov: float | None = None) -> dict[str, float]:
    """The confidence model's inputs (rag.calibration) for an answer led by `lead`."""
    if unit_cov is None:
        unit_cov = best_unit_coverage(index, query, lead)
    return features(query, candidates, lead, unit_cov, _lexicon(index), FOLDED_STOPWORDS,
                    doc_coverage(index, query, lead.chunk.doc_id), predicate_coverage(index, query, lead))


def predicate_coverage(index: OpenIndex, query: Query, lead: Candidate) -> float:
    """Coverage by the passage (with its heading) of this turn's question without the names in
    it: the documents it names and the people."""
    from .query import topic_terms

    text = (query.normalized or query.question).lower()
    folded = fold(text)
    names = [n for found in _named_documents(index, query).values() for n in found]
    names += [fold(p).lower() for p in person_names(query.normalized or query.question)]
    keep = list(text) if len(folded) == len(text) else list(folded)
    for name in sorted(names, key=len, reverse=True):  # (a name kept accented, the bare "sở", is no "số": see DocAliases)
        within = folded if fold(name) == name or len(folded) != len(text) else text
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", within):
            keep[m.start():m.end()] = " " * (m.end() - m.start())
    # terms the question's reading weighs 0 are not what it asks ("chức vụ gì" after "ai ký": the
    # signature block gives the office without naming it)
    terms = [t for t in topic_terms("".join(keep), query.folded) if query.weights.get(t, 1.0) > 0]
    if not terms:
        return 1.0
    lead_text = lead.chunk.heading + " " + lead.chunk.text
    words = syllables(fold(lead_text) if query.folded else lead_text)
    present = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}
    for said, asked in query.synonyms:  # two spellings of one word ("hàng năm" in the passage, "hằng năm" asked)
        if (said in present or fold(said) in present) and any(fold(a) == fold(said) for a in asked):
            present |= set(asked)
    total = sum(index.idf(t) for t in terms)
    return sum(index.idf(t) for t in terms if t in present) / total if total else 1.0


def doc_coverage(index: OpenIndex, query: Query, doc_id: str) -> float:
    """Share (idf-weighted) of this turn's question terms found anywhere in the document."""
    st = _structures(index)
    terms = [t for t in query.terms if query.weights.get(t, 1.0) >= 1.0]
    if st is None or doc_id not in st.doc_terms or not terms:
        return 1.0
    have = st.doc_terms[doc_id]
    total = sum(index.idf(t) for t in terms)
    return sum(index.idf(t) for t in terms if t in have) / total if total else 1.0


def best_unit_coverage(index: OpenIndex, query: Query, cand: Candidate) -> float:
    parts = units(cand.chunk.text) or [cand.chunk.text]
    return max(coverage(index, query, u) for u in parts)


def _lexicon(index: OpenIndex):
    st = getattr(index, "__dict__", {}).get("_structures")
    return st.lexicon if st is not None else None


def _structures(index: OpenIndex):
    return getattr(index, "__dict__", {}).get("_structures")


def is_injection(question: str) -> bool:
    return bool(_INJECTION.search(fold(question)))


def citation(n: int, cand: Candidate, quoted: list[tuple[int, int]] | None = None) -> Citation:
    """`quoted`: offsets inside the passage of the parts the answer quotes (the whole passage
    when None); the citation carries them as offsets in the document text."""
    c, d = cand.chunk, cand.doc
    base = c.span[0]
    parts = quoted if quoted is not None else [(0, len(c.text))]
    return Citation(marker=n, passage=c.text, title=d.get("title", ""), issuer=d.get("issuer", ""),
                    number=d.get("number", ""), date=d.get("date", ""), kind=d.get("kind", ""), heading=c.heading,
                    page=c.page, page_end=c.page_end, source=d.get("source", ""), span=c.span, doc_id=c.doc_id,
                    chunk_id=c.chunk_id,
                    highlights=[(base + a, base + b) for a, b in parts if b > a],
                    also_in=[OtherDocument(**{k: a.get(k, "") for k in ("doc_id", "title", "source", "chunk_id")})
                             for a in cand.also_in])


# A detail line under a "- item": "+ …", a labelled line ("Thời gian thực hiện: Cuối tháng 4/2023.",
# "Chủ trì: …") or a note in brackets ("(Link bản sách điện tử: …)"; "(1) …" is an item of its own)
_DETAIL = re.compile(r"^(?:\+|\((?!\d)|[^\W\d_][^\n:;.]{2,40}:\s)")


def _is_detail(part: str) -> bool:
    return bool(_DETAIL.match(part)) and not part.startswith("- ")


def _item(parts: list[str], i: int, budget: int) -> list[int]:
    """A "- item" goes with its details ("+ …" lines, labelled lines such as "Thời gian thực
    hiện: …"): the whole group around unit i, as far as the budget allows, the best unit first."""
    if not (parts[i].startswith("- ") or _is_detail(parts[i])):
        return [i]
    start = i
    while start > 0 and _is_detail(parts[start]):
        start -= 1
    if not parts[start].startswith(("- ", "+")):  # a labelled line not under a list item stands alone
        return [i]
    end = i + 1
    while end < len(parts) and _is_detail(parts[end]):
        end += 1
    group = [i] + [k for k in range(start, end) if k != i]
    out, used = [], 0
    for k in group:
        if not out or used + len(parts[k]) <= budget:
            out.append(k)
            used += len(parts[k])
    return out


def _locate(passage: str, parts: list[str]) -> list[tuple[int, int]]:
    """Offsets of quoted parts inside the passage, searched in reading order (every part is a
    verbatim piece of it; the last may be cut short with "…")."""
    spans, pos = [], 0
    for part in parts:
        piece = part[:-1] if part.endswith("…") else part
        start = passage.find(piece, pos)
        if start < 0:
            start = passage.find(piece)
        if start >= 0:
            spans.append((start, start + len(piece)))
            pos = start + len(piece)
    return spans


def _cut(text: str, budget: int) -> str:
    return text if len(text) <= budget else text[:budget].rsplit(" ", 1)[0] + "…"


def quote(index: OpenIndex, query: Query, cand: Candidate, budget: int, strict: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """The part of a passage that answers (the best unit and close runners-up, in order),
    with the offsets of what was quoted inside the passage."""
    chunk = cand.chunk
    structured = _structured_quote(index, query, cand)
    if structured:
        text = " ".join(structured)
        return text, _locate(chunk.text, structured)
    if chunk.kind == "qa" and own_voice(chunk, query):  # the booklet asked about itself: its numbered question too
        asked, _, said = chunk.text.partition("\n")
        parts = [asked, _cut(said, max(budget - len(asked), 120))] if said else [asked]
        return "\n".join(parts), _locate(chunk.text, parts)
    if chunk.kind == "qa":
        text = _cut(chunk.text.split("Trả lời:", 1)[-1].strip(), budget)
        return text, _locate(chunk.text, [text])
    if chunk.kind in ("row", "signature") or len(chunk.text) <= 300:
        return chunk.text.replace("\n", " "), [(0, len(chunk.text))]
    guide = _guide(index, cand)
    all_units = units(chunk.text)
    listed = _list_section(index, query, chunk, all_units, budget)
    if listed:  # "… dùng những tài liệu nào?" and the passage is that list: every item, in order
        return "\n".join(listed), _locate(chunk.text, listed)
    if is_recipients_block(chunk, query.normalized or query.question) and asks_recipients(query.normalized or query.question):
        # "… được gửi tới những cơ quan nào": the whole "Nơi nhận" list, in order
        sent_to = _each_shortened(all_units, budget, 80)
        return "\n".join(sent_to), _locate(chunk.text, sent_to)
    if query.all_tasks and query.subject and not query.besides and led_by(chunk, query.subject):
        # "X có nhiệm vụ gì" and the passage is X's own part of the plan: its tasks, in order
        tasks = _each_shortened(all_units, budget)
        return "\n".join(tasks), _locate(chunk.text, tasks)
    parts = _focus_lists(index, query, all_units, guide)
    scores = [unit_score(index, query, u) + GUIDE_WEIGHT * _overlap(guide, u) for u in parts]
    if query.besides:  # "Ngoài tài liệu đó, còn …": what the last answer quoted is not the answer again
        fresh = [i for i, u in enumerate(parts) if not _already_said(u, query)]
        if fresh:
            scores = [sc if i in fresh else -1.0 for i, sc in enumerate(scores)]
    best = max(range(len(parts)), key=lambda i: scores[i])
    chosen = set(_item(parts, best, budget))
    each_part = _each_asked_part(index, query, parts) + _beyond_what_is_known(index, query, parts)
    for i in each_part + sorted(range(len(parts)), key=lambda i: -scores[i]):
        if (i in each_part or scores[i] >= 0.6 * scores[best]) and sum(len(parts[k]) for k in chosen | {i}) <= budget:
            chosen.add(i)
    for i in sorted(chosen):  # a line ending in a colon ("Nội dung tập trung làm rõ:") with what it introduces
        if parts[i].rstrip().endswith(":") and i + 1 < len(parts) and i + 1 not in chosen \
                and sum(len(parts[k]) for k in chosen | {i + 1}) <= budget:
            chosen.add(i + 1)
    picked = [parts[i] for i in sorted(chosen)]
    text = " ".join(picked)
    if len(text) > budget + (0 if strict else 200):
        text = _cut(text, budget)
        kept, used = [], 0
        for p in picked:  # the parts that survive the cut, the last one shortened
            if used >= len(text):
                break
            kept.append(p if used + len(p) <= len(text) else text[used:])
            used += len(p) + 1
        picked = kept
    return text, _locate(chunk.text, picked)


def _asked_parts(query: Query) -> list[str]:
    """The question's parts (rag.parts), split once per question: every quoted passage asks."""
    if "asked_parts" not in query.memo:
        query.memo["asked_parts"] = asked_parts(query.normalized or query.question)
    return query.memo["asked_parts"]


def _each_asked_part(index: OpenIndex, query: Query, parts: list[str]) -> list[int]:
    """For a question asking two or three things ("… do cơ quan nào biên soạn, còn Bản tin … thì do ai
    biên soạn?", rag.parts), the unit that best covers each part: one unit seldom answers both."""
    key = ("part_units", tuple(parts))
    if key not in query.memo:
        best: list[int] = []
        for part in _asked_parts(query):
            terms = [t for t in topic_terms(part, query.folded) if t in query.terms]
            covered = [terms_coverage(index, terms, u, query.folded) for u in parts]
            if terms and max(covered, default=0.0) > 0:
                best.append(max(range(len(parts)), key=lambda i: covered[i]))
        query.memo[key] = best
    return query.memo[key]


# "Ngoài họp hành tập trung, Sở … có yêu cầu cán bộ tự học không?": what the asker knows, then what is asked (accent-free)
_BESIDES_LEAD = re.compile(r"\bngoai ((?:viec |cac |nhung )?[^,?]{3,60}?),\s*(.{6,})$")


def _beyond_what_is_known(index: OpenIndex, query: Query, parts: list[str]) -> list[int]:
    """The unit that best covers what a question asks after the "Ngoài X," it knows: the passage's line about X
    outranks it on X's words, and is not what is asked."""
    m = _BESIDES_LEAD.search(fold(query.question).lower().strip())
    said = re.findall(r"\w+", query.normalized or query.question)
    start = next((i for i, w in enumerate(said) if fold(w).lower() == "ngoai"), None)
    if not m or start is None:
        return []
    # (the clauses in the normalised question, whose comma and lead-in may be gone: from "ngoài", by its words)
    end = start + 1 + len(re.findall(r"\w+", m.group(1)))
    known, rest = ([t for t in topic_terms(" ".join(w), query.folded) if t in query.terms]
                   for w in (said[start:end], said[end:]))
    # (what it asks beyond the line about what it knows: "tự học" beside the "họp giao ban" line's "học", "sách")
    gain = [terms_coverage(index, rest, u, query.folded) - terms_coverage(index, known, u, query.folded) for u in parts]
    return [max(range(len(parts)), key=lambda i: gain[i])] if rest and max(gain, default=0.0) > 0 else []


def _each_shortened(parts: list[str], budget: int, least: int = 120) -> list[str]:
    """Every part, in order, each cut to its share of the budget (never below `least` characters)."""
    each = max(least, budget // max(1, len(parts)))
    return [_cut(p, each) for p in parts]


def _bare(unit: str) -> str:
    """A unit as an answer quotes it: bullet and closing punctuation left out, canonical form."""
    return canonical(unit).strip(" -–+•*;.,")


def _already_said(unit: str, query: Query) -> bool:
    """The previous answer (`query.besides`) quoted this unit, whole or cut short ("… xuất bản…")."""
    if "said" not in query.memo:  # its canonical text and the beginnings of the parts it cut short
        cut = [_bare(p.split("…")[0]) for p in re.split(r"\[\d+\]|\n", query.besides) if "…" in p]
        query.memo["said"] = (canonical(query.besides), [c for c in cut if len(c) >= 30])
    said, cut = query.memo["said"]
    bare = _bare(unit)
    if query.new_asked and any(f" {p} " in f" {' '.join(syllables(fold(bare).lower()))} " for p in query.new_asked):
        return False  # quoted before only alongside that answer, it says what the follow-up asks anew
    return bare in said or any(bare.startswith(c) for c in cut)


LIST_SECTION_COVERAGE = 0.3  # the passage's own sub-heading names what the list question asks for


def _list_section(index: OpenIndex, query: Query, chunk, parts: list[str], budget: int) -> list[str]:
    """A list question ("những tài liệu nào") answered by a passage that is that list — its own
    sub-heading ("4. Tài liệu sinh hoạt, tuyên truyền") covers the question and its lines are
    "- " items: every item (with its detail lines), each shortened to fit. [] otherwise."""
    if query.qtype != "list" and not _asks_heading_manner(query, chunk.leaf_heading):
        return []
    items = [i for i, p in enumerate(parts) if p.startswith("- ")]
    if len(items) < 2 or sum(1 for p in parts if p.startswith("- ") or _is_detail(p)) < 0.8 * len(parts):
        return []
    if coverage(index, query, chunk.leaf_heading) < LIST_SECTION_COVERAGE and not says_heading(query, chunk.leaf_heading) \
            and not _asks_heading_kind(query, chunk.leaf_heading):
        return []
    if _one_item_asked(query, chunk.leaf_heading, [parts[i] for i in items]):
        return []  # "Ban Tuyên giáo Thị ủy … lập kế hoạch mua, cấp phát những tài liệu gì": that item, whole
    if query.besides:  # "Ngoài tài liệu đó, còn …": the items the last answer gave are left out
        parts = [p for p in parts if not _already_said(p, query)]
    return _each_shortened(parts, budget)


ONE_ITEM_WORDS = 2  # the question's words beyond the list's heading that a single item says, and no other half as many


def _one_item_asked(query: Query, leaf: str, items: list[str]) -> bool:
    """The heading names whose list it is (the body: "1. Ban Tuyên giáo Thị ủy"), and the rest of the question is
    what one of its items says ("lập kế hoạch mua, cấp phát …"), not the list as a whole."""
    named = {w for names in query.docs.values() for name in names for w in name.split()}  # ("Yên Bái" is no item's)
    heading = set(syllables(fold(HEADING_NUMBER.sub("", leaf)).lower()))
    if not heading <= named and (_asks_heading_kind(query, leaf) or _asks_heading_manner(query, leaf)
                                 or says_heading(query, leaf)):
        return False  # "những tài liệu nào" of "4. Tài liệu sinh hoạt, tuyên truyền": the list is what is asked
    heading |= named
    asked = {w for w in content_words(without_question_frame(query.normalized or query.question)) if w not in heading}
    said = sorted((len(asked & set(syllables(fold(item).lower()))) for item in items), reverse=True)
    return said[0] >= ONE_ITEM_WORDS and said[1] * 2 <= said[0]


# "những tài liệu gì", "các hình thức nào" (accent-free): the kind of thing a list question asks for
_KIND_ASKED = re.compile(r"\b(?:nhung|cac) (\w+(?: \w+)?) (?:gi|nao)\b")


def _asks_heading_kind(query: Query, leaf: str) -> bool:
    """"… dùng thêm những tài liệu gì" of the list headed "4. Tài liệu sinh hoạt, tuyên truyền": the kind
    asked is the first words of the list's own heading, however little else of the heading the question says."""
    head = fold(HEADING_NUMBER.sub("", leaf)).lower()
    return any(head.startswith(kind + " ") or head == kind
               for kind in _KIND_ASKED.findall(fold(query.normalized or query.question).lower()))


# "hình thức tổ chức thế nào", "… ra sao", "… gồm những gì" (accent-free): how a thing is done, asked of it by name
_MANNER_ASKED = re.compile(r"\b(?:the nao|nhu the nao|ra sao|gom nhung gi|gom gi|bao gom nhung gi)\b")


def _asks_heading_manner(query: Query, leaf: str) -> bool:
    """"HD thị ủy hình thức tổ chức thế nào" of the list headed "IV. HÌNH THỨC TỔ CHỨC": the list's own heading,
    its first two words at least, asked how it is done — every item of it answers, as a list question's would."""
    asked = fold(query.normalized or query.question).lower()
    head = fold(HEADING_NUMBER.sub("", leaf)).lower().split()
    return len(head) >= 2 and bool(_MANNER_ASKED.search(asked)) and f" {head[0]} {head[1]} " in f" {asked} "


GUIDE_WEIGHT = 0.5  # when the Q&A booklet led to a passage, its answer points at the units to quote


def _guide(index: OpenIndex, cand: Candidate) -> set[str]:
    """The content syllables of the booklet answer that led to this passage (empty if none)."""
    if not getattr(cand, "via", "") or not hasattr(index, "position"):
        return set()
    row = index.position.get(cand.via)
    if row is None:
        return set()
    answer = index.chunks[row].text.split("Trả lời:", 1)[-1]
    return {w for w in syllables(answer) if fold(w) not in FOLDED_STOPWORDS}


def _overlap(guide: set[str], text: str) -> float:
    if not guide:
        return 0.0
    return len(guide & set(syllables(text))) / len(guide)


def _focus_lists(index: OpenIndex, query: Query, parts: list[str], guide: set[str] | None = None) -> list[str]:
    """A unit holding an enumerated list "(1) …; (2) …" is quoted whole when the question asks
    for the list; when one item answers the question much better than the list's lead-in
    ("mục đích của việc xử lý …" is item (5)), the unit becomes the lead-in (if short) and
    that item."""
    out = []
    for part in parts:
        items = list_items(part)
        if len(items) < 2:
            out.append(part)
            continue
        intro = part[:items[0][1]].strip()
        pieces = [part[a:b].strip().rstrip(";").strip() for _, a, b in items]
        covs = [coverage(index, query, p) + GUIDE_WEIGHT * _overlap(guide or set(), p) for p in pieces]
        top = max(covs)
        if top < coverage(index, query, intro) + GUIDE_WEIGHT * _overlap(guide or set(), intro) + FOCUS_MARGIN:
            out.append(part)
            continue
        if intro and len(intro) <= 200:
            out.append(intro)
        out.extend(p for p, c in zip(pieces, covs) if c >= 0.8 * top)
    return out


NOTHING_ELSE = "Ngoài những gì đã trả lời ở trên, các tài liệu trong kho không nêu thêm nội dung nào khác cho câu hỏi này."
ISSUE_DATE_CONFIDENCE = 0.9  # an issue date checked against the document's own metadata
CITED_CONFIDENCE = 0.9  # a cited document's number read from the line naming its kind and issuer (rag.grounding.cites)
BASIS_CONFIDENCE = 0.6  # the named plan's preamble line naming what it implements, found by its form (rag.query.BASIS_LINE)
COUNT_CONFIDENCE = 0.6  # the named document's passage gives a number of the very thing counted
FIELD_CONFIDENCE = 0.6  # the named document's line labelled with what is asked ("1. Nơi sinh hoạt: …" for "… ở đâu")
STRUCTURE_CONFIDENCE = 0.9  # the document's own structure answers: its numbered section
FOCUS_MARGIN = 0.15  # an item must cover the question this much better than the list's lead-in


def extractive_answer(index: OpenIndex, query: Query, candidates: list[Candidate], threshold: float) -> Answer:
    if is_injection(query.question):
        return refusal(query, candidates, 0.0)
    if query.missing and not only_page(query.question):  # the question names something the corpus does not have
        return refusal(query, candidates, 0.0, [m.message() for m in query.missing] + [_available(index)])
    if query.quote is not None:  # "câu '…' nằm ở mục nào", "sau câu '…' là gì", "có đúng nguyên văn không" (rag.quotes)
        st = _structures(index)
        derived = st.derived if st is not None else set()
        found = quote_answer(index, query.quote, [d for d in query.docs if d not in derived], candidates, derived, citation)
        if isinstance(found, str) and not query.quote.carried:  # NOT_FOUND
            return refusal(query, candidates, 0.0, [NOT_FOUND, _available(index)])
        if isinstance(found, tuple):
            text, cited, passages, exact = found
            return _answered_with(query, text, cited, QUOTE_CONFIDENCE if exact else NEAR_QUOTE_CONFIDENCE, passages,
                                  candidates)
    pointed = _numbered_point(index, query, candidates)
    if pointed:  # "ý (5) của phần thứ nhất", "bài học thứ 7 nguyên văn", "kể hết ra" (rag.enumerations)
        text, cited, passages = pointed
        return _answered_with(query, text, cited, STRUCTURE_CONFIDENCE, passages, candidates)
    sectioned = purpose_answer(index, query, index.doc, citation) if hasattr(index, "doc_rows") else None
    if sectioned:  # "KH của Huyện ủy đề ra mục đích gì": the plan's whole "Mục đích" (rag.purposes)
        text, cited, passages = sectioned
        return _answered_with(query, text, cited, STRUCTURE_CONFIDENCE, passages, candidates)
    lead = _lead(index, candidates, query)
    if lead is not None and query.besides and query.nothing_said_again:  # a passage with only what was said: nothing new
        lead = next((c for c in candidates if not _is_derived(index, c, query)
                     and not all(_already_said(u, query) for u in units(c.chunk.text))), None)
        if lead is None:
            return refusal(query, candidates, 0.0, [NOTHING_ELSE])
    if lead is None:
        return refusal(query, candidates, 0.0)
    no_section = missing_section(index, query)  # "Mục IX của Kế hoạch 205" when it has no such section
    if no_section:
        return refusal(query, candidates, 0.0, [no_section, _available(index)])
    no_pair = missing_pair(index, query)  # "câu hỏi 15" of a booklet with 12
    if no_pair:
        return refusal(query, candidates, 0.0, [no_pair])
    why_not = _cannot_answer(index, query, lead)
    if why_not:
        return refusal(query, candidates, 0.0, why_not)
    unit_cov = best_unit_coverage(index, query, lead)
    conf = confidence(index, query, candidates, lead, unit_cov)
    if (query.section is not None and lead.chunk.doc_id in query.docs
            and (asks_title(query.normalized or query.question) or asks_outline(query.normalized or query.question))):
        found = section_answer(index, query, lead, citation)  # "Mục VI … có tiêu đề là gì?" (rag.titles)
        if found:
            return _answered(query, *found, max(conf, STRUCTURE_CONFIDENCE), lead, candidates)
    outline = document_outline_answer(index, query, citation)  # "Kế hoạch 205 gồm mấy phần?" (rag.titles)
    if outline:
        text, cited, passages = outline
        return _answered_with(query, text, cited, max(conf, STRUCTURE_CONFIDENCE), passages, candidates)
    st = _structures(index)
    dated = period_answer(index, query, citation, st.derived if st is not None else set())
    if isinstance(dated, str):  # "tháng 5/2023 phải nộp báo cáo gì" of a plan whose reports are due in November
        return refusal(query, candidates, 0.0, [dated])
    if dated:  # "tháng 4/2023 có những việc gì": every step the plans date in that month (rag.timeline)
        text, cited, passages = dated
        return _answered_with(query, text, cited, max(conf, STRUCTURE_CONFIDENCE), passages, candidates)
    counted = pairs_count_answer(index, query, citation)  # "Tài liệu Hỏi - Đáp … có bao nhiêu câu hỏi?" (rag.titles)
    if counted:
        text, cited, last = counted
        return _answered(query, text, cited, max(conf, STRUCTURE_CONFIDENCE), last, candidates)
    if asks_columns(query.normalized or query.question) or asks_columns(query.question):
        found = columns_answer(index, query, candidates, citation)  # "Bảng … gồm những cột nào?" (rag.titles)
        if found:
            return _answered(query, *found, max(conf, STRUCTURE_CONFIDENCE), lead, candidates)
    conf = max(conf, _checked_confidence(query, lead))
    part = _list_part(index, query, candidates, lead)
    if part.chunk.doc_id in query.docs and named_part(part.chunk, _list_asked(query)) and _place_list(index, query, part):
        # "… mục VII tổ chức thực hiện có mấy cơ quan, mục cuối là ai": a place in a part the question names, of
        # the plan it names, is read off the plan's structure whatever else the question's words ask
        conf = max(conf, STRUCTURE_CONFIDENCE)
    if conf < threshold and not (only_page(query.question) and covers(lead.chunk, page_asked(query.question))):
        return refusal(query, candidates, conf)  # ("Trang 45 viết gì?" is answered by any passage on it: rag.book)
    titled = asks_title(query.normalized or query.question)
    line = heading_line(index, query, lead, unit_cov) if titled else None
    if line:  # "Phụ lục số 01 … có tên là gì?": the heading line (rag.titles)
        return _answered(query, *title_answer(index, lead, line, citation), conf, lead, candidates)
    positioned = _positioned_items(index, query, part)
    if positioned:  # "ý thứ hai của mục đích", "nơi nhận cuối cùng", "có mấy nơi nhận": read off the list
        text, cited, passages = positioned
        return _answered_with(query, text, cited, conf, passages, candidates)
    siblings = _list_siblings(index, query, lead) or _own_section(index, query, lead)
    per_item = max(150, LEAD_CHARS // (len(siblings) + 1) - 20) if siblings else None
    if siblings:  # the whole list (or the body's whole part of the plan), in its order, each item shortened
        order = sorted([lead] + siblings, key=lambda c: c.chunk.span[0])
        first, siblings = order[0], order[1:]
    else:
        first = lead
    lead_text, spans = quote(index, query, first, per_item or LEAD_CHARS - 200, strict=bool(per_item))
    citations = [citation(1, first, spans)]
    text = f"{lead_text} [1]"
    count = _numbered_count(query, first)
    if count:  # "gồm mấy việc, việc số 3 là gì"
        text = f"{count}\n{text}"
    actor, leaf = None, ""
    if query.qtype == "who" and not query.asks_signer and not titled:
        leaf = actor_leaf(first)
        actor = (heading_above(index, first.chunk, leaf) if leaf else None) or actor_line(index, first, spans)
    if actor:  # "… giao cho đơn vị nào?": the body is the passage's sub-heading, quoted first (rag.titles)
        heading, citations[0] = with_heading_line(index, citations[0], actor)
        text = f"{heading}:\n{text}"
    elif leaf and (_ASSIGNED.search(fold(query.normalized or query.question).lower()) or _does_asked(query, lead_text)) \
            and not asks_recipients(query.normalized or query.question):
        # … a later passage of that body's part, asked who is given the task: its heading path, which the
        # citation shows, names the body ("… do ai biên soạn" asks a maker, not the body the task is listed under)
        text = f"{leaf}:\n{text}"
    if asks_where(query.question, first.chunk):
        where = locator(first.chunk, first.doc)  # "Bài “…” (…, ngày …), trang 45–46" (rag.book)
        text = f"{where}:\n{text}" if where else text
    headed = _headed_parts(index, query, first) if not siblings else []
    more = (siblings or headed or _restated_with(index, candidates, first)
            or other_routes(index, query, first, st.derived if st is not None else set())  # "báo cáo … về đâu"
            or _second_sources(index, query, candidates, first))
    for cand in more:
        room = LEAD_CHARS - len(text) - 10
        if room <= 150:
            break
        n = len(citations) + 1
        piece, spans = quote(index, query, cand, min(room, per_item or room), strict=bool(per_item))
        if query.which_document and cand.chunk.doc_id != first.chunk.doc_id:  # each document that says it, named
            piece = f"{_short_title(cand)}:\n{piece}"
        elif cand in headed:
            # the whole sub-section the part names, under its heading ("2. Hình thức tổ chức:"): it is what is asked
            piece, spans = _cut(cand.chunk.text, room - 60), [(0, min(len(cand.chunk.text), room - 60))]
            piece = f"{cand.chunk.heading.rsplit(' › ', 1)[-1]}:\n{piece}"
        text += f"\n{piece} [{n}]"
        citations.append(citation(n, cand, spans))
    if _count_not_given(query, text):  # "… bao nhiêu đại biểu dự": the lines that answer give no number
        return refusal(query, candidates, conf)
    if _venue_not_given(query, text):  # "hội thảo … tổ chức ở địa điểm nào": the lines about it name no place
        return refusal(query, candidates, conf, [VENUE_NOT_GIVEN])
    if query.miscounted and not _gives_count(text, query.miscounted):
        # "300 cán bộ" the documents never count, and the lines found count nothing either: no event of another size
        # the asker misremembered, a near-miss (the interface says which count it lacks)
        return refusal(query, candidates, 0.0, [_available(index)])
    other_year = _dated_another_year(query, text)
    if other_year:  # "hạn báo cáo năm 2024" and the lines set 2023's deadlines only: a year the plan never dates
        return refusal(query, candidates, 0.0, [f"Tài liệu không nêu thời hạn cho năm {other_year}.", _available(index)])
    if query.which_document:  # "Văn bản nào nêu …": the document whose passage says it, named first
        text = f"{_short_title(first)}:\n{text}"
    ordered = [lead] + [c for c in candidates if c is not lead]
    return Answer(question=query.question, answer=text, refused=False, confidence=conf, citations=citations, retrieved=ordered)


def _numbered_point(index: OpenIndex, query: Query, candidates: list[Candidate]) -> tuple[str, list[Citation], list[Candidate]] | None:
    """A point of a list numbered "(1) …; (2) …" asked by its number (rag.enumerations says which list): of the lists
    under the part of the book the question (or the list just quoted) names; in a follow-up, of the list the last
    answer quoted; else of the list of the passage ranked first, where the question's noun names it. In a
    follow-up asking for all of them, every point of the list the last answer quoted; asked what a part of the
    book is made of, its sub-headings ("Một là, …")."""
    if not hasattr(index, "doc_rows"):
        return None
    own = query.normalized or query.question
    if query.followup and asks_all_of_it(own):
        quoted = list_quoted(index, query.previous or query.focus)
        return points_answer([quoted], None, index.doc, citation) if quoted else None
    outlined = asks_part_outline(own)
    number = None if outlined else asked_point(own, query.ordinal, query.position)
    if not outlined and number is None:  # (most questions: nothing more is worked out)
        return None
    st = _structures(index)
    derived = st.derived if st is not None else set()
    # the documents named, else the conversation's, else retrieval's (the book is summarised alike in three plans)
    docs = [d for d in query.docs if d not in derived] or list(dict.fromkeys(
        [d for d in query.context_docs if d not in derived] + [c.chunk.doc_id for c in candidates if c.chunk.doc_id not in derived]))
    if outlined:  # "phần 1 làm rõ những vấn đề gì": its sub-headings "Một là, …", "Hai là, …"
        outline = part_outline(index, docs, own)
        return _sub_headings(index, *outline) if outline else None
    previous = list_quoted(index, query.previous or query.focus) if query.followup else None
    lists, part = lists_asked(index, docs, own, number, previous)
    if lists:  # the list whose lead-in says more of what is asked ("… cần lưu ý") first, then as retrieval ranks them
        said = set(fold(own).lower().split()) - FOLDED_STOPWORDS - _POINT_FRAME
        rank = {c.chunk.chunk_id: k for k, c in enumerate(candidates)}
        lists.sort(key=lambda lst: (-len(said & set(lst.named_as.split())),
                                    min(rank.get(p.chunk.chunk_id, len(rank)) for p in lst.points)))
        return points_answer(lists, number, index.doc, citation, part)
    if previous is not None and previous.point(number) is not None and names_list(own, previous):
        # "giá trị (1) gồm những cặp nào" after the value quoted: a point of the list just quoted
        return points_answer([previous], number, index.doc, citation)
    first = list_quoted(index, [candidates[0].chunk.chunk_id]) if candidates else None
    if first is not None and first.point(number) is not None and names_list(own, first, specific=True) \
            and first.point(number).chunk.chunk_id == candidates[0].chunk.chunk_id:
        # "bài học kinh nghiệm thứ bảy" and the passage ranked first is the list of "08 bài học kinh nghiệm"
        return points_answer([first], number, index.doc, citation)
    return None


# the words asking for a point by its place ("ý (5) của phần thứ nhất nói gì", "chép nguyên văn ý 3"), accent-free
_POINT_FRAME = {"y", "phan", "thu", "nhat", "hai", "ba", "tu", "nam", "sau", "bay", "tam", "noi", "ghi", "viet", "chep",
                "nguyen", "van", "giup", "so", "muc", "diem", "the", "nao", "vay", "con", "tac", "pham", "sach", "cuon"}


def _sub_headings(index: OpenIndex, firsts: list, segments: list[str], part: str) -> tuple[str, list[Citation], list[Candidate]] | None:
    """Each sub-heading's whole line, cited from it through the first passage under it, after the part's name."""
    lines, cited, passages = [], [], []
    doc = index.doc(firsts[0].doc_id)
    for chunk, segment in zip(firsts, segments):
        own = chunk.text.split("\n", 1)[0]  # (a sub-heading followed by a colon is its passage's own first line)
        line = (chunk.span[0], chunk.span[0] + len(own)) if own.startswith(segment) else heading_above(index, chunk, segment)
        if line is None:
            return None
        cand = Candidate(chunk=chunk, doc=doc, score=1.0, coverage=1.0)
        shown, cite = with_heading_line(index, citation(len(passages) + 1, cand, []), line)
        lines.append(f"{shown} [{len(passages) + 1}]")
        cited.append(cite)
        passages.append(cand)
    return f"{part} gồm {len(lines)} nội dung:\n" + "\n".join(lines), cited, passages


def _does_asked(query: Query, quoted: str) -> bool:
    """"Ai tham mưu cho Ban Chỉ đạo 35 …" answered with a task line opening with that verb ("- Tham mưu cho Ban Chỉ
    đạo 35 …"), listed under a body's heading without its subject: that body is who does it."""
    m = _WHO_VERB.match(fold(query.normalized or query.question).lower().strip())
    return bool(m) and fold(quoted).lower().lstrip("-+•* ").startswith(m.group(1))


_WHO_VERB = re.compile(r"^(?:cho (?:em|toi|minh) hoi )?ai (?:la nguoi )?(\w+ \w+)")


def _short_title(cand: Candidate) -> str:
    """"Kế hoạch 205-KH/TU của Ban Thường vụ Thành ủy Yên Bái": the document's title before its subject."""
    return (cand.doc.get("title") or cand.chunk.doc_id).split(":", 1)[0].strip()


# What a quoted line writes with digits that counts nothing: dates ("30/4/2023", "tháng 4/2023", "năm 2023"), document
# numbers ("205-KH/TU"), item numbering ("1.", "(2)", "a)") and the citation markers
_NOT_A_COUNT = re.compile(r"\[\d+\]|\b\d+(?:\.\d+)+\.?|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}/\d{4}\b|\b(?:19|20)\d\d\b"
                          r"|\b(?:ngay|thang|nam|quy|giai doan|khoa|so|trang|muc|phan|dieu|khoan)\s+[\divxl]+\b"
                          r"|\d+\s*-?\s*[a-z]+/[a-z-]+|(?:^|\s)[\divx]+[.)]\s|\(\d+\)", re.M)
# people and copies, which a passage counts by a number or not at all (as query.counted_noun gives them: "đảng viên" is
# "dang", "thành viên" "thanh", "đồng chí" "dong")
COUNTED_THINGS = {"nguoi", "dai bieu", "dang", "can bo", "hoi vien", "hoc vien", "thanh", "dong", "luot", "cuon", "quyen",
                  "trang", "chi bo"}
_COUNT_WORD = re.compile(r"\b(?:một|hai|ba|bốn|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu)\b")  # (with diacritics: "sâu" is no "sáu")


_ASKED_YEAR = re.compile(r"\bnam (20\d\d)\b(?!\s*[-–]\s*20\d\d)")
_RECURRING = re.compile(r"\b(?:hang|hàng|hằng|mỗi|moi) năm\b|\b(?:hang|moi) nam\b", re.I)


def _dated_another_year(query: Query, text: str) -> str | None:
    """The year a date question asks ("hạn … năm 2024"), when the quoted lines date other years only and set
    nothing yearly ("hằng năm"); None otherwise."""
    asked = _ASKED_YEAR.search(fold(query.normalized or query.question).lower()) if query.wants == "date" else None
    if not asked or _RECURRING.search(text):
        return None
    years = set(re.findall(r"(?<!\d)(20\d\d)(?!\d)", text))
    return asked.group(1) if years and asked.group(1) not in years else None


def _gives_count(text: str, miscounted: list) -> bool:
    """The quoted lines count people, or what the question counted wrongly ("(500 đại biểu)" for "300 cán bộ")."""
    nouns = {"nguoi"} | {fold(m.text.split(maxsplit=1)[-1]).lower() for m in miscounted}
    return any(counts(_NOT_A_COUNT.sub(" ", text), noun) for noun in nouns)


# "hội thảo … tổ chức ở địa điểm nào", "hội nghị đó họp tại đâu" (accent-free): where an event is held
_ASKS_VENUE = re.compile(r"\b(?:hoi thao|toa dam|hoi nghi|hn|cuoc hop|buoi hop|dien dan|cuoc thi|le)\b.*"
                         r"\b(?:(?:o|tai) (?:dau|dia diem nao|hoi truong nao|noi nao)|dia diem(?! tuyen)|hoi truong nao)\b")
# a line saying where: "Sinh hoạt tại chi bộ …", "Nơi sinh hoạt:", "tại Hội trường …", "trực tuyến" (with diacritics)
_GIVES_PLACE = re.compile(r"\b(?:tại|địa điểm|hội trường|trụ sở|nơi sinh hoạt|nơi tổ chức|trực tuyến|điểm cầu|nhà văn hóa)\b",
                          re.I)


VENUE_NOT_GIVEN = "Các tài liệu trong kho có nhắc đến sự kiện này nhưng không nêu địa điểm tổ chức."


def _venue_not_given(query: Query, text: str) -> bool:
    """The question asks where an event is held and the lines quoted about it name no place: the plan
    dates the event and gives its topic, not its venue (a near-miss)."""
    if asked_parts(query.normalized or query.question):  # "… ở đâu, ai chủ trì": the lines may answer the other part
        return False
    return bool(_ASKS_VENUE.search(fold(query.normalized or query.question).lower())) and not _GIVES_PLACE.search(
        canonical(text))


def _count_not_given(query: Query, text: str) -> bool:
    """The question asks how many people or things ("bao nhiêu cuốn sách", "mấy đại biểu") and the quoted
    lines give no number at all, once dates, document numbers and list numbering are left out: the
    passage is about the thing, not its count (a near-miss). Kinds of things ("mấy hình thức", "bao nhiêu
    đối tượng") are counted by the items a passage lists, and a numbered list says how many by its numbers."""
    noun = counted_noun(query.normalized or query.question)
    if noun not in COUNTED_THINGS or numbers_items(text):
        return False
    if asked_parts(query.normalized or query.question):  # "… bao nhiêu …, do ai …": the lines may answer the other part
        return False
    return not re.search(r"\d", _NOT_A_COUNT.sub(" ", fold(text).lower())) and not _COUNT_WORD.search(canonical(text)) \
        and not counts(text, noun)  # ("tổng hợp từ năm văn bản": "năm" counts what is asked)


def _checked_confidence(query: Query, lead: Candidate) -> float:
    """How sure an answer is when the named document's own structure, not word overlap, shows that
    its lead passage answers: a paraphrase full of words the plans never use is still answered then.
    0 when nothing was checked."""
    asked = query.normalized or query.question
    nouns = counted_nouns(asked)
    if len(nouns) >= 2 and all(counts(lead.chunk.heading + " " + lead.chunk.text, n) for n in nouns):
        return COUNT_CONFIDENCE  # "sách gồm mấy phần, bao nhiêu trang": one passage counting each, whatever names it
    quoted = quoted_terms_asked(query.question)
    if quoted and all(says_what_is(lead.chunk.text, t) for t in quoted):
        return STRUCTURE_CONFIDENCE  # "“phòng” và “chống” được xác định thế nào": "Phòng là cơ bản, …, chống là …"
    if lead.chunk.doc_id not in query.docs:
        return 0.0
    features = lead.features or {}
    if query.issue_date and mentions_date(lead.chunk.text, lead.doc.get("date") or ""):
        return ISSUE_DATE_CONFIDENCE  # the quoted date is the one the document's metadata gives
    if query.wants == "docnum" and features.get("cited"):
        return CITED_CONFIDENCE  # the line citing a plan of the kind and issuer asked, by number
    if query.wants == "date" and dates_cited_number(query.docs.get(lead.chunk.doc_id) or [], lead.doc, lead.chunk.text):
        return CITED_CONFIDENCE  # "Kế hoạch 182 ban hành ngày nào": the line citing plan 182 with its date
    if own_number_asked_of(query, lead.chunk.doc_id, lead.doc) and carries_own_number(lead.chunk.text, lead.doc):
        return STRUCTURE_CONFIDENCE  # "Kế hoạch 205 mang số hiệu gì": the number line of its own heading
    if is_recipients_block(lead.chunk, asked) and asks_recipients(asked):
        return STRUCTURE_CONFIDENCE  # "… được gửi tới những nơi nào": the document's "Nơi nhận"
    if query.defines and features.get("defined"):
        return STRUCTURE_CONFIDENCE  # "CCVC là viết tắt của gì": the passage writing "… viên chức (CCVC)"
    if features.get("numbered_question"):
        return STRUCTURE_CONFIDENCE  # "câu hỏi số 11 (của tài liệu Hỏi - Đáp) hỏi về gì": the pair numbered so
    if query.basis and features.get("basis") == 1.0:
        return BASIS_CONFIDENCE  # "Kế hoạch … căn cứ vào văn bản nào": its preamble's "Thực hiện Kế hoạch số …"
    noun = counted_noun(asked)
    if noun and counts(lead.chunk.heading + " " + lead.chunk.text, noun):
        return COUNT_CONFIDENCE  # "… bao nhiêu trang" of a named plan, which gives "600 trang"
    if query.role is not None and features.get("role") == 1.0 and not query.role.deputy:
        return STRUCTURE_CONFIDENCE  # "Ai là người đứng đầu Ban …": the passage naming the holder of that very office
    if features.get("field") == 1.0:
        return FIELD_CONFIDENCE  # "Theo kế hoạch bên huyện, sinh hoạt … ở đâu": its "1. Nơi sinh hoạt: …"
    if features.get("named_heading") == 1.0 and not is_recipients_heading(lead.chunk.leaf_heading or ""):
        # "Hướng dẫn … xác định những nhóm nào là đối tượng": its section "III. ĐỐI TƯỢNG" (a "Nơi nhận" block answers
        # only as the recipients check above allows)
        return FIELD_CONFIDENCE
    return 0.0


_ASSIGNED = re.compile(r"\b(?:giao|phu trach|chu tri|dam nhiem|dam nhan|nhiem vu)\b")
_LEADING_ITEM = re.compile(r"^\((\d{1,2})\)")


def _answered(query: Query, text: str, cited: Citation, conf: float, lead: Candidate, candidates: list[Candidate]) -> Answer:
    """An answer of one quoted part (a heading line, a table's columns), the lead passage first."""
    return _answered_with(query, text, [cited], conf, [lead], candidates)


def _answered_with(query: Query, text: str, cited: list[Citation], conf: float, passages: list[Candidate],
                   candidates: list[Candidate]) -> Answer:
    """An answer quoting the document's own structure, its cited passages first (a document's outline
    cites one passage per section)."""
    shown = {c.chunk.chunk_id for c in passages}
    return Answer(question=query.question, answer=text, refused=False, confidence=conf, citations=cited,
                  retrieved=passages + [c for c in candidates if c.chunk.chunk_id not in shown])


def _list_siblings(index: OpenIndex, query: Query, first: Candidate) -> list[Candidate]:
    """A list question whose best passage is one numbered item of a list kept one item per
    passage ("(1) Tác phẩm là cẩm nang …", "(2) …"): the other items of that list, in order."""
    m = _LEADING_ITEM.match(first.chunk.text.lstrip())
    if query.qtype != "list" or not m or not hasattr(index, "chunks"):
        return []
    items = []
    for c in index.chunks:
        if c.doc_id == first.chunk.doc_id and c.heading == first.chunk.heading and c.chunk_id != first.chunk.chunk_id:
            k = _LEADING_ITEM.match(c.text.lstrip())
            if k:
                items.append((int(k.group(1)), c))
    return [Candidate(chunk=c, doc=first.doc, score=first.score, coverage=first.coverage) for _, c in sorted(items, key=lambda t: t[0])]


def _own_section(index: OpenIndex, query: Query, first: Candidate) -> list[Candidate]:
    """"X có nhiệm vụ gì" answered by X's own part of the plan (its sub-heading names X) that runs
    over several passages: the other passages of that part, so the tasks are quoted from the first."""
    if (not query.all_tasks or not query.subject or not first.chunk.heading or not hasattr(index, "doc_rows")
            or not led_by(first.chunk, query.subject)):
        return []
    rest = [c for c in (index.chunks[r] for r in index.doc_rows(first.chunk.doc_id))
            if c.doc_id == first.chunk.doc_id and c.heading == first.chunk.heading
            and c.chunk_id != first.chunk.chunk_id and c.kind == first.chunk.kind]
    return [Candidate(chunk=c, doc=first.doc, score=first.score, coverage=first.coverage) for c in rest[:MAX_SECTION_PASSAGES]]


MAX_SECTION_PASSAGES = 3  # a body's part of a plan quoted over at most this many more passages


# what a part of a question asks by its frame, as a sub-heading names it: "ở đâu" is the plan's "Nơi …", "kéo dài
# đến khi nào" its "Thời gian …" (accent-free)
_FRAME_AS_HEADING = [(re.compile(r"\b(?:o|tai) dau\b"), "noi"),
                     (re.compile(r"\b(?:khi nao|bao gio|luc nao|bao lau|keo dai)\b"), "thoi gian")]


def _headed_parts(index: OpenIndex, query: Query, first: Candidate) -> list[Candidate]:
    """"KH huyện ủy nơi sinh hoạt ở đâu, hình thức thế nào": where two or three parts of the question each name a
    sub-section of the section the first passage is in ("1. Nơi sinh hoạt", "2. Hình thức tổ chức" under "III. HÌNH
    THỨC, THỜI GIAN TỔ CHỨC") by its heading's first two words, the first passage of each other one named, in
    order: the words of the first part outrank the other's sub-section, which one passage seldom answers too."""
    parts = _asked_parts(query) or asked_parts(query.question)  # (the spelling fixer may drop the comma between them)
    path = [p.strip() for p in first.chunk.heading.split(" › ")] if first.chunk.heading else []
    if len(parts) < 2 or len(path) < 2 or not hasattr(index, "doc_rows"):
        return []
    # each sub-section's first passage, with its heading's first two words ("noi sinh", "hinh thuc")
    heads = []
    for item in subsections(index, first.chunk, path[:-1]):
        leaf = re.findall(r"\w+", HEADING_NUMBER.sub("", fold(item.chunk.heading.split(" › ")[len(path) - 1]).lower()))
        if len(leaf) >= 2:
            heads.append((item.chunk, set(leaf[:2])))
    named = []
    for part in parts:
        folded = fold(part).lower()
        words = set(re.findall(r"\w+", folded)) | {w for pattern, said in _FRAME_AS_HEADING if pattern.search(folded)
                                                    for w in said.split()}
        chunk = next((c for c, head in heads if head <= words and c not in named), None)
        if chunk is not None:
            named.append(chunk)
    if len(named) < 2:
        return []
    return [Candidate(chunk=c, doc=first.doc, score=first.score, coverage=first.coverage)
            for c in named if c.heading != first.chunk.heading]


def _restated_with(index: OpenIndex, candidates: list[Candidate], first: Candidate) -> list[Candidate]:
    """When a derived passage led to the answer, the other primary passages it restates
    (an answer gathered from neighbouring passages of one plan): quoted after the first."""
    st = _structures(index)
    if not getattr(first, "via", "") or st is None:
        return []
    ids = [p for p in st.primary.get(first.via, []) if p != first.chunk.chunk_id]
    by_id = {c.chunk.chunk_id: c for c in candidates}
    return [by_id[p] for p in ids if p in by_id]


def _is_derived(index: OpenIndex, cand: Candidate, query: Query | None = None) -> bool:
    """Derived, and (given the question) not asked about itself ("Ai biên soạn tài liệu Hỏi - Đáp về …")."""
    st = _structures(index)
    return st is not None and cand.chunk.doc_id in st.derived and not (query is not None and own_voice(cand.chunk, query))


def _lead(index: OpenIndex, candidates: list[Candidate], query: Query) -> Candidate | None:
    """The passage the answer quotes first: the best one of a primary document (a derived
    document's passage leads to its primary passage, which retrieval ranked above it), or a
    passage of its section ranked just below whose best line answers better (`_section_rival`)."""
    lead = next((c for c in candidates if not _is_derived(index, c, query)), None)
    if lead is None:
        return None
    noun = counted_noun(query.normalized or query.question) if len(lead.chunk.text) <= TITLE_LINE_CHARS \
        and carries_own_number(lead.chunk.text, lead.doc) else None
    if noun and not counts(lead.chunk.heading + " " + lead.chunk.text, noun):
        # "tác phẩm dày bao nhiêu trang (theo KH 205)" and a line only naming the plan ("(kèm theo Kế hoạch số 205 …)")
        # ranked first: the plan's passage giving a number of the thing counted, ranked close below it
        counting = next((c for c in candidates[:COUNT_CANDIDATES] if c.chunk.doc_id == lead.chunk.doc_id
                         and not _is_derived(index, c, query) and counts(c.chunk.heading + " " + c.chunk.text, noun)), None)
        if counting is not None:
            return counting
    return _section_rival(index, candidates, query, lead) or lead


TITLE_LINE_CHARS = 150  # a passage this short with the plan's own number is a line naming it, not a statement
COUNT_CANDIDATES = 3  # how far below it a passage giving the asked count is looked for


SECTION_RIVAL_MARGIN = 0.1  # retrieval scores this close, in one section: the passages tie on what they share
SECTION_RIVAL_GAIN = 0.05  # … and a line of the runner-up must cover this much more of what is asked


def _section_rival(index: OpenIndex, candidates: list[Candidate], query: Query, lead: Candidate) -> Candidate | None:
    """A section cut into passages shares its heading, so retrieval ranks them by a few words. "Ai tổ
    chức thực hiện kế hoạch Sở KH&CN": the passage ending the section with the plan's closing formula
    ("Trên đây là Kế hoạch … của Sở Khoa học và Công nghệ") ranked above the one whose first line
    answers ("Các chi bộ Đảng, … tổ chức thực hiện …"), on the document's own name. The answer quotes a
    line: the passage whose best line covers most of what is asked, the names of the asked documents
    left out (every line of that document is equally its own), leads."""
    if lead.chunk.kind != "text" or query.role is not None or query.section is not None or query.columns:
        return None
    rivals = [c for c in candidates[:3] if c is not lead and c.chunk.doc_id == lead.chunk.doc_id and c.chunk.kind == "text"
              and c.chunk.heading == lead.chunk.heading and lead.score - c.score <= SECTION_RIVAL_MARGIN]
    asked = _without_document_names(index, query) if rivals else query
    if asked is query:  # no rival, or no document named: nothing of the kind to discount
        return None

    def best_line(cand: Candidate) -> float:
        return max(unit_score(index, asked, u) for u in units(cand.chunk.text) or [cand.chunk.text])

    rival = max(rivals, key=best_line)
    return rival if best_line(rival) >= best_line(lead) + SECTION_RIVAL_GAIN else None


def _without_document_names(index: OpenIndex, query: Query) -> Query:
    """The query with the words naming the documents it asks about weighing 0 ("Sở KH&CN Điện Biên")."""
    if "without_names" not in query.memo:
        words = {w for d, names in _named_documents(index, query).items() if d in query.docs for n in names for w in n.split()}
        named = [t for t in query.terms if set(fold(t).lower().split()) <= words]
        query.memo["without_names"] = replace(query, weights={**query.weights, **dict.fromkeys(named, 0.0)}) if named else query
    return query.memo["without_names"]


def _named_documents(index: OpenIndex, query: Query) -> dict[str, list[str]]:
    """The documents this turn's question names, each with the (accent-free) names found: once per question."""
    if "named_documents" not in query.memo:
        aliases = getattr(index, "aliases", None)
        query.memo["named_documents"] = aliases.match((query.normalized or query.question).lower()) if aliases else {}
    return query.memo["named_documents"]


def _cannot_answer(index: OpenIndex, query: Query, lead: Candidate) -> list[str]:
    """Reasons the best passage cannot answer, said to the user: nobody in the corpus holds the
    office asked for; a day is asked for and the passage gives no date; the list has fewer items
    than the one asked for."""
    st = _structures(index)
    if query.role is not None and st is not None:
        exact, related = st.roles.find(query.role, index.manifest.documents)
        if not exact:
            lines = [f"Tài liệu không nêu tên người giữ chức {query.role.text}."]
            seen = set()
            for h in related[:3]:
                if (h.name, h.role) not in seen:
                    seen.add((h.name, h.role))
                    lines.append(f"Tài liệu có: {h.name}, {h.role} ({index.doc(h.doc_id).get('title', '').split(':')[0]}).")
            return lines
    if asks_day(query.normalized or query.question) and not query.issue_date and not query.asks_signer:
        if not has_fact("date", lead.chunk.heading + "\n" + lead.chunk.text):
            return ["Tài liệu không nêu ngày cụ thể cho nội dung này."]  # "gửi báo cáo trước ngày nào": no date, no answer
        what = dated_object(query.normalized or query.question)
        # (a sentence, not a line: plans copied from PDF wrap "… báo cáo kết quả … về Ban Thường vụ\nHuyện ủy …
        # chậm nhất vào ngày 01/11 hàng năm.")
        dated = [u for u in re.split(r"(?<=[.;!?])\s+", lead.chunk.text.replace("\n", " ")) if has_fact("date", u)]
        if what and not any(set(what.split()) <= set(re.findall(r"\w+", fold(u).lower())) for u in dated):
            # "gửi kế hoạch triển khai trước ngày nào" of a plan whose only dates are its reports'
            return [f"Tài liệu không nêu thời hạn cho việc này ({_what_said(query, what)})."]
        if asks_deadline(query) and not any(DEADLINE.search(u) for u in dated):
            # "… gửi kế hoạch lên tỉnh trước ngày bao nhiêu" answered by a line whose only date is a cited plan's
            return ["Tài liệu không nêu thời hạn cho việc này."]
    outcome = _OUTCOME_ASKED.search(fold(query.normalized or query.question).lower())
    if outcome and not _ACHIEVED.search(lead.chunk.text):
        # "kết quả kiểm tra, giám sát … năm 2023 như thế nào": what the plans' own steps achieved, which plans
        # (written before them) never say; asked how results are reported, the plan answers ("báo cáo kết quả …")
        return ["Tài liệu chỉ nêu việc tổ chức và báo cáo kết quả, không nêu kết quả đạt được."]
    day = _named_day_asked(query.normalized or query.question)
    if day and _names_undated(lead.chunk.text, day):
        # "ngày thành lập Đảng bộ thành phố là ngày nào": the plan names the anniversary, never its date
        said = _spelled_as_in(lead.chunk.text, day)
        return [f"Tài liệu chỉ nêu “{said[:1].upper()}{said[1:]}”, không ghi đó là ngày nào."]
    if _NAME_ASKED.search(fold(query.normalized or query.question).lower()) and not person_names(lead.chunk.text):
        # "tên đồng chí báo cáo viên Trung ương được mời … là ai": the plan says who is invited ("mời báo cáo viên
        # Trung ương"), never their name
        return ["Tài liệu không nêu họ tên người cho nội dung này."]
    if query.wants == "address" and not has_fact("address", lead.chunk.text):
        # "địa chỉ trang thông tin điện tử của Sở là gì": the plan names the site, never its address
        return ["Tài liệu không ghi địa chỉ (đường dẫn) cho nội dung này."]
    if asks_hour(query.normalized or query.question) and not gives_hour(lead.chunk.heading + "\n" + lead.chunk.text):
        return ["Tài liệu không nêu giờ cụ thể cho nội dung này."]
    group = _members_asked(query.normalized or query.question)
    if group and hasattr(index, "chunks") and not any(_lists_members(c.text, fold(group).lower()) for c in index.chunks):
        # "tổ công tác 278 gồm những ai": the plans name the group and what it does, never who is in it
        return [f"Tài liệu không nêu thành phần của {group}."]
    if lead.chunk.kind == "row" and query.columns and not query.followup:
        given = {name for name, value, _, _ in row_cells(lead.chunk.text) if value.strip()}
        if not given & set(query.columns):  # the row leaves every column asked blank ("Xây dựng phóng sự, tin, bài…")
            return [f"Bảng không ghi {' và '.join(c.lower() for c in query.columns)} cho dòng này."]
    if query.ordinal:
        items = list_items(lead.chunk.text)
        if len(items) >= 2 and query.ordinal > max(k for k, _, _ in items) and not lead.chunk.text.lstrip().startswith("("):
            return [f"Danh sách trong tài liệu chỉ có {max(k for k, _, _ in items)} mục, không có mục thứ {query.ordinal}."]
        bullets = _place_list(index, query, lead)
        if len(bullets) >= 2 and query.position is not None and query.position > len(bullets):
            return [f"Danh sách trong tài liệu chỉ có {len(bullets)} mục, không có mục thứ {query.position}."]
    return []


# a person's name asked for ("tên đồng chí …", "họ tên người …"), accent-free
# (not "ông", "bà": accent-free, "tên ba phần" is three parts' names)
_NAME_ASKED = re.compile(r"\bten (?:cua )?(?:dong chi|d/c|nguoi)\b|\bho (?:va )?ten\b")


# the outcome of one of the plans' own steps asked ("kết quả kiểm tra, giám sát … như thế nào"), not how results are
# reported ("báo cáo kết quả thực hiện như thế nào") nor the results the book reports (accent-free)
_OUTCOME_ASKED = re.compile(r"(?<!bao cao )(?<!gui )(?<!nop )(?<!tong hop )\bket qua (?:cua )?(?:viec )?(?:kiem tra|giam sat"
                            r"|thuc hien|trien khai|hoc tap|to chuc|dot sinh hoat|dot hoc tap|quan triet|tuyen truyen)\b"
                            r".*\b(?:nhu the nao|the nao|ra sao|ntn|dat duoc|ra lam sao)\b")
# a passage reporting what was achieved: "đã" before a count or an outcome ("Đảng đã ban hành 250 văn bản")
_ACHIEVED = re.compile(r"\bđã\b[^.;\n]{0,60}\d|\bkết quả (?:nổi bật|đạt được)\b", re.I)


# the date of a day named by its event ("ngày thành lập Đảng bộ thành phố là ngày nào"), accent-free
_NAMED_DAY_ASKED = re.compile(r"\b(ngay (?:thanh lap|sinh|ky niem|giai phong|truyen thong)(?: \w+){1,6}?)"
                              r" (?:la |vao |roi vao )?(?:ngay nao|ngay may|hom nao|ngay bao nhieu)\b")
NAMED_DAY_DATE_CHARS = 25  # how far after the day's name its date may stand: "ngày thành lập Đảng … (03/2)"


def _named_day_asked(question: str) -> str:
    """The day whose date is asked, named by its event ("ngày thành lập Đảng bộ tỉnh"); "" when none is."""
    folded = fold(question).lower()
    m = _NAMED_DAY_ASKED.search(folded)
    return as_typed(question, m.start(1), m.end(1), folded) if m else ""  # (as written, accents kept)


def _names_undated(text: str, day: str) -> bool:
    """The text names the day and gives no date beside it (a list of anniversaries: "…; Ngày thành lập Đảng bộ
    tỉnh; Ngày thành lập Đảng bộ thành phố.")."""
    folded = re.sub(r"\s+", " ", fold(text).lower())
    at = [m.end() for m in re.finditer(rf"\b{re.escape(fold(day).lower())}\b", folded)]
    return bool(at) and not any(has_fact("date", folded[i:i + NAMED_DAY_DATE_CHARS]) for i in at)


def _spelled_as_in(text: str, phrase: str) -> str:
    """`phrase` as the text spells it (accents and case), where the text says it on one line; else as given."""
    folded = fold(text).lower()
    m = re.search(rf"\b{re.escape(fold(phrase).lower())}\b", folded)
    return text[m.start():m.end()] if m and len(folded) == len(text) else phrase


# who is in a named group ("tổ công tác 278 (đó) gồm những ai", "thành viên Ban Chỉ đạo 35 là ai"), accent-free
_MEMBERS_ASKED = re.compile(r"\b((?:to cong tac|ban chi dao|doan kiem tra|to giup viec|hoi dong|nhom)(?: \w+){0,2}?(?: \d+)?)"
                            r"(?: (?:do|nay|ay|kia))? (?:gom|bao gom|co) (?:nhung )?(?:ai|thanh vien nao|nhung thanh vien nao)\b"
                            r"|\bthanh vien (?:cua )?((?:to cong tac|ban chi dao|doan kiem tra|hoi dong)(?: \w+){0,2}?(?: \d+)?)"
                            r" (?:la|gom) (?:nhung )?ai\b")


def _members_asked(question: str) -> str:
    """The group whose members are asked for, as the question names it; "" when none is."""
    folded = fold(question).lower()
    m = _MEMBERS_ASKED.search(folded)
    if not m:
        return ""
    g = 1 if m.group(1) else 2
    return as_typed(question, m.start(g), m.end(g), folded)  # (as written, accents kept)


def _lists_members(text: str, group: str) -> bool:
    """The text says who makes up the group: "Tổ công tác 278 gồm …", "… Ban Chỉ đạo 35: đồng chí …"."""
    return re.search(rf"\b{re.escape(group)}\b[^.;\n]{{0,40}}?(?:\bgom\b|\bbao gom\b|:)", fold(text).lower()) is not None


def _place_list(index: OpenIndex, query: Query, lead: Candidate) -> list:
    """The list (rag.positions) a question asking a list's item by position ("ý thứ hai", "nơi nhận cuối
    cùng") is about, read from `lead`, the passage of the part it names (`_list_part`), where that passage
    numbers no items of its own ("(1) …; (2) …": `list_items`)."""
    if query.position is None or not hasattr(index, "doc_rows") or _numbers_its_items(lead):
        return []
    if lead.chunk.kind != "text" and not (lead.chunk.kind == "row" and query.position in (LAST, COUNT)):
        return []  # (a table's n-th row is read by its "TT" cell: retrieve.has_item)
    # "mục 6 phần tổ chức thực hiện": a "mục" is a sub-section of the part named, never a bullet
    return asked_list(index, lead.chunk, _list_asked(query), sections_only=names_a_section(_list_asked(query)))


def _list_name(lead, item) -> str:
    """The heading the list's items share: the section's (a bulleted list) or the part's above them."""
    a, b = lead.heading.split(" › "), item.heading.split(" › ")
    if a == b:
        return a[-1].strip()
    shared = [x for x, y in zip(a, b) if x == y]
    return shared[-1].strip() if shared else ""


def _counted_items(lead: Candidate, items: list, section: str, total: int | None = None,
                   numbers: list[int] | None = None) -> tuple[str, list[Citation], list[Candidate]]:
    """"… có mấy ý": how many items the list has, then each item's opening words, cited by passage (`numbers`:
    the places of the items shown, where they are some of a list of `total`)."""
    lines, cited, passages, marker = [], [], [], {}
    for k, item in zip(numbers or range(1, len(items) + 1), items):
        if item.chunk.chunk_id not in marker:
            cand = lead if item.chunk.chunk_id == lead.chunk.chunk_id else Candidate(
                chunk=item.chunk, doc=lead.doc, score=lead.score, coverage=lead.coverage)
            marker[item.chunk.chunk_id] = len(passages)
            passages.append(cand)
            cited.append([])
        a, b = item.quoted
        a += len(item.text) - len(item.text.lstrip("-+• "))  # (the list's marker is not quoted: the count numbers it)
        b = min(b, a + COUNTED_ITEM_CHARS)
        b = b if b == item.quoted[1] else item.chunk.text.rfind(" ", a, b)
        cited[marker[item.chunk.chunk_id]].append((a, b))
        more = " …" if b < item.quoted[1] else ""
        lines.append(f"{k}. {item.chunk.text[a:b].strip()}{more} [{marker[item.chunk.chunk_id] + 1}]")
    total = total or len(items)
    head = f"{section} có {total} mục" if section else f"Danh sách có {total} mục"
    head += ":" if numbers is None else f"; mục thứ {' và thứ '.join(map(str, numbers))}:"
    return head + "\n" + "\n".join(lines), [citation(n + 1, c, spans) for n, (c, spans) in enumerate(zip(passages, cited))], passages


COUNTED_ITEM_CHARS = 160  # each item of a counted list, shortened to this many characters


def _list_part(index: OpenIndex, query: Query, candidates: list[Candidate], lead: Candidate) -> Candidate:
    """For a list's item asked by position, the passage of the part of the plan the question names ("ý cuối
    của phần yêu cầu": "2. Yêu cầu", where "1. Mục đích" ranked first on the words the two share; "mục 6 phần tổ
    chức thực hiện"): the lead document's passage retrieved whose heading names it deepest, else its first
    passage under that part."""
    if query.position is None:
        return lead
    asked = _list_asked(query)
    ranked = [lead] + [c for c in candidates[:SECTION_CANDIDATES] if c.chunk.doc_id == lead.chunk.doc_id and c is not lead]
    depth = {id(c): named_depth(c.chunk, asked) for c in ranked}
    best = max(ranked, key=lambda c: depth[id(c)])  # (the first of the deepest: `max` keeps the earliest)
    if _numbers_its_items(lead) and not (best is not lead and named_part(best.chunk, asked, True)):
        return lead  # "(1) …; (2) …" answers a place in them (`_structured_quote`), unless another part is named
    if depth[id(best)] >= 0 or not hasattr(index, "doc_rows"):
        return best
    first = next((index.chunks[r] for r in index.doc_rows(lead.chunk.doc_id)
                  if index.chunks[r].doc_id == lead.chunk.doc_id and index.chunks[r].kind == "text"
                  and named_part(index.chunks[r], asked)), None)
    return Candidate(chunk=first, doc=lead.doc, score=lead.score, coverage=lead.coverage) if first is not None else lead


SECTION_CANDIDATES = 8  # how far down the ranking the section a position question names is looked for


def _list_asked(query: Query) -> str:
    """What names the list a place is asked of: the question, and in a follow-up ("thế mục 8?") the one before."""
    return query.search_text if query.followup else (query.normalized or query.question)


def _numbers_its_items(cand: Candidate) -> bool:
    return len(list_items(cand.chunk.text)) >= 2 or bool(_LEADING_ITEM.match(cand.chunk.text.lstrip()))


def _positioned_items(index: OpenIndex, query: Query, lead: Candidate) -> tuple[str, list[Citation], list[Candidate]] | None:
    """The item asked for by position, quoted under its section's name and its place in the list; the count
    and every item ("có mấy nơi nhận"); two places ("đầu tiên và cuối cùng")."""
    items = _place_list(index, query, lead)
    if len(items) >= 2 and query.position == COUNT:  # "có mấy nơi nhận": the count, and the items
        return _counted_items(lead, items, _list_name(lead.chunk, items[0].chunk))
    item = item_at(items, query.position) if len(items) >= 2 else None
    if item is None:
        return None
    also = item_at(items, query.also_position) if query.also_position is not None else None
    if also is not None and also != item:  # "nơi nhận đầu tiên và cuối cùng": both, in the list's order
        return _counted_items(lead, sorted([item, also], key=items.index), _list_name(lead.chunk, item.chunk),
                              total=len(items), numbers=[items.index(i) + 1 for i in sorted([item, also], key=items.index)])
    cand = lead if item.chunk.chunk_id == lead.chunk.chunk_id else Candidate(
        chunk=item.chunk, doc=lead.doc, score=lead.score, coverage=lead.coverage)
    k = len(items) if query.position == LAST else query.position
    section = _list_name(lead.chunk, item.chunk)
    where = f"{section} — mục thứ {k} (trong {len(items)} mục)" if section else f"Mục thứ {k} (trong {len(items)} mục)"
    own = item.chunk.heading.split(" › ")[-1].strip()
    if own != section and not fold(item.text).lower().startswith(fold(own.rstrip("…")).lower()[:20]):
        where += f"\n{own}"  # a sub-section whose heading names what its text does not ("6. Trung tâm Chính trị …")
    return f"{where}:\n{item.text} [1]", [citation(1, cand, [item.quoted])], [cand]


def _numbered_count(query: Query, cand: Candidate) -> str:
    """"… gồm mấy việc, việc số 3 là gì": the length of the passage's "(1) …; (2) …" list, said before the item
    quoted; "" unless a count is asked with a place in such a list."""
    if not query.ordinal or query.ordinal == LAST or not counted_noun(query.normalized or query.question):
        return ""
    numbers = [k for k, _, _ in list_items(cand.chunk.text)]
    if len(numbers) < 2 or query.ordinal not in numbers:
        return ""
    return f"Gồm {max(numbers)} mục; mục thứ {query.ordinal}:"


def _what_said(query: Query, folded_what: str) -> str:
    """The words of `folded_what` as the question wrote them."""
    text = query.normalized or query.question
    m = re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, folded_what.split())) + r"(?!\w)", fold(text))
    return as_typed(text, m.start(), m.end(), fold(text)) if m else folded_what


def _available(index: OpenIndex) -> str:
    st = _structures(index)
    names = []
    for doc_id, doc in sorted(index.manifest.documents.items()):
        if st is not None and doc_id in st.derived:
            continue
        names.append(doc.get("title", doc_id).split(":")[0].strip())
    return f"{AVAILABLE_DOCUMENTS} " + "; ".join(names) + "." if names else ""


def _structured_quote(index: OpenIndex, query: Query, cand: Candidate) -> list[str]:
    """The parts that answer, read from the passage's structure: the asked column of a table
    row (with the row's content), the cell naming the holder of the office asked for, the
    numbered item asked for (with the list's lead-in). Empty when none applies."""
    chunk = cand.chunk
    text = chunk.text
    if chunk.kind == "row":
        cells = row_cells(text)
        want = []
        if len(cells) >= 2:
            want.append(cells[1])
        if query.columns:
            want += [c for c in cells if c[0] in query.columns and c[1].strip()]
        # … and the columns of a kind asked for that no column the question names gives ("… ngày nào, ai phụ trách?");
        # a part of a two-part question that asks who (or when) with no column of its own wants that kind's columns
        # ("… lãnh đạo nào phụ trách và đơn vị nào đứng ra thực hiện?": the leader's column, and the other who columns)
        named_kinds = {_column_kind(c) for c in query.columns} - _kinds_asked_apart(index, query)
        want += [c for c in cells if c[1].strip() and _column_kind(c[0]) not in named_kinds and _kind_asked(query, c[0])]
        st = _structures(index)
        if query.role is not None and st is not None:
            names = {h.name for h in st.roles.find(query.role, index.manifest.documents)[0] if h.chunk_id == chunk.chunk_id}
            want += [c for c in cells if any(n in c[1] for n in names)]
        if len(want) >= 2:
            seen, parts = set(), []
            for c in sorted(want, key=lambda c: c[2]):
                if c[2] not in seen:
                    seen.add(c[2])
                    parts.append(text[c[2]:c[3]].strip().rstrip(";"))
            return parts
        return []
    if query.ordinal:
        items = list_items(text)
        asked = max((k for k, _, _ in items), default=0) if query.ordinal == LAST else query.ordinal
        hit = next(((a, b) for k, a, b in items if k == asked), None)
        if hit and len(items) >= 2:
            intro_end = items[0][1]
            line_start = text.rfind("\n", 0, intro_end) + 1
            intro = text[line_start:intro_end].strip()
            if len(intro) > 250:
                intro = ""
            item = text[hit[0]:hit[1]].strip().rstrip(";").strip()
            return [p for p in (intro, item) if p]
    return []


# A row's columns by the kind of fact each gives ("THỜI GIAN HOÀN THÀNH" a time, "CƠ QUAN CHỦ TRÌ" who):
# "… vào ngày nào, ai phụ trách?" asked of a row wants both, whatever the columns are called
_TIME_COLUMN = re.compile(r"THỜI GIAN|THỜI HẠN|NGÀY")
_WHO_COLUMN = re.compile(r"CHỦ TRÌ|PHỤ TRÁCH|THỰC HIỆN")


def _column_kind(column: str) -> str:
    return "time" if _TIME_COLUMN.search(column) else "who" if _WHO_COLUMN.search(column) or "PHỐI HỢP" in column else ""


def _kinds_asked_apart(index: OpenIndex, query: Query) -> set[str]:
    """The kinds (time, who) that a part of a two-part question asks for without naming a column."""
    from .grounding import asked_columns

    st = _structures(index)
    out = set()
    for part in _asked_parts(query):
        if st is None or asked_columns(fold(part).lower(), st.columns):
            continue
        if asks_who(part):
            out.add("who")
        if asks_fact("date", part):
            out.add("time")
    return out


def _kind_asked(query: Query, column: str) -> bool:
    """Asked, in any part of a two-part question, for what the column gives (a time, who)."""
    asked = query.normalized or query.question
    if _TIME_COLUMN.search(column):
        return asks_fact("date", asked)
    if "PHỐI HỢP" in column:  # who works with whom: only when asked so
        return "phoi hop" in fold(asked) and asks_who(asked)
    return _WHO_COLUMN.search(column) is not None and asks_who(asked)


def _second_sources(index: OpenIndex, query: Query, candidates: list[Candidate], first: Candidate) -> list[Candidate]:
    """Other documents' passages worth quoting after the first: the best one of every other
    document the question names (comparisons), else one nearly as good as the first. Derived
    passages (a Q&A booklet) are never quoted: their primary passage is."""

    def other(c: Candidate) -> bool:
        # (a derived document speaks for itself only as the lead, never as a second source)
        return (c is not first and c.chunk.doc_id != first.chunk.doc_id and not _is_derived(index, c)
                and not (c.chunk.dup_group and c.chunk.dup_group == first.chunk.dup_group))

    if len(query.docs) >= 2:
        best: dict[str, Candidate] = {}
        for c in candidates:
            if other(c) and c.chunk.doc_id in query.docs and c.chunk.doc_id not in best:
                best[c.chunk.doc_id] = c
        return list(best.values())
    if query.docs or query.role is not None or query.columns or query.asks_signer:
        return []  # the question is about one document, one office, one row: one source answers it
    rest = [c for c in candidates if c is not first]
    runner_up = next((c for c in rest[:3] if other(c)), None)
    return [runner_up] if runner_up and runner_up.score >= 0.9 * first.score else []


def refusal(query: Query, candidates: list[Candidate], conf: float, reasons: list[str] | None = None) -> Answer:
    closest = candidates[:3]
    lines = [r for r in (reasons or []) if r] or [REFUSAL]
    if closest and not is_injection(query.question):
        lines.append("Các đoạn gần nhất (chỉ để tham khảo, không phải câu trả lời):")
        for n, c in enumerate(closest, 1):
            lines.append(f"- Gần nhất [{n}]: {c.doc.get('title', '')[:80]} — {c.chunk.heading[:80]}")
    lines.append("Bạn có thể hỏi, ví dụ: " + "; ".join(SUGGESTIONS[:3]))
    # The closest passages are shown as such, never cited as support.
    return Answer(question=query.question, answer="\n".join(lines), refused=True, confidence=conf, citations=[],
                  retrieved=candidates, suggestions=SUGGESTIONS)
