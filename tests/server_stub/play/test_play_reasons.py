"""A rejected claim's status page over HTTP says the listed reason in the page's language and
the verifier's free text as written, under words saying whose note it is; the SMS the worker
sends says it in the claim's language. English reads the same words as before, and a reason
of the verifier's own is shown alone."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import pytest

from server_stub.accounts.users import Role, Viewer
from server_stub.prizes import verification
from tests.server_stub.play.shopper import (
    TIERS,
    Client,
    Shopper,
    messages,
    send_outbox,
    server_for,
    sms_folder,
)
from tests.server_stub.play.test_play_winners import _file
from tests.world import World

VERA = Viewer(1, "vera", Role.VERIFIER)
ABE = Viewer(2, "abe", Role.APPROVER)
PHONE, OTHER, THIRD = "+919876543210", "+919800000002", "+919800000003"
NOTE = "The total at the bottom is cut off & <unreadable>."
HINDI = "एक दस्तावेज़ पढ़ा नहीं जा रहा है। उसकी साफ़ फ़ोटो भेजें।"
ENGLISH = "A document cannot be read. Send a sharper photo of it."


@pytest.fixture
def shopper(world: World) -> Iterator[Shopper]:
    world.setup(tiers=TIERS)
    with server_for(world) as url:
        yield Shopper(Client(url), sms_folder(world))


def reject(world: World, number: str, reason: str, note: str = NOTE) -> None:
    """As the dashboard does: a verifier recommends, an approver decides."""
    verification.recommend(world.engine, VERA, number, "reject", reason, note)
    verification.decide(world.engine, ABE, number, "reject", reason, note)


def status_text(shopper: Shopper, number: str) -> str:
    shopper.open("/play/status", claim=number)
    assert shopper.page is not None and shopper.page.status_code == 200
    return html.unescape(shopper.html)


def test_a_hindi_claims_reason_is_in_hindi_on_its_page_and_in_its_sms(
    world: World, shopper: Shopper
) -> None:
    shopper.open("/play/", lang="hi")  # the page's language, which the claim keeps
    number = _file(world, shopper, PHONE, 0, False)
    reject(world, number, "unreadable")

    page = status_text(shopper, number)
    assert "नामंज़ूर" in page and f"कारण: {HINDI}" in page
    assert f"आपके दावे की जाँच करने वाले की टिप्पणी: {NOTE}" in page
    assert ENGLISH not in page and "<unreadable>" not in shopper.html  # escaped, as written
    data = shopper.client.get("/play/status", params={"claim": number, "format": "json"}).json()
    assert (data["claim"]["reason_code"], data["claim"]["reason_note"]) == ("unreadable", NOTE)

    send_outbox(world)
    (sms,) = [m for m in messages(shopper.folder, "claim_rejected") if m["to"] == PHONE]
    assert f"मंज़ूर नहीं हुआ: {HINDI} {NOTE[:-1]}। आप" in sms["text"]
    assert ENGLISH not in sms["text"]

    # the same claim read in Russian: the page's words, the reason among them
    shopper.open("/play/status", claim=number, lang="ru")
    russian = html.unescape(shopper.html)
    assert "Причина: Один из документов не читается." in russian and NOTE in russian


def test_english_reads_the_listed_words_and_a_reason_of_ones_own_stands_alone(
    world: World, shopper: Shopper
) -> None:
    number = _file(world, shopper, OTHER, 1, False)
    reject(world, number, "unreadable")
    page = status_text(shopper, number)
    assert f"Why: {ENGLISH}" in page
    assert f"A note from the person who checked your claim: {NOTE}" in page

    own = Shopper(Client(shopper.client.base), shopper.folder)
    number = _file(world, own, THIRD, 2, False)
    reject(world, number, "other", "The shop's stamp is missing.")
    page = status_text(own, number)
    assert "Why: The shop's stamp is missing." in page and "A note from" not in page
    data = json.loads(own.client.get("/play/status?format=json&claim=" + number).text)
    assert (data["claim"]["reason_code"], data["claim"]["reason_note"]) == (
        None, "The shop's stamp is missing.",
    )  # fmt: skip
