"""The public winners list: a campaign's listed major winners, approved or further, newest first,
as first name, initial and city; never one who opted out or was erased, nor one of a campaign
without a list."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from codes.campaign import Campaign
from server_stub.errors import ApiError
from server_stub.prizes import claims, person_erase, winners
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.server_stub.prizes.test_claims import documents, draft
from tests.world import World

PHONE = "+919876543210"


@pytest.mark.parametrize(
    "full, shown",
    [
        ("Asha Kumari Rao", "Asha R."), ("Asha", "Asha"), ("  asha   rao ", "asha R."),
        ("राहुल शर्मा", "राहुल श."), ("Иван Петров-Водкин", "Иван П."), ("Dev Patel -", "Dev P."),
        ("", ""),
    ],
)  # fmt: skip
def test_a_winner_is_shown_by_first_name_and_initial(full: str, shown: str) -> None:
    assert winners.public_name(full) == shown


class Office:
    """Claims of the gold tier (a prize that ships), each filed a second after the last."""

    def __init__(self, w: World, tmp_path: Path) -> None:
        self.w, self.store = w, DocumentStore(tmp_path / "documents")
        self.campaign: Campaign = dataclasses.replace(w.campaign, winners_list=True)
        self.at, self.n = time.time() - 1000, 0

    def claim(self, name: str, status: str, phone: str = PHONE, **fields: object) -> str:
        self.at, self.n = self.at + 1, self.n + 1
        serial = serial_of_tier(self.w, "gold", self.n)
        values = {"name": name, "phone": phone, "listed": True, "city": "Pune", **fields}
        number = claims.file_claim(self.w.engine, self.store, draft(self.w, serial, **values),
                                   documents(), now=self.at)  # fmt: skip
        path = {"in_verification": ["in_verification"], "rejected": ["in_verification", "rejected"],
                "approved": ["in_verification", "approved"],
                "dispatched": ["in_verification", "approved", "dispatched"],
                "delivered": ["in_verification", "approved", "dispatched", "delivered"]}  # fmt: skip
        for step in path.get(status, []):
            claims.move(self.w.engine, number, step, "vera", note="no" if step == "rejected" else "",
                        carrier="DHL", tracking="T-1", delivered_on="2026-01-02")  # fmt: skip
        return number


@pytest.fixture
def office(world: World, tmp_path: Path) -> Office:
    return Office(world.setup(tiers=TIERS), tmp_path)


def test_the_list_holds_listed_major_winners_approved_or_further_newest_first(
    office: Office,
) -> None:
    office.claim("Nobody Received", "received")
    office.claim("Nobody Checking", "in_verification")
    office.claim("Nobody Rejected", "rejected")
    office.claim("Asha Rao", "approved")
    office.claim("Ravi Nair", "dispatched", city="")
    office.claim("Lata Das", "delivered", city="Chennai")
    office.claim("Hidden Person", "approved", listed=False)
    office.claim("Music Winner", "approved", tier="music")  # not a prize that ships
    erased = office.claim("Erased Person", "approved", phone="+919800000009")
    assert "Erased P." in [r["name"] for r in winners.winners(office.w.engine, office.campaign)]
    person_erase.erase(office.w.engine, office.store, "+919800000009", "dpo", force=True)

    listed = winners.winners(office.w.engine, office.campaign)
    assert [(r["name"], r["city"], r["prize"]) for r in listed] == [
        ("Lata D.", "Chennai", "Gold coin"), ("Ravi N.", "", "Gold coin"),
        ("Asha R.", "Pune", "Gold coin"),
    ]  # fmt: skip
    assert all(r["month"].count("-") == 1 for r in listed)  # a month, not a day
    assert set(listed[0]) == {"name", "city", "prize", "tier", "month"}  # nothing else of anyone
    assert len(winners.winners(office.w.engine, office.campaign, limit=2)) == 2
    # a campaign that keeps no list shows nobody
    assert winners.winners(office.w.engine, office.w.campaign) == []
    assert winners.listing(office.w.engine, erased, "+919800000009") is None


def test_the_winner_changes_their_choice_and_nobody_else_can(office: Office) -> None:
    number = office.claim("Asha Rao", "approved")
    assert winners.listing(office.w.engine, number, PHONE) is True
    winners.set_listed(office.w.engine, number, PHONE, False)
    assert winners.listing(office.w.engine, number, PHONE) is False
    assert winners.winners(office.w.engine, office.campaign) == []
    with pytest.raises(ApiError) as refused:
        winners.set_listed(office.w.engine, number, "+919800000002", True)
    assert refused.value.status == 404
    winners.set_listed(office.w.engine, number, PHONE, True)
    assert [r["name"] for r in winners.winners(office.w.engine, office.campaign)] == ["Asha R."]
