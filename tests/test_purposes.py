"""A plan's purposes or requirements asked of the plan as a whole: its whole "Mục đích" / "Yêu cầu" (rag.purposes)."""
from __future__ import annotations

from rag.purposes import PURPOSE, REQUIREMENT, asked_section


def test_what_is_asked_of_the_plan_as_a_whole():
    assert asked_section("KH của Huyện ủy đề ra mục đích gì vậy ạ", ["huyen uy"]) == PURPOSE
    assert asked_section("mttq thanh pho xay dung ke hoach nay de lam gi vay a", ["mttq", "mttq thanh pho"]) == PURPOSE
    assert asked_section("Sở KHCN triển khai đợt sinh hoạt này nhằm mục đích gì ạ?", ["so khcn"]) == PURPOSE
    # (as the question reads once normalised: "so KHCN yc tranh benh j")
    assert asked_section("sở khoa học và công nghệ yêu cầu tranh bệnh gì khi tổ chức",
                         ["so khoa hoc va cong nghe"]) == REQUIREMENT
    # one item, one point, or what the book says: not the plan's section
    assert asked_section("Mục đích thứ hai của kế hoạch MTTQ nhằm nâng cao ý thức của những ai?", ["mttq"]) is None
    assert asked_section("muc dich cua viec xu ly tham nhung, tieu cuc la gi", []) is None
    assert asked_section("Trung tâm Truyền thông khuyến khích phóng viên sáng tác để làm gì?", []) is None
    assert asked_section("KH 205 do ai ký", ["kh 205"]) is None


def test_the_purposes_of_a_plan_with_a_purpose_sub_section(assistant):
    # "1. Mục đích" has three bullets over two passages: each is quoted (before: the first only)
    result = assistant.answer("Sở KHCN Điện Biên triển khai đợt sinh hoạt này nhằm mục đích gì ạ?")
    assert not result.refused
    assert result.answer.startswith("1. Mục đích:")
    for said in ("người lao động nhận thức sâu sắc", "hành động trong toàn Sở", "Nâng cao ý thức, trách nhiệm, quyết tâm"):
        assert said in result.answer
    assert {c.heading for c in result.citations} == {"I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích"}
    assert all(c.doc_id == "ke-hoach-so-khcn-dien-bien" for c in result.citations)


def test_the_purposes_of_a_plan_numbering_purposes_and_requirements_alike(assistant):
    # the Huyện ủy's "I. MỤC ĐÍCH, YÊU CẦU" numbers three items: the two without "phải" are its purposes (before: the
    # third, a requirement, was quoted)
    result = assistant.answer("KH của Huyện ủy đề ra mục đíc gì vậy ạ")
    assert not result.refused
    assert "nội dung cốt lõi và giá trị của tác phẩm" in result.answer and "ý chí trong toàn Đảng bộ" in result.answer
    assert "phải được triển khai nghiêm túc" not in result.answer
    # typed plain, a plan named by its issuer: its own purposes, not the line saying it was "xây dựng"
    mttq = assistant.answer("mttq thanh pho xay dung ke hoach nay de lam gi vay a")
    assert "nâng cao ý thức, trách nhiệm của MTTQ các cấp" in mttq.answer
    assert all(c.heading.startswith("I. MỤC ĐÍCH, YÊU CẦU") for c in mttq.citations)


def test_what_to_avoid_is_among_the_requirements(assistant):
    result = assistant.answer("so KHCN yc tranh benh j khi to chuc")
    assert not result.refused
    assert result.answer.startswith("2. Yêu cầu:") and "không hình thức, chiếu lệ" in result.answer
