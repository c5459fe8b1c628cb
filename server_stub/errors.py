"""What the server answers when a request cannot be served: an HTTP status, a code, a sentence."""

from __future__ import annotations

from codes.errors import InstoreError


class ApiError(InstoreError):
    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(code, message)
        self.status = status
        self.extra = extra


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what}")
