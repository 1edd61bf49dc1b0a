"""Decode text files: UTF-8 first, then the legacy Vietnamese encodings still found in old
office documents. Windows-1258 and TCVN3 (ABC) are converted; VNI is recognised and rejected
with a message, since its two-byte sequences cannot be converted without ambiguity."""
from __future__ import annotations

import unicodedata

from charset_normalizer import from_bytes


class EncodingError(ValueError):
    """The bytes are text in an encoding we recognise but do not convert, or not text at all."""


# TCVN 5712:1993 (VN3, "ABC"): one byte per precomposed lowercase letter; capitals with a
# tone were drawn with a separate "H" font, so they decode to lowercase.
_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
TCVN3_ENCODE = {v: bytes([k]) for k, v in _TCVN3.items()}

# Frequent words, used to tell which decoding yields Vietnamese.
_COMMON = ("của", "và", "các", "được", "những", "trong", "là", "có", "không", "người", "đảng", "việt", "một", "với")
# The same words as VNI bytes look through a Windows-1252 decoder.
_VNI_MARKERS = ("cuûa", "vaø", "caùc", "ñöôïc", "nhöõng", "laø", "coù", "khoâng", "ngöôøi", "ñaûng", "vieät", "moät", "vôùi")


def decode_tcvn3(data: bytes) -> str:
    return "".join(_TCVN3.get(b, chr(b)) if b >= 0x80 else chr(b) for b in data)


def encode_tcvn3(text: str) -> bytes:
    """Inverse of decode_tcvn3 for lowercase Vietnamese text (used to make test files)."""
    return b"".join(TCVN3_ENCODE.get(ch, ch.encode("ascii", "replace")) for ch in unicodedata.normalize("NFC", text))


def _score(text: str) -> int:
    words = text.lower().split()
    common = set(_COMMON)
    return sum(1 for w in words if w.strip(".,;:()“”\"") in common)


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). Raises EncodingError naming what the bytes seem to be."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return unicodedata.normalize("NFC", data.decode("utf-16")), "utf-16"
    if b"\x00" in data[:4096]:
        raise EncodingError("binary data, not a text file")
    latin = data.decode("cp1252", errors="replace").lower()
    vni_hits = sum(latin.count(m) for m in _VNI_MARKERS)
    candidates = {
        "windows-1258": unicodedata.normalize("NFC", data.decode("cp1258", errors="replace")),
        "tcvn3": unicodedata.normalize("NFC", decode_tcvn3(data)),
    }
    scores = {name: _score(text) for name, text in candidates.items()}
    best = max(scores, key=scores.get)
    if vni_hits > scores[best]:
        raise EncodingError("the text seems to be VNI-encoded (VNI-Windows); convert it to UTF-8 first")
    if scores[best] >= 3:
        return candidates[best], best
    guess = from_bytes(data).best()
    seems = guess.encoding if guess else "unknown"
    raise EncodingError(f"not UTF-8 and not recognisable Vietnamese text (seems to be {seems})")
