"""Words typed with a Vietnamese input method switched off: Telex and VNI leftovers.

A phone keyboard without its Vietnamese input method leaves the keystrokes in the text:
Telex "kees hoachj" for "kế hoạch", "hanj nopj baos caos" for "hạn nộp báo cáo", VNI "ke61
hoa5ch". The keystrokes are unambiguous where a Vietnamese syllable cannot contain them (a tone
letter s/f/r/x/j after the vowel, "aa", "ow", "dd" at the start, a digit inside a word), so such a
word is read back as the syllable it was typed for, then checked against the corpus's spellings:

- the syllable the corpus writes as decoded → that word;
- else a corpus spelling with the same letters and the typed tone ("nopj" → "nọp" → "nộp", the
  circumflex forgotten) → that spelling;
- else a well-formed syllable of three letters or more is kept as decoded ("Thanh Hoas" → "Hoá",
  a province the corpus may not have, so that the question still names it);
- else the accent-free letters, which the spelling correction (rag.normalize) reads as any other.

A word the corpus has as typed ("xoong") is never decoded.
"""
from __future__ import annotations

import re
import unicodedata

from hoidap.textnorm import fold, nfc

from .normalize import Lexicon, match_case

_TONE_LETTERS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323", "z": ""}
_TONE_DIGITS = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_TONE_MARKS = set(_TONE_LETTERS.values()) - {""}
_VOWELS = set("aăâeêioôơuưy")
_MODIFIED = set("ăâêôơư")
_INITIALS = {"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p",
             "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"}
_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
# the vowel groups of Vietnamese syllables (after "gi" and "qu" are taken as initials)
_NUCLEI = set("""a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê uô ui uơ uy
ưa ưi ươ ưu yê iêu yêu oai oay oeo uây uôi ươi ươu uya uyê uyu""".split())
_NUCLEI_UNMODIFIED = {fold(n) for n in _NUCLEI}  # "trietj": the circumflex forgotten, the tone typed
_TELEX_VOWELS = [("uow", "ươ"), ("uwow", "ươ"), ("uwo", "ươ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"),
                 ("ow", "ơ"), ("uw", "ư"), ("w", "ư")]
_VNI_WORD = re.compile(r"[a-z]+(?:[1-9]+[a-z]*)+")
_WORD = re.compile(r"\w+")


def _syllable(letters: str, tone: str) -> str | None:
    """`letters` (modifiers applied, no tone) as a syllable with `tone`, or None if no syllable is spelled so."""
    initial = next((i for i in ("ngh", "ng", "gh", "gi", "qu", "ch", "kh", "nh", "ph", "th", "tr") if letters.startswith(i)),
                   letters[:1] if letters[:1] not in _VOWELS else "")
    rest = letters[len(initial):]
    if initial == "gi" and (not rest or rest[0] not in _VOWELS):
        initial, rest = "g", letters[1:]  # "gìn": g + i
    nucleus = re.match(r"[aăâeêioôơuưy]*", rest).group()
    final = rest[len(nucleus):]
    if initial not in _INITIALS or fold(nucleus) not in _NUCLEI_UNMODIFIED or final not in _FINALS:
        return None
    if not tone:
        return letters
    if any(c in _MODIFIED for c in nucleus):  # "ươ": the tone sits on the ơ
        at = max(i for i, c in enumerate(nucleus) if c in _MODIFIED)
    elif final or len(nucleus) == 1:
        at = len(nucleus) - 1
    else:
        at = len(nucleus) // 2 if len(nucleus) == 3 else 0  # "oai" → oái, "bao" → báo (nfc settles "hoà"/"hòa")
    marked = nucleus[:at + 1] + tone + nucleus[at + 1:]
    return nfc(unicodedata.normalize("NFC", initial + marked + final))


def _telex(word: str) -> str | None:
    first_vowel = next((i for i, c in enumerate(word) if c in "aeiouy"), None)
    if first_vowel is None:
        return None
    head, tail = word[:first_vowel], word[first_vowel:]
    tones = [c for c in tail if c in _TONE_LETTERS]
    letters = "".join(c for c in tail if c not in _TONE_LETTERS)
    if head.startswith("dd"):
        head = "đ" + head[2:]
    for typed, vowel in _TELEX_VOWELS:
        letters = letters.replace(typed, vowel)
    if not tones and head + letters == word:
        return None  # nothing of Telex in it
    return _syllable(head + letters, _TONE_LETTERS[tones[-1]] if tones else "")


def _vni(word: str) -> str | None:
    if not _VNI_WORD.fullmatch(word) or sum(c.isalpha() for c in word) < 2:
        return None
    letters, tone = "", ""
    if word.startswith("dd"):  # Telex's đ in a word typed in VNI ("dda3ng")
        letters, word = "đ", word[2:]
    for c in word:
        if c in _TONE_DIGITS:
            tone = _TONE_DIGITS[c]
        elif c == "6":
            letters = _modify_last(letters, {"a": "â", "e": "ê", "o": "ô"})
        elif c == "7":
            letters = _modify_last(letters, {"o": "ơ", "u": "ư"})
            if letters.endswith("uơ"):
                letters = letters[:-2] + "ươ"  # "uo7" is "ươ"
        elif c == "8":
            letters = _modify_last(letters, {"a": "ă"})
        elif c == "9":
            letters = _modify_last(letters, {"d": "đ"})
        else:
            letters += c
    return _syllable(letters, tone)


def _modify_last(letters: str, changes: dict[str, str]) -> str:
    for i in range(len(letters) - 1, -1, -1):
        if letters[i] in changes:
            return letters[:i] + changes[letters[i]] + letters[i + 1:]
    return letters


def _tone_of(word: str) -> str:
    return next((c for c in unicodedata.normalize("NFD", word) if c in _TONE_MARKS), "")


def decode_input_method(text: str, lexicon: Lexicon) -> str:
    """`text` with its Telex and VNI leftovers read back (see the module docstring)."""
    def read(m: re.Match) -> str:
        typed = m.group()
        low = typed.lower()
        if (typed.isupper() and len(typed) >= 2) or low in lexicon.count or fold(low) in lexicon.folded_words:
            return typed  # an abbreviation, or a word the corpus has as typed
        decoded = _vni(low) if any(c.isdigit() for c in low) else _telex(low)
        if decoded is None:
            return typed
        if decoded in lexicon.count:
            return match_case(typed, decoded)
        spellings = lexicon.by_fold.get(fold(decoded), [])
        same_tone = [w for w in spellings if _tone_of(w) == _tone_of(decoded)]
        if same_tone:
            return match_case(typed, same_tone[0])
        if not spellings and len(decoded) >= 3:
            return match_case(typed, decoded)
        return match_case(typed, fold(decoded))
    return _WORD.sub(read, text)
