"""/play/ names a prize in the shopper's words and says a date as people read one: the page
functions, without HTTP (the templates only lay out what these return)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from server_stub.database.content_tables import campaign_content
from server_stub.device_api.service import SyncService
from server_stub.notifications.sms import NoGateway
from server_stub.play import pages, prize_names, visits, web_redeem, winners
from server_stub.play.web import Play
from server_stub.play.web_redeem import Entry, Outcome
from server_stub.prizes import claims
from server_stub.prizes.documents import DocumentStore
from sync.protocol import CampaignContent, TierContent
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.server_stub.play.test_play_winners import keep_winners_list
from tests.server_stub.prizes.test_claims import documents, draft
from tests.world import World

PHONE = "+919876543210"
TODAY = date(2026, 12, 6)


def _names(world: World) -> prize_names.PrizeNames:
    with world.engine.connect() as conn:
        return prize_names.read(conn, world.service.rechecker(conn))


def _redeem(world: World, text: str) -> Entry:
    with world.engine.connect() as conn:
        rechecker = world.service.rechecker(conn)
    checker = web_redeem.CheckerCache().checker(rechecker)
    return web_redeem.redeem(world.engine, rechecker, checker, PHONE, text)


def _content(world: World, **tiers: dict[str, str]) -> None:
    content = CampaignContent(
        name={"en": "Lids"}, tiers={t: TierContent(name=n) for t, n in tiers.items()}
    )
    with world.engine.begin() as conn:
        conn.execute(campaign_content.insert().values(
            campaign_id=world.campaign.id, data=content.model_dump_json(), updated=time.time()))  # fmt: skip


def test_a_code_entered_again_names_its_prize_not_its_tier_id(world: World) -> None:
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, "music"))
    _redeem(world, printed)
    again = _redeem(world, printed)
    assert again.outcome is Outcome.YOURS
    names = _names(world)
    for lang in ("en", "ru"):  # no content: the campaign file's words in every language
        shown = pages.entry_data(again, names, lang, TODAY)
        assert shown["key"] == "entry.yours"
        assert shown["reward"] == "Music subscription, 3 months"


def test_the_campaigns_content_names_a_prize_in_the_pages_language(world: World) -> None:
    world.setup(tiers=TIERS)
    _content(world, gold={"en": "Golden coin", "ru": "Золотая монета"})
    gold, music = (world.code(serial_of_tier(world, t)) for t in ("gold", "music"))
    won = _redeem(world, gold)
    _redeem(world, music)
    names = _names(world)
    assert pages.entry_data(_redeem(world, gold), names, "ru", TODAY)["reward"] == "Золотая монета"
    assert pages.entry_data(won, names, "hi", TODAY)["reward"] == "Golden coin"  # English
    listed = pages.codes_so_far(world.engine, names, PHONE, "ru")
    assert [c["reward"] for c in listed] == ["Music subscription, 3 months", "Золотая монета"]


def test_a_gold_win_entered_again_still_leads_to_its_claim(world: World) -> None:
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, "gold"))
    won = _redeem(world, printed)
    again = _redeem(world, printed)
    assert again.outcome is Outcome.YOURS and (again.kind, again.claim_by) == (
        "claim",
        won.claim_by,
    )
    shown = pages.entry_data(again, _names(world), "en", TODAY)
    assert shown["claim_link"] == f"/play/claim?event={won.event_id}" and shown["claim_by"]


def test_a_claims_deadline_is_a_date_people_read(world: World) -> None:
    world.setup(tiers=TIERS)
    entry = Entry(Outcome.WON, "HV-1", world.campaign.id, "gold", kind="claim",
                  claim_by="2027-01-05")  # fmt: skip
    names = _names(world)
    said = {lang: pages.entry_data(entry, names, lang, TODAY)["claim_by"]
            for lang in ("en", "hi", "ru", "kk")}  # fmt: skip
    nb = "\u00a0"
    assert said == {
        "en": f"5{nb}January{nb}2027", "hi": f"5{nb}जनवरी{nb}2027",
        "ru": f"5{nb}января{nb}2027{nb}г.",  # noqa: RUF001
        "kk": f"2027{nb}ж.{nb}5{nb}қаңтар",
    }  # fmt: skip


def test_the_winners_list_and_the_claims_status_name_the_prize_in_the_pages_language(
    world: World, tmp_path: Path
) -> None:
    world.setup(tiers=TIERS)
    keep_winners_list(world)
    _content(world, gold={"en": "Golden coin", "ru": "Золотая монета"})
    store = DocumentStore(tmp_path / "documents")
    serial = serial_of_tier(world, "gold")
    number = claims.file_claim(world.engine, store, draft(world, serial, listed=True), documents())
    for status in ("in_verification", "approved"):
        claims.move(world.engine, number, status, "vera")
    play = Play(world.engine, SyncService(world.engine), NoGateway(), store)

    data = winners.winners_data(world.engine, play.prize_names(), world.campaign.id, "ru")
    assert [w["prize"] for w in data["winners"]] == ["Золотая монета"]
    visit = visits.anonymous()._replace(phone=PHONE)
    shown = play.claims.status_data({"claim": number}, visit, "ru")
    assert shown["step"] == "status" and shown["claim"]["reward"] == "Золотая монета"
    assert (
        play.claims.status_data({"claim": number}, visit, "hi")["claim"]["reward"] == "Golden coin"
    )
