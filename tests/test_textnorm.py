import random
import unicodedata

import pytest

from hoidap import textnorm
from hoidap.settings import PROJECT_ROOT
from hoidap.textnorm import fold, folded_tokens, nfc, tokens
from ingest.encodings import EncodingError, decode_text, encode_tcvn3


def test_tone_placement_is_canonical():
    assert nfc("hoà") == nfc("hòa") == "hòa"
    assert nfc("uỷ ban") == nfc("ủy ban") == "ủy ban"
    assert nfc("quý") == "quý"  # "qu" is a consonant: the tone stays on y
    assert nfc("hoàn thành") == "hoàn thành"  # a final consonant keeps the tone on a
    # a vowel with a second mark ends no syllable: "hoặc" is not respelled "họăc"
    assert nfc("hoặc ngoặc") == "hoặc ngoặc"
    assert nfc(unicodedata.normalize("NFD", "hoặc HOÀ")) == "hoặc HÒA"


def test_nfc_fast_path_agrees_with_full_normalisation():
    """Text already in NFC with no old-style tone skips the slow path: same result on the corpus
    and on old-style, decomposed and mixed-case spellings."""
    def full(text):
        decomposed = unicodedata.normalize("NFD", text)
        return unicodedata.normalize("NFC", textnorm._OLD_STYLE.sub(textnorm._move_tone, decomposed))

    words = " ".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "data").glob("*.txt"))).split()
    words += ["hoà", "Hoà.", "HOÀ", "thuỷ", "khoẻ", "xoè,", "uỷ", "qUỷ", "quà", "hoá", "hoặc", "ngoặc", "toàn"]
    rng = random.Random(5)
    for _ in range(20_000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.3:
            text = unicodedata.normalize("NFD", text)
        assert nfc(text) == full(text), text


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
