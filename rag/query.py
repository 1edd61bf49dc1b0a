"""Understanding the question: validation, the words that matter, the documents it names,
and folding in the previous turn for follow-ups."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hoidap.textnorm import canonical, fold, has_diacritics, nfc, squash_spaces, syllables

MAX_CHARS = 2000

# Function and question words: they carry no topic.
STOPWORDS = set("""
là gì bao nhiêu khi nào ai thế như sao còn có không của và các những trong ở thì được để về với cho từ đến hay nhé à
bạn tôi biết hỏi mấy cái này đó kia vậy thôi theo một ra vào tại phải cần đã sẽ đang bị bởi nếu mà nhỉ ạ hả chứ ơi
xin vui lòng giúp em anh chị mình ta chúng hoặc do nó ấy
""".split())
FOLDED_STOPWORDS = {fold(w) for w in STOPWORDS}
_SIGNER = re.compile(r"\bký\b")
_SIGNER_FOLDED = re.compile(r"\b(ai|nguoi) ky\b|\bky (ten|ke hoach|van ban|huong dan)\b")
_FOLLOWUP = re.compile(r"^(còn|thế còn|vậy còn|the con|vay con|con)\b|\b(thì sao|thi sao|nó|no|đó|do|này|nay|ấy|vậy|vay)\s*\??$", re.IGNORECASE)


# What kind of fact the question wants, and how that fact looks in a passage.
_WANTS = {
    "date": (re.compile(r"\b(khi nao|thoi han|ngay nao|bao gio|luc nao|han chot|thang nao|nam nao|thoi gian nao|dip nao)\b"),
             re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\btháng \d{1,2}\b|\bquý [IV]+\b", re.IGNORECASE)),
    "number": (re.compile(r"\b(bao nhieu|may)\b"), re.compile(r"\b\d+([.,]\d+)?\b")),
}


def wanted_fact(question: str) -> str | None:
    folded = fold(question)
    return next((kind for kind, (asks, _) in _WANTS.items() if asks.search(folded)), None)


def has_fact(kind: str | None, text: str) -> bool:
    return bool(kind) and bool(_WANTS[kind][1].search(text))


class BadQuestion(ValueError):
    """A question we cannot work with; the message is Vietnamese, for the user."""


def validate(question) -> str:
    if not isinstance(question, str):
        raise BadQuestion("Câu hỏi phải là văn bản.")
    question = squash_spaces(question.replace("\x00", " "))
    if not question:
        raise BadQuestion("Câu hỏi đang trống. Vui lòng nhập nội dung cần hỏi.")
    if len(question) > MAX_CHARS:
        raise BadQuestion(f"Câu hỏi quá dài ({len(question)} ký tự). Vui lòng rút gọn dưới {MAX_CHARS} ký tự.")
    if not re.search(r"\w", question):
        raise BadQuestion("Câu hỏi không có chữ hoặc số nào. Vui lòng nhập câu hỏi bằng chữ.")
    return nfc(question)


def content_words(text: str) -> list[str]:
    """Accent-free topic words of a question."""
    return [w for w in re.findall(r"\w+", fold(text)) if w not in FOLDED_STOPWORDS]


def topic_terms(text: str, folded: bool) -> list[str]:
    """Topic syllables of a question and the pairs of them that stand side by side, in the
    exact (accented) or accent-free form."""
    words = syllables(fold(text) if folded else text)
    stop = FOLDED_STOPWORDS if folded else STOPWORDS
    keep = [w not in stop for w in words]
    terms = [w for w, k in zip(words, keep) if k]
    pairs = [f"{a} {b}" for (a, ka), (b, kb) in zip(zip(words, keep), zip(words[1:], keep[1:])) if ka and kb]
    return terms + pairs


def restore_diacritics(text: str, restore: dict[str, str]) -> str:
    """'tac pham gom may phan' → 'tác phẩm gồm mấy phần', using the spellings of the corpus
    (syllable pairs first, then single syllables); unknown words stay as typed."""
    words = re.findall(r"\w+", text.lower())
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = restore.get(f"{words[i]} {words[i + 1]}") if i + 1 < len(words) else None
        if pair:
            out.extend(pair.split())
            i += 2
            continue
        out.append(restore.get(words[i], words[i]))
        i += 1
    return " ".join(out)


def is_followup(question: str) -> bool:
    return bool(_FOLLOWUP.search(question.strip())) or len(content_words(question)) <= 2


@dataclass
class DocAliases:
    """Names a question may use for a document: its issuer, place, number."""
    by_doc: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (accent-free, canonical) names

    @classmethod
    def from_documents(cls, documents: dict[str, dict]) -> "DocAliases":
        by_doc: dict[str, list[tuple[str, str]]] = {}
        for doc_id, d in documents.items():
            names = list(d.get("aliases") or [])
            number = d.get("number") or ""
            m = re.match(r"^(\d+)", number)
            if m:
                names += [number, f"kế hoạch {m.group(1)}", f"hướng dẫn {m.group(1)}", f"số {m.group(1)}"]
            if d.get("issuer"):
                names.append(d["issuer"])
            by_doc[doc_id] = sorted({(fold(n), canonical(n)) for n in names if len(n) >= 2}, key=lambda p: -len(p[0]))
        return cls(by_doc)

    def match(self, text: str) -> dict[str, list[str]]:
        """Documents named in the text, with the names found. With diacritics the names must
        match accents too ("sơ kết" does not name the "Sở"); without, the accent-free forms."""
        accented = has_diacritics(text)
        prepared = " " + " ".join(re.findall(r"[\w/&.-]+", canonical(text) if accented else fold(text))) + " "
        found: dict[str, list[str]] = {}
        for doc_id, names in self.by_doc.items():
            for name, spelled in names:
                if re.search(rf"(?<![\w]){re.escape(spelled if accented else name)}(?![\w])", prepared):
                    found.setdefault(doc_id, []).append(name)
        return found


@dataclass
class Query:
    question: str  # as asked, validated
    search_text: str  # what retrieval sees: diacritics restored, the previous turn folded in for follow-ups
    typed_text: str  # the same before diacritic restoration, for the accent-free index
    terms: list[str]  # topic syllables and adjacent pairs (see topic_terms)
    folded: bool  # terms are accent-free (the question had no diacritics and could not be restored)
    docs: dict[str, list[str]]  # documents the question (or its context) names
    asks_signer: bool = False  # "Ai ký …?": the signature block answers it
    wants: str | None = None  # "date" or "number" when the question asks for one


def understand(question: str, history: list[str] | None, aliases: DocAliases, restore: dict[str, str] | None = None) -> Query:
    question = validate(question)
    named = aliases.match(question)
    search = question
    if history and is_followup(question):
        previous = nfc(history[-1])
        prev_named = aliases.match(previous)
        if named:  # "Còn ở huyện thì sao?": keep the previous topic, drop its place
            for names in prev_named.values():
                for name in names:
                    previous = _drop_name(previous, name)
        else:
            named = prev_named
        current = _strip_followup(question)
        search = f"{current} {current} {previous}"  # the new turn weighs more than the one it continues
    typed = squash_spaces(search)
    if not has_diacritics(question) and restore:
        search = restore_diacritics(typed, restore)
    folded = not has_diacritics(search)
    signer = _SIGNER.search(question.lower()) if has_diacritics(question) else _SIGNER_FOLDED.search(fold(question))
    return Query(question=question, search_text=squash_spaces(search), typed_text=typed,
                 terms=topic_terms(search, folded), folded=folded, docs=named, asks_signer=bool(signer),
                 wants=wanted_fact(search))


def _drop_name(text: str, folded_name: str) -> str:
    words = text.split()
    n = len(folded_name.split())
    for i in range(len(words) - n + 1):
        if fold(" ".join(words[i:i + n])).strip(".,;:?!") == folded_name:
            return " ".join(words[:i] + words[i + n:])
    return text


def _strip_followup(question: str) -> str:
    return re.sub(r"\b(thì sao|thi sao|thế còn|vậy còn|còn)\b|\?", " ", question, flags=re.IGNORECASE)
