"""Where a plan sends its reports. A plan usually sends them along two lines: the lower levels
report to the committee ("Định kỳ báo cáo kết quả thực hiện về Ban Thường vụ Huyện ủy (qua Ban
Tuyên giáo Huyện ủy) …") and the propaganda department sums them up for the level above ("tổng hợp
báo cáo kết quả thực hiện cho Ban Thường vụ Huyện ủy, Ban Tuyên giáo Tỉnh ủy …"). Asked where the
reports go, the answer quotes every such line of the plan, not whichever ranked first."""
from __future__ import annotations

import re

from hoidap.textnorm import fold

from .index import OpenIndex
from .query import Query
from .types import Candidate

# "báo cáo … về đâu / cho ai / lên những nơi nào / gửi cơ quan nào" (accent-free); a "báo cáo viên" is a speaker
_ASKS_DESTINATION = re.compile(
    r"\b(?:bao cao|bc)\b(?! vien)(?: \w+){0,8}? (?:(?:gui |nop )?(?:ve|len|cho|toi|den) (?:dau|ai|noi nao|nhung noi nao|"
    r"co quan nao|nhung co quan nao|cap nao|nhung ai)|gui (?:dau|ai|cho ai|co quan nao|nhung co quan nao)|nop (?:o )?dau)\b")
# a line sending a report to a body: "báo cáo kết quả thực hiện về Ban Thường vụ …", "báo cáo … với Thường trực
# Thành ủy", "tổng hợp báo cáo Ban Tuyên giáo Tỉnh ủy" (accent-free)
_SENDS_REPORT = re.compile(
    r"\bbao cao\b(?! vien)(?: [\w-]+){0,9}? (?:(?:ve|cho|voi|len|gui) )?"
    r"(?:ban thuong vu|ban tuyen giao|thuong truc|ban chap hanh|thanh uy|huyen uy|tinh uy|thi uy|dang uy)\b")
MAX_OTHER_ROUTES = 2  # a plan's report lines beyond the first passage's: two in every plan of the corpus


def asks_destination(query: Query) -> bool:
    """"KH huyện ủy yêu cầu báo cáo kết quả về đâu", "bc gửi cho ai": where the plan's reports go."""
    return bool(_ASKS_DESTINATION.search(fold(query.normalized or query.question).lower()))


def sends_report(text: str) -> bool:
    return bool(_SENDS_REPORT.search(fold(text).lower().replace("\n", " ")))


def other_routes(index: OpenIndex, query: Query, first: Candidate, derived: set[str]) -> list[Candidate]:
    """The plan's other passages sending a report to a body, in the plan's order, when the question
    asks where reports go and the first passage quoted sends one."""
    if not asks_destination(query) or first.chunk.doc_id in derived or not sends_report(first.chunk.text) \
            or not hasattr(index, "doc_rows"):
        return []
    rest = [c for c in (index.chunks[r] for r in index.doc_rows(first.chunk.doc_id))
            if c.chunk_id != first.chunk.chunk_id and c.kind == first.chunk.kind and sends_report(c.text)]
    return [Candidate(chunk=c, doc=first.doc, score=first.score, coverage=first.coverage)
            for c in rest[:MAX_OTHER_ROUTES]]
