"""BM25 over Vietnamese syllables and syllable bigrams (bm25s), in two forms: exact
(with diacritics, canonical tone placement) and accent-free for questions typed without
diacritics."""
from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from .textnorm import fold, lexical_terms, syllables



class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25
        self.vocab = bm25.vocab_dict
        self.n_docs = int(bm25.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], form: str, scheme: str = "syllables") -> "LexicalIndex":
        bm25 = bm25s.BM25()
        # An empty index is valid (every document deleted): bm25s needs one row, which no
        # chunk points at.
        bm25.index([lexical_terms(t, form, scheme) or ["_"] for t in texts or [""]], show_progress=False)
        return cls(bm25)

    def save(self, path: Path) -> None:
        self.bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(path), mmap=False, show_progress=False))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocab]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return self.bm25.get_scores(known)


def vocabulary_stats(texts: list[str]) -> dict:
    """Document frequencies of syllables and syllable pairs (exact and accent-free), and the
    most frequent accented spelling of each accent-free syllable and pair, used to restore
    diacritics in questions typed without them."""
    folded = lru_cache(maxsize=500_000)(fold)  # the vocabulary is small next to the number of words
    df: Counter = Counter()
    spelled: Counter = Counter()
    for t in texts:
        words = syllables(t)
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
        forms = set(words) | set(pairs)
        df.update(forms | {folded(f) for f in forms})
        spelled.update(words + pairs)
    restore: dict[str, tuple[str, int]] = {}
    for form, n in spelled.items():
        key = folded(form)
        if key != form and n > restore.get(key, ("", 0))[1]:
            restore[key] = (form, n)
    return {"n": len(texts), "df": dict(df), "restore": {k: v[0] for k, v in restore.items()}}


def idf(df: dict[str, int], n_docs: int, word: str) -> float:
    return math.log(1 + (n_docs + 1) / (df.get(word, 0) + 0.5))
