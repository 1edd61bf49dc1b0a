"""Question (and conversation so far) → cited answer. `Assistant` keeps one index generation
open between questions; interfaces go through `hoidap.service.Service`, which holds one."""
from __future__ import annotations

import time
from collections.abc import Iterator

from hoidap.settings import Settings, get_settings

from .extract import extractive_answer
from .index import OpenIndex, open_index
from .query import BadQuestion, understand
from .retrieve import retrieve
from .types import Answer, Candidate

__all__ = ["Answer", "Assistant", "BadQuestion", "Candidate"]


class Assistant:
    def __init__(self, settings: Settings | None = None, index: OpenIndex | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = index or open_index(self.settings)
        self.reranker = None
        if self.settings.reranker_path:
            from .rerank import CrossEncoderReranker

            self.reranker = CrossEncoderReranker(self.settings.reranker_path)

    def _retrieve(self, question: str, history: list[str] | None, filters: dict | None):
        t0 = time.perf_counter()
        query = understand(question, history, self.index.aliases, self.index.restore)
        candidates = retrieve(self.index, query, self.settings.top_k, filters)
        if self.reranker:
            candidates = self.reranker.rerank(query.question, candidates)
        return query, candidates, (time.perf_counter() - t0) * 1000

    def answer(self, question: str, history: list[str] | None = None, filters: dict | None = None,
               generative: bool | None = None) -> Answer:
        """The whole answer at once. Raises BadQuestion for empty or unusable questions."""
        result = None
        for event in self.stream(question, history, filters, generative):
            if event["type"] == "done":
                result = event["answer"]
        return result

    def stream(self, question: str, history: list[str] | None = None, filters: dict | None = None,
               generative: bool | None = None) -> Iterator[dict]:
        """Events for interfaces: {"type": "delta", "text"} pieces of the answer (and a
        {"type": "notice"} if generation fell back), then one {"type": "done", "answer": Answer}
        carrying the citations. `generative=None` uses the LLM endpoint when one is configured."""
        started = time.perf_counter()
        query, candidates, retrieve_ms = self._retrieve(question, history, filters)
        result = extractive_answer(self.index, query, candidates, self.settings.refuse_threshold)
        use_llm = bool(self.settings.llm_base_url and self.settings.llm_model) if generative is None else generative
        if use_llm and not result.refused:
            from .generate import stream_answer

            for event in stream_answer(self.settings, query, result, history):
                if event["type"] == "done":
                    result = event["answer"]
                else:
                    yield event
        else:
            for line in result.answer.split("\n"):
                yield {"type": "delta", "text": line + "\n"}
        result.timings_ms = {"retrieve": retrieve_ms, "total": (time.perf_counter() - started) * 1000}
        yield {"type": "done", "answer": result}

