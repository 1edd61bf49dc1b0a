"""Hybrid retrieval: dense (Chroma through LlamaIndex) + BM25 on syllables + BM25 on the
accent-free form, fused by reciprocal rank, then reranked with cheap features (topic-word
coverage, heading match, documents named in the question), and near-duplicates collapsed."""
from __future__ import annotations

import numpy as np
from llama_index.core.schema import QueryBundle

from hoidap.store import index_text
from hoidap.textnorm import fold, lexical_terms, syllables

from .index import OpenIndex
from .query import Query, has_fact
from .types import Candidate

POOL = 40
RRF_K = 60
WEIGHTS = {"dense": 0.7, "exact": 1.0, "folded": 0.4}
# Rerank: fused rank, topic-word coverage of the passage and of its heading, plus bonuses.
RERANK = {"rank": 0.3, "coverage": 0.4, "heading": 0.15}
NAMED_DOC_BONUS = 1.0  # the issue: passages of a document the question names come first
SIGNER_BONUS = 0.3
FACT_BONUS = 0.1  # the passage holds the kind of fact asked for (a date, a number)


def coverage(index: OpenIndex, query: Query, text: str) -> float:
    """Share of the question's topic syllables and pairs (idf-weighted) found in the text."""
    if not query.terms:
        return 0.0
    words = syllables(fold(text) if query.folded else text)
    present = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}
    total = sum(index.idf(t) for t in query.terms)
    return sum(index.idf(t) for t in query.terms if t in present) / total if total else 0.0


def retrieve(index: OpenIndex, query: Query, top_k: int = 10, filters: dict | None = None) -> list[Candidate]:
    n = len(index.chunks)
    if n == 0:
        return []
    ranked: dict[str, list[int]] = {}
    # Dense: the query embedding is computed once and handed to the LlamaIndex retriever.
    allowed = _allowed_rows(index, filters)
    embedding = index.embedder.query(query.search_text)
    nodes = _dense_retriever(index, filters).retrieve(
        QueryBundle(query_str=query.search_text, embedding=embedding.tolist()))
    dense_scores = {index.position[nw.node.node_id]: float(nw.score or 0.0) for nw in nodes if nw.node.node_id in index.position}
    ranked["dense"] = sorted(dense_scores, key=dense_scores.get, reverse=True)
    scheme = index.manifest.lexical_scheme
    forms = {"folded": lexical_terms(query.typed_text, "folded", scheme)}
    if not query.folded:
        forms["exact"] = lexical_terms(query.search_text, "exact", scheme)
    for form, toks in forms.items():
        scores = index.lexical[form].scores(toks)
        if allowed is not None:  # a filtered search ranks only the passages it may return
            scores = np.where(allowed, scores, 0.0)
        top = np.argpartition(-scores, POOL)[:POOL] if len(scores) > POOL else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        ranked[form] = [int(i) for i in top if scores[i] > 0]
    fused: dict[int, float] = {}
    for name, rows in ranked.items():
        for rank, row in enumerate(rows):
            fused[row] = fused.get(row, 0.0) + WEIGHTS[name] / (RRF_K + rank + 1)
    if not fused:
        return []
    best = max(fused.values())
    candidates = []
    for row, rrf in fused.items():
        chunk = index.chunks[row]
        doc = index.doc(chunk.doc_id)
        if filters and not _passes(doc, filters):
            continue
        cov = coverage(index, query, index_text(chunk, doc))
        head_cov = coverage(index, query, chunk.heading + " " + chunk.question)
        score = RERANK["rank"] * rrf / best + RERANK["coverage"] * cov + RERANK["heading"] * head_cov
        if chunk.doc_id in query.docs:
            score += NAMED_DOC_BONUS
        if query.asks_signer and chunk.kind == "signature":
            score += SIGNER_BONUS
        if has_fact(query.wants, chunk.text):
            score += FACT_BONUS
        candidates.append(Candidate(chunk=chunk, doc=doc, score=score, dense=dense_scores.get(row, 0.0), coverage=cov))
    candidates.sort(key=lambda c: c.score, reverse=True)
    return collapse(candidates, index)[: max(top_k, 20)]


def _allowed_rows(index: OpenIndex, filters: dict | None) -> np.ndarray | None:
    if not filters:
        return None
    docs = {doc_id for doc_id, doc in index.manifest.documents.items() if _passes(doc, filters)}
    return np.fromiter((c.doc_id in docs for c in index.chunks), dtype=bool, count=len(index.chunks))


def _dense_retriever(index: OpenIndex, filters: dict | None):
    """The shared retriever, or one restricted to the documents the filters allow (Chroma
    filters on the doc_id stored with every vector)."""
    if not filters:
        return index.retriever
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    docs = sorted(d for d, doc in index.manifest.documents.items() if _passes(doc, filters)) or ["-"]
    return index.vector_index.as_retriever(
        similarity_top_k=index.retriever.similarity_top_k,
        filters=MetadataFilters(filters=[MetadataFilter(key="doc_id", value=docs, operator=FilterOperator.IN)]))


def _passes(doc: dict, filters: dict) -> bool:
    for key in ("doc_id", "issuer", "kind"):
        wanted = filters.get(key)
        if wanted and fold(str(wanted)) not in fold(str(doc.get(key, ""))):
            return False
    return True


def collapse(candidates: list[Candidate], index: OpenIndex) -> list[Candidate]:
    """One result per repeated passage (the best-ranked copy); every other document
    carrying it is listed in `also_in`."""
    kept: list[Candidate] = []
    seen: set[str] = set()
    for c in candidates:
        group = c.chunk.dup_group
        if group:
            if group in seen:
                continue
            seen.add(group)
            others: dict[str, dict] = {}
            for twin in index.groups.get(group, []):
                if twin.doc_id != c.chunk.doc_id and twin.doc_id not in others:
                    doc = index.doc(twin.doc_id)
                    others[twin.doc_id] = {"doc_id": twin.doc_id, "title": doc.get("title", ""),
                                           "source": doc.get("source", ""), "chunk_id": twin.chunk_id}
            c.also_in = list(others.values())
        kept.append(c)
    return kept
