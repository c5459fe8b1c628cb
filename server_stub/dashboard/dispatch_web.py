"""The dispatch page's download and upload (the page itself is a menu page, dashboard/web.py):
GET /dashboard/dispatch/export.csv?campaign=C[&which=in_transit] and POST
/dashboard/dispatch/import, a multipart form with the file in `csv` and the session's CSRF token
in `csrf`, answered by the dispatch page with the import's result (`?format=json`: the result as
JSON). The work is dispatch_pages'; these routes only translate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from server_stub.accounts import sessions
from server_stub.dashboard import dispatch_pages
from server_stub.errors import ApiError
from server_stub.prizes import tracking_file
from server_stub.security_headers import HEADERS
from server_stub.settings import ServerSettings
from server_stub.web_forms import same

IMPORT_PATH = "/dashboard/dispatch/import"
# The body of an upload: the file and the form around it; BodyLimit (app.py) streams this path
# and cuts it off past HARD_LIMIT. A file between MAX_BYTES and that is read (spooled to disk
# past 1 MB) and refused on the page, in words a browser shows rather than a broken connection.
MAX_FORM_FIELD = 4096  # the CSRF token
HARD_LIMIT = 4 * tracking_file.MAX_BYTES


def mount(
    app: FastAPI, engine: Engine, signed_in: Callable[[Request], sessions.Session | None],
    settings: ServerSettings | None = None,
) -> None:  # fmt: skip
    @app.get("/dashboard/dispatch/export.csv", include_in_schema=False)
    def export_csv(request: Request) -> Response:
        current = signed_in(request)
        if current is None:
            return _secured(RedirectResponse("/dashboard/login", 303))
        found = dispatch_pages.export_file(engine, current.viewer, request.query_params)
        response = Response(found.csv_bytes(), 200, media_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{found.filename()}"'
        return _secured(response)

    @app.post(IMPORT_PATH, include_in_schema=False)
    async def import_csv(request: Request, format: str = "html") -> Response:
        data, csrf = await _upload(request)
        current = await run_in_threadpool(signed_in, request)
        if current is None:
            raise ApiError(401, "not_signed_in", "Your session ended. Sign in again.")
        if not same(current.csrf, csrf):
            raise ApiError(403, "bad_csrf", "The form had expired. Open the page again.")
        try:
            page = await run_in_threadpool(dispatch_pages.import_page, engine, current.viewer, data)
        except ApiError as exc:
            if exc.code not in dispatch_pages.REFUSED_FILE or format == "json":
                raise  # the app's answer: a page, or JSON with its code
            page = await run_in_threadpool(dispatch_pages.dispatch_page, engine, current.viewer)
            return _page(page | {"refused": exc.message}, exc.status, current)
        if format == "json":
            answer = json.dumps(page["result"])
            return _secured(Response(answer, 200, media_type="application/json"))
        return _page(page, 200, current)


async def _upload(request: Request) -> tuple[bytes | None, str]:
    """The file's bytes (None when the form has no file) and the CSRF field."""
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_FORM_FIELD)
    except HTTPException:  # not a form, too many parts, a field too long
        raise ApiError(400, "bad_form", "The form did not arrive as sent. Send it again.") from None
    except ClientDisconnect:  # nobody hears this; the log says 400, not a server fault
        raise ApiError(400, "incomplete_form", "The form did not arrive whole.") from None
    try:
        upload, csrf = form.get("csv"), form.get("csrf")
        data = await upload.read() if isinstance(upload, UploadFile) else None
    finally:
        await form.close()  # the spooled file
    return data, csrf if isinstance(csrf, str) else ""


def _page(page: dict[str, Any], status: int, current: sessions.Session) -> Response:
    # dashboard/web.py mounts this module, so it is imported by the time a request comes
    from server_stub.dashboard.web import PAGES, page_html

    html = page_html(
        "dispatch.html", title=PAGES["dispatch"][0], here="dispatch", data=page,
        csrf=current.csrf, viewer=current.viewer,
    )  # fmt: skip
    return _secured(HTMLResponse(html, status))


def _secured(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response
