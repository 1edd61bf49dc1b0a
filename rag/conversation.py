"""Conversation state for follow-up questions.

Interfaces pass the earlier turns as `history`. A turn is either the plain question text
(what the API accepted so far) or a richer record of what was answered: the question, and the
documents and passages the answer cited (`hoidap.schema.Turn`, or any dict/object with
`question`, `doc_ids`, `chunk_ids`). From the last turn the assistant keeps:

- the subject: the previous question, itself resolved against the turn before it;
- the documents: those the previous question named (kept by a follow-up), and those its answer
  cited (preferred, softly: book content is repeated in several plans);
- the passages its answer cited, which "người đó", "kế hoạch đó", "phần đó" point back to.

Plain-text turns carry no citations; the assistant then retrieves for the previous question
once to learn which document and passage it was about.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hoidap.textnorm import canonical, fold, has_diacritics


@dataclass
class Turn:
    question: str
    answer: str = ""
    doc_ids: list[str] = field(default_factory=list)  # cited documents, the main one first
    chunk_ids: list[str] = field(default_factory=list)  # cited passages
    refused: bool = False

    @property
    def has_citations(self) -> bool:
        return bool(self.doc_ids or self.chunk_ids)


def as_turns(history) -> list[Turn]:
    """Plain strings, dicts and objects (pydantic models, AnswerOut-like) → Turn. Items
    without a question are ignored."""
    out: list[Turn] = []
    for item in history or []:
        if isinstance(item, str):
            if item.strip():
                out.append(Turn(question=item))
            continue
        get = item.get if isinstance(item, dict) else (lambda k, d=None, o=item: getattr(o, k, d))
        question = get("question", "") or ""
        if not isinstance(question, str) or not question.strip():
            continue
        citations = get("citations", None) or []
        cited_docs = [c.get("doc_id") if isinstance(c, dict) else getattr(c, "doc_id", None) for c in citations]
        cited_chunks = [c.get("chunk_id") if isinstance(c, dict) else getattr(c, "chunk_id", None) for c in citations]
        doc_ids = list(get("doc_ids", None) or [d for d in cited_docs if d])
        chunk_ids = list(get("chunk_ids", None) or [c for c in cited_chunks if c])
        out.append(Turn(question=question, answer=str(get("answer", "") or ""), doc_ids=[str(d) for d in doc_ids],
                        chunk_ids=[str(c) for c in chunk_ids], refused=bool(get("refused", False))))
    return out


@dataclass
class State:
    """What a follow-up can refer to."""
    question: str  # the previous question, resolved (its search text)
    docs: list[str] = field(default_factory=list)  # documents its answer cited (a soft preference)
    named: list[str] = field(default_factory=list)  # documents it named (a follow-up keeps them)
    chunks: list[str] = field(default_factory=list)  # passages its answer cited
    asked_signer: bool = False
    wants: str | None = None
    answer: str = ""  # what its answer said ("Ngoài tài liệu đó, còn …" asks for something else)
    about: list[str] = field(default_factory=list)  # derived documents it asked about as such (the booklet's pairs)
    choices: object = None  # rag.choices.Choices: the quiz question it was ("vậy B hay C?" asks it again)
    quoted: str = ""  # the quotation it asked about, or the piece it moved to ("thế câu tiếp theo?" moves on from it)


# ("so với KH 205 thì …": the same question of another document, query._strip_followup)
_FOLLOWUP_START = re.compile(r"^(con|the con|vay con|the|vay|the thi|vay thi|con o|con ve|roi|the nao ve|so voi)\b")
_FOLLOWUP_END = re.compile(r"\b(thi sao|nua)\s*\??$")
# Words pointing back at something said before; the noun in front tells what.
_ANAPHOR = re.compile(r"\b(\w+(?: \w+)?) (do|ay|nay|tren|kia|vua roi|vua neu)\b(?! ai\b)")
# With diacritics "đó" points back and "đô" does not; a pointer left without them ("người do",
# the rest of the question restored) is read as one only after a noun that can point back.
_ANAPHOR_ACCENTED = re.compile(r"(?<!\w)(\w+(?: \w+)?) (đó|ấy|này|trên|kia|vừa rồi|vừa nêu|do|ay|nay)(?!\w)(?! ai\b)")
# what "trên" is "on" when it is no pointer back (accent-free): a page, a site, a network, a channel
_ON_A_MEDIUM = re.compile(r"\s+(?:trang|website|web|mang|cong thong tin|fanpage|zalo|facebook|kenh|tai khoan|ban tin)\b")
_PERSON_NOUNS = {"nguoi", "ong", "ba", "dong chi", "d/c", "nguoi ky", "nguoi do", "vi", "anh", "chi"}
_DOC_NOUNS = {"van ban", "tai lieu", "ke hoach nay"}
_REFERENT_NOUNS = {"nguoi", "ong", "ba", "chi", "anh", "vi", "hoach", "kh", "ban", "dan", "hd", "van", "lieu", "phan",
                   "bai", "muc", "nghi", "vu", "quan", "trinh", "luan", "kl", "cv", "tac", "pham", "sach", "dot",
                   "do", "ay", "nay"}
_TIME_WORDS = {"hom", "hien", "ngay", "nam", "thang", "tuan", "luc", "gio", "dao", "bay"}


# "à nhầm, ý tôi là của Thành ủy": the asker corrects which plan the last question meant
_CORRECTION = re.compile(r"^\W*(?:(?:à|a|ờ|ơ|ô|ồ)\W+)?(?:nhầm|nham|nhầm rồi|nham roi|xin lỗi|xin loi|sorry)\W+"
                         r"(?:(?:ý|y) (?:tôi|em|mình|toi|minh|anh|chị|chi) (?:là|la|hỏi|hoi)|(?:tôi|em|mình|toi|minh) (?:hỏi|hoi))\s+",
                         re.IGNORECASE)


def as_correction(question: str) -> str:
    """A correction of the last question's plan read as the follow-up it is: "à nhầm, ý tôi là của Thành ủy" asks
    "còn của Thành ủy thì sao" (the last question again, of that plan); anything else as asked."""
    m = _CORRECTION.match(question)
    if not m or not question[m.end():].strip(" ?.!"):
        return question
    return f"còn {question[m.end():].strip(' ?.!')} thì sao?"


def reference(question: str) -> str | None:
    """'passage' when the question points at what the last answer quoted ("người đó",
    "kế hoạch đó", "phần đó"), 'document' for the document as a whole ("văn bản ấy"), None."""
    accented = has_diacritics(question)
    f = canonical(question) if accented else fold(question).lower()
    for m in (_ANAPHOR_ACCENTED if accented else _ANAPHOR).finditer(f):  # "đô" is not "đó"
        noun = fold(m.group(1)).lower()
        last = noun.split()[-1]
        if fold(m.group(2)) == "nay" and last in _TIME_WORDS:
            continue  # "hôm nay", "hiện nay", "năm nay": a time, not a reference
        closes = not f[m.end():].strip(" ?.!…")  # "… việc do?": "do" ends the question, so it is "đó", not "by"
        if (not accented or m.group(2).isascii()) and last not in _REFERENT_NOUNS and not closes:
            continue  # without diacritics "do" may be "đô", "ay" anything: only a noun that can point back
        if fold(m.group(2)) == "tren" and _ON_A_MEDIUM.match(fold(f[m.end():]).lower()):
            continue  # "đăng trên trang …", "học trên mạng": "on", not "the above" ("nội dung trên")
        if noun in _DOC_NOUNS or last in ("ban",) and noun.endswith("van ban"):
            return "document"
        if noun in _PERSON_NOUNS or last in ("nguoi", "ong", "ba", "chi"):
            return "passage"
        if last not in ("la", "co", "thi", "va", "ma", "o", "cua"):
            return "passage"
    return None


_ELSE = r"\b(nao|gi|ai) khac\b|\bkhac nua\b"  # "còn việc gì khác", "… khác nữa"
_BESIDES = re.compile(rf"^ngoai\b|{_ELSE}")
_BESIDES_WHAT_WAS_SAID = re.compile(rf"^ngoai\b[^,?]*\b(do|ay|nay|tren|vua neu|vua roi)\b|{_ELSE}")


_BESIDES_CLAUSE = re.compile(r"^ngoai\b[^,?]*")


def new_pairs(question: str, previous: str) -> list[str]:
    """"Ngoài các kênh đó, việc học tập còn kết hợp với hình thức nào?": the word pairs (accent-free)
    the follow-up asks after its "ngoài …" clause that neither that clause nor the previous question
    said. A unit the last answer quoted only alongside its answer ("Kết hợp … với tự học, tự nghiên
    cứu", quoted with the channels asked before) still answers this new ask; "Ngoài tài liệu đó, còn
    tài liệu nào?" brings no new pair, so nothing said is quoted again."""
    f = fold(question).lower().strip()
    clause = _BESIDES_CLAUSE.match(f)
    if not clause:
        return []
    said = set(_pairs(clause.group(0))) | set(_pairs(fold(previous).lower()))
    return [p for p in _pairs(f[clause.end():]) if p not in said]


# words that join or ask, not what is asked about ("còn tài liệu nào khác": no pair of its own)
_FUNCTION_WORDS = {"con", "nao", "gi", "ai", "khac", "nua", "voi", "cua", "va", "la", "co", "thi", "cac", "nhung", "do",
                   "ay", "nay", "the", "vay", "a", "o", "cho", "de", "ma", "duoc", "phai", "khong"}


def _pairs(text: str) -> list[str]:
    words = re.findall(r"\w+", text)
    return [f"{a} {b}" for a, b in zip(words, words[1:]) if a not in _FUNCTION_WORDS and b not in _FUNCTION_WORDS]


def asks_besides(question: str) -> bool:
    """"Ngoài tài liệu đó, còn tài liệu nào?", "còn việc gì khác": something other than what the
    last answer said. (Called before the question is validated: anything but text is not.)"""
    return isinstance(question, str) and bool(_BESIDES.search(fold(question).lower().strip()))


def excludes_all_said(question: str) -> bool:
    """"Ngoài những tài liệu đó, …", "… nào khác": nothing the last answer gave answers it — unlike
    "Ngoài tuyên truyền, … còn phải làm gì", which names its own topic and may be answered by
    another part of the passage the last answer quoted whole."""
    return isinstance(question, str) and bool(_BESIDES_WHAT_WAS_SAID.search(fold(question).lower().strip()))


# "hạn báo cáo là ngày nào thế?", "… ai ký vậy": a closing particle said within a conversation (not "cụ thể",
# "đoàn thể", "như thế", "như vậy"; typed without diacritics, "thể" reads as "the")
_PARTICLE_END = re.compile(r"(?<!như )\b(?:thế|vậy)\s*[?.!]*$")
_PARTICLE_END_FOLDED = re.compile(r"(?<!cu )(?<!doan )(?<!tap )(?<!toan )(?<!nhu )(?<!chu )\b(?:the|vay)\s*[?.!]*$")


def is_followup(question: str, content_words: int, typed: str = "") -> bool:
    """`question` as normalised (politeness and particles left out); `typed`, as the user typed it."""
    f = fold(question).lower().strip()
    return bool(_FOLLOWUP_START.search(f) or _FOLLOWUP_END.search(f) or ends_with_particle(typed)
                or reference(question)) or content_words <= 2 or (asks_all_of_it(question) and content_words <= 5)


# "kể hết ra", "liệt kê đủ", "chép hết các ý": every point of what the last answer listed (accent-free)
_ALL_OF_IT = re.compile(r"\b(?:ke (?:het|ra|day du|du|tat ca|cu the)|liet ke|chep (?:het|du|day du|toan bo|ca)"
                        r"|(?:tat ca|het|day du|toan bo) (?:cac |nhung )?(?:y|muc|bai hoc|noi dung|diem))\b")


def asks_all_of_it(question: str) -> bool:
    return bool(_ALL_OF_IT.search(fold(question).lower()))


def ends_with_particle(typed: str) -> bool:
    typed = typed.strip()
    return bool(_PARTICLE_END.search(canonical(typed)) if has_diacritics(typed)
                else _PARTICLE_END_FOLDED.search(fold(typed).lower()))
