"""What the demo sets up before its store opens: the campaign with its 1,000 codes and their
printable PDF, the central server's database (partners, stores, the music voucher pool, a
member, a sign-in for every role), and a kiosk and a till in each store, enrolled and synced.

The server's database is set up with `instore admin`'s own commands, run in this process; the
devices with `instore terminal init` and `instore sync now`, each its own process."""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
from collections.abc import Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codes import campaign as campaign_file
from codes.campaign import Tier
from codes.mint import mint_campaign_file
from codes.qr import write_png
from server_stub.accounts.users import create_user
from server_stub.admin import cli as admin_cli
from server_stub.database.connection import open_engine
from server_stub.demo.processes import Children, instore

CAMPAIGN = "demo-lids"
# the prizes' names and descriptions in en, hi, ru and kk, and the brand's look: in the package
# (package-data), so an installed wheel's demo has them too
CONTENT = Path(__file__).parent / "content" / "content.toml"
# rates, so the 1,000 printed codes hold exactly 5 gold coins and 50 silver ones: the demo's run
# never lacks a prize it shows
TIERS = (
    Tier("gold", 1, 500.0, "Gold coin", every=200, kind="claim", claim_days=30),
    Tier("silver", 1, 20.0, "Silver coin", every=20),
    Tier("music", None, 5.0, "Music subscription, 3 months"),
)
MEMBER = "+77011234567"
STORES = {"north": "North Street", "south": "South Mall"}
PARTNERS = {  # partner -> (name, role, point price, its store)
    "mobi": ("Mobi Telecom", "accrual", "0.05", "north"),
    "volt": ("Volt Electronics", "redemption", "0.12", "south"),
}
DEVICES = {  # ledger file -> (store, device name)
    "north-kiosk": ("north", "North kiosk"),
    "north-till": ("north", "North till"),
    "south-kiosk": ("south", "South kiosk"),
    "south-till": ("south", "South till"),
}
MANAGER_PIN = "2468"
# username, role, scope option, what they do (as the sign-in list says it)
USERS: tuple[tuple[str, str, dict[str, list[str]], str], ...] = (
    ("ann-admin", "admin", {}, "admin"),
    ("cam-manager", "campaign_manager", {"campaign_ids": [CAMPAIGN]}, "campaign manager"),
    ("nora-north", "store_manager", {"store_ids": ["north"]}, "store manager of North Street"),
    ("hal-helpdesk", "helpdesk", {}, "helpdesk"),
    ("vera-verifier", "verifier", {}, "prize office: checks claims"),
    ("abe-approver", "approver", {}, "prize office: decides claims"),
    ("lou-logistics", "logistics", {}, "prize office: ships prizes"),
    ("vic-volt", "partner", {"partner_ids": ["volt"]}, "Volt Electronics: its settlement"),
)


def password(username: str) -> str:
    return f"demo-{username}-2026"


@dataclass(frozen=True)
class Demo:
    """The demo's folder and addresses."""

    folder: Path
    port: int
    bridge_port: int

    @property
    def db(self) -> str:
        return f"sqlite:///{self.folder / 'server.db'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bridge(self) -> str:
        return f"http://127.0.0.1:{self.bridge_port}"

    @property
    def phone(self) -> Path:
        """The demo phone's folders: sms/ (the SMS gateway's files) and mail/ (the emails)."""
        return self.folder / "phone"

    def ledger(self, device: str) -> str:
        return str(self.folder / f"{device}.db")

    def server_words(self, smtp: str) -> list[str]:
        return [
            "server", "--db", self.db, "--port", str(self.port), "--log-level", "warning",
            "--sms-gateway", f"file://{(self.phone / 'sms').resolve()}", "--public-url", self.url,
            "--smtp", smtp, "--mail-from", "Demo prize office <prizes@demo.example>",
            "--demo-phone", str(self.phone.resolve()),
        ]  # fmt: skip


def make_campaign(demo: Demo) -> dict[str, list[str]]:
    """The campaign file, 1,000 codes (the brand's CSV, naming each code's prize) and the A4
    sheets to print; the codes by prize, in serial order."""
    path = demo.folder / "campaign.toml"
    starts = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    campaign_file.create(
        path, CAMPAIGN, "HV", TIERS, name="Demo ice-cream lids", starts_at=starts,
        ends_at=starts + timedelta(days=120),
    )  # fmt: skip
    mint_campaign_file(
        path, demo.folder / "codes.csv", 1000, pdf=demo.folder / "codes.pdf", with_tiers=True
    )
    return codes_by_tier(demo.folder / "codes.csv")


def codes_by_tier(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            found.setdefault(row["tier"], []).append(row["code"])
    return found


def admin(demo: Demo, *words: str) -> str:
    """`instore admin --db DB WORDS`, run here; what it printed."""
    parser = argparse.ArgumentParser(prog="instore admin")
    admin_cli.register(parser)
    args = parser.parse_args(["--db", demo.db, *words])
    out = io.StringIO()
    with redirect_stdout(out):
        args.run(args)
    return out.getvalue()


def prepare_server(demo: Demo) -> None:
    """The central database: the campaign with its content, stores and partners, a member,
    vouchers, sign-ins."""
    admin(demo, "migrate")
    admin(demo, "campaign", "create", "--file", str(demo.folder / "campaign.toml"),
          "--budget", "2500")  # fmt: skip
    admin(demo, "campaign", "content", "--campaign", CAMPAIGN, "--file", str(CONTENT))
    admin(demo, "program", "set", "--pending-days", "0", "--expiry-months", "12")
    for partner, (name, role, price, store) in PARTNERS.items():
        admin(demo, "partner", "create", "--id", partner, "--name", name, "--role", role,
              "--point-price", price)  # fmt: skip
        admin(demo, "store", "create", "--id", store, "--name", STORES[store],
              "--partner", partner)  # fmt: skip
    admin(demo, "member", "add", "--phone", MEMBER, "--lang", "en")
    vouchers = demo.folder / "music-vouchers.csv"
    vouchers.write_text("voucher\n" + "".join(f"MUSIC-DEMO-{n:04d}\n" for n in range(1, 201)))
    admin(demo, "rewards", "load", "--campaign", CAMPAIGN, "--tier", "music",
          "--file", str(vouchers))  # fmt: skip
    engine = open_engine(demo.db)
    try:
        for username, role, scope, _ in USERS:
            create_user(engine, username, password(username), role, **scope)
    finally:
        engine.dispose()


def enroll_devices(demo: Demo) -> None:
    """A kiosk and a till in each store: enrolled with a one-time token each, then synced once
    (keys, limits, their slice of music vouchers), all at once."""
    tokens = {
        device: admin(demo, "device", "enroll", "--store", store, "--name", name,
                      "--token-only").strip()
        for device, (store, name) in DEVICES.items()
    }  # fmt: skip
    together([["terminal", "init", "--db", demo.ledger(d), "--server", demo.url, "--token", t]
              for d, t in tokens.items()])  # fmt: skip
    together([["sync", "now", "--db", demo.ledger(d)] for d in DEVICES])


def together(commands: Sequence[Sequence[str]]) -> None:
    """`instore` commands side by side; a failure names the command and what it said."""
    running = [
        (words, subprocess.Popen([*instore(), *words], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        for words in commands
    ]  # fmt: skip
    failed = []
    for words, process in running:
        out, _ = process.communicate()
        if process.returncode != 0:
            failed.append(f"instore {' '.join(words)}: {out.decode().strip()}")
    if failed:
        raise RuntimeError("; ".join(failed))


def write_pictures(demo: Demo, codes: dict[str, list[str]]) -> dict[str, Path]:
    """A QR picture of a pack for each prize, to show the kiosk's camera; the last of each tier,
    which the scripted day leaves alone."""
    folder = demo.folder / "qr"
    folder.mkdir(exist_ok=True)
    pictures = {}
    for tier in ("gold", "silver", "music"):
        pictures[tier] = folder / f"{tier}.png"
        write_png(codes[tier][-1], pictures[tier])
    return pictures


def start_schedulers(demo: Demo, children: Children, devices: Sequence[str]) -> None:
    for device in devices:
        children.start(f"sync-{device}", ["sync", "run", "--db", demo.ledger(device),
                                          "--interval", "10"])  # fmt: skip


def start_bridge(demo: Demo, children: Children) -> str:
    """The North till's POS bridge; its bearer token."""
    token = subprocess.run(
        [*instore(), "pos", "token", "--db", demo.ledger("north-till")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    children.start("bridge", ["pos", "serve", "--db", demo.ledger("north-till"),
                              "--port", str(demo.bridge_port), "--cashier", "ann"])  # fmt: skip
    return token
