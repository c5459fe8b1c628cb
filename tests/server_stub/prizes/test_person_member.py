"""A coalition member's data by their phone: `instore admin person export` holds their membership,
lots, spends, wheel spins, USSD sessions and the texts sent to them; `erase` leaves their phone
and card in no table (every table's text is searched) while their points' records stay under the
member number, so last month's settlement between partners is unchanged; a member with points
left is told they lose them and needs --force; the phone can join again as a new member."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from instore_cli import main as instore
from server_stub.database.loyalty_tables import (
    lot_uses,
    lots,
    loyalty_limits,
    members,
    spend_confirmations,
    ussd_sessions,
)
from server_stub.database.schema import (
    alerts,
    balances,
    conflicts,
    devices,
    events,
    feed,
    member_stores,
    metadata,
)
from server_stub.database.wheel_tables import wheel_spins
from server_stub.loyalty import lots as points
from server_stub.loyalty import members as people
from server_stub.loyalty import partners, settlement
from server_stub.loyalty.program import program
from server_stub.notifications.sms import gateway_for
from server_stub.phones import otp
from server_stub.prizes import outbox, person_erase
from server_stub.prizes.documents import DocumentStore
from server_stub.ussd import sessions
from tests.world import World

PHONE = "+919812345678"
LOCAL = "09812345678"  # the phone as a till typed it, without its country code
CARD = "ZQ55AA77"
DIGITS = "9812345678"  # in any written form of the phone


def _month_before(now: float) -> tuple[str, float]:
    """Last month's name (2026-10) and a moment on its 3rd day."""
    today = datetime.fromtimestamp(now, UTC)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}", datetime(year, month, 3, 12, tzinfo=UTC).timestamp()


class Member:
    """A member's whole footprint: joined at a kiosk with a card; earned at Mobi and spent at
    Volt last month (the till took the phone without its country code, then the card); earned
    again this month; an overdraft with a staff note, an alert, a card limit, a wheel spin, a
    confirmed spend, a USSD session, a one-time password and an expiry reminder."""

    def __init__(self, w: World, tmp_path: Path) -> None:
        self.engine = w.engine
        self.store = DocumentStore(tmp_path / "documents")
        self.now = now = time.time()
        self.month, last = _month_before(now)
        engine = self.engine
        with engine.begin() as conn:
            for partner, store in (("mobi", "m1"), ("volt", "v1")):
                partners.create(conn, partner, partner.title(), "both", 0.1, now=now)
                partners.assign_store(conn, store, partner)
            member, made = people.register(conn, PHONE, card=CARD, lang="hi", via="kiosk",
                                           now=last - 86_400)  # fmt: skip
            assert made
            self.id = member.id
            terms = program(conn)
            conn.execute(insert(devices), [
                {"id": d, "store_id": s, "name": d, "created": now, "chain_hash": "0" * 64,
                 "max_seq": 9, "chain_seq": 9} for d, s in (("till-m", "m1"), ("till-v", "v1"))
            ])  # fmt: skip
            points.earn(conn, self.id, 1000, partner_id="mobi", store_id="m1",
                        event_id="till-m-1", at=last, program=terms)  # fmt: skip
            assert not points.spend(conn, self.id, 300, event_id="till-v-2", redeemer="volt",
                                    store_id="v1", at=last + 7 * 86_400)  # fmt: skip
            points.earn(conn, self.id, 200, partner_id="volt", store_id="v1",
                        event_id="till-v-5", at=now - 60, program=terms)  # fmt: skip
            conn.execute(insert(events), [
                _event("till-m-1", "m1", 1, "accrue", LOCAL, 1000, last),
                _event("till-v-2", "v1", 2, "spend", CARD, -300, last + 7 * 86_400),
                _event("till-v-3", "v1", 3, "spin", CARD, 0, now - 120),
                _event("till-v-4", "v1", 4, "spend", PHONE, -5000, now - 100, "conflict",
                       f"overdraft: {PHONE} spent 5000 points with 900 left"),
                _event("till-v-5", "v1", 5, "accrue", PHONE, 200, now - 60),
            ])  # fmt: skip
            conn.execute(insert(wheel_spins).values(
                campaign="ice-2026", idx=0, event_id="till-v-3", device_id="till-v",
                member_id=self.id, day="2026-11-02", outcome="50 points", points=0, created=now,
            ))  # fmt: skip
            conn.execute(insert(spend_confirmations).values(
                device_id="till-v", member_id=self.id, points=300, created=last,
                token_hash="c" * 64, confirmed=last, used_event="till-v-2",
            ))  # fmt: skip
            conn.execute(insert(conflicts).values(
                kind="overdraft", member=PHONE, loser_event="till-v-4", loser_device="till-v",
                points=5000, created=now, note=f"called {PHONE}: card {CARD} was lent",
            ))  # fmt: skip
            conn.execute(insert(alerts).values(
                device_id="till-v", kind="spend_unconfirmed", created=now,
                message=f"Till V, cashier ann: spend 2 of 300 points for {CARD}: no code",
            ))  # fmt: skip
            conn.execute(insert(loyalty_limits).values(
                scope="card", subject=CARD, measure="spend_points", per="day", hard=5000,
                created=now,
            ))  # fmt: skip
            for key in (PHONE, CARD):
                conn.execute(insert(balances).values(member=key, balance=900, updated=now))
                conn.execute(insert(member_stores).values(member=key, store_id="v1"))
                conn.execute(insert(feed).values(kind="balance", target_store="v1", created=now,
                                                 data=json.dumps([key, 900, []])))  # fmt: skip
            sessions.save(conn, sessions.Session("ATUid_77", PHONE, sessions.Place("balance"),
                                                 "hi"), now)  # fmt: skip
            outbox.queue_sms(conn, f"expiry|{self.id}|1|sms", PHONE, "points_expiring", "hi",
                             "900 points expire on 31 December", now)  # fmt: skip
        otp.send_otp(engine, gateway_for(f"file://{tmp_path / 'sms'}"), PHONE, "member",
                     source="203.0.113.7")  # fmt: skip
        self.settled = self.settle()

    def settle(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return settlement.settle(conn, settlement.period(self.month)).as_dict()

    def rows(self, table: Any, *where: Any) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(table).where(*where)
            return int(conn.execute(query).scalar_one())

    def left_anywhere(self) -> list[str]:
        """Each table still holding the phone's digits or the card in any of its rows' text."""
        found = []
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                text = "\n".join(str(tuple(r)) for r in conn.execute(select(table))).upper()
                found += [f"{table.name}: {s}" for s in (DIGITS, CARD) if s in text]
        return found

    def cli(self, *words: str) -> list[str]:
        return ["admin", "--db", str(self.engine.url), "person", *words, "--phone",
                "+91 98123 45678", "--documents-dir", str(self.store.root)]  # fmt: skip


def _event(
    event_id: str, store: str, seq: int, kind: str, member: str, moved: int, at: float,
    verdict: str = "accepted", reason: str = "",
) -> dict[str, Any]:  # fmt: skip
    device = "till-m" if store == "m1" else "till-v"
    payload = {"member": member, "points": moved, "amount": 125}
    return {"event_id": event_id, "device_id": device, "seq": seq, "kind": kind,
            "payload": json.dumps(payload), "local_time": datetime.fromtimestamp(at).isoformat(),
            "prev_hash": "a" * 64, "mac": "b" * 64, "received": at, "verdict": verdict,
            "reason": reason, "store_id": store, "member": member, "points": moved}  # fmt: skip


@pytest.fixture
def member(world: World, tmp_path: Path) -> Member:
    return Member(world.setup(stores=("m1", "v1")), tmp_path)


def test_export_holds_the_membership_lots_spends_spins_and_texts(
    member: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    assert instore([*member.cli("export"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["member"]
    assert (data["id"], data["phone"], data["card"], data["lang"], data["registered_via"]) == (
        member.id, PHONE, CARD, "hi", "kiosk",
    )  # fmt: skip
    assert data["registered"].startswith(member.month) and data["blocked"] is None
    assert set(data["known_as"]) == {PHONE, LOCAL, CARD}
    assert [(x["partner"], x["partner_name"], x["store"], x["points"], x["remaining"])
            for x in data["lots"]] == [("mobi", "Mobi", "m1", 1000, 700),
                                       ("volt", "Volt", "v1", 200, 200)]  # fmt: skip
    assert data["lots"][0]["earned_at"].startswith(f"{member.month}-03")
    assert [(s["issuer"], s["redeemer"], s["store"], s["points"], s["event_id"])
            for s in data["spends"]] == [("mobi", "volt", "v1", 300, "till-v-2")]  # fmt: skip
    assert data["points_left"] == 900
    assert [(w["outcome"], w["device"]) for w in data["wheel_spins"]] == [("50 points", "till-v")]
    assert [c["used_event"] for c in data["spend_confirmations"]] == ["till-v-2"]
    assert [(s["session_id"], s["menu"]) for s in data["ussd_sessions"]] == [
        ("ATUid_77", "balance")
    ]
    # the texts sent to the phone are in the export's messages and SMS
    assert instore(member.cli("export")) == 0
    said = capsys.readouterr()
    whole = json.loads(said.out)
    assert any(m["kind"] == "points_expiring" and m["to"] == PHONE for m in whole["messages"])
    assert [s["kind"] for s in whole["sms"]] == ["otp"]
    assert f"loyalty member {member.id}: 2 purchases with points" in said.err
    assert "900 points left" in said.err


def test_erasing_a_member_leaves_their_phone_and_card_nowhere_and_the_accounts_whole(
    member: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    assert member.left_anywhere()  # the search finds them before
    lots_before = member.rows(lots, lots.c.member_id == member.id)
    uses_before = member.rows(lot_uses, lot_uses.c.member_id == member.id)
    assert (lots_before, uses_before) == (2, 1)

    # without --yes: what it would do, and the points they would lose
    assert instore(member.cli("erase")) == 1
    said = capsys.readouterr()
    assert f"loyalty member {member.id}: remove their phone and card" in said.out
    assert "900 points left are forfeited: erased only with --force" in said.out
    # --yes alone is refused in words while points are left; nothing changes
    assert instore(member.cli("erase", "--yes")) == 1
    said = capsys.readouterr()
    assert "has 900 points left" in said.err and "Traceback" not in said.err
    assert member.rows(members, members.c.phone == PHONE) == 1

    assert instore([*member.cli("erase", "--yes", "--force", "--by", "dpo"), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["erased"] and done["member"] == member.id and done["ussd_sessions"] == 1
    assert member.left_anywhere() == []

    # the accounts: the same lots and uses under the same member number, last month unchanged
    assert member.settle() == member.settled
    pair = next(
        p for p in member.settled["pairs"] if (p["issuer"], p["redeemer"]) == ("mobi", "volt")
    )
    assert pair["points"] == 300
    assert member.rows(lots, lots.c.member_id == member.id) == lots_before
    assert member.rows(lot_uses, lot_uses.c.member_id == member.id) == uses_before
    assert member.rows(wheel_spins, wheel_spins.c.member_id == member.id) == 1
    with member.engine.connect() as conn:
        row = conn.execute(select(members).where(members.c.id == member.id)).one()
        limit = conn.execute(select(loyalty_limits.c.subject)).scalar_one()
        kept = conn.execute(select(events.c.member, events.c.reason)).all()
    assert (row.phone, row.card) == (None, None) and row.blocked is not None
    assert row.blocked_reason == "erased on request by dpo"
    # every key the tills used now names the one placeholder, as the claims' phone does
    assert {k.member for k in kept} == {done["phone"]} == {limit}
    assert any(k.reason == f"overdraft: {done['phone']} spent 5000 points with 900 left"
               for k in kept)  # fmt: skip
    assert member.rows(ussd_sessions) == 0
    # a second erasure finds nothing left and changes nothing
    assert instore(member.cli("erase", "--yes")) == 0
    assert member.left_anywhere() == [] and member.settle() == member.settled


def test_the_phone_joins_again_as_a_new_member_with_nothing_of_the_old(
    member: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    person_erase.erase(member.engine, member.store, PHONE, "dpo", force=True)
    with member.engine.begin() as conn:
        again, made = people.register(conn, PHONE, card=CARD, via="centre", now=time.time())
        assert made and again.id != member.id and (again.phone, again.card) == (PHONE, CARD)
        assert again.blocked is None and points.balance(conn, again.id, time.time()).total == 0
    assert instore([*member.cli("export"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["member"]
    assert (data["id"], data["lots"], data["wheel_spins"]) == (again.id, [], [])


def test_a_member_without_points_left_is_erased_with_yes_alone(
    member: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    with member.engine.begin() as conn:
        assert not points.spend(conn, member.id, 700, event_id="till-v-6", redeemer="volt",
                                store_id="v1", at=time.time())  # fmt: skip
        points.take_back(conn, member.id, 200, event_id="till-v-7", at=time.time())
    assert instore(member.cli("erase", "--yes")) == 0
    said = capsys.readouterr().out
    assert f"loyalty member {member.id}: phone and card removed" in said
    assert member.left_anywhere() == []
