"""The gateways' doors over HTTP on loopback: Africa's Talking's form callback answered in
text/plain `CON`/`END`, the JSON adapter, and whatever a gateway or a stranger sends wrong
answered in the gateway's shape (never a 500), the token required."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from server_stub.device_api.service import SyncService
from server_stub.settings import ServerSettings, proxy_network
from server_stub.ussd import texts, web
from tests.live import live_server
from tests.server_stub.ussd.session import PHONE_KZ
from tests.world import World

TOKEN = "ussd-test-token-0123456789"


@pytest.fixture
def url(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    world.setup()
    monkeypatch.setenv(web.TOKEN_VARIABLE, TOKEN)
    with live_server(world.engine, world.service) as base:
        yield base


def _form(url: str, text: str, session: str = "ATUid_web1", **more: str) -> requests.Response:
    fields = {"sessionId": session, "serviceCode": "*384*12#", "phoneNumber": PHONE_KZ,
              "networkCode": "40101", "text": text, **more}  # fmt: skip
    return requests.post(f"{url}/ussd/callback?token={TOKEN}", data=fields, timeout=10)


def test_a_whole_session_through_the_form_callback(url: str) -> None:
    first = _form(url, "")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    assert first.text.startswith("CON ") and "1. Қосылу" in first.text
    assert len(_form(url, "1*4").text) <= 182
    assert "Иә" in _form(url, "1*4").text  # Kazakh chosen: asked in Kazakh to confirm
    joined = _form(url, "1*4*1")
    assert "Енді сіз қатысушысыз" in joined.text and "1. Баланс" in joined.text
    balance = texts.say("kk", "balance.points", available=0)
    assert _form(url, "1*4*1*1").text.startswith(f"CON {balance}")
    assert _form(url, "1*4*1*1*0*0").text == "END " + texts.say("kk", "end.bye")


def test_bad_requests_get_the_gateways_shape_never_a_server_error(url: str) -> None:
    missing = requests.post(f"{url}/ussd/callback?token={TOKEN}", data={"text": "1"}, timeout=10)
    assert missing.status_code == 400 and missing.text.startswith("END ")
    long = _form(url, "1" * 5000, session="ATUid_long")
    assert (long.status_code == 200 and "That was too long" in long.text) or "Тым ұзын" in long.text
    assert _form(url, "", session="ATUid_odd", phoneNumber="abc").text == (
        "END This service needs a mobile number."
    )
    huge = _form(url, "1" * 9000, session="ATUid_huge")
    assert huge.status_code == 413 and huge.text.startswith("END ")
    wrong = requests.post(f"{url}/ussd/callback?token=nope", data={"text": ""}, timeout=10)
    assert wrong.status_code == 401 and wrong.text.startswith("END ")
    no_token = requests.post(f"{url}/ussd/callback", data={"text": ""}, timeout=10)
    assert no_token.status_code == 401
    garbage = requests.post(f"{url}/ussd/json", data=b"\xff{", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert garbage.status_code == 400 and garbage.json()["continue_session"] is False


def test_the_json_adapter_takes_one_answer_a_request(url: str) -> None:
    def send(body: dict[str, object]) -> dict[str, object]:
        answer = requests.post(f"{url}/ussd/json", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        found: dict[str, object] = answer.json()
        return found

    base = {"session_id": "json-1", "msisdn": PHONE_KZ}
    first = send({**base, "input": "*384*12#", "new_session": True})
    assert first["continue_session"] is True and "1. Қосылу" in str(first["message"])
    assert "Тілді" in str(send({**base, "input": "1"})["message"])
    assert "1. English" in str(send({**base, "input": "9"})["message"])  # no such choice
    assert str(send({**base, "input": "0"})["message"]).startswith("Loyalty program")
    last = send({**base, "input": "0"})
    assert last == {"session_id": "json-1", "message": texts.say("kk", "end.bye"),
                    "continue_session": False}  # fmt: skip


def test_without_a_token_set_only_this_machine_is_answered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway simulator or the demo on the server's own machine needs no token; a caller
    from elsewhere (here forwarded by a trusted proxy on loopback) is shut out."""
    monkeypatch.delenv(web.TOKEN_VARIABLE, raising=False)
    behind_proxy = SyncService(
        world.engine, ServerSettings(trusted_proxies=frozenset({proxy_network("127.0.0.1")}))
    )
    fields = {"sessionId": "local-1", "serviceCode": "*384#", "phoneNumber": "+77011234567",
              "networkCode": "63902", "text": ""}  # fmt: skip
    with live_server(world.engine, behind_proxy) as base:
        here = requests.post(f"{base}/ussd/callback", data=fields, timeout=10)
        shut = requests.post(f"{base}/ussd/callback", data=fields, timeout=10,
                             headers={"X-Forwarded-For": "203.0.113.9"})  # fmt: skip
    assert here.status_code == 200 and here.text.startswith("CON ")
    assert shut.status_code == 503 and shut.text.startswith("END ")
