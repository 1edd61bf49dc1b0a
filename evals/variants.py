"""Automatic phone-style variants of any question set (`hoidap eval --variants`): the same
question without diacritics, with common administrative abbreviations, with one or two typos,
and inside a chatty wrapper. Expected answers stay the same, so correctness per variant kind
next to the original measures robustness. Variants are deterministic (seeded by the id)."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import replace

from hoidap.textnorm import fold, nfc

from .dataset import EvalQuestion

KINDS = ("no-diacritics", "abbreviations", "typos", "chatty")

# Phrase → the abbreviation phone users type (longest first when applied).
ABBREVIATIONS = [
    ("phòng, chống tham nhũng", "pctn"), ("phòng chống tham nhũng", "pctn"), ("Mặt trận Tổ quốc", "MTTQ"),
    ("Ủy ban nhân dân", "UBND"), ("Hội đồng nhân dân", "HĐND"), ("Khoa học và Công nghệ", "KHCN"),
    ("Ban Tuyên giáo", "BTG"), ("Ban Thường vụ", "BTV"), ("Ban Chấp hành", "BCH"), ("Ban Chỉ đạo", "BCĐ"),
    ("Thành ủy", "TU"), ("Tỉnh ủy", "TU"), ("Thị ủy", "TU"), ("Huyện ủy", "HU"), ("kế hoạch", "kh"),
    ("hướng dẫn", "hd"), ("báo cáo", "bc"), ("kết quả", "kq"), ("đồng chí", "đ/c"), ("cán bộ", "cb"),
    ("đảng viên", "đv"), ("sinh hoạt", "sh"), ("thành phố", "tp"), ("hội nghị", "hn"), ("yêu cầu", "yc"),
    ("giai đoạn", "gđ"), ("không", "ko"), ("được", "đc"), ("trước", "trc"), ("người", "ng"), ("với", "vs"),
]
WRAPPERS = [
    ("Dạ em chào anh chị ạ, em đang chuẩn bị bài cho chi bộ, cho em hỏi {q} ạ? Em cảm ơn nhiều ạ", True),
    ("chào ad, mình là đảng viên mới, cho mình hỏi {q} với, thanks", True),
    ("Xin chào! Tôi công tác ở phường. Tôi muốn hỏi: {q}? Xin cảm ơn.", False),
    ("ad ơi cho e hỏi chút, {q} vậy ạ, e cần gấp ạ", True),
    ("Kính gửi quý cơ quan, tôi xin hỏi {q}. Trân trọng cảm ơn!", False),
]
_TONES = {"\u0300": "\u0301", "\u0301": "\u0300", "\u0303": "\u0309", "\u0309": "\u0303", "\u0323": "\u0301"}


def variants(q: EvalQuestion) -> list[tuple[str, EvalQuestion]]:
    """(kind, variant) for every kind that changes the question."""
    rng = random.Random(q.id)
    out = []
    for kind, text in (("no-diacritics", fold(q.question)), ("abbreviations", abbreviate(q.question)),
                       ("typos", typos(q.question, rng)), ("chatty", chatty(q.question, rng))):
        if text and text != q.question:
            out.append((kind, replace(q, id=f"{q.id}~{kind}", question=text, tags=list(q.tags) + [f"variant:{kind}"])))
    return out


def abbreviate(text: str) -> str:
    out = text
    for phrase, abbr in ABBREVIATIONS:
        out = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", abbr, out, flags=re.IGNORECASE)
    return out


def typos(text: str, rng: random.Random) -> str:
    """One or two realistic slips in words of three letters or more: a tone mark dropped or
    swapped, a vowel's hat or horn dropped, a final consonant dropped, two letters swapped."""
    words = list(re.finditer(r"\w{3,}", text))
    words = [m for m in words if not any(c.isdigit() for c in m.group()) and not m.group().isupper()]
    if not words:
        return text
    chosen = sorted(rng.sample(words, min(len(words), rng.choice((1, 2)))), key=lambda m: m.start())
    out, pos = [], 0
    for m in chosen:
        out.append(text[pos:m.start()])
        out.append(_slip(m.group(), rng))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _slip(word: str, rng: random.Random) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [i for i, c in enumerate(decomposed) if c in _TONES]
    hats = [i for i, c in enumerate(decomposed) if c in "\u0302\u0306\u031b"]
    options = []
    if tones:
        options += ["drop_tone", "swap_tone"]
    if hats:
        options.append("drop_hat")
    if len(word) >= 4 and word[-1].lower() in "cghnt":
        options.append("drop_final")
    if len(word) >= 4:
        options.append("swap")
    kind = rng.choice(options or ["double"])
    if kind == "double":
        i = rng.randrange(len(word))
        return word[:i + 1] + word[i] + word[i + 1:]
    if kind == "drop_tone":
        i = rng.choice(tones)
        return nfc(decomposed[:i] + decomposed[i + 1:])
    if kind == "swap_tone":  # the new tone goes after the vowel's hat or horn, as typed
        i = rng.choice(tones)
        rest = decomposed[:i] + decomposed[i + 1:]
        j = i
        while j < len(rest) and unicodedata.combining(rest[j]):
            j += 1
        return nfc(rest[:j] + _TONES[decomposed[i]] + rest[j:])
    if kind == "drop_hat":
        i = rng.choice(hats)
        return nfc(decomposed[:i] + decomposed[i + 1:])
    if kind == "drop_final":
        return word[:-1]
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def chatty(text: str, rng: random.Random) -> str:
    template, lower = rng.choice(WRAPPERS)
    q = text.strip().rstrip("?.! ")
    if lower and q[:1].isupper() and not q.split()[0].isupper():
        q = q[:1].lower() + q[1:]
    return template.format(q=q)
