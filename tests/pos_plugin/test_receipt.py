"""The receipt of a paid basket with prizes: the voucher printed large, the claim QR drawn where
it belongs (read back with zxing-cpp, its link signed by this till) and its link written out."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image

from codes.common.claim_link import ClaimLink, mac_matches
from pos_plugin.checkout import Till
from pos_plugin.receipt import CLAIM_WORDS, VOUCHER_WORDS, WIDTH
from pos_plugin.receipt_picture import DOTS
from pos_plugin.settings import PosSettings
from terminal.config import TerminalConfig
from tests.pos_plugin.conftest import Store
from tests.terminal.conftest import StoreFactory, send_slice

PLAY = "https://play.example.com"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "pos"


def prize_till(make_store: StoreFactory) -> tuple[Till, Store]:
    store = make_store(TerminalConfig(play_url=PLAY), name="prize-till", claim_tiers="gold")
    return Till(store.open(), PosSettings(cashier="ann")), store


def picture(png: str | None) -> Image.Image:
    assert png is not None, "the receipt has no picture"
    return Image.open(io.BytesIO(base64.b64decode(png)))


def test_a_receipt_prints_the_voucher_and_the_claim_qr(make_store: StoreFactory) -> None:
    till, store = prize_till(make_store)
    try:
        send_slice(till.terminal, "MUSIC-7K3Q-PX2M")
        basket = till.checkout()
        gold = store.code(store.serial_of_tier("gold"))
        musics = [store.code(store.serial_of_tier("music", n)) for n in range(2)]
        for code in (gold, *musics):
            assert basket.apply(code).ok
        paid = basket.pay("R-25", 12.0)
        claim, voucher, later = paid.items
        assert [i.status for i in paid.items] == ["accepted_offline"] * 3
        assert voucher.voucher == "MUSIC-7K3Q-PX2M" and later.voucher_later
        assert claim.claim_url is not None and claim.claim_url.startswith(f"{PLAY}/play/claim?")

        text = paid.receipt or ""
        lines = text.splitlines()
        assert all(len(line) <= WIDTH for line in lines)
        at = lines.index(f"  {VOUCHER_WORDS}")  # framed on lines of its own, centred
        assert lines[at + 1 : at + 4] == ["=" * WIDTH, "MUSIC-7K3Q-PX2M".center(WIDTH).rstrip(),
                                          "=" * WIDTH]  # fmt: skip
        assert "Scan the QR code with your phone" in text and "comes by SMS" in text
        first = next(n for n, line in enumerate(lines) if line.startswith(PLAY))
        pieces = -(-len(claim.claim_url) // WIDTH)  # the link written out, a line at a time
        assert "".join(lines[first : first + pieces]) == claim.claim_url
        # then, as the kiosk says them: the reference, what to have ready, the last day
        last_day = (datetime.now(UTC) + timedelta(days=30)).date()  # the tier's claim_days
        assert lines[first + pieces : first + pieces + 4] == [
            f"  Reference: {gold}",
            "  To claim, keep this receipt (your",
            "    invoice) and have your ID ready.",
            f"  Last day to claim: {last_day.day} {last_day.strftime('%B')} {last_day.year}",
        ]
        assert claim.claim_by == last_day.isoformat() and "claim_by" in claim.to_dict()

        sheet = picture(paid.receipt_png)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        sheet.save(ARTIFACTS / "receipt-prizes.png")  # to look at
        assert sheet.width == DOTS
        (read,) = zxingcpp.read_barcodes(sheet.convert("L"))
        assert read.text == claim.claim_url
        query = {k: v[0] for k, v in parse_qs(urlsplit(read.text).query).items()}
        link = ClaimLink(query["code"], query["event"], query["device"], query["mac"])
        device = till.terminal.device
        assert link.code == gold and link.event_id == claim.event_id
        assert mac_matches(device.secret, link)
        assert basket.pay("R-25", 12.0) == paid  # a retried payment: the same receipt
    finally:
        till.close()


def test_a_receipt_without_prizes_needs_no_picture(make_store: StoreFactory) -> None:
    till, store = prize_till(make_store)
    try:
        basket = till.checkout()
        assert basket.apply(store.code(store.serial_of_tier("silver"))).ok
        paid = basket.pay("R-26", 3.0)
        assert paid.receipt_png is None and CLAIM_WORDS.split()[0] not in (paid.receipt or "")
    finally:
        till.close()
