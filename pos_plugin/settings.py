"""The till's settings, in one place: who is at the till, how pictures are read, where the bridge
listens."""

from __future__ import annotations

from dataclasses import dataclass

from codes.qr_read import Decoder

DEFAULT_PORT = 8780


@dataclass(frozen=True)
class PosSettings:
    cashier: str = ""  # recorded on every event: cashier limits and reports use it
    decoder: Decoder = "zxing"
    repeat_window_s: float = 2.0  # a scanner gun reading one code twice within this is one scan
    refund_reason: str = "refund at the till"
    host: str = "127.0.0.1"  # the bridge serves this till's POS only: loopback
    port: int = DEFAULT_PORT
