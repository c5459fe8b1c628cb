"""A campaign's content on the wire: a device reads what it knows and keeps the campaign even
when the content is one it cannot read (a newer server's)."""

from __future__ import annotations

from sync.protocol import Model, PullResponse


def test_unreadable_content_leaves_the_grant_without_it() -> None:
    answer = PullResponse.model_validate({
        "cursor": 0, "more": False, "config_version": 2, "server_time": 1.0,
        "campaigns": [
            {"campaign": {"id": "a"}, "key": "00", "content": {"theme": {"primary": "red"}}},
            {"campaign": {"id": "b"}, "key": "00", "content": {"name": {"en": "B"}, "new": 1}},
            {"campaign": {"id": "c"}, "key": "00"},
        ],
    })  # fmt: skip
    grants = answer.campaigns or []
    assert [g.campaign["id"] for g in grants] == ["a", "b", "c"]
    assert grants[0].content is None
    assert grants[1].content is not None and grants[1].content.name == {"en": "B"}
    assert grants[2].content is None


def test_an_older_device_reads_a_grant_with_content_as_before() -> None:
    """An older device's model has no `content`: the field is ignored like any unknown one."""

    class OldGrant(Model):
        campaign: dict[str, object]
        key: str

    old = OldGrant.model_validate({"campaign": {"id": "a"}, "key": "00", "content": {"x": 1}})
    assert old.key == "00" and not hasattr(old, "content")


def test_unreadable_program_content_leaves_the_config_without_it() -> None:
    """The program's content a device cannot read is left out; its config and keys are not."""
    base = {"cursor": 0, "more": False, "config_version": 2, "server_time": 1.0, "config": {}}
    bad = {"prizes": {"mug": {"name": {"en": 5}}}}
    assert PullResponse.model_validate({**base, "program_content": bad}).program_content is None
    good = {"prizes": {"mug": {"name": {"en": "Mug", "hi": "मग"}}}}
    answer = PullResponse.model_validate({**base, "program_content": good})
    assert answer.config is not None and answer.program_content is not None
    assert answer.program_content.prizes["mug"].name["hi"] == "मग"
