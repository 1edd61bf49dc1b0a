"""A point of a list numbered inside the text ("(1) …; (2) …") asked by its number, in the list the question
names by a part of the book or by what the list counts, and every point at once in a follow-up (rag.enumerations)."""
from __future__ import annotations

from rag.conversation import asks_all_of_it
from rag.enumerations import _read_lists, asked_point, list_noun

from hoidap.model import Chunk


def _turn(assistant, question, history=None):
    from rag import Turn

    a = assistant.answer(question, history)
    return Turn(question=question, answer=a.answer, doc_ids=[c.doc_id for c in a.citations],
                chunk_ids=[c.chunk_id for c in a.citations])


def test_the_point_and_the_noun_asked():
    assert asked_point("y (5) cua phan thu nhat noi gi", None, None) == 5
    assert asked_point("bài học thứ 7 nguyên văn", 7, None) == 7
    assert asked_point("nơi nhận cuối cùng", -1, -1) is None  # the last of a plan's list: rag.positions
    assert list_noun("bài học kinh nghiệm thứ năm là gì") == "kinh nghiem"
    assert list_noun("phương châm trong giá trị (1) gồm những cặp nào") == "gia tri"
    assert list_noun("con y 4?") == "y"
    # "năm" after "trong" counts the list, it asks no point: the noun is the one before "thứ ba"
    assert list_noun("Trong năm nhiệm vụ, giải pháp căn bản …, giải pháp thứ ba là gì?") == "giai phap"
    assert asks_all_of_it("ke het ra dc ko a") and asks_all_of_it("liệt kê đầy đủ giúp em")
    assert not asks_all_of_it("kế hoạch 205 do ai ký")


def test_lists_are_read_across_passages_of_one_heading():
    head = "II. NỘI DUNG › 2. Giá trị của tác phẩm"
    chunks = [Chunk("d#1", "d", "- Chỉ ra 03 việc: (1) Một; (2) Hai; (3) Ba.", "II. NỘI DUNG › 1. Phần"),
              Chunk("d#2", "d", "(1). Tác phẩm là cẩm nang.", head),
              Chunk("d#3", "d", "(2). Tác phẩm có ý nghĩa.\n(3). Tác phẩm khẳng định.", head),
              Chunk("d#4", "d", "Giai đoạn (2013 - 2022) và (4) lẻ.", "III. KHÁC")]
    first, values = _read_lists(chunks)
    assert first.lead_in[0].text[first.lead_in[1]:first.lead_in[2]] == "Chỉ ra 03 việc:"
    assert [p.number for p in first.points] == [1, 2, 3]
    # a point is its own words, not its marker alone ("(1). Tác phẩm …" is no sentence ended at "(1).")
    one = values.points[0]
    assert one.chunk.text[one.start:one.end].strip() == "(1). Tác phẩm là cẩm nang."
    assert values.lead_in is None and [p.chunk.chunk_id for p in values.points] == ["d#2", "d#3", "d#3"]


def test_a_point_of_a_part_of_the_book(assistant):
    # "phần thứ nhất" holds four lists with a fifth point: each is quoted under its lead-in (before: refused)
    result = assistant.answer("y (5) cua phan thu nhat noi gi vay a")
    assert not result.refused and result.answer.startswith("Phần thứ nhất có 4 danh sách đánh số cùng có ý (5)")
    assert "“trị bệnh cứu người”" in result.answer and "(5) Tăng cường kiểm soát quyền lực" in result.answer
    assert "(4)" not in result.answer
    # a follow-up asks another point of the same part
    fourth = assistant.answer("con y 4?", [_turn(assistant, "y (5) cua phan thu nhat noi gi vay a")])
    assert "không có vùng cấm" in fourth.answer and "(5)" not in fourth.answer


def test_a_point_of_a_list_named_by_its_noun(assistant):
    # "bài học kinh nghiệm thứ bảy": the passage ranked first is the list counting "08 bài học kinh nghiệm", quoted
    # under its lead-in ("thứ bảy" stays seven: before, the spelling fixer made it the "thứ ba" the plans write)
    lesson = assistant.answer("bài học kinh nghiệm thứ bảy nguyên văn thế nào")
    assert lesson.answer.startswith("Đúc rút 08 bài học kinh nghiệm")
    assert "(7) Gắn phòng, chống tham nhũng với xây dựng Đảng" in lesson.answer and "(6)" not in lesson.answer
    # in a follow-up, the list the last answer quoted: "giá trị (1)" after the value calling the book a handbook,
    # one point to a passage, quoted whole (before: cut short among the other values)
    first = _turn(assistant, "sach duoc danh gia la 'cam nang' trong cong tac gi")
    value = assistant.answer("phương châm kết hợp đồng bộ trong giá trị (1) gồm những cặp nào", [first])
    assert "với sự đồng thuận, ủng hộ" in value.answer and "(2)" not in value.answer
    # a noun every plan's list has ("việc thứ ba") is left to the plan's own lists
    task = assistant.answer("Trong bốn việc Ban Tuyên giáo Thị ủy tham mưu thực hiện, việc thứ ba là gì?")
    assert "Biên soạn và phát hành" in task.answer


def test_a_point_of_the_list_just_quoted_across_a_list_asked_anew(assistant):
    # "bài học thứ 7" two turns after the list was quoted whole: its seventh point
    first = _turn(assistant, "phần 1 đúc rút mấy bài học kinh nghiêm vậy ạ")
    every = _turn(assistant, "ke het ra dc ko a", [first])
    seventh = assistant.answer("bài học thứ 7 nguyên văn thế nào", [first, every])
    assert "(7) Gắn phòng, chống tham nhũng với xây dựng Đảng" in seventh.answer and "(8)" not in seventh.answer


def test_every_point_of_the_list_just_quoted(assistant):
    first = _turn(assistant, "phần 1 đúc rút mấy bài học kinh nghiêm vậy ạ")
    every = assistant.answer("ke het ra dc ko a", [first])
    assert not every.refused  # (before: refused, "kể hết ra" read as a new question)
    for n in range(1, 9):
        assert f"({n})" in every.answer
    assert "phù hợp với đặc điểm, tình hình ở Việt Nam" in every.answer


def test_the_points_of_a_part_of_the_book_are_its_sub_headings(assistant):
    # "Phần thứ nhất" is outlined by its sub-headings "Một là, …", "Hai là, …", "Ba là, …": each line, whole (before:
    # the first only, the passage under it being that line)
    result = assistant.answer("Phần 1 làm rõ những vấn đề gì ạ, em cần 3 ý lớn để làm slide")
    assert result.answer.startswith("Phần thứ nhất gồm 3 nội dung:")
    assert "tổng kết thực tiễn công tác đấu tranh phòng, chống tham nhũng ở nước ta trong 10 năm qua" in result.answer
    assert "Ba là, chỉ ra những nhiệm vụ, giải pháp nhằm ngăn chặn, đẩy lùi tham nhũng, tiêu cực thời gian tới" in result.answer
    assert len(result.citations) == 3
    # a part whose points are a bulleted list has no sub-headings: its passage answers, the line ending in a colon
    # with what it introduces (before: "Nội dung tập trung làm rõ:" and nothing after it)
    second = assistant.answer("phần thứ hai của tác phẩm làm rõ những nội dung gì")
    assert "Nội dung tập trung làm rõ:" in second.answer and "(1) Bản chất của Đảng" in second.answer
