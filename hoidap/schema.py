"""The one answer schema every interface speaks: `hoidap ask --json`, `hoidap eval`'s
results, the HTTP API's response models and the streamed events are all these models."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class OtherDocument(BaseModel):
    """Another document that carries the same passage (a near-duplicate)."""
    doc_id: str
    title: str = ""
    source: str = ""
    chunk_id: str = ""


class Citation(BaseModel):
    """A passage the answer relies on; `[marker]` in the answer text points at it."""
    marker: int = Field(description="the n of [n] in the answer")
    title: str = ""
    issuer: str = ""
    number: str = ""
    date: str = ""
    kind: str = ""
    heading: str = Field("", description="heading path inside the document")
    page: int | None = None
    page_end: int | None = Field(None, description="the last page the passage runs onto (PDF)")
    passage: str = Field(description="the cited passage, verbatim")
    span: tuple[int, int] = Field(description="the passage's character offsets in the document text")
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="offsets in the document text of the parts quoted in the answer")
    doc_id: str
    chunk_id: str
    source: str = ""
    also_in: list[OtherDocument] = Field(default_factory=list)


class RetrievedPassage(BaseModel):
    """A ranked candidate passage (for refusals: the closest ones, which are not support)."""
    chunk_id: str
    doc_id: str
    title: str = ""
    source: str = ""
    heading: str = ""
    page: int | None = None
    passage: str
    score: float
    also_in: list[str] = Field(default_factory=list)


class AnswerOut(BaseModel):
    question: str
    answer: str
    refused: bool
    confidence: float = 0.0
    mode: Literal["extractive", "generative", "fallback"] = "extractive"
    notice: str = Field("", description="why generation fell back, for the user")
    flagged: list[str] = Field(default_factory=list, description="generated sentences without a valid citation")
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    generation: str = Field("", description="the index generation that answered")


class Turn(BaseModel):
    """One earlier turn of a conversation, as interfaces pass it back in `history` so that a
    follow-up ("thế còn ở Sở?", "người ký văn bản ấy là ai") can be resolved: the question, and
    what its answer cited. A plain question string is still accepted in its place."""
    question: str
    answer: str = ""
    refused: bool = False
    doc_ids: list[str] = Field(default_factory=list, description="documents the answer cited, the main one first")
    chunk_ids: list[str] = Field(default_factory=list, description="passages the answer cited")

    @classmethod
    def from_answer(cls, question: str, answer: "AnswerOut") -> "Turn":
        """The turn to store after answering `question` with `answer`."""
        docs = list(dict.fromkeys(c.doc_id for c in answer.citations))
        return cls(question=question, answer=answer.answer, refused=answer.refused, doc_ids=docs,
                   chunk_ids=[c.chunk_id for c in answer.citations])


class DeltaEvent(BaseModel):
    type: Literal["delta"] = "delta"
    text: str


class NoticeEvent(BaseModel):
    type: Literal["notice"] = "notice"
    text: str


class DoneEvent(BaseModel):
    """The final answer; it replaces whatever was streamed before it when the two differ."""
    type: Literal["done"] = "done"
    answer: AnswerOut


StreamEvent = Annotated[DeltaEvent | NoticeEvent | DoneEvent, Field(discriminator="type")]


class DocumentOut(BaseModel):
    doc_id: str
    title: str = ""
    kind: str = ""
    issuer: str = ""
    number: str = ""
    date: str = ""
    signed_by: str = ""
    source: str = ""
    chunks: int = 0
    has_file: bool = Field(False, description="the original file can be opened (/files/{doc_id})")
    is_pdf: bool = False
