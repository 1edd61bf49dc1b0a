"""Near-duplicate passages across documents (the book's summary is copied into several
plans): chunks whose accent-free word 3-grams mostly coincide (Jaccard) share a `dup_group`. A
chunk that merely contains a repeated paragraph besides its own content is not a duplicate."""
from __future__ import annotations

from collections import defaultdict

from hoidap.model import Chunk
from hoidap.textnorm import fold, syllables

MIN_OVERLAP = 0.5
MIN_SHINGLES = 15  # short chunks (signatures, headings, table rows) are not "the same passage"
GROUPED_KINDS = ("text", "footnote", "qa")


def _shingles(text: str) -> set[int]:
    words = syllables(fold(text))
    return {hash(" ".join(words[i:i + 3])) for i in range(max(1, len(words) - 2))}


def assign_groups(chunks: list[Chunk]) -> None:
    shingles = [_shingles(c.text) if c.kind in GROUPED_KINDS else set() for c in chunks]
    shingles = [sh if len(sh) >= MIN_SHINGLES else set() for sh in shingles]
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, sh in enumerate(shingles):
        for s in sh:
            buckets[s].append(i)
    # A shingle found in more chunks than twice the number of documents is boilerplate
    # (the book's long title, quoted again and again), not evidence of a repeated passage.
    max_bucket = max(4, 2 * len({c.doc_id for c in chunks}))
    parent = list(range(len(chunks)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    shared: dict[tuple[int, int], int] = defaultdict(int)
    for members in buckets.values():
        if 1 < len(members) <= max_bucket:
            for a_pos, a in enumerate(members):
                for b in members[a_pos + 1:]:
                    if chunks[a].doc_id != chunks[b].doc_id:
                        shared[(a, b)] += 1
    for (a, b), n in shared.items():
        if n / max(1, len(shingles[a] | shingles[b])) >= MIN_OVERLAP:  # Jaccard: mostly the same both ways
            parent[find(a)] = find(b)
    _relabel(chunks, [find(i) for i in range(len(chunks))])


def _relabel(chunks: list[Chunk], roots: list[int]) -> None:
    sizes: dict[int, int] = defaultdict(int)
    for r in roots:
        sizes[r] += 1
    for c, r in zip(chunks, roots):
        c.dup_group = chunks[r].chunk_id if sizes[r] > 1 else ""
