"""Wrong tokens from one address are slowed down, and logged; other addresses are not."""

from __future__ import annotations

import pytest

from server_stub.throttle import FREE_TRIES, MAX_WAIT_S, Throttle
from tests.world import World


def test_a_source_that_keeps_failing_waits_longer_each_time() -> None:
    waited: list[float] = []
    throttle = Throttle(sleep=waited.append)
    for _ in range(FREE_TRIES):
        assert throttle.failed("10.0.0.9", "admin token") == 0
    assert [throttle.failed("10.0.0.9", "admin token") for _ in range(4)] == [0.25, 0.5, 1.0, 2.0]
    assert max(throttle.failed("10.0.0.9", "admin token") for _ in range(10)) == MAX_WAIT_S
    assert throttle.failed("10.0.0.8", "admin token") == 0  # another till is not punished
    assert waited and all(w > 0 for w in waited)


def test_wrong_enrollment_tokens_are_logged_and_slowed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.setup()
    waited: list[float] = []
    world.service.throttle = Throttle(sleep=waited.append)
    for i in range(FREE_TRIES + 2):
        body = b'{"token": "AAAA-BBBB-CCCC-DDDD-EEE%d"}' % i
        status, _, _ = world.service.handle("POST", "/v1/enroll", {}, body, source="10.1.1.1")
        assert status == 401
    assert waited == [0.25, 0.5]
    assert "wrong enrollment token from 10.1.1.1" in caplog.text
