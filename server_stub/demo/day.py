"""The scripted store day: each step done as in a store (tills and kiosks as `instore` processes,
the POS program and the shopper's phone over HTTP, the head office's people through the same
functions their dashboard pages call) and said as a store manager would say it."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import select

from server_stub.accounts.users import Viewer, sign_in
from server_stub.database.connection import open_engine
from server_stub.database.schema import claim_documents
from server_stub.demo import setup
from server_stub.demo.processes import Children, instore, wait_http
from server_stub.demo.setup import Demo
from server_stub.demo.shopper import Browser, call_json, post_form
from server_stub.prizes import decision_reasons, dispatch, verification
from server_stub.records import maker_checker

Say = Callable[[str], None]
WINNER = "+919876543210"


class Day:
    def __init__(self, demo: Demo, children: Children, codes: dict[str, list[str]],
                 bridge_token: str, smtp: str, say: Say) -> None:  # fmt: skip
        self.demo, self.children, self.say = demo, children, say
        self.codes = {tier: list(found) for tier, found in codes.items()}
        self.bridge_token, self.smtp = bridge_token, smtp
        self.engine = open_engine(demo.db)

    def play(self) -> None:
        self.say("\nA store's day in seven steps, played now: the times the tills print are this"
                 " computer's clock (UTC), a few seconds apart.")  # fmt: skip
        try:
            self.morning()
            self.outage()
            self.music()
            claim = self.gold()
            self.points()
            self.ussd()
            self.say(f"\nThe day is done. Claim {claim} is on its way; the dashboard has it all.")
        finally:
            self.engine.dispose()

    # -- the steps --------------------------------------------------------------------------

    def morning(self) -> None:
        self.say("\n=== 1. The stores open: redemptions at both stores")
        silver = self.next("silver")
        token = self.bridge_token
        basket = call_json(f"{self.demo.bridge}/v1/checkout", {}, token)["checkout_id"]
        applied = call_json(f"{self.demo.bridge}/v1/checkout/{basket}/apply", {"code": silver},
                            token)  # fmt: skip
        paid = call_json(f"{self.demo.bridge}/v1/checkout/{basket}/pay",
                         {"receipt_id": "N-1001", "total": 42.50}, token)  # fmt: skip
        self.say(f"North Street till (the POS program through its bridge): a shopper's pack"
                 f" {silver}: {applied['message']} {paid['message']}")  # fmt: skip
        other = self.next("silver")
        done = self.redeem("south-kiosk", other)
        self.say(f"South Mall kiosk: a shopper scans {other}: {done['message']}")
        again = self.redeem("south-till", silver)
        self.say(f"South Mall till: someone brings North's pack {silver} again: {again['message']}"
                 " (the till asked the server first)")  # fmt: skip

    def outage(self) -> None:
        self.say("\n=== 2. The line to head office is down (the demo stops its server)")
        self.children.stop("server")
        code = self.next("silver")
        north = self.redeem("north-till", code, actor="ann")
        south = self.redeem("south-till", code, actor="bob")
        self.say(f"Both stores are offline, and the same pack {code} is shown at both tills"
                 f" (a copied code):")  # fmt: skip
        self.say(f"    North Street till, cashier ann: {north['message']}")
        self.say(f"    South Mall till, cashier bob: {south['message']}")
        self.say("=== 3. The line is back; the tills sync")
        server = self.children.start("server", self.demo.server_words(self.smtp))
        if not wait_http(f"{self.demo.url}/v1/health", server):
            raise RuntimeError("the server did not come back; see its log")
        self.sync("north-till")
        self.sync("south-till")
        helpdesk, manager = self.person("hal-helpdesk"), self.person("cam-manager")
        (conflict,) = maker_checker.visible_conflicts(
            self.engine, manager, kind="double_redemption"
        )
        self.say(f"The sync caught it: conflict {conflict['id']}, code {code} redeemed at"
                 f" {_sides(conflict)}.")  # fmt: skip
        status = self.run("terminal", "status", "--db", self.demo.ledger("south-till"))
        for line in status.splitlines():
            if line.strip().startswith("conflict:"):
                self.say(f"    South Mall's till tells its manager: {line.strip()}")
                break
        proposal = maker_checker.propose(
            self.engine, helpdesk, conflict["id"], "accept_loss",
            "Both shoppers had a real pack in hand; the brand bears one silver coin.",
        )  # fmt: skip
        self.say(f"hal-helpdesk proposes on the dashboard: both redemptions stand, the brand bears"
                 f" the cost (proposal {proposal['proposal']}).")  # fmt: skip
        maker_checker.decide(self.engine, manager, int(proposal["proposal"]), True)
        self.say("cam-manager, a second person, approves it: the conflict is resolved.")

    def music(self) -> None:
        self.say("\n=== 4. A music voucher")
        code = self.next("music")
        done = self.redeem("south-kiosk", code)
        self.say(f"South Mall kiosk: a shopper scans {code}: {done['message']}")

    def gold(self) -> str:
        self.say("\n=== 5. A gold coin at the North kiosk, claimed from its QR")
        code = self.next("gold")
        won = self.redeem("north-kiosk", code)
        self.say(f"North Street kiosk: {code}: {won['message']} The QR on the screen leads to"
                 f" {won['claim_url']}")  # fmt: skip
        number = self.file_claim(str(won["claim_url"]))
        self.say(f"The winner opens it on her phone, confirms her number with the password"
                 f" texted to her, and files claim {number} with her invoice and ID (photos and a"
                 f" PDF).")  # fmt: skip
        vera, abe, lou = (self.person(n) for n in ("vera-verifier", "abe-approver",
                                                    "lou-logistics"))  # fmt: skip
        with self.engine.connect() as conn:
            documents = conn.execute(
                select(claim_documents.c.id, claim_documents.c.kind).where(
                    claim_documents.c.number == number, claim_documents.c.current.is_(True)
                )
            ).all()
        for document in documents:
            verification.save_checks(self.engine, vera, number, document.id,
                                     verification.CHECKS_OF[document.kind])  # fmt: skip
        reason = next(iter(decision_reasons.english("approve")))
        verification.recommend(self.engine, vera, number, "approve", reason)
        self.say(f"Prize office: vera-verifier checks the {len(documents)} documents and"
                 " recommends approval;")  # fmt: skip
        verification.decide(self.engine, abe, number, "approve", reason)
        self.say("    abe-approver, a second person, approves the claim;")
        shipped = dispatch.import_tracking(
            self.engine, f"claim,carrier,tracking,delivered_on\n{number},India Post,EE123456789IN,\n".encode(),
            lou.username,
        )  # fmt: skip
        self.say(f"    lou-logistics imports the courier's file: {shipped['summary']}")
        self.say(f"Claim {number} is dispatched. What the winner's phone and mailbox got:")
        for message in self.messages_about(number, 3):
            self.say(f"    {message}")
        return number

    def points(self) -> None:
        self.say("\n=== 6. Points earned at Mobi Telecom, spent at Volt Electronics")
        member = setup.MEMBER
        self.run("terminal", "accrue", "--db", self.demo.ledger("north-till"), "--member", member,
                 "--amount", "2400", "--receipt", "N-2001")  # fmt: skip
        self.sync("north-till")
        self.say(f"North Street (Mobi Telecom): member {member} pays 2,400.00 and earns points.")
        spent = self.run("terminal", "spend", "--db", self.demo.ledger("south-till"),
                         "--member", member, "--points", "200", "--item", "headphones")  # fmt: skip
        self.sync("south-till")
        self.say(
            f"South Mall (Volt Electronics): she takes headphones for 200 points: {spent.strip()}"
        )
        period = datetime.now(UTC).strftime("%Y-%m")
        settled = setup.admin(self.demo, "settlement", "--period", period)
        self.say(f"This month's settlement ({period}):")
        for line in settled.strip().splitlines():
            self.say(f"    {line}")

    def ussd(self) -> None:
        self.say("\n=== 7. A member checks her points on a basic phone (USSD)")
        fields = {"sessionId": "demo-1", "serviceCode": "*384*12#", "phoneNumber": setup.MEMBER,
                  "networkCode": "63902"}  # fmt: skip
        post_form(f"{self.demo.url}/ussd/callback", {**fields, "text": ""})
        answer = post_form(f"{self.demo.url}/ussd/callback", {**fields, "text": "1"})
        self.say("She dials *384*12# and presses 1 (Balance); her phone shows:")
        for line in answer.removeprefix("CON ").removeprefix("END ").splitlines():
            self.say(f"    {line}")

    # -- how each step is done ---------------------------------------------------------------

    def next(self, tier: str) -> str:
        """The next unused code of that prize, from the mint's CSV."""
        return self.codes[tier].pop(0)

    def run(self, *words: str) -> str:
        done = subprocess.run([*instore(), *words], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)  # fmt: skip
        return done.stdout + done.stderr

    def redeem(self, device: str, code: str, actor: str = "") -> dict[str, Any]:
        who = ["--actor", actor] if actor else []
        out = self.run("terminal", "redeem", "--db", self.demo.ledger(device), "--json", *who, code)
        return dict(json.loads(out.strip().splitlines()[-1]))

    def sync(self, device: str) -> None:
        self.run("sync", "now", "--db", self.demo.ledger(device))

    def person(self, username: str) -> Viewer:
        return sign_in(self.engine, username, setup.password(username), source="127.0.0.1")

    def file_claim(self, link: str) -> str:
        parts = urlsplit(link)
        phone = Browser(self.demo.url)
        phone.open(f"{parts.path}?{parts.query}")
        phone.post("/play/claim", {"phone": WINNER})
        phone.post("/play/claim", {"otp": self.password_for(WINNER)})
        form = {"name": "Asha Rao", "address": "12 MG Road, Pune 411001", "city": "Pune",
                "email": "asha@example.com", "id_type": "aadhaar", "id_number": "1234 5678 9012",
                "invoice_number": "INV-7781", "consent": "on"}  # fmt: skip
        files = {"invoice": ("invoice.jpg", _photo(1), "image/jpeg"),
                 "id_front": ("id-front.jpg", _photo(2), "image/jpeg"),
                 "id_back": ("id-back.pdf", _pdf(), "application/pdf")}  # fmt: skip
        page = phone.post("/play/claim", form, files)
        found = re.search(r"CL-[0-9A-Z]{4,}", page)
        if not found:
            raise RuntimeError(f"the claim was not filed ({phone.status})")
        return found.group(0)

    def password_for(self, phone: str, wait_s: float = 15.0) -> str:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            for text in reversed(self.texts(phone, "otp")):
                found = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
                if found:
                    return str(found[0])
            time.sleep(0.1)
        raise RuntimeError(f"no one-time password reached {phone}")

    def texts(self, phone: str, kind: str) -> list[str]:
        folder = self.demo.phone / "sms"
        found = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        sms = [json.loads(p.read_text()) for p in found]
        return [str(m["text"]) for m in sms if m["to"] == phone and m["kind"] == kind]

    def messages_about(self, number: str, wanted: int, wait_s: float = 20.0) -> list[str]:
        """The SMS and emails naming the claim, as the demo phone shows them, once the server's
        worker has sent its news of dispatch (or `wait_s` passed)."""
        deadline = time.monotonic() + wait_s
        shown: list[str] = []
        while time.monotonic() < deadline:
            shown = self.phone_messages(number)
            if sum("dispatch" in m.lower() or "on its way" in m.lower() for m in shown) >= 2:
                break
            time.sleep(0.3)
        return shown

    def phone_messages(self, number: str) -> list[str]:
        shown = []
        for path in sorted((self.demo.phone / "sms").glob("*.json"), key=_mtime):
            sms = json.loads(path.read_text())
            if number in str(sms["text"]):
                shown.append(f"SMS to {sms['to']}: {_one_line(str(sms['text']))}")
        for path in sorted((self.demo.phone / "mail").glob("*.eml"), key=_mtime):
            text = path.read_text(errors="replace")
            if number in text:
                mail = email.message_from_string(text, policy=email.policy.default)
                subject = _one_line(str(mail["Subject"] or "(no subject)"))
                shown.append(f"Email to {mail['To'] or '(no address)'}: {subject}")
        return shown


def _sides(conflict: dict[str, Any]) -> str:
    first, second = conflict["first"], conflict["second"]
    return (f"{first.get('store_name')} ({first.get('device_name')}) first, then at"
            f" {second.get('store_name')} ({second.get('device_name')})")  # fmt: skip


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _photo(seed: int) -> bytes:
    image = Image.effect_noise((320, 240), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 200), 30).convert("RGB").save(out, "PDF")
    return out.getvalue()
