"""Multiple-choice questions, pasted from a quiz sheet ("hội thi tìm hiểu"): "Kế hoạch 205 ban hành ngày
nào? A. 04/4/2023 B. 10/4/2023 C. 20/4/2023". The stem is the question; the options are no part of
it (three of four name what the documents do not have, and grounding would refuse the question for
them). Once the stem is answered, the option the quoted passages write word for word is named — the
one they do not write, for a stem asking which is NOT there — and only when exactly one qualifies:
a choice read off the cited text, never guessed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hoidap.textnorm import fold, squash_spaces

# "A. …", "B) …", "(c) …", "d. …": a letter opening an option, after a space, a line break or the stem's end
_MARK = re.compile(r"(?:(?<=\s)|(?<=[:?])|^)\(?([A-Ha-h])\s*[.)]\s+")
# the stem asks which option is NOT there ("Đơn vị nào KHÔNG có trong …", "… không thuộc …")
_NEGATED = re.compile(r"\bKH(?:Ô|O)NG\b|\bkh(?:ô|o)ng (?:có trong|co trong|thuộc|thuoc|nằm trong|nam trong|phải là|phai la"
                      r"|được nêu|duoc neu|được nhắc|duoc nhac)\b")


@dataclass
class Choices:
    stem: str  # the question without its options
    options: list[tuple[str, str]] = field(default_factory=list)  # (letter, text as typed)
    negated: bool = False  # the stem asks which option is not there


# "vậy B hay C?", "chọn A hả", "đáp án là gì": the last quiz question asked again, among the letters named
_PICK = re.compile(r"^(?:(?:vay|the|vay thi|the thi|the con|con|the rut cuoc|rut cuoc) )?(?:(?:chon|dap an|phuong an|cau) )?"
                   r"(?:(?:la )?(?P<letters>[a-h](?:\s*(?:hay|hoac|voi|va|,)\s*[a-h])*)"
                   r"|(?:chon|dap an|phuong an) (?:nao|gi)(?: dung)?|(?:dap an|chon) (?:la )?gi)"
                   r"(?: (?:vay|a|nhi|nhe|day|ha|ak|dung khong|dung ko))?\s*[?.!]*$")


def picked(question: str, previous: Choices) -> Choices | None:
    """`previous` asked again when the question only picks among its options; the options named
    ("B hay C"), or all of them ("đáp án là gì")."""
    m = _PICK.match(squash_spaces(fold(question).lower().strip()))
    if not m or not previous.options:
        return None
    named = set(re.findall(r"\b[a-h]\b", m.group("letters") or ""))
    options = [(letter, body) for letter, body in previous.options if not named or letter.lower() in named]
    return Choices(previous.stem, options or previous.options, previous.negated)


def split_choices(text: str) -> Choices:
    """The stem and its options, when the text ends with a run of at least two options lettered
    A, B, … in order; otherwise the text itself with none."""
    marks = list(_MARK.finditer(text))
    for i, first in enumerate(marks):
        if first.group(1) not in "Aa" or not text[:first.start()].strip():
            continue
        run = [first]
        for mark in marks[i + 1:]:
            if mark.group(1) == chr(ord(run[-1].group(1)) + 1):
                run.append(mark)
        if len(run) < 2:
            continue
        ends = [m.start() for m in run[1:]] + [len(text)]
        options = [(m.group(1).upper(), text[m.end():end].strip(" \t\n;,.")) for m, end in zip(run, ends)]
        if not all(body for _, body in options):
            continue
        stem = text[:first.start()].rstrip(" \t\n(")
        return Choices(stem, options, bool(_NEGATED.search(stem)))
    return Choices(text)


def _plain(text: str) -> str:
    return " " + squash_spaces(re.sub(r"[^\w/]+", " ", fold(text).lower())) + " "


def chosen_option(choices: Choices, quoted: list[str]) -> str | None:
    """The line naming the option the quoted passages settle, or None when none or several do."""
    if len(choices.options) < 2:
        return None
    said = _plain(" ".join(quoted))
    found = [(letter, body) for letter, body in choices.options if len(_plain(body).strip()) >= 2 and _plain(body) in said]
    if choices.negated:
        absent = [(letter, body) for letter, body in choices.options if (letter, body) not in found]
        if len(absent) == 1 and len(found) == len(choices.options) - 1:
            letter, body = absent[0]
            return f"Phương án không có trong đoạn trích dẫn: {letter}. {body}"
        return None
    if len(found) == 1:
        letter, body = found[0]
        return f"Phương án khớp với văn bản: {letter}. {body}"
    return None
