"""FF1 specialised to radix 32: thousands of codes per AES call, and a fast single-code path.

With radix 32, NUM and STR are bit shifts, so each half of up to 12 symbols is a uint64. Everything
in FF1's round input except the round number and the right half is fixed for one key, tweak and
length: the CBC-MAC over those fixed blocks is computed once, and each round is then a single
AES-ECB call over the whole chunk. Results are bit-identical to `ff1.encrypt`/`ff1.decrypt`.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

U64 = npt.NDArray[np.uint64]
MIN_SYMBOLS = 4  # 32**4 >= NIST's minimum domain of 10**6
MAX_SYMBOLS = 24  # each half at most 12 symbols = 60 bits


class _Work:
    """Buffers reused by every round of one batch."""

    def __init__(self, cipher: Cipher[modes.ECB], count: int) -> None:
        self.enc = cipher.encryptor()
        self.blocks = np.empty((count, 2), dtype=">u8")
        self.blocks_bytes = memoryview(self.blocks.data).cast("B")
        self.lo = np.empty(count, dtype=np.uint64)
        self.out = bytearray(count * 16 + 15)  # update_into wants room for one more block


class Radix32FF1:
    """FF1 with one key and tweak over strings of `n` radix-32 symbols."""

    def __init__(self, key: bytes, tweak: bytes, n: int) -> None:
        if not MIN_SYMBOLS <= n <= MAX_SYMBOLS:
            raise ValueError(
                f"radix-32 FF1 handles {MIN_SYMBOLS} to {MAX_SYMBOLS} symbols, not {n}"
            )
        if len(key) not in (16, 24, 32):
            raise ValueError("FF1 key must be 16, 24 or 32 bytes (AES-128, AES-192 or AES-256)")
        self.n = n
        self.u = n // 2
        self.v = n - self.u
        b = (5 * self.v + 7) // 8
        d = 4 * ((b + 3) // 4) + 4
        self._y_byte = d - 8
        # y = NUM(R[:d]); only its low bits matter (masks are under 64 bits), so shift R right
        self._y_shift = 8 * (16 - d)
        t = len(tweak)
        p = (
            bytes([1, 2, 1])
            + (32).to_bytes(3, "big")
            + bytes([10, self.u % 256])
            + n.to_bytes(4, "big")
            + t.to_bytes(4, "big")
        )
        fixed = p + bytes(tweak) + bytes((-t - b - 1) % 16)
        head, tail = fixed[: len(fixed) - (15 - b)], fixed[len(fixed) - (15 - b) :]
        self._cipher = Cipher(algorithms.AES(bytes(key)), modes.ECB())
        mac = Cipher(algorithms.AES(bytes(key)), modes.CBC(bytes(16))).encryptor()
        state = int.from_bytes((mac.update(head) + mac.finalize())[-16:], "big")
        # Round i's AES input is base[i] XOR NUM(B); NUM(B) fills the last b bytes.
        self._base = [
            state ^ int.from_bytes(tail + bytes([i]) + bytes(b), "big") for i in range(10)
        ]
        self._masks = [(1 << (5 * (self.u if i % 2 == 0 else self.v))) - 1 for i in range(10)]
        self._local = threading.local()

    # -- single values (checking one code) -------------------------------------------------

    def _ecb(self) -> object:
        enc = getattr(self._local, "enc", None)
        if enc is None:
            enc = self._local.enc = self._cipher.encryptor()
        return enc

    def encrypt_int(self, a: int, b: int) -> tuple[int, int]:
        """Encrypt one value given as its halves: a (u symbols) and b (v symbols)."""
        update, base, masks = self._ecb().update, self._base, self._masks  # type: ignore[attr-defined]
        shift, from_bytes = self._y_shift, int.from_bytes
        for i in range(10):
            y = from_bytes(update((base[i] ^ b).to_bytes(16))) >> shift  # big-endian
            a, b = b, (a + y) & masks[i]
        return a, b

    def decrypt_int(self, a: int, b: int) -> tuple[int, int]:
        update, base, masks = self._ecb().update, self._base, self._masks  # type: ignore[attr-defined]
        shift, from_bytes = self._y_shift, int.from_bytes
        for i in range(9, -1, -1):
            y = from_bytes(update((base[i] ^ a).to_bytes(16))) >> shift  # big-endian
            a, b = (b - y) & masks[i], a
        return a, b

    # -- batches (minting, server re-checks) ----------------------------------------------

    def _y_batch(self, i: int, half: U64, work: _Work) -> U64:
        work.blocks[:, 0] = self._base[i] >> 64
        np.bitwise_xor(half, np.uint64(self._base[i] & 0xFFFFFFFFFFFFFFFF), out=work.lo)
        work.blocks[:, 1] = work.lo
        work.enc.update_into(work.blocks_bytes, work.out)
        # y mod 2**64 is R[d-8:d]: a strided big-endian view, no copy.
        y = np.ndarray(
            (half.shape[0],), dtype=">u8", buffer=work.out, offset=self._y_byte, strides=(16,)
        )
        return y.astype(np.uint64)

    def encrypt_batch(self, a: U64, b: U64) -> tuple[U64, U64]:
        """Encrypt many values at once; one AES call per round over the whole batch."""
        a = np.asarray(a, dtype=np.uint64)
        b = np.asarray(b, dtype=np.uint64)
        if not a.shape[0]:  # nothing to do, and no buffer can be made for it
            return a, b
        work = _Work(self._cipher, a.shape[0])
        for i in range(10):
            c = self._y_batch(i, b, work)
            c += a
            c &= np.uint64(self._masks[i])
            a, b = b, c
        return a, b

    def decrypt_batch(self, a: U64, b: U64) -> tuple[U64, U64]:
        a = np.asarray(a, dtype=np.uint64)
        b = np.asarray(b, dtype=np.uint64)
        if not a.shape[0]:  # nothing to do, and no buffer can be made for it
            return a, b
        work = _Work(self._cipher, a.shape[0])
        for i in range(9, -1, -1):
            c = b - self._y_batch(i, a, work)
            c &= np.uint64(self._masks[i])
            a, b = c, a
        return a, b

    # -- digit lists, for tests against the reference -------------------------------------

    def split(self, digits: list[int]) -> tuple[int, int]:
        a = b = 0
        for d in digits[: self.u]:
            a = a << 5 | d
        for d in digits[self.u :]:
            b = b << 5 | d
        return a, b

    def join(self, a: int, b: int) -> list[int]:
        return [(a >> 5 * k) & 31 for k in range(self.u - 1, -1, -1)] + [
            (b >> 5 * k) & 31 for k in range(self.v - 1, -1, -1)
        ]
