"""What the server answers when a request cannot be served: an HTTP status, a code, a sentence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codes.common.errors import InstoreError
from sync.protocol import ErrorBody


class ApiError(InstoreError):
    def __init__(
        self, status: int, code: str, message: str, server_time: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(code, message)
        self.status = status
        self.server_time = server_time  # with `clock_skew`: the device corrects its clock
        self.headers = dict(headers or {})  # sent with the answer, e.g. Retry-After with a 429


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what}")


def unstorable() -> ApiError:
    """A value the database cannot keep (NUL in text, a number out of range)."""
    return ApiError(422, "bad_request", "a value cannot be stored (out of range or bad characters)")


def describe(errors: Sequence[Mapping[str, Any]]) -> str:
    """The first of pydantic's validation errors, as `where: what`."""
    if not errors:
        return "body: invalid"
    first = errors[0]
    where = ".".join(str(x) for x in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


def error_body(exc: ApiError) -> bytes:
    """Every 4xx and 5xx body: `{"error": CODE, "message": TEXT}`."""
    body = ErrorBody(error=exc.code, message=exc.message, server_time=exc.server_time)
    return body.model_dump_json(exclude_none=True).encode()
