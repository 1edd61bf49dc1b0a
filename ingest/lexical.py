"""BM25 over Vietnamese syllables and syllable bigrams (bm25s), in two forms: exact
(with diacritics, canonical tone placement) and accent-free for questions typed without
diacritics."""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np

from .textnorm import folded_tokens, tokens

FORMS = {"exact": tokens, "folded": folded_tokens}


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25
        self.vocab = bm25.vocab_dict
        self.n_docs = int(bm25.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], form: str) -> "LexicalIndex":
        tokenize = FORMS[form]
        bm25 = bm25s.BM25()
        bm25.index([tokenize(t) or ["_"] for t in texts], show_progress=False)
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


def document_frequencies(texts: list[str]) -> dict[str, int]:
    """Accent-free unigram document frequencies, for weighting words in answers and refusals."""
    df: Counter = Counter()
    for t in texts:
        df.update({w for w in folded_tokens(t) if "_" not in w})
    return dict(df)


def idf(df: dict[str, int], n_docs: int, word: str) -> float:
    return math.log(1 + (n_docs + 1) / (df.get(word, 0) + 0.5))
