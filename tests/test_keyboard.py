"""Questions typed with the Vietnamese input method off: Telex and VNI keystrokes left in the text."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def lex(assistant):
    from rag.structures import structures

    return structures(assistant.index).lexicon


@pytest.mark.parametrize("typed,read", [
    ("kees hoachj 205 ai kys", "kế hoạch 205 ai ký"),  # Telex, tone letters at the end
    ("hanj baos caos cuar huyeenj uyr", "hạn báo cáo của huyện ủy"),
    ("tham nhungx, tieeu cuwcj", "tham nhũng, tiêu cực"),
    ("dduowcj giao", "được giao"),  # "dd" is đ, "uow" is ươ
    ("ke61 hoa5ch cu3a huye65n u3y", "kế hoạch của huyện ủy"),  # VNI digits
    ("Kees hoachj", "Kế hoạch"),  # the capital stays
])
def test_input_method_keystrokes_are_read_as_the_syllables_typed_for(lex, typed, read):
    from rag.keyboard import decode_input_method

    assert decode_input_method(typed, lex) == read


def test_a_forgotten_modifier_is_read_as_the_corpus_spelling_with_the_typed_tone(lex):
    from rag.keyboard import decode_input_method

    # "trietj" is "triẹt" as keyed: the corpus has "triệt" with that tone
    assert decode_input_method("quan trietj", lex) == "quan triệt"


@pytest.mark.parametrize("typed", [
    "KH 205-KH/TU ngày 04/4/2023",  # numbers and abbreviations
    "UBND, MTTQ, BTG, KHCN, HU, TU",
    "tl sh, bc kq, j z, hok, ko",  # chat slang has no vowel to mark
    "thanks ad, email, zalo, facebook, online",  # no syllable is spelled so
    "tháng 5, t6, q1, 2.470, kh205",
    "tac pham gom may phan",  # plain letters: the spelling correction's job
])
def test_words_without_input_method_keystrokes_are_left_alone(lex, typed):
    from rag.keyboard import decode_input_method

    assert decode_input_method(typed, lex) == typed


def test_a_place_the_corpus_lacks_is_still_named_and_refused(assistant):
    result = assistant.answer("kees hoachj cuar tinhr uyr Thanh Hoas")
    assert result.refused
    assert "Thanh Hóa" in result.answer


@pytest.mark.parametrize("question,expected,doc", [
    ("kees hoachj 205 ai kys", "Đỗ Văn Nghị", "ke-hoach-205-thanh-uy-yen-bai"),
    ("ke61 hoa5ch cu3a huye65n u3y ai ky1", "Ung Văn Tám", "ke-hoach-huyen-uy"),
])
def test_a_question_typed_with_the_input_method_off_is_answered(assistant, question, expected, doc):
    result = assistant.answer(question)
    assert not result.refused and expected in result.answer
    assert result.citations[0].doc_id == doc


def test_a_vni_word_with_a_telex_d_is_read(lex):
    from rag.keyboard import decode_input_method

    assert decode_input_method("dda3ng u3y", lex) == "đảng ủy"
