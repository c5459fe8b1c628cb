"""Campaign files: plans, validation, round trips, and the master key that goes with them."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codes import campaign as campaign_file
from codes import keys
from codes.campaign import Campaign, Tier, parse_tiers, with_claim_tiers
from codes.common.errors import InstoreError
from tests.conftest import CampaignFactory


def test_parse_tiers_with_a_remainder() -> None:
    assert parse_tiers("gold:10, silver:1_000,music:*") == (
        Tier("gold", 10),
        Tier("silver", 1000),
        Tier("music", None),
    )


@pytest.mark.parametrize("spec", ["gold", "gold:", "gold:ten", ":5", "gold:1,,"])
def test_parse_tiers_refuses_bad_specs(spec: str) -> None:
    with pytest.raises(InstoreError) as err:
        parse_tiers(spec)
    assert err.value.code == "bad_tiers"


def test_remainder_takes_what_the_others_leave() -> None:
    c = Campaign("c", "HV", parse_tiers("gold:10,music:*"), capacity=1000)
    assert c.tier_counts() == [10, 990]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"prefix": "HU"}, "prefix"),
        ({"prefix": "hv"}, "prefix"),
        ({"prefix": "TOOLONG"}, "prefix"),
        ({"id": "bad id!"}, "campaign id"),
        ({"capacity": 2**34 + 1}, "capacity"),
        ({"tiers": parse_tiers("a:1,b:*,c:*")}, "only one tier"),
        ({"tiers": parse_tiers("a:5,b:5")}, "cover 10"),
        ({"tiers": parse_tiers("a:5,a:*")}, "different"),
        ({"tiers": parse_tiers("Gold:5,b:*")}, "tier name"),
        ({"tiers": parse_tiers("a:2000,b:*")}, "ask for 2,000"),
        ({"issued": 1001}, "issued"),
        (
            {
                "starts_at": datetime(2026, 2, 1, tzinfo=UTC),
                "ends_at": datetime(2026, 1, 1, tzinfo=UTC),
            },
            "end after",
        ),
    ],
)
def test_incoherent_campaigns_are_refused_with_reasons(
    fields: dict[str, object], words: str
) -> None:
    base = Campaign("c", "HV", parse_tiers("gold:10,music:*"), capacity=1000)
    with pytest.raises(InstoreError, match=words):
        campaign_file.validate(replace(base, **fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["c.toml", "c.json"])
def test_save_and_load_round_trip(tmp_path: Path, name: str) -> None:
    c = Campaign(
        "ice",
        "HV",
        (Tier("gold", 10, 25.0, "A gold coin", kind="claim"), Tier("music", None, 0.99, "A song")),
        capacity=5000,
        name="Lids",
        issued=42,
        key_check="abc",
        starts_at=datetime(2026, 6, 1, tzinfo=UTC),
        ends_at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    saved = campaign_file.save(c, tmp_path / name)
    assert campaign_file.load(tmp_path / name) == saved


def test_claim_tiers_are_named_from_the_plan() -> None:
    tiers = with_claim_tiers(parse_tiers("gold:1/100,silver:1/10,music:*"), "gold")
    assert [t.kind for t in tiers] == ["claim", "instant", "instant"]
    with pytest.raises(InstoreError, match="names no tier of the plan: platinum"):
        with_claim_tiers(tiers, "gold,platinum")
    with pytest.raises(InstoreError, match="'instant' or 'claim', not 'later'"):
        campaign_file.from_dict(
            {"id": "c", "prefix": "HV", "tiers": [{"name": "a", "count": "*", "kind": "later"}]}
        )


def test_unreadable_campaign_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InstoreError, match="does not exist"):
        campaign_file.load(tmp_path / "nope.toml")
    (tmp_path / "junk.toml").write_text("this is = = not toml")
    with pytest.raises(InstoreError, match="not valid"):
        campaign_file.load(tmp_path / "junk.toml")
    (tmp_path / "partial.json").write_text('{"id": "x"}')
    with pytest.raises(InstoreError, match="lacks 'tiers'"):
        campaign_file.load(tmp_path / "partial.json")


def test_master_key_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    assert keys.create_master_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = keys.read_master_key(path)
    assert not keys.create_master_key(path)
    assert keys.read_master_key(path) == first


def test_wrong_master_key_is_named(make_campaign: CampaignFactory, tmp_path: Path) -> None:
    campaign, key = make_campaign()
    assert campaign.campaign_key() == key
    (tmp_path / "master.key").write_text("00" * 32)
    with pytest.raises(InstoreError) as err:
        campaign.campaign_key()
    assert err.value.code == "wrong_key"
    (tmp_path / "master.key").write_text("short")
    with pytest.raises(InstoreError, match="64 hex digits"):
        campaign.campaign_key()


def test_keys_differ_per_campaign_and_version() -> None:
    master = bytes(range(32))
    k1 = keys.derive_campaign_key(master, "ice", 1)
    assert len(k1) == 32
    assert k1 != keys.derive_campaign_key(master, "ice", 2)
    assert k1 != keys.derive_campaign_key(master, "ice2", 1)
    assert k1 == keys.derive_campaign_key(master, "ice", 1)
