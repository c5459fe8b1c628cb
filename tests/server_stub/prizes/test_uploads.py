"""Uploads as a shopper and an attacker send them: real photos, PNGs and PDFs kept; each hostile
file refused with a sentence that says what to do; a photo's hidden payload and GPS gone from
what we keep; the same photo re-saved or resized recognised by its perceptual hash."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter

from server_stub.errors import ApiError
from server_stub.prizes import uploads
from server_stub.prizes.uploads import NEAR_IDENTICAL, check_upload, hamming

GPS_IFD, ORIENTATION = 0x8825, 0x0112


@contextmanager
def refused(status: int, code: str, *words: str) -> Iterator[None]:
    """The upload is refused with this status and code, in a sentence holding these words."""
    with pytest.raises(ApiError) as info:
        yield
    exc = info.value
    assert (exc.status, exc.code) == (status, code), exc.message
    for word in words:
        assert word in exc.message, exc.message


def scene(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture: shapes in colours, the same for the same seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def encoded(image: Image.Image, form: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, form, **options)
    return out.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header says width x height RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" + b"\x00" * 3 * 64)  # one short row: nothing to decode here
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to declare width x height."""
    data = bytearray(encoded(scene(1, (64, 48))))
    frame = data.index(b"\xff\xc0")  # SOF0: marker, length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf(*objects: bytes, trailer: bytes = b"") -> bytes:
    """A PDF written by hand: object 1 the catalogue, its cross-reference table exact."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
INVOICE = pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE)


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF 1.5 whose object 4, the catalogue's /OpenAction, sits compressed in an object
    stream (object 5), listed by a cross-reference stream (object 6): its names are nowhere in
    the file's bytes as written."""
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}
    for number, body in (
        (1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"), (2, PAGES), (3, PAGE),
    ):  # fmt: skip
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    head = b"4 0 "
    packed = zlib.compress(head + hidden)
    offsets[5] = len(out)
    out += b"5 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n" % (
        len(head), len(packed),
    )  # fmt: skip
    out += b"stream\n" + packed + b"\nendstream\nendobj\n"
    offsets[6] = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    for number in range(1, 7):
        rows += (
            struct.pack(">BIH", 2, 5, 0) if number == 4 else struct.pack(">BIH", 1, offsets[number], 0)
        )  # fmt: skip
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n" % len(rows)
    out += b"stream\n" + rows + b"\nendstream\nendobj\n"
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % offsets[6])


# -- what a shopper sends ------------------------------------------------------------------------


def test_a_phone_photo_is_kept_drawn_again_and_named_by_its_content() -> None:
    sent = encoded(scene(1), quality=95)
    checked = check_upload("IMG_20260514_101500.JPEG", sent)
    assert (checked.content_type, checked.extension, checked.pages) == ("image/jpeg", ".jpg", 1)
    assert checked.sha256 == hashlib.sha256(sent).hexdigest()  # the bytes as sent: duplicates
    assert checked.data != sent and checked.data.startswith(b"\xff\xd8\xff")
    kept = Image.open(io.BytesIO(checked.data))
    assert (kept.format, kept.size) == ("JPEG", (800, 600))
    assert checked.phash is not None and len(checked.phash) == 16
    int(checked.phash, 16)


def test_a_png_screenshot_stays_a_png_with_its_transparency() -> None:
    image = scene(2).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    checked = check_upload("screenshot.png", encoded(image, "PNG"))
    assert (checked.content_type, checked.extension) == ("image/png", ".png")
    kept = Image.open(io.BytesIO(checked.data))
    assert (kept.format, kept.mode, kept.getpixel((0, 0))) == ("PNG", "RGBA", (0, 0, 0, 0))


@pytest.mark.parametrize(
    "made", [INVOICE, encoded(scene(3), "PDF")], ids=["written by hand", "saved by Pillow"]
)
def test_a_plain_pdf_is_kept_as_sent(made: bytes) -> None:
    checked = check_upload("invoice.pdf", made)
    assert (checked.content_type, checked.extension) == ("application/pdf", ".pdf")
    assert (checked.data, checked.pages, checked.phash) == (made, 1, None)


def test_a_pdf_protected_only_against_printing_is_read_and_kept() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("", "owner-secret")  # opens without a password, as many invoices do
    sent = io.BytesIO()
    writer.write(sent)
    assert check_upload("invoice.pdf", sent.getvalue()).pages == 1


def test_a_photo_is_turned_upright_and_loses_its_gps() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was held sideways: turn 90 degrees to show it
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (18.0, 31.0, 12.5), 3: "E", 4: (73.0, 51.0, 2.25)})
    sent = encoded(scene(4), exif=exif.tobytes())
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the test file has GPS
    checked = check_upload("id_front.jpg", sent)
    kept = Image.open(io.BytesIO(checked.data))
    assert kept.size == (600, 800)
    assert not kept.getexif() and "exif" not in kept.info and b"Exif" not in checked.data


def test_a_png_keeps_no_text_or_colour_profile_it_came_with() -> None:
    notes = PngInfo()
    notes.add_text("Comment", "<script>alert(1)</script>")
    sent = encoded(scene(4), "PNG", pnginfo=notes, icc_profile=b"a profile of any bytes")
    assert {"Comment", "icc_profile"} <= set(Image.open(io.BytesIO(sent)).info)
    kept = check_upload("screenshot.png", sent)
    assert not {"Comment", "icc_profile"} & set(Image.open(io.BytesIO(kept.data)).info)
    assert b"<script" not in kept.data


@pytest.mark.parametrize(
    "payload",
    [b"<html><script>alert(document.cookie)</script></html>", b"zip"],
    ids=["HTML", "ZIP"],
)
def test_a_payload_appended_to_a_photo_is_not_kept(payload: bytes) -> None:
    if payload == b"zip":
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("shell.php", "<?php system($_GET['c']); ?>")
        payload = archive.getvalue()
    photo = encoded(scene(5))
    sent = photo + payload
    checked = check_upload("invoice.jpg", sent)
    assert checked.sha256 == hashlib.sha256(sent).hexdigest()
    assert payload not in checked.data and b"<script" not in checked.data
    assert b"PK\x03\x04" not in checked.data and not zipfile.is_zipfile(io.BytesIO(checked.data))


# -- what an attacker sends ----------------------------------------------------------------------

SCRIPTED_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.jpg", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
        ("invoice.jpg", SCRIPTED_SVG),
        ("invoice.png", SCRIPTED_SVG),
    ],
    ids=["HTML as .jpg", "SVG as .jpg", "SVG as .png"],
)
def test_a_web_page_renamed_as_a_photo_is_refused(name: str, content: bytes) -> None:
    with refused(415, "upload_type", "Only JPEG photos, PNG images and PDFs", "web page"):
        check_upload(name, content)


def test_a_zip_renamed_pdf_is_refused_and_so_is_a_pdf_that_is_also_a_zip() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("invoice.pdf", INVOICE)
    with refused(415, "upload_type", "ZIP archive"):
        check_upload("invoice.pdf", archive.getvalue())
    with refused(415, "upload_type", "ZIP archive"):
        check_upload("invoice.pdf", INVOICE + archive.getvalue())


@pytest.mark.parametrize(
    ("made", "megapixels"),
    [(png_declaring(50_000, 50_000), "2500"), (png_declaring(7_000, 7_000), "49"),
     (jpeg_declaring(9_000, 9_000), "81")],
    ids=["PNG 50000x50000", "PNG 7000x7000", "JPEG 9000x9000"],
)  # fmt: skip
def test_a_decompression_bomb_is_refused_from_its_header(made: bytes, megapixels: str) -> None:
    began = time.perf_counter()
    with refused(422, "upload_bomb", "too large", "40 megapixels"):
        check_upload("bomb.png" if made.startswith(b"\x89PNG") else "bomb.jpg", made)
    assert len(made) < 2000 and time.perf_counter() - began < 0.5  # no pixel was decoded


def test_a_file_over_10_mb_is_refused_before_it_is_read() -> None:
    with refused(413, "upload_too_large", "50.0 MB", "10 MB"):
        check_upload("huge.jpg", b"\xff\xd8\xff" + bytes(50 * 2**20))


def test_an_empty_or_broken_file_is_refused() -> None:
    with refused(422, "upload_empty", "empty"):
        check_upload("photo.jpg", b"")
    with refused(422, "upload_unreadable", "could not be read"):
        check_upload("photo.jpg", encoded(scene(6))[:3000])  # cut off while sending
    with refused(422, "upload_unreadable", "could not be read"):
        check_upload("invoice.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/cron.d/photo.jpg", "..\\photo.jpg", "%2e%2e%2fphoto.jpg",
        "%252e%252e%252fphoto.jpg", "\uff0e\uff0e\uff0fphoto.jpg", "photo.jpg\x00.php",
        "photo\u202egpj.php", "shell.php.jpg", "page.html.png", "photo.gif", "photo", ".jpg",
    ],
    ids=[
        "../", "..\\", "percent-encoded ../", "twice percent-encoded ../", "full-width ../",
        "NUL", "right-to-left override", ".php.jpg", ".html.png", ".gif", "no extension",
        "no name",
    ],
)  # fmt: skip
def test_a_bad_name_is_refused_whatever_the_content(name: str) -> None:
    with refused(422, "upload_name", "Rename the file"):
        check_upload(name, encoded(scene(7)))


def test_content_that_disagrees_with_its_name_is_refused() -> None:
    with refused(415, "upload_type", "named .jpg but is a PNG image", "Rename it to .png"):
        check_upload("photo.jpg", encoded(scene(8), "PNG"))
    with refused(415, "upload_type", "named .pdf but is a JPEG photo"):
        check_upload("invoice.pdf", encoded(scene(8)))


CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
ALERT = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
RUNS_SOMETHING = {
    "OpenAction": pdf(CATALOG % b"/OpenAction " + ALERT, PAGES, PAGE),
    "escaped names": pdf(
        CATALOG % b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>", PAGES, PAGE
    ),
    "names tree": pdf(
        CATALOG % b"/Names << /JavaScript << /Names [(x) 4 0 R] >> >>", PAGES, PAGE, ALERT
    ),
    "page opens a Launch": pdf(
        CATALOG % b"",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 4 0 R >> >>",
        b"<< /S /Launch /F (cmd.exe) >>",
    ),
    "object stream": pdf_with_object_stream(ALERT),
    # after the end, listed nowhere: a viewer repairing the file may take it as the catalogue
    "unlisted object": INVOICE + b"7 0 obj\n" + CATALOG % b"/OpenAction " + ALERT + b"\nendobj\n",
}


@pytest.mark.parametrize("made", RUNS_SOMETHING.values(), ids=RUNS_SOMETHING.keys())
def test_a_pdf_that_runs_something_is_refused(made: bytes) -> None:
    with refused(422, "pdf_script", "script", "Print it to a new PDF"):
        check_upload("invoice.pdf", made)


EMBEDDED = b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"
CARRIES_A_FILE = {
    "EmbeddedFiles": pdf(
        CATALOG % b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
        PAGES,
        PAGE,
        b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
        EMBEDDED,
    ),
    "FileAttachment annotation": pdf(
        CATALOG % b"",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 5 0 R >>",
        b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
        EMBEDDED,
    ),
}


@pytest.mark.parametrize("made", CARRIES_A_FILE.values(), ids=CARRIES_A_FILE.keys())
def test_a_pdf_carrying_a_file_is_refused(made: bytes) -> None:
    with refused(422, "pdf_embedded", "files inside it"):
        check_upload("invoice.pdf", made)


def test_a_pdf_with_a_password_or_too_many_pages_is_refused() -> None:
    writer = PdfWriter()
    for _ in range(uploads.MAX_PDF_PAGES + 1):
        writer.add_blank_page(595, 842)
    long = io.BytesIO()
    writer.write(long)
    with refused(422, "pdf_pages", "51 pages", "at most 50"):
        check_upload("invoice.pdf", long.getvalue())
    writer.encrypt("secret")
    locked = io.BytesIO()
    writer.write(locked)
    with refused(422, "pdf_encrypted", "password"):
        check_upload("invoice.pdf", locked.getvalue())


# -- the same photo twice ------------------------------------------------------------------------


def test_the_same_photo_resaved_or_resized_is_near_identical_and_another_is_not() -> None:
    original = check_upload("a.jpg", encoded(scene(9, (1200, 900)), quality=92))
    assert original.phash is not None
    for variant in (
        encoded(scene(9, (1200, 900)), quality=40),
        encoded(scene(9, (1200, 900)).resize((1000, 750)), quality=80),
        encoded(scene(9, (1200, 900)).resize((600, 450)), "PNG"),
    ):
        again = check_upload("b.png" if variant.startswith(b"\x89") else "b.jpg", variant)
        assert again.phash is not None and again.sha256 != original.sha256
        assert hamming(original.phash, again.phash) <= NEAR_IDENTICAL
    for seed in (10, 11, 12):
        other = check_upload("c.jpg", encoded(scene(seed, (1200, 900)), quality=92))
        assert other.phash is not None
        assert hamming(original.phash, other.phash) > 3 * NEAR_IDENTICAL
