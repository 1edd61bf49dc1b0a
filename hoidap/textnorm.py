"""Vietnamese text normalisation shared by the index and the queries.

- `nfc`: Unicode NFC plus one canonical tone-mark placement ("hoà" → "hòa", "uỷ" → "ủy"),
  so that both spellings in office documents match each other.
- `fold`: the accent-free form, for questions typed without diacritics.
- `tokens`: lowercase syllables plus syllable bigrams, the lexical index's terms.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# "oa", "oe", "uy" closing a syllable carry the tone on the first vowel in the modern style.
# The syllable ends after the tone: "hoặc" (o, a, dot below, breve) is not "hoà" and keeps its tone.
_OLD_STYLE = re.compile(rf"(?<![qQ])([oO])([aAeE])([{_TONES}])(?![\w\u0300-\u036f])"
                        rf"|(?<![qQ])([uU])([yY])([{_TONES}])(?![\w\u0300-\u036f])")
# Bumped when tokens change for the same text: an ingest then rebuilds the lexical parts of an
# unchanged index (2: "hoặc" was tokenised as "họăc").
TEXT_NORM_VERSION = 2
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200b\u3000]+")


def _move_tone(m: re.Match) -> str:
    if m.group(1):
        return m.group(1) + m.group(3) + m.group(2)
    return m.group(4) + m.group(6) + m.group(5)


# The same old-style spellings, as they look in text already in NFC: nothing to move when none occurs.
_OLD_STYLE_NFC = re.compile(r"(?<![qQ])(?:[oO][àáãảạèéẽẻẹÀÁÃẢẠÈÉẼẺẸ]|[uU][ỳýỹỷỵỲÝỸỶỴ])(?!\w)")


def nfc(text: str) -> str:
    """NFC with canonical (modern) tone placement."""
    if unicodedata.is_normalized("NFC", text) and not _OLD_STYLE_NFC.search(text):
        return text  # most text: already canonical (the slow path below is most of tokenising's time)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_STYLE.sub(_move_tone, decomposed))


@lru_cache(maxsize=1 << 14)  # the same names, synonyms and passages are folded many times an answer (~15 % of its time)
def fold(text: str) -> str:
    """Lowercase accent-free form: 'Tác phẩm gồm mấy phần' → 'tac pham gom may phan'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def canonical(text: str) -> str:
    """Comparison key: NFC, canonical tones, lowercase, single spaces."""
    return squash_spaces(nfc(text).lower())


def syllables(text: str) -> list[str]:
    return _WORD.findall(nfc(text).lower())


def with_bigrams(words: list[str]) -> list[str]:
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def tokens(text: str) -> list[str]:
    """Terms of the exact lexical index: syllables and syllable bigrams."""
    return with_bigrams(syllables(text))


def folded_tokens(text: str) -> list[str]:
    """Terms of the accent-free lexical index."""
    return with_bigrams(_WORD.findall(fold(nfc(text))))


SCHEMES = ("syllables", "pyvi", "underthesea")


def segmented_words(text: str, scheme: str) -> list[str]:
    """Words from a Vietnamese word segmenter, compound words joined by "_"."""
    text = nfc(text)
    if scheme == "pyvi":
        from pyvi import ViTokenizer

        joined = ViTokenizer.tokenize(text)
    elif scheme == "underthesea":
        from underthesea import word_tokenize

        joined = word_tokenize(text, format="text")
    else:
        raise ValueError(f"unknown lexical scheme '{scheme}' (expected one of {', '.join(SCHEMES)})")
    return [w for w in joined.lower().split() if _WORD.search(w)]


def lexical_terms(text: str, form: str, scheme: str = "syllables") -> list[str]:
    """Terms of a lexical index: `form` is exact or folded (accent-free); `scheme` is
    syllables (+ syllable bigrams) or a word segmenter's words (+ word bigrams)."""
    if scheme == "syllables":
        return tokens(text) if form == "exact" else folded_tokens(text)
    words = segmented_words(text, scheme)
    return with_bigrams(words if form == "exact" else [fold(w) for w in words])
