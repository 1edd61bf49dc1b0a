from ingest.encodings import EncodingError, decode_text, encode_tcvn3
from hoidap.textnorm import fold, folded_tokens, nfc, tokens
import pytest


def test_tone_placement_is_canonical():
    assert nfc("hoà") == nfc("hòa") == "hòa"
    assert nfc("uỷ ban") == nfc("ủy ban") == "ủy ban"
    assert nfc("quý") == "quý"  # "qu" is a consonant: the tone stays on y
    assert nfc("hoàn thành") == "hoàn thành"  # a final consonant keeps the tone on a


def test_fold_and_tokens():
    assert fold("Tác phẩm gồm mấy phần") == "tac pham gom may phan"
    assert fold("Đảng") == "dang"
    toks = tokens("Ủy ban ở Yên Bái")
    assert "ở" in toks and "yên_bái" in toks  # one-syllable words are kept
    assert folded_tokens("uỷ ban") == folded_tokens("ủy ban")


def test_legacy_encodings():
    text = "kế hoạch của đảng và các người trong một nước có những việc được làm"
    decoded, enc = decode_text(encode_tcvn3(text))
    assert enc == "tcvn3" and decoded == text
    vni = "Keá hoaïch cuûa ñaûng vaø caùc ngöôøi trong moät nöôùc coù nhöõng vieäc ñöôïc laøm".encode("cp1252")
    with pytest.raises(EncodingError, match="VNI"):
        decode_text(vni)
    with pytest.raises(EncodingError, match="binary"):
        decode_text(b"\x00\x01\x02\xff" * 10)
