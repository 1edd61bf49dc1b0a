"""Optional cross-encoder reranking for deployments that have a sentence-transformers
CrossEncoder on disk (none that reads Vietnamese can be installed offline here, so the
default reranker is the feature blend in retrieve.py)."""
from __future__ import annotations

import os

from .types import Candidate

HEAD = 20  # candidates the cross-encoder rescores
WEIGHT = 0.5  # its normalised score joins the blended score with this weight


class CrossEncoderReranker:
    def __init__(self, path: str) -> None:
        if not os.path.isdir(path):
            raise FileNotFoundError(f"reranker path {path!r} is not a local model folder")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(path, device="cpu")

    def rerank(self, question: str, candidates: list[Candidate]) -> list[Candidate]:
        head, rest = candidates[:HEAD], candidates[HEAD:]
        if len(head) < 2:
            return candidates
        raw = [float(s) for s in self.model.predict([(question, c.chunk.text) for c in head])]
        low, high = min(raw), max(raw)
        for cand, s in zip(head, raw):
            cand.rerank = s
            cand.score += WEIGHT * ((s - low) / (high - low) if high > low else 0.0)
        return sorted(head, key=lambda c: c.score, reverse=True) + rest
