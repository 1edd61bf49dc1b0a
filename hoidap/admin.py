"""Administration shared by the admin page and the admin API: uploads ingested in the
background with visible progress, deleting documents, and the token check.

Uploads land in their own folder (`Settings.uploads`), each with a metadata sidecar. One
ingest runs at a time; the server keeps answering from the current generation meanwhile and
switches to the new one when it is written."""
from __future__ import annotations

import hmac
import json
import re
import threading
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hoidap.service import Service, ServiceError

ALLOWED_TYPES = {".pdf", ".docx", ".txt", ".md", ".html", ".htm", ".jsonl", ".csv"}
META_FIELDS = ("title", "issuer", "number", "date", "kind")
META_SUFFIX = ".meta.json"
KEEP_JOBS = 100
JOB_LOG_LINES = 200  # a job's message log; a 600-page book logs one line per embedded batch


class AdminError(ServiceError):
    """An upload or deletion that cannot be done; the message is Vietnamese, for the admin."""


@dataclass
class Job:
    id: str
    files: list[str]
    status: str = "queued"  # queued | running | done | failed
    progress: float = 0.0  # 0..1
    message: str = "Đang chờ…"
    started: float = field(default_factory=time.time)
    finished: float | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    eta_s: float | None = None  # estimated seconds left while embedding (measured rate of this run)
    embedded: int = 0  # passages embedded by this job
    cached: int = 0  # passages whose vectors came from the embedding cache
    log: list[str] = field(default_factory=list)  # every message this job showed, oldest first (capped)

    def say(self, message: str) -> None:
        """Show `message` now and keep it in the log, so a poller that looked away misses nothing."""
        self.message = message
        if not self.log or self.log[-1] != message:  # a new list, swapped in: a poll never sees it half-trimmed
            self.log = (self.log + [message])[-JOB_LOG_LINES:]

    def to_dict(self) -> dict:
        return asdict(self)


def token_ok(service: Service, given: str | None) -> bool:
    """Constant-time comparison; always False when no admin token is configured."""
    expected = service.settings.admin_token
    if expected is None or not expected.get_secret_value() or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def safe_name(name: str) -> str:
    """A plain file name that cannot leave the upload folder: the last path component,
    letters, digits, dot, dash and underscore only, no leading dot."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    stem, dot, ext = base.rpartition(".")
    from hoidap.textnorm import fold

    stem = re.sub(r"[^a-z0-9_-]+", "-", fold(stem if dot else base)).strip("-._")[:80] or "tai-lieu"
    ext = re.sub(r"[^a-z0-9]", "", ext.lower()) if dot else ""
    return f"{stem}.{ext}" if ext else stem


class Admin:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.dir = service.settings.uploads
        self.jobs: dict[str, Job] = {}
        self._run_lock = threading.Lock()  # one ingest at a time in this process

    # --- uploads ------------------------------------------------------------------------------
    def check_upload(self, filename: str, size: int) -> str:
        name = safe_name(filename)
        ext = Path(name).suffix.lower()
        if ext not in ALLOWED_TYPES:
            raise AdminError(f"Không nhận loại tệp “{ext or filename}”. Chỉ nhận: {', '.join(sorted(ALLOWED_TYPES))}.")
        limit = self.service.settings.max_upload_mb
        if size > limit * 1024 * 1024:
            raise AdminError(f"Tệp “{filename}” quá lớn ({size / 1024 / 1024:.1f} MB; tối đa {limit:g} MB).")
        if size == 0:
            raise AdminError(f"Tệp “{filename}” rỗng.")
        return name

    def upload(self, files: list[tuple[str, bytes]], meta: dict | None = None, wait: bool = False) -> Job:
        """Save the files (with `meta` as their sidecar) and ingest them in the background."""
        if not files:
            raise AdminError("Chưa chọn tệp nào.")
        names = [self.check_upload(name, len(data)) for name, data in files]
        clashes = sorted({orig for (orig, _), name in zip(files, names) if names.count(name) > 1})
        if clashes:  # both would be saved under one name, the second silently replacing the first
            raise AdminError("Các tệp sau trùng tên khi lưu (" + ", ".join(clashes) + "); hãy đổi tên một tệp rồi tải lên lại.")
        meta = {k: str(v).strip() for k, v in (meta or {}).items() if k in META_FIELDS and v and str(v).strip()}
        self.dir.mkdir(parents=True, exist_ok=True)
        saved, fresh = [], []  # fresh: files that did not exist before (an upload may replace one)
        for name, (_orig, data) in zip(names, files):
            target = self.dir / name
            if not target.exists():
                fresh.append(target)
            tmp = self.dir / f".{name}.{uuid.uuid4().hex[:8]}.part"  # hidden: never ingested half-written
            tmp.write_bytes(data)
            if meta:
                side = self.dir / (name + META_SUFFIX)
                side_tmp = self.dir / f".{name}.meta.{uuid.uuid4().hex[:8]}.part"
                side_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
                side_tmp.replace(side)
            tmp.replace(target)
            saved.append(target)
        job = Job(id=uuid.uuid4().hex[:12], files=[p.name for p in saved])
        self.jobs[job.id] = job
        for old in list(self.jobs)[:-KEEP_JOBS]:  # finished jobs are kept for a while, not forever
            if self.jobs[old].status in ("done", "failed"):
                del self.jobs[old]
        thread = threading.Thread(target=self._run, args=(job, saved, fresh), name=f"ingest-{job.id}", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return job

    def _run(self, job: Job, saved: list[Path], fresh: list[Path]) -> None:
        with self._run_lock:
            job.status = "running"
            job.say("Đang đọc và phân đoạn tài liệu…")

            def progress(done, total, name):
                if total:
                    job.progress = min(0.95, 0.1 + 0.4 * done / total)
                    job.say(f"Đang đọc tệp {done}/{total}: {name}")
                elif hasattr(name, "vietnamese"):  # an EmbedStatus after each embedded batch
                    job.say(f"Đang tạo véc-tơ: {name.vietnamese()}")
                    job.progress = max(job.progress, min(0.95, 0.5 + 0.45 * name.fraction))
                    job.eta_s = None if name.eta_s is None else round(name.eta_s, 1)
                else:
                    job.say(f"Đang tạo véc-tơ: {name}")
                    job.progress = max(job.progress, 0.5)

            try:
                report = self.service.ingest([self.dir], progress=progress)
            except Exception as e:  # the job reports it; the index stays as it was
                for path in fresh:  # nothing of this upload waits to be picked up by a later ingest
                    path.unlink(missing_ok=True)
                    path.with_name(path.name + META_SUFFIX).unlink(missing_ok=True)
                job.say(f"Nạp tài liệu thất bại: {e}")  # message first: a poller stops at the status
                job.status, job.finished = "failed", time.time()
                return
            names = {p.name for p in saved}
            job.added = [s for s in report.added if Path(s).name in names]
            job.updated = [s for s in report.updated if Path(s).name in names]
            job.failed = [(Path(s).name, reason) for s, reason in report.failed if Path(s).name in names]
            for name, _reason in job.failed:  # a bad file is reported and removed, never half-ingested
                (self.dir / name).unlink(missing_ok=True)
                (self.dir / (name + META_SUFFIX)).unlink(missing_ok=True)
            job.chunks, job.embedded, job.cached = report.chunks, report.embedded, report.cached
            job.progress, job.finished, job.eta_s = 1.0, time.time(), 0.0
            if job.failed and not (job.added or job.updated):
                job.say("Không nạp được: " + "; ".join(f"{n}: {r}" for n, r in job.failed))
                job.status = "failed"
            else:
                ok = len(job.added) + len(job.updated)
                job.say(f"Đã nạp {ok} tệp ({report.embedded} đoạn mới tạo véc-tơ, {report.cached} đoạn lấy từ bộ nhớ đệm); có thể hỏi ngay." + (
                    " Lỗi: " + "; ".join(f"{n}: {r}" for n, r in job.failed) if job.failed else ""))
                job.status = "done"

    def job(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    # --- deleting -------------------------------------------------------------------------------
    def delete(self, doc_id: str) -> list[str]:
        """Remove a document from the index (and its uploaded file, if it was uploaded here)."""
        docs = {d.doc_id: d for d in self.service.documents()}
        if doc_id not in docs:
            raise AdminError(f"Không có tài liệu “{doc_id}” trong kho.")
        original = self.service.document_file(doc_id)
        with self._run_lock:
            report = self.service.ingest([], drop={doc_id})
            if original is not None and original.resolve().parent == self.dir.resolve():
                original.unlink(missing_ok=True)
                (self.dir / (original.name + META_SUFFIX)).unlink(missing_ok=True)
        return report.removed
