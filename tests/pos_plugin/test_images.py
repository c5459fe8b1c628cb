"""Codes read from pictures: camera frames, files and bytes, with both decoders."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from codes.qr import qr_image
from codes.qr_read import PictureError, read_codes
from tests.pos_plugin.conftest import TillFactory


def camera_frame(text: str, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A 640x480 BGR frame: the QR at an angle-free but off-centre spot, on a noisy grey table."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(90, 160, size=(480, 640), dtype=np.uint8)
    symbol = qr_image(text, module_px=5)
    y, x = 60 + seed % 50, 150 + seed % 90
    frame[y : y + symbol.shape[0], x : x + symbol.shape[1]] = symbol
    return np.repeat(frame[:, :, None], 3, axis=2)


def jpeg(frame: npt.NDArray[np.uint8], quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(frame[:, :, ::-1]).save(out, format="JPEG", quality=quality)
    return out.getvalue()


@pytest.mark.parametrize("decoder", ["zxing", "pyzbar"])
def test_a_frame_file_and_bytes_all_read(
    make_till: TillFactory, tmp_path: Path, decoder: str
) -> None:
    till, store = make_till(decoder=decoder)
    code = store.code(7)
    frame = camera_frame(code)
    path = tmp_path / "pack.png"
    Image.fromarray(frame).save(path)
    for picture in (frame, frame[:, :, 0].copy(), path, path.read_bytes(), jpeg(frame, 60)):
        answer = till.scan(picture)
        assert (answer.status, answer.code) == ("valid", code), type(picture)
    basket = till.checkout()
    assert basket.apply(frame).status == "held"


def test_no_code_and_unreadable_pictures_are_said_plainly(
    make_till: TillFactory, tmp_path: Path
) -> None:
    till, _ = make_till()
    blank = np.full((480, 640, 3), 200, dtype=np.uint8)
    assert till.scan(blank).status == "no_code"
    assert till.checkout().apply(blank).status == "no_code"
    (tmp_path / "notes.png").write_text("not a picture")
    assert till.scan(tmp_path / "notes.png").status == "not_readable"
    assert till.scan(tmp_path / "missing.png").status == "not_readable"
    with pytest.raises(PictureError):
        read_codes(np.zeros((4, 4, 4), dtype=np.uint8))


def test_a_qr_of_something_else_is_not_taken_for_a_code(make_till: TillFactory) -> None:
    till, _ = make_till()
    answer = till.scan(camera_frame("HTTPS://EXAMPLE.COM/PROMO"))
    assert answer.status != "valid" and answer.code is None


def test_the_first_valid_code_of_several_is_taken(make_till: TillFactory) -> None:
    till, store = make_till()
    frame = camera_frame("NOT A CODE")
    symbol = qr_image(store.code(9), module_px=4)
    frame[300 : 300 + symbol.shape[0], 400 : 400 + symbol.shape[1]] = symbol[:, :, None]
    assert till.scan(frame).code == store.code(9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quality=st.integers(25, 95))
def test_noise_never_reads_as_a_code_and_a_printed_code_reads_as_itself(
    seed: int, quality: int
) -> None:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)
    assert read_codes(noise) == []
    text = f"HV-{seed:08X}"
    assert read_codes(jpeg(camera_frame(text, seed % 1000), quality)) == [text]
