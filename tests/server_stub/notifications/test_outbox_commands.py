"""The outbox as a store manager meets it: `instore server` sending a claim's news in the
winner's language to a real mail server and the SMS folder, `instore admin outbox` listing the
messages (addresses whole only in JSON) and sending a dead one again, and the help of
`instore worker` and the server's mail options."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from instore_cli import main as instore
from server_stub.database.connection import writing
from server_stub.database.schema import outbox
from server_stub.notifications.email import message_id
from server_stub.notifications.worker import sms_id
from server_stub.prizes import claims
from server_stub.prizes.documents import DocumentStore
from tests.live import ServerProcess
from tests.server_stub.notifications.mailbox import Mailbox
from tests.server_stub.notifications.outbox_rows import EMAIL, PHONE, queue
from tests.server_stub.play.shopper import messages
from tests.server_stub.prizes.test_claims import documents, draft
from tests.world import World

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


def test_a_claim_filed_in_russian_reaches_the_mailbox_and_the_phone_in_russian_from_instore_server(
    world: World, mailbox: Mailbox, tmp_path: Path
) -> None:
    w = world.setup()
    folder = tmp_path / "sms"
    server = ServerProcess(w.url, tmp_path, args=[
        "--smtp", mailbox.address, "--mail-from", "Призы <prizes@example.com>",
        "--sms-gateway", f"file://{folder}", "--public-url", "https://play.example.com",
    ])  # fmt: skip
    server.start()
    try:
        store = DocumentStore(tmp_path / "documents")
        number = claims.file_claim(
            w.engine, store, draft(w, 7, email="asha@example.ru", lang="ru"), documents()
        )
        (received,) = mailbox.wait_for(1)
        claims.move(w.engine, number, "in_verification", "vera")
        checking = mailbox.wait_for(2)[1]
        deadline = time.monotonic() + 10
        while len(messages(folder)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    link = f"https://play.example.com/play/status?claim={number}"
    key = f"claim|{number}|received|email"
    assert received.message_id == message_id(key, "example.com")
    assert received.mail["Subject"] == f"Заявка {number} принята"
    assert received.to == ["asha@example.ru"] and str(received.mail["From"]).startswith("Призы")
    assert received.text.startswith("Здравствуйте!") and link in received.text
    assert checking.mail["Subject"] == f"Заявка {number} на проверке"
    texts = {m["id"]: m for m in messages(folder)}
    sms = texts[sms_id(f"claim|{number}|received|sms")]
    assert sms["to"] == PHONE and sms["kind"] == "claim_received"
    assert sms["text"] == f"Мы получили вашу заявку на приз {number}. Статус: {link}"
    assert sms_id(f"claim|{number}|in_verification|sms") in texts
    log = server.output()
    assert "outbox worker started (email on, SMS on)" in log and "outbox worker stopped" in log
    assert PHONE not in log and "asha" not in log and number not in log


def test_admin_outbox_lists_the_messages_and_sends_a_dead_one_again(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = engine.url.render_as_string(hide_password=False)
    texts, mails = queue(engine, 2, "sms"), queue(engine, 1, "email", first=2)
    with writing(engine) as conn:
        conn.execute(update(outbox).where(outbox.c.key == texts[0]).values(
            state="dead", attempts=1, last_error="the SMS gateway refused the message (HTTP 400)",
        ))  # fmt: skip
        conn.execute(update(outbox).where(outbox.c.key == mails[0]).values(
            last_error="waiting: no mail server is set (--smtp)",
        ))  # fmt: skip

    assert instore(["admin", "--db", db, "outbox", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["to"] for m in listed] == [EMAIL, PHONE, PHONE]  # newest first, whole in JSON
    first = listed[-1]
    assert {k: first[k] for k in ("channel", "kind", "claim", "state", "attempts")} == {
        "channel": "sms", "kind": "claim_received", "claim": "CL-TEST0000", "state": "dead",
        "attempts": 1,
    }  # fmt: skip
    assert {"id", "to", "last_error", "next_at", "created", "sent_at"} <= set(first)
    assert "body" not in first and "subject" not in first  # a text may hold a voucher

    assert instore(["admin", "--db", db, "outbox", "--state", "pending"]) == 0
    plain = capsys.readouterr().out
    assert plain.startswith("pending 2 (sms 1, email 1)  sent 0 (sms 0, email 0)  dead 1")
    assert "+********3210" in plain and "a***@example.com" in plain and PHONE not in plain
    assert "waiting: no mail server is set (--smtp)" in plain and "CL-TEST0000" not in plain

    dead_id = first["id"]
    assert instore(["admin", "--db", db, "outbox", "retry", str(dead_id), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["state"], again["last_error"]) == ("pending", "sent again by hand")
    assert instore(["admin", "--db", db, "outbox", "retry", str(dead_id)]) == 1
    assert "only a dead letter is sent again" in capsys.readouterr().err
    assert instore(["admin", "--db", db, "outbox", "retry", "999"]) == 1
    assert "no message 999" in capsys.readouterr().err
    assert instore(["admin", "--db", db, "outbox", "--state", "lost"]) == 2


def _instore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_the_help_tells_a_store_manager_where_messages_go_and_a_bad_address_stops_at_once(
    tmp_path: Path,
) -> None:
    worker = " ".join(_instore("worker", "--help").stdout.split())
    assert "Send the messages to winners" in worker and "Ctrl-C stops it" in worker
    assert "--smtp HOST:PORT" in worker and "$INSTORE_SMTP_USER" in worker
    assert "STARTTLS" in worker and "--sms-gateway URL" in worker
    server = " ".join(_instore("server", "--help").stdout.split())
    assert "--smtp HOST:PORT" in server and "--mail-from ADDRESS" in server
    assert "--no-worker" in server and "instore worker" in server
    for args, words in (
        (("server", "--smtp", "mail.example.com"), "write HOST:PORT"),
        (("worker", "--mail-from", "prizes"), "is not an address to send from"),
    ):
        done = _instore(*args, "--db", str(tmp_path / "server.db"))
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    done = _instore("worker", "--db", str(tmp_path / "nothing.db"))
    assert done.returncode == 2 and "there is no server database" in done.stderr
    assert not (tmp_path / "server.db").exists() and not (tmp_path / "nothing.db").exists()
