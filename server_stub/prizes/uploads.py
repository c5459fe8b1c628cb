"""A shopper's upload (an invoice, the two sides of an ID) checked before anything keeps it.

Only JPEG, PNG and PDF, told by the content's first bytes and checked against the name's
extension once the name is decoded. Images are decoded and drawn again by Pillow, so what we
keep holds no metadata (EXIF, GPS, comments) and nothing appended or hidden in the original
(polyglots). PDFs are parsed and kept as sent, once no object carries a script, a program to
launch or an embedded file. Each refusal is an ApiError with its own code and a sentence a
shopper can act on. See docs/security.md, "Uploads".
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote

from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from server_stub.errors import ApiError

MAX_BYTES = 10 * 1024 * 1024
# A phone's camera makes 12 to 50 megapixels; 40 decoded take 120 MB, and a bomb declares far more
MAX_PIXELS = 40_000_000
MAX_PDF_PAGES = 50  # an invoice is a page or two; a verifier reads no more
MAX_PDF_OBJECTS = 200_000  # objects and values walked; a scanned invoice has hundreds
PDF_CHECK_S = 5.0  # a PDF whose objects take longer to walk is refused, never waited on
JPEG_QUALITY = 88  # what a verifier needs to read an ID; about a third of a camera's size
# Bits of 64 two difference hashes may differ by and still be the same photo: a photo re-saved
# at another quality or resized differs by 0 to 4, two different photos by about 32 (half)
NEAR_IDENTICAL = 6

# Pillow refuses (DecompressionBombError) past twice its limit and warns past it; lower than
# its default (89 megapixels) for every image this process opens, never raised
Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_PIXELS, MAX_PIXELS)
# pypdf reads a broken file on with a warning per fault: a hostile file's faults, by thousands,
# would fill the server's log with text the sender chose
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str  # the one we name it with, whatever the shopper's said
    label: str  # in a shopper's words
    pillow_format: str  # "" for a PDF


JPEG = Kind("image/jpeg", ".jpg", "a JPEG photo", "JPEG")
PNG = Kind("image/png", ".png", "a PNG image", "PNG")
PDF = Kind("application/pdf", ".pdf", "a PDF", "")
EXTENSIONS = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF}
EXTENSION_OF = {k.content_type: k.extension for k in (JPEG, PNG, PDF)}  # for a download's name

# an earlier extension a web server or a desktop would run or render (`x.php.jpg`, `x.html.png`)
RUNNABLE = frozenset({
    "php", "php3", "php4", "php5", "php7", "phtml", "pht", "phar", "html", "htm", "xhtml",
    "shtml", "svg", "svgz", "xml", "xsl", "js", "mjs", "jsp", "jspx", "asp", "aspx", "ashx",
    "cer", "cgi", "pl", "py", "rb", "sh", "bash", "exe", "dll", "com", "bat", "cmd", "scr",
    "msi", "hta", "vbs", "vbe", "wsf", "ps1", "jar", "war", "swf", "lnk", "apk",
})  # fmt: skip

# the first bytes of files shoppers may send by mistake, to say what was sent
_OTHERS = (
    (b"PK\x03\x04", "a ZIP archive"), (b"PK\x05\x06", "a ZIP archive"),
    (b"GIF8", "a GIF image"), (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"MZ", "a program"), (b"\x7fELF", "a program"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"), (b"BM", "a BMP image"),
)  # fmt: skip

# PDF names that run something or carry files; see _pdf_finding
PDF_SCRIPT = frozenset({"/JS", "/JavaScript", "/Launch", "/XFA"})  # XFA forms carry scripts
PDF_EMBEDDED = frozenset(
    {"/EmbeddedFiles", "/EmbeddedFile", "/EF", "/FileAttachment", "/GoToE", "/RichMedia"}
)


@dataclass(frozen=True)
class CheckedFile:
    content_type: str  # image/jpeg, image/png, application/pdf
    extension: str  # .jpg, .png, .pdf
    data: bytes  # what we keep: an image drawn again, a PDF as sent
    sha256: str  # hex, of the bytes as sent: the same file sent twice
    phash: str | None  # hex, an image's 64-bit difference hash; None for a PDF
    pages: int  # a PDF's pages, 1 for an image


def check_upload(filename: str, data: bytes) -> CheckedFile:
    """The file as we keep it, or ApiError saying why it is refused."""
    if not data:
        raise ApiError(422, "upload_empty", "The file is empty. Choose the photo or PDF again.")
    if len(data) > MAX_BYTES:
        raise ApiError(
            413, "upload_too_large",
            f"The file is {len(data) / 2**20:.1f} MB; files of up to {MAX_BYTES // 2**20} MB"
            " are accepted. Take the photo again at a lower resolution, or send a smaller PDF.",
        )  # fmt: skip
    named = kind_of_name(filename)
    sent = kind_of_content(data)
    if sent is not named:
        raise ApiError(
            415, "upload_type",
            f"The file is named {named.extension} but is {sent.label}. Rename it to"
            f" {sent.extension}, or choose the right file.",
        )  # fmt: skip
    sha256 = hashlib.sha256(data).hexdigest()
    if sent is PDF:
        return CheckedFile(PDF.content_type, PDF.extension, data, sha256, None, _check_pdf(data))
    kept, phash = _redraw(data, sent)
    return CheckedFile(sent.content_type, sent.extension, kept, sha256, phash, 1)


def hamming(a_hex: str, b_hex: str) -> int:
    """How many bits two perceptual hashes differ by (NEAR_IDENTICAL or fewer: the same photo)."""
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


# -- the name -------------------------------------------------------------------------------------


def _bad_name(why: str) -> ApiError:
    return ApiError(422, "upload_name", f"{why} Rename the file and send it again.")


def kind_of_name(filename: str) -> Kind:
    """What the name says the file is, read as a server would: percent-decoded (twice-encoded
    too) and NFKC-normalised, so `%2e%2e%2f` and a full-width solidus (U+FF0F) are the `../` they become."""
    name = filename
    for _ in range(3):
        decoded = unquote(name)
        if decoded == name:
            break
        name = decoded
    name = unicodedata.normalize("NFKC", name).strip()
    if not name or len(name) > 255:
        raise _bad_name("The file name is empty or longer than 255 characters.")
    if "/" in name or "\\" in name or ".." in name:
        raise _bad_name("The file name may not contain '/', '\\' or '..'.")
    if any(unicodedata.category(c)[0] == "C" for c in name):  # NUL, controls, RTL overrides
        raise _bad_name("The file name holds invisible or control characters.")
    stem, dot, extension = name.rpartition(".")
    kind = EXTENSIONS.get(f".{extension.lower()}") if dot else None
    if kind is None or not stem:
        raise _bad_name("Only JPEG, PNG and PDF files are accepted; the name must end in"
                        " .jpg, .jpeg, .png or .pdf.")  # fmt: skip
    hidden = [part for part in stem.lower().split(".")[1:] if part.strip() in RUNNABLE]
    if hidden:
        raise _bad_name(f"The file name has a second extension (.{hidden[0].strip()}).")
    return kind


# -- the content ----------------------------------------------------------------------------------


def kind_of_content(data: bytes) -> Kind:
    """What the first bytes say the file is; anything but JPEG, PNG and PDF is refused."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    raise ApiError(
        415, "upload_type",
        f"Only JPEG photos, PNG images and PDFs are accepted; this file is {_what(data)}.",
    )  # fmt: skip


def _what(data: bytes) -> str:
    for magic, label in _OTHERS:
        if data.startswith(magic):
            return label
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "a HEIC photo or a video (set the camera to save JPEG, or send a screenshot)"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") or b"<svg" in head or b"<html" in head:
        return "a web page or an SVG drawing"
    return "none of these"


def _redraw(data: bytes, kind: Kind) -> tuple[bytes, str]:
    """The image decoded, turned upright and encoded again with no metadata; its dHash."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[kind.pillow_format])
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                raise _bomb(width * height)
            image.load()
        with contextlib.suppress(Exception):  # broken EXIF: kept as drawn, not refused
            image = ImageOps.exif_transpose(image)
        if kind is JPEG:
            out = image if image.mode in ("L", "RGB") else image.convert("RGB")
        else:
            see_through = "A" in image.mode or "transparency" in image.info
            wanted = "RGBA" if see_through else ("L" if image.mode in ("1", "L") else "RGB")
            out = image if image.mode == wanted else image.convert(wanted)
        out.info = {}  # PNG's save would copy an ICC profile or text chunks from here
        buffer = io.BytesIO()
        if kind is JPEG:
            out.save(buffer, "JPEG", quality=JPEG_QUALITY)
        else:
            out.save(buffer, "PNG")
        return buffer.getvalue(), difference_hash(out)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(None) from exc
    except ApiError:
        raise
    except Exception:  # Pillow says a broken file in many ways (OSError, SyntaxError, ...)
        raise ApiError(
            422, "upload_unreadable",
            f"The file could not be read as {kind.label}; it may be damaged. Take the photo"
            " again, or save it again and send the new file.",
        ) from None  # fmt: skip


def _bomb(pixels: int | None) -> ApiError:
    size = f" ({pixels / 1e6:.0f} megapixels)" if pixels else ""
    return ApiError(
        422, "upload_bomb",
        f"The image is too large to check{size}; at most {MAX_PIXELS // 1_000_000} megapixels"
        " are accepted. Take the photo again at a lower resolution.",
    )  # fmt: skip


def difference_hash(image: Image.Image) -> str:
    """64 bits, 16 hex digits: whether each of 8x8 cells of a grey 9x8 thumbnail is darker than
    its right-hand neighbour. Re-saving or resizing a photo leaves it nearly the same."""
    cells = image.convert("L").resize((9, 8), Image.Resampling.BOX).tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (cells[row * 9 + col] < cells[row * 9 + col + 1])
    return f"{bits:016x}"


# -- PDFs ------------------------------------------------------------------------------------------


def _unreadable_pdf(why: str = "it may be damaged") -> ApiError:
    return ApiError(
        422, "upload_unreadable",
        f"The PDF could not be read; {why}. Save or print it to a new PDF, or send a photo.",
    )  # fmt: skip


def _check_pdf(data: bytes) -> int:
    """The PDF's page count, once nothing in it runs or carries a file."""
    if zipfile.is_zipfile(io.BytesIO(data)):  # a PDF with a ZIP after it opens as either
        raise ApiError(415, "upload_type", "The PDF also holds a ZIP archive, which is not"
                       " accepted. Save or print it to a new PDF.")  # fmt: skip
    worst = _raw_finding(data)  # what a viewer repairing the file could find, unlisted
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):  # "" opens a print-protected one
            raise ApiError(422, "pdf_encrypted", "The PDF is protected by a password. Send a"
                           " copy without the password, or a photo of it.")  # fmt: skip
        pages = len(reader.pages)
        worst = _worse(worst, _pdf_finding(reader, time.monotonic() + PDF_CHECK_S))
    except ApiError:
        raise
    except Exception:  # pypdf says a broken file in many ways; none is a fault of ours
        raise _unreadable_pdf() from None
    if worst in PDF_SCRIPT:
        raise ApiError(422, "pdf_script", "The PDF carries a script or an action that starts"
                       " a program, which we do not accept. Print it to a new PDF, or send a"
                       " photo of it.")  # fmt: skip
    if worst is not None:
        raise ApiError(422, "pdf_embedded", "The PDF carries files inside it (attachments),"
                       " which we do not accept. Print it to a new PDF, or send a photo of"
                       " it.")  # fmt: skip
    if pages < 1:
        raise _unreadable_pdf("it has no pages")
    if pages > MAX_PDF_PAGES:
        raise ApiError(422, "pdf_pages", f"The PDF has {pages} pages; at most {MAX_PDF_PAGES}"
                       " are accepted. Send only the pages of the invoice or the ID.")  # fmt: skip
    return pages


def _worse(a: str | None, b: str | None) -> str | None:
    """Of two findings, a script over an embedded file over nothing."""
    return a if a in PDF_SCRIPT or b is None else b


def _pdf_finding(reader: PdfReader, deadline: float) -> str | None:
    """The worst forbidden name in any object: every one the cross-reference lists, whether
    the document reaches it or not, and every one reached from the trailer."""
    stack: list[PdfObject] = [reader.trailer]
    for generation, table in reader.xref.items():
        stack += [IndirectObject(idnum, generation, reader) for idnum in table]
    stack += [IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm]
    seen: set[tuple[int, int]] = set()
    worst: str | None = None
    walked = 0
    while stack:
        item: PdfObject | None = stack.pop()
        walked += 1
        if walked > MAX_PDF_OBJECTS or time.monotonic() > deadline:
            raise _unreadable_pdf("it is too complex to check")
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # a stream's dictionary too
            for key, value in dict.items(item):  # as written: references unresolved
                worst = _worse(worst, _forbidden(key))
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, NameObject):
            worst = _worse(worst, _forbidden(item))
    return worst


def _forbidden(name: object) -> str | None:
    text = str(name)
    return text if text in PDF_SCRIPT or text in PDF_EMBEDDED else None


_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_PLAIN_NAME = re.compile(
    rb"/(" + b"|".join(n[1:].encode() for n in PDF_SCRIPT | PDF_EMBEDDED) + rb")"
    rb"(?=[" + _DELIMITERS + rb"]|\Z)"
)
_ESCAPED_NAME = re.compile(rb"/[^" + _DELIMITERS + rb"#]*#[^" + _DELIMITERS + rb"]*")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _raw_finding(data: bytes) -> str | None:
    """The worst forbidden name written anywhere outside a stream's data (where compressed
    bytes would match by chance), `#xx` escapes read: `/J#61vaScript` is `/JavaScript`."""
    text = _outside_streams(data)
    worst: str | None = None
    for match in _PLAIN_NAME.finditer(text):
        worst = _worse(worst, "/" + match[1].decode())
    for match in _ESCAPED_NAME.finditer(text):
        name = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), match[0])
        worst = _worse(worst, _forbidden(name.decode("latin-1")))
    return worst


def _outside_streams(data: bytes) -> bytes:
    """The file without the bytes between `stream` and `endstream`, in one pass."""
    kept, start = [], 0
    while True:
        begin = data.find(b"stream", start)
        while begin >= 3 and data[begin - 3 : begin] == b"end":
            begin = data.find(b"stream", begin + 6)
        if begin < 0:
            kept.append(data[start:])
            return b"".join(kept)
        kept.append(data[start : begin + 6])
        end = data.find(b"endstream", begin + 6)
        if end < 0:
            return b"".join(kept)
        start = end
