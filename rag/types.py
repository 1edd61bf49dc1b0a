"""Plain data returned by the answering pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.model import Chunk


@dataclass
class Candidate:
    """A retrieved passage with its scores and every other document carrying it."""
    chunk: Chunk
    doc: dict
    score: float
    dense: float = 0.0
    coverage: float = 0.0
    rerank: float | None = None  # cross-encoder score, when one is configured
    also_in: list[dict] = field(default_factory=list)  # [{doc_id, title, source, chunk_id}]


@dataclass
class Citation:
    n: int
    text: str
    title: str
    issuer: str
    number: str
    heading: str
    page: int | None
    source: str
    span: tuple[int, int]
    doc_id: str
    chunk_id: str
    also_in: list[dict] = field(default_factory=list)


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    confidence: float = 0.0  # how well the best passage covers the question (refusal below the threshold)
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Candidate] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    mode: str = "extractive"  # extractive | generative | fallback (the endpoint failed)
    notice: str = ""  # why generation fell back, for the user
    flagged: list[str] = field(default_factory=list)  # generated sentences without a valid citation
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self, top: int = 10) -> dict:
        return {
            "answer": self.answer,
            "refused": self.refused,
            "confidence": round(self.confidence, 4),
            "mode": self.mode,
            "notice": self.notice,
            "flagged": self.flagged,
            "citations": [
                {"n": c.n, "text": c.text, "title": c.title, "issuer": c.issuer, "number": c.number,
                 "heading": c.heading, "page": c.page, "source": c.source, "span": list(c.span),
                 "doc_id": c.doc_id, "also_in": c.also_in}
                for c in self.citations
            ],
            "retrieved": [
                {"text": r.chunk.text, "source": r.doc.get("source", ""), "score": round(r.score, 4),
                 "heading": r.chunk.heading, "doc_id": r.chunk.doc_id, "chunk_id": r.chunk.chunk_id,
                 "also_in": [a["source"] for a in r.also_in]}
                for r in self.retrieved[:top]
            ],
            "suggestions": self.suggestions,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
