"""The dashboard's demo phone page (`instore server --demo-phone DIR`): the SMS and emails the
demo's server sent, newest first, whole; the page exists only on a server started with it."""

from __future__ import annotations

import json
import os
from email.message import EmailMessage
from pathlib import Path

from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard.demo_phone import kind_label, phone_page
from server_stub.prizes import outbox

VIEWER = Viewer(1, "ann-admin", Role.ADMIN)


def _folders(tmp_path: Path) -> Path:
    (tmp_path / "sms").mkdir(parents=True)
    (tmp_path / "mail").mkdir()
    sms = tmp_path / "sms" / "m1.json"
    sms.write_text(json.dumps({"id": "m1", "to": "+919876543210", "kind": "otp",
                               "text": "Your code is 123456"}))  # fmt: skip
    os.utime(sms, (1_000, 1_000))
    mail = EmailMessage()
    mail["To"], mail["Subject"] = "asha@example.com", "Claim CL-AB12CD34: approved"
    mail.set_content("Your claim is approved.\nWe will send your prize soon.")
    eml = tmp_path / "mail" / "0001.eml"
    eml.write_bytes(bytes(mail))
    os.utime(eml, (2_000, 2_000))
    (tmp_path / "sms" / "broken.json").write_text("{not json")  # not the gateway's: left out
    return tmp_path


def test_the_messages_newest_first_whole_and_readable(tmp_path: Path) -> None:
    page = phone_page(_folders(tmp_path), VIEWER, {})
    assert [m["channel"] for m in page["messages"]] == ["email", "sms"]
    email, sms = page["messages"]
    assert email["subject"] == "Claim CL-AB12CD34: approved"
    assert email["text"] == "Your claim is approved.\nWe will send your prize soon."
    assert sms["to"] == "+919876543210" and sms["text"] == "Your code is 123456"
    assert sms["label"] == "one-time password"  # not "otp"
    only = phone_page(tmp_path, VIEWER, {"to": "+919876543210"})
    assert [m["channel"] for m in only["messages"]] == ["sms"]


def test_each_kind_of_message_has_a_label_in_words() -> None:
    kinds = ["otp", "voucher", "points_expiring", *outbox.CLAIM_KINDS.values()]
    labels = [kind_label(k) for k in kinds]
    assert labels[:3] == ["one-time password", "voucher", "points about to expire"]
    assert kind_label("claim_dispatched") == "prize on its way"
    assert all("_" not in label for label in labels) and len(set(labels)) == len(kinds)
    assert kind_label("new_kind") == "new kind" and kind_label("") == ""


def test_no_folders_yet_is_an_empty_phone(tmp_path: Path) -> None:
    assert phone_page(tmp_path / "none", VIEWER, {})["messages"] == []


def test_the_page_exists_only_on_a_demo_server(tmp_path: Path) -> None:
    import requests

    from server_stub.database.connection import migrate, open_engine
    from server_stub.device_api.service import SyncService
    from server_stub.settings import ServerSettings
    from tests.live import live_server

    engine = open_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    settings = ServerSettings(demo_phone_dir=str(_folders(tmp_path / "phone")))
    for service, status in (
        (SyncService(engine, ServerSettings()), 404),
        (SyncService(engine, settings), 303),
    ):  # 303: sign in first
        with live_server(engine, service) as url:
            page = requests.get(f"{url}/dashboard/demo-phone", allow_redirects=False, timeout=10)
            assert page.status_code == status
