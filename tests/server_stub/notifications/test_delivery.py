"""The gateway's delivery reports, over HTTP to the server as it runs: only with the token,
wrong tokens throttled, a status only moving forward, and a report that comes before the
gateway has even answered the send still landing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, select

from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import sms_messages
from server_stub.errors import ApiError
from server_stub.notifications.sms import TOKEN_VARIABLE, FileGateway, HttpGateway, send_sms
from tests.live import live_server
from tests.server_stub.notifications.conftest import LoopbackGateway

TOKEN = "gw-7Hq2v9XkLm4Rt8Zp"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, str]]:
    """A migrated database (SQLite and PostgreSQL) and the server over it, with the token set."""
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    engine = open_engine(server_url)
    migrate(engine)
    with live_server(engine) as url:
        yield engine, url
    engine.dispose()


def _report(url: str, message_id: str, status: str, **headers: str) -> requests.Response:
    body = {"id": message_id, "status": status, "carrier": "ignored"}
    return requests.post(f"{url}/v1/sms/report", json=body, headers=headers or AUTH, timeout=10)


def _status(engine: Engine, message_id: str) -> str:
    with engine.connect() as conn:
        found = conn.execute(
            select(sms_messages.c.status).where(sms_messages.c.id == message_id)
        ).scalar()
    return str(found)


def _error(answer: requests.Response) -> tuple[int, str]:
    body: dict[str, Any] = answer.json()
    return answer.status_code, body["error"]


def test_a_status_only_moves_forward(server: tuple[Engine, str], tmp_path: Path) -> None:
    engine, url = server
    gateway = FileGateway(tmp_path / "sms")
    sent = send_sms(engine, gateway, "+919876543210", "Your code is 111111", "otp")
    assert _status(engine, sent) == "sent"

    answer = _report(url, sent, "delivered")
    assert answer.status_code == 200
    assert answer.json() == {"id": sent, "status": "delivered", "changed": True}
    again = _report(url, sent, "DELIVERED")  # gateways repeat themselves
    assert again.json() == {"id": sent, "status": "delivered", "changed": False}
    assert _error(_report(url, sent, "undelivered")) == (409, "status_final")
    assert _error(_report(url, sent, "sent")) == (409, "status_final")
    assert _status(engine, sent) == "delivered"

    other = send_sms(engine, gateway, "+919876543211", "Your voucher: MUSIC-42", "voucher")
    assert _report(url, other, "sent").json()["changed"] is False  # already so
    assert _report(url, other, "expired").json()["status"] == "expired"
    assert _error(_report(url, other, "delivered")) == (409, "status_final")
    assert _status(engine, other) == "expired"

    assert _error(_report(url, "0123456789abcdef01234567", "delivered")) == (404, "unknown_sms")
    assert _error(_report(url, sent, "read")) == (422, "bad_status")
    assert "delivered, undelivered" in _report(url, sent, "read").json()["message"]
    assert _error(_report(url, "a\u00e9\u0000b", "delivered")) == (422, "bad_request")


def test_a_message_the_send_failed_keeps_its_failure(
    server: tuple[Engine, str], tmp_path: Path
) -> None:
    engine, url = server
    (tmp_path / "blocked").write_text("a file where the folder should be")
    with pytest.raises(ApiError):
        send_sms(engine, FileGateway(tmp_path / "blocked" / "sms"), "+1555", "hi", "otp")
    with engine.connect() as conn:
        failed = conn.execute(select(sms_messages.c.id)).scalar_one()
    assert _error(_report(url, failed, "delivered")) == (409, "status_final")
    assert _status(engine, failed) == "failed"


def test_a_report_that_comes_before_the_gateway_answers_the_send_still_counts(
    server: tuple[Engine, str], gateway: LoopbackGateway
) -> None:
    """Some gateways report at once, before their answer to the send is back: the message
    is on record before the gateway is asked, and the send's own "sent" does not undo it."""
    engine, url = server
    answers: list[requests.Response] = []
    gateway.on_message = lambda message: answers.append(_report(url, message["id"], "delivered"))
    sent = send_sms(engine, HttpGateway(gateway.url), "+919876543210", "hello", "voucher")
    assert [a.status_code for a in answers] == [200]
    assert gateway.received[0].headers["Authorization"] == f"Bearer {TOKEN}"  # the same token
    assert _status(engine, sent) == "delivered"


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
def test_a_wrong_token_is_refused_and_an_address_that_keeps_trying_is_held(
    server: tuple[Engine, str], tmp_path: Path
) -> None:
    engine, url = server
    sent = send_sms(engine, FileGateway(tmp_path / "sms"), "+1555", "hi", "otp")
    for n in range(10):
        wrong = {"Authorization": f"Bearer {TOKEN}x"} if n else {"Authorization": ""}
        assert _error(_report(url, sent, "delivered", **wrong)) == (401, "wrong_token")
    held = _report(url, sent, "delivered", Authorization="Bearer guess")
    assert _error(held) == (429, "too_many_attempts") and int(held.headers["Retry-After"]) > 60
    assert _error(_report(url, sent, "delivered")) == (429, "too_many_attempts")  # even right
    assert _status(engine, sent) == "sent"


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
def test_without_a_token_set_every_report_is_refused(
    server_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    engine = open_engine(server_url)
    migrate(engine)
    sent = send_sms(engine, FileGateway(tmp_path / "sms"), "+1555", "hi", "otp")
    with live_server(engine) as url:
        for headers in ({"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}, {}):
            answer = requests.post(
                f"{url}/v1/sms/report", json={"id": sent, "status": "delivered"},
                headers=headers, timeout=10,
            )  # fmt: skip
            assert _error(answer) == (503, "no_token_set")
            assert "INSTORE_SMS_TOKEN" in answer.json()["message"]
    assert _status(engine, sent) == "sent"
    engine.dispose()
