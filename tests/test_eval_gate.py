"""Regression gate: the evaluation must stay above the stored floors — the project set (with its
automatic phone-style variants), both halves of the phone set and of every project-style
held-out set on the bundled corpus (HELD_OUT_SETS), and both halves of the set over documents the code never saw
(evals/unseen/docs, ingested into an index of their own)."""
import json
from pathlib import Path

import pytest

from evals.dataset import DEFAULT_QUESTIONS, load_questions
from evals.runner import run_eval

EVALS = Path(__file__).parents[1] / "evals"
FLOORS = json.loads((EVALS / "floors.json").read_text())
PHONE = {"phone_dev": EVALS / "questions-phone-dev.jsonl", "phone_test": EVALS / "questions-phone-test.jsonl"}
HELD_OUT_SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9",
                 "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15", "heldout16", "heldout17", "heldout18",
                 "heldout19", "heldout20", "heldout21", "heldout22", "heldout23", "heldout24", "heldout25", "heldout26",
                 "heldout27", "heldout28", "heldout29", "heldout30", "heldout31", "heldout32", "heldout33", "heldout34", "heldout35", "heldout36", "heldout37",
                 "heldout38", "heldout39", "heldout40", "unseen")
HELD_OUT = {f"{name}_{half}": EVALS / f"questions-{name}-{half}.jsonl" for name in HELD_OUT_SETS for half in ("dev", "test")}
MIN_UNANSWERABLE = {"heldout": 8, "heldout2": 6, "heldout3": 10, "heldout4": 20, "heldout5": 18, "heldout6": 18, "heldout7": 18,
                    "heldout8": 18, "heldout9": 18, "heldout10": 18, "heldout11": 18, "heldout12": 18, "heldout13": 18,
                    "heldout14": 18, "heldout15": 18, "heldout16": 18, "heldout17": 18, "heldout18": 18, "heldout19": 18,
                    "heldout20": 18, "heldout21": 18, "heldout22": 18, "heldout23": 18, "heldout24": 18, "heldout25": 18,
                    "heldout26": 18, "heldout27": 18, "heldout28": 18, "heldout29": 18, "heldout30": 18,
                    "heldout31": 18, "heldout32": 16, "heldout33": 16, "heldout34": 16, "heldout35": 16, "heldout36": 16, "heldout37": 16,
                    "heldout38": 16, "heldout39": 16, "heldout40": 16, "unseen": 8}


@pytest.fixture(scope="module")
def unseen_index(tmp_path_factory):
    from hoidap.settings import Settings
    from ingest.pipeline import ingest

    settings = Settings(index_dir=tmp_path_factory.mktemp("unseen-index"))
    report = ingest([EVALS / "unseen" / "docs"], settings)
    assert not report.failed and len(report.added) == 5
    return settings


def test_question_set_is_complete():
    questions = load_questions(DEFAULT_QUESTIONS)
    assert len(questions) >= 120
    assert sum(q.unanswerable for q in questions) >= 12
    tags = {t for q in questions for t in q.tags}
    assert {"no-diacritics", "followup", "compare", "appendix", "qa", "list", "quote"} <= tags


def test_a_passage_is_scored_with_the_heading_it_is_shown_with():
    from evals.dataset import EvalQuestion
    from evals.metrics import score_one

    q = EvalQuestion(id="x", question="Mục VI của hướng dẫn có tiêu đề là gì?", answer_contains=[["TÀI LIỆU SINH HOẠT"]],
                     evidence=["VI. TÀI LIỆU SINH HOẠT"])
    under = {"heading": "VI. TÀI LIỆU SINH HOẠT", "passage": "- Tác phẩm “Kiên quyết, kiên trì …”", "doc_id": "hd"}
    elsewhere = {"heading": "V. THỜI GIAN", "passage": "Trong tháng 5/2023.", "doc_id": "hd"}
    first_under = score_one(q, {"answer": "VI. TÀI LIỆU SINH HOẠT [1]", "refused": False, "latency_ms": 1.0,
                                "citations": [under], "retrieved": [under, elsewhere]})
    assert first_under["hit@1"] and first_under["citation_hit"] and first_under["correct"]
    second = score_one(q, {"answer": "Trong tháng 5/2023. [1]", "refused": False, "latency_ms": 1.0,
                           "citations": [elsewhere], "retrieved": [elsewhere, under]})
    assert not second["hit@1"] and second["hit@3"] and not second["citation_hit"] and not second["correct"]


def test_evidence_matching_ignores_typing_not_wording():
    from evals.dataset import contains

    assert contains("Hướng dẫn số 33 -HD/BTG ngày 25/4/2023 của Ban Tuyên giáo Thành uỷ",
                    "Hướng dẫn số 33-HD/BTG ngày 25/4/2023 của Ban Tuyên giáo Thành ủy")
    assert contains("trước **ngày 25/4/2023**", "trước ngày 25/4/2023")
    assert contains("về Thành ủy (qua Ban Tuyên giáo Thành ủy): gửi", "về Thành ủy (*qua Ban Tuyên giáo Thành ủy*)")
    assert contains("T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ THƯỜNG TRỰC\nĐỗ Văn Nghị", "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ THƯỜNG TRỰC")
    assert not contains("Hướng dẫn số 35-HD/BTG ngày 25/4/2023", "Hướng dẫn số 33-HD/BTG")
    assert not contains("Kế hoạch số 182-KH/TU", "Kế hoạch số 18-2KH/TU")


def test_phone_set_is_complete_and_split_once():
    dev, test = (load_questions(p) for p in PHONE.values())
    both = dev + test
    assert len(both) >= 150
    assert sum(bool(q.history) for q in both) >= 20  # follow-up conversations
    assert sum(q.unanswerable and "near-miss" in q.tags for q in both) >= 20
    kinds = {"no-diacritics", "abbrev", "typo", "chatty", "followup", "near-miss", "unit", "derived"}
    for half in (dev, test):
        assert kinds <= {t for q in half for t in q.tags}
    assert not {q.id for q in dev} & {q.id for q in test}
    assert not {q.question for q in dev} & {q.question for q in test}


def test_metrics_stay_above_floors(corpus_index, tmp_path):
    summary = run_eval(corpus_index, out_dir=tmp_path, compare_baseline=True, with_variants=True)
    ours, base = summary["ours"], summary["baseline"]
    for key, floor in FLOORS["ours"].items():
        assert ours[key] >= floor, f"{key} fell to {ours[key]} (floor {floor})"
    assert ours["hit@1"] - base["hit@1"] >= FLOORS["min_hit1_gain_over_baseline"]
    for kind, floors in FLOORS["variants"].items():
        row = summary["variants"][kind]["variant"]
        for key, floor in floors.items():
            assert row[key] >= floor, f"{kind} variant: {key} fell to {row[key]} (floor {floor})"
    for name in ("results.jsonl", "summary.json", "report.md", "report.html", "variants_results.jsonl"):
        assert (tmp_path / name).stat().st_size > 0
    assert "Robustness: automatic variants" in (tmp_path / "report.md").read_text(encoding="utf-8")
    first = json.loads((tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"id", "question", "answer", "refused", "citations", "retrieved", "latency_ms"} <= set(first)


def test_false_refusals_stay_under_the_ceiling(corpus_index, tmp_path):
    summary = run_eval(corpus_index, out_dir=tmp_path)
    assert summary["ours"]["false_refusals"] <= FLOORS["max_false_refusals"]


@pytest.mark.parametrize("name", sorted(PHONE))
def test_phone_sets_stay_above_floors(corpus_index, tmp_path, name):
    ours = run_eval(corpus_index, PHONE[name], out_dir=tmp_path)["ours"]
    assert_floors(name, ours)
    assert ours["derived_only"] == 0.0  # the Q&A booklet is never an answer's only source


def test_held_out_sets_are_split_once():
    for name, unanswerable in MIN_UNANSWERABLE.items():
        dev, test = (load_questions(HELD_OUT[f"{name}_{half}"]) for half in ("dev", "test"))
        assert len(dev) + len(test) >= 60 and sum(q.unanswerable for q in dev + test) >= unanswerable
        assert not {q.id for q in dev} & {q.id for q in test}
        assert all(q.history for q in dev + test if "followup" in q.tags)


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_held_out_sets_stay_above_floors(request, name, tmp_path):
    settings = request.getfixturevalue("unseen_index" if name.startswith("unseen") else "corpus_index")
    assert_floors(name, run_eval(settings, HELD_OUT[name], out_dir=tmp_path)["ours"])


def assert_floors(name: str, ours: dict) -> None:
    """Every floor of the set `name` in floors.json holds; a `max_` key is a ceiling."""
    for key, floor in FLOORS[name].items():
        if key.startswith("max_"):
            assert ours[key[4:]] <= floor, f"{name}: {key[4:]} rose to {ours[key[4:]]} (ceiling {floor})"
        else:
            assert ours[key] >= floor, f"{name}: {key} fell to {ours[key]} (floor {floor})"


def test_evidence_copied_across_a_table_rows_cells_matches_the_row():
    # a row is shown "TT: 1; NỘI DUNG: …; CƠ QUAN CHỦ TRÌ: …"; a question set copies the document's line, whose
    # cells stand side by side: both are the same place
    from evals.dataset import EvalQuestion, row_cells
    from evals.metrics import score_one

    row = {"heading": "Phụ lục số 01 › I. TỔ CHỨC HỘI NGHỊ", "doc_id": "kh",
           "passage": "TT: 1; NỘI DUNG: Tổ chức hội nghị Ban Chấp hành (Mở rộng); THỜI GIAN HOÀN THÀNH: 13/4; "
                      "CƠ QUAN CHỦ TRÌ: Đ/c Trưởng Ban Tuyên giáo Thành ủy; CƠ QUAN PHỐI HỢP: Văn phòng Thành ủy"}
    other = {"heading": "IV. TỔ CHỨC THỰC HIỆN", "doc_id": "kh",
             "passage": "Văn phòng Thành ủy: Chủ trì, phối hợp với Ban Tuyên giáo Thành ủy"}
    q = EvalQuestion(id="x", question="cơ quan chủ trì với phối hợp thì sao", answer_contains=[["Văn phòng Thành ủy"]],
                     evidence=["Đ/c Trưởng Ban Tuyên giáo Thành ủy\tVăn phòng Thành ủy"])
    cited_row = score_one(q, {"answer": "Văn phòng Thành ủy [1]", "refused": False, "latency_ms": 1.0,
                              "citations": [row], "retrieved": [row, other]})
    assert cited_row["hit@1"] and cited_row["citation_hit"]
    cited_other = score_one(q, {"answer": "Văn phòng Thành ủy [1]", "refused": False, "latency_ms": 1.0,
                                "citations": [other], "retrieved": [other, row]})
    assert not cited_other["hit@1"] and not cited_other["citation_hit"]
    assert row_cells("Nơi nhận\n- Ban Thường vụ Tỉnh ủy, - Lưu VP") is None  # no row: matched as shown only
