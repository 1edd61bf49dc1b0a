"""Grounding what a question names in the corpus, and the structured facts the extractive
answer needs to pick the right unit.

- `missing_entities`: places, bodies, document numbers, counted things, numbered parts and
  people the question names that the corpus does not contain ("Tỉnh ủy Thanh Hóa",
  "kế hoạch 206", "phần thứ tư"): the answer is then an honest refusal that says which.
- `RoleIndex`: who holds which office, read from table cells ("Đ/c Tạ Ngọc Hoa, Phó Chủ tịch
  UBND thành phố"), signature blocks and the documents' signer metadata; "Bí thư Huyện ủy là
  ai?" is answered only by a holder of exactly that office (never by the Phó Bí thư who signed).
- `columns`: the column names of the corpus's tables, so "cơ quan nào chủ trì …" quotes the
  right cell of the right row.
- `ordinal`: "bài học thứ năm", "nội dung thứ 4": the numbered item asked for, as opposed to a
  count ("4 không", "8 bài học") that must not be matched to list numbering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import permutations

from hoidap.textnorm import canonical, fold, has_diacritics, squash_spaces

from .normalize import NOT_AFTER_A_TIME_WORD, Lexicon
from .query import asks_basis_document

# The 63 provinces and centrally-run cities (names as written), for places named in questions.
PROVINCES = """An Giang|Bà Rịa - Vũng Tàu|Bà Rịa|Vũng Tàu|Bạc Liêu|Bắc Giang|Bắc Kạn|Bắc Ninh|Bến Tre|Bình Dương|Bình Định
|Bình Phước|Bình Thuận|Cà Mau|Cao Bằng|Cần Thơ|Đà Nẵng|Đắk Lắk|Đắk Nông|Điện Biên|Đồng Nai|Đồng Tháp|Gia Lai|Hà Giang
|Hà Nam|Hà Nội|Hà Tĩnh|Hải Dương|Hải Phòng|Hậu Giang|Hòa Bình|Hưng Yên|Khánh Hòa|Kiên Giang|Kon Tum|Lai Châu|Lâm Đồng
|Lạng Sơn|Lào Cai|Long An|Nam Định|Nghệ An|Ninh Bình|Ninh Thuận|Phú Thọ|Phú Yên|Quảng Bình|Quảng Nam|Quảng Ngãi
|Quảng Ninh|Quảng Trị|Sóc Trăng|Sơn La|Tây Ninh|Thái Bình|Thái Nguyên|Thanh Hóa|Thừa Thiên Huế|Huế|Tiền Giang
|Hồ Chí Minh|Trà Vinh|Tuyên Quang|Vĩnh Long|Vĩnh Phúc|Yên Bái""".replace("\n", "").split("|")
# Words that introduce a place or a body (accent-free).
ADMIN = r"(?:tinh uy|thanh uy|huyen uy|thi uy|quan uy|dang uy|tinh|thanh pho|tp|huyen|thi xa|quan|xa|phuong|ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan|mat tran to quoc|mttq|so [a-z ]+?)"
# Departments ("Sở …", "Phòng …") and party boards ("Ban …") a question may name.
DEPARTMENTS = """tu phap|giao duc va dao tao|giao duc|y te|tai chinh|noi vu|cong thuong|xay dung|giao thong van tai|giao thong
|van hoa the thao va du lich|van hoa|lao dong thuong binh va xa hoi|lao dong|tai nguyen va moi truong|tai nguyen
|ke hoach va dau tu|nong nghiep va phat trien nong thon|nong nghiep|thong tin va truyen thong|khoa hoc va cong nghe
|khoa hoc|ngoai vu|du lich|cong an|quoc phong|tu phap""".replace("\n", "").split("|")
# Mass organisations and forces a plan may task ("Công an thành phố", "Đoàn Thanh niên"): asked of a
# corpus that never names one, the question is about a body it has no word on
ORGANISATIONS = ["đoàn thanh niên", "tỉnh đoàn", "thành đoàn", "huyện đoàn", "thị đoàn", "hội liên hiệp phụ nữ", "hội phụ nữ", "hội nông dân", "hội cựu chiến binh", "cựu chiến binh",
                 "liên đoàn lao động", "công đoàn", "công an", "quân sự", "bộ đội biên phòng", "tòa án", "toà án", "viện kiểm sát"]
BOARDS = "tuyen giao|dan van|to chuc|noi chinh|kiem tra|thuong vu|chap hanh|chi dao|thuong truc|dan toc|kinh te|phap che".split("|")
SURNAMES = set("""Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Tạ Trịnh Ung Đinh Lương Mai Cao Lâm
Đoàn Vương Hà Chu Kiều Thái Lưu Tô Quách Triệu La Lại Đào Tăng Trương Hứa Mạc Khổng Thân Giang Nghiêm Kim Tống Âu Doãn""".split())
DOC_WORDS = r"(?:ke hoach|huong dan|cong van|ket luan|quyet dinh|nghi quyet|chi thi|thong bao|van ban|to cong tac|ban chi dao)"
ORDINALS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10}
ORDINAL_WORDS = {"nhất": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10}
# Offices whose holder a question may ask for (accent-free, longest first).
OFFICES = ["tong bi thu", "pho bi thu", "bi thu", "pho chu tich", "chu tich", "pho giam doc", "giam doc", "pho truong ban",
           "truong ban", "pho chanh van phong", "chanh van phong", "pho truong phong", "truong phong", "thu truong",
           "to truong", "to pho"]
# "Tổ công tác 278 do ai làm tổ trưởng": a team's office names its team before it
_TEAM = re.compile(r"(?<!\w)to (cong tac(?: dac biet)?|giup viec|thu ky|bien tap)(?: (\d+))?(?!\w)")
# Things a question may ask about that only some documents give: a publisher, a venue, a budget,
# a price, contact details, prizes, a person's birth and home town. Asked of a corpus that never
# mentions one, the question is a near-miss, whatever passage matches its other words.
ASKED_ATTRIBUTES = ["nhà xuất bản", "hội trường", "giá bìa", "giá bán", "khổ sách", "kinh phí", "ngân sách", "số điện thoại",
                    "điện thoại", "email", "trụ sở", "giải thưởng", "ngày sinh", "sinh năm", "quê quán", "tiểu sử", "tuổi",
                    "mẫu báo cáo", "biểu mẫu", "mẫu biểu", "đề cương",
                    # penalties for not carrying a plan out: no plan sets any (the book's figures, "… bị kỷ luật", "bị
                    # xử lý hình sự", are counts, not what a penalty is)
                    "bị xử lý thế nào", "bị xử lý như thế nào", "bị xử lý ra sao", "xử lý kỷ luật", "hình thức kỷ luật",
                    "chế tài", "xử phạt", "bị phạt"]
# … and who does what, asked of one document: its reporters, who compiled something (a team leader is an office: role_question)
ASKED_OF_A_DOCUMENT = ["báo cáo viên", "tuyên truyền viên", "biên soạn"]
# how a refusal names what was asked, where the question's own words would not read ("không nói đến bị xử lý")
_PENALTY = "hình thức xử lý, kỷ luật khi không thực hiện kế hoạch"  # (the book's "kỷ luật Đảng" is about corruption)
_SHOWN_AS = {**{f"bi xu ly {how}": _PENALTY for how in ("the nao", "nhu the nao", "ra sao")}, "xu ly ky luat": _PENALTY,
             "hinh thuc ky luat": _PENALTY, "xu phat": _PENALTY, "bi phat": _PENALTY, "che tai": _PENALTY}
_ACTS = {"bien soan"}  # accent-free; said as "việc biên soạn"
# accent-free forms that are other words as well: "tham gia Ban" holds "gia ban", "cơ quan sử dụng" "quan su"
_AMBIGUOUS_FOLDED = {"gia ban", "quan su", "cong doan"}


@dataclass(frozen=True)
class Phrases:
    """Phrases a question may say, found with their diacritics when the question has them, and
    accent-free when it was typed without, leaving out phrases whose accent-free form is also
    another word ("gia ban": "giá bán" or "tham gia Ban")."""
    accented: re.Pattern
    folded: re.Pattern

    @classmethod
    def of(cls, phrases: list[str]) -> "Phrases":
        ordered = sorted(phrases, key=len, reverse=True)  # the longest phrase wins where two start together
        plain = [fold(p) for p in ordered if fold(p) not in _AMBIGUOUS_FOLDED]
        return cls(re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, ordered))})(?!\w)"),
                   re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, plain))})(?!\w)"))

    def find(self, text: str) -> list[re.Match]:
        """Matches in `text` lowercased (NFC, single-spaced: a match's span is the same in the text
        as typed). A question typed without diacritics whose abbreviations were spelled out with them ("kinh phi
        … cua Thành ủy Yên Bái" from "TU Yen Bai") has its plain words matched accent-free."""
        lowered = text.lower()
        if not has_diacritics(text):
            return list(self.folded.finditer(lowered))
        found = list(self.accented.finditer(lowered))
        taken = [(m.start(), m.end()) for m in found]
        found += [m for m in self.folded.finditer(lowered) if not any(a < m.end() and m.start() < b for a, b in taken)]
        return sorted(found, key=lambda m: m.start())


_ORGANISATIONS = Phrases.of(ORGANISATIONS)
_ATTRIBUTES = Phrases.of(ASKED_ATTRIBUTES)
_OF_A_DOCUMENT = Phrases.of(ASKED_ATTRIBUTES + ASKED_OF_A_DOCUMENT)
_WHO = re.compile(r"\b(ai|ten gi|ten la gi|dong chi nao|nguoi nao|ong nao|ba nao|la ai|ho ten)\b")
# the office of "người đứng đầu" an organisation (accent-free; "ban" keeps its own word: "trưởng ban …")
_HEAD_OF = [("ban", "truong ban"), ("so", "giam doc"), ("uy ban", "chu tich"), ("ubnd", "chu tich"),
            ("mat tran", "chu tich"), ("thanh uy", "bi thu"), ("tinh uy", "bi thu"), ("huyen uy", "bi thu"),
            ("thi uy", "bi thu"), ("dang uy", "bi thu"), ("phong", "truong phong")]
_ORG_START = {"thanh", "tinh", "huyen", "thi", "ubnd", "uy", "so", "dang", "mat", "ban"}
# Unaccented verbs a question may go on with right after a committee ("Huyen uy lay noi dung …"),
# none of them the first syllable of a district's or town's name
_QUESTION_VERBS = set("lay yeu nop gui trien thuc ban hoc giao tham lam dua ghi neu viet doc tra xay".split())
_STOP = set("la gi ai nao bao nhieu khi may thi sao con co khong cua va cac nhung trong o duoc de ve voi cho tu den hay"
            " nhe a the nhu vay do nay kia ay".split())


@dataclass
class Missing:
    kind: str  # place | body | number | count | part | person | issue-date | issue-day | own-number | unplaced | cited | attribute | absent | organisation
    text: str  # as the user wrote it
    context: str = ""  # cited: the documents that cite it; absent: the document asked about

    def message(self) -> str:
        return _MISSING_MESSAGES.get(self.kind, "Tài liệu không nói đến {text}.").format(text=self.text, context=self.context)


# Missing things that are a blank in a document the corpus has (it carries no number, no date), not the
# document, the subject or a detail it never gives: another part of the same question can still be answered.
# (A detail no plan gives — a publisher, a venue, a budget — marks the whole question as asked outside the
# corpus: answering its other part instead was measured and withdrawn, see README.)
FACT_KINDS = {"issue-date", "issue-day", "own-number", "unplaced"}


def refused_for_itself(missing: list[Missing]) -> bool:
    """The refusal names only blanks of documents the corpus has (see FACT_KINDS)."""
    return bool(missing) and all(m.kind in FACT_KINDS for m in missing)


# What a refusal says of each kind of missing thing (Vietnamese, for the user)
_MISSING_MESSAGES = {
    "place": "Kho tài liệu không có văn bản nào của {text}.",
    "body": "Kho tài liệu không có văn bản nào của {text}.",
    "number": "Kho tài liệu không có {text}.",
    "part": "Tài liệu không có {text}.",
    "person": "Kho tài liệu không nhắc đến {text}.",
    "cited": "Kho tài liệu không có {text}; văn bản này chỉ được nhắc đến trong {context}.",
    "absent": "{context} không nói đến {text}.",
    "organisation": "Các tài liệu trong kho không nhắc đến {text}.",
    "attribute": "Các tài liệu trong kho không nói đến {text}.",
    "issue-date": "{text} không ghi ngày ban hành.",
    "issue-day": "{text} chỉ ghi {context}, không ghi ngày cụ thể.",
    "own-number": "{text} không ghi số hiệu.",
    "unplaced": "{text} không nêu tên {context}.",
}


def as_typed(original: str, start: int, end: int, folded: str) -> str:
    """The original spelling of a piece found in the accent-free form (same length when the
    text is NFC and single-spaced, which `understand` guarantees)."""
    return (original[start:end] if len(original) == len(folded) else folded[start:end]).strip()


def missing_entities(question: str, expanded: str, corrected: str, lex: Lexicon) -> list[Missing]:
    """Named things in the question the corpus does not have. `question` is the text as typed
    (wrapper removed), `expanded` with abbreviations spelled out, `corrected` also re-spelled."""
    out: list[Missing] = []
    f_exp = squash_spaces(fold(expanded).lower())
    typed_plain = fold(question) == question.lower()  # typed without diacritics
    # places: a province name after an admin word, or capitalised as typed
    for name in PROVINCES:
        fname = fold(name).lower()
        for m in re.finditer(rf"(?<!\w){re.escape(fname)}(?!\w)", f_exp):
            before = f_exp[max(0, m.start() - 30):m.start()]
            capital = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", expanded) is not None
            if (capital or re.search(rf"{ADMIN}\s*$", before)) and not lex.occurs(fname):
                out.append(Missing("place", _with_admin(expanded, f_exp, m.start(), m.end())))
    covered = {fold(m.text).lower() for m in out}
    # capitalised names right after an admin word ("Huyện ủy Mường Chà", "Thị ủy Sơn Tây")
    toks = _tokens(expanded)
    for i, (word, end_punct) in enumerate(toks):
        lead = _admin_before(toks, i)
        if not lead or not word[:1].isupper() or word.isupper():
            continue
        run = [word]
        j = i + 1
        while not toks[j - 1][1] and j < len(toks) and len(run) < 3 and toks[j][0][:1].isupper() and not toks[j][0].isupper():
            run.append(toks[j][0])
            j += 1
        fname = fold(" ".join(run)).lower()
        if not lex.occurs(fname) and not any(fname in c or c in fname for c in covered):
            out.append(Missing("place", f"{lead} {' '.join(run)}"))
            covered.add(fname)
    # names typed without diacritics or capitals after a committee word ("thi uy son tay"):
    # a word the corpus never uses right after it
    for m in re.finditer(r"(?<!\w)(tinh uy|thanh uy|huyen uy|thi uy|quan uy) (\w+) ?(\w+)?(?: (\w+))?", f_exp if typed_plain else ""):
        w1, w2, w3 = m.group(2), m.group(3) or "", m.group(4) or ""
        if w1 in _STOP or lex.known_folded(w1) or lex.occurs(f"{m.group(1)} {w1}") or any(w1 in c for c in covered):
            continue
        if lex.occurs(f"{w1} {w2}".strip()) or (not w2 and lex.occurs(w1)):
            continue
        if w1 in _QUESTION_VERBS and w2 and (w2 in _STOP or w3 and lex.occurs(f"{w2} {w3}")):
            # "huyen uy lay noi dung …": a verb the question goes on with ("lấy nội dung"), not a
            # place, nor is one the question's own words follow ("huyen uy lay o dau"); a one-syllable
            # name stays one ("thanh uy vinh to chuc …": Vinh)
            continue
        one_word = not w2 or (w3 and lex.occurs(f"{w2} {w3}"))  # "vinh to chuc": the name is "vinh"
        out.append(Missing("place", as_typed(expanded, m.start(), m.end(2) if one_word else m.end(3), f_exp)))
        covered.add(w1)
    # bodies: "Sở Tư pháp", "Phòng Y tế", "Ban Dân vận", "Quận ủy"
    for m in re.finditer(r"(?<!\w)(so|phong) (" + "|".join(sorted(DEPARTMENTS, key=len, reverse=True)) + r")(?!\w)", f_exp):
        if not lex.occurs(m.group(0)):
            out.append(Missing("body", _title(expanded, f_exp, m.start(), m.end())))
    for m in re.finditer(r"(?<!\w)ban (" + "|".join(BOARDS) + r")(?!\w)", f_exp):
        if not lex.occurs(m.group(0)):
            out.append(Missing("body", _title(expanded, f_exp, m.start(), m.end())))
    for m in _ORGANISATIONS.find(expanded):
        if not lex.occurs(fold(m.group(0))) and not any(fold(m.group(0)) in fold(x.text) for x in out):
            out.append(Missing("organisation", _title(expanded, expanded, m.start(), m.end())))
    for m in re.finditer(r"(?<!\w)quan uy(?!\w)", f_exp):
        if not lex.occurs("quan uy") and not any("quan uy" in fold(x.text).lower() for x in out):
            out.append(Missing("body", _title(expanded, f_exp, m.start(), m.end())))
    # document numbers: "kế hoạch 206", "hướng dẫn số 12", "tổ công tác 279"
    for m, head in _document_numbers(f_exp):
        n = m.group(1).lstrip("0") or "0"
        if not _number_known(lex, n, head):
            out.append(Missing("number", squash_spaces(as_typed(expanded, m.start(), m.end(), f_exp))))
    # counted things: "1000 đại biểu" when the corpus counts đại biểu with other numbers only
    if not re.search(r"\b(bao nhieu|may|bn)\b", f_exp):
        for m in re.finditer(rf"{NOT_AFTER_A_TIME_WORD}(?<![\w/.-])(\d[\d.]*)\s+([a-z]+ [a-z]+)", f_exp):
            n = m.group(1).replace(".", "").lstrip("0")
            if not n or re.fullmatch(r"(19|20)\d\d", n):
                continue
            if re.search(rf"(?:{DOC_WORDS}|phu luc|muc|phan|dieu|khoan|cau hoi|cau)\s*(?:so\s*)?$", f_exp[:m.start()]):
                continue  # "Hướng dẫn 17, báo cáo nhanh …", "Phụ lục 01 KH 205": a label's number, not a count
            if re.search(r"\b(?:trong|giua|ca)\s*$", f_exp[:m.start()]):
                continue  # "trong 3 văn bản mà KH MTTQ căn cứ": the asker's own tally of what a plan lists, no claim
            seen = lex.counted.get(m.group(2))
            if seen and n not in seen:
                out.append(Missing("count", squash_spaces(as_typed(expanded, m.start(), m.end(), f_exp))))
    # numbered parts: "phần thứ tư" when the corpus names "phần thứ nhất/hai/ba" only
    for m in re.finditer(r"(?<!\w)(\w+) thứ (\w+)", canonical(corrected)):
        noun, ordw = m.group(1), m.group(2)
        named = lex.ordinal_names.get(noun)
        if named and ordw in ORDINAL_WORDS and ordw not in named and not ordw.isdigit():
            out.append(Missing("part", m.group(0)))
    # what is asked about: "nhà xuất bản nào", "tại hội trường nào", "kinh phí … từ nguồn nào", when
    # the corpus never mentions it (a plan that gives its venue or budget makes it answerable)
    for m in _ATTRIBUTES.find(expanded):
        if not lex.occurs(fold(m.group(0))) and _asked_attribute(expanded, m):
            out.append(Missing("attribute", _SHOWN_AS.get(fold(m.group(0)).lower(), m.group(0))))
    # people, capitalised: "Nguyễn Văn A" not in the corpus
    for name in person_names(question):
        if not lex.occurs(fold(name).lower()) and not any(fold(name).lower() in fold(x.text).lower() for x in out):
            out.append(Missing("person", name))
    return _dedupe(out)


# "ở chi bộ hay phải lên hội trường huyện?": the thing the corpus lacks is the other choice of an either-or, whose
# first choice the documents may settle
_OR_BEFORE = re.compile(r"\b(?:hay|hay la|hoac)(?: \w+){0,3} $")


def _other_choice(text: str, start: int) -> bool:
    return bool(_OR_BEFORE.search(" " + " ".join(re.findall(r"\w+", fold(text[:start]).lower())) + " "))


def _asked_attribute(text: str, m: re.Match) -> bool:
    """The attribute phrase found is asked about: not the medium of something ("trên trang thông tin"), not the
    other choice of an either-or, and not a word of another phrase ("tuổi trẻ" is the young, no age)."""
    if fold(m.group(0)) == "tuoi" and re.match(r"\s+(?:tre|tho|xuan)\b", fold(text[m.end():]).lower()):
        return False
    return not _as_medium(text, m.start()) and not _other_choice(text, m.start())


_ADMIN_WORDS = [("Tỉnh", "ủy"), ("Thành", "ủy"), ("Huyện", "ủy"), ("Thị", "ủy"), ("Quận", "ủy"), ("Đảng", "ủy"),
                ("thành", "phố"), ("thị", "xã"), ("tỉnh",), ("huyện",), ("quận",), ("xã",), ("phường",)]


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Words with a flag: punctuation follows the word (a name does not run across it)."""
    out = []
    for m in re.finditer(r"\S+", text):
        raw = m.group()
        word = raw.strip(".,;:!?()“”\"'…")
        if word:
            out.append((word, raw != raw.rstrip(".,;:!?()“”\"'…")))
    return out


def _admin_before(toks: list[tuple[str, bool]], i: int) -> str:
    for words in _ADMIN_WORDS:
        n = len(words)
        if i >= n and not toks[i - 1][1] and all(fold(toks[i - n + k][0]).lower() == fold(w).lower() for k, w in enumerate(words)):
            return " ".join(t for t, _ in toks[i - n:i])
    return ""


@dataclass(frozen=True)
class Renumbered:
    """A document number the corpus lacks, typed with two digits swapped ("Kế hoạch 250" for the
    corpus's 205): read as the number the corpus has, and said so in the answer."""
    typed: str  # "Kế hoạch 250", as typed
    number: str  # "205"

    def message(self) -> str:
        return (f"Lưu ý: kho tài liệu không có {self.typed}; câu trả lời dưới đây theo "
                f"{self.typed.rsplit(maxsplit=1)[0]} {self.number}.")


def renumbered(expanded: str, lex: Lexicon) -> tuple[str, list[Renumbered]]:
    """`expanded` with each document number the corpus lacks, whose digits in another order are a
    number the corpus has after the same document word, replaced by that number. A swapped pair
    is the commonest slip in typing a number; any other unknown number stays a near-miss
    (missing_entities: "Kế hoạch 315" is refused)."""
    f_exp = fold(expanded).lower()
    if len(f_exp) != len(expanded):
        return expanded, []
    out, found, pos = [], [], 0
    for m, head in _document_numbers(f_exp):
        typed = m.group(1)
        if len(typed) < 2 or typed.startswith("0") or _number_known(lex, typed, head):
            continue
        swapped = sorted({"".join(p) for p in permutations(typed)} - {typed})
        known = [n for n in swapped if not n.startswith("0") and _number_known(lex, n, head)]
        if len(known) != 1:
            continue  # none, or no telling which
        found.append(Renumbered(squash_spaces(as_typed(expanded, m.start(), m.end(), f_exp)), known[0]))
        out += [expanded[pos:m.start(1)], known[0]]
        pos = m.end(1)
    return "".join(out) + expanded[pos:], found


def _document_numbers(folded: str):
    """(match, document word) of each "kế hoạch 206", "hướng dẫn số 12", "ban chỉ đạo 53" in the
    accent-free text; the match's group 1 is the number."""
    for m in re.finditer(rf"(?<!\w){DOC_WORDS}\s*(?:so\s*)?(\d{{1,5}})(?![\d/])", folded):
        yield m, m.group(0).rsplit(" ", 1)[0].replace(" so", "")


def _number_known(lex: Lexicon, n: str, head: str) -> bool:
    """The corpus writes number n as a document code ("126-KH/TU"), after "số", or after the
    document word the question used ("kế hoạch 205")."""
    return any(n in lex.numbers_after(lead) for lead in (lex.CODE, "so", re.escape(head)))


def _with_admin(original: str, folded: str, start: int, end: int) -> str:
    """'Tỉnh ủy Thanh Hóa' from the position of 'Thanh Hóa' (the admin word in front, if any)."""
    m = re.search(rf"{ADMIN}\s*$", folded[max(0, start - 30):start])
    s = start - (len(m.group(0)) if m else 0)
    piece = original[s:end] if len(original) == len(folded) else folded[s:end]
    return piece.strip()


def _title(original: str, folded: str, start: int, end: int) -> str:
    piece = original[start:end] if len(original) == len(folded) else folded[start:end]
    return piece[:1].upper() + piece[1:]


def _dedupe(items: list[Missing]) -> list[Missing]:
    out, seen = [], set()
    for m in items:
        key = fold(m.text).lower()
        if any(key in s or s in key for s in seen):
            continue
        seen.add(key)
        out.append(m)
    return out


_NOT_NAME = {"Ủy", "Uỷ", "Phó", "Bí", "Chủ", "Trưởng", "Ban", "Thành", "Tỉnh", "Huyện", "Thị", "Giám", "Chánh", "Tổng",
             "Trung", "Đảng", "Văn phòng", "Sở", "Phòng", "Ủy viên", "Thường", "Chỉ"}


def person_names(text: str) -> list[str]:
    """Capitalised names that start with a Vietnamese surname ("Đỗ Văn Nghị"); a name stops at
    punctuation and at the words offices begin with ("Đỗ Đức Minh Ủy viên …")."""
    toks = _tokens(text)
    names, i = [], 0
    while i < len(toks):
        w, stop = toks[i]
        if w in SURNAMES and not stop:
            run = [w]
            j = i + 1
            while j < len(toks) and len(run) < 4:
                nxt, nstop = toks[j]
                if not nxt[:1].isupper() or nxt.isupper() or nxt in _NOT_NAME:
                    break
                run.append(nxt)
                j += 1
                if nstop:
                    break
            if len(run) >= 2:
                names.append(" ".join(run))
                i = j
                continue
        i += 1
    return names


# --- offices ------------------------------------------------------------------------------------

@dataclass
class Holder:
    name: str
    role: str  # as written ("Phó Chủ tịch UBND thành phố")
    doc_id: str
    chunk_id: str
    key: str  # accent-free, abbreviations spelled out


@dataclass
class RoleQuestion:
    office: str  # accent-free office head ("chu tich")
    deputy: bool  # "phó …"
    qualifier: list[str]  # accent-free words after the office ("uy", "ban", "nhan", "dan", …)
    text: str  # the office as asked, for messages


def role_question(folded_question: str, question: str = "") -> RoleQuestion | None:
    """'chủ tịch UBND thành phố Yên Bái là ai' → the office asked for; None when the question
    does not ask who holds an office (or names no organisation after it). `question`: the same
    text with its diacritics, so messages name the office as the user wrote it."""
    if not _WHO.search(folded_question) or re.search(r"\bky\b", folded_question):
        return None
    typed, typed_folded = question, folded_question
    named_office = any(re.search(rf"(?<!\w){o}(?!\w)", folded_question) for o in OFFICES)
    for head, office in ([] if named_office else _HEAD_OF):  # "người đứng đầu Ban Tuyên giáo …" is its "trưởng ban"
        folded_question = re.sub(rf"\bnguoi dung dau (?:cua )?{head}\b", f"{office} {head}".replace("ban ban", "ban"),
                                 folded_question)
    for office in OFFICES:
        m = re.search(rf"(?<!\w)(pho )?{office}(?!\w)", folded_question)
        if not m:
            continue
        rest = folded_question[m.end():]
        words = [w for w in re.findall(r"\w+", rest)]
        qual = []
        for i, w in enumerate(words):
            if w == "cua" and qual and words[i + 1:i + 2] and words[i + 1] in _ORG_START:
                continue  # "trưởng ban tuyên giáo của Thành ủy Yên Bái": whose office it is goes on
            # "… là đồng chí nào": "đồng chí" ends it; "chỉ" of "Ban Chỉ đạo 35" does not
            if w in _STOP or w in ("ten", "nguoi", "ong") or (w == "dong" and words[i + 1:i + 2] == ["chi"]) \
                    or (w == "hien" and words[i + 1:i + 2] in (["nay"], ["tai"], ["gio"])):  # "Giám đốc Sở hiện nay"
                break
            qual.append(w)
        team = _TEAM.search(folded_question) if office.startswith("to ") and not qual else None
        if team:  # the team is the organisation: "tổ trưởng" of "Tổ công tác 278"
            qual = ["to", *team.group(1).split(), *([team.group(2)] if team.group(2) else [])]
        if not qual:
            return None
        deputy = office.startswith("pho ") or bool(m.group(1))
        head = office.removeprefix("pho ")
        text = squash_spaces(m.group(0) + " " + " ".join(qual))
        written = folded_question.find(text, m.start())
        if team and len(question) == len(folded_question):
            text = f"{question[m.start():m.end()]} {question[team.start():team.end()]}"
        elif len(typed) == len(typed_folded):  # as the user wrote it, "của" and "người đứng đầu" included
            text = _as_written(typed, typed_folded, text, qual) or (
                question[written:written + len(text)] if written >= 0 and folded_question == typed_folded else text)
        return RoleQuestion(office=head, deputy=deputy, qualifier=qual, text=text)
    return None


def _as_written(typed: str, typed_folded: str, office_text: str, qual: list[str]) -> str:
    """The piece of the typed question that names the office: from the office (or "người đứng đầu") through
    the last word of its organisation."""
    first = office_text.split()[0]
    start = next((m.start() for m in re.finditer(rf"\b(?:nguoi dung dau|{re.escape(first)})\b", typed_folded)), -1)
    if start < 0 or not qual:
        return ""
    pos, end = start, -1
    for word in qual:
        m = re.compile(rf"\b{re.escape(word)}\b").search(typed_folded, pos)
        if not m:
            return ""
        pos = end = m.end()
    return typed[start:end]


@dataclass
class RoleIndex:
    holders: list[Holder] = field(default_factory=list)

    @classmethod
    def build(cls, chunks, documents: dict[str, dict], lex: Lexicon) -> "RoleIndex":
        holders: list[Holder] = []

        def add(name: str, role: str, doc_id: str, chunk_id: str) -> None:
            role = squash_spaces(role.strip(" ,;-–:"))
            if role:
                key = squash_spaces(fold(lex.expand(role)).lower())
                holders.append(Holder(name=name, role=role, doc_id=doc_id, chunk_id=chunk_id, key=key))

        for c in chunks:
            if c.kind == "signature":
                lines = [x.strip() for x in c.text.split("\n") if x.strip()]
                signed = documents.get(c.doc_id, {}).get("signed_by", "")
                if len(lines) >= 2:
                    name = lines[-1]
                    role = signed.split(",", 1)[1] if "," in signed else lines[-2]
                    add(name, role, c.doc_id, c.chunk_id)
                continue
            # "Đ/c Tạ Ngọc Hoa, Phó Chủ tịch UBND thành phố" and "đồng chí X, Trưởng Ban …"
            for cell in re.split(r";|\n|\t", c.text):
                for name in person_names(cell):
                    found = re.search(r"\s+".join(map(re.escape, name.split())), cell)
                    if not found:
                        continue
                    after = cell[found.end():]
                    for seg in re.split(r",", after)[:4]:
                        seg = seg.strip(" -–")
                        if seg and fold(seg).lower().split()[:1] and _starts_with_office(fold(seg).lower()):
                            add(name, seg, c.doc_id, c.chunk_id)
        return cls(holders)

    def find(self, q: RoleQuestion, docs: dict[str, dict]) -> tuple[list[Holder], list[Holder]]:
        """Holders of exactly the office asked, and holders of a related office (the deputy,
        or the same office elsewhere) for an honest refusal. The organisation words after the
        office (place names aside) must all be in the holder's role — or, for a signer whose
        role names no organisation ("Phó Giám đốc"), in the issuer of the document."""
        wanted = _drop_places(q.qualifier)[:3]
        exact, related = [], []
        for h in self.holders:
            deputy = h.key.startswith("pho ")
            body = h.key[4:] if deputy else h.key
            if not body.startswith(q.office):
                continue
            rest = set(re.findall(r"\w+", body[len(q.office):]))
            if not rest:
                rest = set(re.findall(r"\w+", fold(docs.get(h.doc_id, {}).get("issuer", "")).lower()))
            org_ok = all(w in rest for w in wanted)
            if deputy == q.deputy and org_ok:
                exact.append(h)
            elif org_ok:
                related.append(h)
        return exact, related


def _drop_places(words: list[str]) -> list[str]:
    text = " " + " ".join(words) + " "
    for name in PROVINCES:
        text = text.replace(" " + fold(name).lower() + " ", " ")
    return text.split()


def _starts_with_office(folded: str) -> bool:
    return any(re.match(rf"(pho )?{o}\b", folded) for o in OFFICES) or folded.startswith("uy vien")


# --- tables -------------------------------------------------------------------------------------

def table_columns(chunks) -> dict[str, str]:
    """Column names of the corpus's tables (from row passages "NAME: value; …"), accent-free
    distinctive words → the column name as written."""
    names: dict[str, str] = {}
    for c in chunks:
        if c.kind != "row":
            continue
        for k, m in enumerate(re.finditer(r"(?:^|; )([A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ ]{1,40}):", c.text)):
            if k >= 2:  # the number and the content columns identify the row; the others are asked for
                names[m.group(1).strip()] = m.group(1).strip()
    words: dict[str, set[str]] = {n: set(fold(n).lower().split()) for n in names}
    out: dict[str, str] = {}
    for n, ws in words.items():
        others = set().union(*(w for m, w in words.items() if m != n)) if len(words) > 1 else set()
        own = ws - others
        if own:
            out[" ".join(w for w in fold(n).lower().split() if w in own)] = n
    return out


# How people ask for the usual columns of an assignment table without their names (accent-free; the key is
# the column's name as `table_columns` mines it): "ai chịu trách nhiệm chính và ai được giao hỗ trợ"
# ("ai phụ trách" is as often the body in charge as its leader: both columns answer it)
COLUMN_PARAPHRASES = {
    "chu tri": ["chiu trach nhiem chinh", "dung ra chu tri", "don vi chinh", "truc tiep dam nhiem", "ai phu trach"],
    "phoi hop": ["ho tro", "cung thuc hien", "cung tham gia"],
    "thoi gian hoan thanh": ["thoi diem hoan tat", "thoi han hoan thanh", "han hoan thanh", "moc hoan thanh"],
    "lanh dao phu trach": ["vi lanh dao", "lanh dao nao", "dong chi lanh dao", "ai phu trach", "nguoi phu trach",
                           "dong chi nao phu trach"],
}


def asked_columns(folded_question: str, columns: dict[str, str]) -> list[str]:
    """The table columns a question asks for, in the order it names them ("ai chủ trì … và lãnh
    đạo nào phụ trách" asks two); longer names first, each stretch of the question read once."""
    taken: list[tuple[int, int, str]] = []
    said = [(p, name) for words, name in columns.items() for p in COLUMN_PARAPHRASES.get(words, [])] + list(columns.items())
    for words, name in sorted(said, key=lambda kv: -len(kv[0])):
        # a question word may stand inside the column's name: "lãnh đạo nào phụ trách"
        pattern = r"\s+(?:(?:nao|gi|ai)\s+)?".join(map(re.escape, words.split()))
        for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", folded_question):
            # (a stretch read once, unless a paraphrase of two columns: "ai phụ trách")
            if not any(a < m.end() and m.start() < b and (a, b) != m.span() for a, b, _ in taken):
                taken.append((m.start(), m.end(), name))
    return list(dict.fromkeys(name for _, _, name in sorted(taken)))


def row_cells(text: str) -> list[tuple[str, str, int, int]]:
    """(column, value, start, end) of every cell of a row passage; start/end cover "NAME: value"."""
    cells = []
    for m in re.finditer(r"([A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ ]{1,40}): (.*?)(?=; [A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ ]{1,40}: |$)", text, re.S):
        cells.append((m.group(1).strip(), m.group(2), m.start(), m.end()))
    return cells


# --- numbered items -----------------------------------------------------------------------------

def ordinal(text: str) -> int | None:
    """The item number a question asks for: "thứ năm", "thứ 4", "đầu tiên"; `positions.LAST` for the
    last item of a list ("nơi nhận cuối cùng", "ý cuối": a list's item named before it, so "hạn cuối cùng"
    is no position)."""
    t = canonical(text)
    m = re.search(r"(?<!\w)thứ (\d{1,2}|nhất|hai|ba|tư|bốn|năm|sáu|bảy|tám|chín|mười)(?!\w)", t)
    if m:
        v = m.group(1)
        return int(v) if v.isdigit() else ORDINAL_WORDS[v]
    if re.search(r"(?<!\w)đầu tiên(?!\w)", t):
        return 1
    # typed without diacritics: "gia tri thu 4", "bai hoc thu hai" ("thu tu" is "thứ tự", order; "thu hoach" no place)
    m = re.search(r"(?<!\w)thu (\d{1,2}|nhat|hai|ba|bon|sau|bay|tam|chin|muoi)(?!\w)", t)
    if m:
        return int(m.group(1)) if m.group(1).isdigit() else ORDINALS[m.group(1)]
    last = _POSITION.search(fold(t).lower())
    if last and last.group("last"):
        from .positions import LAST

        return LAST
    return None


def list_position(text: str) -> int | None:
    """The place of a list's item a question asks for, where it names the item before the place ("ý thứ
    hai", "nơi nhận cuối cùng", "gạch đầu dòng thứ 3", "dòng số 4", "ý 1", typed with or without diacritics):
    `positions.LAST` for the last, `positions.COUNT` for "có mấy nơi nhận"; not "lần thứ hai" or "Hội nghị lần
    thứ 4". "Mục 6", "mục thứ hai" are a place only inside a part the question names ("mục 6 phần tổ chức thực
    hiện"): alone they are a section of the plan (rag.sections); "mục cuối" is the last item."""
    from .positions import COUNT, LAST

    f = fold(canonical(text)).lower()
    m = _POSITION.search(f)
    if m:
        word = m.group("word") or m.group("bare")
        if m.group("first"):
            return 1
        if m.group("last"):
            return LAST
        if m.group("noun") in ("muc", "phan") and not re.search(r"\bphan\b", f[m.end():]):
            return None  # ("mục thứ hai" alone is a section of the plan: rag.sections, retrieve.has_item)
        return _place_number(word)
    return COUNT if _ITEM_COUNT.search(f) else None


# nouns naming the place only ("ý thứ hai", "dòng 4", "mục cuối"): the list is whichever one was just quoted
_BARE_PLACES = {"y", "muc", "dong", "noi", "gach dau dong", "dau dong"}


def position_list_noun(text: str) -> str | None:
    """The list a place asked names by what its items are ("mục đích thứ hai": "muc dich", accent-free);
    None for a bare place ("ý thứ hai") or no place."""
    m = _POSITION.search(fold(canonical(text)).lower())
    return m.group("noun") if m and m.group("noun") not in _BARE_PLACES else None


def names_a_section(text: str) -> bool:
    """The place asked is a "mục" or a "phần" ("mục 6 phần tổ chức thực hiện"): a sub-section, which the part
    the question names must hold."""
    m = _POSITION.search(fold(canonical(text)).lower())
    return bool(m) and m.group("noun") in ("muc", "phan") and not m.group("last")


def second_position(text: str) -> int | None:
    """A second place asked of the same list right after the first: "nơi nhận đầu tiên và cuối cùng", "ý thứ
    hai và thứ ba"."""
    f = fold(canonical(text)).lower()
    m = _POSITION.search(f)
    if not m:
        return None
    more = re.match(r"\s*(?:va|voi|,)\s+(?:(?:thu|so) (\d{1,2}|nhat|hai|ba|tu|bon|nam|sau|bay|tam|chin|muoi)|(dau tien)"
                    r"|(cuoi cung|cuoi|sau cung))(?!\w)", f[m.end():])
    if not more:
        return None
    from .positions import LAST

    if more.group(2):
        return 1
    if more.group(3):
        return LAST
    return _place_number(more.group(1))


def _place_number(word: str) -> int | None:
    """"4", "hai" (accent-free) as a place counted from 1."""
    n = int(word) if word.isdigit() else ORDINALS.get(word)
    return n or None


# the items of a plan's lists, named before their place: "nơi nhận cuối cùng", "gạch đầu dòng thứ 3", "ý cuối"
# ("điểm" is left out: "cao điểm đầu tiên", "thời điểm", "địa điểm" are a peak, a time and a place, no item)
LIST_ITEM_NOUNS = ("y", "muc", "noi nhan", "gach dau dong", "dau dong", "viec", "nhiem vu", "noi dung", "yeu cau",
                   "muc dich", "hinh thuc", "hoat dong", "tai lieu", "giai phap", "don vi", "thanh phan", "bai hoc")
_NOUNS = "|".join(LIST_ITEM_NOUNS + ("dong", "noi", "co quan"))  # (a table's "dòng", "nơi cuối", "cơ quan thứ 2")
_POSITION = re.compile(r"(?<!\w)(?P<noun>" + _NOUNS + r") (?:(?:thu|so) (?P<word>\d{1,2}|nhat|hai|ba|tu|bon|nam|sau"
                       r"|bay|tam|chin|muoi)|(?P<bare>\d{1,2})|(?P<first>dau tien)|(?P<last>cuoi cung|cuoi|sau cung))"
                       r"(?![\w/.])(?! (?:nam|thang|quy|tuan|ky|dot)\b)")
# (not "hoạt động cuối năm", "mục 2/2023")
# "có mấy nơi nhận", "bảng có bao nhiêu dòng", "phần nhiệm vụ có mấy ý": how many items a list has (not "ý kiến")
_ITEM_COUNT = re.compile(r"\b(?:may|bao nhieu) (?:y|muc|noi nhan|noi|gach dau dong|dau dong|dong|co quan)\b"
                         r"(?! (?:kien|dung)\b)")


_ITEM = re.compile(r"\((\d{1,2})\)\.?\s*")


def list_items(text: str) -> list[tuple[int, int, int]]:
    """(number, start, end) of the enumerated items "(1) …; (2) …" of a passage."""
    marks = list(_ITEM.finditer(text))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        # an item ends at the next marker, or at the end of its sentence/line
        seg = text[m.end():end]  # (after its marker: "(1). Tác phẩm …" is no sentence ended at "(1).")
        stop = re.search(r"\n|(?<=[.])\s+(?=[A-ZĐ])", seg)
        if stop and i + 1 == len(marks):
            end = m.end() + stop.start()
        out.append((int(m.group(1)), m.start(), end))
    return out


# "Kế hoạch của Huyện ủy được ban hành ngày nào?": the document itself is the subject and its
# date is asked (not a deadline it sets for issuing other plans: "ban hành kế hoạch trước ngày …"; "giao"
# as in "giao cho", not in "Ban Tuyên giáo")
_WHEN = (r"(?:ngay nao|ngay may|khi nao|bao gio|luc nao|thoi gian nao|ngay bao nhieu|ngay thang nao|thang nao|thang may"
         r"|nam nao|(?:ngay,? )?thang,? (?:va )?nam nao)")
_ISSUE_DATE = re.compile(r"^(?:van ban|ke hoach|huong dan|cong van|bao cao|tai lieu|kh|hd)\b(?:(?!\b(?:ban hanh|phat hanh|yeu cau|giao(?= cho| nhiem vu| viec)|de nghi|chi dao|cac(?! ke hoach)|moi"
                         r"|quy dinh|noi|phai|(?<!cac )ke hoach|bao cao)\b).)*?"
                         rf"\b(?:duoc |da )?(?:ban hanh|phat hanh|ky|ra doi) (?:vao |tu )?{_WHEN}")
# "Thành ủy Yên Bái ban hành KH 205 ngày nào?": the issuer first, then the document it issued — not a lower
# level issuing its own plan ("các chi bộ ban hành kế hoạch triển khai trước ngày nào", a deadline)
_ISSUER_ISSUED = re.compile(r"^(?!(?:van ban|ke hoach|huong dan|kh|hd)\b)(?!.*\b(?:cac|chi bo|co so|cap uy|cap duoi|dang bo|don vi|truc thuoc|xa|phuong"
                            r"|yeu cau|de nghi|(?<!tuyen )giao|chi dao|phai|quy dinh|theo|huong dan|bat|bao|can|doi|muon|nhac|de|cho)\b.*?\b(?:ban|phat) hanh)"
                            r"(?=(?:\w+ ){0,7}?(?:uy|ban|so|mat tran|ubnd|ubmttq)\b)(?!(?:\w+ ){0,3}?(?:han|thoi han)\b)"
                            r"(?:\w+ ){1,8}?(?:da |duoc )?(?:ky )?(?:ban hanh|phat hanh) (?:van ban|ke hoach|huong dan|cong van|kh|hd)\b"
                            rf"[^?,]{{0,40}}?\b(?:vao )?{_WHEN}")
# "Thế KH của Huyện ủy … thì ký ban hành ngày mấy?": a follow-up's lead before the document
FOLLOWUP_LEAD = re.compile(r"^(?:the con|vay con|the|con|vay|va)\s+")


# "Kế hoạch 205 mang ngày ban hành nào?", "… có ngày ký là ngày nào?": the issue date named as a noun
_ISSUE_DATE_NOUN = re.compile(r"^(?:van ban|ke hoach|huong dan|cong van|kh|hd)\b(?:(?!\b(?:yeu cau|giao|de nghi|chi dao|quy dinh"
                              r"|phai|bao cao|cac)\b).)*?\bngay (?:ban hanh|ky)(?: la| cua no)?(?: ngay)? (?:nao|gi|bao nhieu|may)\b")
# "Căn cứ phụ lục đi kèm, kế hoạch 205 …", "Theo tài liệu, kế hoạch …": a framing before the document asked about
_FRAMING = re.compile(r"(?:theo|can cu|dua vao|trong)\b.*?(?=\b(?:van ban|ke hoach|huong dan|cong van|kh|hd)\b)")


def asks_issue_date(question: str) -> bool:
    folded = FOLLOWUP_LEAD.sub("", fold(question).lower().strip())
    framed = _FRAMING.match(folded)
    return any(p.search(text) for p in (_ISSUE_DATE, _ISSUE_DATE_NOUN, _ISSUER_ISSUED)
               for text in ([folded, folded[framed.end():]] if framed else [folded]))


def own_numbers_only(question: str, meta: dict) -> bool:
    """Whether every number in the question is the document's own number (or there is none):
    "Kế hoạch 205 …" asks about plan 205-KH/TU itself; "Kế hoạch 143-KH/TU của Tỉnh ủy …",
    matched to the Huyện ủy plan that cites it, asks about another document."""
    own = re.match(r"^\s*(\d+)", meta.get("number") or "")
    numbers = [n.lstrip("0") for n in re.findall(r"(?<![\d/])(\d{1,5})(?!\d)", fold(question))]
    return all(own and n == own.group(1).lstrip("0") for n in numbers)


_CITED_IN = re.compile(r"\b(nhac (toi|den)|de cap|dan chieu|vien dan|trich dan|duoc neu|neu ra) (toi |den )?(trong|o|tai)\b")
_QUOTED = re.compile(r"[“\"]([^”\"]{4,})[”\"]")


def about_cited_document(question: str, meta: dict) -> bool:
    """The question asks about a document the named one cites, without its number: "Kế hoạch …
    chủ đề “Giữ trọn lời thề đảng viên”, được nhắc tới trong kế hoạch học tập tác phẩm, ban hành
    ngày nào?" — it says so ("được nhắc tới trong …"), or quotes a name that is not in the named
    document's title. A basis question ("được xây dựng để thực hiện kế hoạch nào …, ban hành ngày
    nào?") asks for the date of the document it implements."""
    folded = fold(question).lower()
    if _CITED_IN.search(folded) or asks_basis_document(question):
        return True
    def words(text: str) -> str:  # punctuation aside: the question may have lost its commas
        return " " + " ".join(re.findall(r"\w+", fold(text).lower())) + " "

    title = words(meta.get("title") or "")
    return any(words(q) not in title for q in _QUOTED.findall(question))


# A cited document asked for by its kind and issuer ("Kế hoạch của Ban Thường vụ Thành ủy mà Mặt
# trận thành phố căn cứ …", "Kế hoạch của Tỉnh ủy được Sở KH&CN nhắc tới …"), accent-free
_KINDS = "ke hoach|huong dan|ket luan|cong van|chi thi|nghi quyet|quyet dinh|thong bao"
_ISSUER_CORE = "tinh uy|thanh uy|huyen uy|thi uy|dang uy khoi|trung uong|ubnd tinh|uy ban nhan dan tinh|mttq tinh|cap tinh|cap huyen"
# "của cấp tỉnh": any issuer of that level ("Tỉnh ủy", "Ban Thường trực Ủy ban MTTQ tỉnh")
_LEVEL = {"cap tinh": r"(?:tinh uy|(?:[a-z]+\s+){0,5}?tinh(?! hinh| than| thuong))",
          "cap huyen": r"(?:huyen uy|(?:[a-z]+\s+){0,5}?huyen)"}
_CITED_ASKED = re.compile(rf"\b({_KINDS})\b(?: so)?( nao| so may| gi)? (?:cua|do) (?:[a-z]+ ){{0,5}}?({_ISSUER_CORE})\b")
# "… mà Mặt trận thành phố căn cứ", "… được Sở KH&CN nhắc tới": the document named is one another cites
_CITED_BY = re.compile(r"^[^?]{0,40}?\b(?:ma|duoc)\b[^?]{0,40}?\b(?:can cu|nhac (?:toi|den)|de cap|dan chieu|thuc hien|trich dan"
                       r"|vien dan|dua vao|dung)\b")


def cited_reference(question: str) -> tuple[str, str] | None:
    """(kind, issuer) of a document the question asks for by who issued it, or None: the last
    one named ("Kế hoạch của Thành ủy Yên Bái thực hiện kế hoạch nào của Tỉnh ủy?" asks the second)."""
    folded = squash_spaces(fold(question))
    # asked for ("kế hoạch nào của Tỉnh ủy"), or said to be cited by another; not the plan asked about
    # itself ("Kế hoạch của Huyện ủy căn cứ vào văn bản nào?")
    found = [m for m in _CITED_ASKED.finditer(folded) if m.group(2) or _CITED_BY.search(folded[m.end():])]
    return (found[-1].group(1), found[-1].group(3)) if found else None


def issuer_reference(question: str) -> tuple[str, str] | None:
    """(kind, issuer) of the first document the question names by who issued it ("kế hoạch của
    Thành ủy"), whether or not it asks for it as a cited one (`cited_reference`)."""
    m = _CITED_ASKED.search(squash_spaces(fold(question)).lower())
    return (m.group(1), m.group(3)) if m else None


def cites(text: str, ref: tuple[str, str], own_number: str = "") -> bool:
    """The passage cites a document of that kind, by number, issued by that issuer ("Kế hoạch
    số 182-KH/TU ngày 20/4/2023 của Ban Thường vụ Thành ủy"), other than its own document."""
    kind, issuer = ref
    issuer = _LEVEL.get(issuer, issuer)
    own = re.match(r"\d+", own_number or "")
    for m in re.finditer(rf"\b{kind}\s*(?:so\s*)?(\d+)[^\n;]{{0,40}}?(?:\b|(?<=\d))cua\s+(?:[a-z]+\s+){{0,6}}?{issuer}\b",
                         fold(text)):
        if not own or m.group(1).lstrip("0") != own.group(0).lstrip("0"):
            return True
    return False


def cited_numbers_named(names: list[str], doc: dict) -> set[str]:
    """The numbers of documents `doc` cites, when `names` (those a question calls it by) are all such numbers ("Kế
    hoạch 182" of the MTTQ plan, which carries out plan 182); empty when a name is the document's own."""
    own = (re.match(r"\d+", doc.get("number") or "") or [""])[0].lstrip("0")
    numbers = {m.group(0).lstrip("0") for n in names for m in [re.search(r"\d+", n)] if m} - {own}
    return numbers if numbers and all(re.search(r"\d", n) for n in names) else set()


def dates_cited_number(names: list[str], doc: dict, text: str) -> bool:
    """`names`, the names a question calls a document by, are all the numbers of documents it cites (not its
    own: "Kế hoạch 182 ban hành ngày nào" of the MTTQ plan, which carries out plan 182), and the passage writes
    one of them with a full date ("Kế hoạch số 182 -KH/TU ngày 20/4/2023 của …"): the date asked."""
    numbers = cited_numbers_named(names, doc)
    if not numbers:
        return False
    folded = fold(text).lower()
    return any(re.search(rf"(?<![\d/]){n}(?!\d)[^\n;]{{0,30}}?\bngay\s*\d{{1,2}}\s*/\s*\d{{1,2}}\s*/\s*\d{{4}}", folded)
               for n in numbers)


def mentions_date(text: str, date: str) -> bool:
    """Whether `text` gives the date `date` ("10/4/2023") in any of the ways documents write it
    ("10/4/2023", "10/04/2023", "ngày 10 tháng 4 năm 2023")."""
    month = re.match(r"^\s*tháng\s+(\d{1,2})\s*/\s*(\d{4})\s*$", date or "", re.IGNORECASE)  # "tháng 4/2023": no day
    if month:
        mo, y = int(month.group(1)), month.group(2)
        return re.search(rf"tháng\s+0?{mo}\s*(?:/|\s+năm\s+){y}(?!\d)", text, re.IGNORECASE) is not None
    m = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$", date or "")
    if not m:
        return False
    d, mo, y = (int(m.group(1)), int(m.group(2)), m.group(3))
    pattern = (rf"(?<!\d)0?{d}\s*/\s*0?{mo}\s*/\s*{y}(?!\d)"
               rf"|ngày\s+0?{d}\s+tháng\s+0?{mo}\s+năm\s+{y}")
    return re.search(pattern, text, re.IGNORECASE) is not None


def _as_medium(text: str, start: int) -> bool:
    """The thing found at `start` is the device something is read on, not a detail asked: "đọc trên điện
    thoại" (but "gửi qua email" asks about the email)."""
    return re.search(r"(?i)\btrên\s*$", text[:start]) is not None


def absent_from_documents(question: str, named: dict, documents: dict[str, dict], derived: set[str],
                          lex: Lexicon) -> list[Missing]:
    """What the question asks of the documents it names that none of them mentions: "Ai là báo
    cáo viên … của Sở KH&CN" when only another plan has reporters, "kinh phí … Kế hoạch 205".
    Another document's passage about it would answer the wrong plan."""
    docs = [d for d in named if d not in derived and d in lex.doc_text]
    if not docs:
        return []
    question = squash_spaces(question)
    for m in _OF_A_DOCUMENT.find(question):
        said = m.group(0)
        if not _asked_attribute(question, m):
            continue
        if not any(re.search(rf"(?<!\w){re.escape(fold(said))}(?!\w)", lex.doc_text[d]) for d in docs):
            title = documents.get(docs[0], {}).get("title", docs[0]).split(":")[0].strip()
            return [Missing("absent", f"việc {said}" if fold(said) in _ACTS else _SHOWN_AS.get(fold(said).lower(), said),
                            title)]
    return []


# "Hướng dẫn của Ban Tuyên giáo Thị ủy … mang số hiệu bao nhiêu?": the document itself is the subject and
# its own number is asked (not one of a plan it implements, cites or asks for)
# ("… là kế hoạch số bao nhiêu": the same document again, after the copula; "còn kế hoạch của Huyện ủy số mấy?" in a
# follow-up)
_FOLLOWUP_MARK = r"(?:(?:the |vay )?con )?"  # "(thế / vậy) còn …" before the document asked about
_OWN_NUMBER = re.compile(rf"^{_FOLLOWUP_MARK}(?:van ban|ke hoach|huong dan|cong van|bao cao|kh|hd)\b"
                         r"(?:(?!\b(?:thuc hien|can cu|theo|nhac|trich|dan chieu|yeu cau|giao(?= cho| nhiem vu| viec)|cua cap"
                         r"|co so|cong van|ke hoach|huong dan|ket luan|nghi quyet|quyet dinh|chi thi|thong bao)\b).)*?"
                         r"\b(?:mang|co|ghi|duoc danh)? ?(?:(?<=\bla )(?:van ban|ke hoach|huong dan|kh|hd) )?(?:(?:so hieu|so|ky hieu) (?:van ban )?(?:la )?(?:bao nhieu|may|gi|nao)"
                         r"|(?:so hieu|so ky hieu|ky hieu) (?:van ban )?(?:ghi )?(?:the nao|ra sao|nhu the nao))\b")


# "Ban Thường trực Ủy ban MTTQ thành phố ban hành kế hoạch … với số hiệu bao nhiêu": the issuer said first, then
# the document it issues (accent-free); read from the document's kind on, the issuer as its own
_ISSUER_FIRST = re.compile(r"^((?:\w+ ){1,12}?)(?:ban hanh|xay dung|ra) (?=(?:van ban|ke hoach|huong dan|kh|hd)\b)")


def _from_the_kind(folded: str) -> str:
    """The question from the document's kind on, its issuer after it: "<issuer> ban hành kế hoạch … số hiệu bao
    nhiêu" reads as "kế hoạch … số hiệu bao nhiêu của <issuer>" (the issuer's level kept for `_asked_as_itself`)."""
    m = _ISSUER_FIRST.match(folded)
    return f"{folded[m.end():].rstrip(' ?')} cua {m.group(1).strip()}" if m else folded


def asks_own_number(question: str, meta: dict) -> bool:
    """"Kế hoạch 205 mang số hiệu gì?", "Kế hoạch của Sở … có ký hiệu văn bản là gì?": the document
    itself is the subject and its own number (or code) is asked, not one it cites."""
    folded = _from_the_kind(fold(question).lower().strip())
    return bool(_OWN_NUMBER.search(folded)) and own_numbers_only(question, meta) \
        and not about_cited_document(question, meta) and _asked_as_itself(folded, meta)


def carries_own_number(text: str, meta: dict) -> bool:
    """The passage writes the document's own number line ("Số 205-KH/TU", "Số: /KH-SKHCN")."""
    number = re.sub(r"\s+", "", meta.get("number") or "")
    return bool(number.strip("/")) and number in re.sub(r"\s+", "", text)


def unnumbered_documents(question: str, named: dict, documents: dict[str, dict], derived: set[str]) -> list[Missing]:
    """When the question asks a named document's own number and none of the named documents
    carries one (in its metadata), say so rather than quote a number it cites."""
    folded = _from_the_kind(fold(question).lower().strip())
    asked = _OWN_NUMBER.search(folded)
    if not named or not asked:
        return []
    docs = [d for d in named if d not in derived and d in documents]
    if not docs or any(re.search(r"\d", documents[d].get("number") or "") for d in docs):  # "/KH-SKHCN": no number
        return []
    if "ky hieu" in asked.group(0) and any((documents[d].get("number") or "").strip(" /") for d in docs):
        return []  # its code ("/KH-SKHCN") is what "ký hiệu" asks, and it has one
    if not all(asks_own_number(question, documents[d]) for d in docs):
        return []  # "Kế hoạch của MTTQ tỉnh số mấy", "kế hoạch … về đợt … Giữ trọn lời thề số mấy": a plan it cites
    if _ALSO_DATED.search(folded) and all((documents[d].get("date") or "").strip() for d in docs):
        return []  # "số hiệu KH Sở KHCN, ngày tháng": the number line, blank number and date, answers both
    return [Missing("own-number", documents[docs[0]].get("title", docs[0]).split(":")[0].strip())]


_ALSO_DATED = re.compile(r"\b(?:ngay|thang|thoi diem|ban hanh)\b")


# "kế hoạch … về / mà / gắn với <topic> …": what the asked plan is about, to hold against the document's title
_QUALIFIED = re.compile(r"\b(?:ve|ma|gan voi|thuc hien|trien khai)\b(.*?)\b(?:mang|co|ghi|so|la)\b")
_LEVELS = ("tinh", "thanh pho", "huyen", "thi xa", "quan", "xa", "phuong")
_POINTING = {"nay", "do", "ay", "cua", "cac", "nhung", "dot", "viec", "tren", "voi"}  # ("… về tác phẩm với số hiệu …")
# how askers name every plan's own subject, whatever its title says ("kế hoạch … về học tập tác phẩm")
_CAMPAIGN_WORDS = {"hoc", "tap", "nghien", "cuu", "quan", "triet", "cuon", "sach", "tac", "pham"}


def _asked_as_itself(folded: str, meta: dict) -> bool:
    """The kind of document asked is the document's own ("kế hoạch" of a plan, not of a guidance),
    every level the question names ("tỉnh", "thành phố") is in its issuer or title, and a topic it
    qualifies the plan with is its title's ("… về đợt sinh hoạt chính trị này", not "… về đợt sinh hoạt
    chính trị Giữ trọn lời thề đảng viên", a plan it cites)."""
    kind = fold(meta.get("kind") or "").lower()
    asked_kind = re.match(rf"\s*{_FOLLOWUP_MARK}(van ban|ke hoach|huong dan|cong van|bao cao|kh|hd)\b", folded)
    if asked_kind and asked_kind.group(1) != "van ban" and {"kh": "ke hoach", "hd": "huong dan"}.get(
            asked_kind.group(1), asked_kind.group(1)) not in kind:
        return False
    own = " " + " ".join(re.findall(r"\w+", fold(f"{meta.get('issuer') or ''} {meta.get('title') or ''}").lower())) + " "
    if not all(f" {level} " in own for level in _LEVELS if re.search(rf"\b{level}\b", folded)):
        return False
    topic = _QUALIFIED.search(folded)
    return topic is None or all(f" {w} " in own for w in re.findall(r"\w+", topic.group(1))
                                if w not in _POINTING and w not in _CAMPAIGN_WORDS)


def undated_documents(question: str, named: dict, documents: dict[str, dict], derived: set[str]) -> list[Missing]:
    """When the question asks when a named document was issued and none of the named documents
    carries a date (in its metadata), say so rather than quote some other date of it."""
    if not named or not asks_issue_date(question):
        return []
    docs = [d for d in named if d not in derived and d in documents]
    if not docs or any((documents[d].get("date") or "").strip() for d in docs):
        return []
    if not all(own_numbers_only(question, documents[d]) and not about_cited_document(question, documents[d]) for d in docs):
        return []  # "Kế hoạch 143-KH/TU … ban hành ngày nào": a plan it cites, whose date it may well give
    meta = documents[docs[0]]
    return [Missing("issue-date", meta.get("title", docs[0]).split(":")[0].strip())]


# A level of administration and its place name after it, on one line: "Thành ủy Yên Bái", "tỉnh Điện Biên".
# The name is one to three capitalised words, not a body or a word starting the next item ("Thành ủy Ban
# Tuyên giáo", "thành phố Các …" in running text).
_LEVEL_WORDS = {"tinh": "tinh", "tinh uy": "tinh", "thanh pho": "thanh pho", "thanh uy": "thanh pho", "huyen": "huyen",
                "huyen uy": "huyen", "thi xa": "thi xa", "thi uy": "thi xa"}
_PLACE_NAME = re.compile(r"(?<!\w)((?i:tỉnh ủy|tỉnh uỷ|tỉnh|thành ủy|thành uỷ|thành phố|huyện ủy|huyện uỷ|huyện|thị ủy|thị uỷ"
                         r"|thị xã))[ \t]+([A-ZĐ][a-zà-ỹđ]+)(?!\w)")
_LEVEL_SPELLED = {"tinh": "tỉnh", "thanh pho": "thành phố", "huyen": "huyện", "thi xa": "thị xã"}
_NOT_PLACE = set("ban các văn phòng thường trung hướng tham cấp tăng đẩy sở đảng ủy uỷ mặt hội chi kế báo tổ thực xây chủ "
                 "phối trên những nơi lưu đồng bí phó trưởng chánh giám".split())
# "Huyện ủy trong KH là huyện nào, thuộc tỉnh nào?": the document's own place asked, by its level (not "quận":
# accent-free, it is the "quan" of "cơ quan nào")
_ASKS_PLACE = re.compile(r"\b(?:la|cua|thuoc|o|tai|ben|o tai)(?: \w+){0,2}? (tinh|thanh pho|huyen|thi xa) nao\b")


# … or, asked of the document a conversation is about, the level alone ("thị xã nào?" then "tỉnh nào vậy?")
_BARE_PLACE = re.compile(r"\s*(?:van ban |(?:the |vay )?con )?(?:tinh|thanh pho|huyen|thi xa) nao(?: vay| the| a| nhi)?\W*$")


def asked_levels(question: str) -> list[str]:
    """The levels whose place the question asks ("… là của huyện nào, tỉnh nào": huyen, tinh)."""
    folded = fold(question).lower()
    if not _ASKS_PLACE.search(folded) and not _BARE_PLACE.match(folded):
        return []
    return list(dict.fromkeys(re.findall(r"\b(tinh|thanh pho|huyen|thi xa) nao\b", folded)))


# the level right after a body's name, across only words naming bodies with it ("… và các đoàn thể chính trị - xã hội
# cấp thị"), not across another document ("Huyện ủy và kế hoạch MTTQ thành phố") or a clause ("… và đơn vị thuộc thị xã")
_QUALIFYING_LEVEL = re.compile(r"^(?: (?:va|voi|cac|may|nhung|doan|the|chinh|tri|xa|hoi|to|chuc|quoc)){0,7}"
                               r" (?:cap (thi|huyen|tinh|thanh pho)|(thi xa|huyen|tinh|thanh pho))\b(?! uy\b)")
_ISSUER_LEVEL = re.compile(r"\b(thi uy|thi xa|huyen uy|huyen|thanh uy|thanh pho|tinh uy|tinh)\b")


def document_levels(meta: dict) -> set[str]:
    """The levels of administration a document's issuer and title name ("Ban Tuyên giáo Thị ủy": thi xa)."""
    own = fold(f"{meta.get('issuer') or ''} {(meta.get('title') or '').split(':')[0]}").lower()
    return {_LEVEL_WORDS[m.group(1)] for m in _ISSUER_LEVEL.finditer(own)}


def bodies_of_another_level(question: str, named: dict[str, list[str]], documents: dict[str, dict]) -> list[str]:
    """Documents named only by their issuer's name where the question puts that body at another level, which
    another named document is of: "MTTQ và đoàn thể cấp thị …" asks about the town's Mặt trận in the Thị ủy's
    guidance, not about the city Mặt trận's own plan."""
    if len(named) < 2:
        return []
    folded = " ".join(re.findall(r"\w+", fold(question).lower()))
    levels = {d: document_levels(documents.get(d, {})) for d in named}
    out = []
    for d, names in named.items():
        if not names or any(re.search(r"\d", n) for n in names):
            continue
        asked = set()
        for name in names:
            words = re.escape(" ".join(re.findall(r"\w+", name)))
            for m in re.finditer(rf"(?<!\w){words}(?!\w)", folded):
                q = _QUALIFYING_LEVEL.match(folded[m.end():])
                if q:
                    asked.add(_LEVEL_WORDS["thi xa" if q.group(1) == "thi" else q.group(1) or q.group(2)])
        if asked and not asked & levels[d] and any(asked & levels[o] for o in named if o != d):
            out.append(d)
    return out


# "Theo KH 205 thì …", "Trong kế hoạch 205, …": the document the rest of the question is about, named by its number
_SCOPED_BY = re.compile(r"^(?:\w+ ){0,6}?(?:theo|trong) (?:ke hoach|kh|huong dan|hd|van ban) (?:so )?(\d+)\b(?: \w+){0,6}?"
                        r"(?: thi|,) (.*)$")
# words before a body's name that make it name a document (its plan), not the body
_DOCUMENT_WORDS = {"ke", "hoach", "kh", "huong", "dan", "hd", "van", "ban", "cua", "ben", "con", "voi"}


def bodies_within_scope(question: str, named: dict[str, list[str]]) -> list[str]:
    """Documents named only by their issuer's name inside the clause a question scopes to another document it
    names by number: "Theo KH 205 thì Mặt trận và các đoàn thể thành phố có trách nhiệm gì" asks what plan 205
    gives the city's Mặt trận, not about the Mặt trận's own plan ("… so với KH của Mặt trận" still names it)."""
    if len(named) < 2:
        return []
    folded = " ".join(re.findall(r"\w+", fold(question).lower()))
    m = _SCOPED_BY.match(folded)
    if not m or not any(any(re.search(rf"(?<!\d){m.group(1)}(?!\d)", n) for n in names) for names in named.values()):
        return []
    clause = f" {m.group(2)} "
    out = []
    for d, names in named.items():
        if not names or any(re.search(r"\d", n) for n in names):
            continue
        said = [re.search(r"(?:(\w+) )?" + re.escape(" ".join(re.findall(r"\w+", n))) + r"(?!\w)", clause) for n in names]
        if all(x is not None and x.group(1) not in _DOCUMENT_WORDS for x in said):  # (the clause's first words: None)
            out.append(d)
    return out


def named_levels(text: str) -> set[str]:
    """The levels ("tinh", "huyen", …) whose place the text names by a proper name."""
    return {_LEVEL_WORDS[fold(m.group(1)).lower()] for m in _PLACE_NAME.finditer(text)
            if m.group(2).lower() not in _NOT_PLACE}


def unplaced_documents(question: str, named: dict, documents: dict[str, dict], derived: set[str],
                       places: dict[str, set[str]]) -> list[Missing]:
    """When the question asks which province, district or town a named document is of ("Huyện ủy trong KH là
    huyện nào?") and the document never names a place of that level, say so rather than quote any line."""
    asked = asked_levels(question)
    docs = [d for d in named if d not in derived and d in documents]
    if not asked or len(docs) != 1:
        return []
    unnamed = [level for level in asked if level not in places.get(docs[0], set())]
    if not unnamed:
        return []
    spelled = " hay ".join(_LEVEL_SPELLED[level] for level in unnamed)
    return [Missing("unplaced", documents[docs[0]].get("title", docs[0]).split(":")[0].strip(), spelled)]


# "… ký ngày mấy tháng 4?", "ngày cụ thể nào": the day itself asked, its month already known or not wanted
_ASKS_DAY_OF_MONTH = re.compile(r"\bngay (?:may|nao|bao nhieu|cu the nao|cu the) (?:cua )?thang\b|\bngay cu the\b")


def dayless_documents(question: str, named: dict, documents: dict[str, dict], derived: set[str]) -> list[Missing]:
    """When the question asks on which day a named document was signed or issued and its date
    gives only the month ("ngày   tháng 4 năm 2023"), say so rather than quote the month."""
    folded = fold(question).lower().strip()
    if not named or not _ASKS_DAY_OF_MONTH.search(folded) or not re.search(r"\b(?:ky|ban hanh|de ngay)\b", folded):
        return []
    docs = [d for d in named if d not in derived and d in documents]
    dates = [(documents[d].get("date") or "").strip() for d in docs]
    if not docs or not all(dates) or any(re.match(r"\d{1,2}/\d{1,2}/", date) for date in dates):
        return []
    undated = re.sub(r"(?i)\b(?:tháng|thang|năm|nam)\s+\d+", " ", question)  # "tháng 4" is no document's number
    if not all(own_numbers_only(undated, documents[d]) and not about_cited_document(undated, documents[d]) for d in docs):
        return []
    meta = documents[docs[0]]
    return [Missing("issue-day", meta.get("title", docs[0]).split(":")[0].strip(), dates[0])]
