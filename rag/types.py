"""Plain data returned by the answering pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field

from hoidap.model import Chunk
from hoidap.schema import AnswerOut, Citation, RetrievedPassage


# what a refusal lists after saying what is missing (rag.extract): no passage the answer quoted
AVAILABLE_DOCUMENTS = "Các văn bản hiện có:"


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
    via: str = ""  # the derived passage (Q&A booklet) that led to this primary passage
    features: dict[str, float] = field(default_factory=dict)  # rag.retrieve.rerank_features (score = their weighted sum)


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

    def to_schema(self, top: int = 10, generation: str = "") -> AnswerOut:
        return AnswerOut(
            question=self.question, answer=self.answer, refused=self.refused, confidence=round(self.confidence, 4),
            mode=self.mode, notice=self.notice, flagged=self.flagged, citations=self.citations,
            retrieved=[RetrievedPassage(chunk_id=r.chunk.chunk_id, doc_id=r.chunk.doc_id, title=r.doc.get("title", ""),
                                        source=r.doc.get("source", ""), heading=r.chunk.heading, page=r.chunk.page,
                                        passage=r.chunk.text, score=round(r.score, 4),
                                        also_in=[a["source"] for a in r.also_in])
                       for r in self.retrieved[:top]],
            suggestions=self.suggestions, timings_ms={k: round(v, 1) for k, v in self.timings_ms.items()},
            generation=generation)
