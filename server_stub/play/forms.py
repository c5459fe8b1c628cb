"""Reading the shopper's small forms (their CSRF token is compared with `web_forms.same`), and
whether a request came from a link on another site."""

from __future__ import annotations

from fastapi import Request

from server_stub import web_forms
from server_stub.web_forms import same

__all__ = ["from_elsewhere", "read_form", "same"]

MAX_FORM = 2048  # bytes: the longest of these forms holds a code or a phone number
MAX_FIELDS = 10


def from_elsewhere(request: Request) -> bool:
    """Whether the browser says another site sent it here (Sec-Fetch-Site). A link typed, opened
    from an SMS or a QR, or followed on our own pages is not; a browser too old to say is
    taken at its word, as are scripts."""
    return request.headers.get("sec-fetch-site", "none") not in ("same-origin", "none")


async def read_form(request: Request) -> dict[str, str]:
    """A small form's fields, each once, a NUL dropped (no code, phone or password holds one);
    too large or too many is refused (413, 400)."""
    form = await web_forms.read_form(request, MAX_FORM, MAX_FIELDS)
    return {k: v.replace("\x00", "") for k, v in form.items()}
