"""A QR-friendly text encoding for binary ticket tokens.

RFC 9285's Base45 packs two bytes into three characters of the QR alphanumeric set, which
QR codes store at 5.5 bits a character. Its alphabet contains a space and '%', and a token
that ends in a space (one in 45 do) breaks wherever staff or a keyboard wedge trims input.
This codec keeps Base45's layout (two bytes to three characters, a lone last byte to two)
with the 43 alphanumeric characters that remain: 43**3 = 79,507 still covers 65,536, so the
output is exactly as long as Base45's.
"""

from __future__ import annotations

import struct

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-./:"
_BASE = len(ALPHABET)
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


class Base43Error(ValueError):
    """The text is not valid base43 (bad character, bad length or a chunk out of range)."""


def encoded_length(n_bytes: int) -> int:
    """How many characters `encode` produces for `n_bytes` bytes."""
    return (n_bytes // 2) * 3 + (2 if n_bytes % 2 else 0)


def encode(data: bytes) -> str:
    """Encode bytes as base43 text (characters of the QR alphanumeric set only)."""
    out: list[str] = []
    alphabet = ALPHABET
    for i in range(0, len(data) - 1, 2):
        n = (data[i] << 8) | data[i + 1]
        n, c0 = divmod(n, _BASE)
        c2, c1 = divmod(n, _BASE)
        out.append(alphabet[c0] + alphabet[c1] + alphabet[c2])
    if len(data) % 2:
        c1, c0 = divmod(data[-1], _BASE)
        out.append(alphabet[c0] + alphabet[c1])
    return "".join(out)


# bytes.translate maps each character to its digit in one C call; 0xFF marks the rest.
_DIGITS = bytes(_INDEX.get(chr(code), 0xFF) if code < 128 else 0xFF for code in range(256))


def decode(text: str) -> bytes:
    """Decode base43 text; raises `Base43Error` for anything `encode` cannot produce."""
    if len(text) % 3 == 1:
        raise Base43Error("length is not a valid base43 length")
    if not text.isascii():
        raise Base43Error("text contains characters outside the base43 alphabet")
    digits = text.encode("ascii").translate(_DIGITS)
    if 0xFF in digits:
        bad = text[digits.index(0xFF)]
        raise Base43Error(f"character {bad!r} is not in the base43 alphabet")
    full = len(digits) - len(digits) % 3
    b2 = _BASE * _BASE
    groups = [
        a + b * _BASE + c * b2
        for a, b, c in zip(digits[0:full:3], digits[1:full:3], digits[2:full:3], strict=True)
    ]
    if groups and max(groups) > 0xFFFF:
        raise Base43Error("a three-character group exceeds two bytes")
    out = struct.pack(f">{len(groups)}H", *groups)
    if full < len(digits):
        n = digits[full] + digits[full + 1] * _BASE
        if n > 0xFF:
            raise Base43Error("the final two-character group exceeds one byte")
        out += bytes((n,))
    return out
