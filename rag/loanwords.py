"""English words of office Vietnamese, read as the Vietnamese a question would use: young staff type
"deadline nộp report của KH 205", "ai in charge", "file này ai sign", and the documents never write
those words. The readings are the question's own Vietnamese ("hạn", "báo cáo", "phụ trách", "ký"),
which the rest of `understand` already reads. A word the corpus itself writes ("link", "fanpage",
"website") is left as typed."""
from __future__ import annotations

import re

from .normalize import fold

# English word or phrase (lowercase; a single word also matches its plural "-s") → its reading. None of
# them is a Vietnamese syllable typed without accents (those end in a vowel or in c/ch/m/n/ng/nh/p/t).
# Left out: words whose reading the documents use for something else or never use, where the English word
# left unknown rightly lowers confidence ("share link" is no "chia sẻ", "offline" no "trực tiếp" of a
# conference, "kick-off" no "triển khai" of a task).
LOANWORDS: dict[str, str] = {
    # when
    "deadline": "hạn", "due date": "hạn", "dl": "hạn", "timeline": "thời gian", "schedule": "thời gian",
    "start": "bắt đầu", "finish": "hoàn thành", "done": "xong", "before": "trước", "after": "sau",
    "phase": "giai đoạn", "stage": "giai đoạn",
    # who
    "in charge of": "phụ trách", "in charge": "phụ trách", "lead": "chủ trì", "leader": "lãnh đạo", "boss": "lãnh đạo",
    "support": "phối hợp", "speaker": "báo cáo viên", "staff": "cán bộ", "member": "thành viên",
    "sign": "ký", "signed": "ký", "assign": "giao", "assigned": "giao",
    # what
    "report": "báo cáo", "reporting": "báo cáo", "submit": "nộp", "submitted": "nộp", "send": "gửi",
    "task": "nhiệm vụ", "event": "hoạt động", "meeting": "hội nghị", "workshop": "hội thảo", "seminar": "hội thảo",
    "talkshow": "tọa đàm", "contest": "cuộc thi", "competition": "cuộc thi", "quiz": "cuộc thi",
    "plan": "kế hoạch", "file": "văn bản", "template": "mẫu", "list": "danh sách", "topic": "chủ đề",
    "theme": "chủ đề", "content": "nội dung", "goal": "mục đích", "purpose": "mục đích", "requirement": "yêu cầu",
    "target group": "đối tượng", "target audience": "đối tượng", "audience": "đối tượng", "target": "mục tiêu",
    "feedback": "ý kiến", "book": "sách", "ebook": "sách điện tử", "e-book": "sách điện tử", "page": "trang",
    "post": "đăng", "update": "cập nhật", "check": "kiểm tra", "level": "cấp", "via": "qua",
    "online": "trực tuyến", "budget": "kinh phí", "venue": "địa điểm", "location": "địa điểm",
}
# "target bao nhiêu người": the count asked, which "mục tiêu" would only blur
_COUNT_TARGET = re.compile(r"(?i)(?<![\w-])target\s+(?=(?:là\s+|la\s+)?(?:bao nhiêu|bao nhieu|bn|mấy|may)\b)")
# "ok thế ai sign?", "oke, còn …": an acknowledgement before the question, not part of it
_ACKNOWLEDGED = re.compile(r"(?i)^\s*(?:ok(?:e|ay)?|okie|okela)\b[\s,.!]*")
_PHRASES = sorted(LOANWORDS, key=len, reverse=True)
_LOANWORD = re.compile(r"(?i)(?<![\w-])(" + "|".join(re.escape(p) + ("s?" if " " not in p else "") for p in _PHRASES)
                       + r")(?![\w-])")


def read_loanwords(question: str, corpus_words: frozenset | set = frozenset()) -> str:
    """The question with its English office words read as Vietnamese ("deadline nộp report" → "hạn nộp báo
    cáo"); `corpus_words` (accent-free, lowercase) are the corpus's own words, left alone."""
    text = _ACKNOWLEDGED.sub("", _COUNT_TARGET.sub("", question))

    def reading(m: re.Match) -> str:
        typed = m.group(1).lower()
        word = typed if typed in LOANWORDS else typed[:-1]
        if typed in corpus_words or fold(word) in corpus_words:
            return m.group(1)
        return LOANWORDS[word]

    return re.sub(r"[ \t]{2,}", " ", _LOANWORD.sub(reading, text)).strip() or question
