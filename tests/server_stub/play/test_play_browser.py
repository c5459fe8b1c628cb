"""The shopper's web in a real browser at phone size (Debian's chromium, driven by Playwright), in
each of the kiosk's four languages: a phone number, its one-time password from the SMS, three
codes (a music voucher, a gold coin typed sloppily, a sticker), the gold coin's claim with real
photo and PDF uploads, and the claim's status from another browser later.

Every step is photographed into tests/artifacts/play/<lang>-<step>.png for people to look at, and
checked for what a shopper would notice: the chosen language, the kiosk's fonts (Devanagari
drawn with its own font, never as boxes), no sideways scrolling, thumb-sized targets, no broken
request and nothing fetched from another host. English runs with JavaScript off all the way.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from server_stub.database.schema import claim_documents, prize_claims
from server_stub.phones.otp import normalise_phone
from server_stub.play import i18n
from server_stub.prizes import outbox, vouchers
from tests.server_stub.play.shopper import (
    TIERS,
    last_password,
    messages,
    send_outbox,
    serial_of_tier,
    server_for,
    sms_folder,
)
from tests.world import World

CHROMIUM = "/usr/bin/chromium"  # Debian's; `make system-deps` installs it, nothing is downloaded
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "play"
PHONE_SIZE: ViewportSize = {"width": 390, "height": 844}
TARGET_PX = 44  # the smallest a thumb can press surely
# what a thumb presses or types into; a checkbox is pressed through its label
TARGETS = (
    "button, a.button, input:not([type=hidden]):not([type=checkbox]), select, textarea,"
    " label.check, .languages a, footer a"
)
FONTS = {"Noto Sans", "Noto Sans Devanagari"}  # the kiosk's, served by /play/static/fonts
# as a shopper of each language would type the number: Indian numbers locally, others with +
PHONES = {"en": "+91 98765 43211", "hi": "98765 43210", "ru": "+7 912 345-67-89",
          "kk": "+7 701 234 56 78"}  # fmt: skip
ID_TYPES = {"en": "passport", "hi": "aadhaar", "ru": "passport", "kk": "national_id"}
NAMES = {"en": "Asha Rao", "hi": "आशा राव", "ru": "Анна Смирнова", "kk": "Әйгерім Қасымова"}
ADDRESSES = {
    "en": "12 MG Road, Pune 411001",
    "hi": "12, एमजी रोड, पुणे 411001",
    "ru": "ул. Тверская, д. 7, кв. 12, Москва 125009",
    "kk": "Абай даңғылы 44, 12-пәтер, Алматы 050000",
}
VOUCHERS = ("SPOT-4X7Q-9KD2-PL3M", "SPOT-8RTW-2MXC-7HQ4", "SPOT-K3ZN-5VBJ-0YAE")

pytestmark = pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def site(world: World) -> Iterator[str]:
    """The campaign with a voucher pool for its music prize, and the server on loopback."""
    world.setup(tiers=TIERS)
    pool = world.tmp / "music-vouchers.csv"
    pool.write_text("voucher\n" + "\n".join(VOUCHERS) + "\n", encoding="utf-8")
    vouchers.load(world.engine, world.campaign.id, "music", pool)
    with server_for(world) as url:
        yield url


class Phone:
    """One phone's browser: what it requested and what went wrong, and its pictures."""

    def __init__(self, browser: Browser, base: str, lang: str, javascript: bool) -> None:
        self.base, self.lang = base, lang
        self.context: BrowserContext = browser.new_context(
            viewport=PHONE_SIZE, device_scale_factor=2, is_mobile=True, has_touch=True,
            java_script_enabled=javascript,
        )  # fmt: skip
        self.page: Page = self.context.new_page()
        self.requested: list[str] = []
        self.problems: list[str] = []
        self.context.on("request", lambda r: self.requested.append(r.url))
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def words(self, key: str, **params: str) -> str:
        return i18n.say(self.lang, key, **params)

    def submit(self, button_key: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=self.words(button_key)).click()

    def shot(self, step: str, *keys: str) -> None:
        """Check the page as a shopper sees it, then photograph it whole."""
        _looks_right(self.page, self.lang, keys)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):  # chromium under load sometimes refuses one capture
            try:
                self.page.screenshot(path=str(SHOTS / f"{self.lang}-{step}.png"), full_page=True)
                return
            except PlaywrightError:
                if attempt == 2:
                    raise
                self.page.wait_for_timeout(200)

    def close(self) -> None:
        self.context.close()
        elsewhere = [u for u in self.requested if not u.startswith(self.base + "/")]
        assert not elsewhere, f"requests to another host: {elsewhere}"
        assert not self.problems, self.problems


def _looks_right(page: Page, lang: str, keys: tuple[str, ...]) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    shown = page.locator("body").inner_text()
    for key in keys:  # words of this language's own catalogue, not English
        words = i18n.catalogue(lang)[key]
        assert lang == "en" or words != i18n.catalogue("en")[key], key
        assert words in shown, (key, words, shown[:600])
    wide, window, small, faint = page.evaluate(_MEASURE, [TARGETS, TARGET_PX])
    # a phone shows a page too wide by zooming out, which widens the window: the phone's width
    assert max(wide, window) <= PHONE_SIZE["width"], (
        f"the page is {wide} px wide, zoomed to {window}"
    )
    assert not small, f"targets smaller than {TARGET_PX} px: {small}"
    assert not faint, f"text too faint to read (contrast): {faint}"
    for selector, drawn in _fonts_drawing(page, "main h1", "main button", "main label").items():
        assert drawn and drawn <= FONTS, (selector, drawn)  # never a system font
        if lang == "hi":
            assert "Noto Sans Devanagari" in drawn, (selector, drawn)


# measured in the page in one go (Playwright's own script: it runs with the page's JavaScript
# off too): how wide the page is, each visible target shorter than the least, and each text drawn
# with less contrast than WCAG's AA asks (4.5:1, or 3:1 for large text) against what is behind it
_MEASURE = """([targets, least]) => {
  const shown = e => e.getClientRects().length > 0;
  const rgba = text => text.match(/[\\d.]+/g).map(Number).concat([1]).slice(0, 4);
  const lum = ([r, g, b]) => [r, g, b]
    .map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = e => {
    for (let at = e; at; at = at.parentElement) {
      const bg = rgba(getComputedStyle(at).backgroundColor);
      if (bg[3] > 0) return bg;
    }
    return [255, 255, 255, 1];
  };
  const faint = [];
  for (const e of document.body.querySelectorAll("*")) {
    const text = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join("").trim();
    if (!text || !shown(e)) continue;
    const style = getComputedStyle(e);
    const [a, b] = [lum(rgba(style.color)), lum(behind(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) faint.push([text.slice(0, 40), Math.round(ratio * 10) / 10]);
  }
  return [
    document.documentElement.scrollWidth, window.innerWidth,
    [...document.querySelectorAll(targets)].filter(shown)
      .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
      .filter(([, height]) => height < least - 0.5)
      .map(([html, height]) => [html, Math.round(height)]),
    faint,
  ];
}"""


def _fonts_drawing(page: Page, *selectors: str) -> dict[str, set[str]]:
    """The fonts chromium actually drew the text of each selector's first element with (one the
    page lacks is left out); a web font that did not load, or lacks a letter, shows as a system
    font here."""
    # the web fonts load beside the page: on a busy machine the text is first drawn in a
    # system font until they arrive (font-display: swap), as a slow phone would show it
    page.evaluate("() => document.fonts.ready.then(() => document.fonts.status)")
    cdp = page.context.new_cdp_session(page)
    drawn: dict[str, set[str]] = {}
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        for selector in selectors:
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            if node:
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                drawn[selector] = {
                    f["familyName"] if f["isCustomFont"] else f"system {f['familyName']}"
                    for f in fonts
                }  # fmt: skip
    finally:
        cdp.detach()
    return drawn


def _lines(page: Page, selector: str) -> int:
    """How many lines the text of `selector` is drawn on."""
    return int(
        page.locator(selector).evaluate(
            """e => { const r = document.createRange(); r.selectNodeContents(e);
                      return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size }"""
        )
    )


def _photo(folder: Path, name: str, words: str, seed: int) -> Path:
    """A phone photo of a paper: a real JPEG with something written on it."""
    image = Image.effect_noise((640, 480), 30 + seed).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), fill=(245, 242, 235))
    for line in range(6):
        draw.text((70, 70 + line * 60), f"{words} {line + 1}", fill=(20, 20, 20))
    path = folder / name
    image.save(path, "JPEG", quality=85)
    return path


def _pdf(folder: Path, name: str) -> Path:
    """A scan saved as PDF, as a phone's scanner app makes one."""
    image = Image.new("RGB", (620, 400), (250, 250, 250))
    ImageDraw.Draw(image).text((40, 40), "ID card, back", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


def _sloppy(code: str) -> str:
    """As a shopper types it: lower case, spaces for dashes, the letter o for zero."""
    return code.lower().replace("-", " ").replace("0", "o")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_winner_goes_from_phone_to_a_filed_claim_and_follows_it(
    world: World, site: str, browser: Browser, tmp_path: Path, lang: str
) -> None:
    phone = Phone(browser, site, lang, javascript=lang != "en")
    page, folder = phone.page, sms_folder(world)
    number = normalise_phone(PHONES[lang])

    page.goto(f"{site}/play/?lang={lang}")
    phone.shot("phone", "phone.intro", "phone.label", "phone.send")
    page.fill("input[name=phone]", PHONES[lang])
    phone.submit("phone.send")
    phone.shot("otp", "otp.title", "otp.label", "otp.resend")
    assert number[-4:] in page.locator("main").inner_text()  # the number it went to
    page.fill("input[name=otp]", last_password(folder, number))
    phone.submit("otp.confirm")
    assert page.locator("input[name=code]").is_visible()

    music = world.code(serial_of_tier(world, "music"))
    page.fill("input[name=code]", music)
    phone.submit("codes.check")
    shown = page.locator(".result .voucher").inner_text().strip()
    assert shown in VOUCHERS and "Music subscription" in page.locator(".result").inner_text()
    assert _lines(page, ".result .voucher") == 1  # to be typed elsewhere: no break to misread
    send_outbox(world)  # the voucher's SMS, written with the redemption
    assert [m["text"] for m in messages(folder, "voucher") if m["to"] == number] == [
        outbox.render(
            lang, "voucher", {"reward": "Music subscription, 3 months", "voucher": shown}
        )["sms"]
    ]
    phone.shot("voucher", "entry.won", "entry.voucher", "entry.voucher_sms")

    page.fill("input[name=code]", world.code(serial_of_tier(world, "sticker")))
    phone.submit("codes.check")
    assert phone.words("entry.instant") in page.locator(".result").inner_text()

    gold = world.code(serial_of_tier(world, "gold"))
    page.fill("input[name=code]", _sloppy(gold))
    phone.submit("codes.check")
    result = page.locator(".result").inner_text()
    assert "Gold coin" in result and gold in result  # read back as printed
    history = page.locator(".codes li").all_inner_texts()
    assert len(history) == 3 and gold in history[0] and shown in history[2]  # newest first
    phone.shot("codes", "entry.won", "codes.so_far", "entry.claim")

    with page.expect_navigation():
        page.locator(".result a.button").click()
    assert page.url.startswith(f"{site}/play/claim?event=")
    assert "Gold coin" in page.locator("main").inner_text()
    phone.shot("claim", "claim.title", "claim.name", "claim.id_front", "claim.send")
    page.fill("input[name=name]", NAMES[lang])
    page.fill("textarea[name=address]", ADDRESSES[lang])
    page.select_option("select[name=id_type]", ID_TYPES[lang])
    page.fill("input[name=id_number]", "1234 5678 9012")
    page.set_input_files("input[name=invoice]", _photo(tmp_path, "invoice.jpg", "INVOICE", 1))
    page.set_input_files("input[name=id_front]", _photo(tmp_path, "id-front.jpg", "ID FRONT", 2))
    page.set_input_files("input[name=id_back]", _pdf(tmp_path, "id-back.pdf"))
    page.locator("label.check").tap()  # the whole line takes the thumb, not the small box
    assert page.locator("input[name=consent]").is_checked()
    phone.submit("claim.send")

    filed = re.fullmatch(r"CL-[0-9A-Z]+", page.locator(".result .voucher").inner_text().strip())
    assert filed, page.locator("main").inner_text()
    claim = filed.group(0)
    assert _lines(page, ".result .voucher") == 1
    phone.shot("filed", "claim.filed", "claim.number_is", "claim.follow")
    with world.engine.connect() as conn:
        row = conn.execute(select(prize_claims).where(prize_claims.c.number == claim)).one()
        kept = conn.execute(
            select(func.count()).where(claim_documents.c.number == claim)
        ).scalar_one()
    assert (row.phone, row.name, row.id_type, row.status, kept) == (
        number, NAMES[lang], ID_TYPES[lang], "received", 3,
    )  # fmt: skip
    with page.expect_navigation():  # the same visit: the phone is already confirmed
        page.get_by_role("link", name=phone.words("claim.follow")).click()
    assert page.locator(".now strong").inner_text() == phone.words("status.received")
    phone.close()

    # days later, on another browser: the claim number and a new password to the same phone
    later = Phone(browser, site, lang, javascript=lang != "en")
    later.page.goto(f"{site}/play/status?lang={lang}")
    later.page.fill("input[name=claim]", claim.lower())
    later.submit("status.send")
    assert later.page.locator("input[name=otp]").is_visible()
    later.page.fill("input[name=otp]", _password_for(folder, number))
    later.submit("otp.confirm")
    assert later.page.locator(".card .voucher").inner_text().strip() == claim
    assert later.page.locator(".now strong").inner_text() == later.words("status.received")
    later.shot("status", "status.title", "status.now", "status.in_verification")
    later.close()


def _password_for(folder: Path, phone: str) -> str:
    """The status page's password: the second texted to `phone`, after the visit's."""
    sent = [m for m in messages(folder, "otp") if m["to"] == phone]
    assert len(sent) == 2, json.dumps(sent, ensure_ascii=False)
    return last_password(folder, phone)
