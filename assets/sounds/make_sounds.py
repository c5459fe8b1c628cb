"""Makes the kiosk's two sounds from sine tones (run once; the WAVs are committed):
python make_sounds.py. Nothing is sampled or taken from elsewhere (see CREDITS.txt)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

HERE = Path(__file__).parent
RATE = 22050  # mono, 16-bit: small files, and every audio device plays them


def tones(notes: list[tuple[float, float]], volume: float = 0.35) -> bytes:
    """Each (frequency in Hz, seconds) in turn, with a short rise and a fall so nothing clicks."""
    frames = bytearray()
    for freq, seconds in notes:
        count = int(RATE * seconds)
        for n in range(count):
            envelope = min(1.0, n / (0.005 * RATE)) * (1 - n / count) ** 2
            sample = volume * envelope * math.sin(2 * math.pi * freq * n / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    return bytes(frames)


def write(name: str, frames: bytes) -> None:
    with wave.open(str(HERE / f"{name}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


if __name__ == "__main__":
    write("key", tones([(880.0, 0.045)], volume=0.25))  # a soft tick
    write("win", tones([(523.25, 0.12), (659.25, 0.12), (783.99, 0.12), (1046.5, 0.35)]))  # C E G C
