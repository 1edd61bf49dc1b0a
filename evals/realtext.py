"""Real-text passages at scale for the 100k-chunk benchmark, and their embeddings.

`passages(n)` makes `n` distinct passages the size of the pipeline's chunks (about 900
characters) from the bundled corpus's sentences and the book generator's prose and facts
(`evals/bookvocab.py`), varied per passage: provinces, organisations, people, dates, numbers,
the order of sentences. Passage i depends only on i (and the seed), so any prefix of the list
is the same whatever `n` is: an embedding job can stop anywhere and the bench can measure the
largest prefix that is fully embedded.

`python -m evals.realtext embed --n 100000 [--cache FILE]` embeds them with the real model into
an embedding cache (`hoidap/embcache.py`; default `bench-out/realtext/embcache.sqlite`), in
order, one committed batch at a time: run it again after a stop and it goes on where it was.
`hoidap bench` reads the vectors from there (never random vectors)."""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

from hoidap.model import Chunk
from hoidap.settings import PROJECT_ROOT

from . import bookvocab as V

DEFAULT_CACHE = PROJECT_ROOT / "bench-out" / "realtext" / "embcache.sqlite"
PER_DOC = 1000
SEED = 11


@lru_cache(maxsize=1)
def corpus_sentences() -> tuple[str, ...]:
    """Sentences of the bundled plans (data/*.txt), 40–400 characters."""
    out = []
    for path in sorted((PROJECT_ROOT / "data").glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8").split())
        for s in re.split(r"(?<=[.;:!?])\s+", text):
            s = s.strip(" -+•")
            if 40 <= len(s) <= 400 and not s.isupper():
                out.append(s if s[-1] in ".;:!?" else s + ".")
    return tuple(dict.fromkeys(out))


def _person(r: random.Random) -> str:
    return f"{r.choice(V.SURNAMES)} {r.choice(V.MIDDLE)} {r.choice(V.GIVEN)}"


def _date(r: random.Random, y0: int = 2012, y1: int = 2026) -> str:
    return f"{r.randint(1, 28)}/{r.randint(1, 12)}/{r.randint(y0, y1)}"


def _num(r: random.Random, lo: int, hi: int) -> str:
    return f"{r.randint(lo, hi):,}".replace(",", ".")


def _fact(r: random.Random, topic) -> str:
    """One sentence with its own numbers, places, people or dates (what makes passages distinct)."""
    prov, org, field = r.choice(V.PROVINCES), r.choice(V.ORGS), r.choice(V.FIELDS)
    kind = r.randrange(6)
    if kind == 0:
        return (f"Riêng trong lĩnh vực {field} ở tỉnh {prov}, các cơ quan chức năng đã phát hiện {_num(r, 12, 900)} vụ "
                f"việc có dấu hiệu vi phạm, xử lý kỷ luật {_num(r, 30, 4000)} cán bộ, đảng viên và kiến nghị thu hồi "
                f"{_num(r, 20, 9800)} tỷ đồng.")
    if kind == 1:
        return f"Tôi đề nghị {org} hoàn thành việc {r.choice(V.TASKS)} trước ngày {_date(r, 2024, 2027)}."
    if kind == 2:
        y = r.randint(2010, 2018)
        return f"Từ năm {y} đến năm {y + r.randint(3, 6)}, {org} đã ban hành {_num(r, 12, 480)} văn bản hướng dẫn về {topic.key}."
    if kind == 3:
        return (f"{_person(r)}, {r.choice(V.ROLES)} ở tỉnh {prov}, cho rằng {r.choice(V.OPINIONS)} "
                f"(phát biểu ngày {_date(r)}).")
    if kind == 4:
        practice = r.choice(V.PRACTICES).format(p=prov)
        return f"{practice[0].upper()}{practice[1:]}; đây là cách làm hay cần được nhân rộng (năm {r.randint(2013, 2024)})."
    return (f"Tại hội nghị ngày {_date(r)} ở tỉnh {prov}, đồng chí {_person(r)} yêu cầu {org} báo cáo kết quả "
            f"{topic.key} trước quý {r.randint(1, 4)} năm {r.randint(2024, 2027)}.")


def _heading(r: random.Random, topic, doc: int) -> str:
    part = V.PARTS[doc % len(V.PARTS)][0] if isinstance(V.PARTS[0], tuple) else str(V.PARTS[doc % len(V.PARTS)])
    title = r.choice(V.TITLE_TEMPLATES).format(np=topic.np)
    venue = r.choice(V.VENUES_PART2).format(n=r.randint(2, 15), p=r.choice(V.PROVINCES), y=r.randint(2013, 2023))
    section = r.choice(V.SECTIONS_SPEECH + [topic.section])
    return f"{part} › {title} (Bài phát biểu tại {venue}, ngày {_date(r)}) › {section}"


def passage(i: int, chars: int = 900, seed: int = SEED) -> Chunk:
    """Passage number i: a heading path like the book's and ~`chars` characters of prose."""
    r = random.Random(seed * 1_000_003 + i)
    doc = i // PER_DOC
    topic = r.choice(V.TOPICS)
    corpus = corpus_sentences()
    pool = [_fact(r, topic) for _ in range(r.randint(2, 3))]
    pool += [s.format(np=topic.np, key=topic.key, slogan=r.choice(V.SLOGANS)) for s in r.sample(V.GENERIC, 3)]
    pool += list(r.sample(topic.sentences, 2)) + list(r.sample(corpus, 4))
    r.shuffle(pool)
    body, used = [], 0
    for s in pool:
        if used + len(s) + 1 > chars * 0.85:
            continue
        body.append(s)
        used += len(s) + 1
        if used >= chars * 0.7:
            break
    body.append(_fact(r, topic))  # every passage ends with a fact of its own
    return Chunk(chunk_id=f"real{doc}#{i % PER_DOC}", doc_id=f"real{doc}", text=" ".join(body),
                 heading=_heading(r, topic, doc), kind="text", page=1 + (i % PER_DOC) // 2)


def documents(n: int) -> dict[str, dict]:
    """Manifest records of the documents the first `n` passages belong to."""
    out = {}
    for d in range((n + PER_DOC - 1) // PER_DOC):
        count = min(PER_DOC, n - d * PER_DOC)
        out[f"real{d}"] = {"doc_id": f"real{d}", "source": f"realtext/tai-lieu-{d}.txt",
                           "title": f"Tài liệu tổng hợp số {d + 1} về phòng, chống tham nhũng, tiêu cực",
                           "issuer": "", "number": "", "date": "", "kind": "", "source_path": f"/realtext/{d}.txt",
                           "file_hash": "", "chunks": count}
    return out


def build(n: int) -> tuple[dict[str, dict], list[Chunk]]:
    """The first `n` passages, all distinct (a rare repeat is drawn again with another variant)."""
    chunks, seen = [], set()
    for i in range(n):
        c = passage(i)
        k = 1
        while c.text in seen:
            c = passage(i, seed=SEED + 7919 * k)
            k += 1
        seen.add(c.text)
        chunks.append(c)
    return documents(n), chunks


def embed_texts(docs: dict[str, dict], chunks: list[Chunk]) -> list[str]:
    from hoidap.store import index_text

    return [index_text(c, docs[c.doc_id]) for c in chunks]


def embed(n: int, cache_path: Path, batch: int = 32, log=print, shard: int = 0, shards: int = 1) -> int:
    """Embed the first `n` passages into the cache, in order, skipping those already there;
    return how many were embedded now. With `shards` > 1 this process takes every shards-th
    batch from `shard` on: run one process per core with OMP_NUM_THREADS=1 on a shared machine
    (a 2-thread OpenMP job runs at the pace of its slower thread when another process holds
    one of the cores)."""
    from hoidap.embcache import EmbeddingCache
    from hoidap.embeddings import make_embedder

    embedder = make_embedder()
    docs, chunks = build(n)
    texts = embed_texts(docs, chunks)
    cache = EmbeddingCache(cache_path, embedder.name, embedder.dim)
    have = cache.lookup(texts)
    todo = [i for i in range(n) if i not in have]
    todo = [i for b in range(shard * batch, len(todo), batch * shards) for i in todo[b:b + batch]]
    log(f"{n} passages, {len(have)} already in {cache_path}, {len(todo)} to embed")
    t0, done = time.perf_counter(), 0
    for start in range(0, len(todo), batch):
        part = [texts[i] for i in todo[start:start + batch]]
        cache.store(part, embedder.passages(part))
        done += len(part)
        if done % (batch * 20) == 0 or done == len(todo):
            rate = (time.perf_counter() - t0) / done
            log(f"{time.strftime('%H:%M:%S')} embedded {done}/{len(todo)} ({rate * 1000:.0f} ms/passage, "
                f"~{rate * (len(todo) - done) / 60:.0f} min left; first missing passage now {todo[min(start + batch, len(todo) - 1)]})")
    cache.close()
    return done


def embedded_prefix(n: int, cache_path: Path) -> int:
    """The largest k ≤ n such that passages 0..k-1 all have vectors in the cache."""
    from hoidap.embcache import EmbeddingCache
    from hoidap.embeddings import make_embedder

    embedder = make_embedder()
    docs, chunks = build(n)
    texts = embed_texts(docs, chunks)
    cache = EmbeddingCache(cache_path, embedder.name, embedder.dim, readonly=True)
    have = cache.lookup(texts)
    cache.close()
    k = 0
    while k < n and k in have:
        k += 1
    return k


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.realtext")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed", help="embed the first N passages into the cache (resumable)")
    e.add_argument("--n", type=int, default=100_000)
    e.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    e.add_argument("--batch", type=int, default=32)
    e.add_argument("--shard", default="0/1", help="I/N: this process's share of the batches (one process per core)")
    s = sub.add_parser("show", help="print passage I as the model sees it")
    s.add_argument("i", type=int)
    c = sub.add_parser("prefix", help="how many leading passages are fully embedded")
    c.add_argument("--n", type=int, default=100_000)
    c.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    if args.cmd == "embed":
        shard, shards = (int(x) for x in args.shard.split("/"))
        embed(args.n, args.cache, args.batch, log=lambda m: print(m, flush=True), shard=shard, shards=shards)
    elif args.cmd == "show":
        docs, chunks = build(args.i + 1)
        print(embed_texts(docs, chunks[-1:])[0])
    else:
        print(embedded_prefix(args.n, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
