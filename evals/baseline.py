"""The vanilla LlamaIndex pipeline we compare against: the documents read by
SimpleDirectoryReader, the default SentenceSplitter, an in-memory VectorStoreIndex with the
same embedding model, plain top-k retrieval, and our extractive answer rule on top."""
from __future__ import annotations

from pathlib import Path

from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter

from hoidap.embeddings import LlamaIndexEmbedding, make_embedder
from hoidap.model import Chunk
from hoidap.settings import Settings
from rag.extract import extractive_answer
from rag.index import OpenIndex
from rag.query import understand
from rag.retrieve import coverage
from rag.types import Answer, Candidate


class BaselinePipeline:
    def __init__(self, settings: Settings, stats_from: OpenIndex, top_k: int = 10) -> None:
        documents = SimpleDirectoryReader(str(settings.data_dir), required_exts=[".txt", ".md", ".pdf", ".html"],
                                          recursive=True).load_data()
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        embed = LlamaIndexEmbedding(make_embedder(settings.embed_backend, settings.embed_model))
        self.retriever = VectorStoreIndex(nodes, embed_model=embed, show_progress=False).as_retriever(similarity_top_k=top_k)
        self.stats = stats_from  # only for word weights in the shared answer rule
        self.threshold = settings.refuse_threshold
        self.n_nodes = len(nodes)

    def answer(self, question: str, history: list[str] | None = None) -> Answer:
        query = understand(question, history, self.stats.aliases)
        candidates = []
        for nw in self.retriever.retrieve(query.search_text):
            source = Path(nw.node.metadata.get("file_path", "")).name
            chunk = Chunk(chunk_id=nw.node.node_id, doc_id=source, text=nw.node.get_content(), heading="")
            cand = Candidate(chunk=chunk, doc={"source": source, "title": source}, score=float(nw.score or 0), dense=float(nw.score or 0))
            cand.coverage = coverage(self.stats, query, chunk.text)
            candidates.append(cand)
        return extractive_answer(self.stats, query, candidates, self.threshold)
