"""A claim's document for the people who verify claims: GET /dashboard/documents/{id}.

The id is the random one in claim_documents, never a file's name or path. The file goes out as
an attachment with `nosniff`, so no browser renders it as a page of ours. Everyone else, signed
in or not, gets the same 404 as for an id that does not exist: ids cannot be probed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine, select

from server_stub.accounts import sessions
from server_stub.accounts.users import Role, Viewer
from server_stub.database.schema import claim_documents
from server_stub.errors import ApiError
from server_stub.prizes.documents import DocumentStore, store_for
from server_stub.prizes.uploads import EXTENSION_OF
from server_stub.security_headers import HEADERS
from server_stub.settings import ServerSettings

_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # claim_documents.id: random, at most 32 characters
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # left out of a download's name


def may_see_documents(viewer: Viewer) -> bool:
    """Who may open a claim's documents (an ID's photos, an invoice with an address): the
    people who verify claims. Today an admin; the verifier and approver roles join here."""
    return viewer.role is Role.ADMIN


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    filename: str  # <kind>-<claim number><ext>, e.g. id_front-CL-7K2M9QXD.jpg


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "There is no such document.")


def download(
    engine: Engine, store: DocumentStore, viewer: Viewer | None, document_id: str
) -> Download:
    """The document for a viewer who may see it; the same 404 for everyone else, for an id
    that is not one, and for a file gone from the store."""
    if viewer is None or not may_see_documents(viewer) or not _ID.fullmatch(document_id):
        raise _not_found()
    with engine.connect() as conn:
        row = conn.execute(
            select(claim_documents).where(claim_documents.c.id == document_id)
        ).first()
    if row is None:
        raise _not_found()
    data = store.read(row.stored)
    extension = EXTENSION_OF.get(row.content_type, "")
    name = f"{_UNSAFE.sub('_', row.kind)}-{_UNSAFE.sub('_', row.number)}{extension}"
    content_type = row.content_type if extension else "application/octet-stream"
    return Download(data, content_type, name)


def mount(
    app: FastAPI,
    engine: Engine,
    signed_in: Callable[[Request], sessions.Session | None],
    settings: ServerSettings | None = None,
) -> None:
    """The handler, reading the store the shopper's web saves to (prizes.documents.store_for);
    without settings, those a worker process is given (ServerSettings.from_environment)."""
    store = store_for(settings or ServerSettings.from_environment(), str(engine.url))

    @app.get("/dashboard/documents/{document_id}", include_in_schema=False)
    def document(request: Request, document_id: str) -> Response:
        current = signed_in(request)
        found = download(engine, store, current.viewer if current else None, document_id)
        headers = {
            **HEADERS,
            # if a browser showed it anyway: no script, no form, no request of its own
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "X-Content-Type-Options": "nosniff",
        }
        return Response(found.data, 200, headers=headers, media_type=found.content_type)
