"""The wire models: what they let in is what every database can store."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sync.protocol import ClaimRequest, WireEvent

EVENT = {"event_id": "e-1", "seq": 1, "kind": "redeem", "payload": {}, "local_time": "t",
         "prev_hash": "p", "mac": "m"}  # fmt: skip


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
def test_text_no_database_can_store_is_refused_in_every_field(bad: str) -> None:
    for field in ("event_id", "kind", "local_time", "prev_hash", "mac"):
        with pytest.raises(ValidationError):
            WireEvent.model_validate({**EVENT, field: bad})
    with pytest.raises(ValidationError):
        ClaimRequest(event_id="e-1", campaign="c", serial=1, code=bad)


def test_json_with_a_lone_surrogate_is_refused_as_it_is_read() -> None:
    with pytest.raises(ValidationError):
        WireEvent.model_validate_json(
            '{"event_id": "\\ud800", "seq": 1, "kind": "redeem", '
            '"payload": {}, "local_time": "", "prev_hash": "", "mac": ""}'
        )
    assert WireEvent.model_validate({**EVENT, "event_id": "café ☕"}).event_id == "café ☕"
