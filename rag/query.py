"""Understanding the question: validation, the words that matter, the documents it names,
and folding in the previous turn for follow-ups."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from hoidap.textnorm import canonical, fold, has_diacritics, nfc, squash_spaces, syllables

from .choices import Choices, picked, split_choices
from .types import AVAILABLE_DOCUMENTS

MAX_CHARS = 2000

# Function and question words: they carry no topic.
STOPWORDS = set("""
là gì bao nhiêu khi nào ai thế như sao còn có không của và các những trong ở thì được để về với cho từ đến hay nhé à
bạn tôi biết hỏi mấy cái này đó kia vậy thôi theo một ra vào tại phải cần đã sẽ đang bị bởi nếu mà nhỉ ạ hả chứ ơi
xin vui lòng giúp em anh chị mình ta chúng hoặc do nó ấy muốn lên bên
""".split())
FOLDED_STOPWORDS = {fold(w) for w in STOPWORDS}
_SIGNER = re.compile(r"\bký\b(?! hiệu)")  # "ký hiệu" is a document's code, not a signature
# "thay mặt ai": on whose behalf it was signed ("T/M BAN THƯỜNG VỤ"), asked; "người thay mặt tập thể … ký" only says who
_ON_BEHALF_ASKED = re.compile(r"\bthay mat(?= (?:ai|co quan nao|ban nao)\b)")
_SIGNER_FOLDED = re.compile(r"\b(ai|nguoi|nao) ky\b|\bky (ten|ke hoach|van ban|huong dan|kh|hd)\b|" + _ON_BEHALF_ASKED.pattern)


# What kind of fact the question wants, and how that fact looks in a passage.
# A document number in a passage: "126-KH/TU", "33 -HD/BTG" (the code in capitals), "số 33"
DOC_NUMBER = re.compile(r"\b(\d+)\s*[-/]\s*[A-ZĐ]{2,}|\b(?:[Ss]ố|SỐ)\s+(\d+)")
# ("thói quen / việc làm thường ngày nào" asks which everyday habit: no day; "thường … ngày nào tổ chức" does)
_EVERY = r"(?<!quen thuong )(?<!quen hang )(?<!quen moi )(?<!lam thuong )(?<!lam hang )(?<!lam moi )"
_WANTS = {
    # a web address ("địa chỉ trang thông tin điện tử", "link đọc sách"): only a passage giving one answers
    "address": (re.compile(r"\bdia chi (?:\w+ ){0,2}(?:trang|web|website|fanpage|cong thong tin)\b"
                           r"|\b(?:link|duong link|duong dan|url)\b"),
                re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:vn|com|org|net)\b")),
    # "which document": its number ("Kế hoạch số 126-KH/TU", "Kết luận số 21-KL/TW"); before "number"
    "docnum": (re.compile(r"\b(ke hoach|huong dan|cong van|ket luan|quyet dinh|nghi quyet|chi thi|van ban)\s*(so\s*)?"
                          r"(may|nao|bao nhieu|gi)\b|\b(so|ky) hieu\b|\bmang so (may|nao|gi|bao nhieu)\b"),
               # a number line whose number is left blank still gives the code ("Số: /KH-SKHCN")
               re.compile(DOC_NUMBER.pattern + r"|(?:Số|SỐ):\s*/\s*[A-ZĐ]{2,}")),
    "date": (re.compile(rf"\b(khi nao|thoi han|{_EVERY}ngay (?:cu the )?nao|ngay (?:ban hanh|ky) (?:la )?(?:nao|gi)|bao gio|luc nao|han chot|thang nao|nam nao|thoi gian nao|dip nao|thoi diem"
                        r"|han (bao cao|nop|gui|cuoi|cua)|(ngay|thang|nam) (bao nhieu|may|bn))\b|^han\b"),
             re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\btháng \d{1,2}\b|\bquý [IV]+\b|\bngày \d{1,2} tháng", re.IGNORECASE)),
    "number": (re.compile(r"\b(bao nhieu|may)\b"), re.compile(r"\b\d+([.,]\d+)?\b")),
}


# "Kế hoạch … căn cứ (vào) văn bản nào / được xây dựng để thực hiện kế hoạch số mấy / dựa vào …":
# the documents a plan implements, which its opening lines name ("Thực hiện Kế hoạch số 126-KH/TU …",
# "Căn cứ …"); asked of a cited document's date too ("văn bản mà Thị ủy căn cứ … ban hành ngày nào")
_DOC_KINDS_ASKED = r"(văn bản|kế hoạch|hướng dẫn|chỉ thị|kết luận|nghị quyết|công văn|quyết định|quy định)"
_ASKS_BASIS = re.compile(r"\b(căn cứ (vào |theo )?(những |các )?" + _DOC_KINDS_ASKED + r"|(trên|làm) cơ sở (của )?(những |các )?"
                         + _DOC_KINDS_ASKED + r" (nào|gì)|" + _DOC_KINDS_ASKED + r" nào (làm|là) (cơ sở|căn cứ)"
                         r"|căn cứ (để|của|nào)|là căn cứ|dựa (vào|trên|theo)|(để|nhằm) thực hiện"
                         r"|(?<!việc )(?<!tục )thực hiện (theo )?(những |các )?(kế hoạch|hướng dẫn|chỉ thị|kết luận|nghị quyết|công văn|văn bản) (số )?(nào|mấy|gì))\b")
# (case-sensitive: a sentence that opens with it; the chunker may join it to the title line above)
BASIS_LINE = re.compile(r"\b(?:Thực hiện|Căn cứ)(?: theo)? (?:[^\n.;]{0,60}?\b)?(?:[Ss]ố \d|Kế hoạch|Hướng dẫn|Chỉ thị|Kết luận"
                        r"|Nghị quyết|[Cc]ông văn|Quy định|Quyết định)\b")


# "để thực hiện tác phẩm", "nhằm thực hiện đợt sinh hoạt": what a plan is for, not the document it implements
_PURPOSE = re.compile(r"\b(?:để|nhằm) thực hiện (?!(?:theo )?(?:các |những )?(?:kế hoạch|hướng dẫn|văn bản|chỉ thị|kết luận|nghị quyết"
                      r"|công văn|quyết định)\b)")


def asks_basis_document(question: str) -> bool:
    """A basis question about the document a plan implements ("để thực hiện kế hoạch nào …", "văn
    bản mà Thị ủy căn cứ …"), not a purpose ("kế hoạch … để thực hiện tác phẩm")."""
    return asks_basis(_PURPOSE.sub(" ", canonical(question)))


def asks_basis(question: str) -> bool:
    """Read with diacritics: accent-free, "dua vao" is as often "đưa vào" (put into) as "dựa vào"."""
    return bool(_ASKS_BASIS.search(canonical(question).lower()))


def asks_fact(kind: str, question: str) -> bool:
    """The question asks, in some part of it, for a fact of this kind ("… ngày nào, ai …": a date)."""
    return _WANTS[kind][0].search(fold(question)) is not None


def wanted_fact(question: str) -> str | None:
    folded = fold(question)
    return next((kind for kind, (asks, _) in _WANTS.items() if asks.search(folded)), None)


# "trước ngày nào", "ngày mấy": a day, which a passage with no date at all cannot give ("khi nào" or
# "thời gian nào" may be answered by "hằng năm" or "dịp kỷ niệm các ngày lễ lớn")
_ASKS_DAY = re.compile(rf"\b{_EVERY}ngay (?:cu the )?(nao|may|bao nhieu|bn|thang nao)\b")


def asks_day(question: str) -> bool:
    return _ASKS_DAY.search(fold(question)) is not None


# "phát sóng vào khung giờ nào", "mấy giờ": a time of day, which only a passage giving one ("19h30",
# "8 giờ") can answer
_ASKS_HOUR = re.compile(r"\b(?:khung gio|may gio|gio nao|bao nhieu gio|luc may gio)\b")
_HOUR = re.compile(r"(?<![\w/])\d{1,2}\s*(?:h|giờ|g)(?:\s*\d{2})?(?!\w)", re.I)


def asks_hour(question: str) -> bool:
    return _ASKS_HOUR.search(fold(question).lower()) is not None


def gives_hour(text: str) -> bool:
    return _HOUR.search(text) is not None


# "gửi kế hoạch triển khai (của mình) về huyện trước ngày nào": what has the deadline (accent-free)
_DATED_OBJECT = re.compile(r"\b(?:gui|nop|ban hanh|hoan thanh)\s+((?:\w+\s+){0,6}?)"
                           r"(?:(?:cua \w+\s+)?(?:ve|len|cho|toi|den|truoc|cham nhat|muon nhat|tre nhat|vao)\b)")


def dated_object(question: str) -> str:
    """The thing a deadline question dates, its topic words only ("ke hoach trien khai"), or ""."""
    m = _DATED_OBJECT.search(fold(question))
    if not m:
        return ""
    words = [w for w in m.group(1).split() if w not in ("cac", "nhung", "mot", "cai") and not w.isdigit()]
    if len(words) < 2 or {"ngay", "nao", "gio", "nhieu", "may"} & set(words):  # "nộp mấy lần, vào những ngày nào": a count
        return ""  # nothing named between the verb and the deadline ("nộp chậm nhất ngày nào")
    return " ".join(words)


def has_fact(kind: str | None, text: str) -> bool:
    return bool(kind) and bool(_WANTS[kind][1].search(text))


# ("kế hoạch số mấy ban hành …" asks which number, no count: "số" before it; "từ trang mấy tới …" which page)
_COUNTED = re.compile(r"(?<!\w)(?<!số )(?<!so )(?<!trang )(?:bao nhiêu|bao nhieu|mấy|may|bn)"
                      r" (\w+)(?:(?= (\w+)))?")  # (the next word looked at, not taken: "mấy phần, bao nhiêu trang")


# "tổng số cuốn sách … là bao nhiêu": the count named before its question word
_TOTAL_ASKED = re.compile(r"(?<!\w)(?:tổng số|số lượng) (\w+)(?: (\w+))?(?=[^?]*\b(?:bao nhiêu|mấy)\s*\??\s*$)")


def counted_noun(question: str) -> str | None:
    """What a "bao nhiêu / mấy …" question counts ("trang", "bức", "đảng"), accent-free: a
    passage answers it only if it gives a number of that ("600 trang")."""
    m = _COUNTED.search(canonical(question)) or _TOTAL_ASKED.search(canonical(question))
    noun = _count_noun(m, question) if m else None
    if noun:
        return noun  # an explicit count noun wins over a sum of money
    # "bao nhiêu tiền", "giá … là bao nhiêu": a sum of money
    return MONEY if _ASKS_MONEY.search(fold(question).lower()) else None


def counted_nouns(question: str) -> list[str]:
    """Every noun a question counts, in order: "sách gồm mấy phần, bao nhiêu trang, có bao nhiêu ảnh"."""
    found = (_count_noun(m, question) for m in _COUNTED.finditer(canonical(question)))
    return list(dict.fromkeys(n for n in found if n))


def _count_noun(m: re.Match, question: str) -> str | None:
    word, nxt = m.group(1), fold(m.group(2) or "")
    # a plain word in a question typed with diacritics is itself ("bao nhiêu chi bộ" is no "chị")
    plain = has_diacritics(word) or word in STOPWORDS or has_diacritics(question)
    stop = word in STOPWORDS if plain else fold(word) in _FOLDED_FUNCTION
    if stop or fold(word) in _NOT_COUNTED or (fold(word) == "phan" and nxt == "tram"):
        return None
    if len(fold(word)) <= 3 and nxt and nxt not in _FOLDED_FUNCTION and nxt not in FOLDED_STOPWORDS:
        return f"{fold(word)} {nxt}"  # a short syllable is the first of its noun: "chi bộ", not "chỉ đạo"
    return fold(word)


# after "bao nhiêu" these ask for an amount, a time or a rate, not for a count of something named
_NOT_COUNTED = {"lau", "tien", "ngay", "thang", "nam", "gio", "tuoi", "lan", "nhieu", "ti", "ty", "muc", "so", "tram"}
# accent-free function words that cannot be what is counted ("dang" may be "đảng", so it is not here)
_FOLDED_FUNCTION = {"la", "co", "khong", "cua", "va", "cac", "nhung", "trong", "o", "thi", "duoc", "de", "ve", "voi",
                    "cho", "tu", "den", "hay", "a", "nhe", "vay", "the", "nao", "gi", "ai", "ban", "em", "anh", "chi"}
_COUNT_WORDS = "|".join(["mot", "hai", "ba", "bon", "tu", "nam", "sau", "bay", "tam", "chin", "muoi", "tram", "nghin", "ngan"])


# What a count of people ("bao nhiêu người") may be given in (accent-free, one word each:
# `counts` allows one word between the number and the noun, "500 đại biểu" → "dai bieu").
PEOPLE_NOUNS = ("nguoi", "dai", "dang vien", "can bo", "hoi vien", "hoc vien", "thanh vien", "dong chi", "luot")
# A price or a sum of money ("giá bao nhiêu tiền", "kinh phí bao nhiêu"): a passage answers it
# only with an amount in some currency ("25.000 đồng", "2 triệu", "150.000đ").
MONEY = "tien"
_ASKS_MONEY = re.compile(r"\b(bao nhieu tien|may tien|bn tien|((?<!tham )(?<!quoc )gia(?! tri| dinh| tang)|kinh phi|chi phi|so tien"
                         r"|ngan sach)( [a-z]+){0,4} (la )?(bao nhieu|may|bn)|gia tien)\b")
# "25.000 đồng", "25.000đ", "2 triệu đồng" (folded): a currency, not "15 đồng chí" or "2 triệu người"
_AMOUNT = re.compile(r"(?<![\w/])\d[\d.,]*(?:đ\b|\s*(?:nghìn |ngàn |triệu |tỷ |tỉ )?(?:đồng(?! chí)|vnđ|vnd)\b)", re.I)


def counts(text: str, noun: str) -> bool:
    """Whether `text` gives a number of `noun` ("111 bức ảnh", "ba phần", "01 bài"), or for
    MONEY an amount ("25.000 đồng")."""
    if noun == MONEY:  # read with diacritics: "3 dòng" is no "3 đồng"
        return _AMOUNT.search(canonical(text)) is not None
    nouns = PEOPLE_NOUNS if noun == "nguoi" else (noun,)  # "quy mô bao nhiêu người": "(500 đại biểu)" too
    return any(_counts_one(text, n) for n in nouns)


# What plans list rather than count ("tham mưu mấy việc, gồm những gì", "có bao nhiêu nhiệm vụ"): a passage
# listing two or more items gives the number by its list (accent-free first syllables, as counted_noun gives them)
# ("giai" may be a prize, "hinh" a picture, "noi" a place: first syllables that name other things are left out)
LISTED_NOUNS = {"viec", "nhiem", "buoc", "hoat", "phan viec", "van de", "bai hoc"}
_LIST_ITEM = re.compile(r"^\s*(?:[-+•]|\d{1,2}[.)]|[a-zđ]\))\s+\S", re.M)  # a line opening an item
_INLINE_ITEM = re.compile(r"\(\d{1,2}\)")  # "(1) …; (2) …" inside a line
MIN_LISTED = 2


_NUMBERED_ITEM = re.compile(r"^\s*\d{1,2}[.)]\s+\S", re.M)  # "1. …", "2) …": a line opening a numbered item


def lists_items(text: str) -> bool:
    return len(_LIST_ITEM.findall(text)) >= MIN_LISTED or len(_INLINE_ITEM.findall(text)) >= MIN_LISTED


def numbers_items(text: str) -> bool:
    """The passage numbers two or more items ("(1) …; (2) …", "1. … 2. …"): its list says how many."""
    return len(_NUMBERED_ITEM.findall(text)) >= MIN_LISTED or len(_INLINE_ITEM.findall(text)) >= MIN_LISTED


def _counts_one(text: str, noun: str) -> bool:
    if noun in LISTED_NOUNS and lists_items(text):
        return True
    # ("tuyển chọn 96 trên tổng số hàng vạn ý kiến": N out of a total counts them too)
    between = r"(?:tren (?:tong so )?(?:\w+\s+){0,2}|\w+\s+)?"
    return re.search(rf"(?<![\w/])(?:\d[\d.,]*|{_COUNT_WORDS})\s+{between}{re.escape(noun)}(?!\w)",
                     fold(text).lower()) is not None


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


# the last syllable of a document's kind, before its number ("kế hoạch 96", "HD 33", "Ban Chỉ đạo 35", "số 21")
_NUMBERED_BY = {"hoach", "kh", "hd", "dan", "so", "van", "luan", "dao", "kl", "cv"}


def topic_terms(text: str, folded: bool) -> list[str]:
    """Topic syllables of a question and the pairs of them that stand side by side, in the
    exact (accented) or accent-free form. A count is a pair with what it counts ("4 không",
    "8 bài"): the bare number would match list numbering and dates."""
    words = [_number(w) for w in syllables(fold(text) if folded else text)]
    stop = FOLDED_STOPWORDS if folded else STOPWORDS
    keep = [w not in stop for w in words]
    counts = {i for i, w in enumerate(words[:-1]) if w.isdigit() and len(w) <= 2 and not words[i + 1].isdigit()
              and not (i and fold(words[i - 1]).lower() in _NUMBERED_BY)}  # ("KH 96 ngày mấy": the plan's number)
    terms = [w for i, (w, k) in enumerate(zip(words, keep)) if k and i not in counts]
    pairs = [f"{a} {b}" for i, ((a, ka), (b, kb)) in enumerate(zip(zip(words, keep), zip(words[1:], keep[1:])))
             if (ka and kb) or i in counts]
    return terms + pairs


NUMBER_WORDS = {"một": "1", "hai": "2", "ba": "3", "bốn": "4", "tư": "4", "năm": "5", "sáu": "6", "bảy": "7", "tám": "8",
                "chín": "9", "mười": "10", "mot": "1", "bon": "4", "sau": "6", "bay": "7", "tam": "8", "chin": "9",
                "muoi": "10"}


def _number(word: str) -> str:
    """'08' → '8' (documents write counts with a leading zero)."""
    return word.lstrip("0") or "0" if word.isdigit() else word


def count_synonyms(terms: list[str]) -> list[tuple[str, list[str]]]:
    """'4 không' ↔ 'bốn không': a count written in digits matches it written in words."""
    digit_to_word: dict[str, list[str]] = {}
    for w, d in NUMBER_WORDS.items():
        digit_to_word.setdefault(d, []).append(w)
    out = []
    for t in terms:
        parts = t.split()
        if len(parts) == 2 and parts[0].isdigit():
            out += [(f"{w} {parts[1]}", [t]) for w in digit_to_word.get(parts[0], [])]
        elif len(parts) == 2 and parts[0] in NUMBER_WORDS:
            out.append((f"{NUMBER_WORDS[parts[0]]} {parts[1]}", [t]))
    return out


# Words people use for the book that the documents call "tác phẩm" ("cuốn sách dày bao nhiêu
# trang"): a passage naming the work answers a question naming the book, and back.
BOOK_WORDS = {"sách", "cuốn", "quyển", "cuốn sách", "quyển sách"}
BOOK_NAME = "tác phẩm"


def book_synonyms(terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    words = {fold(w) for w in BOOK_WORDS} if folded else BOOK_WORDS
    said = [t for t in terms if t in words]
    if not any(t.endswith("sách") or t.endswith("sach") for t in said):
        return []
    return [(fold(BOOK_NAME) if folded else BOOK_NAME, said)]


# Words people use for what plans write otherwise (the plans' phrase ← the askers' phrases): a
# passage with the plans' phrase covers the askers' ("lồng ghép đợt học tập với …" is the plan's
# "gắn với …"). Only words the plans do not use themselves are worth listing here.
# ("hạn chót", a deadline, is what plans write "chậm nhất vào ngày …")
PARAPHRASES = {"gắn": ["lồng ghép"], "chậm nhất": ["muộn nhất", "trễ nhất", "hạn chót"], "gửi": ["nộp"], "đơn vị": ["bộ phận"],
               # "qua những kênh nào": the channels plans name ("Website …", "trang thông tin điện tử", "Fanpage …")
               "website": ["kênh"], "fanpage": ["kênh"], "trang thông": ["kênh"], "phương tiện": ["kênh"],
               "hình thức": ["kênh"],  # ("Hình thức tổ chức: Qua họp giao ban, qua mạng nội bộ TD office, …")
               "thường xuyên": ["đều đặn", "duy trì"], "điện tử": ["trực tuyến"],
               "thời gian": ["kéo dài", "thời điểm", "mốc"],  # "đợt học kéo dài tới lúc nào": the plan's "Thời gian tổ chức"
               # the administrative paraphrases of a writer who never reuses the plans' words (set 22): "cơ quan chịu
               # trách nhiệm chính" for "chủ trì", "thời điểm hoàn tất" for "xong trước", "đối tượng tham gia" for
               # "thành phần", "việc truyền thông / đưa tin" for "tuyên truyền", "chặng 2023 – 2025" for "giai đoạn"
               "chủ trì": ["trách nhiệm", "đứng ra"], "xong": ["hoàn tất"], "hoàn thành": ["hoàn tất"],
               "thành phần": ["đối tượng"], "đối tượng": ["thành phần"], "tuyên truyền": ["truyền thông", "đưa tin"],
               "giai đoạn": ["chặng"], "nhiệm vụ": ["giao việc", "phần việc"],
               # "gửi / nộp kết quả": what the plans write "báo cáo kết quả"
               "báo cáo": ["gửi kết", "nộp kết"],
               # two spellings of "every year / month": a plan writes one, the asker the other
               "hàng năm": ["hằng năm"], "hằng năm": ["hàng năm"],
               "hàng tháng": ["hằng tháng"], "hằng tháng": ["hàng tháng"]}
# "… áp dụng cho những ai / đối tượng nào": who a plan applies to is its "Đối tượng" ("đối tượng áp dụng"); not
# "áp dụng những hình thức nào", which asks for forms
# ("… những ai thuộc diện phải học": the plan's "Đối tượng" too)
_APPLIES_TO = [(re.compile(r"\bap dung (?:cho|doi voi) (?:nhung |cac )?(?:ai|doi tuong)\b"), ("ap", "dung", "ap dung")),
               (re.compile(r"\b(?:ai|doi tuong nao) thuoc dien\b|\bthuoc dien (?:phai |duoc )?(?:hoc|nghien cuu|quan triet)"),
                ("thuoc", "dien", "thuoc dien"))]


def scope_synonyms(question: str, terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    out = []
    for pattern, words in _APPLIES_TO:
        if pattern.search(fold(question).lower()):
            asked = [t for t in terms if (t if folded else fold(t)) in words]
            out += [("doi tuong" if folded else "đối tượng", asked)] if asked else []
    return out


def written_abbreviations(question: str, terms: list[str], folded: bool, lex) -> list[tuple[str, list[str]]]:
    """(an abbreviation the corpus writes, the question's terms it stands for): asked about
    "phòng, chống tham nhũng", a passage of the plan that writes "PCTN" covers those words. Only
    abbreviations with one reading (the corpus's own definition or the standard one)."""
    if lex is None:
        return []
    asked = " " + " ".join(re.findall(r"\w+", fold(question).lower())) + " "
    out = []
    for abbr in lex.caps:
        readings = lex.abbreviations.get(abbr) or []
        if len(readings) != 1 or f" {abbr} " in asked:
            continue
        reading = " ".join(re.findall(r"\w+", fold(readings[0]).lower()))
        if len(reading.split()) >= 2 and f" {reading} " in asked:
            own = [t for t in topic_terms(readings[0], folded) if t in terms]
            if own:
                out.append((abbr, own))
    return out


_ASKS_EXPANSION = re.compile(r"\bviet tat\b|\b(?:nghia la|co nghia|la tu|la cum tu|doc day du|ten day du) (?:gi|nao|the nao)\b")


def asked_abbreviation(question: str) -> str:
    """"Chữ viết tắt CCVC là viết tắt của cụm từ gì?", "CCVC nghĩa là gì": the capital abbreviation
    asked to be spelled out, as typed; "" when none is."""
    asked = _ASKS_EXPANSION.search(fold(question).lower())
    if not asked:
        return ""
    caps = list(re.finditer(r"(?<![\w/-])([A-ZĐ][A-ZĐ&]{1,9})(?![\w/-])", question))
    if not caps:
        return ""
    # the one said next to "viết tắt" ("Trong KH của Sở KHCN, chữ viết tắt CCVC là …": not "KH", "KHCN")
    nearest = min(caps, key=lambda m: min(abs(m.start() - asked.end()), abs(asked.start() - m.end())))
    return nearest.group(1)


def paraphrase_synonyms(terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    out = []
    for plans, askers in PARAPHRASES.items():
        for phrase in askers:
            phrase = fold(phrase) if folded else phrase
            if phrase in terms:
                out.append((fold(plans) if folded else plans, [t for t in terms if t == phrase or t in phrase.split()]))
    return out


# The shorthand of administrative documents: a passage's "(b/c)" in a "Nơi nhận" list is
# "báo cáo", its "t/h" "thực hiện". And a document's "Nơi nhận" block is where it is sent:
# "gửi tới những cơ quan nào" is answered there, though the block never says "gửi".
SLASH_SHORTHAND = {"b c": "báo cáo", "t h": "thực hiện", "p h": "phối hợp", "k g": "kính gửi"}
RECIPIENTS = "nơi nhận"
SENT_WORDS = ("gửi", "gửi tới", "gửi đến", "gửi cho", "nhận")


def is_recipients_heading(heading: str) -> bool:
    """The heading (its last segment) is a document's "Nơi nhận:"."""
    return fold(heading.rsplit("›", 1)[-1]).strip(" :").lower() == fold(RECIPIENTS)


def is_recipients_block(chunk, question: str = "") -> bool:
    """The document's "Nơi nhận:" block (its own sub-heading); asked where the plan sends its report
    ("… gửi báo cáo tới những ban nào"), only a block marking some recipients "(b/c)" (for a report)."""
    if not is_recipients_heading(chunk.leaf_heading or ""):
        return False
    reported = re.search(r"\b(báo cáo|bc)\b", canonical(question)) is not None
    return not reported or re.search(r"\bb\s*/\s*c\b", chunk.text, re.I) is not None


# the document is what is sent ("Kế hoạch … được gửi tới những cơ quan nào", "Kế hoạch của MTTQ gửi báo
# cáo tới những ban nào": its "Nơi nhận" marks them "(b/c)"), not a report it asks for ("… yêu cầu gửi
# báo cáo về đơn vị nào", "… gửi báo cáo kết quả về đâu")
_ASKS_RECIPIENTS = re.compile(r"\bnơi nhận\b|\bbản lưu\b|\blưu (?:ở|tại) đâu\b|\b(kế hoạch|văn bản|hướng dẫn|công văn)\b"
                              r"(?:(?!báo cáo|yêu cầu|đề nghị|giao|quy định|chỉ đạo)[^?]){0,60}"
                              r"(\bgửi\b(?! (?:báo cáo|bc) (?:kết quả|kq|định kỳ|sơ kết|tổng kết|hằng|hàng|tiến độ|việc))"
                              r"|\bđược gửi\b)[^?]{0,45}\b(những |các )?(ai|(cơ quan|nơi|đơn vị|ban)(?: cấp \w+)? nào)")


def asks_recipients(question: str) -> bool:
    """"Kế hoạch … được gửi (báo cáo) tới những cơ quan nào?": the document's "Nơi nhận" (read with
    diacritics: accent-free "gui"/"noi nhan" are too loose to steer retrieval). A report named
    before the document is what is sent ("… tổng hợp báo cáo kết quả thực hiện kế hoạch hằng năm
    gửi cho những cơ quan nào")."""
    text = canonical(question)
    m = _ASKS_RECIPIENTS.search(text)
    return bool(m) and (m.group(1) is None or not re.search(r"\b(báo cáo|bc)\b", text[:m.start(1)]))


def document_synonyms(question: str, terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    """(a pair in the passage, the question's terms it stands for), as `_covered` reads them;
    only for a question about where a document is sent, so a report question ("báo cáo gửi về
    Ban Tuyên giáo trước ngày nào") is not drawn to the recipients' list."""
    if not asks_recipients(question):
        return []
    f = fold if folded else (lambda w: w)
    out = shorthand_synonyms(SLASH_SHORTHAND, terms, folded)
    sent = [t for t in terms if t in {f(w) for w in SENT_WORDS}]
    if sent:
        out.append((f(RECIPIENTS), sent))
    return out


def shorthand_synonyms(shorthand: dict[str, str], terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    """(the shorthand as a passage holds it, the question's terms its reading covers) for each reading asked."""
    f = fold if folded else (lambda w: w)
    said = set(terms)
    return [(short, [w for w in [f(x) for x in reading.split()] + [f(reading)] if w in said])
            for short, reading in shorthand.items() if f(reading) in said]


# A signature block's shorthand: "T/M BAN THƯỜNG VỤ" is "thay mặt", "KT. GIÁM ĐỐC" is "ký thay"
SIGNATURE_SHORTHAND = {"t m": "thay mặt", "tm": "thay mặt", "kt": "ký thay", "tl": "thừa lệnh", "tuq": "thừa ủy quyền"}


def signature_synonyms(signer: bool, terms: list[str], folded: bool) -> list[tuple[str, list[str]]]:
    """"Ai thay mặt Ban Thường vụ ký …": the block's "T/M" covers "thay mặt" (signer questions only)."""
    return shorthand_synonyms(SIGNATURE_SHORTHAND, terms, folded) if signer else []


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


DOC_CODES = {"KH": "kế hoạch", "HD": "hướng dẫn", "CV": "công văn", "KL": "kết luận", "QĐ": "quyết định",
             "NQ": "nghị quyết", "CT": "chỉ thị", "TB": "thông báo"}


@dataclass
class DocAliases:
    """Names a question may use for a document: its issuer, place, number."""
    by_doc: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (accent-free, canonical) names
    # accent-free names that are the numbers of documents a document cites ("143-KH/TU" for the
    # Huyện ủy plan that implements it), not its own: they lead to the citing document, which
    # can say when the cited one was issued but not what it contains
    cited: dict[str, set[str]] = field(default_factory=dict)
    # the one document whose issuer is a "Sở": "còn bên Sở thì sao", "KH của Sở" name it by the bare word (with
    # diacritics only, after a word saying whose; not "cơ sở", "người trong Sở", nor "Sở Nội vụ", another department)
    department: str | None = None

    @classmethod
    def from_documents(cls, documents: dict[str, dict]) -> "DocAliases":
        by_doc: dict[str, list[tuple[str, str]]] = {}
        cited: dict[str, set[str]] = {}
        for doc_id, d in documents.items():
            names = list(d.get("aliases") or [])
            number = d.get("number") or ""
            own = (re.match(r"^(\d+)", number) or [None, None])[1]
            for alias in names:
                n = re.match(r"^(\d+)\s*[-/]", alias)
                if n and n.group(1) != own:
                    kind = DOC_CODES.get((re.match(r"^\d+\s*[-/]\s*([A-ZĐ]+)", alias) or [None, ""])[1], "")
                    forms = {alias} | ({f"{kind} {n.group(1)}", f"{kind} số {n.group(1)}"} if kind else set())
                    cited.setdefault(doc_id, set()).update(fold(f) for f in forms)
            m = re.match(r"^(\d+)", number)
            if m:
                names += [number, f"kế hoạch {m.group(1)}", f"hướng dẫn {m.group(1)}", f"số {m.group(1)}"]
                code = re.match(r"^\d+\s*[-/]\s*([A-ZĐ]+)", number)
                if code and code.group(1) in DOC_CODES:  # "KH 205", as typed
                    names += [f"{code.group(1)} {m.group(1)}", f"{code.group(1)} số {m.group(1)}"]
            if d.get("issuer"):
                names.append(d["issuer"])
            for alias in d.get("aliases") or []:  # "33-HD/BTG" is also "hướng dẫn số 33"
                a = re.match(r"^(\d+)\s*[-/]\s*([A-ZĐ]+)", alias)
                kind = DOC_CODES.get(a.group(2)) if a else None
                if kind:
                    names += [f"{kind} {a.group(1)}", f"{kind} số {a.group(1)}"]
            by_doc[doc_id] = sorted({(fold(n), canonical(n)) for n in names if len(n) >= 2}, key=lambda p: -len(p[0]))
        departments = [d for d, meta in documents.items() if re.match(r"(?i)sở\s", nfc(meta.get("issuer") or ""))]
        return cls(by_doc, cited, departments[0] if len(departments) == 1 else None)

    def cited_only(self, found: dict[str, list[str]], text: str = "") -> list[str]:
        """Documents of `found` (see `match` on `text`) named only by the number of a document
        they cite. A name of the document's own place or issuer that only says whose the cited
        number is ("Kế hoạch 61-KH/HU của Huyện ủy Kim Sa", when Kim Sa's guidance cites it) does
        not name it; "Thực hiện Kế hoạch 143-KH/TU, Huyện ủy yêu cầu …" does."""
        folded = fold(text).lower()
        out = []
        for d, names in found.items():
            cited = [n for n in names if n in self.cited.get(d, ())]
            own = [n for n in names if n not in cited]
            if not cited or any(re.search(r"\d", n) for n in own):
                continue
            if all(any(_said_whose(c, n, folded)
                       for c in cited) for n in own):
                out.append(d)
        return out

    def issuers_of_cited(self, found: dict[str, list[str]], text: str) -> list[str]:
        """Documents of `found` named only as the issuer of a number another found document cites: in "KH 182
        của Thành ủy ban hành ngày nào" (plan 182 is cited by the MTTQ's plan) "Thành ủy" says whose plan 182 is,
        and does not name the Thành ủy's own plan 205."""
        folded = fold(text).lower()
        cited = [c for d, names in found.items() for c in names if c in self.cited.get(d, ())]
        out = []
        for d, names in found.items():
            if not cited or any(c in names for c in cited) or any(re.search(r"\d", n) for n in names):
                continue
            if all(any(_said_whose(c, n, folded)
                       for c in cited) for n in names):
                out.append(d)
        return out

    def spell(self, text: str) -> str:
        """Names of documents typed without diacritics take the documents' spelling
        ("dien bien" → "điện biên", not the "diễn biến" the word pairs would suggest)."""
        folded = fold(text)
        if len(folded) != len(text):
            return text
        out = text
        for names in self.by_doc.values():
            for name, spelled in names:
                if " " not in name or len(name) != len(spelled):
                    continue
                for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
                    if fold(out[m.start():m.end()]) == name:
                        out = out[:m.start()] + spelled + out[m.end():]
        return out

    def match(self, text: str) -> dict[str, list[str]]:
        """Documents named in the text, with the names found. With diacritics the names must
        match accents too ("sơ kết" does not name the "Sở"); without, the accent-free forms."""
        accented = has_diacritics(text)
        prepared = " " + " ".join(re.findall(r"[\w/&.-]+", canonical(text) if accented else fold(text))) + " "
        plain = fold(prepared) if accented else prepared
        found: dict[str, list[str]] = {}
        for doc_id, names in self.by_doc.items():
            for name, spelled in names:
                said = spelled if accented else name  # (a plain substring test first: most names are not there)
                if said in prepared and re.search(rf"(?<![\w]){re.escape(said)}(?![\w])", prepared) or (
                        accented and name in plain and _typed_plain(name, prepared, plain)):
                    found.setdefault(doc_id, []).append(name)
        if self.department and self.department not in found and accented and _bare_department(prepared):
            found[self.department] = ["sở"]  # (as typed: "so", accent-free, is also "số")
        return found


_BARE_DEPARTMENT = re.compile(r"(?:(?<=\bbên )|(?<=\bcủa )|(?<=\bcòn )|(?<=\bở )|(?<=\btại )|(?<=\bkế hoạch )|(?<=\bkh ))sở(?!\w)")


def _bare_department(text: str) -> bool:
    """"Sở" standing alone after a word saying whose ("bên Sở", "KH của Sở"), no department's name after it."""
    return any(not _department_name().match(fold(text[m.end():]).lower().lstrip()) for m in _BARE_DEPARTMENT.finditer(text))


@lru_cache(maxsize=1)
def _department_name() -> re.Pattern:
    from .grounding import DEPARTMENTS  # (grounding reads this module)

    return re.compile(r"(?:" + "|".join(map(re.escape, DEPARTMENTS + ["kh"])) + r")(?!\w)")


def _said_whose(cited: str, name: str, folded: str) -> bool:
    """"KH 182 của Thành ủy": the name follows a cited number and says whose document that is."""
    return re.search(rf"(?<!\w){re.escape(cited)}\s*,?\s*(?:cua|do)\s+(?:\w+\s+){{0,4}}?{re.escape(name)}(?!\w)", folded) is not None


def _typed_plain(name: str, prepared: str, plain: str) -> bool:
    """A document's name typed without diacritics in a question that has some elsewhere ("han gui KH:
    bên TU yen bai vs bên thi uy"): the accent-free name stands where every letter was typed plain
    (an accented "sơ kết" still does not name the "Sở")."""
    if len(plain) != len(prepared):
        return False
    return any(fold(prepared[m.start():m.end()]) == prepared[m.start():m.end()].lower()
               for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", plain))


@dataclass
class Query:
    question: str  # as asked, validated
    search_text: str  # what retrieval sees: wrapper removed, abbreviations and spelling fixed, context folded in
    typed_text: str  # the same, for the accent-free index
    terms: list[str]  # topic syllables and adjacent pairs (see topic_terms)
    folded: bool  # terms are accent-free (the question had no diacritics and could not be restored)
    docs: dict[str, list[str]]  # documents the question (or its context) names
    asks_signer: bool = False  # "Ai ký …?": the signature block answers it
    wants: str | None = None  # "date" or "number" when the question asks for one
    normalized: str = ""  # this turn alone, wrapper removed, abbreviations spelled out, spelling fixed
    missing: list = field(default_factory=list)  # grounding.Missing: named things the corpus lacks
    role: object = None  # grounding.RoleQuestion: "who holds this office?"
    columns: list[str] = field(default_factory=list)  # table columns asked for ("CƠ QUAN CHỦ TRÌ", "LÃNH ĐẠO PHỤ TRÁCH")
    ordinal: int | None = None  # the numbered item asked for ("bài học thứ năm" → 5)
    # a list's item asked by its place ("ý thứ hai", "nơi nhận cuối cùng": positions.LAST; "ý tiếp theo" after
    # "ý thứ hai"): its bulleted list is read by rag.positions
    position: int | None = None
    also_position: int | None = None  # a second place of the same list: "nơi nhận đầu tiên và cuối cùng"
    followup: bool = False  # continues the previous turn
    as_bodies: list[str] = field(default_factory=list)  # named by an issuer put at another level ("MTTQ … cấp thị"): not asked
    focus: list[str] = field(default_factory=list)  # passages the previous answer cited that the question points at
    previous: list[str] = field(default_factory=list)  # … and those it cited, for a follow-up naming no document
    # (kind, issuer) of a document the previous answer's document cites, asked for in a follow-up (_cited_by_previous)
    cited: tuple[str, str] | None = None
    context_docs: list[str] = field(default_factory=list)  # documents of the conversation so far (a soft preference)
    qtype: str = "other"  # date | number | who | list | other (for the confidence model)
    synonyms: list[tuple[str, list[str]]] = field(default_factory=list)  # abbreviation → terms of its reading
    weights: dict[str, float] = field(default_factory=dict)  # term → weight in coverage (default 1)
    issue_date: bool = False  # "Kế hoạch … ban hành ngày nào?": the named document's own date
    about_derived: set[str] = field(default_factory=set)  # derived documents asked about themselves: a source here
    subject: str = ""  # accent-free: "ban tuyen giao huyen uy" of "Ban Tuyên giáo Huyện ủy có nhiệm vụ gì"
    all_tasks: bool = False  # "X có nhiệm vụ gì": every task of the body asked about (extract quotes its whole part)
    basis: bool = False  # "căn cứ văn bản nào", "để thực hiện kế hoạch số mấy": the lines naming what a plan implements
    section: object = None  # sections.SectionRef: the numbered section the question names ("Mục VI", "Phụ lục số 01")
    besides: str = ""  # "Ngoài tài liệu đó, còn …": the previous answer, whose parts are not quoted again
    nothing_said_again: bool = False  # … and a passage holding only what it said answers nothing (conversation.excludes_all_said)
    new_asked: list[str] = field(default_factory=list)  # … and the pairs it asks anew (conversation.new_pairs), accent-free
    defines: str = ""  # "CCVC là viết tắt của cụm từ gì": the abbreviation whose definition "… (CCVC)" answers
    choices: Choices = field(default_factory=lambda: Choices(""))  # a quiz sheet's options (rag.choices): `question` is its stem
    which_document: bool = False  # "Văn bản nào nêu …": which of the corpus's documents says it (asks_which_document)
    renumbered: list = field(default_factory=list)  # grounding.Renumbered: "Kế hoạch 250" read as the corpus's 205
    miscounted: list = field(default_factory=list)  # grounding.Missing "count": "300 cán bộ" the corpus never counts
    quote: object = None  # quotes.QuoteAsk: a quotation asked about ("câu '…' nằm ở mục nào"), or moved along from
    # values derived once per question (coverage's idf-weighted terms, what the last answer said): not its meaning
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)


# where in a plan, not what: "(cái) bảng phụ lục", "cột", "hạn (chót)" (accent-free)
_TABLE_WORDS = {"bang", "phu", "luc", "cot", "han", "cai"}
# "như Hướng dẫn của Thị ủy tóm tắt", "như kế hoạch nêu": the document's verb of saying (accent-free)
_ATTRIBUTION = re.compile(r"\bnhu (?:(?:van ban|ke hoach|huong dan|kh|hd|tai lieu)(?: [\w&]+){0,8}? )?"
                          r"(tom tat|neu|ghi|viet|trinh bay|gioi thieu|de cap|mo ta)\b")
WHO_PREDICATE_WEIGHT = 2.0  # "Ai <verb> …": the verb is what the answering sentence must contain; the rest is setting
_WHO_PREDICATE = re.compile(r"^(?:cho (?:em|tôi|mình) hỏi )?ai (?:là người )?(\w+)(?: (\w+))?", re.I)


def who_predicate(question: str, terms: list[str]) -> list[str]:
    """The terms of the verb right after a leading "Ai" ("Ai chủ trì", "ai ký", "ai tham mưu")."""
    m = _WHO_PREDICATE.match(canonical(question).strip())
    if not m:
        return []
    words = [w for w in m.groups() if w]
    wanted = set(words) | {" ".join(words)} | {fold(w) for w in words} | {fold(" ".join(words))}
    return [t for t in terms if t in wanted]


# "… được gắn với đợt sinh hoạt chính trị có chủ đề gì": what is linked to the asked thing is what the answering
# sentence must say ("gắn với …"); the nouns around it are every passage's setting (accent-free)
_LINK_PREDICATE = re.compile(r"\b(gan|long ghep|ket hop)(?: \w+){0,6} (?:voi|vao)\b(?=.*\b(?:gi|nao)\b)")


def link_predicate(question: str, terms: list[str]) -> list[str]:
    m = _LINK_PREDICATE.search(fold(question).lower())
    if not m:
        return []
    wanted = {m.group(1), *m.group(1).split()}
    return [t for t in terms if fold(t) in wanted]


# "thứ 2", "thứ năm", "đầu tiên" (and accent-free), with the words on either side: the ordinal
# word after "thứ" is required, so "thu hoạch" typed without diacritics is no ordinal
_ORDINAL_PHRASE = re.compile(r"(?:(\w+) )?((?:thứ|thu) (?:\d{1,2}|nhất|nhat|hai|ba|tư|tu|bốn|bon|năm|nam|sáu|sau|bảy|bay|tám|tam"
                             r"|chín|chin|mười|muoi)|đầu tiên|dau tien|cuối cùng|cuoi cung)(?!\w)(?: (\w+))?")


def _pairs_across_ordinal(question: str, folded: bool) -> list[str]:
    """The word pairs that straddle the ordinal phrase ("trị thứ", "2 của" in "giá trị thứ 2 của tác
    phẩm"): no passage has them, and weighed as topic pairs they sank the item asked for."""
    m = _ORDINAL_PHRASE.search(fold(question).lower() if folded else canonical(question))
    if not m:
        return []
    words = m.group(2).split()
    return ([f"{m.group(1)} {words[0]}"] if m.group(1) else []) + ([f"{words[-1]} {m.group(3)}"] if m.group(3) else [])


FOLLOWUP_CONTEXT_WEIGHT = 0.35  # a follow-up's words count fully; the words it inherits from the turn before, this much
_ORDINAL_TERMS = re.compile(r"^(thứ|thu|\d{1,2}|nhất|hai|ba|tư|bốn|năm|sáu|bảy|tám|chín|mười|đầu|tiên)$")
_TASK = re.compile(r"^(.{3,80}?) (co nhiem vu|duoc giao|lam gi|lam nhung gi|co trach nhiem|chiu trach nhiem|phai lam"
                   r"|co vai tro|thuc hien nhiem vu|duoc phan cong|phu trach viec)\b")
_WHO = re.compile(r"\b(ai|dong chi nao|nguoi nao|ten gi|ten la gi|co quan nao|don vi nao|ban nao|lanh dao nao)\b")
_LIST = re.compile(r"\b(nhung gi|nhung nao|gom nhung|cac [a-z ]*nao|nhung \w+(?:,? \w+){0,5} (?:gi|nao)|la nhung|liet ke|gom gi)\b")
_ROUTE_WORDS = {"qua", "nop", "gui", "nop qua", "gui qua", "qua co"}  # accent-free
_OWN_QUESTION = re.compile(r"\b(ai|gi|nao|bao nhieu|may|khi nao|the nao|sao|dau|bao gio)\b")


# "Tác phẩm dày bao nhiêu trang?": an adjective of measure before the question word names the
# dimension; the unit after it ("trang") carries the topic. When the corpus never uses the
# adjective it is part of the question's frame, not a topic word the passage must contain.
MEASURE_WORDS = ("dày", "dài", "rộng", "cao", "nặng", "to", "lớn", "lâu", "xa")
_MEASURE = re.compile(r"(?<!\w)(\w+)\s+(?=(?:bao nhiêu|bao nhieu|mấy|may)(?!\w))", re.I)


def _asks_what_they_lack(question: str, index, chunk_ids: list[str]) -> bool:
    """The question asks who does something (its reporters, who compiled it: grounding.ASKED_OF_A_DOCUMENT) that
    none of these passages mentions."""
    from .grounding import ASKED_OF_A_DOCUMENT

    f = fold(question).lower()
    asked = [fold(p) for p in ASKED_OF_A_DOCUMENT if re.search(rf"(?<!\w){fold(p)}(?!\w)", f)]
    texts = [fold(index.chunks[index.position[c]].text).lower() for c in chunk_ids if c in index.position]
    return bool(asked) and bool(texts) and not any(a in t for a in asked for t in texts)


def drop_measure_words(text: str, lex) -> str:
    """Typed without diacritics ("day"), the word is taken for the measure it can spell."""
    if lex is None:
        return text

    def frame(m: re.Match) -> str:
        w = m.group(1).lower()
        measure = w if w in MEASURE_WORDS else next((x for x in MEASURE_WORDS if fold(x) == w), None)
        return "" if measure and not lex.known(measure) else m.group(0)

    return _MEASURE.sub(frame, text)


# "Theo hướng dẫn, …" / "trong báo cáo …": the kind of document, with no number or issuer after
# it, names the document when the corpus has exactly one of that kind.
_KIND_REFERENCE = re.compile(r"(?<!\w)(?:theo|trong|tai) (huong dan|ke hoach|cong van|bao cao|thong bao|ban tin|so tay"
                             r"|ket luan|quyet dinh|chi thi)(?!\w)(?! (?:cua|so|\d|nay cua))")


def sole_document_of_kind(question: str, documents: dict[str, dict]) -> dict[str, list[str]]:
    m = _KIND_REFERENCE.search(fold(question).lower())
    if not m:
        return {}
    of_kind = [d for d, meta in documents.items() if fold(meta.get("kind") or "").lower().startswith(m.group(1))]
    return {of_kind[0]: [m.group(0)]} if len(of_kind) == 1 else {}


# "kế hoạch có Fanpage Hoa Hướng dương ấy, ai ký", "cái KH có gắn với đợt sinh hoạt 'Giữ trọn lời thề đảng viên' ấy do
# ai ký": a document called by something it says, not by its name (accent-free)
_DESCRIBED = re.compile(r"\b(?:ke hoach|kh|van ban|huong dan|hd)\s+(?:ma\s+)?(?:co nhac (?:den|toi)|nhac (?:den|toi)|co ghi|co neu|co)"
                        r"\s+(.+?)(?=\s+(?:ay|do|nay|y)\b|\s*[,?]|\s+(?:la|thi|do ai|ai|cua|ban hanh|ky|so)\b|$)")
DESCRIPTION_RUN = 3  # words of the description, side by side, that one document alone must say
_DESCRIPTION_ASKS = re.compile(r"\b(?:gi|nao|ai|may|bao nhieu|sao|the nao|dau|j)\b")


@lru_cache(maxsize=64)
def _words_only(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text)) + " "


def described_document(question: str, doc_text: dict[str, str], derived: set[str]) -> dict[str, list[str]]:
    """{document: [the description]} when the question calls a document by what it says, and one primary
    document alone says every word of it and the longest run (DESCRIPTION_RUN words at least); {} otherwise."""
    m = _DESCRIBED.search(fold(question).lower())
    if not m:
        return {}
    words = re.findall(r"\w+", m.group(1))
    if _DESCRIPTION_ASKS.search(" ".join(words)):  # "kế hoạch có những nội dung gì": what it has is asked
        return {}
    while words and words[-1] in ("khong", "ko", "k", "chua"):  # "… có tổ chức hội thi không"
        words.pop()
    longest: dict[str, int] = {}
    for doc_id, text in doc_text.items():
        # (a description the document says only in part may be of something the corpus lacks; the words are looked
        # for in the text as it is, so only the documents saying every one are split into words)
        if doc_id in derived or not all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in set(words)):
            continue
        said, n = _words_only(text), 0
        for i in range(len(words)):
            for j in range(len(words), i + n, -1):
                if f" {' '.join(words[i:j])} " in said:
                    n = j - i
                    break
        longest[doc_id] = n
    top = max(longest.values(), default=0)
    found = [d for d, n in longest.items() if n == top]
    return {found[0]: [" ".join(words)]} if top >= DESCRIPTION_RUN and len(found) == 1 else {}


def without_question_frame(text: str) -> str:
    """The question without its frame phrases ("hạn chót", "khi nào", "là gì"): what is left is
    its topic, and a question with almost none ("nộp cho ai, hạn chót khi nào") continues the
    conversation."""
    return squash_spaces(_frame_pattern().sub(" ", fold(text).lower()))


@lru_cache(maxsize=1)
def _route_frame() -> re.Pattern:
    """"nộp qua ai", "gửi qua cơ quan nào": asked through whom (normalize.ROUTE_PHRASES, accent-free)."""
    from .normalize import ROUTE_PHRASES

    return re.compile(r"\b(?:" + "|".join(re.escape(fold(p).lower()) for p in ROUTE_PHRASES) + r")\b")


@lru_cache(maxsize=1)
def _frame_pattern() -> re.Pattern:
    from .normalize import FRAME_PHRASES

    phrases = sorted({fold(p).lower() for p in FRAME_PHRASES}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


_DOC_NUMBER = re.compile(r"(?:(?:kế hoạch|hướng dẫn|công văn|kết luận|quyết định|chỉ thị|kh|hd)\s*(?:số\s*)?)?"
                         r"\d+\s*[-/]\s*[\wĐđ&/-]+|(?:kế hoạch|hướng dẫn|công văn|kh|hd)\s*(?:số\s*)?\d+", re.I)
_ASKS_ISSUER = re.compile(r"\b(ai|co quan nao|don vi nao|cap nao) ban hanh\b|\bban hanh (boi|cua)\b|\bcua ai\b")


# "Kế hoạch 61-KH/HU … yêu cầu tổ chức hội nghị vào ngày nào?" asks a date the document sets, not
# the date the citing line gives for it
# (not "huong dan", a kind of document; "giao" only as a verb, not "Tuyên giáo", "Khoa giáo", "giáo dục")
_ASKS_CONTENT = re.compile(r"\b(yeu cau|quy dinh|(?<!tuyen )(?<!khoa )giao(?! duc| vien| luu| trinh)|de ra|dat ra|(?<!ban )chi dao"
                           r"|phan cong|de nghi)\b")


def cited_document(question: str, named: dict, documents: dict[str, dict]) -> list:
    """A question about what a document says, naming it only by a number the corpus knows from
    another document's citation of it ("Kế hoạch 112-KH/ĐUK … giao những nhiệm vụ gì?"): the
    corpus does not hold it. Its date, number or issuer the citing line gives, so those stay
    answerable."""
    from .grounding import Missing, asks_issue_date

    folded = fold(question).lower()
    wanted = wanted_fact(question)
    of_its_content = wanted == "date" and _ASKS_CONTENT.search(folded) is not None and not asks_issue_date(question)
    if (wanted in ("date", "docnum") and not of_its_content) or _ASKS_ISSUER.search(folded):
        return []
    m = _DOC_NUMBER.search(question)
    if not m:
        return []
    citing = [documents.get(d, {}).get("title", d).split(":")[0].strip() for d in named]
    return [Missing("cited", m.group(0).strip(), "; ".join(citing))]


def asks_who(question: str) -> bool:
    """The question asks, in some part of it, who ("… ngày nào, đồng chí lãnh đạo nào phụ trách?")."""
    return _WHO.search(fold(question)) is not None


def question_type(folded: str, wants: str | None) -> str:
    if wants:
        return wants
    if _WHO.search(folded):
        return "who"
    if _LIST.search(folded):
        return "list"
    return "other"


_THIS_DOCUMENT = re.compile(r"(?i)\b((?:bộ |cuốn )?(?:tài liệu|văn bản|kế hoạch|hướng dẫn))\s+(này|đó|ấy)\b")


def _context_document(core: str, dropped: list[str], aliases: DocAliases) -> str:
    """"Tôi định phát bộ hỏi - đáp cho các báo cáo viên. Bộ tài liệu này do ai tổng hợp?": the one
    document a dropped context clause names is what "tài liệu này" refers to; its name goes in."""
    m = _THIS_DOCUMENT.search(core)
    if not m or not dropped or aliases.match(core):
        return core
    found = aliases.match(" ".join(dropped))
    if len(found) != 1:
        return core
    (doc_id, names), = found.items()
    spelled = dict(aliases.by_doc.get(doc_id, []))
    name = spelled.get(max(names, key=len), "")
    return f"{core[:m.start()]}{m.group(1)} {name} {m.group(2)}{core[m.end():]}" if name else core


def understand(question: str, history=None, aliases: DocAliases | None = None, restore: dict[str, str] | None = None,
               *, index=None, state=None) -> Query:
    """`index`: the open index (its lexicon, offices and tables: see rag.structures); without
    it only diacritics are restored (`restore`). `state`: the conversation (rag.conversation);
    without it a plain-text `history` gives the previous question and the documents it names."""
    from .conversation import State, as_correction, asks_besides, excludes_all_said, is_followup, new_pairs, reference
    from .grounding import (about_cited_document, asks_issue_date, bodies_of_another_level, bodies_within_scope, cited_reference,
                            missing_entities,
                            list_position, ordinal as ordinal_of, position_list_noun, second_position,
                            own_numbers_only, renumbered, role_question)
    from .sections import asked_section
    from .loanwords import read_loanwords
    from .quotes import asked_quote
    from .spoken import spoken_numbers, spoken_words

    lex = None
    columns: dict[str, str] = {}
    if index is not None:
        from .structures import structures

        st = structures(index)
        lex, columns = st.lexicon, st.columns
    question = validate(question)
    quote = asked_quote(question, state.quoted if state is not None else "")  # (as typed: the quotation's own words)
    # "deadline nộp report … ai sign": English office words, read as Vietnamese before anything else
    question = read_loanwords(question, lex.folded_words if lex is not None else frozenset())
    if state is not None or history:  # "à nhầm, ý tôi là của Thành ủy": the last question, of that plan
        question = as_correction(question)
    if lex is not None:  # "kees hoachj 205": typed with the Vietnamese input method off
        from .keyboard import decode_input_method

        question = decode_input_method(question, lex)
    question = spoken_words(spoken_numbers(question))  # "kế hoạch hai trăm linh năm … hông", said: "kế hoạch 205 … không"
    choices = split_choices(question)  # a quiz sheet's "A. … B. …": the stem is what is asked
    again = picked(question, state.choices) if state is not None and state.choices else None
    if again is not None:  # "vậy B hay C?": the last quiz question again, among the options named
        choices, state = again, None
    question = choices.stem
    aliases = aliases if aliases is not None else index.aliases
    from .normalize import BOOKLET_NAME, claim_question, formal_bodies, resolve_context, strip_chatter, terse_question

    chatter = strip_chatter(question)
    plain = terse_question(_context_document(resolve_context(chatter.core, chatter.dropped), chatter.dropped, aliases))
    core = claim_question(plain)
    # a confirmation's claimed number names no document ("KH của Thị ủy là KH số 143-KH/TU đúng không": plan 143 is
    # the Huyện ủy's basis, not what is asked)
    named = aliases.match(question if core == plain else core)
    by_description: dict[str, list[str]] = {}  # a document named by what it says (described_document)
    log: list[tuple[str, str]] = []
    if lex is not None:
        # an ambiguous abbreviation ("BTG TU") is read by the documents the question names, else by those the
        # conversation is about (the Sở's plan reports to the Tỉnh ủy's board)
        talked_about = list(state.named or state.docs) if state is not None else []
        expanded, swapped = renumbered(lex.expand(core, list(named) or talked_about, log), lex)  # "Kế hoạch 250": the corpus's 205
        named = {**named, **aliases.match(expanded)}
        expanded = lex.expand(expanded, list(named) or talked_about, log)  # ambiguous ones ("TU") with the documents known
        current = drop_measure_words(aliases.spell(formal_bodies(lex.correct(expanded))), lex)
        current = _SIDE_MISREAD.sub(r"\1bên", current)  # "the con ben MTTQ": "ben" restored as the corpus's "bền"
        named = {**named, **aliases.match(current)}
        as_bodies = bodies_of_another_level(current, named, index.manifest.documents)
        for d in aliases.issuers_of_cited(named, current):  # "KH 182 của Thành ủy": whose plan 182 is
            named.pop(d)
        for d in as_bodies + bodies_within_scope(current, named):
            named.pop(d)  # "MTTQ … cấp thị": a body of the town; "Theo KH 205 thì Mặt trận …": plan 205's Mặt trận
        if not named:  # "phần II của tác phẩm": the book's "Phần thứ hai", no plan's section II
            current = lex.ordinal_spelled(current)
        missing = missing_entities(core, expanded, current, lex)
        miscounted = [m for m in missing if m.kind == "count"]
        missing = [m for m in missing if m.kind != "count"]
        if chatter.lead:  # "Ban tổ chức hội thi … bọn mình cần biết: …": how the asker names themselves is not asked
            missing = [m for m in missing if fold(m.text).lower() not in fold(chatter.lead).lower()]
    else:
        current = restore_diacritics(core, restore) if restore and not has_diacritics(core) else core
        missing, swapped, miscounted, as_bodies = [], [], [], []
    if index is not None:  # "Theo hướng dẫn, UB MTTQ … có nhiệm vụ gì": the document, besides the body
        named = {**sole_document_of_kind(current, index.manifest.documents), **named}
        if not named and lex is not None:  # "kế hoạch có Fanpage Hoa Hướng dương ấy": the one plan saying it
            named = by_description = described_document(current, lex.doc_text, structures(index).derived)
    if index is not None and not missing and named and len(aliases.cited_only(named, current)) == len(named):
        asked = current
        if state is not None and state.question and not _OWN_QUESTION.search(fold(current).lower()):
            asked = f"{current} {state.question}"  # "Còn KH 182?" asks what the turn before asked ("… ngày nào?")
        missing = cited_document(asked, named, index.manifest.documents)
    itself: set[str] = set()  # derived documents asked about as such (structures.about_derived)
    through: dict[str, list[str]] = {}
    if index is not None:
        from .structures import about_derived, asks_pairs, names_cited_booklet, structures as _st

        itself = about_derived(current, index.manifest.documents, _st(index).derived, _st(index).in_primary,
                               primary_named=any(d not in _st(index).derived for d in named))
        if (not itself and state is not None and state.about and not any(d in _st(index).derived for d in named)
                and (asks_pairs(current) or not named and is_followup(current, len(content_words(without_question_frame(current)))))):
            # "Câu cuối cùng trong đó …", "câu nào hỏi về kế hoạch …", "ai biên soạn" after a question about the booklet itself
            itself = set(state.about)
        if itself and state is not None and not state.about and BOOKLET_NAME.search(state.answer):
            itself = set()  # "tài liệu hỏi đáp (đó) do ai biên soạn": the official booklet the last answer quoted a plan citing
        named = {**named, **{d: named.get(d, []) or ["hoi dap"] for d in itself}}
        if itself and asks_pairs(current):  # "Câu hỏi số mấy trong tài liệu Hỏi - Đáp đề cập … Ban Tuyên giáo Thị
            named = {d: n for d, n in named.items() if d in itself}  # ủy": its pairs are asked for; the plans, their topic
        # "Theo tài liệu hỏi đáp, …": a derived document named as the way in, not asked about itself,
        # is not a source: the primary passages it was compiled from answer, and its name is no topic
        # ("Tài liệu Hỏi - đáp những nội dung cốt lõi …" is the official booklet the plans cite: what is asked about)
        through = {d: names for d, names in named.items() if d in _st(index).derived and d not in itself
                   and not names_cited_booklet(current, _st(index).in_primary)
                   and not _BOOKLET_ASKED.search(fold(current).lower())}
        named = {d: names for d, names in named.items() if d not in through}
    if index is not None and not missing and cited_reference(current) is None:
        # (not when asked of a document the named one cites: "KH của tỉnh ủy mà huyện ủy thực hiện ban hành ngày nào")
        missing = _document_facts_missing(current, named, index, _st(index).derived - itself)
    if index is not None and not missing and lex is not None:
        from .grounding import absent_from_documents

        missing = absent_from_documents(current, named, index.manifest.documents, _st(index).derived - itself, lex)
    if state is None and history:
        from .conversation import as_turns

        turns = as_turns(history)
        if turns:
            prev = nfc(turns[-1].question)
            state = State(question=prev, named=list(aliases.match(prev)), docs=list(turns[-1].doc_ids))
    # a table's column names are what is asked, not a topic: "Thời hạn hoàn thành ghi là ngày nào?" after
    # a row was quoted continues with that row
    # ("trong bảng phụ lục thì hạn hoàn thành …": where in the plan, not a topic either)
    content = [w for w in content_words(without_question_frame(current))
               if not any(w in name.split() for name in columns) and w not in _TABLE_WORDS]
    # a question with a topic of its own in words the corpus never uses ("Thủ đô của Pháp?") starts a
    # new one; a bare "nộp cho ai, hạn chót khi nào" (one topic word) still continues the conversation
    # (nor are the follow-up's markers and the number frame "so may" left without diacritics, nor an abbreviation
    # the corpus writes, "MTTQ", counted as its spelled-out words)
    foreign = lex is not None and len(content) >= 2 and any(
        w not in lex.count for w in syllables(_NUMBER_FRAME.sub(" ", _strip_followup(current)))
        if w not in STOPWORDS and not w.isdigit() and w not in lex.caps)
    followup = bool(state) and (is_followup(current, len(content), question) and not (foreign and not reference(current))
                                or bare_position(current))  # "ý thứ hai là gì?", "còn mục cuối?"
    search, focus, context_docs, as_document = current, [], [], None
    wants = wanted_fact(current)
    which_document = asks_which_document(current)
    if which_document and wants == "docnum":
        wants = None  # the document is named by what it says, not by a number asked for
    signer = asks_who_signed(current)
    described = _SIGNED_BY.search(fold(question).lower())  # as typed: its comma ends the description
    if described and not _WHO_ASKED.search(fold(question).lower()):
        signer = False  # "… do đồng chí Phó Bí thư ký, …" names who signed: it does not ask
    cited = None
    # (a document of an issuer no corpus document has, "KH của tỉnh ủy thì số mấy", continues the conversation
    # when the last answer's passage cites one: it is that one)
    if state and index is not None and (followup and named or not followup and not named):
        cited = _cited_by_previous(current, state, index)
        if cited is not None:  # (its number, or the date it bears in the citing line)
            named, wants = {cited[0]: []}, cited[2]
            followup = True
    asked_number = _ASKS_NUMBER_OF.search(fold(current).lower()) is not None  # ("số mấy": its number, no count)
    if cited is None and index is not None and (wants in ("date", "docnum") or asked_number) and named:
        other = _another_kind_by_issuer(current, named, index.manifest.documents)
        if other is not None:  # the document is one the plans cite: its citing line gives its number and date
            wants = "docnum" if asked_number else wants
            named, cited = {}, (None, other, wants)
    if followup and named and state.named and reference(current) == "document":
        # "Văn bản đó gửi báo cáo những cơ quan nào thuộc Thành ủy?": the document pointed back at is asked about;
        # a name after "thuộc" says whose bodies are meant, it names no other document
        f_asked = fold(current).lower()
        named = {d: names for d, names in named.items() if not all(_subordinate_to(f_asked, n) for n in names)}
    previous_chunks = list(state.chunks) if followup and not named else []
    if followup:
        previous = state.question
        if named:  # "Còn ở huyện thì sao?": keep the previous topic, drop its place
            for names in aliases.match(previous).values():
                for name in names:
                    previous = drop_name(previous, name)
        elif state.named:
            named = {d: [] for d in state.named}
        else:
            context_docs = list(state.docs)
        as_document = _document_itself(current, list(named) or context_docs, state, index) \
            if index is not None and not any(names for names in named.values()) and cited is None else None
        if as_document and not missing:  # "… số hiệu gì?" then "ban hành ngày nào?": said of it, as when named
            missing = _document_facts_missing(as_document[1], {as_document[0]: []}, index, _st(index).derived)
        stripped = _strip_followup(current)
        search = f"{stripped} {stripped} {previous}"  # the new turn weighs more than the one it continues
        if reference(current) == "passage":
            focus = list(state.chunks)
            if index is not None and _asks_what_they_lack(current, index, focus):
                focus = []  # "báo cáo viên hội nghị này là ai" after its table row, which names no reporter
        if not _OWN_QUESTION.search(fold(stripped)):
            wants = wants or state.wants
            signer = signer or state.asked_signer
        elif state.asked_signer and _SIGNER_ROLE.search(fold(stripped).lower()):
            signer = True  # "Người ký …?" then "chức vụ gì": the signer's office, in the same signature block
        if not _WHO.search(fold(stripped).lower()):  # "hạn nộp ngày nào?" then "nộp qua ai?": a body asked, no date
            wants = wants or wanted_fact(previous)
    elif state and not named:
        context_docs = list(state.named or state.docs)
    # The corpus writes some of these abbreviations itself ("UBND huyện", "MTTQ"): retrieval
    # sees both forms, and coverage counts either form as the other (see retrieve.coverage).
    abbrs = [a for a, _ in log if lex is not None and a.lower() in lex.caps and lex.written.get(fold(a).lower(), 0) < 3]
    search = squash_spaces(search + (" " + " ".join(abbrs) if abbrs else ""))
    folded = not has_diacritics(search)
    f_current = fold(current).lower()
    item = ordinal_of(current)
    if item is not None and lex is not None:
        m = re.search(r"(\w+) thứ \w+", canonical(current))
        if m and m.group(1) in lex.ordinal_names and any(w in canonical(current) for w in
                                                          (f"{m.group(1)} thứ {o}" for o in lex.ordinal_names[m.group(1)])):
            item = None  # "Phần thứ ba" is a name, not the third item of a list
            if focus and index is not None and not any(
                    m.group(0) in canonical(index.chunks[index.position[c]].text) for c in focus if c in index.position):
                focus = []  # "Phần thứ nhất trong đó …": the part named, which the passage pointed at does not hold
    position = list_position(current)
    position = list_position(question) if position is None else position
    if position is None and followup and list_position(state.question) is not None:
        bare = re.search(r"\b(?:muc|y|dong) (\d{1,2})\b", f_current)  # "thế mục 8?" after "… mục cuối là ai"
        position = int(bare.group(1)) if bare else None
    if item is None and position:  # "dòng số 4", "ý 1", "nơi nhận cuối": a place no "thứ" marks
        item = position
    if followup and item is None and _NEXT_ITEM.search(f_current):  # "ý tiếp theo" after "ý thứ hai": the third
        before = ordinal_of(state.question)
        if before is not None and before > 0:
            item = position = before + 1
    listed = position_list_noun(current)
    if followup and not focus and (item is not None and ordinal_of(state.question) is not None or position is not None) \
            and not (listed and listed not in fold(canonical(state.question)).lower()):
        # "việc thứ ba là gì?" then "còn việc thứ tư?", "ý cuối?": the same list (not "mục đích thứ hai" after the
        # "yêu cầu" just quoted: the list it names)
        focus = list(state.chunks)
    terms = topic_terms(search, folded)
    weights: dict[str, float] = {}
    if followup:
        own = set(topic_terms(current, folded))
        weights = {t: 1.0 if t in own else FOLLOWUP_CONTEXT_WEIGHT for t in terms}
    if signer:  # "… ký, và với cương vị gì": a signature block always gives the signer's office
        for m in _SIGNING_ASKED.finditer(f_current):  # the pair and its syllables weigh 0
            weights.update({t: 0.0 for t in terms if (fold(t).lower() if not folded else t) in (m.group(0), *m.group(0).split())})
        if followup and _SIGNING_ASKED.search(f_current):  # "ký với chức danh gì, thay mặt ai" after "ai ký": the signing is the frame
            weights.update({t: 0.0 for t in terms if fold(t).lower() == "ky" and t in own})
    code = _CODE.search(f_current)
    if code and not signer:  # "ký hiệu (văn bản)", a document's code, is no "ký" (signing) of a "văn bản": only "ký hiệu" is the topic
        said = code.group(0).split()
        said = set(said) | {f"{a} {b}" for a, b in zip(said, said[1:])}
        weights.update({t: 0.0 for t in terms if (fold(t).lower() if not folded else t) in said - {"ky hieu"}})
    if _route_frame().search(f_current):  # "nộp qua ai": the sending and "qua" frame whom it goes through ("(qua Ban …)")
        weights.update({t: 0.0 for t in terms if (fold(t).lower() if not folded else t) in _ROUTE_WORDS})
    for t in who_predicate(current, terms):  # "Ai chủ trì hội nghị …": the passage must say who "chủ trì"
        weights[t] = weights.get(t, 1.0) * WHO_PREDICATE_WEIGHT
    for t in link_predicate(current, terms):  # "… gắn với … chủ đề gì": the passage must say what it is "gắn với"
        weights[t] = weights.get(t, 1.0) * WHO_PREDICATE_WEIGHT
    if lex is not None:  # an abbreviation left as typed because its readings tie ("đc": "được" or "đồng chí"): no topic
        unread = {w for t in terms for w in t.split()
                  if len(lex.abbreviations.get(fold(w).lower(), ())) >= 2 and w not in lex.count}
        weights.update({t: 0.0 for t in terms if unread & set(t.split())})
    if item is not None:  # "thứ năm" names the item: its words, and the pairs across it ("giá trị thứ", "2 của"), are not the topic
        weights.update({t: 0.0 for t in terms if all(_ORDINAL_TERMS.match(w) for w in t.split())})
        weights.update({t: 0.0 for t in _pairs_across_ordinal(current, folded) if t in terms})
    if described and not signer:  # "văn bản … do đồng chí Phó Bí thư ký, đợt học tập …": the signing names the document
        said = described.group(1).split()
        said = set(said) | {f"{a} {b}" for a, b in zip(said, said[1:])}
        weights.update({t: 0.0 for t in terms if (fold(t).lower() if not folded else t) in said})
    if named and _MODAL_ASKED.search(f_current):  # "HD thị ủy: chi bộ có bắt buộc học tập trung không": the studying
        weights.update({t: 0.0 for t in terms if t in (("bat", "buoc", "bat buoc") if folded else ("bắt", "buộc", "bắt buộc"))})
    attributed = _ATTRIBUTION.search(f_current)
    if attributed:  # "…, như Hướng dẫn của Thị ủy tóm tắt, …": how the document put it is no topic
        said = set(attributed.group(1).split()) | {attributed.group(1)}
        weights.update({t: 0.0 for t in terms if (fold(t).lower() if not folded else t) in said})
    if which_document:  # "văn bản nào trong số các kế hoạch": the asking frame is no topic
        weights.update({t: 0.0 for t in terms if all(fold(w).lower() in _WHICH_FRAME for w in t.split())})
    if index is not None and named:
        weights = _name_words_weighed(current, terms, weights, named, index.manifest.documents, folded)
    if index is not None and through:
        weights = _route_words_unweighed(current, terms, weights, through, folded)
    if by_description:  # the description only says which document ("… có Fanpage Hoa Hướng dương ấy, ai ký"): no topic
        weights = _description_unweighed(current, terms, weights, by_description, folded)
    asked_columns = _columns(f_current, columns)
    if previous_chunks and index is not None and asked_columns:
        previous_chunks += _rows_restating(index, previous_chunks)  # "cơ quan nào chủ trì, phối hợp?" of that activity
    return Query(question=question, search_text=search, typed_text=search, terms=terms, weights=weights,
                 folded=folded, docs=named, asks_signer=signer, wants=wants, normalized=current, missing=missing,
                 role=None if signer else role_question(f_current, current), columns=asked_columns,
                 ordinal=item, position=position, also_position=second_position(current) if position else None,
                 followup=followup, focus=focus, previous=previous_chunks, context_docs=context_docs, cited=cited[1] if cited else None,
                 qtype=question_type(f_current, wants),
                 synonyms=[(canonical(a), topic_terms(r, folded)) for a, r in log] + count_synonyms(terms) + book_synonyms(terms, folded)
                 + document_synonyms(current, terms, folded) + paraphrase_synonyms(terms, folded)
                 + scope_synonyms(current, terms, folded)
                 + written_abbreviations(current, terms, folded, lex) + signature_synonyms(signer, terms, folded),
                 subject=_subject(f_current), all_tasks=asks_all_tasks(f_current), section=asked_section(question),
                 basis=asks_basis(current), about_derived=itself, defines=asked_abbreviation(question),
                 besides=state.answer if followup and asks_besides(current) else "",
                 nothing_said_again=followup and excludes_all_said(question),  # as typed: its comma ends the clause
                 new_asked=new_pairs(question, state.question) if followup and asks_besides(current) else [],
                 choices=choices, which_document=which_document, renumbered=swapped, miscounted=miscounted, as_bodies=as_bodies,
                 quote=quote,
                 issue_date=asks_issue_date(as_document[1] if as_document else current) and index is not None and any(
                     own_numbers_only(current, meta) and not about_cited_document(current, meta)
                     for meta in (index.manifest.documents.get(d, {}) for d in named)))


# what only a document itself has: its issue, signature, number, code or place ("định kỳ", a report's schedule, is no
# "ký")
_OF_A_DOCUMENT = re.compile(r"\bban hanh\b|(?<!dinh )\bky\b(?! hieu)|\b(?:so hieu|ky hieu|so may|so bao nhieu)\b"
                            r"|\b(?:tinh|huyen|thi xa|thanh pho) nao\b")
# a document number with its code ("140-KH/TU", "600/KH-MTTQ", "33-HD/BTG"): a document cited by number
_CODED_NUMBER = re.compile(r"\d{1,4}\s*[-/]\s*[A-ZĐ]{2,}[-/]")


def _document_itself(current: str, docs: list[str], state, index) -> tuple[str, str] | None:
    """(the conversation's one document, the follow-up asked of it as a document) when a follow-up
    naming no document asks about the one the conversation is about ("ai ký?" then "ban hành ngày
    nào?" is "văn bản ban hành ngày nào?"); None when there are several, or the turn before was about a
    document it cites ("… thực hiện kế hoạch số mấy?" then "ban hành ngày nào?" asks that plan's
    date), or its answer quoted one by number."""
    from .grounding import FOLLOWUP_LEAD, cited_reference
    from .structures import structures as _st

    docs = [d for d in docs if d not in _st(index).derived]
    said = (state.answer or "").split(AVAILABLE_DOCUMENTS)[0]  # (a refusal's list of documents quotes none)
    # (the turn before asking who signed was about the document itself, whatever the turns before it cited)
    if len(docs) != 1 or _CODED_NUMBER.search(said) or (cited_reference(state.question or "") and not state.asked_signer) \
            or not _OF_A_DOCUMENT.search(fold(current).lower()):
        return None
    return docs[0], current if _NAMES_KIND.match(FOLLOWUP_LEAD.sub("", fold(current).lower().strip())) else f"văn bản {current}"


def _another_kind_by_issuer(current: str, named: dict, documents: dict[str, dict]) -> tuple[str, str] | None:
    """"Hướng dẫn của Ban Tuyên giáo Thành ủy ban hành ngày nào": (kind, issuer) of a document asked for by its kind
    and issuer where the documents named by that issuer are all of another kind (the Thành ủy's plan 205 is no
    guidance): one the plans cite ("Hướng dẫn số 33-HD/BTG ngày 25/4/2023 của Ban Tuyên giáo Thành ủy"); None
    when the question gives a number (that document itself) or names no kind."""
    from .grounding import issuer_reference

    ref = issuer_reference(current)
    if ref is None or re.search(r"\d", current):
        return None
    # (only the documents that issuer's name led to: "Hướng dẫn cấp thị xã … kết luận nào của Trung ương" names the
    # guidance by its own level and asks a conclusion it cites)
    by_issuer = [d for d, names in named.items() if any(ref[1] in n for n in names)]
    kinds = {fold(documents.get(d, {}).get("kind") or "").lower() for d in by_issuer}
    return ref if by_issuer and len(by_issuer) == len(named) and ref[0] not in kinds else None


def _document_facts_missing(asked: str, named: dict, index, derived: set[str]) -> list:
    """What the question asks of a named document itself that its metadata or text lacks: its issue
    date or day, its number, its place ("… không ghi ngày ban hành")."""
    from .grounding import dayless_documents, undated_documents, unnumbered_documents, unplaced_documents
    from .structures import structures as _st

    documents = index.manifest.documents
    return (undated_documents(asked, named, documents, derived) or dayless_documents(asked, named, documents, derived)
            or unnumbered_documents(asked, named, documents, derived)
            or unplaced_documents(asked, named, documents, derived, _st(index).places))


# (after a follow-up's lead, grounding.FOLLOWUP_LEAD: "thế kh đó …", "còn văn bản này …")
_NAMES_KIND = re.compile(r"(?:van ban|ke hoach|huong dan|cong van|kh|hd)\b")


# the booklet as what is asked about ("Kế hoạch 205 dùng tài liệu hỏi đáp nào?", "Ai phổ biến tài liệu hỏi
# đáp?"), not as where the asker read it ("Theo tài liệu hỏi đáp, …")
_BOOKLET_ASKED = re.compile(r"\b(?:dung|su dung|pho bien|cap phat|phat hanh|bien soan|in|mua|gioi thieu)\s+(?:cac |nhung )?"
                            r"(?:tai lieu |bo |cuon )?hoi\s*-?\s*dap\b|\bhoi\s*-?\s*dap\s+nao\b"
                            r"|^\s*(?:tai lieu |bo |cuon )?hoi\s*-?\s*dap\s+(?:duoc|do|co|gom|la|tong hop|bien soan)\b")  # its subject
_CONTAINER = ("tai lieu", "bo", "cuon", "ban")  # "tài liệu hỏi đáp", "bộ hỏi đáp": the words naming it with it


def _route_words_unweighed(question: str, terms: list[str], weights: dict[str, float], through: dict,
                           folded: bool) -> dict[str, float]:
    """The name of a derived document the question reads through ("Theo tài liệu hỏi đáp, …"), with
    the word for what holds it, weighs nothing: the primary passages never say it, and a pair
    across the name ("đáp cuốn") is no phrase."""
    words = syllables(fold(question).lower())
    marked = [False] * len(words)
    for name in {n for names in through.values() for n in names}:
        n = name.split()
        for i in range(len(words) - len(n) + 1):
            if words[i:i + len(n)] == n:
                start = i
                for c in _CONTAINER:
                    c_words = c.split()
                    if words[max(0, i - len(c_words)):i] == c_words:
                        start = i - len(c_words)
                marked[start:i + len(n)] = [True] * (i + len(n) - start)
    name_words = {w for w, m in zip(words, marked) if m}
    if not name_words:
        return weights
    out = dict(weights)
    for t in terms:
        parts = (t if folded else fold(t).lower()).split()
        if all(p in name_words for p in parts) or (len(parts) == 2 and any(p in name_words for p in parts)):
            out[t] = 0.0
    return out


_ABOUT_THE_BOOK = re.compile(r"(?:(?:thanh pho|tinh|huyen|thi xa|quan)(?: \w+){0,2}? )?ve (?:viec )?"
                             r"(?:(?:hoc tap|hoc|nghien cuu|quan triet|tuyen truyen|sinh hoat)(?: ve)? )?"
                             r"(?:noi dung )?(?:tac pham|cuon sach)\b"
                             # … and how the asker calls the book: "… của bác Trọng", "… chống tham nhũng"
                             r"(?: cua (?:bac trong|(?:dong chi )?tong bi thu(?: nguyen phu trong)?)\b"
                             r"| (?:ve )?(?:phong )?chong tham nhung(?: tieu cuc)?\b){0,2}")  # (either, or both)
NAME_TERM_WEIGHT = 0.3  # words restating a named document's title say which document, not what is asked
ABOUT_THE_BOOK_WEIGHT = 0.0  # "KH của Huyện ủy về học tập tác phẩm …": every plan is about the book; no topic at all
TITLE_RUN = 3  # … when at least this many stand in the question as they stand in the title
_ISSUED_BY = tuple(f"{kind} {by}" for kind in ("huong dan", "ke hoach", "van ban", "cong van", "bao cao", "tai lieu", "kh", "hd")
                   for by in ("cua", "do", "co"))  # ("kế hoạch có Fanpage …": described_document)


def _name_words_weighed(question: str, terms: list[str], weights: dict[str, float], named: dict,
                        documents: dict[str, dict], folded: bool) -> dict[str, float]:
    """"Hướng dẫn triển khai đợt sinh hoạt chính trị … của Ban Tuyên giáo Thị ủy do ai ký?": the
    question restates the document's title, so every passage of that document covers those words
    and its opening (the title itself) covers them best. Once the document is known, a run of
    TITLE_RUN or more title words only says which one it is: they weigh NAME_TERM_WEIGHT, unless
    nothing else is asked. A title word on its own ("kế hoạch triển khai") is still a topic."""
    words = syllables(fold(question).lower())
    grams: set[tuple[str, ...]] = set()
    for doc_id in named:
        subject = str(documents.get(doc_id, {}).get("title") or "").split(":", 1)[-1]  # "Kế hoạch … của X: <subject>"
        t = syllables(fold(subject).lower())
        grams.update(tuple(t[i:i + TITLE_RUN]) for i in range(len(t) - TITLE_RUN + 1))
    marked = [False] * len(words)
    for i in range(len(words) - TITLE_RUN + 1):
        if tuple(words[i:i + TITLE_RUN]) in grams:
            marked[i:i + TITLE_RUN] = [True] * TITLE_RUN
    # "Hướng dẫn của Ban Tuyên giáo Thị ủy …": the issuer's name after the kind of document names the
    # document (its own sub-section "1. Ban Tuyên giáo Thị ủy" is not what is asked)
    _mark_runs(words, {n for names in named.values() for n in names}, marked,
               lambda i: i >= 2 and " ".join(words[max(0, i - 3):i]).endswith(_ISSUED_BY))
    # "Kế hoạch của Mặt trận thành phố về học tập tác phẩm …": every plan here is about studying the book,
    # so that qualifier names the plan's subject, not what is asked (a section "Tổ chức hội nghị học tập
    # tác phẩm" covers it no better than any other)
    about = [False] * len(words)
    for name in {n for names in named.values() for n in names}:
        n = name.split()
        for i in range(len(words) - len(n) + 1):
            if words[i:i + len(n)] == n:  # the qualifier follows the document's name itself
                m = _ABOUT_THE_BOOK.match(" ".join(words[i + len(n):]))
                if m:  # ("… Mặt trận thành phố về …": the place that ends the name may follow the alias found)
                    k = i + len(n)
                    about[k:k + len(m.group(0).split())] = [True] * len(m.group(0).split())
    name_terms = _marked_terms(words, marked, terms, folded)
    about_terms = _marked_terms(words, about, terms, folded) - name_terms
    if not (name_terms | about_terms) or all(t in name_terms | about_terms for t in terms):
        return weights
    return {**weights, **{t: weights.get(t, 1.0) * NAME_TERM_WEIGHT for t in name_terms},
            **{t: weights.get(t, 1.0) * ABOUT_THE_BOOK_WEIGHT for t in about_terms}}


def _description_unweighed(question: str, terms: list[str], weights: dict[str, float], described: dict,
                           folded: bool) -> dict[str, float]:
    """The description's terms weigh nothing, unless they are all the question says."""
    words = syllables(fold(question).lower())
    marked = [False] * len(words)
    _mark_runs(words, [n for names in described.values() for n in names], marked)
    said = _marked_terms(words, marked, terms, folded)
    if not said or all(t in said for t in terms):
        return weights
    return {**weights, **{t: 0.0 for t in said}}


def _mark_runs(words: list[str], names, marked: list[bool], where=lambda i: True) -> None:
    """Mark in `marked` each run of `words` that spells one of `names` (accent-free), where `where(start)` holds."""
    for name in names:
        n = name.split()
        for i in range(len(words) - len(n) + 1):
            if words[i:i + len(n)] == n and where(i):
                marked[i:i + len(n)] = [True] * len(n)


def _marked_terms(words: list[str], marked: list[bool], terms: list[str], folded: bool) -> set[str]:
    """The terms (syllables, side-by-side pairs) made only of marked words."""
    said = {w for w, m in zip(words, marked) if m}
    said |= {f"{a} {b}" for (a, ma), (b, mb) in zip(zip(words, marked), zip(words[1:], marked[1:])) if ma and mb}
    return {t for t in terms if (t if folded else fold(t).lower()) in said}


def _subject(folded_question: str) -> str:
    """Who the question asks the task of ("X có nhiệm vụ gì", "X được giao làm gì", "… giao cho X những gì")."""
    text = _ACCORDING_TO.sub("", folded_question.strip())
    m = _TASK.search(text) or _TASK_TO.search(text)
    return squash_spaces(re.sub(r"[^\w ]", " ", m.group(1))) if m else ""


# "hướng dẫn … giao cho MTTQ, đoàn thể cấp thị (những gì / có giống vậy không)": the body after the verb (accent-free)
# ("… giao cho X những nội dung gì" asks some of them: no "những" inside the body's name)
_TASK_TO = re.compile(r"\bgiao cho ((?:(?!\bnhung\b)[\w ,&-]){3,60}?) (?=(?:nhung gi|viec gi|gi|nhiem vu gi|co giong|the nao"
                      r"|ra sao)\b)")


# "Theo văn bản của cấp ủy huyện do đồng chí Phó Bí thư ký, …": the document told by who signed it, before what is
# asked (accent-free)
_SIGNED_BY = re.compile(r"\b(?:van ban|ke hoach|huong dan|kh|hd)\b[^,?;:]{0,60}?\b(do (?:dong chi |d/c |dc )?[^,?;:]{2,40}? "
                        r"ky)\s*[,;:]\s*\S")  # (not "do … ban hành": an issuer, which names the document itself)


_WHO_ASKED = re.compile(r"\b(?:ai|nguoi nao|dong chi nao)\b")


# "… có bắt buộc … không / hay …": a yes-no question's modal, which plans seldom write ("phải", "cần" are stopwords)
_MODAL_ASKED = re.compile(r"\b(?:co )?bat buoc\b(?=.*\b(?:khong|ko|chu)\s*\W*$|.*\bhay\b)")


# "Văn bản nào (trong số các kế hoạch) nêu …", "Kế hoạch nào có nhiệm vụ …", "… được nêu ở văn bản nào?": which of
# the documents says something; not a document one of them cites ("thực hiện kế hoạch nào", "kế hoạch nào của Tỉnh
# ủy", "kế hoạch số mấy", "hướng dẫn nào được / mà MTTQ căn cứ"), nor "tài liệu nào", the material the plans use
_WHICH_DOCUMENT = re.compile(r"^(?:(?:the |vay )?con )?(?:nhung |cac )?(?:van ban|ke hoach|huong dan|kh|hd) nao\b(?! (?:cua|do|so|duoc|ma)\b)"
                             r"|\b(?:o|trong|tai) (?:van ban|ke hoach|huong dan|tai lieu|kh) nao\s*\W*$")
_WHICH_FRAME = {"van", "ban", "ke", "hoach", "huong", "dan", "tai", "lieu", "nao", "so", "kh", "hd"}  # its words, accent-free
_CITES_ASKED = re.compile(r"\b(?:thuc hien|can cu|dua (?:vao|tren|theo)|trien khai|theo|vien dan|trich dan)\s+(?:\w+\s+){0,3}?"
                          r"(?:van ban|ke hoach|huong dan|tai lieu|kh) nao\b")


def asks_which_document(question: str) -> bool:
    folded = fold(question).lower().strip()
    return bool(_WHICH_DOCUMENT.search(folded)) and not _CITES_ASKED.search(folded)


def asks_all_tasks(folded_question: str) -> bool:
    """"X có nhiệm vụ gì?", "X phải làm những gì?": all of X's tasks, nothing more specific
    ("X được giao tham mưu những nội dung nào" asks for one of them)."""
    text = _ACCORDING_TO.sub("", folded_question.strip())
    m = _TASK.search(text) or _TASK_TO.search(text)
    if not m:
        return False
    rest = [w for w in re.findall(r"\w+", text[m.end():]) if w not in FOLDED_STOPWORDS]
    return not [w for w in rest if w not in _TASK_WORDS]


_TASK_WORDS = {"gi", "nhung", "nao", "cu", "the", "la", "cac", "nhiem", "vu", "viec", "cong", "tac", "noi", "dung", "ay", "do",
               "lam", "giong", "vay", "ra", "sao"}  # ("được giao làm gì"; "… có giống vậy không": the same ask of another)


# "Theo hướng dẫn, UB Mặt trận … có nhiệm vụ gì": the document the question goes by is not the body
_ACCORDING_TO = re.compile(r"^(theo|trong) (huong dan|ke hoach|van ban|tai lieu)( nay| do)?(\s*,\s*|\s+(?!cua\b|so\b|do\b))")


ROW_RESTATED = 0.8  # share of a table row's content cell that a body passage must say to be about the same activity


def _rows_restating(index, chunk_ids: list[str]) -> list[str]:
    """The table rows of the passages' documents whose content cell the passages say nearly word for word ("Tổ
    chức đợt sinh hoạt chính trị … (500 đại biểu)" is both an item of the plan and a row of its appendix)."""
    from .grounding import row_cells

    quoted = [index.chunks[index.position[c]] for c in chunk_ids if c in index.position]
    said = {c.doc_id: set() for c in quoted if c.kind != "row"}
    for c in quoted:
        if c.kind != "row":
            said[c.doc_id] |= set(syllables(fold(c.text).lower()))
    rows = []
    for chunk in (index.chunks[r] for doc_id in said for r in index.doc_rows(doc_id)):  # (the passages' documents only)
        if chunk.kind != "row":
            continue
        content = next((v for name, v, _, _ in row_cells(chunk.text) if fold(name).lower() == "noi dung"), "")
        words = syllables(fold(content).lower())
        if len(words) >= 5 and sum(w in said[chunk.doc_id] for w in words) >= ROW_RESTATED * len(words):
            rows.append(chunk.chunk_id)
    return rows


def _columns(folded_question: str, columns: dict[str, str]) -> list[str]:
    from .grounding import asked_columns

    return asked_columns(folded_question, columns) if columns else []


_CODE = re.compile(r"\bky hieu(?: van ban)?\b")  # a document's code ("ký hiệu văn bản"): no signing, no "văn bản" as a topic
_SIGNER_ROLE = re.compile(r"\b(?:cuong vi|chuc vu|chuc danh|tu cach)\b")
# what a question asks of the signature block beside the signer: the office, on whose behalf
_SIGNING_ASKED = re.compile(f"{_SIGNER_ROLE.pattern}|{_ON_BEHALF_ASKED.pattern}")
# ("được ký ban hành vào ngày nào / trước mốc nào": when it was signed and issued, not who signed it)
_SIGNED_WHEN = re.compile(r"\bky (vao )?(ngay|khi|luc|hom|thang|nam)\b|\bngay ky\b|\bky ban hanh\b")


_ASKS_NUMBER_OF = re.compile(r"\bso (?:may|nao|bao nhieu|hieu)\b")  # "… của Thành ủy (thì) số mấy"
_ASKS_ISSUED_WHEN = re.compile(r"\b(?:ban hanh|ky|ra) (?:vao )?(?:ngay nao|ngay may|khi nao|bao gio)\b")  # "… ban hành ngày nào"
_NUMBER_FRAME = re.compile(r"(?i)\bs[oốởổ] (?:m[aấ]y|n[aà]o|bao nhi[eê]u|hi[eệ]u)\b")  # … as typed, half restored


def _cited_by_previous(current: str, state, index) -> tuple[str, tuple[str, str], str] | None:
    """"KH MTTQ thành phố căn cứ KH số mấy của MTTQ tỉnh?", then "còn KH của Thành ủy số mấy?": after a
    question about the documents the previous answer cites, one named by its issuer alone is the one a
    passage that answer quoted cites ("Kế hoạch số 182-KH/TU … của Ban Thường vụ Thành ủy"), not the corpus's
    own plan of that issuer; so too for the date it was issued ("… trong số đó ban hành ngày nào?"). Returns (that
    passage's document, (kind, issuer), the fact asked: "docnum" or "date") when it cites such a one by number."""
    from .grounding import cites, issuer_reference

    folded = fold(current).lower()
    # (after a cited document's date was asked, "thế hướng dẫn của BTG thành ủy thì ngày nào" asks another's)
    dated = _ASKS_ISSUED_WHEN.search(folded) or (state.wants == "date" and asks_day(current))
    asked = "docnum" if _ASKS_NUMBER_OF.search(folded) else "date" if dated else None
    if asked is None:
        return None
    ref = issuer_reference(current)
    if ref is None or re.search(r"\d", current):  # named by its number: that document itself
        return None
    for chunk_id in state.chunks:
        row = index.position.get(chunk_id)
        if row is None:
            continue
        chunk = index.chunks[row]
        meta = index.doc(chunk.doc_id)
        kind, issuer = (fold(meta.get(k) or "").lower() for k in ("kind", "issuer"))
        if kind == ref[0] and ref[1] in issuer:  # "còn kế hoạch của Thành ủy Yên Bái số mấy" after asking plan 205's basis
            continue
        if cites(chunk.text, ref, meta.get("number") or ""):
            return chunk.doc_id, ref, asked
    return None


def asks_who_signed(text: str) -> bool:
    """"Ai ký …?" — also half restored ("đồng chí nào ky kế hoạch 205"); "được ký ngày nào" asks
    a date, not who signed."""
    folded = fold(text)
    if _SIGNED_WHEN.search(folded) and not re.search(r"\b(ai|nguoi nao|dong chi nao|nguoi ky)\b", folded):
        return False
    return bool(_SIGNER.search(text.lower())) or bool(_SIGNER_FOLDED.search(folded))


def drop_name(text: str, folded_name: str) -> str:
    words = text.split()
    n = len(folded_name.split())
    for i in range(len(words) - n + 1):
        if fold(" ".join(words[i:i + n])).strip(".,;:?!") == folded_name:
            tail = words[i + n - 1][len(words[i + n - 1].rstrip(".,;:?!")):]  # the clause's comma stays
            return " ".join(words[:i] + ([tail] if tail else []) + words[i + n:])
    return text


# "ý tiếp theo", "mục kế tiếp", "ý sau đó": the item after the one the last question asked for
_NEXT_ITEM = re.compile(r"\b(?:y|muc|noi nhan|dong|viec|nhiem vu|noi dung) (?:tiep theo|ke tiep|tiep|sau do|sau)\b")
# what a bare position question says besides its list's noun and the position
_POSITION_ONLY = re.compile(r"\b(?:thu \w+|dau tien|cuoi cung|cuoi|sau cung|tiep theo|ke tiep|tiep|sau do|sau"
                            r"|la gi|la ai|gi|ai|nao|the nao|ghi gi|noi gi|viet gi|cho em hoi|cho hoi|a|nhe|vay|the|con|thi sao)\b")


def bare_position(question: str) -> bool:
    """A question that asks only a list's item by its place ("ý thứ hai là gì?", "còn mục cuối?", "ý tiếp
    theo thì sao"): it continues the conversation, about the list its last answer quoted."""
    from .grounding import list_position

    f = fold(question).lower()
    if not (_NEXT_ITEM.search(f) or list_position(question) not in (None, 0)):
        return False
    return not re.sub(r"[^\w]+", "", _list_nouns().sub(" ", _POSITION_ONLY.sub(" ", f)))


@lru_cache(maxsize=1)
def _list_nouns() -> re.Pattern:
    from .grounding import LIST_ITEM_NOUNS

    return re.compile(r"\b(?:" + "|".join(LIST_ITEM_NOUNS) + r")\b")


# "thế còn bền MTTQ": a follow-up's "ben" (whose side) restored as the corpus's commoner "bền" (of "bền vững")
_SIDE_MISREAD = re.compile(r"^(\s*(?:thế |vậy )?còn\s+)bền\b", re.IGNORECASE)


def _subordinate_to(folded: str, name: str) -> bool:
    """Every mention of the name `name` in the question follows "(trực) thuộc": "các cơ quan thuộc Thành ủy"."""
    found = [m.start() for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded)]
    return bool(found) and all(folded[:i].endswith("thuoc ") for i in found)


def _strip_followup(question: str) -> str:
    question = re.sub(r"^\s*(?:the |vay )?con\b", " ", question, flags=re.IGNORECASE)  # "con KH 182": "còn" typed plain
    question = re.sub(r"\b(thì sao|thi sao|thế còn|vậy còn|còn)\b|\?", " ", question, flags=re.IGNORECASE)
    # "thế so với KH 205 thì …": the same question of another document ("so" is a word the plans never use)
    question = re.sub(r"^\s*(?:(?:thế|vậy|the|vay) )?(?:so với|so voi)\b", " ", question, flags=re.IGNORECASE)
    # "thế còn bên huyện ủy": "bên" says whose side, it is no topic word the corpus lacks
    return re.sub(r"^\s*(?:bên|ben)\b", " ", question, flags=re.IGNORECASE)
