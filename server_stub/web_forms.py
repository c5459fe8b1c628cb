"""Reading a small HTML form posted to the dashboard or the shopper's web, and comparing its CSRF
token in constant time. Each caller names its own limits and decides what a NUL means."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.requests import Request

from server_stub.errors import ApiError


def same(expected: str, given: str) -> bool:
    """A token compared in constant time; as bytes, since a form may send any text."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


async def read_form(request: Request, max_bytes: int, max_fields: int) -> dict[str, str]:
    """A form's fields, each once. Any body is read as a form (a multipart one or a stray
    encoding comes out as fields nobody asks for); too large or too many fields is refused
    (413, 400) in words."""
    body = await request.body()
    if len(body) > max_bytes:
        raise ApiError(413, "too_large", f"The form is over {max_bytes} bytes.")
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=max_fields)
    except ValueError:  # more fields than that
        raise ApiError(400, "bad_form", f"The form has more than {max_fields} fields.") from None
    return {k: v[0] for k, v in parsed.items()}
