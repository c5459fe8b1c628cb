"""A person named by their loyalty card: `instore admin person export|erase --card`. A member a
till made from a card alone (no phone) is exported and erased by it as a member is by phone: the
card, in every form the tills sent it, is left in no table while the points' records stay under
the member number; points left need --force; the row says who erased it. A card whose member
has a phone finds everything held about that phone. Exactly one of --phone and --card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from instore_cli import main as instore
from server_stub.database.loyalty_tables import lot_uses, lots, loyalty_limits, members
from server_stub.database.schema import alerts, balances, events, metadata
from server_stub.loyalty import lots as points
from server_stub.loyalty.program import program
from tests.server_stub.prizes.test_person_member import CARD, PHONE, Member, _event, _month_before
from tests.world import World

OLD_CARD = "KX7QW9ZT"  # an older till's member number; the member gave no phone
TYPED = "kx7q-w9zt"  # as one till sent it
PARTS = ("KX7Q", "W9ZT")  # found in any written form of the card


class CardMember(Member):
    """The phone member of `test_person_member`, and beside them a member a till made at sync
    from a card alone: earned at Mobi (the till sent the card as typed), spent at Volt (as
    printed), with a balance cached under the card, a card limit and an alert naming it."""

    def __init__(self, w: World, tmp_path: Path) -> None:
        super().__init__(w, tmp_path)
        last = _month_before(self.now)[1] + 3600  # last month: in the settlement compared
        with self.engine.begin() as conn:
            self.old = conn.execute(
                insert(members).values(phone=None, card=OLD_CARD, registered_via="sync",
                                       created=last).returning(members.c.id)
            ).scalar_one()  # fmt: skip
            points.earn(conn, self.old, 400, partner_id="mobi", store_id="m1",
                        event_id="till-m-8", at=last, program=program(conn))  # fmt: skip
            assert not points.spend(conn, self.old, 100, event_id="till-v-9", redeemer="volt",
                                    store_id="v1", at=last + 7 * 86_400)  # fmt: skip
            conn.execute(insert(events), [
                _event("till-m-8", "m1", 8, "accrue", TYPED, 400, last),
                _event("till-v-9", "v1", 9, "spend", OLD_CARD, -100, last + 7 * 86_400),
            ])  # fmt: skip
            conn.execute(insert(balances).values(member=OLD_CARD, balance=300, updated=last))
            conn.execute(insert(loyalty_limits).values(
                scope="card", subject=OLD_CARD, measure="spend_points", per="day", hard=900,
                created=last,
            ))  # fmt: skip
            conn.execute(insert(alerts).values(
                device_id="till-m", kind="spend_unconfirmed", created=last,
                message=f"Till M: spend of 100 points for {TYPED}: no code",
            ))  # fmt: skip

    def card_anywhere(self) -> list[str]:
        """Each table still holding a part of the old card in any of its rows' text."""
        found = []
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                text = "\n".join(str(tuple(r)) for r in conn.execute(select(table))).upper()
                found += [f"{table.name}: {s}" for s in PARTS if s in text]
        return found

    def by_card(self, action: str, card: str, *more: str) -> list[str]:
        return ["admin", "--db", str(self.engine.url), "person", action, "--card", card,
                "--documents-dir", str(self.store.root), *more]  # fmt: skip


@pytest.fixture
def card_member(world: World, tmp_path: Path) -> CardMember:
    return CardMember(world.setup(stores=("m1", "v1")), tmp_path)


def test_a_member_known_by_card_alone_is_exported_and_erased_by_it(
    card_member: CardMember, capsys: pytest.CaptureFixture[str]
) -> None:
    m = card_member
    assert instore(m.by_card("export", "kx7q w9zt", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["phone"], data["card"], data["claims"]) == (None, OLD_CARD, [])
    member = data["member"]
    assert (member["id"], member["phone"], member["card"]) == (m.old, None, OLD_CARD)
    assert set(member["known_as"]) == {OLD_CARD, TYPED} and member["points_left"] == 300
    assert [s["event_id"] for s in member["spends"]] == ["till-v-9"]
    settled = m.settle()

    # without --yes: what it would do; --yes alone is refused while points are left
    assert instore(m.by_card("erase", OLD_CARD)) == 1
    said = capsys.readouterr()
    assert said.out.startswith(f"erasing card {OLD_CARD} would:")
    assert f"loyalty member {m.old}: remove their phone and card" in said.out
    assert "300 points left are forfeited" in said.out and "add --yes" in said.err
    assert instore(m.by_card("erase", OLD_CARD, "--yes")) == 1
    said = capsys.readouterr()
    assert "has 300 points left" in said.err and "Traceback" not in said.err
    assert m.card_anywhere()

    assert instore(m.by_card("erase", OLD_CARD, "--yes", "--force", "--by", "dpo")) == 0
    said = capsys.readouterr()
    assert said.out.startswith(f"erased card {OLD_CARD}:")
    assert m.card_anywhere() == []
    with m.engine.connect() as conn:
        row = conn.execute(select(members).where(members.c.id == m.old)).one()
        keys = set(conn.execute(select(events.c.member).where(
            events.c.event_id.in_(["till-m-8", "till-v-9"]))).scalars())  # fmt: skip
        other = conn.execute(select(members).where(members.c.phone == PHONE)).one()
    assert (row.phone, row.card, row.blocked_reason) == (None, None, "erased on request by dpo")
    assert len(keys) == 1 and keys.pop().startswith("erased:")
    # the points' records stay under the member number; the accounts and the other member too
    assert m.rows(lots, lots.c.member_id == m.old) == 1
    assert m.rows(lot_uses, lot_uses.c.member_id == m.old) == 1
    assert m.settle() == settled
    assert (other.card, other.blocked) == (CARD, None)
    # erasing the card again finds what the first erasure left (its placeholder): nothing to do
    assert instore(m.by_card("erase", OLD_CARD, "--yes", "--json")) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["member"], again["waiting"]) == (None, 0)


def test_a_card_whose_member_has_a_phone_finds_everything_held_about_the_phone(
    card_member: CardMember, capsys: pytest.CaptureFixture[str]
) -> None:
    m = card_member
    assert instore(m.by_card("export", "zq55-aa77", "--json")) == 0
    said = capsys.readouterr()
    assert f"card {CARD} is the loyalty card of {PHONE}" in said.err
    data = json.loads(said.out)
    assert (data["phone"], data["member"]["id"]) == (PHONE, m.id)
    assert [s["kind"] for s in data["sms"]] == ["otp"]  # kept by phone, found through the card

    # the readable preview says what goes, the USSD sessions too (as --json does)
    assert instore(m.by_card("erase", CARD)) == 1
    said = capsys.readouterr()
    assert said.out.startswith(f"erasing {PHONE} would:")
    assert "delete 1 USSD session" in said.out
    assert instore(m.by_card("erase", CARD, "--json")) == 1
    assert json.loads(capsys.readouterr().out)["ussd_sessions"] == 1

    assert instore(m.by_card("erase", CARD, "--yes", "--force")) == 0
    assert f"erased {PHONE}:" in capsys.readouterr().out
    assert m.left_anywhere() == []  # the phone's digits and the card, as erasing by phone
    assert m.card_anywhere()  # the member known by card alone is another person


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ([], "one of the arguments --phone --card is required"),
        (["--phone", PHONE, "--card", CARD], "argument --card: not allowed with argument --phone"),
        (["--card", "ZQ!"], "a card number is the 4 to 32 letters and digits printed on the card"),
    ],
)
def test_a_person_is_named_by_exactly_one_phone_or_card(
    card_member: CardMember, capsys: pytest.CaptureFixture[str], words: list[str], said: str
) -> None:
    for action in ("export", "erase"):
        base = ["admin", "--db", str(card_member.engine.url), "person", action]
        assert instore([*base, *words]) == 2
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err


def test_a_card_nobody_has_is_refused_in_words(
    card_member: CardMember, capsys: pytest.CaptureFixture[str]
) -> None:
    for more in ([], ["--yes"], ["--yes", "--force"]):
        assert instore(card_member.by_card("erase", "QQ11 ZZ22", *more)) == 1
        said = capsys.readouterr()
        assert "nothing is held about card QQ11ZZ22" in said.err and "Traceback" not in said.err
    assert card_member.rows(members, members.c.card == OLD_CARD) == 1
