"""Reading the shopper's small forms, and their CSRF token compared in constant time."""

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
