"""What a code carries and how it is written.

A code is `PREFIX-BBBB-BBBB-BBBB-BBBBC`: the campaign prefix, 16 symbols of FF1 ciphertext over
Crockford base32, and one check symbol over prefix and body. The 80-bit plaintext packs, from the
top: key version (4 bits), tier (5), serial (34: up to 17,179,869,184 codes) and a redundancy field
(37 bits) that must decrypt to a fixed value. The key version must also match the key that
decrypted it, so a random or forged code passes with probability 2**-41 per key version tried.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from codes import crockford

U64 = npt.NDArray[np.uint64]

BODY_SYMBOLS = 16
HALF_BITS = 5 * BODY_SYMBOLS // 2  # 40: each FF1 half as a uint64
VERSION_BITS, TIER_BITS, SERIAL_BITS, REDUNDANCY_BITS = 4, 5, 34, 37
MAX_KEY_VERSION = (1 << VERSION_BITS) - 1
MAX_TIERS = 1 << TIER_BITS
MAX_SERIALS = 1 << SERIAL_BITS
REDUNDANCY = 0x0A5A5A5A5A & ((1 << REDUNDANCY_BITS) - 1)
MAX_PREFIX = 6
# body grouping for print: 4-4-4-4, the check symbol joins the last group
GROUPS = (4, 4, 4, 5)

_B_SERIAL_BITS = HALF_BITS - REDUNDANCY_BITS  # low serial bits that live in the right half
HALF_MASK = (1 << HALF_BITS) - 1


def pack(version: int, tier: int, serial: int) -> tuple[int, int]:
    """Plaintext halves (a, b) of one code."""
    value = (
        ((version << TIER_BITS | tier) << SERIAL_BITS | serial) << REDUNDANCY_BITS
    ) | REDUNDANCY
    return value >> HALF_BITS, value & HALF_MASK


def unpack(a: int, b: int) -> tuple[int, int, int, int]:
    """(version, tier, serial, redundancy) from plaintext halves."""
    value = a << HALF_BITS | b
    redundancy = value & ((1 << REDUNDANCY_BITS) - 1)
    value >>= REDUNDANCY_BITS
    serial = value & (MAX_SERIALS - 1)
    value >>= SERIAL_BITS
    return value >> TIER_BITS, value & (MAX_TIERS - 1), serial, redundancy


def pack_batch(version: int, tiers: npt.NDArray[np.intp], serials: U64) -> tuple[U64, U64]:
    """Plaintext halves of many codes; the same bits as `pack`."""
    high_serial_bits = SERIAL_BITS - _B_SERIAL_BITS  # 31 serial bits in the left half
    a = tiers.astype(np.uint64) << np.uint64(high_serial_bits)
    a |= np.uint64(version << (TIER_BITS + high_serial_bits))
    a |= serials >> np.uint64(_B_SERIAL_BITS)
    b = (serials & np.uint64((1 << _B_SERIAL_BITS) - 1)) << np.uint64(REDUNDANCY_BITS)
    b |= np.uint64(REDUNDANCY)
    return a, b


def unpack_batch(a: U64, b: U64) -> tuple[U64, U64, U64, U64]:
    """(version, tier, serial, redundancy) of many plaintexts; the same bits as `unpack`."""
    high_serial_bits = SERIAL_BITS - _B_SERIAL_BITS
    redundancy = b & np.uint64((1 << REDUNDANCY_BITS) - 1)
    serial = (a & np.uint64((1 << high_serial_bits) - 1)) << np.uint64(_B_SERIAL_BITS)
    serial |= b >> np.uint64(REDUNDANCY_BITS)
    tier = (a >> np.uint64(high_serial_bits)) & np.uint64(MAX_TIERS - 1)
    version = a >> np.uint64(TIER_BITS + high_serial_bits)
    return version, tier, serial, redundancy


def halves_to_values(a: int, b: int) -> list[int]:
    return [(a >> 5 * k) & 31 for k in range(7, -1, -1)] + [
        (b >> 5 * k) & 31 for k in range(7, -1, -1)
    ]


def group(prefix: str, body_and_check: str) -> str:
    """`HV`, `7K3MQ2XA9FRTB8WNK` -> `HV-7K3M-Q2XA-9FRT-B8WNK`."""
    parts = [prefix]
    pos = 0
    for size in GROUPS:
        parts.append(body_and_check[pos : pos + size])
        pos += size
    return "-".join(parts)


def format_code(prefix: str, a: int, b: int) -> str:
    """The printed text of the code whose ciphertext halves are (a, b)."""
    values = crockford.symbols_to_values(prefix) + halves_to_values(a, b)
    values.append(crockford.check_symbol_value(values))
    return group(prefix, crockford.values_to_symbols(values[len(prefix) :]))


def text_width(prefix: str) -> int:
    return len(prefix) + len(GROUPS) + BODY_SYMBOLS + 1


@functools.cache
def _check_tables(prefix: str) -> tuple[npt.NDArray[np.uint8], ...]:
    """Check symbols from ciphertext bits by table look-up.

    Multiplying by alpha**j is linear over GF(2), so the check symbol is the XOR of one
    contribution per set bit of the body, plus a constant for the prefix. Tables over 16-bit
    chunks of each 40-bit half turn sixteen per-symbol look-ups into six.
    """
    plen = len(prefix)
    last = plen + BODY_SYMBOLS  # position of the check symbol
    undo = (31 - last % 31) % 31  # times alpha**-last, as in crockford.check_symbol_value
    # contribution of bit `k` (0 = least significant) of the 80-bit body
    contrib = []
    for k in range(2 * HALF_BITS):
        position = plen + BODY_SYMBOLS - 1 - k // 5
        value = crockford.gf_mul_alpha_power(1 << (k % 5), position)
        contrib.append(crockford.gf_mul_alpha_power(value, undo))
    constant = crockford.gf_mul_alpha_power(
        crockford.weighted_sum(crockford.symbols_to_values(prefix)), undo
    )
    tables = []
    for low_bit, width in ((0, 16), (16, 16), (32, 8), (40, 16), (56, 16), (72, 8)):
        index = np.arange(1 << width)
        table = np.zeros(1 << width, dtype=np.uint8)
        for k in range(width):
            table[(index >> k) & 1 == 1] ^= contrib[low_bit + k]
        tables.append(table)
    tables[0] ^= np.uint8(constant)
    return tuple(tables)


# Two symbols (10 bits) -> their two ASCII bytes, first symbol in the low byte.
_PAIRS = (
    crockford.ALPHABET_BYTES.astype(np.uint32)[np.arange(1024) >> 5]
    | crockford.ALPHABET_BYTES.astype(np.uint32)[np.arange(1024) & 31] << 8
).astype(np.uint32)


@functools.cache
def _text_record(prefix: str) -> np.dtype[np.void]:
    """A record over one printed code: each 4-symbol group is one little-endian uint32."""
    offsets, col = [], len(prefix)
    for size in GROUPS:
        offsets.append(col + 1)
        col += 1 + size
    return np.dtype(
        {
            "names": ["g0", "g1", "g2", "g3", "check"],
            "formats": ["<u4", "<u4", "<u4", "<u4", "u1"],
            "offsets": [*offsets, col - 1],
            "itemsize": text_width(prefix),
        }
    )


def _group_words(half: U64) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The two 4-symbol groups of a 40-bit half, as ASCII in uint32 words."""
    m10 = np.uint64(1023)
    words = []
    for shift in (30, 10):
        first = np.take(_PAIRS, (half >> np.uint64(shift)) & m10)
        second = np.take(_PAIRS, (half >> np.uint64(shift - 10)) & m10)
        second <<= np.uint32(16)
        second |= first
        words.append(second)
    return words[0], words[1]


def format_batch(prefix: str, a: U64, b: U64) -> npt.NDArray[np.uint8]:
    """Printed texts of many codes as a (count, width) matrix of ASCII bytes."""
    count = a.shape[0]
    t = _check_tables(prefix)
    m16 = np.uint64(0xFFFF)
    check = np.take(t[0], b & m16)
    check ^= np.take(t[1], (b >> np.uint64(16)) & m16)
    check ^= np.take(t[2], b >> np.uint64(32))
    check ^= np.take(t[3], a & m16)
    check ^= np.take(t[4], (a >> np.uint64(16)) & m16)
    check ^= np.take(t[5], a >> np.uint64(32))

    out = np.empty((count, text_width(prefix)), dtype=np.uint8)
    out[:] = np.frombuffer(group(prefix, "?" * (BODY_SYMBOLS + 1)).encode("ascii"), np.uint8)
    record = out.view(_text_record(prefix)).reshape(count)
    record["g0"], record["g1"] = _group_words(a)
    record["g2"], record["g3"] = _group_words(b)
    record["check"] = np.take(crockford.ALPHABET_BYTES, check)
    return out
