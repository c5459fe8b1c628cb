"""Signed requests: who may talk to the server, and what a stranger or a replay gets."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import update

from server_stub.admin import device_control
from server_stub.catalog import enrollment
from server_stub.database.schema import devices
from sync import protocol
from sync.client import SyncError
from sync.protocol import PullRequest
from tests.world import World


def _signed(
    world: World, device_id: str, secret: bytes, body: bytes, **change: str
) -> dict[str, str]:
    stamp = change.get("stamp", f"{time.time():.3f}")
    nonce = change.get("nonce", "n-" + str(time.perf_counter_ns()))
    return {
        protocol.DEVICE: device_id,
        protocol.TIMESTAMP: stamp,
        protocol.NONCE: nonce,
        protocol.SIGNATURE: change.get(
            "signature", protocol.sign(secret, "POST", "/v1/pull", stamp, nonce, body)
        ),
    }


def _pull(world: World, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
    status, answer, _ = world.service.handle("POST", "/v1/pull", headers, body)
    return status, json.loads(answer)


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({}, 200, None),
        ({"signature": "0" * 64}, 401, "bad_signature"),
        ({"stamp": str(time.time() - 3600)}, 401, "clock_skew"),
        ({"stamp": "yesterday"}, 401, "unsigned"),
    ],
)
def test_only_a_correctly_signed_fresh_request_is_served(
    world: World, change: dict[str, str], status: int, error: str | None
) -> None:
    world.setup()
    d = world.device("s1", "A")
    body = PullRequest().model_dump_json().encode()
    got, answer = _pull(
        world, _signed(world, d.client.device_id, d.client.secret, body, **change), body
    )
    assert got == status
    if error:
        assert answer["error"] == error and answer["message"]
    if error == "clock_skew":
        assert abs(float(answer["server_time"]) - time.time()) < 60  # type: ignore[arg-type]


def test_a_replayed_request_is_refused(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    body = PullRequest().model_dump_json().encode()
    headers = _signed(world, d.client.device_id, d.client.secret, body)
    assert _pull(world, headers, body)[0] == 200
    status, answer = _pull(world, headers, body)
    assert (status, answer["error"]) == (401, "replay")


def test_identity_comes_from_the_credential_not_the_body(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    body = PullRequest().model_dump_json().encode()
    # B's id with A's key: refused, whatever the body says
    status, answer = _pull(world, _signed(world, b.client.device_id, a.client.secret, body), body)
    assert (status, answer["error"]) == (401, "bad_signature")


def test_a_revoked_device_is_refused_and_says_so(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    device_control.revoke_device(world.engine, d.client.device_id)
    d.terminal.redeem(world.code(1))
    report = d.sync()
    assert not report.ok and report.error_code == "revoked"
    assert d.status()["pending"] == 1
    assert "revoked" in str(d.status()["last_sync_error"])


def test_an_enrollment_token_is_spent_the_moment_it_is_exchanged(world: World) -> None:
    """Whoever sees the token after `terminal init` cannot take over the till's identity."""
    world.setup()
    made = enrollment.enroll_device(world.engine, "s1", "Till 9")
    from sync.client import SyncClient

    client = SyncClient(world.transport)
    client.enroll(made["token"].lower())  # typed as a person would
    with pytest.raises(SyncError) as spent:
        client.enroll(made["token"])
    assert spent.value.code == "bad_token"


def test_an_enrollment_token_expires_after_a_day(world: World) -> None:
    world.setup()
    made = enrollment.enroll_device(world.engine, "s1", "Till 10")
    with world.engine.begin() as conn:
        conn.execute(
            update(devices).where(devices.c.id == made["device_id"])
            .values(created=devices.c.created - 24 * 3600 - 1)
        )  # fmt: skip
    from sync.client import SyncClient

    with pytest.raises(SyncError) as expired:
        SyncClient(world.transport).enroll(made["token"])
    assert expired.value.code == "bad_token"


def test_a_device_with_a_wrong_clock_corrects_it_and_syncs(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    d.client.now = lambda: time.time() + 86_400  # the till thinks it is tomorrow
    d.terminal.redeem(world.code(2))
    report = d.sync()
    assert report.ok and report.pushed == {"accepted": 1}
    assert abs(d.client.clock_offset + 86_400) < 60
