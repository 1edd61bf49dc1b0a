"""Questions as people type them on a phone: abbreviations, typos and missing diacritics, chatty
wrappers, follow-ups with a conversation state, the right unit of the right passage, calibrated
confidence, honest near-miss refusals, derived material never the only source."""
from __future__ import annotations

import json
import re

import pytest

from hoidap.textnorm import canonical, fold


@pytest.fixture(scope="module")
def lex(assistant):
    from rag.structures import structures

    return structures(assistant.index).lexicon


def _quoted_parts_are_verbatim(assistant, result):
    """The citation contract: every highlighted part lies in the cited passage's span, and
    every quoted piece of the answer is found in the document text."""
    for cit in result.citations:
        doc = (assistant.index.generation / "docs" / f"{cit.doc_id}.txt").read_text(encoding="utf-8")
        assert doc[cit.span[0]:cit.span[1]] == cit.passage
        assert cit.highlights and all(cit.span[0] <= a < b <= cit.span[1] for a, b in cit.highlights)
        for a, b in cit.highlights:
            assert canonical(doc[a:b]) in canonical(result.answer)


# --- 1. abbreviations ------------------------------------------------------------------------------

def test_abbreviations_are_spelled_out(lex):
    assert lex.expand("han bc kq cua HU?") == "han báo cáo kết quả cua Huyện ủy?"
    assert "Ban Tuyên giáo" in lex.expand("BTG thi uy yc bc so ket khi nao")
    assert lex.expand("cb, đv") == "cán bộ, đảng viên"


def test_abbreviations_the_corpus_defines_are_mined(lex):
    # "Sở Khoa học và Công nghệ (KH&CN)" in the Điện Biên plan: the corpus brings its own
    assert lex.abbreviations["kh&cn"] == ["Khoa học và Công nghệ"]
    assert lex.abbreviations["khcn"] == ["Khoa học và Công nghệ"]


def test_ambiguous_abbreviation_follows_the_named_document(lex):
    assert lex.expand("TU ra kế hoạch", []) == "TU ra kế hoạch"  # Tỉnh, Thành or Thị ủy: left as typed
    assert lex.expand("bc của TU yên bái", ["ke-hoach-205-thanh-uy-yen-bai"]) == "báo cáo của Thành ủy yên bái"
    assert lex.expand("kh số mấy của BTV TU", ["ke-hoach-huyen-uy"]).endswith("Ban Thường vụ Tỉnh ủy")


def test_abbreviated_question_is_answered(assistant):
    result = assistant.answer("han bc kq cua HU?")
    assert not result.refused and "01/11" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-huyen-uy"


# --- 2. typos and half-typed diacritics --------------------------------------------------------------

@pytest.mark.parametrize("typed,fixed", [
    ("kế hoạc của huyện ủy", "kế hoạch của huyện ủy"),
    ("sinh hoật chính trị", "sinh hoạt chính trị"),
    ("tham nhủng là giặc gì", "tham nhũng là giặc gì"),
    ("có bao nhiu bức ảnh", "có bao nhiêu bức ảnh"),
    ("tac pham gom may phan", "tác phẩm gồm mấy phần"),
    ("doi tuong la ai", "đối tượng là ai"),  # a word only the headings use ("2.1. Đối tượng")
    # the askers' words (normalize.ASKERS_WORDS): the book, beside what it is asked; the plans' "trong sạch" stays
    ("sach gom may phan", "sách gồm mấy phần"),
    ("xay dung dang trong sach vung manh", "xây dựng đảng trong sạch vững mạnh"),
    ("KH 205 co them dip nao rieng", "KH 205 có thêm dịp nào riêng"),
])
def test_spelling_is_corrected_towards_the_corpus(lex, typed, fixed):
    assert lex.correct(typed) == fixed


@pytest.mark.parametrize("typed,fixed", [
    ("tác phâm dày bao nhiêu", "tác phẩm dày bao nhiêu"),  # a mark left out
    ("tiêu cưc của cán bộ", "tiêu cực của cán bộ"),
    ("học tâp tác phẩm", "học tập tác phẩm"),
    ("phần thư ba có gì", "phần thứ ba có gì"),
])
def test_half_typed_diacritics_are_completed(lex, typed, fixed):
    assert lex.correct(typed) == fixed


@pytest.mark.parametrize("typed", [
    "Văn bản hướng dẫn dựa trên những văn bản nào?",  # not "đưa trên"
    "Tôi tham gia thi tìm hiểu tác phẩm",  # not "thiệu"
    "Tài liệu này lấy từ nguồn nào?",  # not "người"
    "Kế hoạch Sở KH CN",  # not "Số"
    "Tôi là cộng tác viên",  # not "công tác"
    "Chi bộ dùng tài liệu gì?",  # not "đảng"
    "Sáng tác bài hát về tình",  # not "phát"
])
def test_real_words_the_corpus_does_not_use_are_no_typos(lex, typed):
    """Typed with diacritics, a word is changed only as a typo would change it (marks left out, hỏi for
    ngã) or where a pair the corpus uses often witnesses it; a real word the plans happen not to use,
    or another spelling they do use, stays as typed."""
    assert lex.correct(typed) == typed


def test_correct_and_unknown_words_are_kept(lex):
    assert lex.correct("Thời hạn của nó?") == "Thời hạn của nó?"  # "nó" is not "cơ" (quan)
    assert lex.correct("Huyện ủy Mường Chà") == "Huyện ủy Mường Chà"
    assert lex.correct("Ai ký kế hoạch 205-KH/TU?") == "Ai ký kế hoạch 205-KH/TU?"


# --- 3. chatty wrappers ------------------------------------------------------------------------------

def test_chatty_wrapper_is_stripped():
    from rag.normalize import strip_chatter

    core = strip_chatter("Dạ em chào anh chị ạ, em đang chuẩn bị bài thu hoạch cho chi bộ, cho em hỏi tác phẩm "
                         "được kết cấu thành mấy phần ạ? Em cảm ơn nhiều ạ").core
    assert core == "tác phẩm được kết cấu thành mấy phần?"
    assert strip_chatter("ad ơi e hỏi chút, mục đích của việc xử lý tham nhũng là gì ạ? em cần gấp ạ hihi").core \
        == "mục đích của việc xử lý tham nhũng là gì?"
    # "Ban" (a board) is not "bạn"; "các chi" is not "chị"
    assert strip_chatter("Ban Tuyên giáo Thị ủy mua sách gì").core == "Ban Tuyên giáo Thị ủy mua sách gì"
    # a remark in brackets after the question mark is said about the question, not asked
    assert strip_chatter("Ai ký Kế hoạch 205-KH/TU? (em hỏi để làm báo cáo 3a)").core == "Ai ký Kế hoạch 205-KH/TU?"
    assert strip_chatter("Ai ký (Kế hoạch 205)?").core == "Ai ký (Kế hoạch 205)?"  # brackets inside stay


def test_chatty_question_gets_the_plain_questions_answer(assistant):
    plain = assistant.answer("Huyện ủy yêu cầu báo cáo kết quả chậm nhất ngày nào?")
    chatty = assistant.answer("Alo ad ơi, cho e hỏi Huyện ủy yêu cầu báo cáo kết quả chậm nhất ngày nào vậy ạ, "
                              "sếp e đang hối quá. Em cảm ơn ạ")
    assert not chatty.refused and "01/11" in chatty.answer
    assert chatty.citations[0].chunk_id == plain.citations[0].chunk_id
    assert chatty.confidence >= plain.confidence - 0.05


# --- 4. conversation state ---------------------------------------------------------------------------

def _turn(assistant, question, history=None):
    from rag import Turn

    a = assistant.answer(question, history)
    return Turn(question=question, answer=a.answer, doc_ids=[c.doc_id for c in a.citations],
                chunk_ids=[c.chunk_id for c in a.citations])


def test_follow_up_points_back_at_the_cited_passage(assistant):
    first = _turn(assistant, "ai ký kế hoạch của Sở KHCN Điện Biên")
    follow = assistant.answer("chức vụ của người đó là gì", [first])
    assert not follow.refused and "PHÓ GIÁM ĐỐC" in follow.answer
    assert follow.citations[0].doc_id == "ke-hoach-so-khcn-dien-bien"


def test_follow_up_keeps_the_document_and_the_subject(assistant):
    first = _turn(assistant, "Thị ủy yêu cầu ban hành kế hoạch triển khai trước ngày nào?")
    follow = assistant.answer("thế còn bc kq thì sao", [first])
    assert "tháng 11 hằng năm" in follow.answer and follow.citations[0].doc_id == "huong-dan-ban-tuyen-giao-thi-uy"


def test_a_new_explicit_subject_overrides_the_state(assistant):
    first = _turn(assistant, "Ai ký kế hoạch của Mặt trận thành phố?")
    follow = assistant.answer("Vậy còn Huyện ủy thì ai ký?", [first])
    assert "Ung Văn Tám" in follow.answer and follow.citations[0].doc_id == "ke-hoach-huyen-uy"


@pytest.mark.parametrize("question", ["Giá vàng hôm nay bao nhiêu?", "Thủ đô của Pháp là gì?", "gia vang hom nay bao nhieu"])
def test_off_topic_question_in_a_conversation_is_refused(assistant, question):
    history = ["Thời hạn gửi báo cáo kết quả thực hiện ở Yên Bái?", "Còn ở Sở Khoa học và Công nghệ thì sao?"]
    result = assistant.answer(question, history)  # "hôm nay" and "đô" point back at nothing
    assert result.refused and not result.citations


@pytest.mark.parametrize("question", ["Tác phẩm dày bao nhiêu trang?", "Cuốn sách dày bao nhiêu trang?"])
def test_a_measure_word_the_corpus_never_uses_is_part_of_the_question(assistant, question):
    result = assistant.answer(question)  # "dày" (thick) is nowhere in the documents; "600 trang" is
    assert not result.refused and "600 trang" in result.answer


def test_plain_string_history_still_works(assistant):
    follow = assistant.answer("Còn ở huyện thì sao?", history=["Thời hạn báo cáo kết quả ở Yên Bái là khi nào?"])
    assert "01/11" in follow.answer and follow.citations[0].doc_id == "ke-hoach-huyen-uy"


def test_service_accepts_strings_turns_and_dicts(corpus_index):
    from hoidap.schema import Turn
    from hoidap.service import Service

    service = Service(corpus_index)
    try:
        first = service.ask("ai ký kế hoạch của sở khcn điện biên", channel=None)
        turn = Turn.from_answer("ai ký kế hoạch của sở khcn điện biên", first)
        assert turn.doc_ids == ["ke-hoach-so-khcn-dien-bien"] and turn.chunk_ids
        for history in ([turn], [turn.model_dump()], ["ai ký kế hoạch của sở khcn điện biên"]):
            follow = service.ask("chức vụ của người đó là gì", history, channel=None)
            assert "PHÓ GIÁM ĐỐC" in follow.answer, history
    finally:
        service.close()



def test_a_question_asking_only_a_table_column_continues_with_the_row(assistant):
    """After a row of the appendix was quoted, "Thời hạn hoàn thành ghi là ngày nào?" names no topic of its
    own (a column's name is what is asked): it continues with that row and gives its time cell."""
    history = ["Phụ lục KH 205: ai phụ trách hội nghị BCH?"]
    first = assistant.answer(history[0])
    assert "Ban Chấp hành Đảng bộ thành phố" in first.answer
    result = assistant.answer("Thời hạn hoàn thành ghi là ngày nào?", history)
    assert not result.refused and "Ban Chấp hành Đảng bộ thành phố" in result.answer and "13/4" in result.answer
    partner = assistant.answer("Cơ quan nào phối hợp?", history)
    assert "CƠ QUAN PHỐI HỢP: Văn phòng Thành ủy" in partner.answer

# --- 5. the answering unit ---------------------------------------------------------------------------

def test_office_holder_is_matched_exactly(assistant):
    deputy = assistant.answer("pho chu tich ubnd tp yen bai la ai")
    assert "Tạ Ngọc Hoa" in deputy.answer and "Nguyễn Ngọc Trúc" not in deputy.answer
    chair = assistant.answer("Chủ tịch UBND thành phố Yên Bái là ai?")
    assert "Nguyễn Ngọc Trúc" in chair.answer
    _quoted_parts_are_verbatim(assistant, deputy)


def test_table_cell_of_the_asked_column(assistant):
    result = assistant.answer("trong phụ lục, hội nghị cán bộ chủ chốt xã phường do cơ quan nào chủ trì")
    assert "CƠ QUAN CHỦ TRÌ: Đ/c Bí thư Đảng ủy xã, phường" in result.answer
    assert "LÃNH ĐẠO PHỤ TRÁCH" not in result.answer  # the asked cell, not the whole row
    _quoted_parts_are_verbatim(assistant, result)


def test_numbered_item_is_quoted_not_its_neighbours(assistant):
    result = assistant.answer("bài học kinh nghiệm thứ năm là gì")
    assert "(5) Tăng cường kiểm soát quyền lực" in result.answer
    assert "(4)" not in result.answer and "(6)" not in result.answer
    _quoted_parts_are_verbatim(assistant, result)


@pytest.mark.parametrize("question", ["Ai to chuc thuc hien ke hoach cua So Khoa hoc va Cong nghe Dien Bien",
                                      "đơn vị tổ chức thực hiện kế hoạch Sở KH&CN Điện Biên"])
def test_a_section_passage_leads_by_its_line_not_the_plans_own_name(assistant, question):
    # the closing formula "Trên đây là Kế hoạch … của Sở Khoa học và Công nghệ" shares the section and restates
    # the plan's name; the passage whose line answers ("… tổ chức thực hiện theo nội dung …") is quoted and cited
    result = assistant.answer(question)
    line = "Các chi bộ Đảng, Trưởng các phòng chuyên môn, các đơn vị trực thuộc Sở tổ chức thực hiện"
    assert not result.refused and line in result.answer and line in result.citations[0].passage
    assert not result.answer.startswith("Trên đây")


def test_a_count_is_not_list_numbering(assistant):
    result = assistant.answer("4 không là gì")
    assert all(w in result.answer for w in ("không thể", "không dám", "không muốn", "không cần"))


# --- 6. calibrated confidence -----------------------------------------------------------------------

def test_confidence_model_is_fitted_and_monotone():
    from rag.calibration import FEATURES, FIT, SIGNS, WEIGHTS, probability

    assert set(FEATURES) <= set(WEIGHTS) and "bias" in WEIGHTS
    assert not any("test" in s for s in FIT.get("sets", []))  # fitted on dev data only
    base = dict.fromkeys(FEATURES, 0.0)
    assert probability({**base, "coverage": 0.9}) > probability({**base, "coverage": 0.3})
    unknown = {"unknown_words": 0.8, "unknown_pairs": 0.8, "unknown_adjacent": 0.8}
    assert probability({**base, **unknown}) < probability(base)
    # each piece of evidence pushes the way it must (collinear features are held at 0, never reversed)
    assert all(sign * WEIGHTS[name] >= 0 for name, sign in SIGNS.items())


def test_sign_constrained_fit_holds_a_reversed_feature_at_zero():
    from evals.calibrate import fit

    import random

    # "b" is a noisy copy of "a" and the label goes with a − 0.6·b: unconstrained, b gets a
    # negative weight (trading off against a); constrained to push up, it is held at 0
    rng = random.Random(1)
    rows = [{"a": a, "b": a + rng.gauss(0, 0.3)} for a in (rng.random() for _ in range(400))]
    labels = [int(r["a"] - 0.6 * r["b"] + rng.gauss(0, 0.1) > 0.1) for r in rows]
    free = fit(rows, labels, ["a", "b"])
    held = fit(rows, labels, ["a", "b"], signs={"b": 1})
    assert free["b"] < 0 and held["b"] == 0.0 and held["a"] > 0


def test_fitting_data_leaves_out_questions_answered_document_by_document(corpus_index, tmp_path):
    """A comparison is answered per document (rag.compare): the whole question's single answer, and
    so its confidence, decides nothing, and its features must not teach the model."""
    from evals.calibrate import collect

    lines = [{"id": "a", "question": "Kế hoạch 205 của Thành ủy Yên Bái do ai ký?", "answer_contains": [["Đỗ Văn Nghị"]],
              "evidence": ["Đỗ Văn Nghị"]},
             {"id": "b", "question": "Kế hoạch của Huyện ủy và kế hoạch của MTTQ thành phố lần lượt do ai ký?",
              "answer_contains": [["Ung Văn Tám"], ["Trịnh Quang Huy"]], "evidence": ["Ung Văn Tám"]}]
    both, single = tmp_path / "both.jsonl", tmp_path / "single.jsonl"
    both.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in lines), encoding="utf-8")
    single.write_text(json.dumps(lines[0], ensure_ascii=False), encoding="utf-8")
    rows, labels, answerable = collect(corpus_index, [both])
    assert (rows, labels) == collect(corpus_index, [single])[:2] and labels == [1] and answerable == [True]


# --- 7. near-misses ----------------------------------------------------------------------------------

@pytest.mark.parametrize("question,named", [
    ("Tỉnh ủy Thanh Hóa yêu cầu báo cáo kết quả khi nào?", "Tỉnh ủy Thanh Hóa"),
    ("kh 206 cua thanh uy yen bai ai ky", "ke hoach 206"),
    ("phần thứ tư của tác phẩm tên là gì", "phần thứ tư"),
    ("Sở Tư pháp Điện Biên học tập tác phẩm thế nào", "Sở Tư pháp"),
    ("Huyện ủy Mường Chà bc kq chậm nhất ngày nào", "Huyện ủy Mường Chà"),
    ("ke hoach cua huyen uy muong ang co han bao cao khi nao", "huyen uy muong ang"),
    ("thanh uy vinh to chuc hoi nghi khi nao", "thanh uy vinh"),  # a one-syllable town before "tổ chức"
])
def test_near_miss_is_refused_saying_what_is_missing(assistant, question, named):
    result = assistant.answer(question)
    assert result.refused and not result.citations
    assert fold(named).lower() in fold(result.answer).lower()


def test_office_nobody_in_the_corpus_holds_is_refused(assistant):
    result = assistant.answer("Bí thư Huyện ủy là ai?")
    assert result.refused and "Ung Văn Tám, Phó Bí thư" in result.answer  # says who is there instead
    # "Chỉ" of "Ban Chỉ đạo" is not the "chí" of "đồng chí nào"; the office is named as written
    board = assistant.answer("Theo Hướng dẫn của BTG Thị ủy, ai là Trưởng Ban Chỉ đạo 35 của thị xã?")
    assert board.refused and "không nêu tên người giữ chức Trưởng Ban Chỉ đạo 35" in board.answer


@pytest.mark.parametrize("question,expected", [
    ("Kế hoạch 205-KH/TU của Thành ủy Yên Bái do ai ký?", "Đỗ Văn Nghị"),
    ("Hướng dẫn số 33 của Ban Tuyên giáo Thành ủy ban hành ngày nào?", "25/4/2023"),
    ("Hội nghị 500 đại biểu ở Yên Bái tổ chức khi nào?", "Quý II"),
    # unaccented: "lay noi dung" after "Huyen uy" is "lấy nội dung", not a district's name
    ("Ke hoach cua Huyen uy lay noi dung tai lieu sinh hoat o dau ngoai tac pham?", "phụ lục kèm theo Kế hoạch"),
])
def test_grounded_names_are_not_near_misses(assistant, question, expected):
    result = assistant.answer(question)
    assert not result.refused and expected in result.answer


# --- 8. derived material -----------------------------------------------------------------------------

@pytest.mark.parametrize("question,doc_id", [
    ("Thành ủy Yên Bái yêu cầu các chi, đảng bộ gửi báo cáo vào những thời hạn nào?", "ke-hoach-205-thanh-uy-yen-bai"),
    ("Theo Kế hoạch của Huyện ủy, đợt sinh hoạt chính trị kéo dài đến khi nào?", "ke-hoach-huyen-uy"),
    ("Tác phẩm được kết cấu thành mấy phần và trình bày trong bao nhiêu trang?", None),
])
def test_the_qa_booklet_leads_to_the_primary_passage(assistant, question, doc_id):
    result = assistant.answer(question)
    assert not result.refused
    cited = [c.doc_id for c in result.citations]
    assert "hoi-dap-noi-dung-ke-hoach" not in cited  # the booklet is never quoted
    if doc_id:
        assert cited[0] == doc_id
    _quoted_parts_are_verbatim(assistant, result)


# --- automatic variants ------------------------------------------------------------------------------

def test_variants_are_deterministic_and_keep_the_expectation():
    from evals.dataset import EvalQuestion
    from evals.variants import variants

    q = EvalQuestion(id="x-1", question="Thành ủy Yên Bái yêu cầu báo cáo kết quả thực hiện khi nào?",
                     answer_contains=[["15/6/2023"]], evidence=["15/6/2023"])
    first, again = variants(q), variants(q)
    assert [v.question for _, v in first] == [v.question for _, v in again]
    kinds = dict(first)
    assert set(kinds) == {"no-diacritics", "abbreviations", "typos", "chatty"}
    assert kinds["no-diacritics"].question == "thanh uy yen bai yeu cau bao cao ket qua thuc hien khi nao?"
    assert "TU" in kinds["abbreviations"].question and "bc kq" in kinds["abbreviations"].question
    assert all(v.answer_contains == q.answer_contains for _, v in first)


def test_evidence_matching_ignores_markdown_emphasis():
    """A plan writes "**trước ngày 25/4/2023**"; passages are shown and indexed without the marks, and a
    question set may copy either form."""
    from evals.dataset import EvalQuestion, has_evidence

    q = EvalQuestion(id="x-2", question="?", evidence=["gửi Kế hoạch triển khai **trước ngày 25/4/2023**"])
    assert has_evidence(q, "- gửi Kế hoạch triển khai trước ngày 25/4/2023; gửi báo cáo …")
    assert not has_evidence(q, "gửi Kế hoạch triển khai trước ngày 30/4/2023")


def test_report_needs_no_matplotlib(monkeypatch, tmp_path):
    """`hoidap eval` runs on the default install: without matplotlib the report keeps its tables."""
    import sys

    from evals.report import write_report

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    row = {"questions": 2, "answerable": 2, "unanswerable": 0, "answer_correctness": 1.0, "hit@1": 1.0,
           "false_refusals": 0.0, "correct_refusals": None}
    summary = {"ours": {**row, "latency_p50_ms": 10.0}, "ours_by_tag": {"x": {**row, "hit@5": 1.0}}, "model": "m",
               "index_generation": "g", "failures": [], "refuse_threshold": 0.48, "latencies_ms": [10.0, 12.0],
               "calibration": {"suggested_threshold": 0.5, "refused_unanswerable": 0.0, "false_refusals": 0.0},
               "variants": {"typos": {"n": 2, "original": row, "variant": {**row, "answer_correctness": 0.5}}}}
    write_report(summary, tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| typos | 2 | 1.000 | 0.500 |" in md
    assert "<img" not in (tmp_path / "report.html").read_text(encoding="utf-8")


# --- held-out findings (general mechanisms found on the held-out dev halves) ----------------------

def test_a_document_number_before_a_comma_is_not_a_count(assistant):
    from rag.query import understand

    q = understand("Theo Hướng dẫn 66, báo cáo kết quả gửi về đâu?", index=assistant.index)
    assert not [m for m in q.missing if m.kind == "count"]  # not "66 báo cáo" the corpus never counts


def test_naming_the_derived_booklet_does_not_pull_retrieval_to_it(assistant):
    result = assistant.answer("Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm do cơ quan nào biên soạn, phát hành?")
    assert not result.refused and "Ban Tuyên giáo Trung ương" in result.answer
    assert result.citations[0].doc_id != "hoi-dap-noi-dung-ke-hoach"


def test_the_booklet_asked_about_itself_is_its_own_source(assistant):
    """What the project's Q&A booklet says of itself (who compiled it, from what) only it says:
    named by its title ("Hỏi - Đáp về các kế hoạch …"), it is quoted and cited; named as "Tài
    liệu Hỏi - đáp những nội dung cốt lõi" it is the official booklet the plans hand out."""
    who = assistant.answer("Ai biên soạn tài liệu Hỏi - Đáp về các kế hoạch học tập tác phẩm?")
    assert not who.refused and who.answer.startswith("Tài liệu này do nhóm biên soạn tổng hợp từ năm văn bản")
    assert who.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    count = assistant.answer("tai lieu hoi dap ve cac ke hoach hoc tap tac pham tong hop tu bao nhieu van ban")
    assert not count.refused and "năm văn bản kèm theo" in count.answer
    undated = assistant.answer("Tài liệu Hỏi - Đáp về các kế hoạch học tập tác phẩm do nhóm biên soạn phát hành vào ngày nào?")
    assert undated.refused and "không ghi ngày ban hành" in undated.answer
    # a plan's own fact asked through the booklet is still quoted from the plan
    plan = assistant.answer("Theo tài liệu Hỏi - Đáp về các kế hoạch, Ban Tuyên giáo Thị ủy yêu cầu báo cáo sơ kết khi nào?")
    assert not plan.refused and "10/2025" in plan.answer
    assert {c.doc_id for c in plan.citations} == {"huong-dan-ban-tuyen-giao-thi-uy"}


def test_the_only_document_of_a_kind_is_named_by_its_kind(assistant):
    from rag.query import understand

    guide = understand("Theo hướng dẫn, các cấp ủy phải làm gì?", index=assistant.index)
    assert "huong-dan-ban-tuyen-giao-thi-uy" in guide.docs
    plans = understand("Theo kế hoạch, các cấp ủy phải làm gì?", index=assistant.index)  # four plans: none named
    assert not plans.docs


def test_a_question_that_is_all_frame_continues_the_conversation(assistant):
    from rag.query import understand

    state = assistant.conversation(["Mỗi đảng viên viết bài thu hoạch theo kế hoạch của Huyện ủy"])
    q = understand("nộp cho ai, hạn chót khi nào", index=assistant.index, state=state)  # only "nộp" is topic
    assert q.followup and "ke-hoach-huyen-uy" in q.docs
    alone = understand("Hạn chót nộp bài thu hoạch của Huyện ủy khi nào?", index=assistant.index, state=state)
    assert not alone.followup  # a question with its own topic stands alone


@pytest.mark.parametrize("question,noun", [("Tác phẩm dày bao nhiêu trang?", "trang"), ("có bao nhiêu bức ảnh", "buc"),
                                           ("co bao nhieu dang vien tham gia", "dang"), ("gồm mấy phần", "phan"),
                                           ("tỷ lệ là bao nhiêu", None), ("kéo dài bao lâu", None),
                                           ("bao nhiêu phần trăm", None)])
def test_what_a_count_question_counts(question, noun):
    from rag.query import counted_noun

    assert counted_noun(question) == noun


def test_a_passage_counts_the_noun_or_not():
    from rag.query import counts

    assert counts("trình bày trong 600 trang với 111 bức ảnh", "buc") and counts("kết cấu thành ba phần", "phan")
    assert not counts("Yên Bái, ngày 10/4/2023, trang thông tin điện tử", "trang")


def test_who_questions_weigh_the_verb_they_ask_about(assistant):
    from rag.query import WHO_PREDICATE_WEIGHT, understand

    q = understand("Ai chủ trì tổ chức hội nghị ở Yên Bái?", index=assistant.index)
    assert q.weights["chủ trì"] == WHO_PREDICATE_WEIGHT and q.weights.get("hội nghị", 1.0) == 1.0


def test_issue_date_is_answered_from_the_dated_passage(assistant):
    result = assistant.answer("Kế hoạch 205 ban hành ngày nào?")
    assert not result.refused and "10/4/2023" in result.answer


def test_a_document_without_a_date_says_so(assistant):
    result = assistant.answer("Kế hoạch của Ban Thường vụ Huyện ủy được ban hành ngày nào?")
    assert result.refused and not result.citations and "không ghi ngày ban hành" in result.answer
    cited = assistant.answer("Kế hoạch 143-KH/TU của Tỉnh ủy ban hành ngày nào?")  # a plan it cites, with its date
    assert not cited.refused and "31/3/2023" in cited.answer


def test_a_document_known_only_from_a_citation_is_not_in_the_corpus(assistant):
    result = assistant.answer("Kế hoạch 143-KH/TU của Tỉnh ủy yêu cầu những gì?")  # cited by the Huyện ủy plan
    assert result.refused and not result.citations
    assert "143-KH/TU" in result.answer and "chỉ được nhắc đến trong" in result.answer and "Huyện ủy" in result.answer
    own = assistant.answer("Thực hiện Kế hoạch 143-KH/TU, Huyện ủy yêu cầu các chi bộ làm gì?")  # the citing plan's own words
    assert "chỉ được nhắc đến" not in own.answer
    # named with the citing plan's place too ("… của Tỉnh ủy Yên Bái"), and asked a date it sets:
    # the number names the cited plan; its issue date, which the citing line gives, stays answerable
    dated = assistant.answer("Kế hoạch 126-KH/TU của Tỉnh ủy Yên Bái yêu cầu tổ chức hội nghị vào ngày nào?")
    assert dated.refused and "126-KH/TU" in dated.answer and "chỉ được nhắc đến trong" in dated.answer
    issued = assistant.answer("Kế hoạch 126-KH/TU của Tỉnh ủy Yên Bái ban hành ngày nào?")
    assert not issued.refused and "04/4/2023" in issued.answer
    # "giao" of "Tuyên giáo" is not "giao" (assign): still a question of the issue date
    board = assistant.answer("Hướng dẫn số 66-HD/BTGTU của Ban Tuyên giáo Tỉnh ủy có ngày ban hành là ngày nào?")
    assert not board.refused and "14/4/2023" in board.answer
    topic = assistant.answer("Kế hoạch 126-KH/TU của Tỉnh ủy Yên Bái về giáo dục chính trị tư tưởng ban hành ngày nào?")
    assert not topic.refused and "04/4/2023" in topic.answer


@pytest.mark.parametrize("question,points", [
    ("người đó giữ chức vụ gì", "passage"), ("nguoi do giu chuc vu gi", "passage"),
    ("người do giữ chức vụ gì", "passage"),  # "do" left unaccented in a restored question
    ("văn bản ấy có hiệu lực đến bao giờ", "document"),
    ("Giá vàng hôm nay bao nhiêu?", None),  # a time, not a reference
    ("Thủ đô của Pháp là gì?", None),  # "đô" is not "đó"
    ("kế hoạch do ai ký", None), ("ke hoach do ai ky", None),  # "do ai": by whom
    ("lanh dao nao phu trach viec do", "passage"),  # "do" closing the question is "đó", whatever the noun
    ("viec do ban tuyen giao thuc hien la gi", None),  # … and before an agent it is "by"
])
def test_what_a_question_points_back_at(question, points):
    from rag.conversation import reference

    assert reference(question) == points


def test_a_question_about_two_named_documents_is_answered_for_each(assistant):
    """Asked of two plans at once, each plan is asked on its own and the answer has a part per
    plan, each quoting that plan (one pass mixed them and was refused)."""
    result = assistant.answer("So sánh thời hạn ban hành kế hoạch triển khai của Yên Bái và của Thị ủy?")
    assert not result.refused
    assert {c.doc_id for c in result.citations} == {"ke-hoach-205-thanh-uy-yen-bai", "huong-dan-ban-tuyen-giao-thi-uy"}
    parts = result.answer.split("• ")[1:]
    assert len(parts) == 2 and "10/5/2023" in result.answer
    for part in parts:  # every part cites its own plan's passage
        markers = {int(m) for m in re.findall(r"\[(\d+)\]", part)}
        titles = {c.title.split(":", 1)[0] for c in result.citations if c.marker in markers}
        assert titles == {part.split(":", 1)[0]}
    _quoted_parts_are_verbatim(assistant, result)
    signers = assistant.answer("Người ký kế hoạch của Huyện ủy và của Sở KH&CN Điện Biên là ai?")
    assert "Ung Văn Tám" in signers.answer and "Vũ Xuân Linh" in signers.answer
    # "Cả A và B đều …" asks the same of both
    both = assistant.answer("Cả kế hoạch của Sở KH&CN Điện Biên và Hướng dẫn của Ban Tuyên giáo Thị ủy đều yêu cầu gắn "
                            "đợt sinh hoạt với Kết luận nào của Ban Chấp hành Trung ương?")
    assert not both.refused and len(both.answer.split("• ")) == 3
    assert {c.doc_id for c in both.citations} == {"ke-hoach-so-khcn-dien-bien", "huong-dan-ban-tuyen-giao-thi-uy"}
    from rag.compare import _BOTH

    assert not _BOTH.search("Tất cả các chi bộ của Huyện ủy và Sở KH&CN Điện Biên đều phải làm gì?")
    assert both.answer.count("Kết luận số 21-KL/TW ngày 25/10/2021") == 2
    # "thời điểm báo cáo" asks for a date: the Huyện ủy part quotes its deadline
    when = assistant.answer("Kế hoạch của Huyện ủy và Hướng dẫn của Ban Tuyên giáo Thị ủy quy định thời điểm báo cáo "
                            "kết quả hằng năm khác nhau thế nào?")
    assert "chậm nhất vào ngày 01/11 hàng năm" in when.answer and "tháng 11 hằng năm" in when.answer


def test_one_name_made_of_two_documents_names_is_not_a_comparison(assistant):
    """"Huyện ủy Điện Biên Đông" holds one plan's issuer and another's place: one body the corpus
    has no plan of, refused, not answered from each plan."""
    from rag.compare import _named_apart

    assert not _named_apart("Huyện ủy Điện Biên Đông yêu cầu báo cáo khi nào",
                            {"ke-hoach-huyen-uy": ["huyen uy"], "ke-hoach-so-khcn-dien-bien": ["dien bien"]})
    assert _named_apart("báo cáo ở Huyện ủy và ở Điện Biên khi nào",
                        {"ke-hoach-huyen-uy": ["huyen uy"], "ke-hoach-so-khcn-dien-bien": ["dien bien"]})
    assert assistant.answer("Huyện ủy Điện Biên Đông yêu cầu báo cáo khi nào").refused
    # a refusal about two documents stands when a document's half is not answered either
    assert assistant.answer("Huyện ủy và Sở KH&CN có bao nhiêu đảng viên?").refused


def test_an_unsure_answer_about_two_documents_is_asked_of_each(assistant):
    """Each plan holds half of the answer, so no one passage covers the question and the single answer is
    unsure: asked of each document, each part answers from its own plan."""
    result = assistant.answer("Kế hoạch 205 của Thành ủy Yên Bái và kế hoạch của Huyện ủy: mỗi bên giao ban nào làm "
                              "đầu mối nhận báo cáo kết quả của cơ sở?")
    assert not result.refused
    assert {c.doc_id for c in result.citations} == {"ke-hoach-205-thanh-uy-yen-bai", "ke-hoach-huyen-uy"}
    assert "qua Ban Tuyên giáo Thành ủy" in result.answer and "Ban Tuyên giáo Huyện ủy" in result.answer


@pytest.mark.parametrize("history", [
    ["Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm do ai biên soạn?"],  # a plain-text turn
    None,  # the turn as the interfaces keep it, with its answer and citations (filled in below)
])
def test_besides_what_was_said_asks_for_the_next_item(assistant, history):
    """"Ngoài tài liệu đó, … còn … nào?": another item of the list the last answer quoted, not
    the same one again."""
    first_q = "Tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm do ai biên soạn?"
    first = assistant.answer(first_q)
    assert "Ban Nội chính Trung ương" in first.answer
    if history is None:
        from hoidap.schema import Turn

        history = [Turn.from_answer(first_q, first.to_schema())]
    result = assistant.answer("Ngoài tài liệu đó, Yên Bái còn dùng tài liệu nào?", history)
    assert "Bản tin Thông báo nội bộ" in result.answer and "Ban Nội chính" not in result.answer
    _quoted_parts_are_verbatim(assistant, result)
    from rag.conversation import asks_besides

    assert asks_besides("ngoai tai lieu do con tai lieu nao") and asks_besides("Còn việc gì khác không?")
    assert not asks_besides("Tài liệu nào được dùng?")


@pytest.mark.parametrize("question", ["Phụ lục số 01 kèm theo Kế hoạch 205-KH/TU có tên là gì?",
                                      "phu luc 01 cua ke hoach 205 ten la gi"])
def test_a_section_name_is_answered_with_its_heading_line(assistant, question):
    """The name of a section is its heading line, which passages keep in their heading path: the
    answer quotes that line and the citation's passage starts with it."""
    result = assistant.answer(question)
    title = "Phụ lục số 01: PHÂN CÔNG NHIỆM VỤ CHỈ ĐẠO, TỔ CHỨC THỰC HIỆN KẾ HOẠCH"
    assert not result.refused and result.answer.startswith(title)
    cited = result.citations[0]
    assert cited.passage.startswith(title) and "(kèm theo Kế hoạch số 205" in cited.passage
    _quoted_parts_are_verbatim(assistant, result)
    # a name a line of the passage gives is quoted from the passage, not from a heading above it
    part = assistant.answer("Phần thứ hai của tác phẩm có tên là gì?")
    assert "Nhất quán phương châm" in part.answer and not part.answer.startswith("1.1.")


def test_an_item_is_quoted_with_its_detail_lines(assistant):
    """"Thời gian thực hiện: …" under a "- item" belongs to that item: asked when, the answer
    quotes the item with its own detail line, not the neighbouring item's."""
    result = assistant.answer("Thành phố Yên Bái tuyên truyền về Tọa đàm khoa học do tỉnh tổ chức vào thời gian nào?")
    assert "Cuối tháng 4/2023" in result.answer and "Thời gian thực hiện: Tháng 4/2023" not in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_a_list_question_about_a_list_section_gets_every_item(assistant):
    """The passage under "4. Tài liệu sinh hoạt, tuyên truyền" is the list asked for: every item,
    in order, one per line."""
    result = assistant.answer("Kế hoạch 205 dùng những tài liệu nào để sinh hoạt, tuyên truyền?")
    lines = [line for line in result.answer.split("\n") if line.startswith("- ")]
    assert len(lines) == 3 and "Tác phẩm" in lines[0] and "Hỏi - Đáp" in lines[1] and "Bản tin Thông báo nội bộ" in lines[2]
    _quoted_parts_are_verbatim(assistant, result)


def test_a_row_question_asking_two_columns_gets_both(assistant):
    """"Ai chủ trì … và lãnh đạo nào phụ trách?": both cells of the row, a question word inside a
    column's name ("lãnh đạo nào phụ trách") included."""
    from rag.grounding import asked_columns

    columns = {"lanh dao phu trach": "LÃNH ĐẠO PHỤ TRÁCH", "chu tri": "CƠ QUAN CHỦ TRÌ", "phoi hop": "CƠ QUAN PHỐI HỢP"}
    assert asked_columns("ai chu tri viec do va lanh dao nao phu trach", columns) == ["CƠ QUAN CHỦ TRÌ", "LÃNH ĐẠO PHỤ TRÁCH"]
    result = assistant.answer("Trong phụ lục Kế hoạch 205, ai chủ trì tuyên truyền trên Trang thông tin điện tử thành phố "
                              "và lãnh đạo nào phụ trách?")
    assert "Phan Thế Ngọc" in result.answer and "Nguyễn Ngọc Trúc" in result.answer
    assert "LÃNH ĐẠO PHỤ TRÁCH" in result.answer and "CƠ QUAN CHỦ TRÌ" in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_asked_for_a_document_number_the_named_documents_own_is_no_answer(assistant):
    """"Kế hoạch 205 … thực hiện kế hoạch số mấy?" asks for another plan's number: the line that
    only repeats 205 ("(kèm theo Kế hoạch số 205 …)") is not the answer, the one citing 126 is."""
    result = assistant.answer("Kế hoạch 205 được xây dựng để thực hiện kế hoạch số mấy của Tỉnh ủy?")
    assert "126-KH/TU" in result.answer and "(kèm theo" not in result.answer


def test_a_footnote_answers_with_the_words_it_annotates(assistant):
    """"xây dựng, hoàn thiện thể chế²" → "² Đảng đã ban hành 250 văn bản …": asked about the
    annotated words, the footnote answers (its heading carries them), in a follow-up too."""
    history = ["Trong 10 năm qua có bao nhiêu cán bộ diện Trung ương quản lý bị xử lý hình sự?"]
    result = assistant.answer("Còn về xây dựng, hoàn thiện thể chế thì đã ban hành bao nhiêu văn bản?", history)
    assert "250 văn bản" in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_a_line_repeating_the_named_plans_number_does_not_answer_for_it(assistant):
    """"Thời hạn gửi kế hoạch triển khai theo Kế hoạch 205": the appendix's "(kèm theo Kế hoạch số
    205 … ngày 10/4/2023 …)" has the number and a date but says nothing about the deadline."""
    result = assistant.answer("Thời hạn gửi kế hoạch triển khai theo Kế hoạch 205 của Thành ủy Yên Bái là khi nào?")
    assert "25/4/2023" in result.answer and "(kèm theo" not in result.answer


def test_the_passage_view_marks_a_quoted_heading_line(corpus_index):
    """The web page shows a citation through Service.passage: a section-name answer's highlight
    (the heading line above the passage) is inside what it shows, and marked."""
    from hoidap.service import Service

    service = Service(corpus_index)
    try:
        answer = service.ask("Phụ lục số 01 kèm theo Kế hoạch 205-KH/TU có tên là gì?")
        cited = answer.citations[0]
        view = service.passage(cited.chunk_id, cited.highlights)
        marked = "".join(text for text, on in view.segments if on)
        assert marked.startswith("Phụ lục số 01: PHÂN CÔNG NHIỆM VỤ CHỈ ĐẠO")
    finally:
        service.close()


def test_besides_everything_the_passage_says_is_not_answered_with_it_again(assistant):
    """Every item of the list was given: "ngoài những tài liệu đó" is not answered by repeating one."""
    from hoidap.schema import Turn

    first_q = "Kế hoạch 205 của Thành ủy Yên Bái sử dụng những tài liệu nào để sinh hoạt, tuyên truyền?"
    first = assistant.answer(first_q)
    assert "Bản tin Thông báo nội bộ" in first.answer and "Hỏi - Đáp" in first.answer
    result = assistant.answer("Ngoài những tài liệu đó, còn tài liệu nào khác?", [Turn.from_answer(first_q, first.to_schema())])
    assert result.refused or ("Bản tin Thông báo nội bộ" not in result.answer and "Tài liệu Hỏi - Đáp" not in result.answer)
    from rag.conversation import excludes_all_said

    # "Ngoài tuyên truyền, …" names a topic of its own: another part of a passage quoted whole may answer it
    assert excludes_all_said("Ngoài những tài liệu đó, còn tài liệu nào khác?")
    assert not excludes_all_said("Ngoài tuyên truyền, các đơn vị ấy còn phải làm gì đối với thông tin sai trái?")


# --- the document's own structure: numbered sections, bodies named by sub-headings, signers ---------

@pytest.mark.parametrize("question, title", [
    ("Mục VI trong hướng dẫn của Ban Tuyên giáo Thị ủy có tiêu đề là gì?", "VI. TÀI LIỆU SINH HOẠT"),
    ("muc II ke hoach cua so khcn dien bien ten day du la gi", "II. NỘI DUNG, ĐỐI TƯỢNG, HÌNH THỨC, THỜI GIAN HỌC TẬP, QUÁN TRIỆT"),
])
def test_a_numbered_section_is_named_by_its_heading_line(assistant, question, title):
    """Section numbers are not topic words (coverage leaves numbering out), so "Mục VI" is found
    through the heading paths: the answer is that section's heading line, cited from it."""
    result = assistant.answer(question)
    assert not result.refused and result.answer.startswith(title) and result.confidence >= 0.9
    assert result.citations[0].passage.startswith(title)
    _quoted_parts_are_verbatim(assistant, result)


def test_a_numbered_sections_outline_lists_its_sub_headings(assistant):
    result = assistant.answer("Mục III trong kế hoạch của Ban Thường trực MTTQ thành phố gồm những nội dung nào?")
    lines = result.answer.split("\n")
    assert lines[0] == "III. HÌNH THỨC VÀ THỜI GIAN THỰC HIỆN"
    assert lines[1] == "1. Tổ chức hội nghị học tập tác phẩm" and lines[2].startswith("2. Tài liệu sinh hoạt")
    assert lines[3].startswith("3. Thời gian thực hiện") and len(lines) == 4
    assert "IV. TỔ CHỨC THỰC HIỆN" not in result.citations[0].passage  # the section, not the next one
    _quoted_parts_are_verbatim(assistant, result)


@pytest.mark.parametrize("question", ["Kế hoạch 205 gồm mấy phần?", "KH 205 gom may phan",
                                      "Kế hoạch 205 về học tập tác phẩm được chia thành những phần lớn nào?"])
def test_a_documents_outline_is_its_top_level_headings(assistant, question):
    """Asked what parts a plan has, the answer lists its Roman-numbered heading lines in order, each
    cited from its section, then its appendix (whose own Roman sections are not the plan's)."""
    result = assistant.answer(question)
    lines = result.answer.split("\n")
    assert not result.refused and "gồm 4 phần" in lines[0]
    assert lines[1:5] == ["I. MỤC ĐÍCH, YÊU CẦU [1]", "II. NỘI DUNG SINH HOẠT [2]", "III. HÌNH THỨC, THỜI GIAN [3]",
                          "IV. TỔ CHỨC THỰC HIỆN [4]"]
    assert lines[5].startswith("Kèm theo: Phụ lục số 01") and len(lines) == 6
    assert [c.doc_id for c in result.citations] == ["ke-hoach-205-thanh-uy-yen-bai"] * 5
    assert result.citations[1].heading.startswith("II. NỘI DUNG SINH HOẠT")
    _quoted_parts_are_verbatim(assistant, result)


def test_a_followup_asks_the_outline_of_the_document_in_the_conversation(assistant):
    result = assistant.answer("Kế hoạch đó gồm mấy phần?", ["Kế hoạch của Sở KH&CN Điện Biên do ai ký?"])
    assert result.answer.split("\n")[1:] == ["I. MỤC ĐÍCH, YÊU CẦU [1]", "II. NỘI DUNG, ĐỐI TƯỢNG, HÌNH THỨC, THỜI "
                                             "GIAN HỌC TẬP, QUÁN TRIỆT [2]", "III. TỔ CHỨC THỰC HIỆN [3]"]


@pytest.mark.parametrize("question", ["Theo kế hoạch 205, tác phẩm gồm mấy phần?",
                                      "Kế hoạch của Huyện ủy có những phần việc nào?",
                                      "Mục II của kế hoạch 205 gồm những phần nào?"])
def test_the_books_parts_tasks_and_a_sections_outline_are_no_document_outline(assistant, question):
    assert "I. MỤC ĐÍCH, YÊU CẦU [1]" not in assistant.answer(question).answer


def test_a_named_section_asked_what_it_holds_is_its_outline(assistant):
    result = assistant.answer("Mục III KH MTTQ TP gồm gì?")
    lines = result.answer.split("\n")
    assert not result.refused and lines[0] == "III. HÌNH THỨC VÀ THỜI GIAN THỰC HIỆN" and len(lines) == 4


def test_an_appendixs_number_is_no_count(assistant):
    """"Phụ lục 01 KH 205": 01 numbers the appendix; it counts no "kế hoạch" the corpus lacks."""
    result = assistant.answer("Phụ lục 01 KH 205, hạng mục sáng tác và biểu diễn nghệ thuật: lãnh đạo nào phụ trách, "
                              "cơ quan nào chủ trì?")
    assert not result.refused and "Tạ Ngọc Hoa" in result.answer
    counted = assistant.answer("Hội nghị có 1000 đại biểu tham dự do ai chủ trì?")
    # a count the corpus never gives is named as typed, before what the documents write (their 500 đại biểu)
    assert counted.answer.startswith("Lưu ý: tài liệu không nói đến 1000 đại biểu") and "500 đại biểu" in counted.answer


def test_a_section_the_named_document_lacks_is_refused_by_name(assistant):
    result = assistant.answer("Mục IX của Kế hoạch 205 có tên là gì?")
    assert result.refused and "không có mục IX" in result.answer


def test_a_task_listed_under_a_bodys_sub_heading_is_answered_with_that_body(assistant):
    """Plans list each body's tasks under a sub-heading naming it ("5. Trung tâm Truyền thông và
    Văn hóa thành phố"), and the task's text never names it again: asked who does the task, the
    answer quotes the sub-heading line first, and the citation starts at it."""
    result = assistant.answer("Ở Yên Bái, đơn vị nào được giao xây dựng phóng sự, tin bài tuyên truyền về tác phẩm trên chuyên trang, chuyên mục?")
    assert result.answer.startswith("5. Trung tâm Truyền thông và Văn hóa thành phố:")
    assert result.citations[0].passage.startswith("5. Trung tâm Truyền thông và Văn hóa thành phố")
    _quoted_parts_are_verbatim(assistant, result)
    # a heading that names no body is not put in front of the answer
    plain = assistant.answer("Phần thứ hai của tác phẩm có tên là gì?")
    assert not plain.answer.startswith("1.1.")


def test_asked_who_signed_a_document_named_by_its_title_the_signature_block_answers(assistant):
    """The question restates the document's title, which its opening passage covers best: the
    title's words only say which document it is, and the signature block answers."""
    result = assistant.answer("Hướng dẫn triển khai đợt sinh hoạt chính trị của Ban Tuyên giáo Thị ủy do ai ký?")
    assert not result.refused and "Nguyễn Xuân Chiến" in result.answer
    assert result.citations[0].heading.startswith("Chữ ký")
    # the signature block shares no words with the question, so the dense search does not return it:
    # its similarity is taken as below the last passage it did return (not 0, which sank the confidence)
    chatty = assistant.answer("Cho mình hỏi hướng dẫn triển khai đợt sinh hoạt chính trị về tác phẩm chống tham nhũng "
                              "của Ban Tuyên giáo Thị ủy do ai ký vậy?")
    assert not chatty.refused and "Nguyễn Xuân Chiến" in chatty.answer
    assert 0.5 < chatty.retrieved[0].dense < 1.0


def test_the_issue_date_of_a_document_a_plan_cites_is_not_the_plans_own(assistant):
    """The Huyện ủy plan carries no date, but asked about a plan it cites ("… được nhắc tới trong
    kế hoạch …", or named by a quoted theme), the cited plan's date in its text answers."""
    result = assistant.answer("Kế hoạch về sinh hoạt chính trị chủ đề “Giữ trọn lời thề đảng viên” của Huyện ủy "
                              "ban hành ngày nào?")
    assert not result.refused and "02/02/2023" in result.answer
    own = assistant.answer("Kế hoạch của Ban Thường vụ Huyện ủy ban hành ngày nào?")
    assert own.refused and "không ghi ngày ban hành" in own.answer
    # asked which plan it implements and that plan's date: the implemented plan's date answers
    basis = assistant.answer("Kế hoạch của Ban Thường trực Ủy ban MTTQ thành phố được xây dựng để thực hiện kế hoạch "
                             "nào của MTTQ tỉnh, ban hành ngày nào?")
    assert not basis.refused and "600/KH-MTTQ-BTT ngày 28/4/2023" in basis.answer
    undated = assistant.answer("Kế hoạch của MTTQ thành phố ban hành ngày nào?")
    assert undated.refused and "không ghi ngày ban hành" in undated.answer
    # "để thực hiện tác phẩm" says what for, not which document: still the plan's own (missing) date
    purpose = assistant.answer("Kế hoạch của Ban Thường vụ Huyện ủy để thực hiện tác phẩm được ban hành ngày nào?")
    assert purpose.refused and "không ghi ngày ban hành" in purpose.answer
    # a plan dated by its month only, asked which month
    month = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên về học tập tác phẩm được ban hành vào tháng nào?")
    assert not month.refused and month.answer.startswith("Điện Biên, ngày tháng 4 năm 2023")


def test_common_words_typed_without_diacritics_are_restored_when_the_corpus_pairs_them(lex):
    """"bao" is an everyday word ("bao nhiêu") and also "báo" of "báo cáo": pairs decide."""
    assert lex.correct("gui bao cao vao nhung thoi han nao").startswith("gửi báo cáo")
    assert lex.correct("bao nhieu van ban") == "bao nhiêu văn bản"


def test_asked_what_a_plan_implements_its_preamble_answers(assistant):
    """"… được xây dựng để thực hiện văn bản nào?" asks for the plan's basis, which its preamble
    names ("Thực hiện công văn số 1065/UBND-NC …"); "gắn với việc thực hiện Kế hoạch số mấy" is
    another matter (a task of the plan), not its basis."""
    basis = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên được xây dựng để thực hiện văn bản nào?")
    assert not basis.refused and basis.answer.startswith("Thực hiện công văn số 1065/UBND-NC")  # not the title before it
    assert basis.citations[0].heading == "Mở đầu"
    from rag.extract import units

    joined = "Triển khai đợt sinh hoạt chính trị " * 16 + "Nguyễn Phú Trọng Thực hiện Hướng dẫn số 66-HD/BTGTU, ngày 14/4/2023"
    assert units(joined)[-1].startswith("Thực hiện Hướng dẫn số 66")  # the chunker joined them; quoting does not
    from rag.query import asks_basis

    assert asks_basis("Hướng dẫn của Thị ủy căn cứ vào những văn bản nào?") and not asks_basis(
        "Kế hoạch 205 gắn với việc thực hiện Kế hoạch số mấy của Ban Thường vụ Thành ủy?")
    assert not asks_basis("Nội dung tác phẩm được đưa vào tài liệu nào?")  # "đưa vào", not "dựa vào"
    task = assistant.answer("Kế hoạch 205 gắn với việc thực hiện Kế hoạch số mấy của Ban Thường vụ Thành ủy?")
    assert "110-KH/TU" in task.answer


def test_the_issuer_named_after_the_kind_of_document_only_says_which_document(assistant):
    """"… theo hướng dẫn của Ban Tuyên giáo Thị ủy": the issuer's name identifies the guide, so its
    own sub-section ("1. Ban Tuyên giáo Thị ủy") gains nothing from it; asked of the body itself,
    that sub-section answers."""
    result = assistant.answer("Đối tượng tham gia đợt sinh hoạt chính trị theo hướng dẫn của Ban Tuyên giáo Thị ủy gồm những ai?")
    assert not result.refused and result.citations[0].heading == "III. ĐỐI TƯỢNG"
    assert "Cán bộ, đảng viên, công chức, viên chức" in result.answer
    body = assistant.answer("Ban Tuyên giáo Thị ủy có nhiệm vụ gì?")
    assert body.citations[0].heading.endswith("1. Ban Tuyên giáo Thị ủy")


def test_asked_before_which_date_a_deadline_answers_not_any_date(assistant):
    """"… ban hành kế hoạch triển khai trước ngày nào?": the passage giving a deadline ("ban hành
    trước ngày 10/5/2023"), not the body's own section, which only dates a cited conclusion."""
    result = assistant.answer("Theo hướng dẫn của Thị ủy, các đảng bộ, chi bộ phải ban hành kế hoạch triển khai trước ngày nào?")
    assert not result.refused and "10/5/2023" in result.answer
    both = assistant.answer("So sánh thời hạn ban hành kế hoạch triển khai của Yên Bái và của Thị ủy?")
    assert "25/4/2023" in both.answer and "10/5/2023" in both.answer  # each plan's own deadline
    until = assistant.answer("Theo kế hoạch của Huyện ủy, đợt sinh hoạt chính trị được tổ chức đến bao giờ?")
    assert "tháng 11/2025" in until.answer  # "đến bao giờ": the passage saying until when
    from rag.retrieve import DEADLINE

    assert DEADLINE.search("báo cáo kết quả thực hiện chậm nhất vào ngày 01/11 hàng năm")
    assert not DEADLINE.search("theo Kết luận số 21-KL/TW ngày 25/10/2021 của Ban Chấp hành Trung ương")


def test_asked_all_of_a_bodys_tasks_its_whole_part_is_quoted_in_order(assistant):
    """"X phải làm những gì?": X's part of the plan runs over two passages; the answer quotes its
    tasks from the first, in order. A question about one of X's tasks still gets that one."""
    result = assistant.answer("Trung tâm Truyền thông và Văn hóa thành phố Yên Bái phải làm những gì?")
    assert result.answer.startswith("Tăng cường tuyên truyền trên chuyên trang")
    assert result.answer.index("Tổ chức hoạt động sáng tác") < result.answer.index("Khuyến khích phóng viên")
    assert len(result.citations) == 2 and result.citations[0].span[0] < result.citations[1].span[0]
    _quoted_parts_are_verbatim(assistant, result)
    front = assistant.answer("Theo hướng dẫn, UB Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội cấp thị có nhiệm vụ gì?")
    assert "bồi đắp lý tưởng" in front.answer and "thế hệ trẻ" in front.answer  # "Theo hướng dẫn" is not the body
    from rag.query import asks_all_tasks

    assert not asks_all_tasks("ban tuyen giao thi uy duoc giao tham muu thuc hien nhung noi dung nao?")


def test_section_numbers_are_read_only_where_a_section_is_named():
    """"mức vi phạm", "một phần vì", "phần lí luận" name no section (Roman numerals count in
    capitals, and with diacritics typed "mục" must be "mục"); "Phụ lục I" is "Phụ lục số 01"; a
    heading numbered "I)" is a section heading too."""
    from rag.sections import SectionRef, asked_section, locate

    assert asked_section("Kế hoạch 205 quy định mức vi phạm nào thì bị xử lý?") is None
    assert asked_section("một phần vì sao") is None and asked_section("phần lí luận") is None
    assert asked_section("muc VI cua huong dan ten gi") == SectionRef("VI", False)
    assert asked_section("Mục 2.1 của kế hoạch nói gì?") == SectionRef("2.1", False)
    assert asked_section("mục 2 nói gì") is None  # every section numbers its parts from 1
    assert SectionRef("I", True).heads("Phụ lục số 01: PHÂN CÔNG NHIỆM VỤ")
    sec = locate("I) A\n1) b\n2) c\nII) D\n1) e", SectionRef("I", False))
    assert sec is not None and len(sec.children) == 2


def test_outlines_titles_and_bodies_hold_on_the_corpus(assistant):
    outline = assistant.answer("Mục II của Kế hoạch 205 gồm những nội dung nào?")
    assert "1. Những nội dung cốt lõi" in outline.answer and "2. Giá trị của tác phẩm" in outline.answer
    _quoted_parts_are_verbatim(assistant, outline)
    annex = assistant.answer("Phụ lục I của Kế hoạch 205 có tên là gì?")
    assert annex.answer.startswith("Phụ lục số 01: PHÂN CÔNG NHIỆM VỤ")
    # "1. Tổ chức hội nghị học tập tác phẩm" names a task, not a body
    who = assistant.answer("Ai tham dự hội nghị học tập tác phẩm của Mặt trận thành phố?")
    assert not who.answer.startswith("1. Tổ chức hội nghị")
    # a quoted phrase of the named plan's own title (commas lost in normalising) is still its own
    own = assistant.answer("Kế hoạch của Huyện ủy về tác phẩm “Kiên quyết, kiên trì” ban hành ngày nào?")
    assert own.refused and "không ghi ngày ban hành" in own.answer
    from rag.query import asks_all_tasks, asks_basis

    assert asks_all_tasks("trong ke hoach nay, ban tuyen giao thi uy co nhiem vu gi?")
    assert not asks_basis("Việc đánh giá căn cứ tiêu chí nào?")


def test_a_part_of_the_book_asked_by_its_number_is_its_ordinal_name(assistant, lex):
    """"Phần II", "phan 3" of the book are its "Phần thứ hai", "Phần thứ ba" (the corpus names the
    parts so); with a plan named, "Phần II" stays that plan's section II."""
    assert lex.ordinal_spelled("Phần II của tác phẩm") == "Phần thứ hai của tác phẩm"
    assert lex.ordinal_spelled("phần 7 của tác phẩm") == "phần 7 của tác phẩm"  # the corpus has no "phần thứ bảy"
    # "phần hai" spelled out without "thứ"; "một phần ba" is a third
    assert lex.ordinal_spelled("được nêu trong phần hai") == "được nêu trong phần thứ hai"
    assert lex.ordinal_spelled("một phần ba số đảng viên") == "một phần ba số đảng viên"
    third = assistant.answer("phan 3 cua tac pham ten la gi")
    assert "Trên dưới đồng lòng, dọc ngang thông suốt" in third.answer
    plan = assistant.answer("Phần II của kế hoạch 205 có tên là gì?")
    assert plan.answer.startswith("II. NỘI DUNG SINH HOẠT")


def test_where_a_document_is_sent_is_its_recipients_block(assistant):
    """"Nơi nhận" never says "gửi", and its "(b/c)" is "báo cáo": a question about where a plan is
    sent is answered with the whole block, in order; a report question is not drawn to it."""
    sent = assistant.answer("Kế hoạch của MTTQ thành phố được gửi để báo cáo (b/c) tới những cơ quan nào của Thành ủy?")
    assert not sent.refused and sent.citations[0].heading == "Nơi nhận"
    assert sent.answer.startswith("- Ban Thường trực UB MTTQ (b/c); - Thường trực Thành uỷ (b/c); - Ban Tuyên giáo, Ban Dân vận")
    whole = assistant.answer("Kế hoạch 205 được gửi tới những cơ quan nào?")
    assert "Ban Tuyên giáo Tỉnh ủy (để b/c)" in whole.answer and "Lưu VT/BTGTU" in whole.answer
    report = assistant.answer("Theo Kế hoạch 205, báo cáo kết quả gửi về Ban Tuyên giáo Thành ủy trước ngày nào?")
    assert not report.refused and report.citations[0].heading != "Nơi nhận"
    from rag.query import asks_recipients

    assert asks_recipients("Hướng dẫn này gửi cho những đơn vị nào?") and asks_recipients("nơi nhận của kế hoạch gồm ai")
    assert not asks_recipients("Báo cáo gửi về Ban Tuyên giáo trước ngày nào?")
    assert not asks_recipients("Kế hoạch của MTTQ thành phố yêu cầu gửi báo cáo về đơn vị nào?")
    # the plan itself "được gửi báo cáo" (sent for reporting) to some boards: its recipients
    assert asks_recipients("Kế hoạch của Mặt trận được gửi báo cáo tới những ban nào?")


def test_a_price_is_answered_only_by_an_amount_of_money(assistant):
    """"giá bao nhiêu tiền": a passage about buying the book gives no amount, so it is refused."""
    from rag.query import MONEY, counted_noun, counts

    price = assistant.answer("Theo Hướng dẫn của Ban Tuyên giáo Thị ủy, mỗi cuốn sách mua để cấp phát cho các chi bộ "
                             "có giá bao nhiêu tiền?")
    assert price.refused and not price.citations
    assert counted_noun("cuon sach gia bao nhieu") == MONEY and counted_noun("kinh phí tổ chức hội nghị là bao nhiêu?") == MONEY
    assert counted_noun("Hội nghị có bao nhiêu đại biểu?") == "dai bieu"
    assert counts("Giá bìa 150.000 đồng/cuốn", MONEY) and counts("hỗ trợ 2 triệu đồng", MONEY) and counts("150.000đ", MONEY)
    assert not counts("(500 đại biểu)", MONEY) and not counts("ngày 10/4/2023", MONEY)
    # "15 đồng chí", "3 dòng" and "2 triệu người" are no amounts; "tham gia", "giá trị" ask no price
    assert not any(counts(t, MONEY) for t in ("15 đồng chí", "01 đ/c", "3 dòng", "2 triệu người"))
    assert counted_noun("Số người tham gia hội nghị là bao nhiêu?") is None
    assert counted_noun("Hội nghị có quy mô tham gia là bao nhiêu người?") == "nguoi"
    assert counted_noun("Giá trị tác phẩm gồm mấy nội dung?") != MONEY


def test_who_answers_name_the_body_whose_numbered_part_the_quoted_line_belongs_to(assistant):
    """The Huyện ủy plan's part "4. Ban Tuyên giáo Huyện ủy hướng dẫn tuyên truyền, …" goes on
    with lines that never name the body: asked who, the answer opens with that clause."""
    result = assistant.answer("Theo KH của HU, cơ quan nào tham mưu Ban Thường vụ Huyện ủy tổ chức sơ kết giai đoạn 2023 - 2025?")
    assert not result.refused
    assert result.answer.startswith("4. Ban Tuyên giáo Huyện ủy hướng dẫn tuyên truyền:\n")
    assert "tham mưu Ban Thường vụ Huyện ủy tổ chức sơ kết" in result.answer
    text = assistant.index.doc_text(result.citations[0].doc_id)
    assert [text[a:b] for a, b in result.citations[0].highlights][0] == "4. Ban Tuyên giáo Huyện ủy hướng dẫn tuyên truyền"
    # a question that is not about who gets the line alone
    what = assistant.answer("Theo KH của HU, việc sơ kết giai đoạn 2023 - 2025 được tổ chức theo chỉ đạo của cấp nào?")
    assert not what.refused and not what.answer.startswith("4. Ban Tuyên giáo Huyện ủy hướng dẫn tuyên truyền:")


def test_a_count_of_people_is_given_in_whatever_people_the_plan_counts(assistant):
    """"quy mô bao nhiêu người" is answered by "(500 đại biểu)", not refused for want of "người"."""
    from rag.query import counts

    result = assistant.answer("Ở cấp thành phố, Kế hoạch 205 của Thành ủy Yên Bái dự kiến đợt sinh hoạt dành cho cán bộ "
                              "chủ chốt, báo cáo viên, tuyên truyền viên có quy mô bao nhiêu người, tổ chức lúc nào và ai trình bày?")
    assert not result.refused and "(500 đại biểu)" in result.answer and "Quý II/2023" in result.answer
    assert counts("(500 đại biểu)", "nguoi") and counts("120 đảng viên", "nguoi") and not counts("ngày 10/4/2023", "nguoi")
    assert not counts("(500 đại biểu)", "trang")
    # "bao nhiêu chi bộ" counts chi bộ: "2025 theo chỉ đạo" is no count of them
    assert counts("gồm 12 chi bộ trực thuộc", "chi bo") and not counts("giai đoạn 2023 - 2025 theo chỉ đạo", "chi bo")


def test_the_words_around_an_ordinal_are_not_topic_pairs(assistant):
    """"giá trị thứ 2 của tác phẩm": "trị thứ" and "2 của" are pairs no passage has; weighed as
    topic words they sank the coverage of the very item asked for and it was refused."""
    from rag.query import understand

    query = understand("giá trị thứ 2 của tác phẩm", index=assistant.index)
    assert query.ordinal == 2 and query.weights["trị thứ"] == 0.0 and query.weights["2 của"] == 0.0
    assert query.weights.get("giá trị", 1.0) > 0
    from rag.query import _pairs_across_ordinal

    # typed without diacritics, "thu hoach" (thu hoạch) is no ordinal: the pairs are the ones around "thu 2"
    assert _pairs_across_ordinal("bai thu hoach thu 2 la gi", True) == ["hoach thu", "2 la"]
    other = understand("Nhiệm vụ thứ hai của Sở Tư pháp về đầu tư hằng năm là gì?", index=assistant.index)
    assert all(other.weights.get(t, 1.0) > 0 for t in ("tư pháp", "hằng năm") if t in other.terms)
    result = assistant.answer("giá trị thứ 2 của tác phẩm")
    # the second value, under the heading naming its list (rag.enumerations)
    assert not result.refused and result.answer.startswith("2. Giá trị của tác phẩm:\n(2). Tác phẩm có ý nghĩa cả về lý luận")


def test_a_tables_columns_are_named_from_its_rows(assistant):
    """"Bảng … gồm những cột nào?": every row reads "TT: 1; NỘI DUNG: …; CƠ QUAN CHỦ TRÌ: …" (empty
    cells left out), so the columns are the names its rows use, in order; a cell's own "Cấp cơ sở:"
    is no column. "cốt lõi" typed without diacritics is not a column."""
    from rag.titles import asks_columns

    result = assistant.answer("Bảng phân công ở Phụ lục số 01 kèm Kế hoạch 205 gồm những cột nào?")
    assert not result.refused
    assert result.answer == "TT | NỘI DUNG | THỜI GIAN HOÀN THÀNH | LÃNH ĐẠO PHỤ TRÁCH | CƠ QUAN CHỦ TRÌ | CƠ QUAN PHỐI HỢP [1]"
    cited = result.citations[0]
    assert cited.doc_id == "ke-hoach-205-thanh-uy-yen-bai" and cited.heading.startswith("Phụ lục số 01")
    assert all(name in cited.passage for name in result.answer.removesuffix(" [1]").split(" | "))
    plain = assistant.answer("bang phan cong cua ke hoach 205 gom nhung cot nao")
    assert plain.answer == result.answer
    assert not asks_columns("noi dung cot loi cua tac pham gom nhung gi") and not asks_columns("Nội dung cốt lõi gồm những gì?")
    assert not asks_columns("Kế hoạch của Thành ủy Yên Bái có những cột mốc thời gian nào?")
    # a table of no document in the corpus is not some other table
    other = assistant.answer("Bảng lương của cán bộ xã gồm những cột nào?")
    assert "CƠ QUAN CHỦ TRÌ" not in other.answer


def test_an_abbreviation_whose_readings_tie_is_no_topic_word(assistant):
    """"đc" is "được" or "đồng chí"; left as typed when its neighbours do not decide, it and the
    pairs it forms ("viên đc", "đc nêu") are in no passage and only sank coverage."""
    from rag.query import understand

    query = understand("những biểu hiện tiêu cưc của cán bộ đảng viên đc nêu trong phần hai", index=assistant.index)
    assert query.weights["đc"] == 0.0 and query.weights["đc nêu"] == 0.0 and query.weights.get("tiêu cực", 1.0) > 0
    result = assistant.answer("những biểu hiện tiêu cưc của cán bộ đảng viên đc nêu trong phần hai")
    assert not result.refused and "móc ngoặc" in result.answer


def test_an_attribute_the_corpus_never_mentions_is_refused_naming_it(assistant):
    """A publisher, a venue, a budget: asked of plans that never mention one, the question is a
    near-miss whatever passage shares its other words, and the refusal says what is missing."""
    for question, said in [("Kinh phí tổ chức hội nghị quán triệt của Huyện ủy lấy từ nguồn nào?", "kinh phí"),
                           ("nha xuat ban nao phat hanh cuon sach", "nha xuat ban"),
                           ("Hội nghị cán bộ chủ chốt thành phố Yên Bái họp ở hội trường nào?", "hội trường")]:
        result = assistant.answer(question)
        assert result.refused and not result.citations, question
        assert f"không nói đến {said}." in result.answer
    # a word the corpus does use stays answerable ("website" of the Yên Bái plan's propaganda)
    assert not assistant.answer("Kế hoạch 205 yêu cầu tuyên truyền trên website nào?").refused


def test_an_attribute_a_document_gives_is_answered(tmp_path):
    """The same check reads the corpus: a plan that names its venue answers "hội trường nào"."""
    from hoidap.settings import Settings
    from ingest.pipeline import ingest
    from rag import Assistant

    src = tmp_path / "docs"
    src.mkdir()
    (src / "ke-hoach-hoi-nghi.txt").write_text(
        "ĐẢNG ỦY PHƯỜNG TÂN LẬP\nKẾ HOẠCH\nTổ chức hội nghị quán triệt tác phẩm của Tổng Bí thư\n"
        "I. MỤC ĐÍCH, YÊU CẦU\nGiúp cán bộ, đảng viên nắm vững nội dung cốt lõi của tác phẩm.\n"
        "II. THỜI GIAN, ĐỊA ĐIỂM\nHội nghị tổ chức vào sáng ngày 12/5/2023 tại hội trường Ủy ban nhân dân phường, "
        "số 5 đường Trần Phú.\n"
        "III. THÀNH PHẦN\nToàn thể cán bộ, đảng viên của Đảng bộ phường.\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "idx")
    ingest([src], settings)
    result = Assistant(settings).answer("Hội nghị của phường Tân Lập họp ở hội trường nào?")
    assert not result.refused and "tại hội trường Ủy ban nhân dân phường" in result.answer


def test_a_count_asked_with_diacritics_reads_plain_words_as_themselves():
    """"bao nhiêu chi bộ" counts chi bộ; typed without diacritics "chi" may be "chị", so it is no noun."""
    from rag.query import counted_noun

    assert counted_noun("Đảng bộ Sở có tất cả bao nhiêu chi bộ trực thuộc?") == "chi bo"
    assert counted_noun("co bao nhieu chi em tham gia") is None
    assert counted_noun("Cho em hỏi có bao nhiêu anh chị tham gia?") is None


def test_a_count_no_passage_gives_is_refused(assistant):
    result = assistant.answer("Đảng bộ Sở Khoa học và Công nghệ Điện Biên có bao nhiêu chi bộ trực thuộc tất cả?")
    assert result.refused and not result.citations


def test_a_teams_leader_is_an_office_named_by_the_team(assistant):
    """"Tổ công tác 278 do ai làm tổ trưởng": nobody is named tổ trưởng, so the refusal says so,
    instead of quoting the line where the team appears."""
    from rag.grounding import role_question

    role = role_question("to cong tac 278 do dong chi nao lam to truong?", "Tổ công tác 278 do đồng chí nào làm tổ trưởng?")
    assert role is not None and role.office == "to truong" and role.qualifier == ["to", "cong", "tac", "278"]
    assert role.text == "tổ trưởng Tổ công tác 278"
    result = assistant.answer("Ai là tổ trưởng Tổ công tác 278 của thành phố Yên Bái?")
    assert result.refused and "không nêu tên người giữ chức tổ trưởng" in result.answer
    # asked what the team does, it is answered
    assert not assistant.answer("Tổ công tác 278 phối hợp tổ chức việc gì ở xã, phường?").refused


def test_a_day_asked_for_is_not_answered_by_a_passage_without_a_date(assistant):
    """"… gửi báo cáo trước ngày nào": the MTTQ plan asks wards for reports but sets no date."""
    from rag.query import asks_day

    result = assistant.answer("Theo kế hoạch của Mặt trận thành phố, Ban Thường trực MTTQ các phường, xã phải báo cáo kết quả "
                              "về thành phố trước ngày nào?")
    assert result.refused and "không nêu ngày cụ thể" in result.answer
    assert asks_day("han chot la ngay may") and asks_day("Báo cáo trước ngày nào?")
    assert not asks_day("Báo cáo kết quả khi nào?") and not asks_day("ngày thành lập Đảng")
    # a passage with a date answers
    dated = assistant.answer("Huyện ủy yêu cầu báo cáo kết quả chậm nhất vào ngày nào?")
    assert not dated.refused and "01/11" in dated.answer


def test_a_sub_heading_the_question_says_word_for_word_ranks_its_section_first(assistant):
    """"Đối tượng … gồm những ai" is the Thị ủy guide's "III. ĐỐI TƯỢNG", though the words
    "tham gia đợt sinh hoạt" stand in another section's text."""
    result = assistant.answer("Theo hướng dẫn của Ban Tuyên giáo Thị ủy, đối tượng tham gia đợt sinh hoạt gồm những ai?")
    assert not result.refused and result.citations[0].heading.endswith("III. ĐỐI TƯỢNG")
    assert "Cán bộ, đảng viên, công chức, viên chức" in result.answer


def test_on_the_basis_of_which_documents_is_a_basis_question(assistant):
    from rag.query import asks_basis

    assert asks_basis("Kế hoạch được xây dựng trên cơ sở những văn bản nào?")
    result = assistant.answer("Mặt trận thành phố xây dựng kế hoạch trên cơ sở những văn bản nào?")
    assert not result.refused and "600/KH-MTTQ-BTT" in result.answer


def test_both_a_and_b_with_lan_is_a_comparison(assistant):
    """"cả A lẫn B" names two documents to answer one by one, like "cả A và B đều"."""
    result = assistant.answer("Kết luận nào của Trung ương được cả Sở KH&CN Điện Biên lẫn Ban Tuyên giáo Thị ủy yêu cầu "
                              "gắn với đợt sinh hoạt?")
    assert not result.refused
    assert {c.doc_id for c in result.citations} >= {"ke-hoach-so-khcn-dien-bien", "huong-dan-ban-tuyen-giao-thi-uy"}
    assert "21-KL/TW" in result.answer


def test_what_the_named_document_never_mentions_is_refused_naming_the_document(assistant):
    """Reporters appear in the Yên Bái plan only: asked of the Sở KH&CN's plan, another plan's
    reporter would answer the wrong plan, so the refusal names the document and what it lacks."""
    result = assistant.answer("Ai là báo cáo viên tại hội nghị học tập tác phẩm của Sở KH&CN Điện Biên?")
    assert result.refused and not result.citations
    assert "Kế hoạch của Sở Khoa học và Công nghệ tỉnh Điện Biên không nói đến báo cáo viên." in result.answer
    compiled = assistant.answer("Theo kế hoạch của Mặt trận thành phố, tài liệu hỏi - đáp về tác phẩm do ai biên soạn?")
    assert compiled.refused and "không nói đến việc biên soạn." in compiled.answer
    # the plan that has them answers
    yen_bai = assistant.answer("Báo cáo viên hội nghị 500 đại biểu ở Yên Bái là ai?")
    assert not yen_bai.refused and yen_bai.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"
    assert "báo cáo viên Trung ương" in yen_bai.answer


def test_a_persons_birth_or_home_town_is_not_in_the_plans(assistant):
    result = assistant.answer("Tổng Bí thư Nguyễn Phú Trọng quê quán ở đâu?")
    assert result.refused and "không nói đến quê quán." in result.answer


def test_a_sections_parts_asked_in_other_words_are_its_outline(assistant):
    from rag.sections import asks_outline

    assert asks_outline("Mục III gồm những mảng việc nào?") and asks_outline("muc 2 co nhung hang muc nao")
    result = assistant.answer("Mục III của Kế hoạch 205 gồm những mảng việc nào?")
    assert not result.refused and "3. Công tác tuyên truyền" in result.answer and "4. Tài liệu sinh hoạt, tuyên truyền" in result.answer


def test_signed_on_which_day_asks_a_date_not_the_signer():
    from rag.query import asks_who_signed

    assert asks_who_signed("Ai ký Kế hoạch 205?") and asks_who_signed("nguoi ky van ban cua huyen uy la ai")
    assert not asks_who_signed("Kế hoạch 182-KH/TU được ký ngày nào?")
    assert not asks_who_signed("ngay ky ke hoach 182 la ngay nao")
    assert asks_who_signed("Ai ký kế hoạch và ký ngày nào?")  # who is asked too


def test_a_labelled_line_answers_the_field_it_labels(assistant):
    """"+ Báo cáo viên: mời báo cáo viên Trung ương." answers who reports to the 500 delegates,
    not the appendix row that lists reporters among the audience."""
    result = assistant.answer("Ai làm báo cáo viên cho hội nghị 500 đại biểu ở thành phố Yên Bái?")
    assert not result.refused and "mời báo cáo viên Trung ương" in result.answer


def test_a_mass_organisation_the_plans_never_name_is_refused_naming_it(assistant):
    result = assistant.answer("Kế hoạch 205 giao Công an thành phố nhiệm vụ gì?")
    assert result.refused and not result.citations
    assert "Các tài liệu trong kho không nhắc đến Công an." in result.answer
    youth = assistant.answer("doan thanh nien huyen co nhiem vu gi trong dot sinh hoat")
    assert youth.refused and "doan thanh nien" in youth.answer.lower()
    # Mặt trận is in the plans: its tasks are answered
    assert not assistant.answer("Ủy ban MTTQ các phường, xã có nhiệm vụ gì?").refused


def test_a_cited_plan_asked_by_kind_and_issuer_is_read_from_the_line_citing_it(assistant):
    """"Kế hoạch của Tỉnh ủy được Sở KH&CN nhắc tới mang số hiệu gì": the Sở's opening line cites
    "Kế hoạch số 88-KH/TU ngày 22/3/2023 của Tỉnh ủy"; a paraphrase full of words the plans never
    use is still answered, since the cited kind, number and issuer are checked."""
    from rag.grounding import cited_reference, cites

    assert cited_reference("Kế hoạch của Thành ủy Yên Bái thực hiện kế hoạch nào của Tỉnh ủy?") == ("ke hoach", "tinh uy")
    assert cites("Thực hiện Kế hoạch số 182-KH/TU ngày 20/4/2023của Ban Thường vụ Thành ủy", ("ke hoach", "thanh uy"))
    assert not cites("(kèm theo Kế hoạch số 205 - KH/TU ngày 10/4/2023 của Thành ủy)", ("ke hoach", "thanh uy"), "205-KH/TU")
    # "của cấp tỉnh": whichever provincial body issued it
    assert cited_reference("thực hiện kế hoạch số mấy của cấp tỉnh?") == ("ke hoach", "cap tinh")
    assert cites("Thực hiện Kế hoạch số 600/KH-MTTQ-BTT ngày 28/4/2023 của Ban Thường trực Ủy ban MTTQ tỉnh", ("ke hoach", "cap tinh"))
    assert not cites("Thực hiện Kế hoạch số 182-KH/TU ngày 20/4/2023 của Ban Thường vụ Thành ủy", ("ke hoach", "cap tinh"))
    result = assistant.answer("Kế hoạch của Tỉnh ủy Điện Biên mà Sở KH&CN có nhắc tới mang số hiệu gì, ký ngày nào?")
    assert not result.refused and "88-KH/TU" in result.answer and "22/3/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-so-khcn-dien-bien"


def test_a_count_the_named_plan_gives_is_answered_however_the_question_is_worded(assistant):
    """Worded in words the plans never use ("mô tả", "dày", "in"), a count the named plan gives
    ("600 trang với 111 bức ảnh") is answered; the same count asked of a plan that lacks it is not."""
    result = assistant.answer("Kế hoạch của Sở KH&CN mô tả cuốn sách dày bao nhiêu trang và in bao nhiêu bức ảnh?")
    assert not result.refused and "600 trang" in result.answer and "111 bức ảnh" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-so-khcn-dien-bien"
    assert assistant.answer("Hội nghị cấp huyện theo kế hoạch của Huyện ủy có bao nhiêu đại biểu dự?").refused


def test_continuing_to_implement_a_plan_is_content_not_the_basis(assistant):
    """"gắn … với việc tiếp tục thực hiện kế hoạch nào" asks for a plan a task names (Yên Bái's
    "Kế hoạch số 110-KH/TU …" for its party cells), not the plan's own basis in its preamble."""
    from rag.query import asks_basis

    assert not asks_basis("gắn đợt sinh hoạt với việc tiếp tục thực hiện kế hoạch nào")
    assert asks_basis("Kế hoạch được ban hành để thực hiện kế hoạch nào của Tỉnh ủy?")
    result = assistant.answer("Thành ủy Yên Bái yêu cầu chi, đảng bộ trực thuộc gắn đợt sinh hoạt với việc tiếp tục thực hiện "
                              "kế hoạch nào về Hội nghị Trung ương 4 khóa XIII?")
    assert not result.refused and "110-KH/TU" in result.answer


def test_a_plan_number_the_corpus_lacks_is_named_as_the_user_wrote_it(assistant):
    result = assistant.answer("Kế hoạch số 215-KH/TU của Thành ủy quy định gì?")
    assert result.refused and "Kho tài liệu không có Kế hoạch số 215." in result.answer


def test_askers_words_for_what_plans_write_otherwise_are_covered():
    """"lồng ghép … với" is the plans' "gắn với", "muộn nhất" their "chậm nhất", "nộp" their "gửi"."""
    from rag.query import paraphrase_synonyms

    assert ("gắn", ["lồng", "ghép", "lồng ghép"]) in paraphrase_synonyms(["lồng", "ghép", "lồng ghép", "đợt"], False)
    assert ("chậm nhất", ["muộn", "nhất", "muộn nhất"]) in paraphrase_synonyms(["muộn", "nhất", "muộn nhất"], False)
    assert paraphrase_synonyms(["nop", "bao", "cao"], True) == [("gui", ["nop"])]
    assert paraphrase_synonyms(["lồng", "đèn"], False) == []  # "lồng" alone is no "lồng ghép"


def test_a_task_asked_in_the_askers_words_is_found(assistant):
    result = assistant.answer("Huyện ủy muốn lồng ghép đợt học tập tác phẩm với đợt sinh hoạt chính trị chủ đề gì?")
    assert not result.refused and "Giữ trọn lời thề đảng viên" in result.answer


@pytest.mark.parametrize("question", [
    "Những ai tham gia Ban Chỉ đạo 35 thành phố?",  # "tham gia Ban" is no "giá bán"
    "Hằng năm sinh hoạt chi bộ cần đưa nội dung gì vào?",  # "năm sinh hoạt" is no "năm sinh"
    "Địa chỉ trang sách điện tử của tác phẩm là gì?",  # "địa chỉ" of a link the plan gives
])
def test_attribute_words_are_matched_as_the_user_wrote_them(assistant, question):
    result = assistant.answer(question)
    assert "không nói đến" not in result.answer and "không nhắc đến" not in result.answer


def test_asked_of_itself_a_plan_is_no_cited_plan():
    """"Kế hoạch của Huyện ủy căn cứ vào văn bản nào?" asks about the Huyện ủy plan itself; a cited
    plan is one asked for ("kế hoạch nào của Tỉnh ủy") or said to be cited ("mà … căn cứ")."""
    from rag.grounding import cited_reference

    assert cited_reference("Kế hoạch của Huyện ủy căn cứ vào văn bản nào?") is None
    assert cited_reference("Kế hoạch của Ban Thường trực Ủy ban MTTQ tỉnh mà MTTQ thành phố thực hiện mang số mấy?") == \
        ("ke hoach", "mttq tinh")


def test_a_plans_basis_asked_in_few_words_is_answered_from_its_preamble(assistant):
    for question, number in [("Kế hoạch của Huyện ủy căn cứ vào văn bản nào?", "143-KH/TU"),
                             ("Kế hoạch 205 căn cứ vào văn bản nào?", "126-KH/TU")]:
        result = assistant.answer(question)
        assert not result.refused and number in result.answer, question


def test_signed_on_which_day_is_the_issue_date(assistant):
    for question in ("Kế hoạch 205 ký ngày nào?", "ke hoach 205 duoc ky ngay nao"):
        result = assistant.answer(question)
        assert not result.refused and "10/4/2023" in result.answer, question


def test_a_team_is_a_named_team_not_any_word_after_to():
    from rag.grounding import role_question

    assert role_question("ai lam to truong de to chuc hoi nghi can bo chu chot?") is None
    assert role_question("ai la to truong to cong tac 278").qualifier == ["to", "cong", "tac", "278"]


def test_a_quoted_ca_lan_idiom_is_not_rewritten(assistant):
    from rag.compare import question_for

    aliases = assistant.index.aliases
    assert "cả ngọn lẫn gốc" in question_for("Kế hoạch 205 và Huyện ủy nói gì về “cả ngọn lẫn gốc”?", aliases,
                                            "ke-hoach-huyen-uy")
    assert "Sở KH&CN" not in question_for("cả Sở KH&CN lẫn Thị ủy đều yêu cầu gì?", aliases, "huong-dan-ban-tuyen-giao-thi-uy")


def test_a_deadline_for_something_the_plan_dates_otherwise_is_refused(assistant):
    """The Huyện ủy plan dates its reports ("chậm nhất vào ngày 01/11 hàng năm"), not the sending of
    grassroots plans: asked for the latter, the report deadline is no answer."""
    from rag.query import dated_object

    assert dated_object("Các cấp ủy cơ sở gửi kế hoạch triển khai của mình về huyện trước ngày nào?") == "ke hoach trien khai"
    assert dated_object("cac chi bo gui bao cao ket qua truoc ngay nao") == "bao cao ket qua"
    assert dated_object("Báo cáo sơ kết phải gửi trước ngày nào?") == ""  # nothing after the verb: not checked
    result = assistant.answer("Theo kế hoạch của Huyện ủy, các cấp ủy cơ sở phải gửi kế hoạch triển khai về huyện trước ngày nào?")
    assert result.refused and "không nêu thời hạn cho việc này (kế hoạch triển khai)" in result.answer
    reports = assistant.answer("Theo kế hoạch của Huyện ủy, các cấp ủy cơ sở gửi báo cáo kết quả về huyện chậm nhất ngày nào?")
    assert not reports.refused and "01/11" in reports.answer


def test_a_context_clause_about_ones_association_is_chatter():
    """"Hội tôi đang lên kế hoạch …" asks nothing ("Hội" is no "hỏi" when typed with diacritics)."""
    from rag.normalize import strip_chatter

    assert strip_chatter("Hội tôi đang lên kế hoạch tuyên truyền cả năm. Mặt trận thành phố tập trung vào những dịp nào?").core \
        == "Mặt trận thành phố tập trung vào những dịp nào?"
    assert strip_chatter("em xin hỏi, kế hoạch 205 ban hành ngày nào").core == "kế hoạch 205 ban hành ngày nào"


@pytest.mark.parametrize("question,resolved", [
    ("Tôi là giảng viên ở Trung tâm Chính trị của thị xã. Hướng dẫn giao cho Trung tâm những phần việc gì?",
     "Hướng dẫn giao cho Trung tâm Chính trị của thị xã những phần việc gì?"),
    ("Tôi ở Trung tâm Chính trị của thị xã, hướng dẫn giao chúng tôi những gì?",
     "hướng dẫn giao Trung tâm Chính trị của thị xã những gì?"),
    ("Chúng tôi đang chuẩn bị cuộc họp Ban Chấp hành mở rộng của Đảng bộ thành phố Yên Bái để phổ biến tác phẩm. "
     "Hội nghị rơi vào tháng nào?",
     "Hội nghị Ban Chấp hành mở rộng của Đảng bộ thành phố Yên Bái rơi vào tháng nào?"),
    # a head noun with a name of its own after it, or no body in the context: nothing to resolve
    ("Tôi ở Trung tâm Chính trị của thị xã. Trung tâm Truyền thông có nhiệm vụ gì?", "Trung tâm Truyền thông có nhiệm vụ gì?"),
    ("Tôi là bí thư chi bộ. Chúng tôi phải sinh hoạt chuyên đề tháng nào?", "Chúng tôi phải sinh hoạt chuyên đề tháng nào?"),
])
def test_what_a_dropped_context_clause_introduced_is_put_back_where_the_question_refers_to_it(question, resolved):
    from rag.normalize import resolve_context, strip_chatter

    chatter = strip_chatter(question)
    assert resolve_context(chatter.core, chatter.dropped) == resolved


def test_a_question_referring_to_its_context_is_answered_about_it(assistant):
    centre = assistant.answer("Tôi là giảng viên ở Trung tâm Chính trị của thị xã. Hướng dẫn giao cho Trung tâm những "
                              "phần việc gì?")
    assert not centre.refused and centre.citations[0].heading.endswith("6. Trung tâm Chính trị thị xã")
    meeting = assistant.answer("Chúng tôi đang chuẩn bị cuộc họp Ban Chấp hành mở rộng của Đảng bộ thành phố Yên Bái để "
                               "phổ biến tác phẩm. Ai sẽ là người trình bày, và hội nghị rơi vào tháng nào?")
    assert not meeting.refused and "tháng 4/2023" in meeting.answer and "Thường trực Thành ủy" in meeting.answer


def test_this_document_is_the_one_the_context_names(assistant):
    """"Tôi định phát bộ hỏi - đáp …" is context (the booklet's name asks nothing), and "tài liệu này" is
    that booklet, asked about itself."""
    from rag.normalize import strip_chatter

    question = "Tôi định phát bộ hỏi - đáp cho các báo cáo viên. Bộ tài liệu này do ai tổng hợp, và từ bao nhiêu văn bản?"
    assert strip_chatter(question).dropped == ["Tôi định phát bộ hỏi - đáp cho các báo cáo viên."]
    result = assistant.answer(question)
    assert not result.refused and result.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    assert "năm văn bản" in result.answer


def test_muon_nhat_bounds_a_deadline_like_cham_nhat(assistant):
    from rag.query import dated_object

    assert dated_object("cấp ủy cơ sở phải nộp báo cáo kết quả muộn nhất vào ngày nào") == "bao cao ket qua"
    result = assistant.answer("Tôi là bí thư đảng ủy một xã trong huyện. Mỗi năm, cấp ủy cơ sở phải nộp báo cáo kết quả "
                              "muộn nhất vào ngày nào?")
    assert not result.refused and "01/11" in result.answer


def test_where_a_named_document_is_sent_is_answered_from_its_recipients_block(assistant):
    result = assistant.answer("Văn bản hướng dẫn của Thị ủy được gửi báo cáo lên đâu và gửi tới những nơi nào?")
    assert not result.refused and result.citations[0].heading == "Nơi nhận" and "Ban Tuyên giáo Tỉnh ủy (b/c)" in result.answer


def test_a_whereas_clause_asks_each_document_its_own_part(assistant):
    """"Huyện ủy … chậm nhất ngày nào, còn Thị ủy … tháng nào?": each document gets its own clause,
    after the topic both share."""
    from rag.compare import question_for
    from rag.query import dated_object

    q = "Về báo cáo hằng năm: Huyện ủy yêu cầu nộp chậm nhất ngày nào, còn Thị ủy yêu cầu vào tháng nào?"
    assert question_for(q, assistant.index.aliases, "huong-dan-ban-tuyen-giao-thi-uy") == \
        "Về báo cáo hằng năm: Thị ủy yêu cầu vào tháng nào?"
    assert dated_object("Huyện ủy yêu cầu nộp chậm nhất ngày nào?") == ""
    result = assistant.answer(q)
    assert not result.refused and "01/11" in result.answer and "tháng 11 hằng năm" in result.answer


def test_a_where_question_reads_a_place_label_and_a_ve_heading():
    """"… sinh hoạt ở đâu" names the label "1. Nơi sinh hoạt:"; "đối tượng nào" names "2. Về đối tượng"."""
    from rag.query import Query
    from rag.retrieve import _has_asked_field, _names_heading

    where = Query(question="Theo kế hoạch bên huyện, sinh hoạt về tác phẩm được tổ chức ở đâu?", search_text="", typed_text="",
                  terms=[], folded=False, docs={})
    assert _has_asked_field(where, "1. Nơi sinh hoạt: Sinh hoạt tại chi bộ và các cơ quan, đơn vị, đoàn thể.")
    what = Query(question="Sinh hoạt về tác phẩm gồm nội dung gì?", search_text="", typed_text="", terms=[], folded=False,
                 docs={})
    assert not _has_asked_field(what, "1. Nơi sinh hoạt: Sinh hoạt tại chi bộ.")  # not asked where
    who = Query(question="Kế hoạch áp dụng cho những đối tượng nào?", search_text="", typed_text="", terms=[], folded=False,
                docs={})
    assert _names_heading(who, "2. Về đối tượng")


def test_wanting_and_onto_are_no_topic_words(assistant):
    """"Thành ủy muốn đưa tin lên những trang nào": "muốn" and "lên" frame the question; a passage is
    not less of an answer for lacking them."""
    from rag.query import understand

    q = understand("Thành ủy Yên Bái muốn tuyên truyền lên những trang nào?", index=assistant.index)
    assert not {"muốn", "lên"} & set(q.terms) and "tuyên truyền" in q.terms


def test_a_row_asked_when_and_who_gives_its_time_and_who_columns(assistant):
    """"… dự kiến rơi vào ngày nào, đồng chí lãnh đạo nào phụ trách?" of an appendix row: its time
    column and its who columns, whatever they are called; "phối hợp" only when asked."""
    result = assistant.answer("Hội nghị Ban Chấp hành Đảng bộ thành phố Yên Bái mở rộng để giới thiệu cuốn sách dự kiến "
                              "rơi vào ngày nào, đồng chí lãnh đạo nào phụ trách?")
    assert not result.refused and "THỜI GIAN HOÀN THÀNH: 13/4" in result.answer and "Đỗ Đức Minh" in result.answer
    assert "CƠ QUAN PHỐI HỢP" not in result.answer


def test_a_plan_sending_a_report_to_boards_is_asked_for_its_recipients(assistant):
    """"Kế hoạch của … gửi báo cáo tới những ban nào": the plan is what is sent, and its "Nơi nhận"
    marks those boards "(b/c)"; a report named before the plan, or "báo cáo kết quả", is a report."""
    from rag.query import asks_recipients

    asked = "Kế hoạch của Ban Thường trực Ủy ban MTTQ thành phố gửi báo cáo tới những ban nào của Thành ủy?"
    assert asks_recipients(asked)
    assert not asks_recipients("Kế hoạch của Huyện ủy gửi báo cáo kết quả về những cơ quan nào?")
    assert not asks_recipients("Ban Tuyên giáo Huyện ủy tổng hợp báo cáo kết quả thực hiện kế hoạch hằng năm "
                               "gửi cho những cơ quan nào?")
    result = assistant.answer(asked)
    assert not result.refused and result.citations[0].heading == "Nơi nhận"
    assert "Ban Tuyên giáo, Ban Dân vận Thành ủy (b/c)" in result.answer


def test_reading_through_the_booklet_answers_from_the_plans(assistant):
    """"Theo tài liệu hỏi đáp, …": the booklet is the way in, not the source; the plans' passage
    answers, and the booklet's name is no topic (nor a named document the answer misses)."""
    from rag.query import understand

    q = understand("Theo tài liệu hỏi đáp, cuốn tác phẩm dày bao nhiêu trang và có bao nhiêu bức ảnh?",
                   index=assistant.index)
    assert "hoi-dap-noi-dung-ke-hoach" not in q.docs
    assert q.weights.get("tài liệu") == 0.0 and q.weights.get("đáp") == 0.0 and q.weights.get("trang", 1.0) == 1.0
    result = assistant.answer("Theo tài liệu hỏi đáp, cuốn tác phẩm dày bao nhiêu trang và có bao nhiêu bức ảnh?")
    assert not result.refused and "600 trang với 111 bức ảnh" in result.answer
    assert all(c.doc_id != "hoi-dap-noi-dung-ke-hoach" for c in result.citations)
    # the official booklet the plans cite is what is asked about: its pages are nowhere
    assert assistant.answer("Tài liệu hỏi đáp những nội dung cốt lõi dày bao nhiêu trang").refused


def test_how_the_booklet_was_made_is_asked_of_the_booklet_itself(assistant):
    """"Tài liệu hỏi đáp được nhóm biên soạn tổng hợp từ những văn bản nào?": the booklet speaks for
    itself; "Tài liệu Hỏi - Đáp những nội dung cốt lõi … do ai biên soạn" is the official one."""
    result = assistant.answer("Tài liệu hỏi đáp được nhóm biên soạn tổng hợp từ những văn bản nào?")
    assert not result.refused and result.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    assert "tổng hợp từ năm văn bản" in result.answer
    official = assistant.answer("Theo kế hoạch 205, tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm do cơ quan nào "
                                "biên soạn?")
    assert not official.refused and official.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"
    assert "Ban Nội chính Trung ương" in official.answer


def test_a_context_sentence_still_ends_before_the_question():
    """A kept context sentence keeps its full stop: "… thành phố Yên Bái. Buổi sinh hoạt …" names no
    "thành phố Yên Bái Buổi"."""
    from rag.normalize import strip_chatter

    core = strip_chatter("Các chi bộ trực thuộc Đảng bộ các xã của thành phố Yên Bái. Buổi sinh hoạt chuyên đề "
                         "được ghép vào kỳ sinh hoạt chi bộ tháng nào?").core
    assert "Yên Bái. Buổi" in core
    # the asker's own unit ("Chi bộ chúng tôi …", "Hội Phụ nữ xã tôi …") is context, dropped like "em đang …"
    assert strip_chatter("Hội Phụ nữ xã tôi thuộc thị xã. Theo hướng dẫn của Thị ủy, các đoàn thể nên tổ chức những "
                         "hoạt động gì?").dropped == ["Hội Phụ nữ xã tôi thuộc thị xã."]


def test_a_context_sentence_names_no_missing_place(assistant):
    result = assistant.answer("Chi bộ chúng tôi trực thuộc Đảng bộ một xã của thành phố Yên Bái. Buổi sinh hoạt chuyên đề "
                              "về nội dung cốt lõi của tác phẩm được ghép vào kỳ sinh hoạt chi bộ định kỳ tháng nào?")
    assert "Yên Bái Buổi" not in result.answer
    assert not result.refused and result.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"


def test_a_later_passage_of_a_bodys_part_is_answered_with_the_body(assistant):
    """The body's heading stands far above the passage (its part runs over two passages): asked who,
    the answer still names it, from the heading path its citation shows."""
    result = assistant.answer("Theo kế hoạch 205, đơn vị nào được giao khuyến khích phóng viên đầu tư sáng tác, "
                              "sản xuất phóng sự, tác phẩm báo chí về nội dung tác phẩm?")
    assert not result.refused and result.answer.startswith("5. Trung tâm Truyền thông và Văn hóa thành phố:")
    assert result.citations[0].heading.endswith("5. Trung tâm Truyền thông và Văn hóa thành phố")
    assert result.citations[0].passage.startswith("Khuyến khích phóng viên")  # the citation is the passage, unstretched
    _quoted_parts_are_verbatim(assistant, result)


def test_a_labelled_line_of_the_named_plan_answers_with_confidence(assistant):
    """"Theo kế hoạch bên huyện, sinh hoạt … ở đâu": the named plan's "1. Nơi sinh hoạt: …" line is the
    answer by its form, whatever the paraphrase around it."""
    result = assistant.answer("Theo kế hoạch bên huyện, sinh hoạt về tác phẩm được tổ chức ở đâu?")
    assert not result.refused and "Sinh hoạt tại chi bộ và các cơ quan, đơn vị, đoàn thể" in result.answer


def test_two_questions_in_one_are_split_only_where_each_asks():
    from rag.parts import asked_parts

    assert asked_parts("Kế hoạch 205 của Thành ủy Yên Bái ra đời ngày nào và ai là người ký ban hành?") == [
        "Kế hoạch 205 của Thành ủy Yên Bái ra đời ngày nào?", "ai là người ký ban hành?"]
    assert asked_parts("Kế hoạch của Sở KH&CN do ai ký, ký với tư cách gì?") == [
        "Kế hoạch của Sở KH&CN do ai ký?", "ký với tư cách gì?"]
    assert asked_parts("Ban Tuyên giáo và Ban Dân vận có nhiệm vụ gì?") == []  # one question about two bodies
    assert asked_parts("Hạn nộp báo cáo, kế hoạch của huyện là ngày nào?") == []
    assert asked_parts("Ai ký kế hoạch 205?") == []


def test_two_questions_in_one_are_answered_part_by_part(assistant):
    """No passage holds both the date and the signer: the whole question is unsure, each half is
    sure. The second half is a follow-up of the first (the conversation carries the plan)."""
    result = assistant.answer("Kế hoạch 205 của Thành ủy Yên Bái ra đời ngày nào và ai là người ký ban hành?")
    assert not result.refused
    assert "10/4/2023" in result.answer and "Đỗ Văn Nghị" in result.answer
    assert "• Ai là người ký ban hành?" in result.answer
    assert {c.doc_id for c in result.citations} == {"ke-hoach-205-thanh-uy-yen-bai"}
    assert [c.marker for c in result.citations] == list(range(1, len(result.citations) + 1))
    assert all(f"[{c.marker}]" in result.answer for c in result.citations)
    # a half that is not answered leaves the refusal standing
    assert assistant.answer("Kế hoạch 205 ra đời ngày nào và kinh phí bao nhiêu?").refused


def test_a_part_asking_a_blank_of_the_plan_is_said_so_and_the_other_part_answered(assistant):
    """"Kế hoạch của Huyện ủy số hiệu gì và do ai ký?": the plan carries no number, which that part says; the
    signer is still answered. A detail no plan gives, or a document the corpus lacks, still refuses it all."""
    result = assistant.answer("Kế hoạch của Huyện ủy số hiệu gì và do ai ký?")
    assert not result.refused
    assert result.answer.split("\n") == ["• Kế hoạch của Huyện ủy số hiệu gì?",
                                         "Kế hoạch của Ban Thường vụ Huyện ủy không ghi số hiệu.",
                                         "• Do ai ký?", "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ Ung Văn Tám [1]"]
    assert [c.doc_id for c in result.citations] == ["ke-hoach-huyen-uy"]
    assert assistant.answer("Kế hoạch 205 do ai ký và in ở nhà xuất bản nào?").refused
    assert assistant.answer("Kế hoạch của Tỉnh ủy Thanh Hóa số hiệu gì và do ai ký?").refused


def test_a_quoted_titles_commas_join_no_questions():
    from rag.parts import asked_parts

    assert asked_parts("Cuốn sách “Kiên quyết, kiên trì đấu tranh phòng, chống tham nhũng, tiêu cực…” do nhà xuất "
                       "bản nào phát hành?") == []


def test_an_abbreviation_the_plan_writes_covers_the_words_asked(assistant):
    """The Sở KH&CN's plan writes "PCTN": asked about "phòng, chống tham nhũng", its passage covers
    those words; a question that types the abbreviation itself has it spelt out already."""
    from rag.query import understand

    q = understand("Kế hoạch của Sở KH&CN gọi tác phẩm là gì đối với công tác phòng, chống tham nhũng?", index=assistant.index)
    assert ("pctn", ["phòng", "chống", "tham", "nhũng", "phòng chống", "chống tham", "tham nhũng"]) in q.synonyms
    from rag.query import written_abbreviations
    from rag.structures import structures

    lex = structures(assistant.index).lexicon
    assert written_abbreviations("công tác PCTN và phòng, chống tham nhũng", ["tham nhũng"], False, lex) == []
    assert written_abbreviations("công tác phòng chống tham nhũng", ["phòng", "tham nhũng"], False, lex) == [
        ("pctn", ["phòng", "tham nhũng"])]


def test_a_longer_heading_counts_when_the_question_calls_it_a_part(assistant):
    """"Trong phần giá trị của tác phẩm, …" names the sub-heading "1.2. Giá trị của tác phẩm" (five
    words: too long to count when merely shared, not when called a part)."""
    result = assistant.answer("Trong phần giá trị của tác phẩm, kế hoạch của Sở KH&CN Điện Biên gọi tác phẩm là gì đối với "
                              "công tác phòng, chống tham nhũng?")
    assert not result.refused and "cẩm nang" in result.answer
    assert result.citations[0].heading.endswith("1.2. Giá trị của tác phẩm")


def test_each_part_of_a_two_part_question_gets_its_unit_of_the_passage(assistant):
    """One list passage holds both answers ("Tài liệu Hỏi - Đáp … do … biên soạn", "Bản tin … do …
    biên soạn"): the answer quotes the item that answers each part, not the best one twice."""
    result = assistant.answer("Theo kế hoạch 205, tài liệu Hỏi - Đáp những nội dung cốt lõi của tác phẩm do cơ quan nào "
                              "biên soạn, còn Bản tin Thông báo nội bộ thì do ai biên soạn, xuất bản?")
    assert not result.refused and len(result.citations) >= 1
    assert "Ban Nội chính Trung ương" in result.answer and "do Ban Tuyên giáo Tỉnh ủy biên soạn, xuất bản" in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_an_everyday_habit_is_no_day_asked():
    """"… như thói quen thường ngày nào?" asks which everyday habit, not for a day."""
    from rag.query import asks_day, wanted_fact

    q = "Tác phẩm ví việc phòng, chống tham nhũng như thói quen thường ngày nào?"
    assert not asks_day(q) and wanted_fact(q) != "date"
    assert asks_day("Báo cáo gửi trước ngày nào?") and wanted_fact("Báo cáo gửi trước ngày nào?") == "date"


def test_issued_in_which_month_and_year_asks_the_issue_date(assistant):
    from rag.grounding import asks_issue_date

    assert asks_issue_date("Kế hoạch của Sở KH&CN Điện Biên được ban hành vào tháng, năm nào?")
    assert asks_issue_date("Hướng dẫn của Ban Tuyên giáo Thị ủy ban hành ngày nào?")  # "giáo" is no "giao"
    assert not asks_issue_date("Kế hoạch giao cho Ban Tuyên giáo ban hành ngày nào?")
    result = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên được ban hành vào tháng, năm nào?")
    assert not result.refused and "tháng 4 năm 2023" in result.answer


def test_a_named_documents_missing_own_number_is_refused_by_name(assistant):
    """The guidance carries no number: asked its own number, the refusal says so, instead of
    quoting a number it cites; asked the number of what it implements, it answers."""
    result = assistant.answer("Hướng dẫn của Ban Tuyên giáo Thị ủy về đợt sinh hoạt chính trị này mang số hiệu bao nhiêu?")
    assert result.refused and "Hướng dẫn của Ban Tuyên giáo Thị ủy không ghi số hiệu." in result.answer
    cited = assistant.answer("Hướng dẫn của Ban Tuyên giáo Thị ủy thực hiện kế hoạch số mấy?")
    assert not cited.refused and "140" in cited.answer
    numbered = assistant.answer("Kế hoạch của Thành ủy Yên Bái có số hiệu là gì?")
    assert not numbered.refused and "205" in numbered.answer


@pytest.mark.parametrize("question", ["Kế hoạch 205 mang số hiệu gì?", "Kế hoạch 205 có ký hiệu gì?"])
def test_a_documents_own_number_is_answered_from_the_line_carrying_it(assistant, question):
    """Asked the named plan's own number, the line that writes it answers with confidence (for Kế hoạch
    205 only its appendix's "(kèm theo Kế hoạch số 205 - KH/TU …)" does); "ký hiệu" asks no signer."""
    result = assistant.answer(question)
    assert not result.refused and "205 - KH/TU" in result.answer and result.confidence >= 0.9
    assert "Đỗ Văn Nghị" not in result.answer


def test_a_blank_numbers_code_is_what_ky_hieu_asks(assistant):
    """The Sở's plan leaves its number blank ("Số: /KH-SKHCN"): "số hiệu" is refused by name, but its
    code, "ký hiệu", is there to quote."""
    code = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên có ký hiệu văn bản là gì?")
    assert not code.refused and code.answer.startswith("Số: /KH-SKHCN")
    assert code.citations[0].doc_id == "ke-hoach-so-khcn-dien-bien"
    number = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên mang số hiệu gì?")
    assert number.refused and "không ghi số hiệu" in number.answer


def test_a_plan_described_as_about_the_book_is_named_not_asked_about(assistant):
    """"Kế hoạch của Mặt trận thành phố về học tập tác phẩm căn cứ …": every plan here is about studying
    the book, so the qualifier only names the plan: its preamble answers, not a section headed "Tổ chức
    hội nghị học tập tác phẩm". The book as the object of what is asked stays a topic."""
    basis = assistant.answer("Kế hoạch của Mặt trận thành phố về học tập tác phẩm căn cứ vào những văn bản nào?")
    assert not basis.refused and basis.citations[0].heading == "Mở đầu" and "600/KH-MTTQ-BTT" in basis.answer
    channels = assistant.answer("Kế hoạch 205 tuyên truyền thường xuyên về tác phẩm trên những kênh thông tin nào?")
    assert channels.citations[0].heading.endswith("3. Công tác tuyên truyền")


def test_channels_asked_in_the_askers_words_find_the_plans_media(assistant):
    """"kênh trực tuyến … đều đặn" is the plans' "Website …, Trang thông tin điện tử, Fanpage …" and
    "Thường xuyên"."""
    result = assistant.answer("Tôi quản trị fanpage của một phường ở Yên Bái. Những kênh trực tuyến nào được dùng để "
                              "đưa tin đều đặn về việc học tập tác phẩm trong Đảng bộ thành phố Yên Bái?")
    assert not result.refused and "Fanpage Hoa Hướng dương" in result.answer


def test_the_booklets_last_question_is_its_last_pair(assistant):
    result = assistant.answer("Câu hỏi cuối cùng của bộ hỏi - đáp là câu số mấy, và hỏi về thông điệp của phần nào trong "
                              "tác phẩm?")
    assert not result.refused and "Câu hỏi 12: Thông điệp rút ra từ Phần thứ hai" in result.answer
    assert result.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    official = assistant.answer("Tài liệu Hỏi - đáp những nội dung cốt lõi của tác phẩm có bao nhiêu câu hỏi?")
    assert "Tài liệu có 12 câu hỏi" not in official.answer  # the official booklet the plans cite is not this one


def test_a_follow_up_keeps_the_booklet_asked_about(assistant):
    """After a question about the booklet itself, "câu cuối cùng trong đó" and "câu đầu tiên" are its pairs
    (a derived document asked about as such stays in the conversation)."""
    first = _turn(assistant, "Tập hỏi - đáp tổng hợp các kế hoạch học sách có tất cả bao nhiêu câu hỏi?")
    assert "Tài liệu có 12 câu hỏi" in first.answer
    last = assistant.answer("Câu cuối cùng trong đó hỏi về chuyện gì?", [first])
    assert not last.refused and "Câu hỏi 12: Thông điệp rút ra từ Phần thứ hai" in last.answer
    opening = assistant.answer("Còn câu đầu tiên thì sao?", [first])
    assert not opening.refused and opening.answer.startswith("Câu hỏi 1:")
    assert opening.citations[0].chunk_id == "hoi-dap-noi-dung-ke-hoach#1"
    plain = _turn(assistant, "Kế hoạch 205 có mấy phụ lục?")  # no booklet asked about: no pair is meant
    assert "Câu hỏi 12" not in assistant.answer("Câu cuối cùng trong đó nói gì?", [plain]).answer


def test_a_plans_closing_paragraph_is_its_last_passage_before_the_recipients(assistant):
    """"Đoạn kết của KH yêu cầu những ai …": the closing paragraph ("Trên đây là Kế hoạch …, yêu cầu …"), the
    last body passage before "Nơi nhận" and the signature (for Kế hoạch 205, before its appendix too)."""
    result = assistant.answer("Tôi là trưởng một phòng chuyên môn ở Sở KH&CN Điện Biên; đoạn kết của KH yêu cầu những "
                              "ai phải nghiêm túc triển khai?")
    assert not result.refused and result.answer.startswith("Trên đây là Kế hoạch")
    assert "Trưởng các phòng chuyên môn" in result.citations[0].passage
    yb = assistant.answer("Đoạn kết của Kế hoạch 205 yêu cầu gì?")
    assert yb.answer.startswith("Trên đây là Kế hoạch") and yb.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"
    from rag.query import understand
    from rag.retrieve import closing_passages

    collusion = understand("Kế hoạch 205 nêu những hành vi cấu kết nào?", index=assistant.index)
    assert not closing_passages(assistant.index, collusion)  # "cấu kết" is collusion, no closing


@pytest.mark.parametrize("question", ["Căn cứ phụ lục phân công đi kèm, kế hoạch 205 của Yên Bái mang ngày ban hành nào?",
                                      "Kế hoạch 205 có ngày ký là ngày nào?"])
def test_an_issue_date_asked_as_a_noun_or_after_a_framing_is_the_issue_date(assistant, question):
    from rag.grounding import asks_issue_date

    assert asks_issue_date(question)
    result = assistant.answer(question)
    assert not result.refused and "10/4/2023" in result.answer and result.confidence >= 0.9
    assert not asks_issue_date("Theo kế hoạch 205, các chi bộ phải báo cáo ngày nào?")


def test_a_deadline_sentence_wrapped_over_lines_still_dates_what_is_asked(assistant):
    """The Huyện ủy plan wraps "… báo cáo kết quả thực hiện về Ban Thường vụ\nHuyện ủy (…) chậm nhất vào ngày
    01/11 hàng năm.": the sentence, not the line, holds what the deadline is for ("hằng năm" is "hàng năm")."""
    result = assistant.answer("Đảng ủy xã tôi thuộc huyện. Cấp ủy cơ sở như chúng tôi phải nộp báo cáo kết quả hằng năm "
                              "muộn nhất ngày nào, và qua cơ quan nào?")
    assert not result.refused and "01/11" in result.answer
    plan = assistant.answer("Kế hoạch của Huyện ủy yêu cầu gửi kế hoạch triển khai trước ngày nào?")
    assert plan.refused and "không nêu thời hạn" in plan.answer  # it sets none for that


def test_a_signer_asked_on_behalf_of_and_in_what_capacity_is_the_signature_block(assistant, lex):
    """"Ai thay mặt Ban Thường vụ ký …, và với cương vị gì?": "thay mặt" is the block's "T/M" (and no "thấy
    mặt"), and the office asked is what every signature block gives."""
    assert lex.correct("Ai thay mặt Ban Thường vụ ký?") == "Ai thay mặt Ban Thường vụ ký?"
    result = assistant.answer("Ai thay mặt Ban Thường vụ ký Kế hoạch 205-KH/TU, và với cương vị gì?")
    assert not result.refused and "PHÓ BÍ THƯ THƯỜNG TRỰC Đỗ Văn Nghị" in result.answer
    assert result.citations[0].heading.startswith("Chữ ký")


def test_a_count_of_tasks_is_given_by_a_list_of_them(assistant):
    """"… tham mưu mấy việc" is answered by the list of them (plans list tasks, they do not number them);
    "có mấy giải" (prizes) still needs a number."""
    from rag.query import counts

    listed = "- Tham mưu thực hiện: (1) Tổ chức đợt sinh hoạt …; (2) Biên soạn và phát hành …; (3) Phổ biến …"
    assert counts(listed, "viec") and counts(listed, "nhiem") and not counts(listed, "giai")
    assert not counts("- Tham mưu cho Ban Chỉ đạo 35 của thị xã tổ chức các hình thức đấu tranh", "viec")


@pytest.mark.parametrize("question", ["Báo cáo theo HD Thị ủy gửi về đâu, qua cơ quan nào?",
                                      "Cơ quan nhận báo cáo triển khai và cơ quan làm đầu mối chuyển báo cáo theo hướng "
                                      "dẫn Ban Tuyên giáo Thị ủy"])
def test_through_whom_a_report_goes_is_the_line_sending_it_via_a_body(assistant, question):
    """Reports go "về Ban Thường vụ Thị ủy (qua Ban Tuyên giáo Thị ủy)": asked through whom, that line answers."""
    result = assistant.answer(question)
    assert not result.refused and "(qua Ban Tuyên giáo Thị ủy)" in result.answer


@pytest.mark.parametrize("question", ["Đồng chí trưởng ban tuyên giáo của Thành ủy Yên Bái tên là gì?",
                                      "Họ tên người đứng đầu Ban Tuyên giáo Thành ủy Yên Bái, người được phân công chủ trì"])
def test_an_office_nobody_is_named_for_is_refused_whoever_else_holds_its_title(assistant, question):
    """The appendix names "Đ/c Trưởng Ban Tuyên giáo Thành ủy" but no one: asked for that person (by the office
    "của" its committee, or as "người đứng đầu" the Ban), the answer says so, as typed; the Thị ủy's Trưởng ban
    (Nguyễn Xuân Chiến) is another office."""
    result = assistant.answer(question)
    assert result.refused and result.answer.startswith("Tài liệu không nêu tên người giữ chức")
    assert "Nguyễn Xuân Chiến" not in result.answer.split("\n")[0] and "tuyên giáo" in result.answer.split("\n")[0].lower()


def test_the_head_of_a_body_is_the_holder_of_its_office(assistant):
    result = assistant.answer("Ai là người đứng đầu Ban Tuyên giáo Thị ủy?")
    assert not result.refused and "Nguyễn Xuân Chiến" in result.answer
    deputy = assistant.answer("Chủ tịch Ủy ban MTTQ thành phố, người đứng đầu Mặt trận trong kế hoạch này, tên là gì?")
    assert deputy.refused  # the plan is signed by a Phó Chủ tịch: no Chủ tịch is named


def test_who_a_plan_applies_to_is_its_objects_section(assistant):
    """"… áp dụng cho những ai" is the plans' "Đối tượng": the sub-heading said in the askers' words."""
    result = assistant.answer("Tôi là viên chức Sở KH&CN Điện Biên. Đợt học tập tác phẩm theo kế hoạch của Sở áp dụng "
                              "cho những ai?")
    assert not result.refused and "Toàn thể đảng viên, CCVC và người lao động trong Sở" in result.answer
    assert result.citations[0].heading.endswith("2.1. Đối tượng")


def test_the_booklet_keeps_its_numbering_and_is_asked_by_it(assistant):
    """The booklet's "Câu hỏi 11:" is kept in its passages: asked which question mentions a
    topic, or what question 11 asks, the answer quotes the numbered question itself."""
    import re as _re

    from ingest.qa import find_pairs
    from hoidap.model import Block

    pairs = find_pairs([Block(text="Câu hỏi 4: Ai ký?", kind="para"), Block(text="Trả lời: Đ/c A.", kind="para"),
                        Block(text="Câu 5: Khi nào?", kind="para"), Block(text="Trả lời: Tháng 5.", kind="para")])
    assert [p.text for p in pairs] == ["Câu hỏi 4: Ai ký?\nTrả lời: Đ/c A.", "Câu hỏi 5: Khi nào?\nTrả lời: Tháng 5."]
    assert pairs[0].fields["number"] == "4"
    which = assistant.answer("Câu hỏi số mấy trong tài liệu Hỏi - Đáp đề cập thời hạn báo cáo do Ban Tuyên giáo Thị ủy "
                             "yêu cầu?")
    assert not which.refused and which.answer.startswith("Câu hỏi 11: Ban Tuyên giáo Thị ủy")
    assert which.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    eleventh = assistant.answer("Trong tài liệu Hỏi - Đáp về các kế hoạch học tập tác phẩm, câu hỏi số 11 hỏi về văn bản "
                                "của cơ quan nào và về nội dung gì?")
    assert not eleventh.refused and _re.match(r"Câu hỏi 11: Ban Tuyên giáo Thị ủy", eleventh.answer)
    _quoted_parts_are_verbatim(assistant, eleventh)


def test_the_booklet_counts_its_questions(assistant):
    result = assistant.answer("Tài liệu Hỏi - Đáp về các kế hoạch học tập tác phẩm có tất cả bao nhiêu câu hỏi?")
    assert not result.refused and result.answer.startswith("Tài liệu có 12 câu hỏi")
    assert "Câu hỏi 12: Thông điệp rút ra từ Phần thứ hai" in result.answer
    assert result.citations[0].doc_id == "hoi-dap-noi-dung-ke-hoach"
    _quoted_parts_are_verbatim(assistant, result)
    # a plan's own count is not the booklet's
    assert not assistant.answer("Kế hoạch 205 có bao nhiêu câu hỏi?").answer.startswith("Tài liệu có")


def test_a_row_asked_two_who_questions_gives_each_its_column(assistant):
    """"… do lãnh đạo nào phụ trách và đơn vị nào đứng ra thực hiện?": the first part names the
    leader's column, the second asks who with no column of its own: the row's other who column too."""
    both = assistant.answer("Theo bảng phân công của Kế hoạch 205, việc chỉ đạo sáng tác, biểu diễn văn hóa, nghệ thuật "
                            "do lãnh đạo nào phụ trách và đơn vị nào đứng ra thực hiện?")
    assert not both.refused and "Tạ Ngọc Hoa" in both.answer and "CƠ QUAN CHỦ TRÌ: Trung tâm Truyền thông" in both.answer
    one = assistant.answer("Theo bảng phân công của Kế hoạch 205, việc chỉ đạo sáng tác, biểu diễn văn hóa, nghệ thuật "
                           "do lãnh đạo nào phụ trách?")
    assert "Tạ Ngọc Hoa" in one.answer and "CƠ QUAN CHỦ TRÌ" not in one.answer


@pytest.mark.parametrize("typed,asked", [
    ("người ký kế hoạch Huyện ủy", "Ai ký kế hoạch Huyện ủy?"),
    ("ngày ban hành Kế hoạch 205-KH/TU Thành ủy Yên Bái", "Kế hoạch 205-KH/TU Thành ủy Yên Bái ban hành ngày nào?"),
    ("nhiệm vụ Ban Tuyên giáo Thị ủy", "Ban Tuyên giáo Thị ủy có nhiệm vụ gì?"),
    ("căn cứ xây dựng kế hoạch Mặt trận thành phố", "kế hoạch Mặt trận thành phố căn cứ vào văn bản nào?"),
    ("họ tên Trưởng Ban Tuyên giáo Thành ủy Yên Bái", "Trưởng Ban Tuyên giáo Thành ủy Yên Bái là ai?"),
    ("đơn vị tổ chức thực hiện kế hoạch Sở KH&CN", "đơn vị nào tổ chức thực hiện kế hoạch Sở KH&CN?"),
    ("nguoi ky ke hoach huyen uy", "ai ky ke hoach huyen uy?"),  # typed without diacritics: the frame too
    ("Ai ký kế hoạch 205?", "Ai ký kế hoạch 205?"),  # a question already
    ("hạn nộp?", "hạn nộp?"),  # a short follow-up
    ("ngày thành lập Đảng", "ngày thành lập Đảng"),  # no document after "ngày"
    ("tên tác phẩm của Tổng Bí thư", "tên tác phẩm của Tổng Bí thư"),  # "tên" of no office
])
def test_a_terse_query_is_read_as_the_question_it_stands_for(typed, asked):
    """Typed like a search box, the head says what is asked: "người ký …" asks who signed."""
    from rag.normalize import terse_question

    assert terse_question(typed) == asked


def test_terse_queries_are_answered_as_questions(assistant):
    signer = assistant.answer("người ký kế hoạch Huyện ủy")
    assert not signer.refused and "Ung Văn Tám" in signer.answer
    issued = assistant.answer("ngày ban hành Kế hoạch 205-KH/TU Thành ủy Yên Bái")
    assert not issued.refused and "10/4/2023" in issued.answer
    number = assistant.answer("số hiệu hướng dẫn Ban Tuyên giáo Thị ủy")
    assert number.refused and "không ghi số hiệu" in number.answer


# --- rules the review of stop 18's diff found firing wrongly ---------------------------------------

def test_the_booklet_asked_about_is_not_read_through(assistant):
    """"Kế hoạch 205 dùng tài liệu hỏi đáp nào?" asks which booklet: its name is the topic, not a way in."""
    used = assistant.answer("Kế hoạch 205 dùng tài liệu hỏi đáp nào?")
    assert not used.refused and "Ban Nội chính Trung ương" in used.answer


def test_only_who_made_the_booklet_and_from_what_is_asked_of_the_booklet_itself(assistant):
    assert assistant.answer("Tài liệu hỏi đáp được tổng hợp khi nào?").refused  # it says no date
    other = assistant.answer("Tài liệu hỏi đáp do Ban Tuyên giáo Trung ương biên soạn có bao nhiêu câu hỏi?")
    assert not other.answer.startswith("Tài liệu có 12 câu hỏi")  # the official booklet, not this one


def test_a_booklet_pair_asked_by_an_ordinal_or_a_number_it_lacks(assistant):
    seventh = assistant.answer("Câu hỏi thứ 7 trong tài liệu hỏi đáp là gì?")
    assert not seventh.refused and seventh.answer.startswith("Câu hỏi 7:")
    beyond = assistant.answer("Câu hỏi 15 của tài liệu hỏi đáp hỏi gì?")
    assert beyond.refused and "Tài liệu Hỏi - Đáp chỉ có 12 câu hỏi; không có câu hỏi số 15." in beyond.answer


def test_an_own_number_refusal_is_only_for_the_document_itself(assistant):
    """A plan of another level ("MTTQ tỉnh"), one qualified by another topic, or another kind of document
    ("công văn số mấy") is a document the named one cites: its number is answered from the citing line."""
    province = assistant.answer("Kế hoạch của MTTQ tỉnh số mấy?")
    assert not province.refused and "600/KH-MTTQ-BTT" in province.answer
    themed = assistant.answer("Kế hoạch của Ban Thường vụ Huyện ủy về đợt sinh hoạt chính trị Giữ trọn lời thề đảng viên "
                              "số mấy?")
    assert "không ghi số hiệu" not in themed.answer
    letter = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên được xây dựng trên cơ sở công văn số mấy của UBND tỉnh?")
    assert not letter.refused and "1065/UBND-NC" in letter.answer
    blank = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên số hiệu là gì?")  # "Số: /KH-SKHCN": no number
    assert blank.refused and "không ghi số hiệu" in blank.answer


def test_a_deadline_a_guidance_sets_for_plans_is_no_issue_date():
    from rag.grounding import asks_issue_date

    assert not asks_issue_date("Hướng dẫn của Ban Tuyên giáo Thị ủy quy định kế hoạch triển khai ban hành ngày nào?")
    assert asks_issue_date("Kế hoạch 205 của Thành ủy Yên Bái ra đời ngày nào?")


def test_a_part_answered_without_what_it_asks_is_not_joined(assistant):
    """Each part must hold what it asks: a count, and no "Nơi nhận" line for a task."""
    assert assistant.answer("Kế hoạch của Huyện ủy có bao nhiêu trang và ai ký?").refused
    assert assistant.answer("Kế hoạch của Huyện ủy ai ký và Trung tâm Chính trị huyện có nhiệm vụ gì?").refused


def test_applying_forms_is_no_question_of_objects(assistant):
    forms = assistant.answer("Sở KHCN áp dụng những hình thức học tập nào?")
    assert not forms.refused and "Qua họp giao ban" in forms.answer and not forms.citations[0].heading.endswith("Đối tượng")


def test_a_report_sent_is_answered_by_a_recipients_block_only_when_it_marks_reports(assistant):
    """The Huyện ủy's "Nơi nhận" marks no recipient "(b/c)": asked where its report goes, it is no answer."""
    sent = assistant.answer("Kế hoạch của Huyện ủy gửi báo cáo tới những ban nào?")
    assert not sent.citations or sent.citations[0].heading != "Nơi nhận"


def test_a_body_heading_is_prefixed_only_when_who_is_given_the_task(assistant):
    made = assistant.answer("Theo Hướng dẫn của Thị ủy, tài liệu hỏi đáp do ai biên soạn?")
    assert not made.answer.startswith("1. Ban Tuyên giáo Thị ủy:")


@pytest.mark.parametrize("typed, meant", [
    ("Có phải Kế hoạch 205 được ban hành ngày 14/4/2023 không?", "Kế hoạch 205 được ban hành ngày nào?"),
    ("Có đúng là hướng dẫn chỉ ra 07 nhiệm vụ, giải pháp căn bản?", "Hướng dẫn chỉ ra mấy nhiệm vụ, giải pháp căn bản?"),
    ("han bc cua HU la 01/11 dung ko", "Han bc cua HU la ngay nao?"),
    ("Có phải Sở ban hành kế hoạch vào tháng 5/2023?", "Sở ban hành kế hoạch vào tháng nào?"),
    # a document's number is no claimed count, and a plain yes/no question is no confirmation
    ("Có phải Kế hoạch 205 giao Ban Chỉ đạo 35 chủ trì?", "Kế hoạch 205 giao Ban Chỉ đạo 35 chủ trì?"),
    ("Kế hoạch 205 có gửi lên cấp tỉnh không?", "Kế hoạch 205 có gửi lên cấp tỉnh không?"),
])
def test_a_confirmation_question_asks_the_value_it_claims(typed, meant):
    from rag.normalize import claim_question

    assert claim_question(typed) == meant


def test_a_wrong_claim_is_answered_with_the_documents_value(assistant):
    """"Có phải … ngày 14/4/2023 không?": the claimed date is what is checked, not a word the passage must
    hold; the answer quotes the plan's own date."""
    dated = assistant.answer("Có phải Kế hoạch 205 được ban hành ngày 14/4/2023 không?")
    assert not dated.refused and "10/4/2023" in dated.answer
    deadline = assistant.answer("Kế hoạch của Huyện ủy yêu cầu báo cáo kết quả chậm nhất ngày 15/11 hằng năm, đúng không?")
    assert not deadline.refused and "01/11" in deadline.answer
    assert deadline.citations[0].doc_id == "ke-hoach-huyen-uy"


def test_a_specific_day_asked_of_a_plan_that_sets_none_is_refused(assistant):
    """"trước ngày cụ thể nào" asks a day like "trước ngày nào": the Sở's plan reports with the periodic
    reports and sets no day, so it says so instead of quoting its requirements."""
    result = assistant.answer("Sở KH&CN Điện Biên yêu cầu các chi bộ nộp báo cáo kết quả trước ngày cụ thể nào?")
    assert result.refused and "Tài liệu không nêu ngày cụ thể" in result.answer
    dated = assistant.answer("Huyện ủy yêu cầu các cấp ủy cơ sở báo cáo kết quả hằng năm trước ngày cụ thể nào?")
    assert not dated.refused and "01/11" in dated.answer


def test_a_time_of_day_is_answered_only_by_a_passage_giving_one(assistant):
    from rag.query import asks_hour, gives_hour

    assert asks_hour("Chuyên mục được phát sóng vào khung giờ nào?") and asks_hour("hoi nghi bat dau luc may gio")
    assert not asks_hour("Hội nghị tổ chức vào ngày nào?")
    assert gives_hour("Khai mạc lúc 7h30 ngày 12/5") and gives_hour("bắt đầu 8 giờ sáng") and not gives_hour("ngày 10/4/2023")
    result = assistant.answer("Chuyên mục về tác phẩm trên đài truyền thanh thị xã phát sóng vào khung giờ nào?")
    assert result.refused and "Tài liệu không nêu giờ cụ thể" in result.answer


def test_a_body_named_as_who_acts_is_no_second_document(assistant):
    """"Mặt trận và các đoàn thể huyện phải làm gì theo KH của Huyện ủy": the Front is who acts in the Huyện
    ủy's plan, not the Front's own plan; an unsure answer is not split into one part per plan."""
    from rag.compare import _named_as_documents

    assert not _named_as_documents("Mặt trận và các đoàn thể huyện phải làm gì theo KH của Huyện ủy?",
                                   {"ke-hoach-mttq-thanh-pho": ["mat tran"], "ke-hoach-huyen-uy": ["huyen uy"]})
    assert _named_as_documents("Hướng dẫn Thị ủy và kế hoạch của Sở KH&CN Điện Biên gắn với kết luận nào?",
                               {"huong-dan-ban-tuyen-giao-thi-uy": ["thi uy"], "ke-hoach-so-khcn-dien-bien": ["dien bien"]})
    result = assistant.answer("Mặt trận và các đoàn thể huyện phải làm gì theo KH của Huyện ủy?")
    assert "Kế hoạch của Ban Thường trực Ủy ban MTTQ" not in result.answer.split("\n")[0]


def test_the_documents_a_plan_follows_are_its_basis(assistant):
    from rag.query import asks_basis

    assert asks_basis("Hướng dẫn của Thị ủy thực hiện theo những văn bản nào?")
    assert asks_basis("kế hoạch này thực hiện theo các văn bản nào")
    result = assistant.answer("Hướng dẫn của Ban Tuyên giáo Thị ủy về đợt sinh hoạt chính trị này thực hiện theo "
                              "những văn bản nào?")
    assert not result.refused and "66-HD/BTGTU" in result.answer


def test_a_heading_that_is_also_a_verb_is_not_named_by_the_verb(assistant):
    """"Kế hoạch 205 yêu cầu tuyên truyền …" requires something; it does not name the section "2. Yêu cầu"
    ("Yêu cầu của Kế hoạch 205 là gì?" does)."""
    required = assistant.answer("Kế hoạch 205 yêu cầu tuyên truyền về tình hình triển khai đợt sinh hoạt trên những kênh nào?")
    assert "Yêu cầu" not in required.citations[0].heading and "Trang thông tin điện tử thành phố" in required.answer
    section = assistant.answer("Yêu cầu của Kế hoạch 205 là gì?")
    assert section.citations[0].heading.endswith("2. Yêu cầu")


def test_the_body_text_wins_a_tie_with_the_table_row_summarising_it(assistant):
    """The appendix table repeats the body in short; asked no column of it, the body's fuller line answers,
    and asked through the table ("theo bảng phân công"), the row."""
    body = assistant.answer("Theo Kế hoạch 205, việc tuyên truyền về tình hình triển khai đợt sinh hoạt được thực hiện "
                            "trên những kênh nào?")
    assert "Công tác tuyên truyền" in body.citations[0].heading and "Phụ lục" not in body.citations[0].heading
    row = assistant.answer("Theo bảng phân công của Kế hoạch 205, ai phụ trách tuyên truyền trên website Bản tin Đảng bộ "
                           "thành phố?")
    assert "Phụ lục" in row.citations[0].heading and "Đỗ Văn Nghị" in row.answer


def test_who_must_study_is_the_plans_audience():
    """"những ai thuộc diện phải học" asks the plan's "Đối tượng", as "áp dụng cho những ai" does."""
    from rag.query import scope_synonyms

    assert scope_synonyms("Theo kế hoạch của Sở, những ai thuộc diện phải học cuốn sách?", ["thuộc", "diện", "thuộc diện"],
                          False) == [("đối tượng", ["thuộc", "diện", "thuộc diện"])]
    assert scope_synonyms("kế hoạch áp dụng cho những ai", ["ap", "dung", "ap dung"], True) == [("doi tuong", ["ap", "dung", "ap dung"])]
    assert scope_synonyms("Xã thuộc diện khó khăn được hỗ trợ gì?", ["thuộc", "diện"], False) == []


def test_a_plans_number_and_date_asked_as_one_how_are_both_quoted(assistant):
    """"… ghi số hiệu và ngày tháng ban hành thế nào?": how the number line is written (a blank number's code
    included) and the line with the plan's own date."""
    from rag.normalize import terse_question

    assert terse_question("Kế hoạch 205 ghi số hiệu và ngày ban hành ra sao?") == \
        "Kế hoạch 205 ban hành ngày nào và có ký hiệu văn bản là gì?"
    result = assistant.answer("Kế hoạch Sở KHCN Điện Biên ghi ký hiệu và ngày ban hành như thế nào?")
    assert not result.refused and "/KH-SKHCN" in result.answer and "tháng 4 năm 2023" in result.answer


def test_a_list_named_by_its_heading_in_a_long_question_is_quoted_whole(assistant):
    """A long question says the list's sub-heading ("tài liệu sinh hoạt, tuyên truyền") among many other
    words: every item of that list is quoted, the last one too."""
    result = assistant.answer("Ngoài tác phẩm của đồng chí Tổng Bí thư, Kế hoạch 205 của Thành ủy Yên Bái nêu những tài "
                              "liệu sinh hoạt, tuyên truyền nào?")
    assert not result.refused and "Tài liệu Hỏi - Đáp" in result.answer and "Bản tin Thông báo nội bộ" in result.answer



# --- stop 21: a Zalo group's fragments and a party cell secretary's long messages ---------------------

def test_a_places_initials_are_mined_from_the_corpus(lex, assistant):
    """"YB", "DB": the corpus never writes a place's initials, but names it after its level ("Thành ủy Yên
    Bái", "tỉnh Điện Biên"); a question typing them is about that place, not about a body the corpus lacks."""
    assert lex.abbreviations["yb"] == ["Yên Bái"] and lex.abbreviations["db"] == ["Điện Biên"]
    assert lex.expand("han gui KH trien khai ve thanh uy YB") == "han gui kế hoạch trien khai ve thanh uy Yên Bái"
    result = assistant.answer("KH 205 thanh uy YB ban hanh ngay nao")
    assert not result.refused and "10/4/2023" in result.answer


def test_tl_is_read_by_its_neighbours(lex):
    assert lex.expand("tl hoi dap").startswith("tài liệu")


def test_the_signers_office_asked_after_the_signer_is_read_in_the_signature_block(assistant):
    first = _turn(assistant, "nguoi ky HD BTG thi uy")
    follow = assistant.answer("chuc vu j", [first])
    assert not follow.refused and "TRƯỞNG BAN" in follow.answer
    assert follow.citations[0].chunk_id == first.chunk_ids[0]


@pytest.mark.parametrize("typed,core", [
    # what the same sentence goes on to say about the asker ("chưa" asks nothing there), and the address alone
    ("Kính gửi đồng chí, tôi mới được bầu làm bí thư chi bộ, chưa quen việc báo cáo. Cho tôi hỏi kế hoạch triển khai "
     "phải gửi lên thành phố hạn chót là ngày nào ạ?", "kế hoạch triển khai phải gửi lên thành phố hạn chót là ngày nào?"),
    ("Xin hỏi đồng chí, kế hoạch 205 ban hành ngày nào? Nhờ đồng chí kể giúp.", "kế hoạch 205 ban hành ngày nào?"),
    # … but what the question points back at stays ("theo bảng đó")
    ("Tôi đang đọc phụ lục kèm theo kế hoạch 205, thấy dòng tổ chức hội nghị Ban Chấp hành. Xin hỏi theo bảng đó thì "
     "ai phụ trách?", "thấy dòng tổ chức hội nghị Ban Chấp hành. theo bảng đó thì ai phụ trách?"),
])
def test_the_askers_situation_is_told_not_asked(typed, core):
    from rag.normalize import strip_chatter

    assert strip_chatter(typed).core == core


def test_a_context_body_ends_where_the_clause_says_something_of_it():
    from rag.normalize import resolve_context

    assert resolve_context("Theo kế hoạch của Sở thì đối tượng gồm những ai?",
                           ["Chi bộ tôi ở Sở KH&CN Điện Biên có mấy anh em lái xe,"]) == \
        "Theo kế hoạch của Sở KH&CN Điện Biên thì đối tượng gồm những ai?"


def test_where_a_plan_reports_and_keeps_its_copy_is_its_recipients_block(assistant):
    result = assistant.answer("Văn bản 205 của Thành ủy Yên Bái gửi để báo cáo lên cơ quan cấp trên nào, và bản lưu để "
                              "ở đâu ạ?")
    assert not result.refused and "Ban Tuyên giáo Tỉnh ủy (để b/c)" in result.answer and "Lưu VT/BTGTU" in result.answer


def test_a_blank_number_asked_with_the_date_quotes_the_number_line(assistant):
    """The Sở plan leaves its number blank ("Số: /KH-SKHCN") and its day ("ngày   tháng 4 năm 2023"): its
    number alone is refused by name, with its date the line answers both, and a day asked is refused."""
    for question in ("so hieu KH so KHCN, ngay thang",
                     "Kế hoạch của Sở Khoa học và Công nghệ Điện Biên có số ký hiệu thế nào và đề tháng năm nào?"):
        result = assistant.answer(question)
        assert not result.refused and "/KH-SKHCN" in result.answer and "tháng 4 năm 2023" in result.answer, question
    alone = assistant.answer("Kế hoạch của Sở KH&CN Điện Biên mang số hiệu gì?")
    assert alone.refused and "không ghi số hiệu" in alone.answer
    day = assistant.answer("KH So KHCN Dien Bien ky ngay may thang 4")
    assert day.refused and day.answer.startswith("Kế hoạch của Sở Khoa học và Công nghệ tỉnh Điện Biên chỉ ghi tháng 4/2023, "
                                                 "không ghi ngày cụ thể.")


def test_a_cited_plan_asked_in_a_followup_asks_what_the_turn_before_asked(assistant):
    """Plan 182 is only cited (by the Front's plan): what it says is not held, but its date the citing line
    gives. "Còn KH 182?" after "HD 33 … ngày nào" asks its date, and is not refused for the plan missing."""
    from rag.query import understand

    index = assistant.index
    first = _turn(assistant, "HD 33-HD/BTG ngay nao cua co quan nao")
    follow = understand("con KH 182", aliases=index.aliases, index=index, state=assistant.conversation([first]))
    assert follow.missing == [] and follow.followup
    alone = understand("KH 182 giao những việc gì?", aliases=index.aliases, index=index)
    assert [m.kind for m in alone.missing] == ["cited"]


def test_a_count_of_reports_is_no_dated_object():
    from rag.query import dated_object

    assert dated_object("Còn báo cáo kết quả thực hiện thì nộp mấy lần, vào những ngày nào ạ?") == ""
    assert dated_object("gửi kế hoạch triển khai trước ngày nào") == "ke hoach trien khai"


def test_a_comparison_typed_in_chat_is_answered_per_document(assistant):
    from rag.compare import asks_to_compare

    from rag.compare import question_for

    aliases = assistant.index.aliases
    assert asks_to_compare("KH huyen uy vs KH MTTQ tp ai ky moi cai", aliases)
    # the other plan's kind and level go with its name: "KH huyen uy ai ky", not "KH huyen uy KH tp ai ky"
    assert question_for("KH huyen uy vs KH MTTQ tp ai ky moi cai", aliases, "ke-hoach-huyen-uy") == "KH huyen uy ai ky"
    signers = assistant.answer("KH huyen uy vs KH MTTQ tp ai ky moi cai")
    assert not signers.refused and "Ung Văn Tám" in signers.answer and "Trịnh Quang Huy" in signers.answer
    result = assistant.answer("bc kq hang nam: huyen uy vs thi uy han khi nao")
    assert not result.refused and "01/11" in result.answer and "tháng 11 hằng năm" in result.answer
    assert {c.doc_id for c in result.citations} >= {"ke-hoach-huyen-uy", "huong-dan-ban-tuyen-giao-thi-uy"}


def test_a_followup_reading_the_table_leaves_the_body_text_it_followed(assistant):
    first = _turn(assistant, "sh chinh tri cho cb chu chot tp 500 dai bieu: bc vien la ai, khi nao to chuc")
    follow = assistant.answer("trong phu luc ai phu trach viec do", [first])
    assert not follow.refused and "Đỗ Văn Nghị" in follow.answer and "Phụ lục" in follow.citations[0].heading


def test_the_booklet_asked_about_stays_the_subject_of_a_short_followup(assistant):
    first = _turn(assistant, "tl hoi dap tong hop tu bnhiu van ban")
    follow = assistant.answer("ai bien soan", [first])
    assert not follow.refused and "nhóm biên soạn" in follow.answer
    # … while after a plan's passage naming the official booklet, "tài liệu hỏi đáp" is that one
    first = _turn(assistant, "tl sh, tuyen truyen KH 205 gom nhung j")
    follow = assistant.answer("tl hoi dap do ai bien soan", [first])
    assert "nhóm biên soạn" not in follow.answer and "Tài liệu Hỏi - " in follow.answer


@pytest.mark.parametrize("typed,stem,letters,negated", [
    ("Kế hoạch 205 ban hành ngày nào? A. 04/4/2023 B. 10/4/2023 C. 20/4/2023 D. 25/4/2023",
     "Kế hoạch 205 ban hành ngày nào?", "ABCD", False),
    ("Đối tượng nào KHÔNG nằm trong đối tượng sinh hoạt?\na) Cấp ủy\nb) Cán bộ, đảng viên\nc) Học sinh",
     "Đối tượng nào KHÔNG nằm trong đối tượng sinh hoạt?", "ABC", True),
    # no run of lettered options: the question itself
    ("Phụ lục A. của kế hoạch 205 gồm những gì?", "Phụ lục A. của kế hoạch 205 gồm những gì?", "", False),
    ("Ai ký kế hoạch 205?", "Ai ký kế hoạch 205?", "", False),
])
def test_a_quiz_sheets_options_are_split_from_its_stem(typed, stem, letters, negated):
    from rag.choices import split_choices

    choices = split_choices(typed)
    assert choices.stem == stem and "".join(letter for letter, _ in choices.options) == letters
    assert choices.negated == negated


def test_the_option_the_quoted_passage_writes_is_named_only_when_one_does():
    from rag.choices import Choices, chosen_option

    sheet = Choices("Ngày nào?", [("A", "20/4/2023"), ("B", "25/4/2023"), ("C", "28/4/2023")])
    assert chosen_option(sheet, ["Hướng dẫn số 33 -HD/BTG ngày 25/4/2023"]) == "Phương án khớp với văn bản: B. 25/4/2023"
    assert chosen_option(sheet, ["Kế hoạch số 182 ngày 20/4/2023 và Hướng dẫn số 33 ngày 25/4/2023"]) is None  # two: no choice
    assert chosen_option(sheet, ["Không có ngày nào"]) is None
    missing = Choices("Đơn vị nào KHÔNG có?", [("A", "Ban Tuyên giáo Tỉnh ủy"), ("B", "Trung tâm Truyền thông")], negated=True)
    assert chosen_option(missing, ["- Ban Tuyên giáo Tỉnh ủy (để b/c),"]) == \
        "Phương án không có trong đoạn trích dẫn: B. Trung tâm Truyền thông"


def test_a_multiple_choice_question_is_answered_from_its_stem(assistant):
    """Three options name Ban Chỉ đạo the documents do not have: grounding reads the stem only, and the
    option the quoted line writes is named above the quote."""
    result = assistant.answer("BTG Thị ủy tham mưu cho Ban Chỉ đạo nào của thị xã tổ chức các hình thức đấu tranh, phản bác "
                              "luận điệu sai trái? A. Ban Chỉ đạo 35 B. Ban Chỉ đạo 94 C. Ban Chỉ đạo 138 D. Ban Chỉ đạo 389")
    assert not result.refused and result.answer.startswith("Phương án khớp với văn bản: A. Ban Chỉ đạo 35\n")
    assert result.question.endswith("D. Ban Chỉ đạo 389")
    _quoted_parts_are_verbatim(assistant, result)
    absent = assistant.answer("Đơn vị nào KHÔNG có trong phần Nơi nhận của KH 205? A. Trung tâm Chính trị thành phố "
                              "B. Các cơ quan khối Nội chính thành phố C. Trung tâm Truyền thông và Văn hóa thành phố "
                              "D. Trang thông tin điện tử thành phố")
    assert absent.answer.startswith("Phương án không có trong đoạn trích dẫn: C. Trung tâm Truyền thông và Văn hóa thành phố")


def test_a_sections_title_asked_as_which_section_it_is(assistant):
    result = assistant.answer("Trong HD của BTG Thị ủy, mục III là mục gì?")
    assert not result.refused and "ĐỐI TƯỢNG" in result.answer


def test_true_or_false_is_a_confirmation_question():
    from rag.normalize import claim_question

    assert claim_question("Đúng hay sai: Hướng dẫn của Ban Tuyên giáo Thị ủy yêu cầu báo cáo kết quả thực hiện vào tháng "
                          "12 hằng năm.") == "Hướng dẫn của Ban Tuyên giáo Thị ủy yêu cầu báo cáo kết quả thực hiện vào " \
                                            "tháng nào hằng năm?"


def test_who_asks_before_a_colon_is_no_part_of_what_is_asked(assistant):
    from rag.normalize import strip_chatter

    said = strip_chatter("Mình là đoàn viên ở huyện: theo KH của Huyện ủy thì Mặt trận làm gì?")
    assert said.lead == "Mình là đoàn viên ở huyện"
    assert strip_chatter("So sánh giúp tôi hạn báo cáo sơ kết: Thành ủy yêu cầu trước ngày nào?").lead == ""  # the topic
    assert strip_chatter("Kế hoạch 205: ai ký?").lead == ""
    # a body the asker names themselves by is no near-miss, and it still points retrieval at its passage
    result = assistant.answer("Ban tổ chức hội thi ở cơ sở bọn mình cần biết: theo phụ lục KH 205, việc tổ chức các diễn đàn, "
                              "hội thảo, tọa đàm, các cuộc thi có thời gian hoàn thành là khi nào?")
    assert not result.refused and "Dịp kỷ niệm các ngày lễ lớn" in result.answer
    front = assistant.answer("Mặt trận xã tôi cần biết: khi quán triệt cuốn sách thì phối hợp với ai?")
    assert not front.refused and "Ban Tuyên giáo cùng cấp" in front.answer


def test_picking_among_the_last_quiz_questions_options_asks_it_again(assistant):
    from rag.choices import Choices, picked

    sheet = Choices("Ngày nào?", [("A", "20/4/2023"), ("B", "25/4/2023"), ("C", "28/4/2023")])
    assert [letter for letter, _ in picked("vậy B hay C?", sheet).options] == ["B", "C"]
    assert [letter for letter, _ in picked("đáp án là gì", sheet).options] == ["A", "B", "C"]
    assert picked("vậy còn Huyện ủy thì sao?", sheet) is None
    first = _turn(assistant, "Theo KH của MTTQ thành phố, Hướng dẫn số 33-HD/BTG của Ban Tuyên giáo Thành ủy ban hành ngày "
                             "nào? A. 20/4/2023 B. 25/4/2023 C. 28/4/2023")
    follow = assistant.answer("vậy B hay C?", [first])
    assert not follow.refused and "25/4/2023" in follow.answer and follow.citations[0].chunk_id == first.chunk_ids[0]


def test_what_an_abbreviation_stands_for_is_where_the_document_spells_it_out(assistant):
    from rag.query import asked_abbreviation

    assert asked_abbreviation("Trong KH của Sở KHCN, chữ viết tắt CCVC là viết tắt của cụm từ gì?") == "CCVC"
    assert asked_abbreviation("KH&CN nghĩa là gì?") == "KH&CN"
    assert asked_abbreviation("Ai ký KH 205?") == ""
    result = assistant.answer("Trong KH của Sở KHCN, chữ viết tắt CCVC là viết tắt của cụm từ gì?")
    assert not result.refused and "công chức, viên chức (CCVC)" in result.answer


def test_a_comrade_or_a_yearly_report_is_no_table_read(assistant):
    """Accent-free "dong" is "đồng chí" as often as "dòng", and "hàng" is "hàng năm": only the words that can
    only name a table ("bảng", "phụ lục", "cột", an accented "dòng") say the question reads it."""
    from rag.query import understand
    from rag.retrieve import _asked

    def reads(question):
        return _asked(understand(question, aliases=assistant.index.aliases, index=assistant.index)).table

    assert not reads("dong chi nao phu trach bao cao hang nam")
    assert reads("Theo bảng phân công, ai phụ trách?") and reads("dòng thứ hai của phụ lục ghi gì")


# --- stop 23: voice-typed numbers, the signer's office, places a document never names -------------------

@pytest.mark.parametrize("said,written", [
    ("kế hoạch hai trăm linh năm của thành ủi", "kế hoạch 205 của thành ủi"),
    ("sơ kết giai đoạn hai không hai ba đến hai không hai lăm", "sơ kết giai đoạn 2023 đến 2025"),
    ("giai đoạn hai không hai ba hai không hai lăm thì sao", "giai đoạn 2023 - 2025 thì sao"),
    ("xong trước ngày ba mươi tháng tư", "xong trước ngày 30/4"),  # a date as the documents write it
    ("ngày mười ba tháng tư năm hai không hai ba", "ngày 13/4/2023"), ("tu muoi lam thang tu", "tu 15 thang 4"),
    ("Ke hoach hai tram linh nam của Thành ủy", "Ke hoach 205 của Thành ủy"), ("sáu mươi đại biểu", "60 đại biểu"),
    ("năm trăm đại biểu", "500 đại biểu"), ("một trăm bốn mươi ba", "143"), ("mười lăm ngày", "15 ngày"),
    ("hai nghìn không trăm hai mươi ba", "2023"), ("quý hai năm hai không hai ba", "quý II năm 2023"),
    ("ke hoach hai tram linh nam", "ke hoach 205"), ("tháng mười hai", "tháng 12"),
    # words that only look like numbers stay words
    ("tư tưởng", "tư tưởng"), ("hằng tháng, năm", "hằng tháng, năm"), ("thang sau", "thang sau"),
    ("đề ngày tháng năm nào", "đề ngày tháng năm nào"),
    ("ba mươi năm", "30 năm"), ("mười năm", "mười năm"), ("có hai không", "có hai không"), ("phần thứ ba", "phần thứ ba"),
    ("sau muoi ngay", "sau muoi ngay"), ("mỗi tháng một lần", "mỗi tháng một lần"), ("Cách mạng tháng Tám", "Cách mạng tháng Tám"),
    ("trung tam van hoa", "trung tam van hoa"),
    # a ten said without its "mươi" (stop 26); inside a year read digit by digit it is the year's
    ("ban chỉ đạo ba lăm thành phố", "ban chỉ đạo 35 thành phố"), ("kết luận hai mốt", "kết luận 21"),
])
def test_numbers_said_aloud_are_written_in_digits(said, written):
    from rag.spoken import spoken_numbers

    assert spoken_numbers(said) == written


def test_a_voice_typed_plan_number_names_the_plan(assistant):
    result = assistant.answer("à cho tôi hỏi là kế hoạch hai trăm linh năm của thành ủy thì thực hiện kế hoạch số "
                              "bao nhiêu của tỉnh ủy nhé")
    assert not result.refused and "126-KH/TU" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"


@pytest.mark.parametrize("signer,asked,office", [("ai ky KH 205 thanh uy yb v", "chuc vu j", "PHÓ BÍ THƯ THƯỜNG TRỰC"),
                                                  ("ai ky KH mttq tp", "chuc vu j", "PHÓ CHỦ TỊCH"),
                                                  ("ai ky KH so KHCN", "ky vs chuc danh j", "PHÓ GIÁM ĐỐC")])
def test_the_signers_office_is_answered_though_the_block_never_says_office(assistant, signer, asked, office):
    # "chức vụ" (and "ký" asked again) is the question's frame, weighed 0: the signature block's missing it is no
    # uncovered predicate
    first = _turn(assistant, signer)
    follow = assistant.answer(asked, [first])
    assert not follow.refused and office in follow.answer
    assert follow.citations[0].chunk_id == first.chunk_ids[0]


def test_a_spoken_hesitation_is_no_part_of_the_question():
    from rag.normalize import strip_chatter

    assert strip_chatter("à cho tôi hỏi là ờ kế hoạch 205 ký ngày nào nhé").core == "kế hoạch 205 ký ngày nào"
    assert strip_chatter("ờ còn sơ kết thì sao").core == "còn sơ kết thì sao"
    assert strip_chatter("a kế hoạch 205 ký ngày nào").core.startswith("a kế hoạch")  # typed plain, "a" may be "anh"


@pytest.mark.parametrize("question", ["à kế hoạch của sở khoa học và công nghệ điện biên là kế hoạch số bao nhiêu",
                                      "Còn kế hoạch của Sở KHCN số mấy?"])
def test_the_own_number_asked_after_the_copula_or_in_a_followup_is_the_documents_blank(assistant, question):
    result = assistant.answer(question)
    assert result.refused and "không ghi số hiệu" in result.answer and "88-KH/TU" not in result.answer


@pytest.mark.parametrize("question,levels", [
    ("huyen uy trong KH la huyen nao, thuoc tinh nao v", "huyện hay tỉnh"),
    ("Hướng dẫn của Ban Tuyên giáo Thị ủy là của thị xã nào?", "thị xã"),
])
def test_a_place_the_document_never_names_is_said_to_be_missing(assistant, question, levels):
    result = assistant.answer(question)
    assert result.refused and f"không nêu tên {levels}" in result.answer


def test_a_place_the_document_names_is_no_near_miss(assistant):
    from rag.grounding import named_levels

    assert named_levels("Ban Thường vụ Thành ủy Yên Bái; UBND tỉnh Điện Biên") == {"thanh pho", "tinh"}
    assert named_levels("Văn phòng Thành ủy Ban Tuyên giáo; Huyện ủy\nCác chi bộ") == set()
    result = assistant.answer("Sở Khoa học và Công nghệ trong kế hoạch thuộc tỉnh nào?")
    assert not result.refused and "Điện Biên" in result.answer
    # "cơ quan nào" is no "quận nào"
    assert not assistant.answer("Kế hoạch 205: cơ quan nào chủ trì việc sáng tác, biểu diễn văn nghệ?").refused


@pytest.mark.parametrize("first,follow,expected,cited", [
    # the corpus has a plan of the Thành ủy (205) too: in the conversation, the one the MTTQ plan cites is asked
    ("KH mttq tp can cu KH so may cua mttq tinh", "con KH cua thanh uy so may", "182-KH/TU", True),
    ("HD cua BTG thi uy can cu HD so may cua BTG tinh uy", "con KH cua BTV thi uy so may", "140 -KH/TU", True),
    # … but a follow-up about the corpus's own Thành ủy plan asks that plan
    ("KH mttq tp can cu KH so may cua mttq tinh", "con KH cua thanh uy yen bai do ai ky", "Đỗ Văn Nghị", False),
    # … and the plan the previous answer was about, named again by its issuer, is asked itself
    ("KH 205 thực hiện KH số mấy của tỉnh ủy?", "còn kế hoạch của Thành ủy Yên Bái số mấy?", "205 - KH/TU", False),
])
def test_a_plan_named_by_its_issuer_in_a_followup_about_what_is_cited(assistant, first, follow, expected, cited):
    before = _turn(assistant, first)
    result = assistant.answer(follow, [before])
    assert not result.refused and expected in result.answer
    if cited:  # quoted from the previous plan's basis line
        assert result.citations[0].doc_id == before.doc_ids[0]


def test_a_table_row_is_the_item_its_number_says(assistant):
    from rag.query import understand
    from rag.retrieve import has_item, retrieve

    assert has_item("TT: 1; NỘI DUNG: Tổ chức hội nghị …", 1, rows=True) and not has_item("TT: 5; NỘI DUNG: …", 1, rows=True)
    assert not has_item("TT: 5; NỘI DUNG: …", 5)  # "nhiệm vụ thứ năm" of a section is no table's fifth row
    q = understand("Trong bảng phân công kèm theo kế hoạch của Thành ủy Yên Bái, dòng đầu tiên thuộc nhóm hội nghị "
                   "phổ biến do ai phụ trách?", aliases=assistant.index.aliases, index=assistant.index)
    assert retrieve(assistant.index, q, 5)[0].chunk.text.startswith("TT: 1; NỘI DUNG: Tổ chức hội nghị Ban Chấp hành")


def test_a_column_asked_in_other_words_is_read_from_the_row(assistant):
    from rag.grounding import asked_columns

    columns = {"chu tri": "CƠ QUAN CHỦ TRÌ", "phoi hop": "CƠ QUAN PHỐI HỢP"}
    assert asked_columns("ai chiu trach nhiem chinh va ai duoc giao ho tro", columns) == ["CƠ QUAN CHỦ TRÌ",
                                                                                            "CƠ QUAN PHỐI HỢP"]
    result = assistant.answer("Theo bảng phân công của Thành ủy Yên Bái, hội nghị toàn thể cán bộ, đảng viên ở khối cơ "
                              "quan, lực lượng vũ trang, doanh nghiệp: ai chịu trách nhiệm chính và ai được giao hỗ trợ?")
    assert not result.refused and "Thành ủy viên phụ trách" in result.answer and "Bí thư các chi" in result.answer


def test_the_plans_words_said_otherwise_cover_the_passage(assistant):
    # "bản đánh giá giữa chặng 2023 – 2025" is the plan's "sơ kết giai đoạn 2023 - 2025"
    from rag.query import understand

    q = understand("Hạn nộp bản đánh giá giữa chặng 2023 – 2025 của Thành ủy Yên Bái?", aliases=assistant.index.aliases,
                   index=assistant.index)
    assert any(plan == "giai đoạn" and "chặng" in asked for plan, asked in q.synonyms)
    first = _turn(assistant, "Trong năm 2023, các tổ chức đảng trực thuộc Thành ủy Yên Bái phải nộp bản tổng hợp kết quả "
                             "vào những mốc nào?")
    result = assistant.answer("Thế còn hạn gửi kế hoạch triển khai và hạn nộp bản đánh giá giữa chặng 2023 – 2025 thì sao?",
                              [first])
    assert not result.refused and "25/4/2023" in result.answer


@pytest.mark.parametrize("heard,meant", [("đợt sinh hoạch chính trị", "đợt sinh hoạt chính trị"),
                                         ("huyện ủi giao việc gì", "huyện ủy giao việc gì")])
def test_a_word_speech_to_text_heard_alike_is_corrected(lex, heard, meant):
    from rag.normalize import _sound_alikes

    assert "hoạt" in _sound_alikes("hoạch") and "chưởng" in _sound_alikes("trưởng")
    assert "rộng" not in _sound_alikes("động")  # "đ" is no "d"; vowels and tones are kept
    assert lex.correct("Vị trí Tổng Bí thư") == "Vị trí Tổng Bí thư"  # a word fitting its neighbour stays
    assert lex.correct(heard) == meant
    assert lex.correct("lãnh đạo phụ trách") == "lãnh đạo phụ trách"  # real corpus pairs stay


def test_signed_and_issued_on_which_day_asks_a_date_not_the_signer(assistant):
    from rag.query import asks_who_signed

    asked = "Theo hướng dẫn Thị ủy, kế hoạch triển khai của các đơn vị phải được ký ban hành trước ngày nào?"
    assert not asks_who_signed(asked) and asks_who_signed("Ai ký ban hành kế hoạch 205?")
    result = assistant.answer(asked)
    assert not result.refused and "10/5/2023" in result.answer
    assert result.citations[0].doc_id == "huong-dan-ban-tuyen-giao-thi-uy"


@pytest.mark.parametrize("described,named", [
    ("Hướng dẫn của cơ quan tuyên giáo thị xã xác định", "Hướng dẫn của Ban Tuyên giáo Thị ủy xác định"),
    ("văn bản của cấp ủy thành phố Yên Bái", "văn bản của cấp ủy thành phố Yên Bái"),  # grassroots committees too
    ("Ban Thường vụ Tỉnh đoàn", "Ban Thường vụ Tỉnh đoàn"), ("thường vụ huyện đoàn", "thường vụ huyện đoàn"),
    ("giúp thường vụ huyện tổ chức", "giúp Ban Thường vụ Huyện ủy tổ chức"),
    ("cấp ủy cơ sở", "cấp ủy cơ sở"), ("Ban Thường vụ Huyện ủy", "Ban Thường vụ Huyện ủy"),
])
def test_a_committee_described_by_its_level_is_named_as_the_documents_name_it(described, named):
    from rag.normalize import formal_bodies

    assert formal_bodies(described) == named


def test_the_propaganda_office_of_a_level_is_its_ban_tuyen_giao(assistant):
    first = _turn(assistant, "Cơ quan tuyên giáo huyện tổng hợp kết quả hằng năm gửi tới những nơi nào?")
    result = assistant.answer("Ngoài việc đó, cơ quan này còn giúp thường vụ huyện tổ chức công việc gì cho chặng 2023 – 2025?",
                              [first])
    # the Ban Tuyên giáo Huyện ủy's own part ("4. Ban Tuyên giáo Huyện ủy …"), and in it the line saying what it asks
    # anew, though the last answer quoted it for the reports: "tham mưu … tổ chức sơ kết giai đoạn 2023 – 2025"
    assert not result.refused and [c.chunk_id for c in result.citations] == ["ke-hoach-huyen-uy#12"]
    assert "tổ chức sơ kết giai đoạn 2023 – 2025" in result.answer


def test_an_off_topic_followup_typed_plain_is_a_new_question(assistant):
    before = _turn(assistant, "ke hoach 205 ai ky")
    assert assistant.answer("con thoi tiet ha noi the nao", [before]).refused


def test_the_signer_of_a_document_signed_and_issued_is_still_asked(assistant):
    from rag.query import asks_who_signed

    assert asks_who_signed("Người ký ban hành kế hoạch của MTTQ thành phố giữ cương vị gì?")


# --- stop 24: half-typed names, section numbers, a conversation's document asked about itself, counts -------

def test_a_document_named_without_diacritics_in_a_question_with_some_is_named(assistant):
    aliases = assistant.index.aliases
    assert set(aliases.match("han gui KH trien khai: bên TU yen bai vs bên thi uy")) == {
        "ke-hoach-205-thanh-uy-yen-bai", "huong-dan-ban-tuyen-giao-thi-uy"}
    assert "ke-hoach-so-khcn-dien-bien" not in aliases.match("Báo cáo sơ kết nộp khi nào?")  # "sơ" typed accented is no "Sở"


def test_a_comparison_typed_half_without_diacritics_answers_for_each_document(assistant):
    result = assistant.answer("han gui KH trien khai: bên TU yen bai vs bên thi uy")
    assert not result.refused
    assert "25/4/2023" in result.answer and "10/5/2023" in result.answer
    assert {c.doc_id for c in result.citations} == {"ke-hoach-205-thanh-uy-yen-bai", "huong-dan-ban-tuyen-giao-thi-uy"}


@pytest.mark.parametrize("typed,fixed", [
    ("bao cao hang nam", "báo cáo hằng năm"),  # "năm", a time word, witnesses "hằng"
    ("hang thang", "hằng tháng"),
    ("thang 5 nam 2023", "tháng 5 năm 2023"),
])
def test_time_words_witness_their_neighbours_spelling(lex, typed, fixed):
    assert lex.correct(typed) == fixed


@pytest.mark.parametrize("typed", ["Mục I.1 KH MTTQ thành phố nói gì", "số liệu là 2.470 tổ chức đảng"])
def test_a_point_inside_a_number_or_section_label_ends_no_clause(typed):
    from rag.normalize import strip_chatter

    assert strip_chatter(typed).core == typed


def test_a_section_number_before_a_document_kind_is_no_missing_plan(assistant):
    result = assistant.answer("Mục I.1 KH MTTQ thành phố: những đối tượng nào cần được làm cho nhận thức sâu sắc nội dung tác phẩm?")
    assert not result.refused and "cán bộ, đoàn viên, hội viên" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-mttq-thanh-pho"


@pytest.mark.parametrize("first,then,said", [
    ("KH MTTQ thành phố ai ký", "ban hành ngày nào?", "không ghi ngày ban hành"),
    ("Hướng dẫn của Ban Tuyên giáo Thị ủy mang số, ký hiệu gì", "ban hành ngày nào?", "không ghi ngày ban hành"),
    ("huong dan cua ban tuyen giao thi uy la cua thi xa nao", "tinh nao vay", "không nêu tên tỉnh"),
])
def test_a_followup_asks_the_conversations_document_what_it_lacks(assistant, first, then, said):
    result = assistant.answer(then, [_turn(assistant, first)])
    assert result.refused and said in result.answer


def test_a_followup_date_of_a_dated_document_is_its_own(assistant):
    result = assistant.answer("ban hành ngày nào?", [_turn(assistant, "KH 205 ai ký")])
    assert not result.refused and "10/4/2023" in result.answer and "04/4/2023" not in result.answer


def test_a_followup_after_a_cited_plan_is_not_asked_of_the_conversations_document(assistant):
    # the turn before asked for the plan the guidance carries out: "ban hành ngày nào" is that plan's date,
    # never "Hướng dẫn … không ghi ngày ban hành"
    first = _turn(assistant, "Hướng dẫn của Ban Tuyên giáo Thị ủy thực hiện kế hoạch số mấy của Thị ủy")
    assert "không ghi ngày ban hành" not in assistant.answer("ban hành ngày nào?", [first]).answer


def test_a_section_without_sub_sections_asked_what_it_holds_is_quoted(assistant):
    result = assistant.answer("Mục IV Hướng dẫn BTG Thị ủy gồm những gì?")
    assert not result.refused
    assert result.answer.startswith("IV. HÌNH THỨC TỔ CHỨC\n") and "sinh hoạt chi bộ hằng tháng" in result.answer
    outline = assistant.answer("Mục III kế hoạch 205 gồm những nội dung nào")  # one with sub-sections: its outline
    assert "1. Tổ chức hội nghị cấp ủy" in outline.answer and "2. Tổ chức các hoạt động" in outline.answer


def test_the_hub_stated_in_the_question_is_not_asked_for(assistant):
    result = assistant.answer("KH Huyện ủy: đầu mối tổng hợp là Ban Tuyên giáo Huyện ủy gửi báo cáo kết quả hằng năm cho "
                              "những nơi nào?")
    assert not result.refused and "Ban Thường vụ Huyện ủy, Ban Tuyên giáo Tỉnh ủy" in result.answer


@pytest.mark.parametrize("question", ["Ban Tuyên giáo Thị ủy mua và cấp phát bao nhiêu cuốn sách cho các đảng bộ?",
                                      "hoi nghi BCH dang bo thanh pho mo rong cua YB co bao nhieu dai bieu du"])
def test_a_count_the_quoted_lines_never_give_is_refused(assistant, question):
    assert assistant.answer(question).refused


@pytest.mark.parametrize("question,count", [("Hỏi đáp tổng hợp từ mấy văn bản?", "năm văn bản"),
                                            ("KH 205 có mấy bài học kinh nghiệm", "08 bài học"),
                                            ("KH so may ban hanh khi nao", "205")])  # "số mấy" counts nothing
def test_a_count_the_quoted_lines_give_is_answered(assistant, question, count):
    result = assistant.answer(question)
    assert not result.refused and count in result.answer


@pytest.mark.parametrize("question,document,said", [
    ("Văn bản nào trong số các kế hoạch nêu hình thức học tập qua mạng nội bộ TD office?",
     "Kế hoạch của Sở Khoa học và Công nghệ tỉnh Điện Biên", "TD office"),
    ("Kế hoạch nào có nhiệm vụ giới thiệu nội dung tác phẩm cho các vị chức sắc các tôn giáo?",
     "Kế hoạch của Ban Thường trực Ủy ban MTTQ Việt Nam thành phố", "chức sắc các tôn giáo"),
])
def test_which_document_says_something_is_answered_by_naming_it(assistant, question, document, said):
    result = assistant.answer(question)
    assert not result.refused and result.answer.startswith(f"{document}:\n") and said in result.answer


@pytest.mark.parametrize("question", ["KH 205 thực hiện kế hoạch nào của tỉnh ủy", "Kế hoạch số mấy của Tỉnh ủy được KH 205 căn cứ?"])
def test_a_cited_plan_asked_for_is_no_which_document_question(question):
    from rag.query import asks_which_document

    assert not asks_which_document(question)


def test_two_marked_questions_are_each_answered_when_one_answer_leaves_one_out(assistant):
    result = assistant.answer("KH 205 thanh uy ban hanh ngay nao? lam theo KH so may cua tinh uy yen bai")
    assert not result.refused and "10/4/2023" in result.answer and "126-KH/TU" in result.answer
    assert result.answer.startswith("• KH 205 thanh uy ban hanh ngay nao?\n")


def test_two_marked_questions_one_passage_answers_stay_one_answer(assistant):
    # the deadline's line also says who briefs: one quoted passage, not a second part quoting another activity's row
    result = assistant.answer("hội nghị cán bộ chủ chốt của đảng ủy xã phường phải xong trước ngày nào? ai đứng ra quán triệt")
    assert not result.refused and not result.answer.startswith("•")
    assert "30/4/2023" in result.answer and "Bí thư Đảng ủy trực tiếp quán triệt" in result.answer


@pytest.mark.parametrize("typed,fixed", [
    ("chi bo co bat buoc hoc tap trung", "chi bộ có bắt buộc học tập trung"),  # not "cơ bat bước"
    ("duoc chon hinh thuc khac", "được chọn hình thức khác"),  # not "khắc"
    ("khac phuc han che", "khắc phục hạn che"),  # … which the plans' own pair still witnesses
])
def test_yes_no_question_words_typed_plain_are_read_as_questions_say_them(lex, typed, fixed):
    assert lex.correct(typed) == fixed


def test_a_yes_no_modal_is_no_topic_the_passage_must_write(assistant):
    # "có bắt buộc … không" asks about studying together; the plans never write "bắt buộc"
    result = assistant.answer("Sở KHCN có bắt buộc cán bộ tự học không")
    assert not result.refused and "tự học" in result.answer
    assert assistant.answer("dang vien co bat buoc viet bai thu hoach sau khi hoc tac pham ko").refused  # nowhere said


def test_a_document_told_by_who_signed_it_is_asked_about_something_else(assistant):
    # "do đồng chí Phó Bí thư ký" names the document (the Huyện ủy plan, signed by its deputy secretary): the
    # question asks how long the campaign lasts, not for the signature block
    result = assistant.answer("Theo văn bản của cấp ủy huyện do đồng chí Phó Bí thư ký, đợt học tập được duy trì liên tục "
                              "cho tới thời điểm nào?")
    assert not result.refused and "tháng 11/2025" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-huyen-uy" and "Ung Văn Tám" not in result.answer
    assert "Đỗ Văn Nghị" in assistant.answer("kế hoạch 205 do ai ký").answer  # asked who signed: the signer


@pytest.mark.parametrize("question,said", [
    ("Hướng dẫn của cơ quan tuyên giáo thị xã xác định những nhóm nào là đối tượng tham gia đợt học tập?",
     "Cán bộ, đảng viên"),
])
def test_a_section_the_question_names_as_what_it_asks_answers_it(assistant, question, said):
    # the plans' "III. ĐỐI TƯỢNG" is what "những nhóm nào là đối tượng" asks, in words its lines never use
    result = assistant.answer(question)
    assert not result.refused and said in result.answer
    assert result.citations[0].heading.endswith("III. ĐỐI TƯỢNG")


# … narrowed after a review that put 322 probes to the change (the worse cases it found are these tests)

@pytest.mark.parametrize("typed,core", [("Xin chào,cho hỏi tác phẩm có bao nhiêu trang?", "tác phẩm có bao nhiêu trang?"),
                                        ("Cho hỏi.Kế hoạch 205 ban hành ngày nào?", "Kế hoạch 205 ban hành ngày nào?")])
def test_a_point_or_comma_after_a_word_still_ends_a_clause(typed, core):
    from rag.normalize import strip_chatter

    assert strip_chatter(typed).core == core


@pytest.mark.parametrize("first,then,said", [("KH huyện ủy báo cáo kết quả về đâu?", "định kỳ ngày nào?", "01/11"),
                                             ("KH sở KHCN ai ký?", "định kỳ tháng nào?", "hằng năm")])
def test_a_reports_schedule_asked_in_a_followup_is_no_document_date(assistant, first, then, said):
    result = assistant.answer(then, [_turn(assistant, first)])  # "định kỳ" is no "ký"
    assert not result.refused and said in result.answer and "không ghi ngày ban hành" not in result.answer


@pytest.mark.parametrize("question,said", [("KH huyện ủy có mấy hình thức tổ chức?", "Tại mỗi kỳ sinh hoạt"),
                                           ("Có bao nhiêu đối tượng học tập trong KH sở KHCN?", "Toàn thể đảng viên"),
                                           ("Kế hoạch 205 phải gửi mấy báo cáo?", "25/4/2023")])
def test_kinds_of_things_counted_are_answered_by_what_the_passage_lists(assistant, question, said):
    result = assistant.answer(question)
    assert not result.refused and said in result.answer


@pytest.mark.parametrize("question", ["Tài liệu nào được dùng để sinh hoạt?", "Hướng dẫn nào được MTTQ thành phố căn cứ?",
                                      "Hướng dẫn nào mà MTTQ thành phố dựa vào?"])
def test_material_used_or_a_document_cited_is_no_which_document_question(question):
    from rag.query import asks_which_document

    assert not asks_which_document(question)


@pytest.mark.parametrize("question,item", [("Ban Tuyên giáo Thị ủy tham mưu mấy việc? việc thứ 2 là gì?", "(2) Phổ biến tài liệu"),
                                           ("Có mấy vấn đề cần lưu ý? vấn đề thứ nhất là gì?", "05 vấn đề")])
def test_a_list_item_asked_after_its_count_stays_one_answer(assistant, question, item):
    result = assistant.answer(question)
    assert not result.refused and item in result.answer and "Tham nhũng là một trong" not in result.answer


def test_a_yes_no_modal_of_no_named_document_is_still_a_topic(assistant):
    assert assistant.answer("co bat buoc hoc tap trung khong").refused  # "tập trung vào" is no studying together


# --- stop 25: swapped plan numbers, months, links, context heads, ordinal and 'bên' follow-ups ---------

@pytest.mark.parametrize("question,typed,read,expected", [
    ("Kế hoạch 250 của Thành ủy Yên Bái ban hành ngày nào?", "Kế hoạch 250", "Kế hoạch 205", "10/4/2023"),
    ("Ban Tuyên giáo Thị ủy tham mưu cho Ban Chỉ đạo 53 của thị xã làm gì?", "Ban Chỉ đạo 53", "Ban Chỉ đạo 35",
     "đấu tranh, phản bác"),
])
def test_a_plan_number_with_two_digits_swapped_is_read_as_the_corpus_number_and_said_so(assistant, question, typed,
                                                                                        read, expected):
    result = assistant.answer(question)
    assert not result.refused
    first_line, rest = result.answer.split("\n", 1)
    assert typed in first_line and read in first_line  # said before the quoted answer
    assert expected in rest


def test_a_number_no_swap_makes_known_stays_a_near_miss(assistant):
    result = assistant.answer("Kế hoạch 315 của Thành ủy Yên Bái ban hành ngày nào?")
    assert result.refused and "Kế hoạch 315" in result.answer


def test_a_month_before_a_time_phrase_is_no_count_the_corpus_lacks(assistant):
    # "tháng 12 hằng năm": the corpus's "tháng 11 hằng năm" dates a report; 12 counts nothing
    result = assistant.answer("Thị ủy yêu cầu báo cáo kết quả thực hiện vào tháng 12 hằng năm hả?")
    assert not result.refused and "tháng 11 hằng năm" in result.answer


def test_a_count_the_corpus_lacks_is_still_a_near_miss(assistant):
    result = assistant.answer("hội nghị 1000 đại biểu tổ chức ở đâu")
    assert result.refused and "1000 đại biểu" in result.answer


@pytest.mark.parametrize("question", [
    "Theo Kế hoạch của Huyện ủy, đợt sinh hoạt về tác phẩm được gắn với đợt sinh hoạt chính trị có chủ đề gì ạ?",
    "Văn bản của Huyện ủy yêu cầu lồng ghép việc học tập cuốn sách với một đợt học tập chính trị khác mang chủ đề gì",
])
def test_asked_what_a_plan_is_linked_to_the_passage_saying_the_link_answers(assistant, question):
    # not the section "1. Chủ đề sinh hoạt chính trị", which names the plan's own theme: the link verb weighs double
    result = assistant.answer(question)
    assert not result.refused and "Giữ trọn" in result.answer


def test_a_body_the_asker_belongs_to_replaces_no_syllable_of_another_word(assistant):
    # "Hội Cựu chiến binh": its head "Hội" is no "hội" of "chính trị - xã hội"
    result = assistant.answer("Em công tác ở Hội Cựu chiến binh huyện. Theo Kế hoạch của Huyện ủy, Mặt trận và các tổ chức "
                              "chính trị - xã hội huyện tăng cường tuyên truyền để đoàn viên, hội viên và Nhân dân làm gì?")
    assert not result.refused and "tham gia giám sát" in result.answer


def test_a_quote_asked_for_in_the_first_person_is_the_question(assistant):
    result = assistant.answer("Em cần trích ý thứ ba trong phần Yêu cầu của Kế hoạch Sở KH&CN Điện Biên. Ý đó nói gì ạ?")
    assert not result.refused and "bệnh hình thức" in result.answer


def test_the_next_item_asked_after_an_item_comes_from_the_same_list(assistant):
    first = 'Trong nhiệm vụ của Ban Tuyên giáo Thị ủy có gạch đầu dòng "Tham mưu thực hiện" gồm 4 việc đánh số. Việc thứ ba là gì ạ?'
    result = assistant.answer("Còn việc thứ tư là gì?", [_turn(assistant, first)])
    assert not result.refused and "định hướng nội dung tuyên truyền" in result.answer


def test_whose_side_is_asked_in_a_follow_up_continues_the_topic(assistant):
    result = assistant.answer("thế còn bên huyện ủy", [_turn(assistant, "sở khcn điện biên báo cáo kết quả thế nào")])
    assert not result.refused and result.citations[0].doc_id == "ke-hoach-huyen-uy"


def test_a_part_named_by_its_ordinal_after_another_part_is_that_part(assistant):
    # "Phần thứ ba" is a name: no item of the list the last answer quoted
    result = assistant.answer("con phan thu ba tuyen chon bao nhieu y kien", [_turn(assistant, "phan thu hai gom nhung gi")])
    assert not result.refused and "96" in result.answer


def test_a_plan_described_by_the_campaign_is_asked_about_itself(assistant):
    # "… về học tập tác phẩm": every plan's own subject, not a plan it cites (whose number it would quote)
    result = assistant.answer("Kế hoạch của Ban Thường trực Ủy ban MTTQ thành phố về học tập tác phẩm mang số mấy?")
    assert result.refused and "không ghi số hiệu" in result.answer


# --- stop 26: voice messages (speech-to-text slips, spoken forms), verification questions, comparisons -----

@pytest.mark.parametrize("heard,meant", [
    ("kế hoạch của huyện y về", "kế hoạch của huyện ủy về"),  # "ủy" heard without its glide
    ("hướng dẫn của thị y thì", "hướng dẫn của thị ủy thì"),
    ("tổ chức chống tham những", "tổ chức chống tham nhũng"),  # a function word misheard for a compound's half
])
def test_speech_to_text_slips_are_read_as_the_corpus_words(lex, heard, meant):
    assert lex.correct(heard) == meant


@pytest.mark.parametrize("typed", ["có quan hệ gì", "những người nào phải học", "để ra quyết định"])
def test_a_function_word_that_ends_no_compound_is_kept(lex, typed):
    assert lex.correct(typed) == typed  # ("có quan" is no "cơ quan": "có" is no compound's second half)


@pytest.mark.parametrize("said,written", [
    ("có link để đọc hông", "có link để đọc không"), ("ổng giữ chức gì", "ông ấy giữ chức gì"),
    ("tổ chức vô lúc nào", "tổ chức vào lúc nào"), ("vô cùng quan trọng", "vô cùng quan trọng"),
    ("hết nhiêu tiền", "hết bao nhiêu tiền"), ("bao nhiêu người", "bao nhiêu người"), ("bấy nhiêu người", "bấy nhiêu người"),
    ("làm gì dzậy", "làm gì vậy"),
    # a spoken plural is no count where the message asks something else; "mấy" asking stays
    ("mặt trận với mấy đoàn thể được giao làm gì", "mặt trận với các đoàn thể được giao làm gì"),
    ("thực hiện theo mấy văn bản nào", "thực hiện theo các văn bản nào"), ("phối hợp với mấy đơn vị", "phối hợp với mấy đơn vị"),
    ("thì số mấy ngày nào", "thì số mấy ngày nào"), ("có tới mấy chục người, được cấp bao nhiêu", "có tới mấy chục người, được cấp bao nhiêu"),
    # the asking clause of a message without punctuation starts a sentence; "cho em hỏi" asks already
    ("hôm qua chi bộ tôi họp thì tôi muốn hỏi là ai ký", "hôm qua chi bộ tôi họp. tôi muốn hỏi là ai ký"),
    ("Cho em hỏi kế hoạch 205 ai ký ạ", "Cho em hỏi kế hoạch 205 ai ký ạ"),
])
def test_spoken_forms_are_written_as_the_documents_would(said, written):
    from rag.spoken import spoken_words

    assert spoken_words(said) == written


def test_a_voice_message_telling_a_story_first_is_answered_about_the_plan_it_told_of(assistant):
    result = assistant.answer("con gái tôi làm bên mặt trận nó nói mặt trận thành phố có ra kế hoạch học cuốn sách của "
                              "tổng bí thư tôi hỏi là kế hoạch đó thực hiện theo mấy văn bản nào")
    assert not result.refused and "600/KH-MTTQ-BTT" in result.answer and "182-KH/TU" in result.answer


def test_a_signer_asked_of_a_plan_described_by_the_book_is_its_signature(assistant):
    # "… về học tác phẩm chống tham nhũng" says which plan: the signature block need not hold those words
    result = assistant.answer("ông nào ký cái kế hoạch của huyện y về học tác phẩm chống tham những dzậy")
    assert not result.refused and "Ung Văn Tám" in result.answer


def test_a_count_the_documents_give_otherwise_is_answered_with_a_warning(assistant):
    result = assistant.answer("Đợt sinh hoạt chính trị cho 300 cán bộ chủ chốt thành phố Yên Bái tổ chức vào thời gian nào?")
    assert not result.refused
    first_line, rest = result.answer.split("\n", 1)
    assert first_line.startswith("Lưu ý") and "300 cán bộ" in first_line
    assert "500 đại biểu" in rest and "Quý II" in rest


def test_a_count_the_documents_never_give_for_anything_is_still_a_near_miss(assistant):
    # the lines found count nobody: no event of another size the asker misremembered
    result = assistant.answer("300 cán bộ của Sở Khoa học và Công nghệ học tác phẩm vào ngày nào?")
    assert result.refused and result.answer.startswith("Tài liệu không nói đến 300 cán bộ")


@pytest.mark.parametrize("question,expected", [
    ("hội nghị 500 đại biểu làm trong quý ba phải hông", "Quý II/2023"),  # "hông": a spoken "không"
    ("phần thứ nhất từ trang 11 tới trang 206 đúng hông", "trang 11 đến 206"),
])
def test_a_spoken_claim_is_checked_against_the_documents(assistant, question, expected):
    result = assistant.answer(question)
    assert not result.refused and expected in result.answer


def test_the_medium_of_a_link_is_no_detail_asked(assistant):
    result = assistant.answer("kế hoạch Yên Bái có cho cái link sách điện tử để đọc trên điện thoại hông")
    assert not result.refused and "stbook.vn" in result.answer
    asked = assistant.answer("Số điện thoại của Ban Tuyên giáo Thị ủy là bao nhiêu?")
    assert asked.refused and "số điện thoại" in asked.answer
    sent = assistant.answer("Thành ủy có yêu cầu gửi báo cáo qua email không?")  # a channel asked about, no device
    assert sent.refused and "email" in sent.answer


def test_a_comparison_said_by_voice_names_both_documents(assistant):
    result = assistant.answer("bên huyện y với bên thị y thì báo cáo kết quả hằng năm hạn khi nào mỗi bên")
    assert not result.refused
    assert {c.doc_id for c in result.citations} == {"ke-hoach-huyen-uy", "huong-dan-ban-tuyen-giao-thi-uy"}
    assert "01/11" in result.answer and "tháng 11" in result.answer


def test_which_side_is_earlier_asks_each_document_when(assistant):
    from rag.compare import question_for

    question = "Giữa Thành ủy Yên Bái và Ban Tuyên giáo Thị ủy, bên nào yêu cầu cấp dưới hoàn thành kế hoạch triển khai sớm hơn?"
    asked = question_for(question, assistant.index.aliases, "huong-dan-ban-tuyen-giao-thi-uy")
    assert asked == "Ban Tuyên giáo Thị ủy, yêu cầu cấp dưới hoàn thành kế hoạch triển khai khi nào?"
    asked = question_for(question, assistant.index.aliases, "ke-hoach-205-thanh-uy-yen-bai")
    assert asked == "Thành ủy Yên Bái, yêu cầu cấp dưới hoàn thành kế hoạch triển khai khi nào?"


def test_a_claim_heard_from_someone_is_checked_against_the_documents(assistant):
    from rag.normalize import claim_question

    question = ("Theo tôi biết, Phần thứ nhất của tác phẩm, như Hướng dẫn của Thị ủy tóm tắt, trải từ trang 11 đến "
                "trang 260, đúng không?")
    assert claim_question(question).startswith("Phần thứ nhất") and "trang mấy đến trang mấy" in claim_question(question)
    result = assistant.answer(question)  # ("như … tóm tắt" is how the guidance put it, no topic)
    assert not result.refused and "trang 11 đến 206" in result.answer


def test_n_out_of_a_total_counts_what_is_asked(assistant):
    result = assistant.answer("Có phải Phần thứ ba của tác phẩm tuyển chọn 69 ý kiến tiêu biểu như Hướng dẫn của Thị ủy "
                              "tóm tắt không?")
    assert not result.refused and "tuyển chọn 96 trên tổng số" in result.answer


def test_the_date_of_a_document_among_those_the_last_answer_cited(assistant):
    first = "Kế hoạch của Ban Thường trực Ủy ban MTTQ thành phố căn cứ vào những văn bản nào của cấp trên?"
    result = assistant.answer("Kế hoạch của Ban Thường vụ Thành ủy trong số đó ban hành ngày nào?", [_turn(assistant, first)])
    assert not result.refused and "20/4/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-mttq-thanh-pho"  # not the corpus's own plan of the Thành ủy


def test_who_is_in_charge_in_an_assignment_table_is_its_leader_and_its_lead_body(assistant):
    result = assistant.answer("trong phụ lục Yên Bái ai phụ trách chỉ đạo sáng tác biểu diễn văn hóa nghệ thuật")
    assert not result.refused and "LÃNH ĐẠO PHỤ TRÁCH: Đ/c Tạ Ngọc Hoa" in result.answer
    assert "CƠ QUAN CHỦ TRÌ: Trung tâm Truyền thông" in result.answer  # "ai phụ trách" is as often the body in charge


def test_a_table_question_naming_only_columns_continues_with_the_last_answers_row(assistant):
    first = "thành ủy Yên Bái tổ chức hội nghị ban chấp hành đảng bộ thành phố mở rộng vô lúc nào ai làm báo cáo viên"
    result = assistant.answer("trong cái bảng phụ lục thì hạn hoàn thành là ngày mấy ai là lãnh đạo phụ trách",
                              [_turn(assistant, first)])
    assert not result.refused and "Ban Chấp hành Đảng bộ thành phố (Mở rộng)" in result.answer and "13/4" in result.answer


def test_a_part_named_in_a_follow_up_is_read_where_that_part_is(assistant):
    # "trong đó" points at the book the last answer described; "Phần thứ nhất" is a passage of its own
    first = "Theo tôi biết, kế hoạch của Sở KH&CN giới thiệu tác phẩm dày 500 trang với 120 bức ảnh, đúng không?"
    result = assistant.answer("Phần thứ nhất trong đó gồm những loại bài nào?", [_turn(assistant, first)])
    assert not result.refused and "01 bài viết tổng quan" in result.answer


def test_a_plan_of_an_issuer_the_corpus_lacks_is_the_one_the_last_answer_cited(assistant):
    result = assistant.answer("KH cua tinh uy thi so may", [_turn(assistant, "so KHCN dien bien trien khai theo CV nao cua UBND tinh")])
    assert not result.refused and "88-KH/TU" in result.answer


def test_a_short_document_number_is_a_topic_not_a_count(assistant):
    from rag.query import topic_terms

    assert "96" in topic_terms("kế hoạch 96 ngày mấy", folded=False)
    assert "4" not in topic_terms("mục tiêu 4 không", folded=False)  # a count stays a pair with what it counts
    result = assistant.answer("KH 96 cua huyen uy ngay may")
    assert not result.refused and "02/02/2023" in result.answer


def test_both_spellings_of_every_year_match(assistant):
    from rag.query import paraphrase_synonyms

    assert ("hàng năm", ["hằng", "năm", "hằng năm"]) in paraphrase_synonyms(["hằng", "năm", "hằng năm"], folded=False)


def test_the_parts_asked_after_thi_are_the_books(assistant):
    from rag.sections import asks_document_outline

    assert asks_document_outline("theo kế hoạch sở khoa học Điện Biên thì cuốn sách chia mấy phần") is False
    assert asks_document_outline("kế hoạch sở khoa học Điện Biên chia mấy phần") is True


def test_the_towns_level_in_office_shorthand_is_the_town(assistant):
    from rag.normalize import formal_bodies

    assert formal_bodies("mặt trận các đoàn thể cấp thị được giao gì") == "mặt trận các đoàn thể cấp thị xã được giao gì"
    assert formal_bodies("thị trấn và thị ủy") == "thị trấn và thị ủy"


def test_a_total_asked_before_its_question_word_is_a_count_not_given(assistant):
    from rag.query import counted_noun

    question = ("Theo Hướng dẫn của Ban Tuyên giáo Thị ủy, tổng số cuốn sách được mua để cấp phát cho các đảng bộ, chi "
                "bộ cơ sở là bao nhiêu?")
    assert counted_noun(question) == "cuon"
    assert assistant.answer(question).refused  # the guidance buys books; it gives no number of them


# --- stop 27: office English, long conversations, bodies at another level ---------------------------------------

@pytest.mark.parametrize("typed,read", [
    ("deadline nộp report của KH 205 là khi nào", "hạn nộp báo cáo của KH 205 là khi nào"),
    ("ai in charge vụ tổ chức hội nghị", "ai phụ trách vụ tổ chức hội nghị"),
    ("ok thế ai sign?", "thế ai ký?"),
    ("target bao nhiêu người tham gia", "bao nhiêu người tham gia"),
    ("meeting quán triệt online hay offline", "hội nghị quán triệt trực tuyến hay offline"),  # (offline: see LOANWORDS)
    ("cac tasks trong thang 4", "cac nhiệm vụ trong thang 4"),
])
def test_english_office_words_are_read_as_vietnamese(typed, read):
    from rag.loanwords import read_loanwords

    assert read_loanwords(typed) == read


def test_an_english_word_the_corpus_writes_is_left_as_typed(lex):
    from rag.loanwords import read_loanwords

    assert read_loanwords("Link sách điện tử ở đâu", lex.folded_words) == "Link sách điện tử ở đâu"
    assert read_loanwords("ebook ở đâu", lex.folded_words) == "sách điện tử ở đâu"


def test_a_question_in_office_english_is_answered(assistant):
    result = assistant.answer("file KH 205 ai sign vậy?")
    assert not result.refused and "Đỗ Văn Nghị" in result.answer
    result = assistant.answer("deadline nộp report về Thành ủy theo KH 205 là khi nào?")
    assert not result.refused and "25/4/2023" in result.answer


@pytest.mark.parametrize("question,asks", [
    ("Thành ủy Yên Bái ban hành KH 205 ngày nào?", True),
    ("thế KH của Huyện ủy về tác phẩm thì ký ban hành ngày mấy?", True),
    ("Ban Tuyên giáo Thị ủy ban hành hướng dẫn này vào ngày nào?", True),
    ("các chi bộ ban hành kế hoạch triển khai trước ngày nào?", False),  # a deadline of the lower levels
    ("Đảng ủy xã ban hành kế hoạch khi nào?", False),
    ("Hạn ban hành kế hoạch triển khai là ngày nào", False),
    ("kế hoạch 205 yêu cầu ban hành kế hoạch khi nào", False),
])
def test_an_issue_date_asked_with_the_issuer_first(question, asks):
    from rag.grounding import asks_issue_date

    assert asks_issue_date(question) is asks


def test_the_issuer_first_issue_date_is_the_documents_own(assistant):
    result = assistant.answer("Thành ủy Yên Bái ban hành KH 205 ngày nào?")
    assert not result.refused and "10/4/2023" in result.answer and "04/4/2023" not in result.answer
    undated = assistant.answer("Ban Thường vụ Huyện ủy ban hành kế hoạch ngày nào?")
    assert undated.refused and "không ghi ngày ban hành" in undated.answer


def test_through_whom_a_report_goes_is_asked_of_the_conversations_plan(assistant):
    # "nộp" is a question's word, not one the corpus lacks (which would start a new subject), and "qua ai" asks a
    # body: the date the turn before asked is not wanted again
    first = _turn(assistant, "deadline cấp ủy cơ sở nộp báo cáo lên huyện là ngày mấy?")
    result = assistant.answer("nộp qua ai?", [first])
    assert not result.refused and "Ban Tuyên giáo Huyện ủy" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-huyen-uy"


def test_an_ambiguous_abbreviation_follows_the_conversations_plan(assistant):
    first = _turn(assistant, "Sở KH&CN Điện Biên tổ chức học tập tác phẩm bằng những hình thức nào?")
    second = _turn(assistant, "chế độ báo cáo thế nào", [first])
    result = assistant.answer("ai là đầu mối tổng hợp báo cáo gửi BTG TU", [first, second])
    assert not result.refused and "Ban Chấp hành Đảng bộ Sở" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-so-khcn-dien-bien"


def test_a_body_at_another_level_is_no_document_of_its_own(assistant):
    from rag.grounding import bodies_of_another_level

    docs = assistant.index.manifest.documents
    both = {"ke-hoach-mttq-thanh-pho": ["mttq"], "huong-dan-ban-tuyen-giao-thi-uy": ["thi xa"]}
    assert bodies_of_another_level("MTTQ và đoàn thể cấp thị hướng chủ yếu tới đối tượng nào", both, docs) == \
        ["ke-hoach-mttq-thanh-pho"]
    two_plans = {"ke-hoach-huyen-uy": ["huyen uy"], "ke-hoach-mttq-thanh-pho": ["mttq"]}
    assert bodies_of_another_level("KH huyện ủy với KH MTTQ thành phố ai ký", two_plans, docs) == []
    result = assistant.answer("ủy ban mặt trận với mấy đoàn thể cấp thị được giao làm gì")
    assert not result.refused and {c.doc_id for c in result.citations} == {"huong-dan-ban-tuyen-giao-thi-uy"}
    assert "thế hệ trẻ" in result.answer and "bồi đắp lý tưởng" in result.answer  # all of its tasks


def test_the_issuer_of_a_cited_plan_does_not_name_its_own_plan(assistant):
    result = assistant.answer("KH 182 của Thành ủy ban hành ngày nào?")
    assert not result.refused and "20/4/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-mttq-thanh-pho"


def test_what_the_corpus_lacks_in_an_either_ors_second_choice_does_not_refuse(assistant):
    result = assistant.answer("theo KH huyện thì sinh hoạt ở đâu, ở chi bộ hay phải lên hội trường huyện?")
    assert not result.refused and "Sinh hoạt tại chi bộ" in result.answer
    assert assistant.answer("hội nghị tổ chức ở hội trường nào?").refused


@pytest.mark.parametrize("question,named", [
    ("Đồng chí Ung Văn Tám, người ký văn bản bên Huyện ủy, năm nay bao nhiêu tuổi?", "tuổi"),
    ("Tỉnh đoàn Yên Bái có kế hoạch riêng; hạn nộp báo cáo của Tỉnh đoàn là khi nào?", "Tỉnh đoàn"),
])
def test_an_age_or_a_youth_union_committee_is_a_near_miss(assistant, question, named):
    result = assistant.answer(question)
    assert result.refused and named in result.answer


def test_a_reporter_asked_after_a_table_row_is_found_in_the_body_text(assistant):
    # the row names the leader, the lead body and the deadline, never a reporter: "hội nghị này" then points at the
    # conference, whose body-text passage names "Báo cáo viên"
    first = _turn(assistant, "Theo KH 205 của Thành ủy Yên Bái, hội nghị BCH Đảng bộ thành phố (mở rộng) tổ chức khi nào?")
    second = _turn(assistant, "theo phụ lục thì lãnh đạo phụ trách hội nghị đó là ai", [first])
    result = assistant.answer("báo cáo viên hội nghị này là ai", [first, second])
    assert not result.refused and "Báo cáo viên: Thường trực Thành ủy" in result.answer


def test_the_bare_so_names_the_one_departments_plan(assistant):
    aliases = assistant.index.aliases
    assert list(aliases.match("còn bên Sở thì sao")) == ["ke-hoach-so-khcn-dien-bien"]
    assert aliases.match("cấp ủy cơ sở báo cáo về đâu") == {}  # "cơ sở", the grassroots
    assert aliases.match("từng người trong Sở phải làm gì") == {}  # the people of the Sở, not its plan
    assert aliases.match("còn bên Sở Nội vụ thì sao") == {}  # another department
    first = _turn(assistant, "Kế hoạch 205 do ai ký?")
    result = assistant.answer("còn bên Sở thì sao", [first])
    assert not result.refused and "Vũ Xuân Linh" in result.answer


def test_a_correction_asks_the_last_question_of_the_plan_it_names(assistant):
    from rag.conversation import as_correction

    assert as_correction("à nhầm, ý tôi là của Thành ủy") == "còn của Thành ủy thì sao?"
    assert as_correction("nhầm lẫn trong báo cáo thì sao") == "nhầm lẫn trong báo cáo thì sao"
    first = _turn(assistant, "Thị ủy yêu cầu ban hành kế hoạch triển khai trước ngày nào?")
    result = assistant.answer("à nhầm, ý tôi là của Thành ủy", [first])
    assert not result.refused and "25/4/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"


# --- stop 28: a list's item by its place, what is due in a month ---------------------------------------------------

@pytest.mark.parametrize("question,item,total,chunk", [
    ("Nơi nhận cuối cùng của kế hoạch 205 là gì?", "Lưu VT/BTGTU", 10, "ke-hoach-205-thanh-uy-yen-bai#43"),
    ("noi nhan cuoi cung cua KH so KHCN", "Lưu: VT, TTra", 8, "ke-hoach-so-khcn-dien-bien#15"),
    ("nơi nhận thứ hai của KH huyện ủy", "Ban Tuyên giáo Tỉnh ủy", 10, "ke-hoach-huyen-uy#13"),
    # the list runs over three passages, one "- …" each: the second item is the second passage's
    ("ý thứ hai trong phần mục đích của KH 205 là gì", "Tạo sự thống nhất về nhận thức", 3, "ke-hoach-205-thanh-uy-yen-bai#2"),
    # "phần yêu cầu" names the section, though "1. Mục đích" ranks first on the words they share
    ("ý cuối của phần yêu cầu kh 205", "Hình thức tổ chức phong phú", 2, "ke-hoach-205-thanh-uy-yen-bai#4"),
    # numbered sub-sections ("1. …", "2. …", "3. …" under "I. MỤC ĐÍCH, YÊU CẦU") are the items
    ("yêu cầu thứ nhất của KH huyện ủy", "Thông qua triển khai đợt sinh hoạt", 3, "ke-hoach-huyen-uy#1"),
])
def test_a_lists_item_is_found_by_its_place(assistant, question, item, total, chunk):
    result = assistant.answer(question)
    assert not result.refused
    assert item in result.answer and f"(trong {total} mục)" in result.answer
    assert result.citations[0].chunk_id == chunk
    quoted = result.answer.split("\n", 1)[1]  # only that item, not its neighbours
    assert quoted.count("\n- ") == 0 and len(quoted) < 700
    _quoted_parts_are_verbatim(assistant, result)


def test_a_place_beyond_the_list_is_said_so(assistant):
    result = assistant.answer("nơi nhận thứ 12 của KH huyện ủy")
    assert result.refused and "chỉ có 10 mục" in result.answer


def test_last_needs_a_lists_item_before_it():
    from rag.grounding import list_position, ordinal
    from rag.positions import LAST

    assert ordinal("nơi nhận cuối cùng là ai") == LAST and list_position("gạch đầu dòng cuối") == LAST
    assert ordinal("hạn cuối cùng nộp báo cáo") is None  # the final deadline, not a list's last item
    assert ordinal("hoạt động cuối năm là gì") is None
    assert list_position("Hội nghị lần thứ 4 Ban Chấp hành Trung ương") is None  # an ordinal naming, no list's place
    assert list_position("đợt cao điểm đầu tiên vào dịp nào") is None  # a peak, no list's "điểm"
    assert list_position("mục thứ hai là gì") is None  # alone, a section of the plan (rag.sections)
    assert list_position("mục thứ hai phần tổ chức thực hiện") == 2


def test_a_bare_place_continues_the_list_the_last_answer_quoted(assistant):
    from rag.query import bare_position

    assert bare_position("ý thứ hai là gì?") and bare_position("còn ý cuối?") and bare_position("ý tiếp theo thì sao")
    assert not bare_position("ý thứ hai của mục đích kế hoạch 205 là gì")
    first = _turn(assistant, "mục đích của KH 205 là gì")
    second = assistant.answer("ý thứ hai là gì?", [first])
    assert not second.refused and "Tạo sự thống nhất về nhận thức" in second.answer
    last = assistant.answer("còn ý cuối?", [first])
    assert not last.refused and "Nâng cao ý thức, trách nhiệm" in last.answer and "(trong 3 mục)" in last.answer
    asked = _turn(assistant, "ý thứ hai của mục đích KH 205 là gì")
    following = assistant.answer("ý tiếp theo thì sao", [first, asked])
    assert "mục thứ 3" in following.answer and "Nâng cao ý thức" in following.answer


def test_a_months_steps_are_gathered_from_every_passage_of_the_plan(assistant):
    result = assistant.answer("tháng 4/2023 theo KH 205 có những việc gì phải làm")
    assert not result.refused
    for step in ("Ban Chấp hành Đảng bộ thành phố (mở rộng)", "Hội thảo do tỉnh tổ chức", "25/4/2023", "30/4/2023"):
        assert step in result.answer
    assert "10/5/2023" not in result.answer  # May's step
    assert "04/4/2023" not in result.answer  # the date of plan 126, which plan 205 carries out: no step
    chunks = [c.chunk_id for c in result.citations]
    assert len(chunks) == len(set(chunks)) >= 4 and all(c.startswith("ke-hoach-205") for c in chunks)
    # the appendix row of the conference the body already lists is not quoted again
    assert not any(c.passage.startswith("TT: 1; NỘI DUNG: Tổ chức hội nghị Ban Chấp hành") for c in result.citations)
    _quoted_parts_are_verbatim(assistant, result)


def test_a_date_late_in_a_long_paragraph_is_quoted_with_the_paragraphs_opening(assistant):
    result = assistant.answer("thang 5 co nhung viec gi theo ke hoach huyen uy")
    assert not result.refused and "(19/5)" in result.answer and "Đợt sinh hoạt chính trị này" in result.answer


def test_a_quarter_and_a_plans_issue_line(assistant):
    from rag.timeline import asked_period

    q2 = asked_period("quý II phải làm gì theo KH 205")
    assert q2 is not None and q2.months == {4, 5, 6}
    assert asked_period("hội nghị tổ chức vào tháng 4 đúng không") is None  # checks one step
    day = asked_period("ngày 30/4 là hạn của kế hoạch nào")  # one day, looked for in every plan
    assert day is not None and day.day == 30 and day.months == {4}
    result = assistant.answer("quý II/2023 có những việc gì theo KH 205")
    assert "Quý II/2023" in result.answer and "500 đại biểu" in result.answer
    everything = assistant.answer("tháng 4 có những hoạt động nào")
    assert "ngày tháng 4 năm 2023" not in everything.answer  # "Điện Biên, ngày … tháng 4 năm 2023": when issued


def test_a_lists_items_are_counted(assistant):
    result = assistant.answer("KH huyện ủy có mấy nơi nhận")
    assert not result.refused and result.answer.startswith("Nơi nhận có 10 mục:")
    assert "10. Lưu Văn phòng Huyện ủy" in result.answer and "1. Ban Thường vụ Tỉnh ủy" in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_a_numbered_place_inside_a_named_part(assistant):
    from rag.grounding import list_position

    assert list_position("dong so 4 phan I bang phu luc") == 4 and list_position("y 1 cua muc dich") == 1
    assert list_position("mục 6 có nội dung gì") is None  # a bare "mục 6" is the plan's section VI (rag.sections)
    result = assistant.answer("muc 6 phan to chuc thuc hien HD Thi uy la co quan nao, lam gi")
    assert not result.refused and "6. Trung tâm Chính trị thị xã" in result.answer and "(trong 7 mục)" in result.answer
    last = assistant.answer("HD Thi uy muc VII to chuc thuc hien co may co quan duoc phan cong, muc cuoi la ai")
    assert not last.refused and "7. Các Đảng bộ, chi bộ trực thuộc Thị ủy" in last.answer


def test_a_day_is_looked_for_in_every_plan(assistant):
    result = assistant.answer("ngay 10/5/2023 la moc cua nhung van ban nao, moi ben yeu cau gi")
    assert not result.refused
    assert {c.doc_id for c in result.citations} == {"huong-dan-ban-tuyen-giao-thi-uy", "ke-hoach-205-thanh-uy-yen-bai"}
    assert result.answer.count("10/5/2023") >= 2


def test_a_months_follow_up_asks_the_same_of_another_month(assistant):
    first = _turn(assistant, "thang 5/2023 theo KH 205 co nhung viec gi phai lam")
    result = assistant.answer("thang 6 thi sao?", [first])
    assert not result.refused and "Trong tháng 6" in result.answer and "15/6/2023" in result.answer


def test_the_books_parts_listed_after_other_asks_are_not_the_plans_outline():
    from rag.sections import asks_document_outline

    assert asks_document_outline("KH So KHCN noi tac pham day bao nhieu trang, bao nhieu anh, chia may phan") is False
    assert asks_document_outline("kế hoạch 205 gồm mấy phần") is True


def test_the_first_and_the_last_of_one_list(assistant):
    result = assistant.answer("noi nhan dau tien va cuoi cung cua KH So KHCN")
    assert not result.refused and "mục thứ 1 và thứ 8" in result.answer
    assert "UBND tỉnh (b/c)" in result.answer and "Lưu: VT, TTra" in result.answer
    _quoted_parts_are_verbatim(assistant, result)


def test_a_tables_last_row_and_its_count(assistant):
    result = assistant.answer("phan I trong bang phu luc KH 205 co may dong, dong cuoi la viec gi")
    assert not result.refused and "(trong 6 mục)" in result.answer
    assert "Duy trì thường xuyên trong sinh hoạt cấp ủy" in result.answer


def test_a_month_in_which_a_named_plan_sends_no_report_is_said_so(assistant):
    result = assistant.answer("theo KH HU, thang 5/2023 co so phai nop bao cao gi len Huyen uy?")
    assert result.refused and "tháng 5/2023" in result.answer
    due = assistant.answer("tháng 11 phải nộp báo cáo gì theo KH huyện ủy")
    assert not due.refused and "01/11" in due.answer
    assert assistant.answer("tháng 8/2023 KH 205 có việc gì").refused  # nothing dated in August


def test_a_place_typed_without_diacritics(assistant):
    from rag.grounding import ordinal

    assert ordinal("gia tri thu 4 cua tac pham") == 4 and ordinal("theo thu tu nao") is None  # "thứ tự": order
    result = assistant.answer("gia tri thu 4 cua tac pham theo KH So KHCN la gi")
    assert not result.refused and result.answer.startswith("1.2. Giá trị của tác phẩm:\n(4) Tác phẩm cho thấy sự nhất quán")


def test_who_signed_and_when_are_both_answered(assistant):
    # the signature block says who signed only: the date is another passage's
    result = assistant.answer("KH 205 ai ký, ký ngày nào?")
    assert not result.refused and "Đỗ Văn Nghị" in result.answer and "10/4/2023" in result.answer


def test_a_rows_blank_columns_are_said_blank(assistant):
    result = assistant.answer("phu luc KH 205, dong 'Xay dung phong su, tin, bai' thi lanh dao nao phu trach va co quan nao chu tri?")
    assert result.refused and "Bảng không ghi lãnh đạo phụ trách và cơ quan chủ trì" in result.answer
    filled = assistant.answer("Phụ lục KH 205, hội nghị BCH mở rộng do lãnh đạo nào phụ trách")
    assert not filled.refused and "Đỗ Đức Minh" in filled.answer


def test_a_plain_typed_attribute_beside_a_spelled_out_abbreviation(assistant):
    # "TU Yen Bai" is spelled out with diacritics ("Thành ủy Yên Bái"); "kinh phi" stays as typed
    result = assistant.answer("kinh phi to chuc dot sinh hoat 500 dai bieu cua TU Yen Bai lay tu nguon nao, bao nhieu?")
    assert result.refused and "kinh phi" in result.answer.lower()


def test_the_askers_own_tally_is_no_count_claim(assistant):
    result = assistant.answer("trong 3 van ban ma KH MTTQ can cu, van ban nao ban hanh som nhat")
    assert not result.refused and "600/KH-MTTQ-BTT" in result.answer


def test_a_bare_number_after_a_place_question_is_a_place_of_the_same_list(assistant):
    first = _turn(assistant, "HD Thi uy muc VII to chuc thuc hien co may co quan duoc phan cong, muc cuoi la ai")
    result = assistant.answer("the muc 8 giao cho co quan nao?", [first])
    assert result.refused and "chỉ có 7 mục" in result.answer


def test_a_side_word_restored_wrong_still_continues_the_conversation(assistant):
    from rag.query import understand

    state = assistant.conversation([_turn(assistant, "KH cua huyen uy ai ky?")])
    query = understand("the con ben MTTQ thanh pho?", aliases=assistant.index.aliases, index=assistant.index, state=state)
    assert query.followup and query.asks_signer and "bền" not in query.normalized


# --- stop 29: two plans compared in one message, conversations that stay on their plan, cited documents --------

@pytest.mark.parametrize("question, facts", [
    ("KH 205 và KH Huyện ủy ai ký, chức danh có giống nhau không?", ["Đỗ Văn Nghị", "Ung Văn Tám"]),
    ("So KHCN va Thanh uy Yen Bai co cung ghi tac pham 600 trang khong?", ["600 trang"]),
    # each plan's own clause: the Sở's basis (plan 88 of the Tỉnh ủy), the Huyện ủy's (plan 143)
    ("KH 88 của Tỉnh ủy Điện Biên ngày nào, KH 143 mà Huyện ủy thực hiện ngày nào, cái nào ra trước?",
     ["22/3/2023", "31/3/2023"]),
    # "…, còn bên huyện ai làm việc đó?": the first clause's ask, of the other plan
    ("Ở Sở KHCN ai tổng hợp báo cáo lên BTG Tỉnh ủy, còn bên huyện ai làm việc đó?",
     ["Ban Chấp hành Đảng bộ Sở", "Ban Tuyên giáo Huyện ủy"]),
])
def test_two_plans_compared_are_each_answered(assistant, question, facts):
    result = assistant.answer(question)
    assert not result.refused and all(f in result.answer for f in facts)
    assert len({c.doc_id for c in result.citations}) == 2


def test_a_plans_own_clause_keeps_the_shared_topic():
    from rag.compare import question_for

    class Aliases:  # two plans, named "Huyện ủy" and "Thị ủy"
        def match(self, text):
            folded = fold(text).lower()
            return {d: [n] for d, n in (("huyen", "huyen uy"), ("thi", "thi uy")) if n in folded}

    asked = "Về hạn sơ kết: Huyện ủy quy định thế nào, Thị ủy quy định thế nào?"
    assert question_for(asked, Aliases(), "thi") == "Về hạn sơ kết: Thị ủy quy định thế nào?"


def test_a_plan_number_typed_with_its_code_names_the_plan(assistant):
    assert "ke-hoach-205-thanh-uy-yen-bai" in assistant.index.aliases.match("KH 205 ai ký")


def test_a_report_template_asked_in_either_word_order_is_a_near_miss(assistant):
    result = assistant.answer("Theo KH của Sở KHCN, chi bộ báo cáo theo mẫu biểu nào, mẫu số mấy?")
    assert result.refused and "mẫu biểu" in result.answer


def test_an_abbreviation_after_a_side_word_is_no_misread_compound(assistant):
    first = _turn(assistant, "KH cua huyen uy ai ky?")
    result = assistant.answer("the con ben MTTQ thanh pho?", [first])
    assert not result.refused and "Trịnh Quang Huy" in result.answer


def test_what_a_plan_is_about_is_no_topic_of_the_question(assistant):
    result = assistant.answer("cho e hỏi KH của Huyện ủy về học tập tác phẩm chống tham nhũng của TBT thì đợt sinh hoạt "
                              "kéo dài đến bao giờ ạ")
    assert not result.refused and "tháng 11/2025" in result.answer


def test_a_cited_documents_date_asked_in_a_follow_up(assistant):
    turns = [_turn(assistant, "KH của Ban Thường trực UB MTTQ thành phố căn cứ vào những văn bản nào?")]
    turns.append(_turn(assistant, "cai KH 600 do ngay bao nhieu", turns))
    result = assistant.answer("thế hướng dẫn của BTG thành ủy thì ngày nào", turns)
    assert not result.refused and "25/4/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-mttq-thanh-pho"


def test_a_document_the_named_one_carries_out_is_dated_by_its_citing_line(assistant):
    result = assistant.answer("kế hoạch của tỉnh ủy mà huyện ủy thực hiện ban hành ngày nào")
    assert not result.refused and "31/3/2023" in result.answer


def test_a_conversation_stays_on_its_plan_through_a_turn_naming_none(assistant):
    turns = [_turn(assistant, "KH MTTQ thanh pho gioi thieu tac pham cho nhung doi tuong nao")]
    turns.append(_turn(assistant, "báo cáo kết quả về đâu", turns))
    state = assistant.conversation(turns)
    assert state.named == ["ke-hoach-mttq-thanh-pho"]
    # the MTTQ plan dates no report: no other plan's deadline answers for it
    result = assistant.answer("han bao cao la ngay nao the", turns)
    assert result.refused


def test_a_bare_follow_up_continues_with_the_passage_just_quoted(assistant):
    first = _turn(assistant, "Văn phòng Thành ủy Yên Bái có nhiệm vụ gì trong KH 205")
    result = assistant.answer("phoi hop voi ai", [first])
    assert not result.refused and result.answer.startswith("2. Văn phòng Thành ủy: Chủ trì, phối hợp với Ban Tuyên giáo")


def test_a_column_follow_up_reads_the_row_of_the_activity_just_quoted(assistant):
    turns = [_turn(assistant, "dot sinh hoat cho can bo chu chot TP yen bai co bao nhieu dai bieu")]
    turns.append(_turn(assistant, "mời báo cáo viện ở đâu", turns))
    result = assistant.answer("co quan nao chu tri, phoi hop", turns)
    assert not result.refused and "Trưởng Ban Tuyên giáo Thành ủy" in result.answer
    assert "Văn phòng Thành ủy" in result.answer and "(500 đại biểu)" in result.answer


def test_a_closing_particle_marks_a_follow_up():
    from rag.conversation import ends_with_particle

    assert ends_with_particle("hạn báo cáo là ngày nào thế?") and ends_with_particle("han bao cao ngay nao vay")
    assert not ends_with_particle("nội dung cụ thể") and not ends_with_particle("cac doan the")
    assert not ends_with_particle("noi dung cu the") and not ends_with_particle("làm như thế")


@pytest.mark.parametrize("question", ["hướng dẫn của BTG thành ủy ban hành ngày nào",
                                      "hướng dẫn của ban tuyên giáo thành ủy số mấy"])
def test_a_kind_of_document_no_plan_of_that_issuer_is_read_off_its_citing_line(assistant, question):
    # the Thành ủy's own document in the corpus is a plan (205); its Ban Tuyên giáo's guidance is only cited, by the
    # MTTQ plan
    result = assistant.answer(question)
    assert not result.refused and "33 -HD/BTG ngày 25/4/2023" in result.answer
    assert result.citations[0].doc_id == "ke-hoach-mttq-thanh-pho"


@pytest.mark.parametrize("question", ["Cấp ủy cơ sở nộp báo cáo cho Huyện ủy trễ hạn thì bị xử lý kỷ luật thế nào?",
                                      "chi bo khong to chuc sinh hoat tac pham thi bi xu ly the nao theo KH huyen uy"])
def test_a_penalty_no_plan_sets_is_a_near_miss(assistant, question):
    result = assistant.answer(question)
    assert result.refused and "hình thức xử lý, kỷ luật" in result.answer


def test_a_numbered_lists_length_asked_with_a_place(assistant):
    result = assistant.answer("gach 'tham muu thuc hien' cua BTG Thi uy gom may viec, viec so 3 la gi")
    assert not result.refused and result.answer.startswith("Gồm 4 mục; mục thứ 3:")
    assert "(3) Biên soạn và phát hành" in result.answer
    assert not assistant.answer("BTG Thị ủy tham mưu việc thứ 3 là gì").answer.startswith("Gồm")  # no count asked


# --- stop 30: what a "ngoài …" follow-up asks anew, cited numbers' dates, documents called by what they say, claims --

def test_a_besides_follow_up_may_quote_a_line_said_only_alongside_the_last_answer(assistant):
    # the channels' answer quoted "Kết hợp … với tự học, tự nghiên cứu" with them; asked what the study is combined
    # with besides those channels, that line answers (before, every passage quoted was left out, and a list of the
    # book's values was quoted)
    first = _turn(assistant, "Sở KH&CN Điện Biên tổ chức nghiên cứu, học tập nội dung cuốn sách qua những kênh nào?")
    result = assistant.answer("Ngoài các kênh đó, việc học tập còn kết hợp với hình thức nào của từng cá nhân?", [first])
    assert not result.refused and "tự học, tự nghiên cứu" in result.answer
    assert [c.chunk_id for c in result.citations] == first.chunk_ids


def test_a_besides_follow_up_saying_nothing_new_quotes_nothing_said_again():
    from rag.conversation import new_pairs

    assert "ket hop" in new_pairs("Ngoài các kênh đó, việc học tập còn kết hợp với hình thức nào?",
                                  "Sở KH&CN tổ chức học tập qua những kênh nào?")
    assert new_pairs("Ngoài tài liệu đó, còn tài liệu nào khác?", "KH 205 dùng những tài liệu nào") == []
    assert new_pairs("Còn tài liệu nào khác?", "KH 205 dùng những tài liệu nào") == []  # no "ngoài …" clause


@pytest.mark.parametrize("question, asked_of, expected", [
    # "(Cả A) và B …": B's question does not open with the joining word left behind
    ("Cả KH 205 và HD thị ủy có đưa tác phẩm vào chương trình bồi dưỡng không",
     "huong-dan-ban-tuyen-giao-thi-uy", "HD thị ủy có đưa tác phẩm vào chương trình bồi dưỡng không"),
    ("Người ký kế hoạch của Huyện ủy và của Sở KH&CN là ai?", "ke-hoach-so-khcn-dien-bien",
     "Người ký kế hoạch của Sở KH&CN là ai?"),
    # "A's X và B's Y": each document is asked its own thing
    ("So sánh: hạn báo cáo sơ kết theo KH 205 của Thành ủy Yên Bái và thời điểm kết thúc đợt sinh hoạt theo Kế hoạch "
     "của Huyện ủy", "ke-hoach-huyen-uy", "thời điểm kết thúc đợt sinh hoạt theo Kế hoạch của Huyện ủy?"),
    ("So sánh: hạn báo cáo sơ kết theo KH 205 của Thành ủy Yên Bái và thời điểm kết thúc đợt sinh hoạt theo Kế hoạch "
     "của Huyện ủy", "ke-hoach-205-thanh-uy-yen-bai", "hạn báo cáo sơ kết theo KH 205 của Thành ủy Yên Bái?"),
    # … but "X theo A và theo B" asks X of both
    ("Hạn báo cáo kết quả hằng năm theo KH Huyện ủy và theo HD Thị ủy khác nhau thế nào?",
     "huong-dan-ban-tuyen-giao-thi-uy", "Hạn báo cáo kết quả hằng năm theo KH và theo HD Thị ủy ?"),
])
def test_each_compared_document_is_asked_without_the_others_name(assistant, question, asked_of, expected):
    from rag.compare import question_for

    assert question_for(question, assistant.index.aliases, asked_of) == expected


def test_each_plans_deadline_is_answered_in_a_comparison(assistant):
    # "hạn của X" asks X's deadline: each plan's part quotes the line with its date
    result = assistant.answer("Hạn báo cáo kết quả hằng năm của Huyện ủy và của thị xã khác nhau thế nào?")
    assert not result.refused
    assert "01/11 hàng năm" in result.answer and "tháng 11 hằng năm" in result.answer
    assert {c.doc_id for c in result.citations} == {"ke-hoach-huyen-uy", "huong-dan-ban-tuyen-giao-thi-uy"}


@pytest.mark.parametrize("question, date, doc", [
    ("Kế hoạch 143 ban hành ngày nào", "31/3/2023", "ke-hoach-huyen-uy"),  # before: a line of the plan's own "ban hành"
    ("Kế hoạch 182 ban hành ngày nào", "20/4/2023", "ke-hoach-mttq-thanh-pho"),  # before: refused
])
def test_a_cited_numbers_date_is_read_off_the_line_citing_it(assistant, question, date, doc):
    result = assistant.answer(question)
    assert not result.refused and date in result.answer.split("[1]")[0]
    assert result.citations[0].doc_id == doc


def test_a_standard_department_abbreviation_is_spelled_out_in_a_follow_up(assistant):
    first = _turn(assistant, "Trong hướng dẫn của BTG Thị ủy, Phòng Văn hóa - Thông tin được giao làm gì?")
    result = assistant.answer("còn Phòng GD&ĐT thì sao ạ?", [first])  # before: refused ("GD&ĐT" read as nothing)
    assert not result.refused and result.answer.startswith("5. Phòng Giáo dục và Đào tạo")


@pytest.mark.parametrize("question, signature", [
    ("kế hoạch có Fanpage Hoa Hướng dương ấy, văn bản đó ai ký, chức vụ gì?", "ke-hoach-205-thanh-uy-yen-bai#44"),
    ("cái KH có gắn với đợt sinh hoạt 'Giữ trọn lời thề đảng viên' ấy do ai ký?", "ke-hoach-huyen-uy#14"),
])
def test_a_document_called_by_what_it_says_is_the_one_saying_it(assistant, question, signature):
    # no name, no number: the one plan whose text says "Fanpage Hoa Hướng dương" (before: refused), the one linking the
    # study to "Giữ trọn lời thề đảng viên" (before: that line quoted, no signer); its signature block answers
    result = assistant.answer(question)
    assert not result.refused and signature in [c.chunk_id for c in result.citations]


def test_a_description_said_by_several_documents_names_none():
    from rag.query import described_document

    docs = {"a": "ke hoach co fanpage hoa huong duong va website", "b": "to chuc hoi nghi can bo chu chot",
            "c": "to chuc hoi nghi can bo chu chot xa"}
    assert described_document("kế hoạch có Fanpage Hoa Hướng dương ấy ai ký", docs, set()) == {"a": ["fanpage hoa huong duong"]}
    assert described_document("kế hoạch có Fanpage Hoa Hướng dương ấy ai ký", docs, {"a"}) == {}  # a derived one: no
    assert described_document("kế hoạch có tổ chức hội nghị cán bộ chủ chốt ấy ai ký", docs, set()) == {}  # b and c
    assert described_document("kế hoạch có Fanpage Hoa Sen ấy ai ký", docs, set()) == {}  # "sen": said by none
    assert described_document("kế hoạch có những nội dung gì", docs, set()) == {}  # what it has is asked


@pytest.mark.parametrize("question, expected", [
    ("KH của BTV Thị ủy về đợt sinh hoạt tác phẩm là KH số 143-KH/TU đúng không ạ?", "KH của BTV Thị ủy về đợt sinh hoạt tác phẩm là số mấy?"),
    ("KH 205-KH/TU do đ/c Đỗ Văn Nghị ký đúng không", "KH 205-KH/TU do ai ký?"),  # the number naming it stays
    ("KH 205 do đồng chí Đỗ Đức Minh ký đúng không?", "KH 205 do ai ký?"),
    ("có phải đ/c Ung Văn Tám ký KH huyện ủy không", "Ai ký KH huyện ủy?"),
])
def test_a_claimed_number_or_signer_becomes_the_slot_asked(question, expected):
    from rag.normalize import claim_question

    assert claim_question(question) == expected


@pytest.mark.parametrize("question, right, claimed", [
    # plan 143 is the Huyện ủy's basis; the Thị ủy's plan, which the guidance carries out, is 140 (before: 143's line)
    ("KH của BTV Thị ủy về đợt sinh hoạt tác phẩm là KH số 143-KH/TU đúng không ạ?", "140 -KH/TU", "143"),
    ("KH 205 do đồng chí Đỗ Đức Minh ký đúng không?", "Đỗ Văn Nghị", "Đỗ Đức Minh"),  # before: refused
])
def test_a_wrong_claim_is_answered_with_what_the_documents_say(assistant, question, right, claimed):
    result = assistant.answer(question)
    assert not result.refused and right in result.answer and claimed not in result.answer


def test_a_request_for_the_exact_wording_is_no_topic(assistant):
    from rag.normalize import strip_chatter

    assert strip_chatter("Mục đích thứ 2 trong KH huyện ủy ghi thế nào, trích nguyên văn giúp em").core == \
        "Mục đích thứ 2 trong KH huyện ủy ghi thế nào"
    assert strip_chatter("Ghi nguyên văn yêu cầu về hình thức tổ chức trong KH Sở KHCN").core == \
        "yêu cầu về hình thức tổ chức trong KH Sở KHCN"
    result = assistant.answer("Mục đích thứ 2 trong KH huyện ủy ghi thế nào, trích nguyên văn giúp em")  # before: refused
    assert not result.refused and result.answer.startswith("2. Tạo sự thống nhất về nhận thức, ý chí")
    # "yêu cầu về …" is the plan's section "2. Yêu cầu", not the verb (before: the "Hình thức tổ chức: …" of II.2.2)
    result = assistant.answer("Ghi nguyên văn yêu cầu về hình thức tổ chức trong KH Sở KHCN Điện Biên")
    assert "Hình thức tổ chức phong phú, đa dạng, sáng tạo, hiệu quả, tiết kiệm" in result.answer


def test_each_document_saying_what_is_asked_is_named(assistant):
    # "Kết luận 21-KL/TW" is the plans' "Kết luận số 21-KL/TW" (before: refused)
    result = assistant.answer("Những văn bản nào yêu cầu gắn đợt sinh hoạt với Kết luận 21-KL/TW ạ?")
    assert not result.refused
    assert "Kế hoạch của Sở Khoa học và Công nghệ tỉnh Điện Biên:" in result.answer
    assert "Hướng dẫn của Ban Tuyên giáo Thị ủy:" in result.answer


def test_who_does_a_task_listed_under_a_body_is_that_body(assistant):
    # "- Tham mưu cho Ban Chỉ đạo 35 …" is listed under "1. Ban Tuyên giáo Thị ủy", several passages above; asked who
    # does it, the line alone named nobody
    result = assistant.answer("ai tham muu cho BCĐ 35 thi xa dau tranh phan bac luan dieu sai trai")
    assert not result.refused and result.answer.startswith("1. Ban Tuyên giáo Thị ủy:\n- Tham mưu cho Ban Chỉ đạo 35")


# --- stop 31: on whose behalf it was signed, "thế kh đó …", a name after "thuộc", a verb after a committee word --------

def test_on_whose_behalf_a_plan_was_signed_is_its_signature_block(assistant):
    # "thay mặt ai" asks the signature block's "T/M BAN THƯỜNG VỤ" (before: refused, and alone a line of the book's values)
    first = _turn(assistant, "kh 205 tu yen bai ai ky vay a")
    for asked in ("thay mat ai", "ky voi chuc danh gi, thay mat ai vay"):
        result = assistant.answer(asked, [first])
        assert not result.refused and "T/M BAN THƯỜNG VỤ" in result.answer and "PHÓ BÍ THƯ THƯỜNG TRỰC" in result.answer
        assert {c.chunk_id for c in result.citations} == set(first.chunk_ids)
    # both parts answered by the same block: it is quoted once, under both parts
    both = assistant.answer("ky voi chuc danh gi, thay mat ai vay", [first])
    assert both.answer.count("Đỗ Văn Nghị") == 1 and len(both.citations) == 1
    # "người thay mặt tập thể … ký" only says who signed: it is no "thay mặt" asked, and the words still count
    said = assistant.answer("Người thay mặt tập thể thường vụ ký kế hoạch của Huyện ủy là ai và giữ chức vụ gì?")
    assert not said.refused and "Ung Văn Tám" in said.answer


def test_a_follow_ups_lead_word_before_the_document_it_points_at(assistant):
    # "thế kh đó ban hành ngày nào" asks plan 205's own date, which only its appendix title line gives (before: refused,
    # and after two turns the opening line with plan 126's date)
    first = _turn(assistant, "kh 205 tu yen bai ai ky vay a")
    result = assistant.answer("thế kh đó ban hành ngày nào ạ", [first])
    assert not result.refused and "10/4/2023" in result.answer and "04/4/2023" not in result.answer


def test_a_name_after_thuoc_in_a_follow_up_about_that_document_names_no_other(assistant):
    # "Văn bản đó … những cơ quan nào thuộc Thành ủy": the MTTQ plan's recipients, not plan 205's (named by "Thành ủy")
    first = _turn(assistant, "KH của Ban Thường trực UB MTTQ thành phố do ai ký, chức danh gì?")
    result = assistant.answer("Văn bản đó gửi để báo cáo những cơ quan nào thuộc Thành ủy?", [first])
    assert not result.refused and "Thường trực Thành uỷ (b/c)" in result.answer
    assert {c.doc_id for c in result.citations} == {"ke-hoach-mttq-thanh-pho"}


def test_a_question_verb_after_a_committee_word_is_no_place(assistant):
    from rag.grounding import missing_entities
    from rag.structures import structures

    lex = structures(assistant.index).lexicon
    q = "noi dung tai lieu sinh hoat theo KH huyen uy lay o dau vay"
    assert not missing_entities(q, q, q, lex)  # before: "Kho tài liệu không có văn bản nào của huyen uy lay o"
    assert missing_entities("ke hoach cua thi uy son tay", "ke hoach cua thi uy son tay", "ke hoach cua thi uy son tay", lex)
    result = assistant.answer(q)
    assert not result.refused and "phụ lục kèm theo Kế hoạch này" in result.answer


def test_a_deadline_asked_as_han_chot_is_the_plans_cham_nhat(assistant):
    # "hạn chót" is what the plans write "chậm nhất vào ngày …" (before: refused with that line ranked first)
    first = _turn(assistant, "Mặt trận và các đoàn thể huyện phải làm gì theo KH của Huyện ủy?")
    result = assistant.answer("vay bc gui ve dau, han chot khi nao a", [first])
    assert not result.refused and "chậm nhất vào ngày 01/11" in result.answer


def test_two_spellings_of_a_word_cover_each_other_in_what_is_asked(assistant):
    # "hằng năm" asked, "hàng năm" written: the passage says what is asked (before: refused, its line ranked first)
    first = _turn(assistant, "e o xa thuoc huyen, dot sh theo KH huyen uy keo dai toi bao gio")
    result = assistant.answer("han bc hang nam", [first])
    assert not result.refused and "01/11" in result.answer


def test_channels_asked_are_the_plans_forms(assistant):
    # "qua những kênh nào" is answered by "Hình thức tổ chức: Qua họp giao ban, qua mạng nội bộ TD office, …"
    # (before: the plan's opening line)
    result = assistant.answer("Sở KH&CN Điện Biên cho cán bộ học tác phẩm qua những kênh nào?")
    assert not result.refused and "họp giao ban" in result.answer and "TD office" in result.answer


# --- stop 32: where reports go, an event's venue, a list asked by its heading's kind, "thế so với …" ---------------

def test_where_reports_go_quotes_every_report_line_of_the_plan(assistant):
    # the Huyện ủy plan sends reports along two lines (the levels below to the committee, by 01/11; the propaganda
    # department's sum to the committee and the province): asked where they go, both are quoted (before: one)
    result = assistant.answer("kế hoạch huyện ủy bắt báo cáo kết quả gửi về đâu")
    assert not result.refused
    assert "qua Ban Tuyên giáo Huyện ủy" in result.answer and "Ban Tuyên giáo Tỉnh ủy" in result.answer
    assert {c.doc_id for c in result.citations} == {"ke-hoach-huyen-uy"} and len(result.citations) == 2
    # a deadline asked is no destination: one line answers it
    deadline = assistant.answer("kế hoạch huyện ủy hạn báo cáo kết quả là ngày nào")
    assert not deadline.refused and "01/11" in deadline.answer and len(deadline.citations) == 1
    # "báo cáo viên" is a speaker, not a report
    from rag.routes import sends_report
    assert not sends_report("+ Báo cáo viên: Thường trực Thành ủy.")
    assert sends_report("tổng hợp báo cáo Ban Tuyên giáo Tỉnh ủy theo quy định")


def test_an_events_venue_the_plan_never_gives_is_refused(assistant):
    # plan 205 dates the provincial hội thảo and gives its topic, never where it is held (before: its line quoted)
    for asked in ("Hội thảo do tỉnh Yên Bái tổ chức về tác phẩm diễn ra tại địa điểm nào?",
                  "toa dam khoa hoc cua tinh to chuc o dau vay"):
        result = assistant.answer(asked)
        assert result.refused and "không nêu địa điểm" in result.answer
    # a plan that says where its meetings are held still answers
    held = assistant.answer("Theo KH Huyện ủy, các buổi sinh hoạt về tác phẩm tổ chức ở đâu?")
    assert not held.refused and "tại chi bộ" in held.answer


def test_a_list_asked_by_the_kind_its_heading_names_is_quoted_whole(assistant):
    # "… dùng những tài liệu gì" of plan 205's "4. Tài liệu sinh hoạt, tuyên truyền": every item, the bulletin too
    # (before: the first two items)
    result = assistant.answer("Chi bộ tôi ở Yên Bái, ngoài tác phẩm thì KH 205 cho dùng những tài liệu gì ạ?")
    assert not result.refused and "Tài liệu Hỏi - Đáp" in result.answer and "Bản tin Thông báo nội bộ" in result.answer


def test_a_count_asked_of_a_plan_named_by_number_is_read_off_the_passage_giving_it(assistant):
    # "(theo KH 205)" ranks the line only naming the plan first ("(kèm theo Kế hoạch số 205 - KH/TU …)"): the plan's
    # passage giving the count asked ("600 trang với 111 bức ảnh") answers (before: refused)
    for asked in ("tác phẩm dày mấy trang, có mấy ảnh ạ (theo KH 205)",
                  "theo KH 205 thì tác phẩm có bao nhiêu trang, bao nhiêu ảnh ạ"):
        result = assistant.answer(asked)
        assert not result.refused and "600 trang với 111 bức ảnh" in result.answer
    # a near-miss count stays refused: the plan counts no delegates of its executive committee's meeting
    assert assistant.answer("Hội nghị Ban Chấp hành Đảng bộ thành phố (mở rộng) theo KH 205 có bao nhiêu đại biểu dự?").refused


def test_the_same_question_of_another_document_after_so_voi(assistant):
    # "thế so với KH 205 … thì sơ kết hạn ngày nào": "so" is a word the plans never use, yet the turn continues the
    # conversation (before: read as a new topic in foreign words and refused)
    first = _turn(assistant, "BTG thị ủy yêu cầu báo cáo sơ kết giai đoạn 2023-2025 nộp khi nào")
    for asked in ("thế so với KH 205 của thành ủy YB thì sơ kết hạn ngày nào", "so với KH 205 thì sơ kết hạn ngày nào"):
        result = assistant.answer(asked, [first])
        assert not result.refused and "05/11/2025" in result.answer


# --- stop 33: how a thing is done, asked of the list its heading names ----------------------------------------------

def test_how_a_thing_is_done_asked_of_the_list_its_heading_names(assistant):
    # "hình thức tổ chức thế nào" of the guide's "IV. HÌNH THỨC TỔ CHỨC": both of its items (before: the second only)
    result = assistant.answer("btg thi uy huong dan hinh thuc to chuc the nao")
    assert not result.refused
    assert "vào trong sinh hoạt của cấp ủy" in result.answer and "tọa đàm, hội thảo khoa học" in result.answer


# --- stop 34: parts named by sub-headings, who signed as a part, a check with what is not there ----------------------

def test_each_part_naming_a_sub_heading_quotes_that_sub_section(assistant):
    # "1. Nơi sinh hoạt", "2. Hình thức tổ chức" under "III. HÌNH THỨC, THỜI GIAN TỔ CHỨC": the first part's words
    # ranked its passage first, and the second part's sub-section is quoted too, whole, under its heading
    result = assistant.answer("ke hoach cua huyen uy thi sinh hoat o dau, to chuc theo hinh thuc nao a")
    assert "Sinh hoạt tại chi bộ và các cơ quan, đơn vị, đoàn thể" in result.answer
    assert "2. Hình thức tổ chức:" in result.answer and "tổ chức thảo luận, liên hệ" in result.answer
    assert "phố biến đến cán bộ, công chức, đoàn viên, hội viên" in result.answer
    # "ở đâu" is the plan's "Nơi …", "kéo dài đến khi nào" its "Thời gian …"
    both = assistant.answer("theo KH Huyen uy dot sinh hoat keo dai den khi nao, sinh hoat o dau")
    assert "tháng 11/2025" in both.answer and "Sinh hoạt tại chi bộ" in both.answer
    # one part only: one sub-section
    one = assistant.answer("Kế hoạch của Huyện ủy tổ chức sinh hoạt ở đâu?")
    assert "Hình thức tổ chức:" not in one.answer


def test_who_signed_is_a_part_of_its_own(assistant):
    # "ai ký" has no topic word, and the basis line answering the first part says nothing of the signature block
    result = assistant.answer("KH của huyện ủy thưc hiện theo KH nào của tỉnh ủy, ai ký vậy ạ?")
    assert "143-KH/TU" in result.answer and "Ung Văn Tám" in result.answer


def test_after_who_signed_the_issue_date_is_the_documents_own(assistant):
    # the turn before asked which provincial plan it carries out, but "ai ký, ban hành ngày nào" asks of plan 205 itself
    history = [_turn(assistant, "kh 205 cua thanh uy yen bai thuc hien theo ke hoach nao cua tinh uy vay")]
    result = assistant.answer("ai ky, ban hanh ngay nao", history)
    assert "Đỗ Văn Nghị" in result.answer and "10/4/2023" in result.answer
    assert "04/4/2023" not in result.answer  # the provincial plan's date, which the basis line gives


def test_a_body_named_inside_the_plan_the_question_goes_by(assistant):
    # "Theo KH 205 thì Mặt trận …": plan 205's part for the city Mặt trận, not the Mặt trận's own plan (before: refused,
    # the two plans tied)
    result = assistant.answer("Em ở Đoàn phường ạ. Theo KH 205 thì Mặt trận và các đoàn thể thành phố có trách nhiệm gì "
                              "trong đợt này ạ?")
    assert not result.refused
    assert result.citations[0].doc_id == "ke-hoach-205-thanh-uy-yen-bai"
    assert "chỉ đạo các tổ chức đoàn, hội" in result.answer
    # the Mặt trận's plan named as a plan still is one
    from rag.grounding import bodies_within_scope

    named = {"ke-hoach-205-thanh-uy-yen-bai": ["kh 205"], "ke-hoach-mttq-thanh-pho": ["mat tran"]}
    assert bodies_within_scope("theo KH 205 thì Mặt trận có nhiệm vụ gì", named) == ["ke-hoach-mttq-thanh-pho"]
    assert bodies_within_scope("theo KH 205, so với kế hoạch của Mặt trận thì sao", named) == []


def test_a_check_naming_what_the_documents_lack_leaves_the_question_before_it(assistant):
    result = assistant.answer("Anh chị ơi, Sở KH&CN Điện Biên tổ chức cho anh em học cuốn sách theo hình thức nào vậy, "
                              "có phải tập trung lên hội trường không?")
    assert not result.refused
    assert "họp giao ban" in result.answer and "TD office" in result.answer
    assert "không nói đến hội trường" in result.answer
    # each part is labelled with its question, not the greeting around it
    assert "• Sở KH&CN Điện Biên tổ chức cho anh em học cuốn sách theo hình thức nào?" in result.answer
    assert "ơi" not in result.answer
    # asked alone, the thing the documents lack is still refused
    assert assistant.answer("Sở KH&CN Điện Biên có tổ chức học tập trung ở hội trường không?").refused


def test_several_counts_given_by_one_passage(assistant):
    # typed plain: "sach gom" is the book ("sách gồm"), not the "sạch" of the plans' "trong sạch"; one passage gives
    # both counts asked, which makes the answer sure however few of the other words it has
    result = assistant.answer("sach gom may phan, bao nhieu trang, co bao nhieu anh vay moi nguoi")
    assert not result.refused
    assert "600 trang" in result.answer and "3 phần" in result.answer
    from rag.query import counted_nouns

    assert counted_nouns("sách gồm mấy phần, bao nhiêu trang") == ["phan", "trang"]


def test_giving_a_body_every_task_is_asking_all_of_them():
    # "… giao cho X những gì / có giống vậy không" asks every task of X's part, as "X có trách nhiệm gì" does
    from rag.query import _subject, asks_all_tasks

    asked = "huong dan cua btg thi uy giao cho mttq, doan the cap thi co giong vay khong a"
    assert _subject(asked) == "mttq doan the cap thi" and asks_all_tasks(asked)
    assert not asks_all_tasks("kh 205 giao cho ban tuyen giao thanh uy tham muu nhung noi dung gi")


def test_the_members_of_a_group_the_plans_never_list(assistant):
    result = assistant.answer("to cong tac 278 gom nhung ai")
    assert result.refused and "Tài liệu không nêu thành phần của tổ công tác 278." in result.answer
    # what the group does is still answered
    assert not assistant.answer("Tổ công tác 278 phối hợp với ai để phân công báo cáo viên xuống các chi bộ?").refused


def test_what_is_asked_beyond_what_the_asker_knows(assistant):
    # "Ngoài họp hành tập trung, …": the line about meetings covers the passage's words best, the line on self-study
    # is what is asked (before: only the meetings line was quoted)
    result = assistant.answer("Ngoài họp hành tập trung, Sở KH&CN có yêu cầu cán bộ tự học cuốn sách không?")
    assert "tự học, tự nghiên cứu" in result.answer
    # after a greeting and a request, the same
    chatty = assistant.answer("Dạ cho em hỏi, ngoài họp hành tập trung, Sở KH&CN có yêu cầu cán bộ tự học cuốn sách "
                              "không ạ?")
    assert "tự học, tự nghiên cứu" in chatty.answer


# --- stop 35: an issuer's own number, a named day's date, one item of a body's list, labels, outcomes not in plans ---

def test_a_plans_own_number_asked_with_its_issuer_first(assistant):
    # "<issuer> ban hành kế hoạch … với số hiệu bao nhiêu": the plan's own number, which this one does not carry
    result = assistant.answer("Ban Thường trực Ủy ban MTTQ thành phố ban hành kế hoạch về đợt sinh hoạt này với số hiệu "
                              "bao nhiêu?")
    assert result.refused and "không ghi số hiệu" in result.answer
    # a plan it carries out is still asked of by its number
    asked = assistant.answer("Sở KH&CN Điện Biên xây dựng kế hoạch để thực hiện kế hoạch số mấy của Tỉnh ủy?")
    assert not asked.refused and "88-KH/TU" in asked.answer


def test_a_named_days_date_the_plan_never_gives(assistant):
    first = _turn(assistant, "Kế hoạch 205 yêu cầu tập trung cao điểm vào những dịp kỷ niệm nào?")
    result = assistant.answer("the ngay thanh lap dang bo thanh pho la ngay nao vay", [first])
    assert result.refused
    assert "Tài liệu chỉ nêu “Ngày thành lập Đảng bộ thành phố”, không ghi đó là ngày nào." in result.answer
    # a plan giving the date beside the day's name answers it
    dated = assistant.answer("Theo kế hoạch của Huyện ủy, ngày thành lập Đảng Cộng sản Việt Nam là ngày nào?")
    assert not dated.refused and "03/2" in dated.answer


def test_one_item_of_a_bodys_list_asked_is_quoted_whole(assistant):
    # the section "1. Ban Tuyên giáo Thị ủy" is a list of tasks; the question names the body and one task's words
    result = assistant.answer("Hướng dẫn của Ban Tuyên giáo Thị ủy giao ban này lập kế hoạch mua, cấp phát những tài liệu "
                              "gì, cấp tới đâu?")
    assert "mua và cấp phát sách" in result.answer and "đến các đảng bộ, chi bộ cơ sở" in result.answer
    assert "Hội nghị báo cáo viên cấp thị" not in result.answer  # not every task, each cut short
    # the list asked by its own heading is still quoted item by item
    listed = assistant.answer("Kế hoạch 205 của Thành ủy Yên Bái còn liệt kê những tài liệu sinh hoạt, tuyên truyền nào?")
    assert "Hỏi - Đáp" in listed.answer and "Bản tin Thông báo nội bộ" in listed.answer


def test_a_quote_naming_its_body_gets_no_label_repeating_it(assistant):
    result = assistant.answer("Theo kế hoạch của MTTQ thành phố thì Ban Thường trực sẽ giới thiệu nội dung tác phẩm cho "
                              "những ai?")
    assert result.answer.startswith("Ban Thường trực Ủy ban MTTQ thành phố xây dựng Kế hoạch")  # no "1. Ban …:" above it
    assert "cán bộ chuyên trách" in result.answer


def test_an_office_asked_of_now_is_named_without_now(assistant):
    first = _turn(assistant, "Kế hoạch của Sở KH&CN Điện Biên ai ký")
    result = assistant.answer("thế Giám đốc Sở hiện nay là ông hay bà nào vậy?", [first])
    assert result.refused and "Tài liệu không nêu tên người giữ chức Giám đốc Sở." in result.answer


def test_the_outcome_of_a_plans_own_step_is_not_in_the_plans(assistant):
    result = assistant.answer("Kết quả kiểm tra, giám sát việc thực hiện đợt sinh hoạt tại các chi bộ thuộc Sở KH&CN Điện "
                              "Biên năm 2023 như thế nào?")
    assert result.refused and "không nêu kết quả đạt được" in result.answer
    # how results are reported is what the plan says
    reported = assistant.answer("Sở KH&CN Điện Biên báo cáo kết quả thực hiện như thế nào?")
    assert not reported.refused and "báo cáo tích hợp" in reported.answer


# --- stop 36: quoted words asked what they are, a list's place named by its items, a person's name and a web
# address the plans never give ---

def test_quoted_words_asked_what_they_are(assistant):
    # "phòng" and "chống" stand in almost every passage; the one saying "Phòng là …, chống là …" answers
    result = assistant.answer("Theo tác phẩm, “phòng” và “chống” được xác định như thế nào?")
    assert not result.refused and "Phòng là cơ bản, lâu dài, chống là cấp bách, trước mắt" in result.answer
    assert "Phòng là cơ bản" in result.citations[0].passage
    from rag.retrieve import quoted_terms_asked, says_what_is

    assert quoted_terms_asked("“phòng” và “chống” là gì") == ["phòng", "chống"]
    assert quoted_terms_asked('… quan hệ giữa "phòng" và "chống" được nêu bằng câu chữ nào?') == ["phòng", "chống"]
    assert quoted_terms_asked("Tác phẩm “Kiên quyết, kiên trì …” do ai viết") == []  # a title, not asked what it is
    assert says_what_is("… (1) Tham nhũng, tiêu cực là “giặc ở trong lòng”, là “giặc nội xâm”;", "giặc nội xâm")
    assert not says_what_is("công tác phòng, chống tham nhũng", "phòng")


def test_a_list_named_by_its_items_is_not_the_list_just_quoted(assistant):
    first = _turn(assistant, "Phần yêu cầu trong kế hoạch của Sở KH&CN Điện Biên gồm những gì?")
    result = assistant.answer("Thế mục đích thứ hai trong kế hoạch của Sở là gì?", [first])
    assert "Tạo sự thống nhất về nhận thức, ý chí và hành động" in result.answer
    assert result.citations[0].heading.endswith("1. Mục đích")
    # a bare place ("ý thứ hai") is still of the list just quoted
    bare = assistant.answer("còn ý thứ hai?", [first])
    assert bare.citations and bare.citations[0].heading.endswith("2. Yêu cầu")


def test_a_persons_name_the_plan_never_gives(assistant):
    result = assistant.answer("Tên đồng chí báo cáo viên Trung ương được mời về nói chuyện với 500 đại biểu ở Yên Bái "
                              "là ai?")
    assert result.refused and "Tài liệu không nêu họ tên người cho nội dung này." in result.answer
    # a signer's name is given; "tên ba phần" asks no person
    signer = assistant.answer("Họ tên người ký Kế hoạch 205 là gì?")
    assert not signer.refused and "Đỗ Văn Nghị" in signer.answer
    parts = assistant.answer("Tên ba phần của tác phẩm là gì?")
    assert not parts.refused


def test_a_web_address_the_plan_never_gives(assistant):
    result = assistant.answer("dia chi trang thong tin dien tu cua So KHCN Dien Bien la gi de em vao doc")
    assert result.refused and "Tài liệu không ghi địa chỉ (đường dẫn) cho nội dung này." in result.answer
    # the link to the e-book that plan 205 gives is found, typed plain too
    link = assistant.answer("link doc sach dien tu cua tac pham o dau")
    assert not link.refused and "https://stbook.vn" in link.answer


def test_on_a_page_is_no_pointer_back(assistant):
    # "đăng trên trang …" is "on" a page, not "the above": the appendix row naming who posts there answers, not the
    # passage just quoted (which lists the channels and no one)
    from rag.conversation import reference

    assert reference("ai phụ trách đăng trên trang thông tin điện tử thành phố") is None
    assert reference("nội dung trên do ai làm") == "passage"
    first = _turn(assistant, "Kế hoạch 205 yêu cầu tuyên truyền thường xuyên về tác phẩm trên những kênh nào?")
    result = assistant.answer("ai phu trach dang tren trang thong tin dien tu thanh pho", [first])
    assert "Phan Thế Ngọc" in result.answer and result.citations[0].heading.startswith("Phụ lục số 01")


def test_with_whom_is_answered_by_the_passage_saying_it(assistant):
    # "… phối hợp với ai": the passage saying "… phối hợp với các đoàn thể chính trị - xã hội", not one that only
    # shares the question's other words
    result = assistant.answer("Theo kế hoạch của Mặt trận thành phố, Ủy ban Mặt trận các cấp phải phối hợp với ai để "
                              "nghiên cứu, học cuốn sách, và dựa vào hướng dẫn nào?")
    assert not result.refused and "phối hợp với các đoàn thể chính trị - xã hội" in result.citations[0].passage
    from rag.retrieve import _PARTNER_ASKED

    assert _PARTNER_ASKED.search("uy ban mat tran cac cap phoi hop voi ai")
    assert not _PARTNER_ASKED.search("ban tuyen giao phoi hop voi mat tran to chuc hoi nghi nao")  # asks which meeting
