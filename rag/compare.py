"""Questions about several named documents at once: "Người ký kế hoạch của Huyện ủy và của Sở
KH&CN là ai?", "So sánh thời hạn … của Yên Bái và của Thị ủy", "… lần lượt căn cứ hướng dẫn số
mấy?". Answered in one pass, the documents' passages compete with each other and each covers
only half of the question, so the answer is often refused or cites one document only. Each
document is then asked on its own (the other documents' names left out of its question, the
search limited to it) and the answers are joined, one part per document."""
from __future__ import annotations

import re

from hoidap.textnorm import fold, squash_spaces

from .parts import asks_something, labelled
from .query import DocAliases, Query, content_words, drop_name, without_question_frame
from .types import Answer

# The comparison's own words name no topic ("So sánh …", "… khác nhau thế nào", "lần lượt", "A … ngày nào,
# còn B … tháng nào"):
# left out of each document's question, where they would only dilute its coverage.
_FRAME = re.compile(r"\b(so sánh|so sanh|khác nhau (?:thế nào|ra sao|như thế nào|ở điểm nào)|khac nhau (?:the nao|ra sao|nhu the nao)"
                    r"|giống và khác nhau|lần lượt|lan luot|mỗi bên|cả hai|ca hai|vs|^giữa"
                    r"|bên nào(?=[^?]*\b(?:hơn|nhất)\b)"  # "Giữa A và B, bên nào … sớm hơn?"
                    r"|(?:mỗi|từng|moi|tung) (?:cái|cai|bên|ben|văn bản|van ban|kế hoạch|ke hoach|kh))\b"
                    r"|,\s*còn\b(?= [^?]*\b(?:nào|gì|ai|bao giờ|đâu|mấy|bao nhiêu)\b)"
                    # "… có giống nhau không", "A và B có cùng ghi … không", "cái nào ra trước"
                    r"|(?:giống|giong|khác|khac) nhau|(?:có|co) (?:cùng|cung)(?= [^?]*\b(?:không|khong|ko)\b)"
                    r"|(?:cái|cai|bên|ben|văn bản|van ban|kế hoạch|ke hoach|kh) (?:nào|nao)(?: [^?,]*?)?"
                    r" (?:trước|truoc|sau|sớm|som|muộn|muon)\b", re.I)
# "Cả A và B đều …" ("both A and B …"): a comparison too; "cả" and "đều" are left out with the frame.
_BOTH = re.compile(r"(?<!tất )(?<!tat )\b(?:cả|ca)\s+((?:kế hoạch|hướng dẫn|văn bản|hai|ke hoach|huong dan|van ban|kh|hd)\b.+?)"
                   r"\s+(?:đều|deu)\b", re.I)
# "cả A lẫn B …" ("A as well as B"): read as "A và B", a comparison ("lan" alone may be "lần": accented only)
_AS_WELL_AS = re.compile(r"(?<!tất )\bcả\s+(.+?)\s+lẫn\s+", re.I)
# What joined the documents' names ("của A và của B", "ở A và ở B") is left dangling once a
# name is taken out: "của và của B" → "của B", "ở A và ở?" → "ở A?".
_DOUBLED = re.compile(r"\b(của|cua|ở|o|tại|tai)\s+(?:và|va)\s+\1\b", re.I)
_TRAILING = re.compile(r"\s+(?:và|va)(?:\s+(?:của|cua|ở|o|tại|tai))?\s*(?=[?.,;]|$|\s(?:là|la|thế|the|như|nhu|có|co)\b)", re.I)


# A document kind left with no name once another document's name is taken out, and the level that stood after
# the name: "KH huyện ủy vs KH MTTQ tp ai ký" asked of the Huyện ủy plan is "KH huyện ủy ai ký", not "… KH tp ai ký"
_ORPHAN_KIND = re.compile(r"(?i)(?<=\s)(?:kh|hd|kế hoạch|ke hoach|hướng dẫn|huong dan|văn bản|van ban)"
                          r"(?:\s+(?:của|cua))?(?:\s+(?:tp|thành phố|thanh pho|tỉnh|tinh|huyện|huyen|thị xã|thi xa))?"
                          r"(?=\s+(?:ai|gì|gi|nào|nao|khi|bao|ngày|ngay|thì|thi|có|co|kh|hd|kế hoạch|ke hoach)\b|\s*[?,.]|\s*$)")

MAX_DOCUMENTS = 4  # each is one more retrieval and answer


def compared_documents(query: Query, aliases: DocAliases, whole: Answer, derived: set[str]) -> list[str]:
    """The documents to answer one by one: the question itself names two or more (not a
    follow-up inheriting them, at most MAX_DOCUMENTS), and it compares them ("so sánh", "khác
    nhau thế nào", "lần lượt"), or the single answer cites fewer of them or was unsure (each document
    holds half of the answer, and one passage covers too little of the question). A refusal by rule
    (confidence 0: something named that the documents lack) stands, and so does the joined answer's
    need for every document to answer ("Huyện ủy và Sở KH&CN có bao nhiêu đảng viên?" stays refused)."""
    if query.followup:
        return []
    question = compared_text(query, aliases)
    matched = {d: names for d, names in aliases.match(question).items() if d not in derived and d not in query.as_bodies}
    if not 2 <= len(matched) <= MAX_DOCUMENTS or not _named_apart(question, matched):
        return []
    if asks_to_compare(question, aliases):  # one passage cannot answer for each: always apart
        return list(matched)
    if whole.refused and (whole.confidence <= 0 or not _named_as_documents(question, matched)):
        return []
    return list(matched) if not set(matched) <= {c.doc_id for c in whole.citations} else []


def compared_text(query: Query, aliases: DocAliases) -> str:
    """The question as typed, or as corrected where only that names the documents apart ("bên huyện y
    với bên thị y", said to speech-to-text, is "bên huyện ủy với bên thị ủy")."""
    if len(aliases.match(query.question)) < 2 <= len(aliases.match(query.normalized)):
        return query.normalized
    return query.question


_KIND = re.compile(r"\b(?:ke hoach|kh|huong dan|hd|van ban|cong van)\b")
NAMED_AFTER_KIND = 40  # characters from a document kind to the name it is followed by ("kế hoạch của Ban Thường vụ Huyện ủy")


def _named_as_documents(question: str, matched: dict[str, list[str]]) -> bool:
    """Every document is named as a document ("Kế hoạch 205 … và kế hoạch của Huyện ủy", "hướng dẫn Thị
    ủy"), not only as a body the question is about ("Mặt trận và các đoàn thể huyện phải làm gì theo KH của
    Huyện ủy" names the Front as who acts, in the Huyện ủy's plan)."""
    folded, spans = _name_spans(question, matched)
    kinds = [m.end() for m in _KIND.finditer(folded)]
    # (a name may begin with its kind: "kế hoạch 205")
    return all(any(_KIND.match(folded, start) or any(0 <= start - k <= NAMED_AFTER_KIND for k in kinds)
                   for start, _, named in spans if named == doc)
               for doc in matched)


def asks_to_compare(question: str, aliases: DocAliases) -> bool:
    """The question says it compares ("so sánh", "khác nhau thế nào", "lần lượt", "cả A và B đều …",
    "cả A lẫn B")."""
    as_well_as = any(aliases.match(m.group(1)) for m in _AS_WELL_AS.finditer(question))
    return bool(_FRAME.search(question) or _BOTH.search(question) or as_well_as)


# (accent-free: "lan" of "lẫn", "con" of "còn" between two names)
_COORDINATOR = re.compile(r",|\b(va|voi|vs|hay|hoac|cung|so voi|lan|con)\b")


def _name_spans(question: str, matched: dict[str, list[str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """The question accent-free, space-padded, and where in it each document's names stand (start, end, doc)."""
    folded = " " + " ".join(re.findall(r"[\w/&.-]+|,", fold(question))) + " "  # (a comma parts two names)
    return folded, sorted((m.start(), m.end(), doc) for doc, names in matched.items() for name in names
                          for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded))


def _named_apart(question: str, matched: dict[str, list[str]]) -> bool:
    """The documents are named as separate things ("của Huyện ủy và của Sở KH&CN"), not as parts
    of one name the corpus lacks ("Huyện ủy Điện Biên Đông" holds one document's name and
    another's place): a conjunction or comma stands between each name and the next."""
    folded, spans = _name_spans(question, matched)
    return all(_COORDINATOR.search(folded[a_end:b_start])
               for (_, a_end, a), (b_start, _, b) in zip(spans, spans[1:]) if a != b)


def question_for(question: str, aliases: DocAliases, doc_id: str) -> str:
    """The question as asked of one document: the other documents' names and the comparison's
    frame left out."""
    text = _own_clause(question, aliases, doc_id) or question
    # only where "cả … lẫn" holds a document's name: a quoted "cả ngọn lẫn gốc" stays as it is
    text = _AS_WELL_AS.sub(lambda m: f"{m.group(1)} và " if aliases.match(m.group(1)) else m.group(0), text)
    for other, names in aliases.match(text).items():
        if other == doc_id:
            continue
        dropped: list[str] = []
        for name in sorted(names, key=len, reverse=True):
            if not any(name in d for d in dropped):  # "huyen" inside "huyen uy", already gone
                text = drop_name(text, name)
                dropped.append(name)
    text = squash_spaces(_FRAME.sub(" ", _BOTH.sub(r"\1", text)))
    for comparative, asked in _COMPARATIVES:  # "… sớm hơn": of one document, when
        text = comparative.sub(asked, text)
    text = re.sub(r"(?i)^\s*(?:(?:cả|ca)\s+)?(?:và|với|va|voi|hay)\b\s*", "", text)  # "(Giữa A) và B, …", "(Cả A) và B …": B's question
    text = _ORPHAN_KIND.sub(" ", text)
    text = re.sub(r"\s*[,;]\s*(?=[?.]|$)", "", text)  # a clause of the frame alone, left out ("…, cái nào ra trước?")
    text = squash_spaces(_TRAILING.sub("", _DOUBLED.sub(r"\1", text)))
    return re.sub(r"^[\s:,;.-]+", "", text)  # "So sánh: …": the frame's colon


# A comparative asks each document for the value compared ("bên nào … sớm hơn": each one's date)
_COMPARATIVES = [(re.compile(r"(?i)\b(?:sớm|muộn|trễ|chậm) (?:hơn|nhất)\b"), "khi nào"),
                 (re.compile(r"(?i)\b(?:nhiều|ít) (?:hơn|nhất)\b"), "bao nhiêu")]
_WHEREAS = re.compile(r",\s*còn\s+", re.I)
# "…, còn B ai làm việc đó / cũng vậy không": B's clause asks what the first asked of A
_REFERS_BACK = re.compile(r"\b(?:viec (?:do|nay|ay)|cung vay|nhu vay|tuong tu)\b")


def _own_clause(question: str, aliases: DocAliases, doc_id: str) -> str:
    """"Về báo cáo hằng năm: Huyện ủy yêu cầu … ngày nào, còn Thị ủy yêu cầu … tháng nào?": each
    document's own clause, after the topic both share ("Về báo cáo hằng năm:"); "" when the
    question is not built that way."""
    parts = _WHEREAS.split(question, maxsplit=1)
    if len(parts) != 2:
        return _own_clauses(question, aliases, doc_id) or _own_conjunct(question, aliases, doc_id)
    left, right = parts
    in_left, in_right = doc_id in aliases.match(left), doc_id in aliases.match(right)
    if in_left == in_right or in_right and _REFERS_BACK.search(fold(right).lower()):
        return ""  # ("…, còn bên huyện ai làm việc đó?": the whole question, the other's name left out, asks it)
    shared = _shared_topic(left)  # "Về báo cáo hằng năm:"
    own = right if in_right else left[len(shared):]
    return squash_spaces(f"{shared} {own.strip().rstrip('?').strip()}?")


def _shared_topic(text: str) -> str:
    """What every document is asked, said before a colon ("Về báo cáo hằng năm:"), colon included; "" if none."""
    return text[:text.index(":") + 1] if ":" in text else ""


_CLAUSE = re.compile(r"\s*[,;]\s+")


def _own_clauses(question: str, aliases: DocAliases, doc_id: str) -> str:
    """"KH 88 của Tỉnh ủy ngày nào, KH 143 mà Huyện ủy thực hiện ngày nào, cái nào ra trước?": the clauses that
    name this document and no other, with those naming none (what both are asked); "" unless another clause
    names another document, or where a title is quoted (its commas join no clauses)."""
    if re.search(r"[“\"‘]", question):
        return ""
    text = question.strip().rstrip("?").strip()
    shared = _shared_topic(text)  # "So sánh thời hạn …: A quy định …, B quy định …"
    clauses = [c for c in _CLAUSE.split(text[len(shared):]) if c]
    named = [set(aliases.match(c)) for c in clauses]
    if not any(n == {doc_id} for n in named) or not any(n and doc_id not in n for n in named) \
            or any(doc_id in n and len(n) > 1 for n in named):
        return ""
    return squash_spaces(f"{shared} " + ", ".join(c for c, n in zip(clauses, named) if n <= {doc_id}) + "?")


# What may stand before a document's name as only its kind or preposition ("kế hoạch của", "bên", "ở"), accent-free
_NAME_LEADS = {"ke hoach", "kh", "huong dan", "hd", "van ban", "cua", "ben", "o", "tai", "theo"}


def _lead_after(folded: list[str], i: int) -> int:
    """How many words from position i on are a name's lead ("của", "hướng dẫn của")."""
    end = i
    while end < len(folded):
        if " ".join(folded[end:end + 2]) in _NAME_LEADS:
            end += 2
        elif folded[end] in _NAME_LEADS:
            end += 1
        else:
            break
    return end - i


_AND = re.compile(r"\s+(?:và|va)\s+", re.I)
OWN_TOPIC_WORDS = 2  # a side of "A's X và B's Y" asks a thing of its own: this many topic words besides B's name


def _own_conjunct(question: str, aliases: DocAliases, doc_id: str) -> str:
    """"Hạn báo cáo sơ kết theo KH 205 và thời điểm kết thúc đợt sinh hoạt theo Kế hoạch của Huyện ủy": two things
    asked, one of each document, either side of "và"; this document's side, after the topic both share; "" unless
    the question is built that way ("A và B quy định …" asks one thing of both)."""
    if re.search(r"[“\"‘]", question):
        return ""
    text = question.strip().rstrip("?.").strip()
    shared = _shared_topic(text)
    sides = _AND.split(text[len(shared):])
    if len(sides) != 2:
        return ""
    named = [aliases.match(side) for side in sides]
    if not all(len(n) == 1 for n in named) or set(named[0]) == set(named[1]) or \
            not all(_asks_of_its_own(side, n) for side, n in zip(sides, named)):
        return ""
    after = [fold(w).lower().strip(".,;:?!()") for w in sides[1].split()]
    if "?" in sides[0] or asks_something(sides[1]) and not asks_something(sides[0]) or _lead_after(after, 0) or \
            any(after[:len(n.split())] == n.split() for names in named[1].values() for n in names):
        # "… của Huyện ủy và (của | theo | kế hoạch của) Sở …", "A và B phải gửi trước ngày nào": one thing asked of both
        return ""
    own = [side for side, n in zip(sides, named) if doc_id in n]
    return squash_spaces(f"{shared} {own[0]}?") if own else ""


def _asks_of_its_own(side: str, named: dict[str, list[str]]) -> bool:
    folded = f" {fold(side).lower()} "
    for name in sorted((n for names in named.values() for n in names), key=len, reverse=True):
        folded = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", folded)
    words = [w for w in content_words(without_question_frame(_FRAME.sub(" ", folded))) if w not in _NAME_WORDS]
    return len(words) >= OWN_TOPIC_WORDS


# a name's lead ("kế hoạch của") and the comparison's request ("so sánh giúp tôi"): no topic of a side (accent-free)
_NAME_WORDS = {w for lead in _NAME_LEADS for w in lead.split()} | {"so", "sanh", "giup", "toi"}


def joined(question: str, parts: list[tuple[dict, Answer]]) -> Answer | None:
    """One answer from the documents' own: a part per document, its title first, markers
    renumbered. None unless every document answered (the single answer, or its refusal, stands)."""
    if not parts or any(a.refused for _, a in parts):
        return None
    # "Kế hoạch 205-KH/TU của …", not its subject
    return labelled(question, [(f"• {(doc.get('title') or doc.get('doc_id', '')).split(':', 1)[0]}:", a) for doc, a in parts])
