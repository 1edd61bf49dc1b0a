"""Fault injection (issue 10): the faults a real deployment meets end in a clear message, a
non-zero exit where something failed, an index that still answers, and no lost or duplicated
chunks.

Real files and real processes: permission-less reads by dropping the capabilities that let
root read anything (setpriv) or as a non-root user, a small tmpfs for a full disk, a
read-only bind mount for an index served by several app servers, two processes for the
races, a slow local HTTP endpoint for the LLM timeout. Where this machine lacks a privilege
the test is skipped and says why; it never passes without doing its check."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, copy_seeds
from fake_llm import stream_pieces
from hoidap.settings import Settings
from hoidap.store import FORMAT_VERSION, IndexStore

SMALL = ["ke-hoach-huyen-uy", "ke-hoach-mttq-thanh-pho"]
QUESTION, FACT = "Huyện ủy yêu cầu báo cáo kết quả chậm nhất vào ngày nào?", "01/11"
TINY = ("KẾ HOẠCH\nTổ chức hội nghị {what}\n\nI. MỤC ĐÍCH\n1. Cán bộ, đảng viên nắm vững nội dung {what}; "
        "báo cáo kết quả về Ban Tuyên giáo trước ngày {day}/9/2023.\n")


# --- helpers ----------------------------------------------------------------------------------

def tiny(folder: Path, name: str, what: str = "chuyên đề", day: int = 15) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(TINY.format(what=what, day=day), encoding="utf-8")
    return path


def settings_for(index: Path, **kw) -> Settings:
    return Settings(index_dir=index, llm_base_url=None, **kw)


def cli(*args: str, prefix: list[str] | None = None, env: dict | None = None, timeout: int = 300):
    """`hoidap …` in a process of its own (extractive, whatever the caller's shell says)."""
    full_env = {**os.environ, "HOIDAP_LLM_BASE_URL": "", **(env or {})}
    return subprocess.run([*(prefix or []), sys.executable, "-m", "hoidap.cli", *args], capture_output=True,
                          text=True, env=full_env, cwd=PROJECT_ROOT, timeout=timeout)


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def answers(payload: dict, fact: str) -> bool:
    """The fact is in the answer, or in the best passages (the refusal threshold is not what
    these tests check)."""
    return fact in payload["answer"] or any(fact in r["passage"] for r in payload["retrieved"][:3])


def chunk_ids(index: Path) -> list[str]:
    store = IndexStore(index)
    return [c.chunk_id for c in store.chunks(store.current())]


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


_PREFIX: list[str] | None | bool = False


def permission_prefix() -> list[str] | None:
    """A command prefix under which file permissions apply: nothing for a non-root user; as
    root, setpriv without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root ignores permissions
    otherwise). None when neither works here."""
    global _PREFIX
    if _PREFIX is not False:
        return _PREFIX
    if os.geteuid() != 0:
        _PREFIX = []
        return _PREFIX
    _PREFIX = None
    setpriv = shutil.which("setpriv")
    if setpriv:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            probe = Path(d) / "probe"
            probe.write_text("x")
            probe.chmod(0)
            prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]
            done = subprocess.run([*prefix, "cat", str(probe)], capture_output=True)
            if done.returncode != 0 and b"ermission denied" in done.stderr:
                _PREFIX = prefix
    return _PREFIX


def need_permissions() -> list[str]:
    prefix = permission_prefix()
    if prefix is None:
        pytest.skip("running as root and setpriv cannot drop CAP_DAC_OVERRIDE here, so file permissions cannot be tested")
    return prefix


def mount(args: list[str], target: Path) -> str | None:
    """Mount; the error text when this machine does not allow it."""
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def unmount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@contextmanager
def small_disk(target: Path, size_mb: int):
    target.mkdir(parents=True, exist_ok=True)
    error = mount(["-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs"], target) if shutil.which("mount") else "no mount"
    if error:
        pytest.skip(f"cannot mount a {size_mb} MB tmpfs for the full-disk test ({error}); needs CAP_SYS_ADMIN")
    try:
        yield target
    finally:
        unmount(target)


def fill(disk: Path, leave_bytes: int) -> Path:
    """A file taking all but `leave_bytes` of the disk."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free - leave_bytes
    with open(filler, "wb", buffering=0) as f:
        while free > 0:
            try:
                free -= f.write(b"\0" * min(free, 1 << 20))
            except OSError:  # full already
                break
    return filler


# --- the shared small index ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Two seed plans ingested once; tests copy the index (sources stay where they are)."""
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("base")
    src = copy_seeds(root / "src", SMALL)
    report = ingest([src], settings_for(root / "index"))
    assert len(report.added) == 2 and not report.failed
    return root


def copy_index(base: Path, dest: Path) -> Path:
    shutil.copytree(base / "index", dest, ignore=shutil.ignore_patterns("state.sqlite*", ".lock"))
    return dest


# --- ingest: nothing to ingest, the last document deleted ---------------------------------------

def test_nothing_to_ingest_gives_an_empty_index_and_the_reasons(tmp_path):
    """A missing folder, an empty one, a folder of only bad files: no crash, every reason printed,
    a non-zero exit, and an empty index that `docs` lists and `ask` refuses clearly."""
    from ingest.pipeline import ingest

    assert ingest([tmp_path / "missing"], settings_for(tmp_path / "i1")).failed == [
        (str(tmp_path / "missing"), "no such file or folder")]
    (tmp_path / "empty").mkdir()
    empty = ingest([tmp_path / "empty"], settings_for(tmp_path / "i2"))
    assert not empty.failed and empty.chunks == 0 and ("no files to ingest" in dict(empty.notes).values())

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4 nothing")
    (bad / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    index = tmp_path / "index"
    out = cli("ingest", str(bad), "--index", str(index), "--quiet")
    no_traceback(out)
    assert out.returncode == 1
    assert "empty.txt: empty file" in out.stderr and "broken.pdf: corrupt PDF" in out.stderr
    assert "photo.jpg: unsupported file type" in out.stderr and "3 failed" in out.stdout
    assert "the index is empty" in out.stderr
    from hoidap.service import Service

    assert Service(settings_for(index)).documents() == []
    ask = cli("ask", QUESTION, "--index", str(index), "--json")
    no_traceback(ask)
    assert ask.returncode == 1 and json.loads(ask.stdout)["refused"] and "the index is empty" in ask.stderr


def test_deleting_the_last_document_leaves_a_valid_empty_index(tmp_path):
    from hoidap.service import Service

    src = tmp_path / "src"
    only = tiny(src, "chi-mot.txt")
    service = Service(settings_for(tmp_path / "index"))
    assert service.ingest([src]).added
    removed = service.ingest([], drop={"chi-mot"})  # the admin's "delete"
    assert removed.removed and removed.chunks == 0
    assert service.documents() == [] and service.ask(QUESTION).refused
    assert not list((tmp_path / "index").glob(".building-*")) and len(list((tmp_path / "index").glob("gen-*"))) == 1
    service.ingest([src])
    only.unlink()  # the other way: the file is deleted, then its folder ingested
    again = service.ingest([src])
    assert again.removed == [str(only)] and again.chunks == 0 and service.documents() == []
    service.close()


# --- ingest: a hostile folder, ingested twice by a real `hoidap ingest` -------------------------

def _zip_bomb(path: Path, mb: int = 100) -> None:
    """A small DOCX whose document.xml expands to `mb` MB (as in the issue: 300 KB → 100 MB)."""
    from docx import Document

    Document().save(str(path))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    para = b"<w:p><w:r><w:t>" + "Nội dung lặp lại. ".encode() * 20 + b"</w:t></w:r></w:p>"
    body = para * (mb * 2**20 // len(para))
    head, tail = parts["word/document.xml"].split(b"<w:body>", 1)
    parts["word/document.xml"] = head + b"<w:body>" + body + tail
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)


EVIL_FAIL = "bad\nfailed: forged.txt\x1b[31m.txt"
EVIL_OK = "evil\x1b[2Jname\u202e.txt"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A folder with the faults of the issue, its index inside it, ingested by `hoidap ingest`
    twice (with file permissions in force when this machine allows it)."""
    root = tmp_path_factory.mktemp("hostile")
    src = root / "src"
    tiny(src, "plan-a.txt", "chuyên đề A")
    (src / "plan-a.txt.meta.json").write_text(json.dumps({"title": "Kế hoạch A", "issuer": "Huyện ủy A"}, ensure_ascii=False))
    tiny(src, "plan-b.txt", "chuyên đề B")
    (src / "plan-b.txt.meta.json").write_text(json.dumps(
        {"title": "Kế hoạch B theo sidecar", "issuer": 123, "aliases": "B", "isuer": "typo"}, ensure_ascii=False))
    tiny(src, "plan-c.txt", "chuyên đề C")
    (src / "plan-c.txt.meta.json").write_text('{"title": "C",')
    tiny(src, "secret.txt", "bí mật")
    tiny(src / "private", "inside.txt", "riêng")
    tiny(src / "sub", "plan-d.txt", "chuyên đề D")
    (src / "sub" / "up").symlink_to("..")  # a loop: leads back to src
    (src / "link-to-a.txt").symlink_to("plan-a.txt")  # a duplicate
    (src / "dangling.txt").symlink_to("nowhere.txt")
    os.mkfifo(src / "pipe.txt")  # reading it would block for ever
    (src / EVIL_FAIL).write_bytes(b"")
    tiny(src, EVIL_OK, "tên lạ")
    _zip_bomb(src / "bomb.docx")
    with open(src / "huge.txt", "w", encoding="utf-8") as f:  # 50 MB of text
        line = "Cán bộ, đảng viên học tập tác phẩm và báo cáo kết quả về Ban Tuyên giáo đúng thời hạn.\n"
        f.write(line * (50_000_000 // len(line.encode())))
    index = src / "idx"  # the index inside the ingested folder
    prefix = permission_prefix()
    if prefix is not None:
        (src / "secret.txt").chmod(0)
        (src / "private").chmod(0)
    started = time.monotonic()
    first = cli("ingest", str(src), "--index", str(index), "--quiet", prefix=prefix)
    first_s = time.monotonic() - started
    if prefix is not None:  # the last good version of a file that turned unreadable stays
        (src / "plan-a.txt").chmod(0)
    second = cli("ingest", str(src), "--index", str(index), "--quiet", prefix=prefix)
    yield {"src": src, "index": index, "first": first, "second": second, "first_s": first_s,
           "permissions": prefix is not None}
    for p in (src / "secret.txt", src / "private", src / "plan-a.txt"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # let pytest clean up as any user


def test_unreadable_files_and_folders_are_named_and_skipped(hostile):
    if not hostile["permissions"]:
        need_permissions()
    first, second = hostile["first"], hostile["second"]
    no_traceback(first)
    assert first.returncode == 1
    assert "secret.txt: cannot be read (permission denied)" in first.stderr
    assert "private: folder cannot be read" in first.stderr and "its files were skipped" in first.stderr
    # plan-a.txt turned unreadable before the second run: named, and its last version kept
    assert "plan-a.txt: cannot be read (permission denied)" in second.stderr
    assert "plan-a.txt: the version ingested before stays in the index" in second.stderr
    docs = {d["doc_id"] for d in IndexStore(hostile["index"]).manifest().documents.values()}
    assert "plan-a" in docs and "inside" not in docs and "secret" not in docs


def test_a_file_that_vanishes_mid_run_is_named_and_skipped(tmp_path):
    """The next file is deleted while the ingest runs (from its progress callback): named,
    skipped, and, when it was indexed before, removed rather than left searchable."""
    from ingest.pipeline import ingest

    src = tmp_path / "src"
    for n, name in enumerate(("a.txt", "b.txt", "c.txt")):
        tiny(src, name, f"chuyên đề {name}", day=10 + n)
    settings = settings_for(tmp_path / "index")
    assert len(ingest([src], settings).added) == 3
    tiny(src, "b.txt", "nội dung mới", day=20)
    (src / "d.txt").write_text(TINY.format(what="mới", day=1), encoding="utf-8")

    def progress(done, total, name):
        if name == "a.txt":
            (src / "b.txt").unlink()
            (src / "d.txt").unlink()

    report = ingest([src], settings, progress=progress)
    assert (str(src / "b.txt"), "disappeared during the ingest") in report.failed
    assert (str(src / "d.txt"), "disappeared during the ingest") in report.failed
    assert str(src / "b.txt") in report.removed and report.unchanged == [str(src / "a.txt"), str(src / "c.txt")]
    assert sorted(IndexStore(settings.index_dir).manifest().documents) == ["a", "c"]


def test_sidecar_metadata_is_validated(hostile, tmp_path):
    from hoidap.service import Service

    first = hostile["first"]
    assert ("plan-b.txt: plan-b.txt.meta.json: field 'issuer': Input should be a valid string (got 123); "
            "using what the document says") in first.stderr
    assert "plan-b.txt.meta.json: field 'aliases'" in first.stderr
    assert "plan-b.txt.meta.json: unknown field 'isuer' ignored" in first.stderr
    assert "plan-c.txt: plan-c.txt.meta.json: not valid JSON (line 1" in first.stderr
    assert first.returncode == 1
    documents = IndexStore(hostile["index"]).manifest().documents
    assert documents["plan-b"]["title"] == "Kế hoạch B theo sidecar"  # the valid fields are kept
    assert documents["plan-b"]["issuer"] == "" and documents["plan-c"]["title"] not in ("", "C")
    # An index written before the check, with a number as an issuer: read as text, no crash.
    index = tmp_path / "old"
    shutil.copytree(hostile["index"], index)
    manifest = IndexStore(index).current() / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["documents"]["plan-b"]["issuer"] = 123
    data["documents"]["plan-b"]["aliases"] = "B"
    manifest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    service = Service(settings_for(index))
    assert {d.doc_id: d.issuer for d in service.documents()}["plan-b"] == "123"
    assert service.ask("Kế hoạch B tổ chức hội nghị gì?") is not None
    service.close()


def test_limits_stop_a_zip_bomb_and_a_50_mb_text_file(hostile):
    first = hostile["first"]
    assert "bomb.docx: DOCX expands to 10" in first.stderr and "(over the limit of 50 MB, HOIDAP_MAX_EXPANDED_MB)" in first.stderr
    assert "huge.txt: about " in first.stderr and "over the limit of 8000 per document (HOIDAP_MAX_CHUNKS_PER_DOC)" in first.stderr
    assert (hostile["src"] / "bomb.docx").stat().st_size < 2 * 2**20
    assert hostile["first_s"] < 120  # minutes or hours before the limits
    docs = IndexStore(hostile["index"]).manifest().documents
    assert "bomb" not in docs and "huge" not in docs


def test_limits_are_configurable(tmp_path):
    from ingest.pipeline import ingest
    from test_loaders import make_pdf

    src = tmp_path / "src"
    src.mkdir()
    make_pdf(src / "three-pages.pdf", pages=3)
    (src / "long.txt").write_text("\n\n".join(f"{n}. " + "Nội dung của mục này khá dài. " * 40 for n in range(1, 8)),
                                  encoding="utf-8")
    tiny(src, "short.txt")
    report = ingest([src], settings_for(tmp_path / "index", max_pages=2, max_chunks_per_doc=3))
    failed = dict(report.failed)
    assert failed[str(src / "three-pages.pdf")] == "PDF of 3 pages is over the limit of 2 pages (HOIDAP_MAX_PAGES)"
    assert "over the limit of 3 per document (HOIDAP_MAX_CHUNKS_PER_DOC)" in failed[str(src / "long.txt")]
    assert report.added == [str(src / "short.txt")]


def test_the_index_folder_inside_and_links_are_not_ingested_twice(hostile):
    first, second = hostile["first"], hostile["second"]
    assert "same file as" in first.stderr  # link-to-a.txt and plan-a.txt: one document
    assert "sub/up: link back to a folder above it (a loop); skipped" in first.stderr
    assert "dangling.txt: broken link to nowhere.txt" in first.stderr
    assert "pipe.txt: not a regular file" in first.stderr
    assert "idx: an index folder; skipped" in second.stderr
    index = hostile["index"]
    documents = IndexStore(index).manifest().documents
    unreadable = set() if hostile["permissions"] else {"secret", "inside"}  # readable without the permission check
    assert sorted(documents) == sorted({"plan-a", "plan-b", "plan-c", "plan-d", documents_id(documents, "evil")} | unreadable)
    ids = chunk_ids(index)
    assert len(ids) == len(set(ids)) == sum(d["chunks"] for d in documents.values())
    assert " 0 added, 0 updated," in second.stdout and " 0 removed" in second.stdout  # no copies on the second run


def documents_id(documents: dict, prefix: str) -> str:
    return next(d for d in documents if d.startswith(prefix))


def test_file_names_are_printed_safely(hostile):
    first = hostile["first"]
    lines = first.stderr.splitlines()
    assert not any(line.startswith("failed: forged.txt") for line in lines)  # no forged summary line
    assert "\x1b" not in first.stderr + first.stdout and "\u202e" not in first.stderr
    assert "bad\\nfailed: forged.txt\\x1b[31m.txt: empty file" in first.stderr
    docs = cli("docs", "--index", str(hostile["index"]))
    assert docs.returncode == 0 and "\x1b" not in docs.stdout and "evil\\x1b[2Jname\\u202e.txt" in docs.stdout


# --- the index under faults ---------------------------------------------------------------------

def test_disk_full_ends_cleanly_and_leftovers_go_at_the_next_start(base, tmp_path):
    from ingest.pipeline import ingest

    new = tmp_path / "new"
    tiny(new, "them.txt", "bổ sung")
    with small_disk(tmp_path / "disk", 24) as disk:
        index = copy_index(base, disk / "index")
        live = (index / "CURRENT").read_text()
        before = chunk_ids(index)
        filler = fill(disk, leave_bytes=96 * 1024)
        out = cli("ingest", str(new), "--index", str(index), "--quiet")
        no_traceback(out)
        assert out.returncode == 2
        assert "error: no space left on the device holding" in out.stderr and "the previous index is still live" in out.stderr
        assert "free some space and run `hoidap ingest` again" in out.stderr
        assert (index / "CURRENT").read_text() == live and not list(index.glob(".building-*"))
        assert len(list(index.glob("gen-*"))) == 1
        ask = cli("ask", QUESTION, "--index", str(index), "--json")  # the disk is still full
        no_traceback(ask)
        assert ask.returncode == 0 and answers(json.loads(ask.stdout), FACT)
        # A killed ingest's build folder fills the disk: the next process to start removes it.
        filler.unlink()
        killed = index / ".building-20260101-000000-dead00"
        killed.mkdir()
        fill(killed, leave_bytes=0)
        assert shutil.disk_usage(disk).free < 64 * 1024
        from hoidap.service import Service

        service = Service(settings_for(index))  # a new reader, as a server starting
        assert answers(json.loads(service.ask(QUESTION).model_dump_json()), FACT) and not killed.exists()
        service.close()
        report = ingest([new], settings_for(index))
        assert report.added == [str(new / "them.txt")]
        after = chunk_ids(index)
        # nothing lost, nothing twice; what the run that met the full disk embedded comes from the embedding cache
        assert len(after) == len(set(after)) == len(before) + report.embedded + report.cached


def test_a_damaged_index_says_how_to_fix_it_and_ingest_repairs_it(base, tmp_path):
    from hoidap.service import IndexUnavailable, Service
    from ingest.pipeline import ingest

    src = base / "src"
    expected = sorted(chunk_ids(base / "index"))

    broken = IndexStore(base / "index").current().name

    def damaged(name: str, damage) -> Path:
        index = copy_index(base, tmp_path / name)
        damage(index / broken)
        return index

    def reader_error(index: Path) -> str:
        with pytest.raises(IndexUnavailable) as e:
            Service(settings_for(index)).documents()
        return str(e.value)

    def repaired(index: Path):
        report = ingest([src], settings_for(index))
        assert report.repaired and report.generation != broken  # never "unchanged" over a damaged generation
        assert sorted(chunk_ids(index)) == expected  # nothing lost, nothing twice
        service = Service(settings_for(index))
        assert answers(json.loads(service.ask(QUESTION).model_dump_json()), FACT)
        service.close()
        return report

    # A truncated manifest, through the real commands.
    index = damaged("truncated", lambda gen: (gen / "manifest.json").write_bytes((gen / "manifest.json").read_bytes()[:200]))
    docs = cli("docs", "--index", str(index))
    no_traceback(docs)
    assert docs.returncode == 2 and "manifest.json is truncated or not valid JSON" in docs.stderr
    assert "Run `hoidap ingest` to repair it" in docs.stderr
    out = cli("ingest", str(src), "--index", str(index), "--quiet")
    no_traceback(out)
    assert out.returncode == 0 and "repaired: " in out.stderr and "2 added, 0 updated, 0 unchanged" in out.stdout
    assert sorted(chunk_ids(index)) == expected

    # A missing store folder: `ask` says so; ingest rebuilds it without re-embedding.
    index = damaged("no-lexical", lambda gen: shutil.rmtree(gen / "lexical-exact"))
    ask = cli("ask", QUESTION, "--index", str(index))
    no_traceback(ask)
    assert ask.returncode == 2 and "lexical-exact is missing" in ask.stderr
    assert repaired(index).embedded == 0
    # Chroma's folder (not read when answering, rewritten by ingest) and a truncated chunk file.
    assert repaired(damaged("no-chroma", lambda gen: shutil.rmtree(gen / "chroma"))).embedded == 0
    index = damaged("short-chunks", lambda gen: os.truncate(gen / "chunks.jsonl", 1000))
    assert "chunks.jsonl is truncated" in reader_error(index)
    report = repaired(index)  # read again from the source files; their vectors come from the embedding cache
    assert report.embedded + report.cached == len(expected) and report.cached > 0
    # CURRENT pointing at nothing: recovered from the newest complete generation.
    index = damaged("lost-pointer", lambda gen: (gen.parent / "CURRENT").write_text("gen-19990101-000000-000000"))
    assert "CURRENT names gen-19990101-000000-000000, which is missing" in reader_error(index)
    assert repaired(index).embedded == 0

    # Another (newer) format version: refused by readers and by ingest, until --rebuild.
    def newer(gen: Path) -> None:
        data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        (gen / "manifest.json").write_text(json.dumps({**data, "format": FORMAT_VERSION + 1}), encoding="utf-8")

    index = damaged("newer", newer)
    message = reader_error(index)
    assert f"format {FORMAT_VERSION + 1} by a newer version of hoidap" in message and "`hoidap ingest --rebuild`" in message
    from hoidap.service import ServiceError

    with pytest.raises(ServiceError, match="newer version"):
        Service(settings_for(index)).ingest([src])
    assert len(ingest([src], settings_for(index), rebuild=True).added) == 2

    # Format 1 (no version, no file sizes): read as it is.
    def format_1(gen: Path) -> None:
        data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        data.pop("format"), data.pop("files")
        (gen / "manifest.json").write_text(json.dumps(data), encoding="utf-8")

    index = damaged("format-1", format_1)
    service = Service(settings_for(index))
    assert len(service.documents()) == 2 and answers(json.loads(service.ask(QUESTION).model_dump_json()), FACT)
    service.close()


@contextmanager
def read_only_copy(base: Path, tmp_path: Path):
    """The index on read-only storage: a read-only bind mount, else (as a non-root user) a
    copy without write permissions."""
    writable = copy_index(base, tmp_path / "rw" / "index")
    target = tmp_path / "ro" / "index"
    target.mkdir(parents=True)
    error = mount(["--bind", str(writable)], target) if shutil.which("mount") else "no mount"
    if error is None:
        error = mount(["-o", "remount,bind,ro"], target)
        if error is not None:
            unmount(target)
    if error is None:
        try:
            yield target
        finally:
            unmount(target)
        return
    if os.geteuid() == 0:
        pytest.skip(f"cannot make a read-only bind mount ({error}), and as root file permissions would not stop writes")
    shutil.rmtree(target)
    shutil.copytree(writable, target)
    for p in [target, *target.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        yield target
    finally:
        for p in [target, *target.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)


def test_answering_writes_nothing_into_the_index(base, tmp_path):
    """Every file of the generation stays as it was (Chroma's embedded client rewrote its
    SQLite and HNSW files on every open and query)."""
    from hoidap.service import Service

    index = copy_index(base, tmp_path / "writable")
    gen = IndexStore(index).current()
    before = tree_state(gen)
    service = Service(settings_for(index))
    assert answers(json.loads(service.ask(QUESTION).model_dump_json()), FACT)
    assert answers(json.loads(service.ask(QUESTION, filters={"doc_id": "ke-hoach-huyen-uy"}).model_dump_json()), FACT)
    service.close()
    assert tree_state(gen) == before


def test_a_read_only_index_is_served_by_several_servers(base, tmp_path, request):
    import httpx
    from hoidap.service import Service, ServiceError
    from server_proc import running_servers

    with read_only_copy(base, tmp_path) as ro:
        with pytest.raises(ServiceError, match="read-only storage can be answered from but not changed"):
            Service(settings_for(ro)).ingest([base / "src"])
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")
        specs = [(ro, {"HOIDAP_STATE_URL": f"sqlite:///{tmp_path / f'state-{n}.sqlite'}"}) for n in range(2)]
        ask = subprocess.Popen([sys.executable, "-m", "hoidap.cli", "ask", QUESTION, "--index", str(ro), "--json"],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HOIDAP_LLM_BASE_URL": ""})
        with running_servers(specs, request) as servers:
            for server in servers:
                reply = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=60)
                assert reply.status_code == 200 and answers(reply.json(), FACT)
                assert httpx.get(f"{server.url}/healthz", timeout=30).json()["documents"] == 2
        out, err = ask.communicate(timeout=300)
        assert ask.returncode == 0 and answers(json.loads(out), FACT), err[-2000:]
        assert "Traceback" not in err


READER = r"""
import json, sys, time
from pathlib import Path
from hoidap.service import Service
from hoidap.settings import Settings
from rag.index import open_index

settings = Settings(index_dir=Path(sys.argv[1]), llm_base_url=None)
stop, question = Path(sys.argv[2]), sys.argv[3]
service = Service(settings)  # one long-running reader that follows new generations
service.ask(question, channel=None)
print("READY", flush=True)
seen, errors, opened = set(), [], 0
while not stop.exists():
    try:
        seen.add(service.ask(question, channel=None).generation)
        index = open_index(settings)  # and readers opening the index during the switches
        assert len(index.chunks) == sum(d["chunks"] for d in index.manifest.documents.values())
        index.close()
        opened += 1
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
service.ask(question, channel=None)  # the next request after the last switch
print(json.dumps({"seen": sorted(seen), "errors": errors[:5], "opened": opened, "last": service.generation}), flush=True)
service.close()
"""


def test_readers_and_the_clean_up_of_old_generations_do_not_race(base, tmp_path):
    """Another process answers and opens the index in a loop while this one ingests three new
    generations: no reader error, the long-running reader follows, old generations go once
    no reader pins them."""
    from ingest.pipeline import ingest

    index = copy_index(base, tmp_path / "index")
    changing = tmp_path / "changing"
    tiny(changing, "thay-doi.txt", "lần 0")
    settings = settings_for(index)
    ingest([changing], settings)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(index), str(stop), QUESTION], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        assert reader.stdout.readline().strip() == "READY", reader.stderr.read()[-3000:]
        generations = []
        for n in range(1, 4):
            tiny(changing, "thay-doi.txt", f"lần {n}", day=n)
            generations.append(ingest([changing], settings).generation)
            time.sleep(0.5)
        stop.touch()
        out, err = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == [], err[-3000:]
    assert result["opened"] > 0 and len(result["seen"]) >= 2
    assert result["last"] == generations[-1] == (index / "CURRENT").read_text()
    IndexStore(index).try_collect_garbage()  # the reader is gone: nothing pins the old ones
    assert [g.name for g in index.glob("gen-*")] == [generations[-1]]


class DripLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that sends a piece every 2 s and never finishes."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        stream_pieces(self, ["chậm "] * 30, 2.0, done=False)


def test_a_slow_llm_endpoint_is_bounded_through_the_cli(base):
    """The issue's case end to end (the unit tests in test_generate.py cover slow and endless
    streams at the Assistant): a piece every 2 s, a 3 s timeout, the extractive answer after
    about the timeout instead of 29 s or never."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), DripLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = cli("ask", QUESTION, "--index", str(base / "index"), "--json",
                  env={"HOIDAP_LLM_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
                       "HOIDAP_LLM_MODEL": "m", "HOIDAP_LLM_TIMEOUT_S": "3"})
    finally:
        server.shutdown()
    no_traceback(out)
    payload = json.loads(out.stdout)
    if payload["refused"]:
        pytest.fail("the question was refused, so the endpoint was never asked")
    assert payload["mode"] == "fallback" and "quá thời gian" in payload["notice"] and FACT in payload["answer"]
    generating = payload["timings_ms"]["total"] - payload["timings_ms"]["retrieve"]
    assert generating < 3000 + 2000 + 1500, payload["timings_ms"]  # the timeout, at most one more piece, slack


def test_html_entities_stay_text_in_the_index_the_cli_and_the_api(tmp_path):
    from fastapi.testclient import TestClient

    from ingest.pipeline import ingest
    from ui.server import create_app

    src = tmp_path / "src"
    src.mkdir()
    (src / "trang.html").write_text(
        "<html><body><h1>Hướng dẫn đăng tin</h1><p>Không chèn thẻ &lt;script&gt;alert(1)&lt;/script&gt; "
        "vào trang thông tin điện tử của cơ quan.</p></body></html>", encoding="utf-8")
    settings = settings_for(tmp_path / "index")
    ingest([src], settings)
    literal = "<script>alert(1)</script>"
    store = IndexStore(settings.index_dir)
    assert any(literal in c.text for c in store.chunks(store.current()))  # decoded once, kept as text
    question = "Không chèn thẻ gì vào trang thông tin điện tử?"
    out = cli("ask", question, "--index", str(settings.index_dir), "--json")
    assert out.returncode == 0 and literal in out.stdout  # a JSON string: text, not markup
    assert any(literal in r["passage"] for r in json.loads(out.stdout)["retrieved"])
    with TestClient(create_app(settings.model_copy(update={"rate_limit_per_minute": 0}))) as client:
        reply = client.post("/api/ask", json={"question": question})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    assert any(literal in r["passage"] for r in reply.json()["retrieved"])
    # The web page escapes passages: tests/test_browser.py (test "text stays text") checks it in Chromium.


def test_requests_do_not_queue_behind_a_generation_being_opened(tmp_path):
    """While one request opens a new generation (its structures take most of a minute on a
    large index), the others answer from the generation they have instead of waiting."""
    from hoidap.service import Service

    src = tmp_path / "src"
    tiny(src, "plan.txt", what="chuyên đề", day=15)
    settings = settings_for(tmp_path / "index")
    service = Service(settings)
    service.ingest([src])
    question = "Hội nghị được tổ chức trước ngày nào?"
    before = service.ask(question)
    from ingest.pipeline import ingest

    tiny(src, "plan.txt", what="chuyên đề", day=25)
    ingest([src], settings)  # a new generation, written as by `hoidap ingest` in another process
    assert service.store.current().name != before.generation
    assert service._opening.acquire(blocking=False)  # another request is opening it right now
    try:
        meanwhile = []
        asker = threading.Thread(target=lambda: meanwhile.append(service.ask(question)), daemon=True)
        asker.start()
        asker.join(timeout=10)  # a request that queued behind the opening would still be waiting
        assert meanwhile and meanwhile[0].generation == before.generation
    finally:
        service._opening.release()
    asker.join(timeout=30)
    after = service.ask(question)  # the next request opens it
    assert after.generation == service.store.current().name != before.generation
    service.close()
