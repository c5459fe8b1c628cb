"""Where a claim's documents are kept: a folder no web server serves, one file per document
under a random name with no extension, readable by the server's own user only.

The name is all a caller holds (claim_documents.stored); a name we did not make is refused
before any path is built from it, so no request can reach another file.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from server_stub.database.connection import sqlite_file
from server_stub.errors import ApiError
from server_stub.settings import ServerSettings

_NAME = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16): what save() makes
FOLDER_MODE = 0o700
FILE_MODE = 0o600
DEFAULT_FOLDER = Path("instore-documents")  # beside a PostgreSQL server's working folder


def _not_ours() -> ApiError:
    return ApiError(404, "not_found", "no such document")


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, stored_name: str) -> Path:
        if not _NAME.fullmatch(stored_name):
            raise _not_ours()
        return self.root / stored_name

    def save(self, data: bytes) -> str:
        """Keeps the bytes; the name to read them by. Written whole to a temporary file,
        flushed to disk, then renamed: a crash leaves no half file under a kept name."""
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        os.chmod(self.root, FOLDER_MODE)  # one made by hand, or before this code, may be wider
        name = secrets.token_hex(16)
        temporary = self.root / f".{name}.partial"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(temporary, flags, FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.root / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_folder(self.root)
        return name

    def read(self, stored_name: str) -> bytes:
        """The bytes kept under a name save() gave; 404 for any other name or a file gone."""
        path = self._path(stored_name)
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:  # missing, or a link someone put there
            raise _not_ours() from None
        with os.fdopen(descriptor, "rb") as kept:
            return kept.read()

    def delete(self, stored_name: str) -> bool:
        """Removes a kept file; one already gone is no error. True when there was one."""
        path = self._path(stored_name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _sync_folder(self.root)
        return True


def _sync_folder(folder: Path) -> None:
    """A rename or removal is durable once its folder is flushed too (POSIX)."""
    if os.name != "posix" or not folder.exists():
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def store_for(settings: ServerSettings, database_url: str) -> DocumentStore:
    """The server's store: `settings.documents_dir` if set, else a folder beside a SQLite
    database (`server.db.documents` beside `server.db`), else `./instore-documents`."""
    if settings.documents_dir:
        return DocumentStore(Path(settings.documents_dir))
    database = sqlite_file(database_url)
    if database is not None:
        return DocumentStore(database.with_name(database.name + ".documents"))
    return DocumentStore(DEFAULT_FOLDER)
