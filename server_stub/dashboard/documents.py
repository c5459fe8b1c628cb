"""A claim's documents for the people who check and decide claims (users.Viewer
`sees_claim_documents`: admin, verifier, approver):

- GET /dashboard/documents/{id}: the file as kept, an attachment (a download);
- GET /dashboard/documents/{id}/image: a photo as the server re-encoded it, shown inline in the
  claim's page;
- GET /dashboard/documents/{id}/pages/{n}: page n (from 1) of a PDF drawn as a PNG on the server
  (prizes/pdf_pages.py, in a drawing process with a deadline: prizes/pdf_process.py), so no
  PDF a stranger sent is opened by the verifier's own reader; one that takes too long to draw
  is 422 `pdf_slow`, and too many pages asked at once 503 `pdf_busy`.

The id is the random one in claim_documents, never a file's name or path. Every answer carries
`nosniff` and a CSP that runs nothing (`default-src 'none'; sandbox`), and may be read by our own
pages only (Cross-Origin-Resource-Policy). Everyone else, signed in or not (a helpdesk user, a
campaign manager), gets the same 404 as for an id that does not exist, a document deleted by
retention or erasure, or a page the PDF has not: ids cannot be probed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi import Path as InPath
from fastapi.responses import Response
from sqlalchemy import Engine, select

from server_stub.accounts import sessions
from server_stub.accounts.users import Viewer
from server_stub.database.connection import reader
from server_stub.database.schema import claim_documents
from server_stub.errors import ApiError
from server_stub.prizes import pdf_pages, pdf_process
from server_stub.prizes.documents import DocumentStore, store_for
from server_stub.prizes.uploads import EXTENSION_OF
from server_stub.security_headers import HEADERS
from server_stub.settings import ServerSettings

_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # claim_documents.id: random, at most 32 characters
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # left out of a download's name
IMAGES = frozenset({"image/jpeg", "image/png"})
PDF = "application/pdf"


def may_see_documents(viewer: Viewer) -> bool:
    """Who may open a claim's documents (an ID's photos, an invoice with an address)."""
    return viewer.sees_claim_documents


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    filename: str  # <kind>-<claim number><ext>, e.g. id_front-CL-7K2M9QXD.jpg


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "There is no such document.")


def _row(engine: Engine, viewer: Viewer | None, document_id: str) -> Any:
    """The document's row for a viewer who may see it; the same 404 for everyone else, for an
    id that is not one, and for a document whose file was deleted."""
    if viewer is None or not may_see_documents(viewer) or not _ID.fullmatch(document_id):
        raise _not_found()
    with reader(engine).connect() as conn:
        row = conn.execute(
            select(claim_documents).where(claim_documents.c.id == document_id)
        ).first()
    if row is None or row.deleted is not None:
        raise _not_found()
    return row


def _name(row: Any, extension: str) -> str:
    return f"{_UNSAFE.sub('_', row.kind)}-{_UNSAFE.sub('_', row.number)}{extension}"


def download(
    engine: Engine, store: DocumentStore, viewer: Viewer | None, document_id: str
) -> Download:
    """The document as kept (a file gone from the store is a 404 too)."""
    row = _row(engine, viewer, document_id)
    data = store.read(row.stored)
    extension = EXTENSION_OF.get(row.content_type, "")
    content_type = row.content_type if extension else "application/octet-stream"
    return Download(data, content_type, _name(row, extension))


def image(
    engine: Engine, store: DocumentStore, viewer: Viewer | None, document_id: str
) -> Download:
    """A photo as the server re-encoded it at upload (uploads.check_upload), to show inline;
    a PDF is no image (404: its pages are drawn one by one)."""
    row = _row(engine, viewer, document_id)
    if row.content_type not in IMAGES:
        raise _not_found()
    return Download(store.read(row.stored), row.content_type,
                    _name(row, EXTENSION_OF[row.content_type]))  # fmt: skip


def pdf_page(
    engine: Engine, store: DocumentStore, viewer: Viewer | None, document_id: str, page: int
) -> Download:
    """Page `page` (from 1) of a PDF, drawn as a PNG now from the file as it is now."""
    row = _row(engine, viewer, document_id)
    if row.content_type != PDF:
        raise _not_found()
    try:
        drawn = pdf_process.render_png(store.read(row.stored), page - 1)
    except ApiError as refused:
        if refused.status == 404:  # a page it has not: said as any other missing document
            raise _not_found() from None
        raise
    return Download(drawn, "image/png", _name(row, f"-page{page}.png"))


def _answer(found: Download, disposition: str) -> Response:
    headers = {
        **HEADERS,
        # if a browser opened it as a page: no script, no form, no request of its own
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": f'{disposition}; filename="{found.filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    return Response(found.data, 200, headers=headers, media_type=found.content_type)


def mount(
    app: FastAPI,
    engine: Engine,
    signed_in: Callable[[Request], sessions.Session | None],
    settings: ServerSettings | None = None,
) -> None:
    """The handlers, reading the store the shopper's web saves to (prizes.documents.store_for);
    without settings, those a worker process is given (ServerSettings.from_environment)."""
    store = store_for(settings or ServerSettings.from_environment(), str(engine.url))

    def viewer_of(request: Request) -> Viewer | None:
        current = signed_in(request)
        return current.viewer if current else None

    @app.get("/dashboard/documents/{document_id}", include_in_schema=False)
    def document(request: Request, document_id: str) -> Response:
        return _answer(download(engine, store, viewer_of(request), document_id), "attachment")

    @app.get("/dashboard/documents/{document_id}/image", include_in_schema=False)
    def shown(request: Request, document_id: str) -> Response:
        return _answer(image(engine, store, viewer_of(request), document_id), "inline")

    @app.get("/dashboard/documents/{document_id}/pages/{page}", include_in_schema=False)
    def page(
        request: Request, document_id: str, page: int = InPath(ge=1, le=pdf_pages.MAX_PAGES)
    ) -> Response:
        return _answer(pdf_page(engine, store, viewer_of(request), document_id, page), "inline")
