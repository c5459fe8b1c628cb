"""Settlement between partners and the finance report, on lots and their uses written by the
lots engine itself, on SQLite and PostgreSQL: the totals are the sum of the point events, each
counted once, in one month."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from server_stub.database.loyalty_tables import lot_uses, lots, partners
from server_stub.errors import ApiError
from server_stub.loyalty import finance, settlement
from server_stub.loyalty import lots as points
from tests.world import World

PRICES = {"mob": 0.1, "gas": 0.07, "tech": 0.013}


@dataclass(frozen=True)
class Terms:
    pending_days: int = 14
    expiry_months: int = 12


def at(day: int, month: int = 11, year: int = 2026, hour: int = 12) -> float:
    return datetime(year, month, day, hour, tzinfo=UTC).timestamp()


def _partners(engine: Engine, prices: dict[str, float] = PRICES) -> None:
    with engine.begin() as conn:
        conn.execute(insert(partners), [
            {"id": p, "name": f"=Partner {p}", "role": "both", "point_price": price, "created": 0}
            for p, price in prices.items()
        ])  # fmt: skip


def _settle(engine: Engine, month: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return settlement.settle(conn, settlement.period(month)).as_dict()


def _line(result: dict[str, Any], partner: str) -> dict[str, Any]:
    return next(p for p in result["partners"] if p["partner"] == partner)


def _pair(result: dict[str, Any], issuer: str, redeemer: str) -> dict[str, Any] | None:
    return next(
        (p for p in result["pairs"] if (p["issuer"], p["redeemer"]) == (issuer, redeemer)), None
    )


def test_points_earned_at_one_partner_and_spent_at_another_make_the_issuer_owe(
    world: World,
) -> None:
    _partners(world.engine)
    terms = Terms()
    with world.engine.begin() as conn:
        points.earn(conn, 1, 1000, partner_id="mob", store_id="m1", event_id="e1",
                    at=at(1), program=terms)  # fmt: skip
        points.earn(conn, 2, 300, partner_id="gas", store_id="g1", event_id="e2",
                    at=at(2), program=terms)  # fmt: skip
        # member 1 spends 250 at gas and 100 at mob's own store; member 2 spends 300 at tech
        assert points.spend(conn, 1, 250, event_id="s1", redeemer="gas", store_id="g1",
                            at=at(20)) == 0  # fmt: skip
        assert points.spend(conn, 1, 100, event_id="s2", redeemer="mob", store_id="m1",
                            at=at(21)) == 0  # fmt: skip
        assert points.spend(conn, 2, 300, event_id="s3", redeemer="tech", store_id="t1",
                            at=at(22)) == 0  # fmt: skip
        # a return at mob takes 50 back; a late purchase is still pending at the month's end,
        # less the 10 points a return took back from it
        assert points.take_back(conn, 1, 50, event_id="r1", at=at(25), store_id="m1") == 0
        points.earn(conn, 1, 40, partner_id="mob", store_id="m1", event_id="e3",
                    at=at(28), program=terms)  # fmt: skip
        assert points.take_back(conn, 1, 10, event_id="r2", at=at(29), store_id="m1") == 0
    got = _settle(world.engine, "2026-11")
    mob, gas, tech = _line(got, "mob"), _line(got, "gas"), _line(got, "tech")
    assert (mob["issued"], mob["spent"], mob["expired"], mob["pending"]) == (980, 350, 0, 30)
    assert (mob["earned"], mob["taken_back"], mob["redeemed"]) == (1040, 60, 100)
    assert (gas["issued"], gas["spent"], gas["redeemed"]) == (300, 300, 250)
    assert _pair(got, "mob", "gas") == {"issuer": "mob", "redeemer": "gas", "points": 250,
                                        "money": "25.00", "own": False}  # fmt: skip
    assert _pair(got, "gas", "tech")["money"] == "21.00"  # type: ignore[index]
    assert _pair(got, "mob", "mob")["own"]  # type: ignore[index]
    # net: mob owes 25.00; gas is owed 25.00 and owes 21.00; tech is owed 21.00
    assert (mob["net_points"], mob["net_money"]) == (-250, "-25.00")
    assert (gas["net_points"], gas["net_money"]) == (-50, "4.00")
    assert (tech["net_points"], tech["net_money"]) == (300, "21.00")
    assert sum(Decimal(p["net_money"]) for p in got["partners"]) == 0
    # nothing of November in October or December, but the pending lot
    assert all(p["issued"] == p["spent"] == 0 for p in _settle(world.engine, "2026-10")["partners"])
    assert _settle(world.engine, "2026-12")["pairs"] == []


def test_a_voided_spend_and_retried_events_are_counted_once(world: World) -> None:
    _partners(world.engine)
    with world.engine.begin() as conn:
        for _ in range(2):  # a till's retry sends the same events again
            points.earn(conn, 1, 500, partner_id="mob", store_id="m1", event_id="e1",
                        at=at(1), program=Terms())  # fmt: skip
            points.spend(conn, 1, 200, event_id="s1", redeemer="gas", store_id="g1", at=at(20))
            points.spend(conn, 1, 100, event_id="s2", redeemer="gas", store_id="g1", at=at(21))
    before = _settle(world.engine, "2026-11")
    assert _pair(before, "mob", "gas")["points"] == 300  # type: ignore[index]
    with world.engine.begin() as conn:
        assert points.give_back(conn, "s2", at=at(3, 12)) == 100  # voided in December
        assert points.give_back(conn, "s2", at=at(4, 12)) == 0
    assert _settle(world.engine, "2026-11") == before  # a closed month stays as it was
    december = _settle(world.engine, "2026-12")
    assert _pair(december, "mob", "gas") == {"issuer": "mob", "redeemer": "gas", "points": -100,
                                             "money": "-10.00", "own": False}  # fmt: skip
    assert _line(december, "gas")["net_money"] == "-10.00"


def test_points_that_last_through_a_month_expire_in_that_month(world: World) -> None:
    _partners(world.engine)
    with world.engine.begin() as conn:
        points.earn(conn, 1, 70, partner_id="gas", store_id="g1", event_id="e1",
                    at=at(30, 10), program=Terms(pending_days=1, expiry_months=1))  # fmt: skip
        points.spend(conn, 1, 20, event_id="s1", redeemer="mob", store_id="m1", at=at(5))
        assert points.expire_due(conn, at(2, 1, 2027), 100) == 1  # dated 1 December 00:00
    assert _line(_settle(world.engine, "2026-11"), "gas")["expired"] == 50
    assert _line(_settle(world.engine, "2026-12"), "gas")["expired"] == 0
    with world.engine.connect() as conn:
        report = finance.finance(conn, now=at(2, 1, 2027))
    gas = next(p for p in report["partners"] if p["partner"] == "gas")
    assert (gas["spent_to_date"], gas["expired_to_date"], gas["breakage_rate"]) == (
        20,
        50,
        "0.7143",
    )


def _random_months(conn: Connection, seed: int) -> None:
    """Three partners over three months: earns, spends anywhere, returns, voids of accruals
    and of spends, retries of every kind, overdrafts (refused) and expiry sweeps."""
    rng = random.Random(seed)
    terms = Terms(pending_days=10, expiry_months=1)
    ids = list(PRICES)
    done: list[str] = []
    for n in range(300):
        moment = at(1, 10) + n * (92 * 86400 / 300)
        member = rng.randint(1, 6)
        what = rng.random()
        event = f"ev{n}"
        if what < 0.45:
            points.earn(conn, member, rng.randint(1, 200), partner_id=rng.choice(ids),
                        store_id="s", event_id=event, at=moment, program=terms)  # fmt: skip
        elif what < 0.75:
            points.spend(conn, member, rng.randint(1, 150), event_id=event,
                         redeemer=rng.choice(ids), store_id="s", at=moment)  # fmt: skip
            done.append(event)
        elif what < 0.85:
            points.take_back(conn, member, rng.randint(1, 80), event_id=event, at=moment,
                             kind=rng.choice(("return", "void")))  # fmt: skip
        elif what < 0.92 and done:
            points.give_back(conn, rng.choice(done), at=moment)
        else:
            points.expire_due(conn, moment, 1000)
        if rng.random() < 0.2 and done:  # a retry of an earlier spend changes nothing
            points.spend(conn, member, 5, event_id=rng.choice(done), redeemer="mob",
                         store_id="s", at=moment)  # fmt: skip
    points.expire_due(conn, at(1, 3, 2027), 10_000)


def test_three_months_add_up_to_every_point_event_and_to_the_lots_left(world: World) -> None:
    _partners(world.engine)
    with world.engine.begin() as conn:
        _random_months(conn, 27)
    months = ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
    results = [_settle(world.engine, m) for m in months]
    with world.engine.connect() as conn:
        uses = {
            (r.kind, r.issuer, r.redeemer): int(r.n)
            for r in conn.execute(
                select(lot_uses.c.kind, lot_uses.c.issuer, lot_uses.c.redeemer,
                       func.sum(lot_uses.c.points).label("n"))
                .group_by(lot_uses.c.kind, lot_uses.c.issuer, lot_uses.c.redeemer)
            )
        }  # fmt: skip
        made = dict(conn.execute(select(lots.c.partner_id, func.sum(lots.c.points))
                                 .group_by(lots.c.partner_id)).all())  # fmt: skip
        left = dict(conn.execute(select(lots.c.partner_id, func.sum(lots.c.remaining))
                                 .group_by(lots.c.partner_id)).all())  # fmt: skip
    assert sum(uses.values()) > 0 and any(k[0] == "void" for k in uses)
    for p in PRICES:
        lines = [_line(r, p) for r in results]

        def total(key: str, lines: list[dict[str, Any]] = lines) -> int:
            return sum(int(line[key]) for line in lines)

        taken = sum(n for (k, i, _), n in uses.items() if k in ("return", "void") and i == p)
        assert total("earned") == made.get(p, 0)
        assert total("taken_back") == taken
        assert total("spent") == sum(n for (k, i, _), n in uses.items() if k == "spend" and i == p)
        assert total("redeemed") == sum(
            n for (k, _, r), n in uses.items() if k == "spend" and r == p
        )
        assert total("expired") == sum(
            n for (k, i, _), n in uses.items() if k == "expire" and i == p
        )
        # what the months issued less what they spent and expired is what the lots still hold
        assert total("issued") - total("spent") - total("expired") == left.get(p, 0)
        for issuer in PRICES:
            pair_points = sum((_pair(r, issuer, p) or {"points": 0})["points"] for r in results)
            assert pair_points == uses.get(("spend", issuer, p), 0)
    net = sum(Decimal(line["net_money"]) for r in results for line in r["partners"])
    assert net == 0  # what one partner owes, another is owed


def test_the_cli_answers_json_and_writes_a_csv_no_spreadsheet_runs(
    world: World, tmp_path: Path
) -> None:
    _partners(world.engine)
    with world.engine.begin() as conn:
        points.earn(conn, 1, 1000, partner_id="mob", store_id="m1", event_id="e1",
                    at=at(1), program=Terms())  # fmt: skip
        points.spend(conn, 1, 333, event_id="s1", redeemer="tech", store_id="t", at=at(20))
    out = tmp_path / "settlement.csv"
    ran = subprocess.run(
        [sys.executable, "-m", "instore_cli", "admin", "--db", world.url, "settlement",
         "--period", "2026-11", "--csv", str(out), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    shown = json.loads(ran.stdout)
    assert _pair(shown, "mob", "tech")["money"] == "33.30"  # type: ignore[index]
    assert {"partner", "issued", "spent", "expired", "pending"} <= set(shown["partners"][0])
    cells = [c for row in csv.reader(out.open(newline="")) for c in row]
    assert "'=Partner mob" in cells and "=Partner mob" not in cells
    assert "33.30" in cells and "-33.30" in cells
    bad = subprocess.run(
        [sys.executable, "-m", "instore_cli", "admin", "--db", world.url, "settlement",
         "--period", "11/2026", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode != 0 and "YYYY-MM" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-1", "26-11", "", "2026-11-01", "1969-12", "0000-01", "9999-12",
     "\u0662\u0660\u0662\u0666-\u0661\u0661"],  # 9999-12 ends in year 10000; Arabic-Indic digits
)  # fmt: skip
def test_a_period_that_is_not_a_month_is_refused_in_words(text: str) -> None:
    with pytest.raises(ApiError) as refused:
        settlement.period(text)
    assert refused.value.code == "bad_period"


def test_finance_liability_and_breakage_from_history(world: World) -> None:
    _partners(world.engine)
    terms = Terms(pending_days=14, expiry_months=1)
    with world.engine.begin() as conn:
        # mob: 100 spent and 300 expired so far; 1,000 outstanding, 200 of them pending
        points.earn(conn, 1, 400, partner_id="mob", store_id="m", event_id="a",
                    at=at(1, 8), program=terms)  # fmt: skip
        points.spend(conn, 1, 100, event_id="s", redeemer="gas", store_id="g", at=at(20, 8))
        points.expire_due(conn, at(2, 10), 100)
        points.earn(conn, 1, 800, partner_id="mob", store_id="m", event_id="b",
                    at=at(1), program=terms)  # fmt: skip
        points.earn(conn, 1, 200, partner_id="mob", store_id="m", event_id="c",
                    at=at(25), program=terms)  # fmt: skip
        # gas has no history of its own: the program's rate applies
        points.earn(conn, 2, 1000, partner_id="gas", store_id="g", event_id="d",
                    at=at(1), program=terms)  # fmt: skip
    with world.engine.connect() as conn:
        report = finance.finance(conn, now=at(28))
    mob = next(p for p in report["partners"] if p["partner"] == "mob")
    gas = next(p for p in report["partners"] if p["partner"] == "gas")
    assert (mob["outstanding"], mob["pending"], mob["liability"]) == (1000, 200, "100.00")
    assert (mob["breakage_rate"], mob["rate_from"]) == ("0.7500", "partner")
    assert (mob["expected_breakage_points"], mob["expected_breakage"]) == (750, "75.00")
    assert mob["per_redeemed"] == "3.0000"
    assert (gas["breakage_rate"], gas["rate_from"], gas["liability"]) == (
        "0.7500",
        "program",
        "70.00",
    )
    assert report["program"]["liability"] == "170.00"
    assert report["program"]["expected_breakage"] == "127.50"


def test_a_spend_at_a_months_first_instant_is_that_months(world: World) -> None:
    _partners(world.engine)
    with world.engine.begin() as conn:
        points.earn(conn, 1, 100, partner_id="mob", store_id="m1", event_id="e1",
                    at=at(20, 10), program=Terms(pending_days=1))  # fmt: skip
        midnight = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
        points.spend(conn, 1, 30, event_id="s1", redeemer="gas", store_id="g1", at=midnight)
        points.spend(conn, 1, 20, event_id="s2", redeemer="gas", store_id="g1",
                     at=datetime(2026, 12, 1, tzinfo=UTC).timestamp())  # fmt: skip
    assert _line(_settle(world.engine, "2026-11"), "mob")["spent"] == 30
    assert _line(_settle(world.engine, "2026-12"), "mob")["spent"] == 20
    assert _line(_settle(world.engine, "2026-10"), "mob")["spent"] == 0


def test_the_settlement_leaves_the_sessions_planner_settings_as_they_were(world: World) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's settings")
    names = (*settlement.SCAN_SETTINGS, *settlement.LOOKUP_SETTINGS)

    def shown(conn: Connection) -> list[str]:
        return [conn.execute(select(func.current_setting(n))).scalar_one() for n in names]

    with world.engine.begin() as conn:
        before = shown(conn)
        settlement.settle(conn, settlement.period("2026-11"))
        assert shown(conn) == before
