"""Question (and conversation so far) → cited answer. `Assistant` keeps one index generation
open between questions; interfaces go through `hoidap.service.Service`, which holds one."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from hoidap.settings import Settings, get_settings

from .choices import chosen_option
from .compare import asks_to_compare, compared_documents, compared_text, joined, question_for
from .parts import asked_apart, asked_parts, checked_apart, holds as part_holds, is_check, joined as joined_parts, mentions_topic
from .conversation import State, Turn, as_turns, asks_besides
from .grounding import refused_for_itself
from .extract import extractive_answer
from .index import OpenIndex, open_generation, open_index
from .query import BadQuestion, asks_who_signed, understand
from .quotes import anchor
from .retrieve import passes_filters, retrieve
from .structures import structures, write_cache
from .types import Answer, Candidate

__all__ = ["Answer", "Assistant", "BadQuestion", "Candidate", "Turn", "prepare_folder", "prepare_generation"]
MAX_RESOLVED_TURNS = 3  # how far back a chain of follow-ups is resolved


def prepare_folder(folder: Path, settings: Settings) -> None:
    """Keep the query-side structures in a finished generation folder that is not live yet
    (IndexStore.write_generation's `prepare`), so that every server opening it reads them."""
    _keep_structures(open_generation(folder, settings))


def prepare_generation(settings: Settings) -> float:
    """The same for the live generation (one written before they were kept); the seconds taken."""
    t0 = time.perf_counter()
    _keep_structures(open_index(settings))
    return time.perf_counter() - t0


def _keep_structures(index: OpenIndex) -> None:
    try:
        write_cache(index)
    finally:
        index.close()


class Assistant:
    def __init__(self, settings: Settings | None = None, index: OpenIndex | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = index or open_index(self.settings)
        structures(self.index)  # lexicon, offices, tables, derived passages: built once per generation
        self.reranker = None
        if self.settings.reranker_path:
            from .rerank import CrossEncoderReranker

            self.reranker = CrossEncoderReranker(self.settings.reranker_path)

    def _retrieve(self, question: str, history, filters: dict | None):
        t0 = time.perf_counter()
        state = self.conversation(history, filters, besides=asks_besides(question))
        query = understand(question, aliases=self.index.aliases, index=self.index, state=state)
        candidates = retrieve(self.index, query, self.settings.top_k, filters)
        if self.reranker:
            candidates = self.reranker.rerank(query.question, candidates)
        return query, candidates, (time.perf_counter() - t0) * 1000

    def conversation(self, history, filters: dict | None = None, depth: int = 0, besides: bool = False) -> State | None:
        """What the last turn of `history` was about (see rag.conversation): its question resolved
        against the turns before it, its documents and cited passages. A plain-text turn has no
        citations: retrieval for its question says which document and passage it was about."""
        turns = as_turns(history)
        if not turns:
            return None
        last = turns[-1]
        earlier = self.conversation(turns[:-1], filters, depth + 1) if len(turns) > 1 and depth + 1 < MAX_RESOLVED_TURNS else None
        try:
            q = understand(last.question, aliases=self.index.aliases, index=self.index, state=earlier)
        except BadQuestion:
            return earlier
        named = list(q.docs)
        docs = list(last.doc_ids)
        if not named and earlier is not None and earlier.named and docs and set(docs) <= set(earlier.named):
            # a turn naming no plan, answered from the plan named before ("KH MTTQ … ?", "báo cáo kết quả về đâu",
            # then "hạn báo cáo là ngày nào"): the conversation is still about that plan
            named = list(earlier.named)
        chunks = list(last.chunk_ids)
        st = structures(self.index)
        said = last.answer
        if not last.has_citations and not last.refused:
            candidates = retrieve(self.index, q, 5, filters)
            top = next((c for c in candidates if c.chunk.doc_id not in st.derived), None)
            if top:
                chunks = [top.chunk.chunk_id]
                docs = [top.chunk.doc_id]
            if not said and besides:  # what the answer said, for "ngoài … còn …" (a plain-text turn does not carry it)
                previous = extractive_answer(self.index, q, candidates, self.settings.refuse_threshold)
                said = "" if previous.refused else previous.answer
        quoted = anchor(self.index, q.quote, [d for d in q.docs if d not in st.derived],
                        [self.index.chunks[self.index.position[c]] for c in chunks if c in self.index.position],
                        st.derived) if q.quote is not None else ""
        return State(question=q.search_text, docs=[d for d in docs if d not in st.derived], quoted=quoted,
                     named=[d for d in named if d not in st.derived], chunks=chunks, asked_signer=q.asks_signer,
                     wants=q.wants, answer=said, about=sorted(q.about_derived),
                     choices=q.choices if q.choices.options else None)  # ("vậy B hay C?" carries the options it picked)

    def _per_document(self, question: str, doc_ids: list[str], filters: dict | None) -> Answer | None:
        """A question about several named documents, asked of each on its own (rag.compare)."""
        parts = []
        for doc_id in doc_ids:
            if filters and not passes_filters(self.index.doc(doc_id), filters):
                continue  # outside the search scope the user chose
            query = understand(question_for(question, self.index.aliases, doc_id), aliases=self.index.aliases,
                               index=self.index)
            scope = {**(filters or {}), "doc_id": doc_id}
            candidates = [c for c in retrieve(self.index, query, self.settings.top_k, scope) if c.chunk.doc_id == doc_id]
            parts.append((self.index.doc(doc_id), extractive_answer(self.index, query, candidates,
                                                                     self.settings.refuse_threshold)))
        return joined(question, parts)

    def _signed(self, answer: Answer) -> bool:
        """The answer quotes a signature block."""
        rows = (self.index.position.get(c.chunk_id) for c in answer.citations)
        return any(r is not None and self.index.chunks[r].kind == "signature" for r in rows)

    def _per_part(self, question: str, history, filters: dict | None, checks: bool = False) -> Answer | None:
        """A question asking two or three things, each asked on its own, the later ones as
        follow-ups of the earlier (rag.parts)."""
        asked = asked_parts(question)
        if not asked:
            return None
        turns = list(as_turns(history))
        parts = []
        for part in asked:
            try:
                query, candidates, _ = self._retrieve(part, turns, filters)
            except BadQuestion:
                return None
            answer = extractive_answer(self.index, query, candidates, self.settings.refuse_threshold)
            if not part_holds(part, answer) and not (answer.refused and (refused_for_itself(query.missing)
                                                                         or checks and query.missing and is_check(part))):
                return None  # (a part the documents lack, "… số hiệu gì", is said so; the others still answer)
            parts.append((part, answer))
            turns.append(Turn(question=part, answer=answer.answer, doc_ids=[c.doc_id for c in answer.citations],
                              chunk_ids=[c.chunk_id for c in answer.citations]))
        return joined_parts(question, parts)

    def answer(self, question: str, history=None, filters: dict | None = None,
               generative: bool | None = None) -> Answer:
        """The whole answer at once. Raises BadQuestion for empty or unusable questions."""
        result = None
        for event in self.stream(question, history, filters, generative):
            if event["type"] == "done":
                result = event["answer"]
        return result

    def stream(self, question: str, history=None, filters: dict | None = None,
               generative: bool | None = None) -> Iterator[dict]:
        """Events for interfaces: {"type": "delta", "text"} pieces of the answer (and a
        {"type": "notice"} if generation fell back), then one {"type": "done", "answer": Answer}
        carrying the citations. `generative=None` uses the LLM endpoint when one is configured."""
        started = time.perf_counter()
        query, candidates, retrieve_ms = self._retrieve(question, history, filters)
        result = extractive_answer(self.index, query, candidates, self.settings.refuse_threshold)
        compared = compared_documents(query, self.index.aliases, result, structures(self.index).derived)
        if compared:
            asked = compared_text(query, self.index.aliases)
            joined_answer = self._per_document(asked, compared, filters)
            if joined_answer is not None:
                if result.refused and not asks_to_compare(asked, self.index.aliases):
                    # unsure, not a comparison: the whole question's ranking found the passages (it covered too
                    # little of the question in one) and stays the ranking; each document's part is what is quoted
                    joined_answer.retrieved = result.retrieved
                result = joined_answer
        elif result.refused and query.missing and checked_apart(query.question, [m.text for m in query.missing]):
            # "… theo hình thức nào, có phải tập trung lên hội trường không?": the check names what the documents never
            # mention (said so under it); the question before it is still answered
            result = self._per_part(query.question, history, filters, checks=True) or result
        elif result.refused and (result.confidence > 0 or refused_for_itself(query.missing)):
            # unsure, or one part names what the documents lack ("… số hiệu gì và do ai ký?" of a plan with no
            # number); not a near-miss refused by name, whose every part is about what is not there
            result = self._per_part(query.question, history, filters) or result  # (a quiz question's stem)
        elif not result.refused and not query.choices.options and (
                marked := asked_apart(query.question, query.asks_signer)):
            # "KH 205 ban hành ngày nào? làm theo KH số mấy của tỉnh ủy", "KH 205 ai ký, ký ngày nào?": two questions,
            # each answered where the whole message's answer leaves a part's topic out ("… ngày nào?" of plan 205
            # answered with the line of the plan it carries out; "ký ngày nào" with the signature block) and their
            # answers quote a passage it does not, of the documents asked
            names = [name for names in query.docs.values() for name in names]
            if not all(mentions_topic(part, result.answer, names) and not (asks_who_signed(part) and not self._signed(result))
                       for part in marked):  # ("… thực hiện theo KH nào, ai ký": "ai ký" has no topic; the block answers)
                parted = self._per_part(query.question, history, filters)
                quoted = {c.chunk_id for c in result.citations}
                if parted is not None and any(c.chunk_id not in quoted for c in parted.citations) and (
                        not query.docs or all(c.doc_id in query.docs for c in parted.citations)):
                    result = parted
        if query.choices.options:  # a quiz sheet's question: its stem was answered
            chosen = None if result.refused else chosen_option(query.choices, [c.passage for c in result.citations])
            if chosen:  # read off the quoted passages: the option they write (or, asked which is not there, lack)
                result.answer = f"{chosen}\n{result.answer}"
            result.question = question
        # "Kế hoạch 250" read as the corpus's 205 (grounding.renumbered): the answer says so first
        notes = "".join(f"{r.message()}\n" for r in query.renumbered) if not result.refused else ""
        # "300 cán bộ" where the documents count 500 (a premise misremembered): answered, and said so first; a
        # refusal says it too
        notes += "".join(f"Lưu ý: tài liệu không nói đến {m.text}; dưới đây là nội dung tài liệu ghi.\n"
                         if not result.refused else f"{m.message()}\n"
                         for m in query.miscounted)
        use_llm = bool(self.settings.llm_base_url and self.settings.llm_model) if generative is None else generative
        if use_llm and not result.refused:
            from .generate import stream_answer

            if notes:
                yield {"type": "delta", "text": notes}
            for event in stream_answer(self.settings, query, result, [t.question for t in as_turns(history)] or None):
                if event["type"] == "done":
                    result = event["answer"]
                    result.answer = notes + result.answer
                else:
                    yield event
        else:
            result.answer = notes + result.answer
            for line in result.answer.split("\n"):
                yield {"type": "delta", "text": line + "\n"}
        result.timings_ms = {"retrieve": retrieve_ms, "total": (time.perf_counter() - started) * 1000}
        yield {"type": "done", "answer": result}

