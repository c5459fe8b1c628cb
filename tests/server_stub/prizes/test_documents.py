"""Where a claim's documents live and who may fetch them: files under random names that only
the server's user reads, no way from a name to another file, and over HTTP the file as an
attachment for an admin and the same 404 for everyone else, signed in or not."""

from __future__ import annotations

import io
import os
import secrets
import stat
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from server_stub.accounts import users
from server_stub.catalog import store_setup
from server_stub.database.schema import claim_documents
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError
from server_stub.prizes.documents import DocumentStore, store_for
from server_stub.prizes.uploads import check_upload
from server_stub.settings import ServerSettings
from tests.live import live_server
from tests.world import World

PASSWORD = "correct horse battery"
CLAIM = "CL-7K2M9QXD"


def test_a_document_is_kept_under_a_random_name_only_the_server_reads(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents")
    first, second = store.save(b"\xff\xd8\xff photo"), store.save(b"%PDF-1.7 invoice")
    assert first != second and all(len(n) == 32 and "." not in n for n in (first, second))
    assert (store.read(first), store.read(second)) == (b"\xff\xd8\xff photo", b"%PDF-1.7 invoice")
    assert stat.S_IMODE((tmp_path / "documents").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "documents" / first).stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == sorted([first, second])
    store.delete(first)
    store.delete(first)  # gone already: no error
    with pytest.raises(ApiError) as gone:
        store.read(first)
    assert gone.value.status == 404 and store.read(second) == b"%PDF-1.7 invoice"


def test_a_folder_made_wider_by_hand_is_closed_at_the_next_save(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir(mode=0o755)
    os.chmod(tmp_path / "documents", 0o755)
    DocumentStore(tmp_path / "documents").save(b"x")
    assert stat.S_IMODE((tmp_path / "documents").stat().st_mode) == 0o700


def test_a_name_that_is_not_ours_is_refused_never_a_path(tmp_path: Path) -> None:
    (tmp_path / "server.db").write_bytes(b"every device secret")
    store = DocumentStore(tmp_path / "documents")
    kept = store.save(b"photo")
    link = "0" * 32
    (tmp_path / "documents" / link).symlink_to(tmp_path / "server.db")  # someone put a link in
    for name in ("../server.db", "..", "/etc/passwd", "", kept + ".jpg", kept.upper(), link):
        with pytest.raises(ApiError) as refused:
            store.read(name)
        assert refused.value.status == 404, name
    with pytest.raises(ApiError):
        store.delete("../server.db")
    assert (tmp_path / "server.db").exists() and store.read(kept) == b"photo"


def test_the_store_is_the_folder_set_else_beside_a_sqlite_database(tmp_path: Path) -> None:
    chosen = ServerSettings(documents_dir=str(tmp_path / "kept"))
    assert store_for(chosen, "sqlite:///x.db").root == tmp_path / "kept"
    beside = store_for(ServerSettings(), f"sqlite:///{tmp_path}/server.db").root
    assert beside == tmp_path / "server.db.documents"
    assert (
        store_for(ServerSettings(), str(tmp_path / "plain.db")).root
        == tmp_path / "plain.db.documents"
    )
    assert store_for(ServerSettings(), "postgresql://u@db/instore").root == Path(
        "instore-documents"
    )


# -- over HTTP -------------------------------------------------------------------------------


def _signed_in(url: str, name: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/dashboard/login", timeout=10).text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post(
        f"{url}/dashboard/login", data={"username": name, "password": PASSWORD, "csrf": csrf},
        timeout=30, allow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303, name
    return browser


def _file(world: World, store: DocumentStore, kind: str, filename: str, sent: bytes) -> str:
    """A claim's document as the claim form leaves it: checked, kept, a row with a random id."""
    checked = check_upload(filename, sent)
    document_id = secrets.token_hex(16)
    with world.engine.begin() as conn:
        conn.execute(
            claim_documents.insert().values(
                id=document_id, number=CLAIM, kind=kind, stored=store.save(checked.data),
                content_type=checked.content_type, size=len(checked.data),
                sha256=checked.sha256, phash=checked.phash, current=True, created=time.time(),
            )
        )  # fmt: skip
    return document_id


def test_an_admin_gets_the_file_as_an_attachment_and_everyone_else_a_404(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server's own settings say where (instore server --documents-dir), nothing else
    monkeypatch.delenv("INSTORE_DOCUMENTS_DIR", raising=False)
    settings = ServerSettings(documents_dir=str(tmp_path / "claim-documents"))
    store = store_for(settings, world.url)
    photo = io.BytesIO()
    Image.new("RGB", (64, 40), "teal").save(photo, "JPEG")
    id_front = _file(world, store, "id_front", "front.jpg", photo.getvalue())
    invoice = _file(world, store, "invoice", "bill.pdf", a_pdf())
    store_setup.create_store(world.engine, "s1", "North Street")
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    users.create_user(world.engine, "nora", PASSWORD, "store_manager", ["s1"])
    users.create_user(world.engine, "hal", PASSWORD, "helpdesk")
    with live_server(world.engine, SyncService(world.engine, settings)) as url:
        admin = _signed_in(url, "ann")
        got = admin.get(f"{url}/dashboard/documents/{id_front}", timeout=10)
        assert got.status_code == 200
        assert got.content == store.read(_stored(world, id_front))
        assert Image.open(io.BytesIO(got.content)).size == (64, 40)
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["content-disposition"] == f'attachment; filename="id_front-{CLAIM}.jpg"'
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "no-store"
        assert got.headers["x-frame-options"] == "DENY"
        assert "sandbox" in got.headers["content-security-policy"]
        pdf = admin.get(f"{url}/dashboard/documents/{invoice}", timeout=10)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'attachment; filename="invoice-{CLAIM}.pdf"'

        nobody = admin.get(f"{url}/dashboard/documents/{secrets.token_hex(16)}", timeout=10)
        assert nobody.status_code == 404 and "no such document" in nobody.text
        for probe in ("..%2Fserver.db", "%2E%2E", "x" * 33, "a%00b"):
            assert admin.get(f"{url}/dashboard/documents/{probe}", timeout=10).status_code == 404
        strangers = {
            "a store manager": _signed_in(url, "nora"),
            "the helpdesk": _signed_in(url, "hal"),
            "an anonymous visitor": requests.Session(),
        }
        for who, browser in strangers.items():
            answer = browser.get(f"{url}/dashboard/documents/{id_front}", timeout=10)
            # exactly what an id that does not exist gets: nothing tells one from the other
            assert (answer.status_code, answer.text) == (404, nobody.text), who
            assert b"\xff\xd8" not in answer.content, who


def _stored(world: World, document_id: str) -> str:
    with world.engine.connect() as conn:
        return str(
            conn.execute(
                claim_documents.select().where(claim_documents.c.id == document_id)
            ).one().stored
        )  # fmt: skip


def a_pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(out, "PDF")
    return out.getvalue()
