"""The points catalogue's prizes in the shopper's language, from the program's content as sync
puts it in the ledger (docs/examples/program-content): names and descriptions in Hindi, English
where Hindi lacks a text, the catalogue's own name where the program gave none; the program's
look where no campaign has its own, and a campaign's look over it. Without a window."""

from __future__ import annotations

from pathlib import Path

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.settings import KioskSettings
from server_stub.catalog.program_content import read_program_content
from sync.content import put_grant_content, put_program
from terminal.config import CatalogueItem, Loyalty, TerminalConfig
from tests.kiosk.brand_fixture import example_content
from tests.kiosk.conftest import StoreFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "program-content"
CATALOGUE = (
    CatalogueItem("cinema-ticket", "Cinema ticket (catalogue)", 50),
    CatalogueItem("mug", "Mug (catalogue)", 20),
    CatalogueItem("cap", "Cap", 10),  # the program's content names no cap
)


def points_kiosk(
    make_store: StoreFactory,
    catalogue: tuple[CatalogueItem, ...] = CATALOGUE,
    name: str = "catalogue",
) -> Flow:
    config = TerminalConfig(catalogue=catalogue, loyalty=Loyalty(checkin_points=60))
    store = make_store(config, name=name)
    flow = Flow(store.open(), KioskSettings(db=store.path))
    content = read_program_content(EXAMPLE / "content.toml", [i.id for i in CATALOGUE])
    del content.prizes["mug"].description["hi"]  # Hindi lacks the mug's description
    with flow.terminal.ledger.write() as conn:
        put_program(conn, content)
    return flow


def test_a_catalogue_prize_is_named_in_hindi_with_english_where_hindi_lacks_words(
    make_store: StoreFactory,
) -> None:
    flow = points_kiosk(make_store)
    flow.set_language("hi")
    desk = flow.loyalty
    flow.open_loyalty()
    assert desk.member_card("member:CARD-9")
    desk.check_in()
    ticket, mug, cap = desk.prizes()
    assert (ticket.name, ticket.description) == (
        "सिनेमा टिकट", "किसी भी पार्टनर सिनेमा में एक 2D शो",
    )  # fmt: skip
    assert ticket.picture.endswith(".png") and Path(ticket.picture).read_bytes()[:4] == b"\x89PNG"
    assert (mug.name, mug.description) == ("कॉफ़ी मग", "A 350 ml mug with the program's logo")
    assert (cap.name, cap.description, cap.picture) == ("Cap", "", "")  # the catalogue's own
    # as the points screen lists them: in Hindi, priced, each with its picture where it has one
    rows = [(r.name, r.description, r.price, bool(r.picture), r.dimmed) for r in desk.prize_rows()]
    assert rows == [
        ("सिनेमा टिकट", "किसी भी पार्टनर सिनेमा में एक 2D शो", "50 पॉइंट", True, False),
        ("कॉफ़ी मग", "A 350 ml mug with the program's logo", "20 पॉइंट", True, False),
        ("Cap", "", "10 पॉइंट", False, False),
    ]
    desk.choose("cinema-ticket")
    assert desk.confirming is not None and desk.prize_name(desk.confirming) == "सिनेमा टिकट"
    desk.confirm()
    assert desk.message == Text.of("loyalty.spent", prize="सिनेमा टिकट", points=50)
    assert render(desk.message, "hi").startswith("हो गया: 50 पॉइंट में सिनेमा टिकट")
    flow.set_language("en")
    assert [p.name for p in desk.prizes()] == ["Cinema ticket", "Coffee mug", "Cap"]
    # the manager's screen names the text Hindi lacks
    assert Text.of("manager.prize_text_missing", where="mug.description", langs="hi") in (
        flow.brand.notes()
    )


def test_the_programs_look_shows_unless_a_campaign_has_its_own(make_store: StoreFactory) -> None:
    flow = points_kiosk(make_store)
    base = {"paper": (1.0, 1.0, 1.0, 1.0), "ink": (0.0, 0.0, 0.0, 1.0)}
    assert flow.brand.colours(base)["primary"][:3] == (0.0, 0x60 / 255, 0x6B / 255)
    assert flow.brand.logo().endswith(".png")
    with flow.terminal.ledger.write() as conn:
        put_grant_content(conn, "ice-2026", example_content())
    assert flow.brand.colours(base)["primary"][:3] == (0xC8 / 255, 0x10 / 255, 0x2E / 255)


def test_the_attract_rotation_shows_the_catalogues_prizes_with_their_pictures(
    make_store: StoreFactory,
) -> None:
    """After the campaign's prizes, each prize of this kiosk's catalogue that the program gave a
    picture, in the shopper's language with its price; one this kiosk does not offer is not."""
    flow = points_kiosk(make_store)
    slides = flow.brand.slides("kk")
    assert [s.words("kk") for s in slides] == [
        "Кинобилет\nКез келген серіктес кинотеатрда бір 2D сеанс\n50 ұпай",  # noqa: RUF001
        "Кофе саптыаяғы\nБағдарлама логотипі бар 350 мл саптыаяқ\n20 ұпай",  # noqa: RUF001
    ]  # the cap has no words nor picture of the program's: not in the rotation
    ticket, mug = (Path(s.picture).read_bytes() for s in slides)
    assert ticket[:4] == mug[:4] == b"\x89PNG" and ticket != mug
    with flow.terminal.ledger.write() as conn:
        put_grant_content(conn, "ice-2026", example_content())
    said = [s.words("en").split("\n")[0] for s in flow.brand.slides("en")]
    # the campaign's prizes first, then the catalogue's, then the brand's own attract picture
    assert said == ["Gold coin", "Silver spoon", "A song to download", "Cinema ticket",
                    "Coffee mug", ""]  # fmt: skip
    elsewhere = points_kiosk(
        make_store, (CatalogueItem("mug", "Mug", 20),), "mugs"
    )  # no cinema here
    assert [s.name for s in elsewhere.brand.slides("en")] == ["Coffee mug"]
