"""The program's rules and the partners: set, read back, refused in words when wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from server_stub.catalog import store_setup
from server_stub.errors import ApiError
from server_stub.loyalty import partners, program


def test_the_program_starts_with_defaults_and_keeps_what_is_set(db: Engine) -> None:
    with db.begin() as conn:
        assert program.program(conn) == program.DEFAULT
        changed = program.set_program(conn, pending_days=7, otp_above=500, expiry_months=None)
    assert (changed.pending_days, changed.otp_above, changed.expiry_months) == (7, 500, 12)
    with db.connect() as conn:
        assert program.program(conn) == changed


@pytest.mark.parametrize(
    "changes",
    [{"pending_days": -1}, {"expiry_months": 0}, {"otp_above": -5}, {"colour": 1},
     {"pending_days": True}, {"name": " "}],
)  # fmt: skip
def test_a_bad_program_setting_is_refused_and_nothing_changes(
    db: Engine, changes: dict[str, object]
) -> None:
    with db.begin() as conn, pytest.raises(ApiError) as refused:
        program.set_program(conn, expiry_notice_days=3, **changes)
    assert refused.value.code == "bad_program"
    with db.connect() as conn:
        assert program.program(conn) == program.DEFAULT


def test_partners_are_made_listed_and_found_by_their_stores(db: Engine) -> None:
    with db.begin() as conn:
        fuel = partners.create(conn, "Fuel-Co", "Fuel Co", "accrual", 0.10,
                               rules={"rounding": "up", "min_purchase": 5})  # fmt: skip
        partners.create(conn, "electro", "Electro", "both", 0.25)
    assert fuel.id == "fuel-co" and fuel.rules == {"rounding": "up", "min_purchase": 5.0}
    assert fuel.issues and not fuel.redeems
    store_setup.create_store(db, "s1", "Ring road", partner_id="fuel-co")
    store_setup.create_store(db, "s2", "No partner")
    with db.connect() as conn:
        assert [p.id for p in partners.all_partners(conn)] == ["electro", "fuel-co"]
        assert partners.of_store(conn, "s1") == fuel
        assert partners.of_store(conn, "s2") is None
        assert partners.of_store(conn, "nowhere") is None


def test_a_store_of_an_unknown_partner_is_refused(db: Engine) -> None:
    with pytest.raises(ApiError) as refused:
        store_setup.create_store(db, "s1", "Ring road", partner_id="nobody")
    assert refused.value.code == "no_partner" and "partner create" in refused.value.message
    assert "s1" not in [s["id"] for s in store_setup.list_stores(db)]


def test_rules_change_one_at_a_time_and_bad_rules_are_refused(db: Engine) -> None:
    with db.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "accrual", 0.1)
        done = partners.set_rules(conn, "fuel", {"category_multipliers": {"fuel": 2}})
        done = partners.set_rules(conn, "fuel", {"rounding": "nearest"})
        assert done.rules == {"category_multipliers": {"fuel": 2.0}, "rounding": "nearest"}
        done = partners.set_rules(conn, "fuel", {"rounding": None})
        assert done.rules == {"category_multipliers": {"fuel": 2.0}}
        for bad, words in (
            ({"rounding": "sideways"}, "rounding"),
            ({"checkin_points": 5}, "no earn rule 'checkin_points'"),
            ({"bonus_periods": [{"start": "2026-12-31", "end": "2026-12-01", "multiplier": 2}]},
             "ends (2026-12-01) before it starts"),
        ):  # fmt: skip
            with pytest.raises(ApiError) as refused:
                partners.set_rules(conn, "fuel", bad)
            assert refused.value.code == "bad_rules" and words in refused.value.message


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"partner_id": "Bad Id!"}, "bad_partner"), ({"role": "owner"}, "bad_partner"),
     ({"point_price": -1.0}, "bad_partner"), ({"point_price": float("nan")}, "bad_partner"),
     ({"name": ""}, "bad_partner"), ({"rules": {"points_per_unit": -1}}, "bad_rules")],
)  # fmt: skip
def test_a_bad_partner_is_refused(db: Engine, fields: dict[str, object], code: str) -> None:
    given = {"partner_id": "fuel", "name": "Fuel", "role": "both", "point_price": 0.1, **fields}
    with db.begin() as conn, pytest.raises(ApiError) as refused:
        partners.create(conn, **given)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_partner_id_is_taken_once(db: Engine) -> None:
    with db.begin() as conn:
        partners.create(conn, "fuel", "Fuel", "both", 0.1)
        with pytest.raises(ApiError) as refused:
            partners.create(conn, "FUEL", "Fuel again", "both", 0.1)
        assert refused.value.status == 409
