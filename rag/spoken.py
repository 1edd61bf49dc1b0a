"""Numbers said aloud, as speech-to-text types them ("kế hoạch hai trăm linh năm", "giai đoạn hai
không hai ba đến hai không hai lăm", "ngày ba mươi tháng tư"), written in digits as the documents
write them ("kế hoạch 205", "2023 đến 2025", "ngày 30/4").

Only unambiguous readings are rewritten: a number with a multiplier word (mười, mươi, trăm,
nghìn), four or eight digit words holding a "không" (a year, or two, read digit by digit), and a
month or quarter named by its number word ("tháng tư", "quý hai"). A lone "năm", "ba" or "tư"
stays a word: it is as often "year", "three" in a count, or "tư tưởng". A ten said without its
"mươi" ("ba lăm", "hai mốt") is read too: "lăm" and "mốt" are only ever a ten's units.

`spoken_words` writes the spoken (mostly Southern) forms a voice message carries in the written
ones the documents and the question readers know ("hông" → "không", "ổng" → "ông ấy"), reads a
spoken plural "mấy" as "các" ("với mấy đoàn thể … làm gì"), and ends a sentence before the asking
clause of a message without punctuation ("… thì tôi muốn hỏi là …")."""
from __future__ import annotations

import re

from hoidap.textnorm import fold

# digit words, accent-free ("lăm" and "mốt" are 5 and 1 after a ten; "tư" is 4 there and in a date)
_DIGIT = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "sau~": 6,
          "bay": 7, "tam": 8, "chin": 9}
# the accented spellings a digit word may have (folding alone would read "từ", "sau", "tâm" as digits)
_SPELLED = {"không": "khong", "một": "mot", "mốt": "mot", "hai": "hai", "ba": "ba", "bốn": "bon", "tư": "tu",
            "năm": "nam", "lăm": "lam", "sáu": "sau", "bảy": "bay", "bẩy": "bay", "tám": "tam", "chín": "chin"}
_TEN = {"mười": "muoi10", "mươi": "muoi", "chục": "muoi"}
_WORD = re.compile(r"\w+", re.UNICODE)
# never the tens of a number: forty is "bốn mươi" ("từ mười lăm" typed plain is no 45), "sau mười ngày" typed plain
# is after ten days ("sau~": "sau" without its accent); "lăm" and "mốt" are only units
_NO_TENS = {"khong", "tu", "sau~", "lam", "mot"}
# what counts happen in, after "tháng": "mỗi tháng một lần" is no January
_TIMES = {"lan", "buoi", "ky", "dot", "luot"}
# a date said in words, once written in digits, as the documents write it: "ngày 30 tháng 4 năm 2023" → "30/4/2023"
_SPOKEN_DATE = re.compile(r"\b(ngày|ngay) (\d{1,2}) (?:tháng|thang) (\d{1,2})(?: (?:năm|nam) (\d{4}))?\b")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def _kind(word: str) -> str | None:
    """The role of a word in a number: a digit's accent-free name, "muoi10" (mười), "muoi"
    (mươi), "tram", "nghin", "linh", or None. A word with diacritics is read as spelled, one
    without as typed plain ("muoi" is mười or mươi, told apart by what stands before it)."""
    low = word.lower()
    if fold(low) != low:
        if low in _SPELLED:
            return _SPELLED[low]
        if low in _TEN:
            return _TEN[low]
        return {"trăm": "tram", "nghìn": "nghin", "ngàn": "nghin", "linh": "linh", "lẻ": "linh"}.get(low)
    f = low
    if f == "sau":
        return "sau~"  # typed plain, "sau" is as often "after" as six
    if f in _DIGIT:
        return f
    return {"muoi": "muoi?", "tram": "tram", "nghin": "nghin", "ngan": "nghin", "linh": "linh", "le": "linh"}.get(f)


def _tens(kinds: list[str | None], i: int) -> tuple[int, int] | None:
    """A number below 100 from kinds[i]: "mười (lăm)", "ba mươi (mốt)". Returns (value, next index)."""
    k = kinds[i] if i < len(kinds) else None
    if k in ("muoi10", "muoi?"):
        value, i = 10, i + 1
    elif k in _DIGIT and i + 1 < len(kinds) and kinds[i + 1] in ("muoi", "muoi?") and k not in _NO_TENS:
        value, i = 10 * _DIGIT[k], i + 2
    else:
        return None
    if i < len(kinds) and kinds[i] in _DIGIT and kinds[i] not in ("khong", "nam"):
        value, i = value + _DIGIT[kinds[i]], i + 1  # (five after a ten is "lăm": "ba mươi năm" is thirty years)
    return value, i


def _number(kinds: list[str | None], i: int) -> tuple[int, int] | None:
    """The longest number with a multiplier word starting at kinds[i]."""
    value, j, used = 0, i, False
    k = kinds[j] if j < len(kinds) else None
    if k in _DIGIT and j + 1 < len(kinds) and kinds[j + 1] == "nghin":
        value, j, used = 1000 * _DIGIT[k], j + 2, True
    if j < len(kinds) and kinds[j] in _DIGIT and j + 1 < len(kinds) and kinds[j + 1] == "tram":
        value, j, used = value + 100 * _DIGIT[kinds[j]], j + 2, True
    if used and j + 1 < len(kinds) and kinds[j] == "linh" and kinds[j + 1] in _DIGIT:
        return value + _DIGIT[kinds[j + 1]], j + 2  # "hai trăm linh năm"
    tens = _tens(kinds, j)
    if tens:
        return value + tens[0], tens[1]
    if used and j < len(kinds) and kinds[j] in _DIGIT and kinds[j] not in ("khong", "nam"):
        return value + _DIGIT[kinds[j]], j + 1  # "một trăm bốn" (spoken short for 104): not "… trăm năm" (years)
    return (value, j) if used else None


def _digit_run(kinds: list[str | None], i: int) -> tuple[str, int] | None:
    """"hai không hai ba": a year (or two) read digit by digit: four or eight digit words holding a
    "không". A longer run starts with words of their own ("quý hai năm hai không hai ba"): the
    reading starts later."""
    j = i
    while j < len(kinds) and kinds[j] in _DIGIT:
        j += 1
    run = kinds[i:j]
    if len(run) in (4, 8) and "khong" in run and run[0] != "khong":
        return "".join(str(_DIGIT[k]) for k in run), j
    return None


# "ba lăm", "hai mốt": a ten said without its "mươi" (35, 21); "lăm" and "mốt" are only ever a ten's units
_SHORT_TENS = re.compile(r"(?i)(?<!\w)(hai|ba|bốn|năm|sáu|bảy|bẩy|tám|chín) (lăm|mốt)(?!\w)")


def _short_tens(m: re.Match) -> str:
    before = re.search(r"(\w+)\W*$", m.string[:m.start()])
    if before and (before.group(1).lower() in _SPELLED or before.group(1).lower() in _TEN):
        return m.group(0)  # inside a number said in full or digit by digit ("hai không hai lăm": 2025)
    return f"{_DIGIT[_SPELLED[m.group(1).lower()]]}{5 if m.group(2).lower() == 'lăm' else 1}"


def spoken_numbers(text: str) -> str:
    """The text with numbers said in words written in digits (see the module's docstring)."""
    text = _SHORT_TENS.sub(_short_tens, text)
    words = list(_WORD.finditer(text))
    if not words:
        return text
    kinds = [_kind(m.group(0)) for m in words]
    # a number's words stand side by side: "hằng tháng, năm" is no "tháng 5"
    for n in range(1, len(words)):
        if text[words[n - 1].end():words[n].start()].strip():
            kinds[n] = kinds[n] and "|" + kinds[n]  # the word starts afresh: nothing before it joins it
    out, last, i = [], 0, 0
    while i < len(words):
        found = _read(words, kinds, i)
        if found:
            digits, start, j = found
            out.append(text[last:words[start].start()])
            out.append(digits)
            last, i = words[j - 1].end(), j
        else:
            i += 1
    out.append(text[last:])
    written = "".join(out)
    if written == text:
        return text
    return _SPOKEN_DATE.sub(lambda m: f"{m.group(1)} {m.group(2)}/{m.group(3)}" + (f"/{m.group(4)}" if m.group(4) else ""), written)


def _read(words: list[re.Match], marked: list[str | None], i: int) -> tuple[str, int, int] | None:
    """The number said from words[i] on: (digits, first word, next word), or None."""
    if marked[i] is None:
        return None
    fresh = marked[i].startswith("|")
    # the words from i on that continue it (a word after punctuation ends the number)
    kinds = [marked[i].lstrip("|")]
    for k in marked[i + 1:]:
        if k is None or k.startswith("|"):
            break
        kinds.append(k)
    run = _digit_run(kinds, 0)
    if run:
        digits, j = run
        if len(digits) == 8 and digits[0] in "12" and digits[4] in "12":
            digits = f"{digits[:4]} - {digits[4:]}"  # "hai không hai ba hai không hai lăm": 2023 - 2025
        return digits, i, i + j
    prev = "" if i == 0 or fresh else fold(words[i - 1].group(0)).lower()
    before = "" if i < 2 or fresh else fold(words[i - 2].group(0)).lower()
    after = fold(words[i + 1].group(0)).lower() if i + 1 < len(words) and len(kinds) > 1 else ""
    if prev == "thang" and (before in ("moi", "hang") or after in _TIMES or words[i].group(0)[:1].isupper()):
        return None  # "mỗi tháng một lần", "Cách mạng tháng Tám": no month number
    num = _number(kinds, 0)
    if num and (num[1] >= 2 or prev == "thang"):
        return str(num[0]), i, i + num[1]
    k = kinds[0]
    if prev in ("thang", "quy") and k in _DIGIT and k not in ("khong", "lam", "nam", "sau~"):
        # "tháng tư", "quý hai" ("tháng năm nào" asks the month and year; "thang sau" typed plain is as often
        # "tháng sau", next month)
        n = _DIGIT[k]
        if prev == "thang":
            return str(n), i, i + 1
        if n in _ROMAN:
            return _ROMAN[n], i, i + 1
    return None


# Spoken forms → written ones. Only forms no document writes for anything else: "vô" is "into" only before
# a time ("vô lúc nào"; "vô cùng" stays), "nhiêu" is "how much" only where "bao" is not before it.
_SPOKEN_WORDS = [
    (re.compile(r"(?i)(?<!\w)(?:hông|hổng|hem|hơm)(?=\s*[?.!]*\s*$)"), "không"),  # the closing yes/no particle
    (re.compile(r"(?i)(?<!\w)dzậy(?!\w)"), "vậy"),
    (re.compile(r"(?i)(?<!\w)dzô(?!\w)|(?<!\w)vô(?= (?:lúc|hồi|ngày|tháng|năm|dịp|khoảng|khi)\b)"), "vào"),
    (re.compile(r"(?i)(?<!\w)ổng(?!\w)"), "ông ấy"),
    (re.compile(r"(?i)(?<!\w)bả(?!\w)"), "bà ấy"),
    (re.compile(r"(?i)(?<!\w)(?<!bao )(?<!bấy )nhiêu(?! khê)(?!\w)"), "bao nhiêu"),  # (not "bấy nhiêu", "nhiêu khê")
]


# "… với mấy đoàn thể … làm gì": a spoken plural ("the organisations"), no count asked, where the message asks
# something else; "mấy" that asks ("ngày mấy", "có mấy phần") stands after no such preposition
_PLURAL_MAY = re.compile(r"(?i)\b(với|và|cho|của|cùng) mấy(?= \w)"
                         r"(?! (?:chục|trăm|nghìn|ngàn|giờ|ngày|tháng|năm|lần|người)\b)")
_OTHER_ASK = re.compile(r"(?i)\b(?:gì|nào|ai|đâu|bao giờ|bao lâu|bao nhiêu|sao)\b")


# "theo mấy văn bản nào": which ones, no count ("số mấy, ngày nào" asks two things)
_WHICH_MAY = re.compile(r"(?i)(?<!\bsố )(?<!\bthứ )\bmấy (?!(?:ngày|tháng|năm|giờ|lần)\b)(?=\w+(?: \w+)? nào\b)")


# A voice message has no full stops: where the asking clause starts in mid-message ("… thì tôi muốn hỏi là …"),
# a sentence ends before it, so that what was told before reads as the question's context
# ("cho em hỏi", "xin phép tôi hỏi" ask already: only after a word that does not lead in the asking)
_ASKING_CLAUSE = re.compile(r"(?i)(?<=\w)(?<!\bcho)(?<!\bxin)(?<!\bphép)(?<!\bđể)(?<!\bgiúp)\s+(?:thì |nên |vậy )?"
                            r"(?=(?:tôi|em|cháu|mình|con) (?:muốn |xin |có |cần )?(?:được )?hỏi"
                            r"(?: là| rằng| xem| thử| giùm| giúp)?\b)")


def spoken_words(text: str) -> str:
    """The text with spoken forms written as the documents would ("có link hông" → "có link không")."""
    for pattern, written in _SPOKEN_WORDS:
        text = pattern.sub(written, text)
    if _OTHER_ASK.search(text):
        text = _PLURAL_MAY.sub(r"\1 các", text)
    text = _WHICH_MAY.sub("các ", text)
    text = _ASKING_CLAUSE.sub(". ", text, count=1)
    return text
