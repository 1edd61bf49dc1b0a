"""Turning a phone-typed question into the corpus's own spelling before retrieval:

1. `strip_chatter`: greetings, thanks and first-person context around the question go
   ("Dạ em chào anh chị ạ, em đang chuẩn bị …, cho em hỏi X ạ? Em cảm ơn" → "X").
2. `Lexicon.expand`: abbreviations ("bc kq" → "báo cáo kết quả", "HU" → "Huyện ủy"), from a
   curated list of standard administrative abbreviations plus those the corpus defines or
   implies itself (a phrase and its initials both occur, "Sở Khoa học và Công nghệ (KH&CN)").
   An abbreviation with several readings ("TU" is Tỉnh ủy, Thành ủy or Thị ủy) is expanded
   only when the context decides: the document the question names, or the words around it.
3. `Lexicon.correct`: spelling towards the corpus vocabulary — missing or wrong diacritics and
   one-letter typos ("kế hoạc", "sinh hoật", "tham nhủng", "bao nhiu") — by a small noisy-channel
   decoder: each word may stay as typed or become a corpus syllable with the same accent-free
   form (cheap) or one accent-free edit away (dearer); syllable pairs seen in the corpus pay
   for the change. Words the corpus never uses and no neighbour supports stay as typed.

All of it is built from the index's own passages when a generation is opened (`Lexicon.build`),
so a new plan brings its own vocabulary and abbreviations.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from hoidap.textnorm import fold, has_diacritics, nfc, squash_spaces

# --- 1. chatter ---------------------------------------------------------------------------------

# Words that only carry politeness, greeting or address (accent-free). A clause made only of
# these is dropped.
_CHAT_WORDS = set("""
da vang em e anh a chi ad admin bot ban minh toi chau ong ba co thay ca nha moi nguoi oi chao xin kinh gui thua
cam on tks thks thanks thank you thx hi hello helo alo good morning evening ok oke nhe nha nhi voi ah hihi hehe haha
tran trong loi lam phien quy co quan nhieu lam rat ak vay the chut ti xiu nhanh gap sep dang cuc qua hoi
""".split())
# Request and address phrases in front of the question ("cho em hỏi", "nhờ bot tra giúp",
# "chị ơi"), matched on the accent-free words, removed repeatedly.
_ADDRESS = r"(?:anh|chi|em|e|ad|admin|bot|ban|co|thay|moi nguoi|ca nha|ong|ba|bac|dong chi|cac dong chi)"
_ME = r"(?:em|e|minh|toi|chau|tui)"
_LEADING = [re.compile(p) for p in (
    r"^(?:da|vang|thua|xin chao|chao|hi|hello|helo|alo|kinh gui|good morning|uh|um)\b",
    rf"^{_ADDRESS} oi\b",
    rf"^{_ADDRESS}(?= {_ME}\b)",
    rf"^(?:cho|xin cho|lam on cho|nho|giup) (?:{_ME} |{_ADDRESS} )?(?:hoi|xin|biet|tra giup|tra|hoi chut|hoi ti)\b",
    rf"^(?:cho|nho|giup) (?:{_ME}|{_ADDRESS})\b",
    rf"^{_ME} (?:muon |can |xin |dang can |muon duoc )?(?:hoi|biet|tra|tim hieu)\b",
    r"^(?:muon hoi|muon biet|xin hoi|cho hoi|tra giup|tra|hoi chut|hoi ti|xin|can so lieu|can thong tin)\b",
    r"^(?:chut|ti|xiu|la|rang|ve viec|ve)\b",
    r"^(?:cac )?dong chi(?: oi)?$",  # "Kính gửi đồng chí,", "Xin hỏi đồng chí,": the address alone
    r"^(?:ke|noi|chi|tra loi|giai dap|giai thich|xem) (?:giup|dum|ho)\b",  # "Nhờ đồng chí kể giúp."
    # the exact wording asked for ("trích nguyên văn giúp em", "Ghi nguyên văn yêu cầu về …"): how to quote, not what
    r"^(?:hay |vui long |xin )?(?:trich|ghi|chep|dan|doc|cho xin|gui)(?: lai| ra| giup| dum| ho)?(?: (?:em|minh|toi))?"
    r" (?:nguyen van|chinh xac|day du|nguyen cau)(?: (?:giup|dum|ho|cho))?\b",
)]
# hesitations of a question said aloud ("à cho tôi hỏi là ờ kế hoạch …"), told apart by their accents
# (typed plain, "a" and "o" are as often "anh" or "ở")
_SPOKEN_FILLERS = {"à", "ờ", "ừ", "ừm", "ờm", "ơ", "ồ", "ừa"}
_TRAILING = re.compile(r"(?: (?:a|ak|ah|vay|the|nhe|nha|nhi|voi|ha|oi|thanks|tks|thank you))+(?: (?:chi|anh|em|ad|ban|bot|nhe|a))*$")
_QUESTION_WORDS = re.compile(
    r"\b(gi|nao|bao nhieu|may|ai|sao|dau|khi nao|bao gio|la gi|the nao|nhu the nao|ntn|ra sao|khong|chua|bn|j)\b|\?")
# "em đang …", "huyện em đang …", "Hội Phụ nữ xã tôi …", "Phòng chúng tôi ở Sở …": the asker and their unit
_FIRST_PERSON = re.compile(rf"^(?:\w+ ){{0,4}}{_ME}\b|^(?:\w+ ){{0,3}}chung (?:toi|em)\b")
# ("em cần trích ý thứ ba …": a quote asked for)
_ASKS = re.compile(r"\b(hoi|xin|tra|biet|giup|tim hieu|giai dap|trich)\b")
_ASKS_ACCENTED = re.compile(r"\b(hỏi|xin|tra|biết|giúp|tìm hiểu|giải đáp|trích)\b")  # "Hội tôi …" asks nothing
# (a point or comma inside a number or section label is no clause's end: "mục I.1", "1.2", "2.470 tổ chức đảng"; after a
# word it is, typed without a space: "Xin chào,cho hỏi …")
_CLAUSE = re.compile(r"(?:[^.!?;,\n]|(?<=[\dIVXivx])[.,](?=\d))+[.!?;,\n]*")
BOOKLET_NAME = re.compile(r"(?i)\bh(?:ỏi|oi)\s*[-–]?\s*(?:đ|d)(?:áp|ap)\b")  # "Hỏi - Đáp", "hoi dap"


def _asks(clause: str) -> bool:
    """The clause asks something: a question word, or a request verb (with its diacritics, when
    typed with them: "Hội tôi đang lên kế hoạch" holds no "hỏi")."""
    clause = BOOKLET_NAME.sub(" ", clause)  # "bộ hỏi - đáp": the booklet's name asks nothing
    folded = fold(clause)
    if _QUESTION_WORDS.search(folded):
        return True
    return bool(_ASKS_ACCENTED.search(nfc(clause).lower()) if has_diacritics(clause) else _ASKS.search(folded))


@dataclass
class Chatter:
    core: str  # the question without wrapper
    dropped: list[str] = field(default_factory=list)  # clauses removed (context, greetings, thanks)
    lead: str = ""  # a lead-in before a colon saying who asks ("Mặt trận xã tôi cần biết"): kept, but nothing it names is asked


def _words(text: str) -> list[tuple[re.Match, str]]:
    return [(m, fold(re.sub(r"[^\w]", "", m.group()))) for m in re.finditer(r"\S+", text) if re.search(r"\w", m.group())]


def _is_chat_only(folded: str) -> bool:
    return all(w in _CHAT_WORDS for w in re.findall(r"\w+", folded))


_TRAILING_REMARK = re.compile(r"\?\s*(\([^()]*\))\s*$")


def strip_chatter(text: str) -> Chatter:
    """Drop greeting/thanks clauses and first-person context clauses that ask nothing; strip
    request phrases and trailing particles from the others. The text is returned untouched
    when that would leave less than two words."""
    remark = _TRAILING_REMARK.search(text)  # "Ai ký …? (em hỏi để chuẩn bị báo cáo)": said after the question
    if remark and len(re.findall(r"\w+", text[:remark.start()])) >= 2:
        inner = strip_chatter(text[:remark.start() + 1])
        return Chatter(inner.core, inner.dropped + [remark.group(1)])
    lead = _LEAD_IN.match(fold(text).lower()) if len(fold(text)) == len(text) else None
    if lead and _asks(text[lead.end():]) and not _QUESTION_WORDS.search(lead.group(1)):
        # "Mặt trận xã tôi cần biết: …": who asks stays a hint for retrieval ("Mặt trận … xã")
        inner = strip_chatter(text[lead.end():])
        said = text[:lead.end(1)]
        rest = _strip_request(said)
        if not rest or _is_chat_only(fold(rest)):  # "Em muốn hỏi: …": a request, nothing more
            return Chatter(inner.core, [said] + inner.dropped)
        return Chatter(f"{rest}: {inner.core}", inner.dropped, lead=rest)
    clauses = [c for c in _CLAUSE.findall(text) if re.search(r"\w", c)]
    if not clauses:
        return Chatter(text)
    stripped = [_strip_request(c) for c in clauses]
    asking = [_asks(c) for c in clauses]
    # "… thấy dòng tổ chức hội nghị BCH. Theo bảng đó thì …": the question points at what the message told
    pointing = any(_POINTS_BACK.search(fold(c).lower()) for c, asks in zip(clauses, asking) if asks)
    kept, dropped = [], []
    about_me = False  # the sentence so far told the asker's situation
    for clause, rest, asks in zip(clauses, stripped, asking):
        f = fold(rest)
        if not rest or _is_chat_only(f):
            dropped.append(clause)
        elif (not asks and _FIRST_PERSON.search(f) or about_me and not pointing and (not asks or clause.rstrip().endswith("."))) \
                and any(asking):
            # "em đang chuẩn bị bài thu hoạch", "để em phổ biến cho các đồng chí", and what the same
            # sentence goes on to say ("tôi mới được bầu …, chưa quen việc báo cáo.": "chưa" asks nothing there)
            dropped.append(clause)
            about_me = True
        else:  # a sentence kept before the question still ends there ("… thành phố Yên Bái. Buổi …")
            ends = re.search(r"[.;!]\s*$", clause) and not re.search(r"[.;!?]$", rest)
            kept.append(rest + ("." if ends else ""))
            about_me = False
        if re.search(r"[.!?\n]\s*$", clause):
            about_me = False
    core = squash_spaces(" ".join(kept)).strip(" ,;:")
    if len(re.findall(r"\w+", core)) < 2:
        return Chatter(text)
    return Chatter(core, dropped)


# a lead-in before a colon telling who asks and why ("Ban tổ chức … bọn mình cần biết:", "Mình là đoàn viên ở
# huyện:", "Em hỏi:"), matched accent-free: a pronoun and what it says of the asker, or a need to know
_LEAD_IN = re.compile(r"^((?:[^:?.!;,\n]{0,120}?\b(?:toi|em|minh|chung toi|chung em|tui)\s+(?:la|dang|can|muon|hoi|o|lam"
                      r"|phu trach|duoc|moi|vua|co)\b[^:?.!;,\n]{0,80})|[^:?.!;,\n]{0,120}?\b(?:can biet|muon biet|muon hoi|xin hoi"
                      r"|hoi giup))\s*:\s+")


# the question points back at what the message said before it ("theo bảng đó", "việc này", "văn bản ấy")
_POINTS_BACK = re.compile(r"\b(?:bang|dong|viec|van ban|ke hoach|huong dan|hoi nghi|cuoc hop|noi dung|muc|phan|tai lieu|y|diem|cau)"
                          r" (?:do|ay|nay|tren)\b")


# A context clause often introduces what the question then refers to by a pronoun or a bare head noun:
# "Tôi là giảng viên ở Trung tâm Chính trị của thị xã. Hướng dẫn giao cho Trung tâm những phần việc gì?",
# "Tôi ở Trung tâm …, HD giao chúng tôi những gì?", "Chúng tôi đang chuẩn bị cuộc họp Ban Chấp hành mở rộng
# …. Hội nghị rơi vào tháng nào?". The dropped clause is chatter for retrieval, but its referent is not.
_BODY_HEADS = (r"trung tâm|ban|sở|phòng|đảng ủy|đảng uỷ|đảng bộ|chi bộ|mặt trận|ủy ban|uỷ ban|hội|đoàn|huyện ủy|"
               r"thành ủy|thị ủy|tỉnh ủy|văn phòng|trường")
# the body's name ends where the clause goes on to say something of it ("ở Sở KH&CN Điện Biên có mấy anh em …")
_PREDICATE = r"có|là|đang|được|mới|vừa|sẽ|cần|muốn|định|phải|làm|thì|nên|chưa|không|nhưng|mà"
_CONTEXT_BODY = re.compile(rf"(?i)\b(?:ở|tại|của|thuộc|trong)\s+((?:{_BODY_HEADS})\s+[^,.;:!?()]+?)(?=\s+(?:{_PREDICATE})\b|[,.;:!?()]|$)")
_CONTEXT_EVENT = re.compile(r"(?i)\b(?:cuộc họp|hội nghị)\s+([^,.;:!?()]+?)(?=\s+(?:để|nhằm|về|vào)\b|[,.;:!?()]|$)")
_OUR_BODY = re.compile(r"(?i)\b(?:chúng tôi|chúng em|đơn vị (?:tôi|em|mình)|cơ quan (?:tôi|em|mình)|bên (?:tôi|em))\b")
_CAPITAL = r"(?-i:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝ])"  # a name goes on after the head noun
# a head noun that is a syllable of another word is no head: "xã hội", "ủy ban", "công đoàn" (and "hội viên", "ban hành")
_NOT_COMPOUNDED = "".join(f"(?<!{w} )" for w in ("xã", "đại", "ủy", "uỷ", "công", "liên", "quốc", "cơ"))
_BARE_EVENT = re.compile(rf"(?i)\b(?:hội nghị|cuộc họp)\b(?!\s+(?:{_CAPITAL}|này|đó|ấy|\w+\s+(?:của|do)\b))")


def resolve_context(core: str, dropped: list[str]) -> str:
    """`core` with what its dropped context clauses introduced put back where the question refers
    to it: "chúng tôi" and a bare head noun ("Trung tâm") of a body the asker says they belong to,
    a bare "hội nghị" of the meeting they say they prepare. Typed with diacritics only (the heads
    are matched as written)."""
    context = " ".join(dropped)
    if not context or not has_diacritics(core):
        return core
    body = _CONTEXT_BODY.search(context)
    if body:
        name = squash_spaces(body.group(1))
        head = re.match(rf"(?i)(?:{_BODY_HEADS})\b", name).group(0)
        resolved = _OUR_BODY.sub(name, core, count=1)
        if resolved == core:  # "giao cho Trung tâm những phần việc gì": the head alone, no name after it
            resolved = re.sub(rf"(?i){_NOT_COMPOUNDED}\b{re.escape(head)}\b(?!\s+{_CAPITAL})(?!\s+(?:viên|nghị|hành|thể)\b)",
                              name, core, count=1)
        core = resolved
    event = _CONTEXT_EVENT.search(context)
    if event and len(event.group(1).split()) >= 2:
        core = _BARE_EVENT.sub(lambda m: f"{m.group(0)} {squash_spaces(event.group(1))}", core, count=1)
    return core


# A terse query names what it wants first, as a search box is typed ("người ký kế hoạch Huyện ủy", "ngày ban
# hành Kế hoạch 205", "nhiệm vụ Ban Tuyên giáo Thị ủy"): its head says what is asked. It is read as the
# question it stands for, so question type, grounding and confidence see what they see in a question.
# (head, accent-free; the question's frame around the rest, with and without diacritics)
_DOC = r"(?:ke hoach|huong dan|van ban|cong van|kh|hd)\b"
_ON = r"(?:cua |ghi tren |tren )?"  # "ngày ban hành (ghi trên) kế hoạch …"
_TERSE = [
    (re.compile(rf"^so hieu(?: van ban)? va (?:ngay|thoi diem) (?:ban hanh|ky)(?: van ban)? {_ON}({_DOC}.*)$"),
     "{} mang số hiệu gì và ban hành ngày nào?", "{} mang so hieu gi va ban hanh ngay nao?"),
    (re.compile(rf"^(?:so ky hieu|ky hieu)(?: van ban)? va (?:ngay|thoi diem) (?:ban hanh|ky)(?: van ban)? {_ON}({_DOC}.*)$"),
     "{} có ký hiệu văn bản là gì và ban hành ngày nào?", "{} co ky hieu van ban la gi va ban hanh ngay nao?"),
    # the same two asked after the document ("số hiệu KH Sở KHCN, ngày tháng")
    (re.compile(rf"^(?:so hieu|so ky hieu|ky hieu)(?: van ban)? {_ON}({_DOC}.*?),? (?:va )?(?:ngay thang|ngay ban hanh|ngay ky"
                r"|thoi diem ban hanh)(?: ban hanh)?$"),
     "{} mang số hiệu gì và ban hành ngày nào?", "{} mang so hieu gi va ban hanh ngay nao?"),
    (re.compile(rf"^(?:ngay|thoi diem) (?:ban hanh|ky|ra doi) {_ON}({_DOC}.*)$"), "{} ban hành ngày nào?", "{} ban hanh ngay nao?"),
    (re.compile(rf"^ngay (?:cua )?({_DOC}.*)$"), "{} ban hành ngày nào?", "{} ban hanh ngay nao?"),
    (re.compile(r"^(?:nguoi|ai) ky (.+)$"), "Ai ký {}?", "ai ky {}?"),
    (re.compile(r"^(?:ho ten|ten) ((?:pho )?(?:bi thu|chu tich|giam doc|truong ban|truong phong|chanh van phong)\b.*)$"),
     "{} là ai?", "{} la ai?"),
    (re.compile(rf"^so hieu(?: van ban)? {_ON}({_DOC}.*)$"), "{} mang số hiệu gì?", "{} mang so hieu gi?"),
    (re.compile(rf"^(?:so ky hieu|ky hieu)(?: van ban)? {_ON}({_DOC}.*)$"), "{} có ký hiệu văn bản là gì?",
     "{} co ky hieu van ban la gi?"),  # (a blank number's code, "Số: /KH-SKHCN", answers "ký hiệu")
    (re.compile(rf"^can cu (?:xay dung |ban hanh )?(?:cua )?({_DOC}.*)$"), "{} căn cứ vào văn bản nào?", "{} can cu vao van ban nao?"),
    (re.compile(r"^nhiem vu (?:cua )?(.+)$"), "{} có nhiệm vụ gì?", "{} co nhiem vu gi?"),
    (re.compile(r"^((?:thoi han|han chot|han|thoi gian) .+)$"), "{} là khi nào?", "{} la khi nao?"),
    (re.compile(r"^((?:thanh phan|doi tuong) .+)$"), "{} gồm những ai?", "{} gom nhung ai?"),
    (re.compile(r"^((?:hinh thuc|noi dung|muc dich|yeu cau|tai lieu) .+)$"), "{} gồm những gì?", "{} gom nhung gi?"),
    (re.compile(r"^((?:don vi|co quan|bo phan)) ((?:chu tri|phu trach|to chuc thuc hien|thuc hien|phoi hop) .+)$"),
     "{} nào {}?", "{} nao {}?"),
]
TERSE_MIN_WORDS = 3  # "hạn nộp?" and other short follow-ups are conversation, not a search
# "Kế hoạch của Sở ghi số hiệu và ngày tháng ban hành thế nào?": its two facts asked as one "how", each asked
# as what it is, so that each is answered (and one the plan leaves blank is said to be missing)
_NUMBER_AND_DATE = re.compile(rf"^({_DOC}.*?) (?:ghi|co|mang|duoc ghi) (so hieu|ky hieu)(?: van ban)? va "
                              r"(?:ngay|ngay thang(?: nam)?|thoi diem) (?:ban hanh|ky) (?:the nao|ra sao|nhu the nao|la gi)\s*\??$")


def terse_question(text: str) -> str:
    """The question a terse query stands for ("người ký kế hoạch Huyện ủy" → "Ai ký kế hoạch Huyện
    ủy?"); the text itself when it asks already (a question word, a question mark) or has no head."""
    folded = fold(text).lower()
    joined = _NUMBER_AND_DATE.match(folded)
    if joined and len(folded) == len(text):  # (how the number is written: its line, a blank one included)
        doc = text[joined.start(1):joined.end(1)]
        asked = f"{doc} ban hành ngày nào và có ký hiệu văn bản là gì?"
        return asked if has_diacritics(text) else fold(asked)
    if "?" in text or _QUESTION_WORDS.search(folded) or len(folded.split()) < TERSE_MIN_WORDS:
        return text
    plain = not has_diacritics(text)
    for pattern, accented, bare in _TERSE:
        m = pattern.match(folded)
        if m and len(folded) == len(text):  # (the groups are sliced from the text as typed)
            return (bare if plain else accented).format(*(text[m.start(g):m.end(g)] for g in range(1, pattern.groups + 1)))
    return text


# A confirmation question states a claim and asks whether it holds ("Có phải kế hoạch … được ban hành vào
# tháng 5/2023?", "… chậm nhất ngày 01/11, đúng không?"). The documents answer the open question behind it,
# with the claimed value as the slot asked ("… được ban hành vào tháng nào?"): a claimed value that is wrong
# ("07 nhiệm vụ" where the guidance lists 05) must not be a word the passage has to contain.
_CLAIM_LEAD = re.compile(r"^(?:co (?:dung|phai|that) (?:la |rang )?|phai chang (?:la )?|lieu co phai (?:la )?"
                         r"|(?:nhan dinh sau )?dung hay sai\s*[:?,.-]?\s*)")  # a quiz's "Đúng hay sai: …"
_CLAIM_TAIL = re.compile(r"(?:,?\s*(?:co )?(?:dung|phai) (?:khong|ko|k|chu|chua)(?: a)?|\s+(?:khong|ko|hay khong|chu|chua))\s*[?.!]*\s*$")
# "Theo tôi biết, …, đúng không?": what the asker has heard, before the claim
_HEARSAY = re.compile(r"^(?:theo (?:toi|em|minh) (?:duoc )?(?:biet|hieu)|(?:toi |em |minh )?(?:nghe noi|duoc biet))"
                      r"(?: la| rang)?(?: thi)?\s*,?\s*")
_CLAIMED_VALUES = [  # (accent-free pattern, the slot it becomes: accented, accent-free)
    # who signed ("KH 205 do đồng chí Đỗ Đức Minh ký đúng không", "có phải đ/c Ung Văn Tám ký KH huyện ủy không": who)
    (re.compile(r"\bdo (?:dong chi |d/c |dc |ong |ba )?(?:[a-z]+ ){1,4}?ky\b"), "do ai ký", "do ai ky"),
    (re.compile(r"^(?:dong chi|d/c|dc|ong|ba) (?:[a-z]+ ){1,4}?ky\b"), "ai ký", "ai ky"),
    # a document's number claimed ("KH của Thị ủy … là KH 143-KH/TU đúng không": which number it is); not the number
    # that names the document the claim is about ("KH 205-KH/TU do đ/c … ký đúng không")
    (re.compile(r"\bla (?:(?:kh|ke hoach|huong dan|hd|van ban|cong van) )?(?:so\s*)?(?<![\w/.-])\d{1,4}\s*-\s*[a-z]{1,8}"
                r"(?:\s*/\s*[a-z]{1,8}){0,2}\b"), "là số mấy", "la so may"),
    (re.compile(r"(?:\bngay )?(?<![\d/])\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?(?![\d/])"), "ngày nào", "ngay nao"),
    (re.compile(r"\bthang \d{1,2}(?:\s*/\s*\d{2,4})?(?![\d/])"), "tháng nào", "thang nao"),
    (re.compile(r"\b(?:cuoi|dau|giua) nam \d{4}\b"), "khi nào", "khi nao"),
    (re.compile(r"\bnam \d{4}\b"), "năm nào", "nam nao"),
    (re.compile(r"\btrang \d{1,4}\b"), "trang mấy", "trang may"),  # "từ trang 11 đến trang 260"
    (re.compile(r"\bquy (?:i{1,3}|iv|[1-4]|mot|hai|ba|bon|tu)\b(?:\s*/\s*\d{4})?"), "quý nào", "quy nao"),  # "quý III/2023"
    # a count ("07 nhiệm vụ"), not a document's number ("Kế hoạch 205", "Ban Chỉ đạo 35", "câu hỏi 4")
    (re.compile(r"(?<!\bke hoach )(?<!\bhuong dan )(?<!\bso )(?<!\bcong van )(?<!\bket luan )(?<!\bchi thi )"
                r"(?<!\bquyet dinh )(?<!\bnghi quyet )(?<!\bdao )(?<!\bcau hoi )(?<!\bcau )(?<!\bphan )(?<!\bmuc )"
                r"(?<!\bphu luc )(?<!\bthu )(?<!\bkh )(?<!\bhd )(?<![\w/.-])\d{1,3}(?= [^\W\d])"), "mấy", "may"),
]


def claim_question(text: str) -> str:
    """The open question a confirmation question checks ("Có đúng là Huyện ủy yêu cầu báo cáo chậm nhất vào
    ngày 01/11 hằng năm không?" → "Huyện ủy yêu cầu báo cáo chậm nhất vào ngày nào hằng năm?"); the text
    itself when it is not one."""
    folded = fold(text).lower()
    if len(folded) != len(text):
        return text
    lead = _CLAIM_LEAD.match(folded)
    tail = _CLAIM_TAIL.search(folded)
    if not lead and not (tail and re.search(r"\b(?:dung|phai)\b", tail.group(0))):
        return text
    hearsay = _HEARSAY.match(folded)
    start = lead.end() if lead else hearsay.end() if hearsay else 0
    end = tail.start() if tail else len(text.rstrip(" ?.!"))
    if end - start < 8:
        return text
    body, body_folded = text[start:end], folded[start:end]
    plain = not has_diacritics(text)
    spans: list[tuple[int, int, str]] = []
    for pattern, accented, bare in _CLAIMED_VALUES:
        for m in pattern.finditer(body_folded):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), bare if plain else accented))
    for a, b, slot in sorted(spans, reverse=True):
        body = body[:a] + slot + body[b:]
    body = squash_spaces(body).strip(" ,")
    return (body[:1].upper() + body[1:] + "?") if body else text


def _strip_request(clause: str) -> str:
    """Remove leading request/address phrases and trailing politeness from one clause, keeping
    the original spelling of what is left (the patterns match on the accent-free words)."""
    words = _words(clause)
    start = 0
    while start < len(words):
        if words[start][0].group(0).lower() in _SPOKEN_FILLERS:
            start += 1
            continue
        joined = " ".join(f for _, f in words[start:])
        for pattern in _LEADING:
            m = pattern.match(joined)
            if m and m.group(0).strip():
                start += len(m.group(0).split())
                break
        else:
            break
    end = len(words)
    while end > start:
        tail = " " + " ".join(f for _, f in words[start:end])
        m = _TRAILING.search(tail)
        if not m or m.start() == 0:
            break
        end -= len(m.group(0).split())
    if end <= start:
        return ""
    piece = clause[words[start][0].start():words[end - 1][0].end()]
    return piece.strip(" ,;:?!.") + ("?" if "?" in clause[words[start][0].start():] else "")


# --- 2. abbreviations ----------------------------------------------------------------------------

# Standard abbreviations of Vietnamese administrative writing and phone typing. Several readings
# = ambiguous: the context decides (see Lexicon.expand), otherwise the token stays as typed.
CURATED: dict[str, list[str]] = {
    "kh": ["kế hoạch"], "hd": ["hướng dẫn"], "kl": ["kết luận"], "cv": ["công văn"], "qd": ["quyết định"],
    "nq": ["nghị quyết"], "tb": ["thông báo"], "bc": ["báo cáo"], "kq": ["kết quả"], "pctn": ["phòng, chống tham nhũng"],
    "tu": ["Tỉnh ủy", "Thành ủy", "Thị ủy"], "hu": ["Huyện ủy"], "qu": ["Quận ủy"], "tw": ["Trung ương"],
    "btg": ["Ban Tuyên giáo"], "btv": ["Ban Thường vụ"], "btt": ["Ban Thường trực"], "bch": ["Ban Chấp hành"],
    "bcd": ["Ban Chỉ đạo"], "mttq": ["Mặt trận Tổ quốc"], "ubmttq": ["Ủy ban Mặt trận Tổ quốc"], "ub": ["Ủy ban"],
    "ubnd": ["Ủy ban nhân dân"], "hdnd": ["Hội đồng nhân dân"], "khcn": ["Khoa học và Công nghệ"],
    "skhcn": ["Sở Khoa học và Công nghệ"], "vp": ["Văn phòng"], "tp": ["thành phố"], "tt": ["Thường trực", "Trung tâm"],
    "ttct": ["Trung tâm Chính trị"], "ctri": ["chính trị"], "dc": ["được", "đồng chí"], "đc": ["được", "đồng chí"],
    "đ/c": ["đồng chí"], "d/c": ["đồng chí"], "cb": ["cán bộ"], "dv": ["đảng viên", "đơn vị"], "đv": ["đảng viên", "đơn vị"],
    "sh": ["sinh hoạt"], "shct": ["sinh hoạt chính trị"], "hn": ["hội nghị"], "ct": ["chủ tịch"], "pct": ["phó chủ tịch"],
    "yc": ["yêu cầu"], "gd": ["giai đoạn", "giám đốc"], "gđ": ["giai đoạn", "giám đốc"], "pgd": ["phó giám đốc"],
    "dn": ["doanh nghiệp"], "ld": ["lao động", "lãnh đạo"], "lđ": ["lao động", "lãnh đạo"], "llvt": ["lực lượng vũ trang"],
    "ccvc": ["công chức, viên chức"], "cq": ["cơ quan"], "dvi": ["đơn vị"], "nd": ["nội dung", "nhân dân"],
    "tg": ["thời gian"], "tgian": ["thời gian"], "nxb": ["nhà xuất bản"], "ttdt": ["thông tin điện tử"],
    "tbt": ["Tổng Bí thư"], "bt": ["bí thư"], "pbt": ["phó bí thư"], "ng": ["người"], "trc": ["trước"], "ko": ["không"],
    "k": ["không"], "kg": ["không"], "hok": ["không"], "j": ["gì"], "bn": ["bao nhiêu"], "ntn": ["như thế nào"],
    "vs": ["với"], "dk": ["được"], "đk": ["được"], "vd": ["ví dụ"], "sl": ["số lượng"], "ks": ["kiểm soát"],
    "tn": ["tham nhũng"], "tc": ["tiêu cực"], "ttin": ["thông tin"], "bd": ["bồi dưỡng"], "dbieu": ["đại biểu"],
    "tl": ["tài liệu", "trả lời"], "gd&dt": ["Giáo dục và Đào tạo"], "gddt": ["Giáo dục và Đào tạo"],
}
_ABBR_TOKEN = re.compile(r"[\w/&]+")
_INITIAL_SKIP = {"và", "và các"}


def _initials(words: list[str]) -> str:
    return "".join(_initial(w[0]) for w in words if w and w.lower() not in _INITIAL_SKIP)


@lru_cache(maxsize=4096)
def _initial(char: str) -> str:
    """The accent-free letter a word's initial stands for ("Đ" → "d"); cached, as the corpus's
    millions of capitalised words come back to a few hundred letters."""
    return fold(char)[:1]


# --- the lexicon --------------------------------------------------------------------------------

def _folded_words_and_pairs(folded_text: str) -> tuple[frozenset, frozenset]:
    r"""Every word, and every two words standing side by side with one space between them, as
    `(?<!\w)a b(?!\w)` finds them ("(ke hoach," holds the pair "ke hoach"; "uy, ban" is no pair:
    a phrase with punctuation in it is searched for in the text)."""
    words: set[str] = set()
    pairs: set[str] = set()
    for m in re.finditer(r"\w+(?: \w+)*", folded_text):
        run = m.group().split(" ")
        words.update(run)
        pairs.update(f"{a} {b}" for a, b in zip(run, run[1:]))
    return frozenset(words), frozenset(pairs)


@dataclass
class Lexicon:
    count: Counter  # exact syllable (lowercase, canonical tones) → occurrences
    pairs: Counter  # "a b" exact syllable pair → occurrences
    by_fold: dict[str, list[str]]  # accent-free syllable → its spellings in the corpus, most frequent first
    abbreviations: dict[str, list[str]]  # lowercase accent-free abbreviation → readings
    doc_text: dict[str, str]  # doc_id → accent-free text (for context decisions)
    folded_text: str  # the whole corpus, accent-free, single-spaced (for "does this phrase occur")
    caps: set[str] = field(default_factory=set)  # abbreviations the corpus writes itself (lowercase)
    written: dict[str, int] = field(default_factory=dict)  # accent-free abbreviation → standalone uses in the corpus
    counted: dict[str, set[str]] = field(default_factory=dict)  # "dai bieu" → {"500"}: numbers that count it
    # accent-free words and side-by-side word pairs of the corpus: `occurs` answers from these
    # instead of scanning the whole text (which grew with the index: ~10 ms a phrase at 12k passages)
    folded_words: frozenset = frozenset()
    folded_pairs: frozenset = frozenset()
    ordinal_names: dict[str, set[str]] = field(default_factory=dict)  # "phần" → {"nhất", "hai", "ba"}
    # numbers the corpus writes after a given lead ("ke hoach" → {"205", "126"}), found once per
    # lead: scanning the whole text per question cost ~150 ms at 17k passages
    _numbers_after: dict[str, frozenset] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, texts_by_doc: dict[str, list[str]]) -> "Lexicon":
        count: Counter = Counter()
        pairs: Counter = Counter()
        caps: Counter = Counter()
        written: Counter = Counter()
        defined: dict[str, Counter] = defaultdict(Counter)
        doc_text: dict[str, str] = {}
        lines_all: list[str] = []
        for doc_id, texts in texts_by_doc.items():
            doc_lines = []
            for text in texts:
                text = nfc(text)
                for line in text.split("\n"):
                    heading = _mostly_upper(line)
                    # capital abbreviations ("KH/TU", "UBND") are not words of the vocabulary
                    every = [w.lower() for w in re.findall(r"\w+", line)]
                    count.update(w for w, raw in zip(every, re.findall(r"\w+", line))
                                 if heading or not (raw.isupper() and len(raw) >= 2))
                    pairs.update(f"{a} {b}" for a, b in zip(every, every[1:]))  # "MTTQ tỉnh" witnesses "tỉnh"
                    doc_lines.append(line)
                    if not heading:  # headings in capitals are not abbreviations
                        caps.update(t for t in re.findall(r"(?<![\w/])[A-ZĐ][A-ZĐ&]{1,7}(?![\w])", line))
                        written.update(fold(t).lower() for t in re.findall(r"(?<![\w/-])[A-ZĐ][A-ZĐ&]{1,7}(?![\w/-])", line))
                    for m in re.finditer(r"([^()]{3,120}?)\s*\(([A-ZĐ][A-ZĐa-z&]{1,9})\)", line):
                        phrase, abbr = m.group(1), m.group(2)
                        words_p = re.findall(r"[\w]+", phrase)
                        want = fold(abbr.replace("&", "")).lower()
                        for k in range(2, min(8, len(words_p)) + 1):
                            tail = words_p[-k:]
                            if _initials(tail) == want and tail[0].lower() not in _INITIAL_SKIP:
                                defined[fold(abbr).lower()][_join(tail, phrase)] += 1
                                break
            doc_text[doc_id] = squash_spaces(fold(" ".join(doc_lines)))
            lines_all.extend(doc_lines)
        for word in COMMON_WORDS:  # function words a question uses: never "corrected" into a corpus word
            count[word] += PSEUDO_COUNT
        # a function word next to a word is no evidence for its spelling ("của cơ quan" must not
        # turn "nó" into "cơ"): pairs with one are left out, except the question phrases below and
        # the time words' ("hang nam" is "hằng năm")
        for pair in [p for p in pairs if any(w in COMMON_WORDS and w not in TIME_WORDS for w in p.split())]:
            del pairs[pair]
        for phrase in QUESTION_PHRASES:  # questions use words the documents rarely do
            words = phrase.split()
            count.update({w: PSEUDO_COUNT for w in words})
            pairs.update({f"{a} {b}": PSEUDO_COUNT for a, b in zip(words, words[1:])})
        for phrase in ASKERS_WORDS:  # (a pair is evidence beside its neighbour only: "trong sạch" stays the plans')
            words = phrase.split()
            count.update({w: PSEUDO_COUNT for w in words if w not in count})
            pairs.update({f"{a} {b}": PSEUDO_COUNT for a, b in zip(words, words[1:])})
        by_fold: dict[str, list[str]] = defaultdict(list)
        for w, _ in count.most_common():
            by_fold[fold(w)].append(w)
        abbreviations = {k: list(v) for k, v in CURATED.items()}
        mined = {**_mine_place_initials(lines_all), **_mine_initials(lines_all, {fold(t).lower() for t in caps})}
        for abbr, readings in {**mined, **{k: [p for p, _ in v.most_common()] for k, v in defined.items()}}.items():
            if abbr not in abbreviations:
                abbreviations[abbr] = readings
            if "&" in abbr:  # "KH&CN" is typed "KHCN" as well
                abbreviations.setdefault(abbr.replace("&", ""), readings)
        folded_text = " " + " ".join(doc_text.values()) + " "
        counted: dict[str, set[str]] = defaultdict(set)
        for m in re.finditer(rf"{NOT_AFTER_A_TIME_WORD}(?<![\w/.-])(\d[\d.]*)\s+([a-z]+ [a-z]+)", folded_text):
            counted[m.group(2)].add(m.group(1).replace(".", "").lstrip("0"))
        ordinal_names: dict[str, set[str]] = defaultdict(set)
        for line in lines_all:
            for m in re.finditer(r"(?<!\w)(\w+) thứ (\w+)", nfc(line).lower()):
                ordinal_names[m.group(1)].add(m.group(2))
        words, side_by_side = _folded_words_and_pairs(folded_text)
        return cls(count=count, pairs=pairs, by_fold=dict(by_fold), abbreviations=abbreviations, doc_text=doc_text,
                   folded_text=folded_text, counted=dict(counted), ordinal_names=dict(ordinal_names),
                   caps={t.lower() for t in caps}, written=dict(written), folded_words=words, folded_pairs=side_by_side)

    # -- phrases
    def occurs(self, folded_phrase: str) -> bool:
        """Whether an accent-free phrase occurs in the corpus (as whole words). One word or two
        are looked up; a longer phrase is searched for only when all its pairs occur."""
        if not folded_phrase:
            return False
        words = folded_phrase.split(" ")
        if all(re.fullmatch(r"\w+", w) for w in words):
            if len(words) == 1:
                return words[0] in self.folded_words
            if not all(f"{a} {b}" in self.folded_pairs for a, b in zip(words, words[1:])):
                return False
            if len(words) == 2:
                return True
        return re.search(rf"(?<!\w){re.escape(folded_phrase)}(?!\w)", self.folded_text) is not None

    def numbers_after(self, lead: str) -> frozenset:
        """Numbers (leading zeros dropped) the corpus writes right after `lead`, an accent-free
        regular expression ("so", "ke hoach"); `CODE` gives the numbers written as a document code
        ("126-KH", "12/HD")."""
        found = self._numbers_after.get(lead)
        if found is None:
            if lead == self.CODE:
                pattern = r"(?<![\d.])(\d+)\s*[-/]"
            else:
                pattern = rf"\b{lead}\s*(\d+)(?![\d/])" if lead == "so" else rf"\b{lead}\s*(\d+)"
            found = frozenset(m.group(1) if lead == self.CODE else (m.group(1).lstrip("0") or "0")
                              for m in re.finditer(pattern, self.folded_text))
            self._numbers_after[lead] = found
        return found

    CODE = "<code>"

    def known(self, word: str) -> bool:
        return word.lower() in self.count

    def known_folded(self, word: str) -> bool:
        return fold(word) in self.by_fold

    # -- 2. abbreviations
    def expand(self, text: str, docs: list[str] | None = None, log: list | None = None) -> str:
        """Spell out abbreviations. Uppercase tokens and tokens that cannot be a corpus syllable
        are candidates; a reading is chosen by the named documents' usage, then by the corpus
        pairs it forms with its neighbours; a tie leaves the token as typed. `log` receives
        (abbreviation, reading) for every expansion."""
        tokens = list(re.finditer(r"[\w/&]+|[^\w\s]", text))
        out: list[str] = []
        pos = 0
        for i, m in enumerate(tokens):
            tok = m.group()
            key = fold(tok).lower()
            readings = self.abbreviations.get(key)
            if readings is None and tok.isupper() and len(tok) >= 4:
                readings = self._split_compound(key)
            if not readings or not self._expandable(tok, key):
                continue
            done = re.findall(r"\w+", "".join(out) + text[pos:m.start()])  # with the expansions made so far
            prev = done[-1] if done else ""
            nxt = next((t.group() for t in tokens[i + 1:] if re.match(r"\w", t.group())), "")
            choice = self._choose(readings, prev, nxt, docs)
            if choice is None:
                continue
            if log is not None:
                log.append((tok, choice))
            if self.written.get(key, 0) >= WRITTEN_AS_IS:
                continue  # the corpus writes it this way ("MTTQ", "UBND"): retrieval matches it as typed
            out.append(text[pos:m.start()])
            out.append(choice)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)

    def _split_compound(self, key: str) -> list[str] | None:
        """'btgtu' → 'Ban Tuyên giáo' + 'TU' readings (two known abbreviations side by side)."""
        for cut in range(2, len(key) - 1):
            a, b = self.abbreviations.get(key[:cut]), self.abbreviations.get(key[cut:])
            if a and b and len(a) == 1:
                return [f"{a[0]} {r}" for r in b]
        return None

    def _expandable(self, tok: str, key: str) -> bool:
        if "/" in tok and tok.lower() not in ("đ/c", "d/c"):
            return False  # document numbers "205-KH/TU" stay as written
        if tok.isupper() and len(tok) >= 2:
            return True
        # lowercase: only when it cannot be a word of the corpus ("bc", "kq", "mttq", "hu", not "tu")
        if not re.search(r"[aeiouy]", key):
            return True
        return sum(self.count.get(w, 0) for w in self.by_fold.get(key, [])) < 2

    def _choose(self, readings: list[str], prev: str, nxt: str, docs: list[str] | None) -> str | None:
        if len(readings) == 1:
            return readings[0]
        scores = []
        for r in readings:
            f = fold(r).lower()
            s = 0.0
            for d in docs or []:
                s += 2.0 * len(re.findall(rf"(?<!\w){re.escape(f)}(?!\w)", self.doc_text.get(d, "")))
            words = r.lower().split()
            if prev:
                s += self._pair_folded(fold(prev).lower(), fold(words[0]))
            if nxt:
                s += self._pair_folded(fold(words[-1]), fold(nxt).lower())
            scores.append(s)
        best = max(range(len(readings)), key=lambda i: scores[i])
        if scores[best] <= 0 or sorted(scores)[-2] >= scores[best]:
            return None
        return readings[best]

    def _pair_folded(self, a: str, b: str) -> float:
        n = sum(self.pairs.get(f"{x} {y}", 0) for x in self.by_fold.get(a, [a]) for y in self.by_fold.get(b, [b]))
        if not n and f"{a} {b}" in self.folded_pairs:
            return 0.5  # side by side in the text, next to a function word the pair counts leave out ("tài liệu Hỏi")
        return math.log1p(n)

    # -- 3. spelling
    def ordinal_spelled(self, text: str) -> str:
        """"Phần II", "phần 2" → "phần thứ hai" where the corpus names its parts that way (the book's
        "Phần thứ hai"); a plan's own "II." sections are asked for with the plan named (rag.sections)."""
        def spell(m: re.Match) -> str:
            noun, number = m.group(1), m.group(2)
            word = _ORDINAL_WORDS.get(number.lower() if number.lower() in _ORDINAL_WORDS else number.upper())
            return f"{noun} thứ {word}" if word and word in self.ordinal_names.get(noun.lower(), ()) else m.group(0)
        return _NUMBERED_PART.sub(spell, text)

    def correct(self, text: str) -> str:
        """The likeliest corpus spelling of every word (see the module docstring); punctuation,
        numbers and unknown words stay as they are."""
        tokens = list(re.finditer(r"\w+", text))
        if not tokens:
            return text
        accented_input = sum(fold(m.group()) != m.group().lower() for m in tokens) >= max(2, len(tokens) // 3)
        cands: list[list[tuple[str, float]]] = []
        typed = [m.group().lower() for m in tokens]
        for i, m in enumerate(tokens):
            # a capitalised unknown word inside the sentence is a name ("Mường Chà"): never edited
            name = i > 0 and m.group()[:1].isupper() and not m.group().isupper()
            options = self._candidates(m.group(), accented_input, name)
            if not name and (fold(typed[i]) != typed[i] or accented_input) and not self._fits(typed, i):
                # speech-to-text writes a real word that sounds alike ("sinh hoạch" for "sinh hoạt", "tham những"
                # for "tham nhũng", "huyện y" for "huyện ủy"): only a word that forms no corpus pair with either
                # neighbour as typed ("vị trí" stays, though "chí" is frequent); the pairs decide between them
                alike = _sound_alikes(typed[i]) | set(self.by_fold.get("uy", ()) if fold(typed[i]) == "y" else ())
                if typed[i] in COMMON_WORDS:  # a function word is never edited, but may be a misheard compound's
                    # second half: one its left neighbour nearly always takes ("tham những" for "tham nhũng"; not
                    # "có quan hệ", whose "có" ends no compound, nor "Thị ủy có" for the "ủy cơ" of "Đảng ủy cơ quan")
                    alike = {w for w in self.by_fold.get(fold(typed[i]), ()) if i and self.pairs.get(f"{typed[i - 1]} {w}", 0)
                             >= COMPOUND_SHARE * self.count.get(typed[i - 1], 0)}
                options += [(w, COST["sound_alike"]) for w in alike if w in self.count and w not in dict(options)]
            cands.append(options)
        # Viterbi over the candidates: channel cost + corpus pair support.
        best: list[dict[str, tuple[float, str | None]]] = []
        for i, options in enumerate(cands):
            layer: dict[str, tuple[float, str | None]] = {}
            for word, cost in options:
                base = -cost + 0.05 * math.log1p(self.count.get(word, 0))
                if i == 0:
                    layer[word] = (base, None)
                    continue
                prev_layer = best[-1]
                scored = [(p_score + base + PAIR_WEIGHT * math.log1p(self.pairs.get(f"{p} {word}", 0)), p)
                          for p, (p_score, _) in prev_layer.items()]
                layer[word] = max(scored)
            best.append(layer)
        word = max(best[-1], key=lambda w: best[-1][w][0])
        chosen = [word]
        for i in range(len(best) - 1, 0, -1):
            word = best[i][word][1]
            chosen.append(word)
        chosen.reverse()
        # A change needs a witness: a corpus pair with a neighbour, unless the accent-free form
        # has a single spelling ("tac pham" → "tác phẩm"). "tien" next to nothing it pairs with
        # stays "tien" rather than becoming the "tiễn" of "thực tiễn".
        # A word typed with diacritics needs a neighbour typed as is ("phở bò" is not "phó bí").
        decoded = list(chosen)
        typed_all = [m.group().lower() for m in tokens]
        for i, (m, word) in enumerate(zip(tokens, decoded)):
            typed = typed_all[i]
            if word == typed:
                continue
            strict = fold(typed) != typed
            left = decoded[i - 1] if i else None
            right = decoded[i + 1] if i + 1 < len(decoded) else None
            ok_left = left is not None and self.pairs.get(f"{left} {word}", 0) and (not strict or left == typed_all[i - 1])
            ok_right = right is not None and self.pairs.get(f"{word} {right}", 0) and (not strict or right == typed_all[i + 1])
            if ok_left or ok_right:
                continue
            if not strict and fold(word) == fold(typed) and (word in COMMON_WORDS or self._dominant(word)):
                continue  # "tac" → "tác", "phan" → "phần", "tu" → "từ": the spelling the corpus almost always uses
            chosen[i] = typed
        out, pos = [], 0
        for m, word in zip(tokens, chosen):
            typed = m.group()
            out.append(text[pos:m.start()])
            out.append(typed if word == typed.lower() else match_case(typed, word))
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)

    def _fits(self, typed: list[str], i: int) -> bool:
        """The word as typed forms a corpus pair with a neighbour as typed."""
        return bool((i and self.pairs.get(f"{typed[i - 1]} {typed[i]}", 0))
                    or (i + 1 < len(typed) and self.pairs.get(f"{typed[i]} {typed[i + 1]}", 0)))

    def _dominant(self, word: str) -> bool:
        """The spelling is the only one of its accent-free form, or DOMINANT times as frequent as the next."""
        spellings = self.by_fold.get(fold(word), [])
        others = [self.count.get(w, 0) for w in spellings if w != word]
        return not others or self.count.get(word, 0) >= DOMINANT * max(others)

    def _candidates(self, typed: str, accented_input: bool = False, name: bool = False) -> list[tuple[str, float]]:
        """`accented_input`: the question is typed with diacritics, so a known word typed
        without them ("trong") is probably meant as typed."""
        low = typed.lower()
        if (any(c.isdigit() for c in low) or len(low) > 8 or (typed.isupper() and len(typed) >= 2)
                or low in COMMON_WORDS or (accented_input and low in EVERYDAY_WORDS) or (name and low in self.count)):
            return [(low, 0.0)]  # ("Kế hoạch Sở KH&CN": a capitalised corpus word inside the sentence is a name's)
        f = fold(low)
        accented = f != low
        out: dict[str, float] = {}
        if low in self.count:
            # typed without any diacritics, a known word ("phan") is no likelier than its accented
            # spellings ("phần"): the corpus frequencies and pairs decide
            out[low] = COST["add_accents"] if not accented and not accented_input and len(self.by_fold.get(f, [])) > 1 else 0.0
        else:
            out[low] = COST["unknown"]
        for spelled in self.by_fold.get(f, []):
            if spelled != low:
                if low in self.count:
                    cost = COST["respell_accented"] if accented else COST["wrong_accents"] if accented_input else COST["add_accents"]
                else:
                    cost = COST["wrong_accents"] if accented else COST["add_accents"]
                out.setdefault(spelled, cost)
        if not name and ((not accented and f not in self.by_fold) or (accented and low not in self.count)):
            for g in _edits1(f):
                for spelled in self.by_fold.get(g, []):
                    out.setdefault(spelled, COST["edit"])
        return list(out.items())


# ("một phần ba" is a third, not a part: a count word before "phần" leaves it alone)
_NUMBERED_PART = re.compile(r"(?<!\w)(?<!một )(?<!hai )(?<!ba )([Pp]hần|[Ll]ần)\s+(I{1,3}|IV|VI{0,3}|[1-9]|một|hai|ba|bốn|tư|năm)(?!\w)")
_ORDINAL_WORDS = {"1": "nhất", "I": "nhất", "2": "hai", "II": "hai", "3": "ba", "III": "ba", "4": "tư", "IV": "tư",
                  "5": "năm", "V": "năm", "6": "sáu", "VI": "sáu", "7": "bảy", "VII": "bảy", "8": "tám", "VIII": "tám",
                  "9": "chín", "một": "nhất", "hai": "hai", "ba": "ba", "bốn": "tư", "tư": "tư", "năm": "năm"}


# Question phrasing the documents rarely contain, added to the corpus counts (PSEUDO_COUNT each)
# so that "bao nhiu", "khi nao", "ngay nao" are restored like document words.
QUESTION_PHRASES = """bao nhiêu|khi nào|là gì|là ai|ngày nào|tháng nào|năm nào|thế nào|như thế nào|ra sao|tháng mấy|mấy phần
|những gì|cái gì|ở đâu|về đâu|bao giờ|vì sao|tại sao|có không|được không|thì sao|tên gì|tên là gì|đồng chí nào
|người nào|cơ quan nào|hình thức nào|nội dung gì|nhiệm vụ gì|làm gì|gồm những|thời hạn|hạn chót|lúc nào|đến khi nào
|bao lâu|chậm nhất|trước ngày|ai ký|người ký|ký văn bản|văn bản đó|người đó|kế hoạch đó|ở đó|còn ở|thế còn|vậy còn
|chức vụ|chức danh|giữ chức|hiệu lực|tiền|giá|sinh năm|phải không|có phải
|có bắt buộc|bắt buộc phải|có cần|có được|hay không|hay là|cách khác|đúng không
""".replace("\n", "").strip("|").split("|")
# … and words askers use of what the plans describe, which the plans write seldom or in other senses: each pair is
# spelling evidence beside its neighbour (no question frame; a word the plans use keeps its own count, so "trong
# sạch" stays theirs): "sách gồm" is the book, where the plans' "sạch" (of "trong sạch", in the book's title)
# outnumbers "sách" six to one; "có thêm", not the "cố thêm" of "củng cố thêm"
ASKERS_WORDS = ["sách gồm", "sách có", "quyển sách", "có thêm", "bao nhiêu ảnh", "mấy ảnh", "riêng"]
# … and phrases that only frame a question ("báo cáo gửi qua cơ quan nào" continues a conversation about one plan's
# reports), kept out of the spelling counts: "qua" before "cơ quan" is no evidence for a typed word's accents
ROUTE_PHRASES = ["qua ai", "qua cơ quan nào", "qua đơn vị nào", "qua ban nào"]  # through whom a report goes
FRAME_PHRASES = QUESTION_PHRASES + ROUTE_PHRASES
PSEUDO_COUNT = 20
# Everyday words of questions (pronouns, particles, question words): known words, so the
# decoder never turns "nó" into "cơ" because "của cơ" (quan) is frequent in the corpus.
# ("bao" of "bao nhiêu" is left out: typed without diacritics it is as often "báo" of "báo cáo", and
# the pseudo-counted phrase keeps "bao nhieu" as it is)
COMMON_WORDS = set("""
là gì nhiêu khi nào ai thế như sao còn có không của và các những trong ở thì được để về với cho từ đến hay nhé à
bạn tôi biết hỏi mấy cái này đó kia vậy thôi theo một ra vào tại phải cần đã sẽ đang bị bởi nếu mà nhỉ ạ hả chứ ơi
xin vui lòng giúp em anh chị mình ta chúng hoặc do nó ấy họ ông bà người việc đâu nào rồi nữa lắm quá rất chưa
vẫn cũng đều thì sao nhưng hay hoặc vì nên lúc giờ hôm nay mai qua tuần tháng năm ngày dạ vâng ừ ok mang
nộp
""".split())

# Everyday words, in a question typed with diacritics, that plans seldom use: real words, not typos of the corpus's
# ("dựa trên" is no "đưa trên", "tìm hiểu" no "giới thiệu", "nguồn nào" no "người nào"). Found among the
# dev halves' wrong corrections and filled out with their everyday neighbours ("thay mặt" is no "thấy mặt").
EVERYDAY_WORDS = set("""
dựa hiểu nguồn dùng lặp cổng xúc hát máy tả tóm thác dự nữ viện ví cộng mượn mua bán đọc viết nghe xem nói kể
nhớ quên muốn thích dạy gặp chơi ăn uống ngủ nhà lớp giấy bút tiền giá rẻ đắt nhanh sớm muộn trễ dễ khó sai
tốt xấu cũ bớt sửa gửi nhận đổi lấy mở đóng tắt bật chụp quay in kiếm tìm hỏi đáp trả lời nhờ mời thay
dòng bảng cột trang góc chụp sổ
hai ba bốn sáu bảy tám chín mười mươi
""".split())  # (the number words: "bài học thứ bảy" is no "thứ ba" the corpus pairs more often)

# Channel costs of the spelling decoder (log-odds units against corpus pair support,
# PAIR_WEIGHT · log(1 + pair count)): tuned on the phone dev set.
COST = {
    "unknown": 0.8,  # keeping a word the corpus never uses (names, out-of-corpus topics): cheap, stays
    "add_accents": 0.2,  # typed without diacritics: restoring them is the usual case
    "wrong_accents": 1.2,  # typed with other diacritics than any corpus spelling ("sinh hoật")
    "respell_accented": 2.0,  # a correct corpus word typed: only strong pair evidence changes it
    "edit": 2.5,  # one letter added, dropped, changed or swapped ("kế hoạc", "bao nhiu")
    "sound_alike": 2.5,  # a word that sounds alike, as speech-to-text writes it ("sinh hoạch", "huyện ủi")
}
# Time words are function words of questions ("năm nào") and halves of the plans' compounds ("hằng năm"):
# their pairs stay evidence for the neighbour's spelling
TIME_WORDS = {"năm", "tháng", "ngày", "tuần"}
# "tháng 11 hằng năm" dates something, it counts no "hằng năm" (accent-free, before a number)
NOT_AFTER_A_TIME_WORD = "".join(f"(?<!{w} )" for w in ("thang", "ngay", "nam", "tuan", "quy"))
PAIR_WEIGHT = 1.0
COMPOUND_SHARE = 0.5  # a misheard function word is read as a compound's half its left word takes this often
DOMINANT = 4  # restoring diacritics without a corpus pair to witness it: only to a spelling this dominant
WRITTEN_AS_IS = 3  # an abbreviation the corpus itself uses standalone this often is not spelled out for retrieval


# Sounds that speech-to-text (and the regional accents it hears) confuses: final consonants, then initials
_FINALS = [("ch", "t"), ("c", "t"), ("ng", "n"), ("nh", "n")]
_INITIALS = [("tr", "ch"), ("s", "x"), ("gi", "d"), ("r", "d"), ("gi", "r"), ("l", "n"),
             ("dz", "v"), ("dz", "d"), ("dz", "gi")]  # ("dzậy": a Southern "vậy" written as said)


def _sound_alikes(word: str) -> set[str]:
    """Spellings of the syllable (lower case, with its diacritics) with one confusable consonant changed,
    vowels and tone kept ("hoạch": "hoạt"; "động" has no plain "d" to change)."""
    out = set()
    for a, b in _FINALS:
        for x, y in ((a, b), (b, a)):
            if word.endswith(x) and not (x in ("c", "n") and word.endswith(("ch", "nh", "ng"))):
                out.add(word[:-len(x)] + y)
    for a, b in _INITIALS:
        for x, y in ((a, b), (b, a)):
            if word.startswith(x) and not (x in ("c", "g") and word.startswith(("ch", "gi"))):
                out.add(y + word[len(x):])
    return out - {word}


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return set(deletes + swaps + replaces + inserts) - {word}


def match_case(typed: str, word: str) -> str:
    """`word` capitalised as `typed` was."""
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _mostly_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7


def _join(words: list[str], source: str) -> str:
    """The phrase as written in the source (keeps its punctuation, e.g. 'công chức, viên chức')."""
    m = re.search(r"\W+".join(re.escape(w) for w in words), source)
    return m.group(0) if m else " ".join(words)


# A place is named after the word for its level ("Thành ủy Yên Bái", "tỉnh Điện Biên"); people
# type it by its initials ("thanh uy YB", "So KHCN DB"), which the corpus itself never writes.
_PLACE = re.compile(r"(?i:tỉnh ủy|tỉnh uỷ|thành ủy|thành uỷ|huyện ủy|huyện uỷ|thị ủy|thị uỷ|quận ủy|quận uỷ|tỉnh|"
                    r"thành phố|huyện|quận|thị xã|thị trấn|xã|phường) +((?:[A-ZĐ][^\W\d_A-ZĐ]* +){1,2}[A-ZĐ][^\W\d_A-ZĐ]*)")


def _mine_place_initials(lines: list[str]) -> dict[str, list[str]]:
    """Readings of a place's initials ("yb" → "Yên Bái"): capitalised names of two or three
    words written after a level ("tỉnh", "Thành ủy") at least twice."""
    seen: Counter = Counter(m.group(1) for line in lines for m in _PLACE.finditer(nfc(line)))
    out: dict[str, list[str]] = defaultdict(list)
    for name, n in seen.most_common():
        if n >= 2:
            out[_initials(name.split())].append(name)
    return dict(out)


def _mine_initials(lines: list[str], wanted: set[str]) -> dict[str, list[str]]:
    """Readings of the corpus's capital abbreviations implied by the corpus itself: capitalised
    phrases whose initials spell them ("Ban Tuyên giáo" → BTG), seen at least twice."""
    found: dict[str, Counter] = defaultdict(Counter)
    if not wanted:
        return {}
    sizes = {len(w) for w in wanted}
    for line in lines:
        words = re.findall(r"\w+", line)
        for i, w in enumerate(words):
            if not w[:1].isupper() or w.isupper():
                continue
            for n in sizes:
                # allow one "và" inside ("Khoa học và Công nghệ")
                for span in (n, n + 1):
                    seq = words[i:i + span]
                    if len(seq) < span:
                        continue
                    ini = _initials(seq)
                    if ini in wanted and len(ini) == n and seq[-1].lower() not in _INITIAL_SKIP:
                        found[ini][" ".join(seq)] += 1
    out: dict[str, list[str]] = {}
    for abbr, phrases in found.items():
        keep = [p for p, c in phrases.most_common() if c >= 2 and sum(w[:1].isupper() for w in p.split()) >= 2]
        if keep:
            out[abbr] = keep[:4]
    return out


# --- 5. bodies described by their level ---------------------------------------------------------

# "cơ quan tuyên giáo thị xã", "cấp ủy huyện", "thường vụ huyện": the committee of that level by its own name
# ("Ban Tuyên giáo Thị ủy", "Huyện ủy", "Ban Thường vụ Huyện ủy"), as the documents and their aliases write it
# ("cấp ủy huyện" is as often the grassroots committees of the district; the province's own bodies are cited, not
# the corpus's: only the district, town and city levels)
_LEVEL_COMMITTEE = {"huyện": "Huyện ủy", "thị xã": "Thị ủy", "thành phố": "Thành ủy"}
_DESCRIBED_BODY = re.compile(r"(?i)\b(cơ quan tuyên giáo|(?:ban )?thường vụ)(?: cấp)? (huyện|thị xã|thành phố)\b"
                             r"(?!\s*(?:ủy|uỷ|đoàn|hội|\w+ ủy))")  # ("thường vụ huyện đoàn": the Youth Union's)


# "cấp thị", "bên thị": the town's level in office shorthand (not "thị trấn", "thị trường", "thị ủy")
_TOWN_LEVEL = re.compile(r"(?i)\b(cấp|bên|ở) thị\b(?! (?:xã|trấn|ủy|uỷ|trường|hiếu|phạm|thực|sát|giác|lực))")


def formal_bodies(text: str) -> str:
    """The text with committees described by their level named as the documents name them ("cấp
    thị", the town's level in office shorthand, is "cấp thị xã")."""
    text = _TOWN_LEVEL.sub(r"\1 thị xã", text)
    def named(m: re.Match) -> str:
        committee = _LEVEL_COMMITTEE[m.group(2).lower()]
        kind = m.group(1).lower()
        return f"Ban Tuyên giáo {committee}" if kind.startswith("cơ quan") else f"Ban Thường vụ {committee}"
    return _DESCRIBED_BODY.sub(named, text)
