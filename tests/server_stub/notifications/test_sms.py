"""Text messages leave through the gateway `--sms-gateway` names: a folder of JSON files, or an
HTTP gateway (ours, on loopback) that gets each message with the bearer token. A gateway that
refuses, is not there or does not answer in time is said in words, and the message is recorded
as failed, never with its text."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from server_stub.database.schema import sms_messages
from server_stub.errors import ApiError
from server_stub.notifications.sms import (
    TOKEN_VARIABLE,
    FileGateway,
    HttpGateway,
    NoGateway,
    SendFailed,
    Sms,
    gateway_for,
    send_sms,
)
from tests.server_stub.notifications.conftest import LoopbackGateway

OTP_TEXT = "Your instore code is 482913. It expires in 10 minutes."


def _row(engine: Engine, message_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(sms_messages).where(sms_messages.c.id == message_id)).one()
    return dict(row._mapping)


def test_a_message_reaches_the_http_gateway_with_the_token_and_its_four_fields(
    gateway: LoopbackGateway, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, "s3cret-token-of-the-gateway")
    message_id = send_sms(engine, gateway_for(gateway.url), "+919876543210", OTP_TEXT, "otp")
    [got] = gateway.received
    assert got.path == "/send"
    assert got.headers["Authorization"] == "Bearer s3cret-token-of-the-gateway"
    assert got.headers["Content-Type"] == "application/json"
    assert got.body == {"id": message_id, "to": "+919876543210", "text": OTP_TEXT, "kind": "otp"}
    row = _row(engine, message_id)
    assert (row["status"], row["phone"], row["kind"], row["error"]) == (
        "sent", "+919876543210", "otp", ""
    )  # fmt: skip
    assert "482913" not in json.dumps(row, default=str)  # the text is never kept


def test_without_a_token_no_authorization_header_is_sent(
    gateway: LoopbackGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    gateway_for(gateway.url).send(Sms("a1", "+15550001111", "hello", "voucher"))
    assert "Authorization" not in gateway.received[0].headers


def test_a_gateway_answering_500_fails_the_send_and_the_message_is_recorded_failed(
    gateway: LoopbackGateway, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.status = 500
    with pytest.raises(SendFailed) as failed:
        HttpGateway(gateway.url, token="t").send(Sms("b1", "+15550001111", OTP_TEXT, "otp"))
    words = str(failed.value)
    assert "refused" in words and "HTTP 500" in words and "127.0.0.1" in words
    assert "482913" not in words

    with pytest.raises(ApiError) as refused:
        send_sms(engine, HttpGateway(gateway.url, token="t"), "+15550001111", OTP_TEXT, "otp")
    assert (refused.value.status, refused.value.code) == (503, "sms_failed")
    with engine.connect() as conn:
        [row] = conn.execute(select(sms_messages)).all()
    assert row.status == "failed" and "HTTP 500" in row.error
    assert "482913" not in caplog.text and "+15550001111" not in caplog.text
    assert f"SMS {row.id} (otp) not sent" in caplog.text  # the operator hears of it


def test_a_gateway_that_does_not_answer_in_time_fails_in_about_the_timeout(
    gateway: LoopbackGateway, engine: Engine
) -> None:
    gateway.delay_s = 2.0
    began = time.monotonic()
    with pytest.raises(ApiError) as refused:
        send_sms(engine, HttpGateway(gateway.url, token="t", timeout_s=0.3), "+1555", "hi", "otp")
    took = time.monotonic() - began
    assert refused.value.code == "sms_failed"
    assert 0.25 < took < 1.5
    with engine.connect() as conn:
        [row] = conn.execute(select(sms_messages)).all()
    assert row.status == "failed" and "did not answer within 0.3 s" in row.error


def test_a_gateway_that_is_not_there_is_said_to_be_unreachable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SendFailed, match=f"cannot reach the SMS gateway at 127.0.0.1:{port}"):
        HttpGateway(f"http://127.0.0.1:{port}/send", token="t").send(Sms("c1", "+1", "x", "otp"))


def test_a_redirect_is_a_refusal_and_the_token_goes_nowhere_else(
    gateway: LoopbackGateway,
) -> None:
    gateway.status, gateway.headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
    with pytest.raises(SendFailed, match="HTTP 302"):
        HttpGateway(gateway.url, token="t").send(Sms("d1", "+1", "x", "otp"))
    assert len(gateway.received) == 1


def test_the_file_gateway_writes_one_json_file_per_message(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "sms"
    gateway = gateway_for(f"file://{folder}")
    assert isinstance(gateway, FileGateway)
    message_id = send_sms(engine, gateway, "+919876543210", OTP_TEXT, "otp")
    written = json.loads((folder / f"{message_id}.json").read_text(encoding="utf-8"))
    assert written == {"id": message_id, "to": "+919876543210", "text": OTP_TEXT, "kind": "otp"}
    assert [p.name for p in folder.iterdir()] == [f"{message_id}.json"]  # no part file left
    assert (folder / f"{message_id}.json").stat().st_mode & 0o077 == 0  # only the server reads it
    assert _row(engine, message_id)["status"] == "sent"


def test_a_folder_that_cannot_be_written_fails_the_send(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(ApiError, match="could not be sent"):
        send_sms(engine, FileGateway(tmp_path / "file" / "sms"), "+1555", "hi", "voucher")
    with engine.connect() as conn:
        assert conn.execute(select(sms_messages.c.status)).scalar() == "failed"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("smtp://mail.example.com", "file:///DIR or http(s)://HOST/PATH"),
        ("sms.example.com/send", "file:///DIR or http(s)://HOST/PATH"),
        ("file://relative/dir", "three slashes"),
        ("https:///send", "names no host"),
        ("https://user:key@sms.example.com/send", "INSTORE_SMS_TOKEN"),
    ],
)
def test_a_url_no_gateway_answers_to_is_refused_in_words(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        gateway_for(url)


def test_each_url_gets_its_gateway() -> None:
    assert isinstance(gateway_for(""), NoGateway)
    assert isinstance(gateway_for("file:///var/lib/instore/sms"), FileGateway)
    assert isinstance(gateway_for("https://sms.example.com/v1/send?route=otp"), HttpGateway)
    assert isinstance(gateway_for("HTTP://127.0.0.1:9000/send"), HttpGateway)
    with pytest.raises(SendFailed, match="no SMS gateway is set"):
        NoGateway().send(Sms("e1", "+1", "x", "otp"))
