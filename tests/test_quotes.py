"""Questions about a quotation (rag.quotes): where it stands, what comes after or before it, the whole
sentence of a phrase or a blank, whether it is word for word, and one found nowhere."""
from __future__ import annotations

from rag.quotes import LAST, asked_quote, segments


def _turn(assistant, question, history=None):
    from rag import Turn

    a = assistant.answer(question, history)
    return Turn(question=question, answer=a.answer, doc_ids=[c.doc_id for c in a.citations],
                chunk_ids=[c.chunk_id for c in a.citations])


def test_what_is_asked_of_a_quotation():
    assert asked_quote("câu 'Tổ chức hội nghị toàn thể cán bộ' nằm trong kế hoạch nào").intents == {"source"}
    assert "next" in asked_quote("sau câu 'Phòng là cơ bản, lâu dài' thì ý tiếp theo là gì").intents
    assert "check" in asked_quote('có đúng nguyên văn không: "Định kỳ báo cáo kết quả thực hiện"').intents
    assert "whole" in asked_quote("điền giúp: 'thông qua chương trình ... cho đội ngũ giáo viên'").intents
    # a quotation asked nothing of names a topic ("đợt 'Giữ trọn lời thề đảng viên' … ai ký"); a title shortened with
    # dots is no blank; two quoted words are a term ("mục tiêu 'bốn không'")
    assert asked_quote("cái KH gắn với đợt 'Giữ trọn lời thề đảng viên' ấy do ai ký") is None
    assert asked_quote("Tác phẩm “Kiên quyết, kiên trì đấu tranh phòng, chống tham nhũng...” do nhà xuất bản nào in") is None
    assert asked_quote("mục tiêu 'bốn không' gồm những gì") is None
    # a follow-up moves along from the conversation's quotation: "ý số (4)", "câu cuối", "câu tiếp theo"
    moved = asked_quote("thế ý số (4) trong đó là gì", anchor="Thi hành đồng bộ")
    assert moved.carried and moved.item == 4
    assert asked_quote("câu cuối đầy đủ là gì", anchor="Thi hành đồng bộ").item == LAST
    assert asked_quote("thế câu tiếp theo là gì", anchor="Thi hành đồng bộ").intents == {"next"}
    assert asked_quote("thế còn bên huyện ủy", anchor="Thi hành đồng bộ") is None


def test_segments_are_lines_sentences_and_list_items():
    text = "- Chỉ ra: (1) Một; (2) Hai.\n- Câu một. Câu hai."
    assert [text[a:b] for a, b in segments(text)] == ["- Chỉ ra:", "(1) Một;", "(2) Hai.", "- Câu một.", "Câu hai."]


def test_where_a_quotation_stands(assistant):
    # the plan, its section path and the line holding it (before: the passage, no plan or section said)
    result = assistant.answer("cau 'Thuong truc Dang uy thong nhat voi To cong tac 278' nam o KH nao, muc nao vay")
    assert not result.refused and result.answer.startswith("Câu này nằm trong Kế hoạch 205-KH/TU")
    assert "1.2. Cấp cơ sở" in result.answer and "phân công cụ thể" in result.answer
    assert [c.doc_id for c in result.citations] == ["ke-hoach-205-thanh-uy-yen-bai"]
    # standing in two documents, it is shown in both, an item with its list's lead-in ("thuộc ý gì")
    both = assistant.answer("câu 'Tập trung xử lý những khâu yếu, việc khó' có trong văn bản nào, thuộc ý gì")
    assert "2 đoạn" in both.answer and {c.doc_id for c in both.citations} == {
        "ke-hoach-205-thanh-uy-yen-bai", "huong-dan-ban-tuyen-giao-thi-uy"}
    assert both.answer.count("Chỉ ra 05 vấn đề cần lưu ý") == 2


def test_what_comes_after_and_before_a_quotation(assistant):
    # an item of an enumerated list is followed by the next item (before: the quoted item again)
    after = assistant.answer("sau câu 'Phòng là cơ bản, lâu dài, chống là cấp bách, trước mắt' là ý gì")
    assert not after.refused and "không có vùng cấm" in after.answer and "(3)" not in after.answer
    # a lead-in ending in a colon is followed by the words it introduces
    lead_in = assistant.answer("HD thị ủy: sau câu 'Các ý kiến tiếp tục khẳng định:' là gì")
    assert "không chỉ là nhiệm vụ và trách nhiệm" in lead_in.answer
    # the follow-ups move on from the quotation: the line before, then the next line across to the next passage
    first = _turn(assistant, "câu 'đưa nội dung tác phẩm thành các nội dung trọng tâm, thường xuyên trong tài liệu "
                             "Thông tin nội bộ' ở văn bản nào")
    assert "Hướng dẫn của Ban Tuyên giáo Thị ủy" in first.answer
    before = assistant.answer("câu ngay trước đó ghi gì", [first])
    assert "Hội nghị báo cáo viên cấp thị" in before.answer and "Thông tin nội bộ" not in before.answer


def test_a_list_item_of_the_quotation_asked_in_a_follow_up(assistant):
    first = _turn(assistant, "câu 'Thi hành đồng bộ giữa kỷ luật Đảng, kỷ luật hành chính và xử lý hình sự' nằm ở đâu")
    fourth = assistant.answer("thế ý số (4) là gì", [first])
    assert "Tập trung xử lý những khâu yếu, việc khó" in fourth.answer and "(3)" not in fourth.answer
    last = assistant.answer("câu cuối đầy đủ là gì", [first])
    assert "Đẩy mạnh công tác thông tin, tuyên truyền" in last.answer


def test_a_blank_is_filled_by_the_sentence_holding_every_piece(assistant):
    result = assistant.answer("điền vào chỗ trống: 'Phòng Giáo dục và Đào tạo hướng dẫn, tuyên truyền nội dung tác "
                              "phẩm trong các nhà trường thông qua ...'")
    assert not result.refused and "bồi dưỡng lý luận chính trị cho đội ngũ giáo viên" in result.answer
    # the pieces around a blank must stand in one sentence in order, not just the longest piece
    two = assistant.answer("điền: 'Ban Thường trực Ủy ban MTTQ thành phố tổ chức thực hiện giới thiệu ... trong hệ thống "
                           "Mặt trận từ thành phố đến cơ sở'")
    assert "cán bộ chuyên trách" in two.answer


def test_whether_a_quotation_is_word_for_word(assistant):
    exact = assistant.answer("có đúng nguyên văn không: 'Phòng là cơ bản, lâu dài, chống là cấp bách, trước mắt'")
    assert exact.answer.startswith("Đúng nguyên văn.")
    wrong = assistant.answer("KH Sở KHCN có câu 'bảo đảm thực chất, hiệu quả, không hình thức, qua loa' đúng không")
    assert wrong.answer.startswith("Chưa đúng nguyên văn") and "không hình thức, chiếu lệ" in wrong.answer
    # the verdict names the words changed, as the document writes them
    assert "tài liệu ghi “chiếu lệ” chứ không phải “qua loa”" in wrong.answer
    two = assistant.answer("có đúng nguyên văn ko: 'Định kỳ báo cáo kết quả thực hiện về Ban Thường vụ Huyện ủy (qua Văn "
                           "phòng Huyện ủy) chậm nhất vào ngày 01/12 hàng năm'")
    assert "“Ban Tuyên giáo” chứ không phải “Văn phòng”; “11” chứ không phải “12”" in two.answer


def test_a_quotation_found_nowhere_is_said_so(assistant):
    # invented: never answered with a neighbouring passage
    result = assistant.answer("trong KH huyện ủy có câu 'mỗi đảng viên viết một bài thu hoạch dài 5 trang nộp chi bộ' "
                              "không, ở mục nào")
    assert result.refused and "Không tìm thấy câu trích này" in result.answer and not result.citations


def test_an_unmarked_quotation_after_a_colon(assistant):
    # "đoạn này ở mục nào …: <words>" quotes without quotation marks
    ask = asked_quote("đoạn này ở mục nào của KH 205: Tổ chức hội nghị cán bộ chủ chốt, xong trước 30/4/2023 ạ")
    assert ask is not None and ask.text.endswith("30/4/2023") and not ask.marked
    result = assistant.answer("đoạn này ở mục nào của KH 205: Tổ chức hội nghị cán bộ chủ chốt, xong trước 30/4/2023")
    assert result.answer.startswith("Câu này nằm trong Kế hoạch 205-KH/TU") and "1.2. Cấp cơ sở" in result.answer
    # a question with a colon and no sentence pointed at is none ("KH 205: ai ký …"); a claim after a colon that is
    # no quotation word for word is answered as a question, never refused as a quotation found nowhere
    assert asked_quote("KH 205: ai ký, ký ngày nào vậy các anh chị ơi") is None
    claim = assistant.answer("Check giúp em có đúng không: hội nghị 500 đại biểu của thành phố tổ chức vào quý II")
    assert "Không tìm thấy câu trích này" not in claim.answer


def test_a_sentence_ending_in_a_colon_runs_on_into_what_it_introduces(assistant):
    result = assistant.answer("HD thị ủy: câu đầy đủ của ý 'Các ý kiến tập trung vào các nội dung' là gì")
    assert not result.refused and "(1) Khẳng định vai trò to lớn" in result.answer
