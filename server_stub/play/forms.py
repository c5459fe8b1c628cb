"""Reading the shopper's small forms, their CSRF token compared in constant time, and whether a
request came from a link on another site."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import Request

from server_stub.errors import ApiError

MAX_FORM = 2048  # bytes: the longest of these forms holds a code or a phone number
MAX_FIELDS = 10


def same(expected: str, given: str) -> bool:
    """A token compared in constant time; as bytes, since a form may send any text."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def from_elsewhere(request: Request) -> bool:
    """Whether the browser says another site sent it here (Sec-Fetch-Site). A link typed, opened
    from an SMS or a QR, or followed on our own pages is not; a browser too old to say is
    taken at its word, as are scripts."""
    return request.headers.get("sec-fetch-site", "none") not in ("same-origin", "none")


async def read_form(request: Request) -> dict[str, str]:
    """A small form's fields, each once; too large or too many is refused (413, 400)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ApiError(413, "too_large", "The form is too large.")
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    except ValueError:
        raise ApiError(400, "bad_form", "The form has too many fields.") from None
    return {k: v[0].replace("\x00", "") for k, v in parsed.items()}
