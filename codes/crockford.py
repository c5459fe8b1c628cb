"""Crockford base32 symbols, input normalisation and the check symbol.

The check symbol is a weighted sum over GF(32): symbol j is multiplied by alpha**j, where alpha
generates the field. A single substitution changes the sum by alpha**j * (a ^ b), never zero; an
adjacent transposition changes it by alpha**j * (a ^ b) * (1 ^ alpha), never zero either. So both
are always caught, and the check stays inside the 32-symbol alphabet a shopper can type.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

# One pass over typed text: upper case, look-alikes folded (O->0, I/L->1), separators dropped
# (spaces, hyphens, dashes, dots, underscores).
_FOLD = str.maketrans(
    {
        **{ch: ch.upper() for ch in "abcdefghjkmnpqrstvwxyz"},
        **{ch: "0" for ch in "oO"},
        **{ch: "1" for ch in "iIlL"},
        **{ch: None for ch in " \t\r\n-\u2010\u2011\u2012\u2013\u2014\u2212._"},
    }
)
_CODE_SYMBOLS = re.compile(f"[{ALPHABET}]+")
# Crockford symbols -> the digits Python's int(text, 32) reads (0-9, A-V)
_TO_INT32 = str.maketrans(ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTUV")

MAX_INPUT = 512


def fold(text: str) -> str:
    """Typed text folded as codes are read (case, look-alikes, separators), nothing refused."""
    return text.translate(_FOLD)


# GF(2^5) with the primitive polynomial x^5 + x^2 + 1.
_EXP = [0] * 62
_LOG = [0] * 32
_x = 1
for _i in range(31):
    _EXP[_i] = _EXP[_i + 31] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x20:
        _x ^= 0x25


def gf_mul_alpha_power(value: int, power: int) -> int:
    """value * alpha**power in GF(32)."""
    if value == 0:
        return 0
    return _EXP[(_LOG[value] + power) % 31]


# _TIMES[j][v] = v * alpha**j; alpha**31 = 1, so position j uses row j % 31
_TIMES = [[gf_mul_alpha_power(v, j) for v in range(32)] for j in range(31)]


def weighted_sum(values: list[int]) -> int:
    total = 0
    for j, v in enumerate(values):
        total ^= _TIMES[j % 31][v]
    return total


def check_symbol_value(values: list[int]) -> int:
    """The value c that, placed after `values`, makes the weighted sum zero."""
    return gf_mul_alpha_power(weighted_sum(values), 31 - len(values) % 31)


def check_passes(values: list[int]) -> bool:
    """True when the last symbol is the right check symbol for the ones before it."""
    return weighted_sum(values) == 0


# _TIMES_BY_SYMBOL[j][ch] = VALUE[ch] * alpha**j: the same sum read straight from text
_TIMES_BY_SYMBOL = [{ch: times[v] for ch, v in VALUE.items()} for times in _TIMES]


def check_passes_text(symbols: str) -> bool:
    """`check_passes` straight from normalised text (the scan path)."""
    total = 0
    for j, ch in enumerate(symbols):
        total ^= _TIMES_BY_SYMBOL[j % 31][ch]
    return total == 0


# _TIMES_BY_BYTE[j, ord(ch)] = VALUE[ch] * alpha**j, for whole batches at once
_TIMES_BY_BYTE = np.zeros((31, 128), np.uint8)
for _j, _by_symbol in enumerate(_TIMES_BY_SYMBOL):
    for _ch, _times in _by_symbol.items():
        _TIMES_BY_BYTE[_j, ord(_ch)] = _times


def check_passes_rows(chars: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """`check_passes_text` for codes given as rows of symbol bytes (see `normalise_rows`)."""
    total = np.zeros(len(chars), np.uint8)
    for j in range(chars.shape[1]):
        total ^= _TIMES_BY_BYTE[j % 31, chars[:, j]]
    passes: npt.NDArray[np.bool_] = total == 0
    return passes


_IS_SYMBOL = np.zeros(256, bool)
_IS_SYMBOL[ALPHABET_BYTES] = True
# symbol byte -> its value (0..31), for whole batches at once
VALUE_BY_BYTE = np.zeros(256, np.uint64)
VALUE_BY_BYTE[ALPHABET_BYTES] = np.arange(32, dtype=np.uint64)


def normalise_rows(texts: list[str], width: int) -> npt.NDArray[np.uint8] | None:
    """`normalise` for many codes at once, as rows of symbol bytes, when every text comes out as
    `width` symbols; None when any does not (a link, a symbol missing or too many, anything
    odd): check those one by one. The server's re-check of a push, where codes are nearly always as printed."""
    if not texts or max(map(len, texts)) > MAX_INPUT:
        return None
    folded = ",".join(texts).translate(_FOLD)  # "," is neither a symbol nor folded away
    if len(folded) != len(texts) * (width + 1) - 1 or not folded.isascii():
        return None
    rows = np.frombuffer((folded + ",").encode("ascii"), np.uint8).reshape(len(texts), width + 1)
    if not (rows[:, width] == ord(",")).all() or not _IS_SYMBOL[rows[:, :width]].all():
        return None
    return rows[:, :width]


class NotACode(ValueError):
    """Input that cannot be a code at all; the message says why in a shopper's terms."""


def normalise(text: str) -> str:
    """The compact symbols of a typed, scanned or linked code: `hv-7k3m o1` -> `HV7K3M01`.

    Raises NotACode for text that cannot be a code (empty, too long, foreign characters).
    """
    if not isinstance(text, str):
        raise NotACode("Not a code: expected text.")
    if len(text) > MAX_INPUT:
        raise NotACode(f"Not a code: {len(text)} characters is far too long.")
    text = text.strip()
    if not text:
        raise NotACode("No code given.")
    if "/" in text or "?" in text:
        text = _code_from_url(text)
    compact = text.translate(_FOLD)
    if _CODE_SYMBOLS.fullmatch(compact):
        return compact
    if not compact:
        raise NotACode("No code given.")
    if "U" in compact or "u" in compact:
        raise NotACode("Not a code: the letter U never appears in codes.")
    bad = sorted({ch for ch in compact if ch not in ALPHABET})
    shown = ", ".join(repr(ch) for ch in bad[:3])
    raise NotACode(f"Not a code: it contains {shown}, which never appear in codes.")


def _code_from_url(text: str) -> str:
    """A QR may point at a claim page: take ?code= (or ?c=), else the last path segment."""
    try:
        parts = urlsplit(text if "://" in text else "//" + text)
    except ValueError:  # e.g. an unclosed "[" reads as a broken IPv6 address
        raise NotACode("Not a code: the link cannot be read.") from None
    query = parse_qs(parts.query)
    for name in ("code", "c"):
        if query.get(name):
            return query[name][0]
    segments = [s for s in unquote(parts.path).split("/") if s]
    if not segments:
        raise NotACode("Not a code: the link carries no code.")
    return segments[-1]


def symbols_to_values(compact: str) -> list[int]:
    return [VALUE[ch] for ch in compact]


def symbols_to_int(symbols: str) -> int:
    """The number a run of symbols spells in base 32."""
    return int(symbols.translate(_TO_INT32), 32)


def values_to_symbols(values: list[int]) -> str:
    return "".join(ALPHABET[v] for v in values)
