"""FF1 format-preserving encryption (NIST SP 800-38G, Algorithm 7 and 8) over AES.

This is the reference implementation: any radix from 2 to 65536, any tweak length, AES-128/192/256.
Minting and the server's re-checks use the batched radix-32 path in `ff1_radix32`, which is tested
to be bit-identical to this one.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MIN_DOMAIN = 1_000_000  # NIST: radix**len must be at least one million
MAX_LEN = 2**32
_ZERO_IV = bytes(16)


def _validate(key: bytes, tweak: bytes, radix: int, digits: Sequence[int]) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) not in (16, 24, 32):
        raise ValueError("FF1 key must be 16, 24 or 32 bytes (AES-128, AES-192 or AES-256)")
    if not isinstance(tweak, bytes | bytearray):
        raise ValueError("FF1 tweak must be bytes")
    if not isinstance(radix, int) or not 2 <= radix <= 65536:
        raise ValueError(f"FF1 radix must be an integer from 2 to 65536, got {radix!r}")
    n = len(digits)
    if n < 2 or n > MAX_LEN:
        raise ValueError(f"FF1 input must have 2 to 2**32 digits, got {n}")
    if radix**n < MIN_DOMAIN:
        raise ValueError(
            f"FF1 domain too small: {radix}**{n} is below NIST's minimum of {MIN_DOMAIN:,}"
        )
    for d in digits:
        if not isinstance(d, int) or not 0 <= d < radix:
            raise ValueError(f"FF1 digit {d!r} is out of range for radix {radix}")


def _num(digits: Sequence[int], radix: int) -> int:
    value = 0
    for d in digits:
        value = value * radix + d
    return value


def _str(value: int, radix: int, length: int) -> list[int]:
    out = [0] * length
    for i in range(length - 1, -1, -1):
        value, out[i] = divmod(value, radix)
    return out


class _Rounds:
    """What both directions share: the fixed block P, sizes, and the round function."""

    def __init__(self, key: bytes, tweak: bytes, radix: int, n: int) -> None:
        self.radix = radix
        self.u = n // 2
        self.v = n - self.u
        self.tweak = bytes(tweak)
        self.b = ((radix**self.v - 1).bit_length() + 7) // 8  # ceil(ceil(v*log2 radix)/8)
        self.d = 4 * ((self.b + 3) // 4) + 4
        t = len(tweak)
        self.p = (
            bytes([1, 2, 1])
            + radix.to_bytes(3, "big")
            + bytes([10, self.u % 256])
            + n.to_bytes(4, "big")
            + t.to_bytes(4, "big")
        )
        self.pad = bytes((-t - self.b - 1) % 16)
        self.cipher = Cipher(algorithms.AES(bytes(key)), modes.ECB())
        self.key = bytes(key)

    def y(self, i: int, half: int) -> int:
        q = self.tweak + self.pad + bytes([i]) + half.to_bytes(self.b, "big")
        mac = Cipher(algorithms.AES(self.key), modes.CBC(_ZERO_IV)).encryptor()
        r = (mac.update(self.p + q) + mac.finalize())[-16:]
        s = r
        if self.d > 16:
            ecb = self.cipher.encryptor()
            for j in range(1, (self.d + 15) // 16):
                s += ecb.update(bytes(a ^ b for a, b in zip(r, j.to_bytes(16, "big"), strict=True)))
        return int.from_bytes(s[: self.d], "big")

    def m(self, i: int) -> int:
        return self.u if i % 2 == 0 else self.v


def encrypt(key: bytes, tweak: bytes, radix: int, digits: Sequence[int]) -> list[int]:
    """FF1.Encrypt(K, T, X): a list of digits of the same length and radix."""
    _validate(key, tweak, radix, digits)
    rounds = _Rounds(key, tweak, radix, len(digits))
    a = _num(digits[: rounds.u], radix)
    b = _num(digits[rounds.u :], radix)
    for i in range(10):
        m = rounds.m(i)
        c = (a + rounds.y(i, b)) % radix**m
        a, b = b, c
    return _str(a, radix, rounds.u) + _str(b, radix, rounds.v)


def decrypt(key: bytes, tweak: bytes, radix: int, digits: Sequence[int]) -> list[int]:
    """FF1.Decrypt(K, T, Y): the inverse of `encrypt`."""
    _validate(key, tweak, radix, digits)
    rounds = _Rounds(key, tweak, radix, len(digits))
    a = _num(digits[: rounds.u], radix)
    b = _num(digits[rounds.u :], radix)
    for i in range(9, -1, -1):
        m = rounds.m(i)
        c = (b - rounds.y(i, a)) % radix**m
        b, a = a, c
    return _str(a, radix, rounds.u) + _str(b, radix, rounds.v)
