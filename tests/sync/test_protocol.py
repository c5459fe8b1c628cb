"""The wire models: what they let in is what every database can store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sync.protocol import ClaimRequest, WireEvent, WireEventData

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


# what a field of a pushed event may hold, from a good device or a broken one
VALUES = st.one_of(
    st.text(max_size=70),
    st.integers(min_value=-2, max_value=2**63),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
)
GOOD = {
    "event_id": st.text(min_size=1, max_size=64), "seq": st.integers(1, 2**62),
    "kind": st.text(min_size=1, max_size=32), "payload": st.dictionaries(st.text(), VALUES),
    **dict.fromkeys(("local_time", "prev_hash", "mac"), st.text(max_size=64)),
}  # fmt: skip
BAD = st.one_of(VALUES, st.text(min_size=65, max_size=80), st.just(""), st.integers(-1, 0))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed event, then up to two fields spoilt or dropped, and a field unknown."""
    event = {name: draw(value) for name, value in GOOD.items()}
    for name in draw(st.lists(st.sampled_from(sorted(GOOD)), max_size=2, unique=True)):
        if draw(st.booleans()):
            event[name] = draw(BAD)
        else:
            del event[name]
    event["device_id"] = draw(VALUES)
    return event


EVENTS = events()


@settings(max_examples=300)
@given(EVENTS)
def test_the_quick_reading_of_a_push_lets_in_what_the_model_lets_in(event: dict[str, Any]) -> None:
    """The server reads a push without `\\u0000` in its body as WireEventData: it must accept
    and refuse exactly what WireEvent does, and read the same values."""
    body = json.dumps(event)
    if "\\u0000" in body:  # such a push takes the model's way
        return
    try:
        expected: dict[str, Any] | None = WireEvent.model_validate_json(body).model_dump()
    except ValidationError:
        expected = None
    try:
        got: dict[str, Any] | None = dict(TypeAdapter(WireEventData).validate_json(body))
    except ValidationError:
        got = None
    assert got == expected


def test_the_servers_defaults_for_a_device_are_the_devices_own() -> None:
    """A store with no config of its own gets what a device assumes before its first sync."""
    from sync.protocol import DeviceConfig
    from terminal.config import TerminalConfig

    as_sent = json.loads(json.dumps(TerminalConfig().to_dict()))  # tuples travel as lists
    assert DeviceConfig().model_dump() == as_sent
    assert TerminalConfig.from_dict(DeviceConfig().model_dump()) == TerminalConfig()
    assert TerminalConfig.from_dict({}) == TerminalConfig()


def test_a_name_refuses_c1_controls_as_the_published_schema_does() -> None:
    """U+0085 is whitespace to Python's \\s and not to a JSON Schema's: spelled out, both refuse
    it, so a schema-valid name is never refused (schemathesis found the disagreement)."""
    import re

    from pydantic import TypeAdapter, ValidationError

    from sync.protocol import Name

    adapter = TypeAdapter(Name)
    pattern = adapter.json_schema()["pattern"]
    for text in ("\u0085", "a\u0085b", "\u009f"):
        assert re.search(pattern, text) is None
        try:
            adapter.validate_python(text)
        except ValidationError:
            continue
        raise AssertionError(f"{text!r} was accepted")
    assert adapter.validate_python("North Street") == "North Street"
