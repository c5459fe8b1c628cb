"""The prize office's verification queue against 10^5 claims in PostgreSQL (the database named by
INSTORE_TEST_POSTGRES, as the other benches): the server time of /dashboard/claims (its page
function and its template) as each role first sees it, filtered, and paged deep; and one
claim's page. Against a count(*) of the claims in the same run.

The claims are made by PostgreSQL (generate_series) over 180 days in 5 campaigns: most
delivered, a few thousand open (received, in verification, half of those recommended), some
approved, dispatched or rejected; one in fifty flagged."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine

from bench.report import Row, print_table
from bench.sync_bench import _drop_postgres, _fresh_postgres
from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard import claim_pages, web
from server_stub.database.connection import migrate, open_engine
from server_stub.prizes.documents import DocumentStore

CLAIMS = 100_000
CAMPAIGNS = 5
SPAN_S = 180 * 86400
TARGET_MS = 300
# each claim's status by its index: mod 100 -> status (the share of each, in per cent)
_STATUS = """CASE
    WHEN mod(i, 100) < 3 THEN 'received'
    WHEN mod(i, 100) < 6 THEN 'in_verification'
    WHEN mod(i, 100) < 10 THEN 'approved'
    WHEN mod(i, 100) < 17 THEN 'rejected'
    WHEN mod(i, 100) < 25 THEN 'dispatched'
    ELSE 'delivered' END"""
_INSERT = f"""
INSERT INTO prize_claims (number, campaign, serial, code, tier, value, event_id, phone, name,
    address, id_type, id_number, invoice_number, consent_at, status, flags, recommendation,
    recommended_by, recommended_at, deadline, created, updated)
SELECT 'CL-' || lpad(to_hex(i), 8, '0'), 'camp-' || mod(i, {CAMPAIGNS}), i, 'HV-' || i,
    CASE WHEN mod(i, 7) = 0 THEN 'silver' ELSE 'gold' END,
    CASE WHEN mod(i, 7) = 0 THEN 50 ELSE 500 END, 'e-' || i,
    '+9198' || lpad(mod(i * 7919, 100000000)::text, 8, '0'), 'Winner ' || i,
    i || ' Lake Road, Pune 411001', 'aadhaar', lpad(i::text, 12, '0'), 'INV-' || i,
    created, status,
    CASE WHEN mod(i, 50) = 0 THEN '[{{"kind": "same_invoice", "other": "CL-00000001"}}]'
         ELSE '[]' END,
    CASE WHEN status = 'in_verification' AND mod(i, 2) = 0 THEN 'approve' END,
    CASE WHEN status = 'in_verification' AND mod(i, 2) = 0 THEN 'vera' END,
    CASE WHEN status = 'in_verification' AND mod(i, 2) = 0 THEN created + 3600 END,
    created + 30 * 86400, created, created
FROM (SELECT i, %(now)s - (%(n)s - i) * {SPAN_S}.0 / %(n)s AS created, {_STATUS} AS status
      FROM generate_series(1, %(n)s) AS i) g"""
_TIMELINE = """
INSERT INTO claim_timeline (number, at, status, note, actor)
SELECT number, created, 'received', '', 'shopper' FROM prize_claims"""


def _seed(url: str) -> None:
    engine = open_engine(url)
    migrate(engine)
    engine.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    tiers = [{"name": "gold", "kind": "claim"}, {"name": "silver", "kind": "claim"}]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for c in range(CAMPAIGNS):
            data = json.dumps({"id": f"camp-{c}", "tiers": tiers, "approval_value": 100})
            conn.execute(
                "INSERT INTO campaigns (id, data, key, created) VALUES (%s, %s, %s, %s)",
                (f"camp-{c}", data, "00" * 32, time.time()),
            )
        conn.execute(_INSERT, {"now": time.time(), "n": CLAIMS})
        conn.execute(_TIMELINE)
        conn.execute("ANALYZE")


def _median_ms(call: Callable[[], object], times: int = 7) -> float:
    call()  # warm: caches, plans
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def _queue(engine: Engine, viewer: Viewer, query: dict[str, str]) -> Callable[[], str]:
    """The queue as the server makes it: its function, then its template."""
    return lambda: web.page_html(
        "claims.html", data=claim_pages.queue_page(engine, viewer, query), viewer=viewer,
        csrf="x", here="claims", title="Claims",
    )  # fmt: skip


def run() -> None:
    url = _fresh_postgres()
    if url is None:
        print("\nclaims queue: no PostgreSQL at INSTORE_TEST_POSTGRES, not measured")
        return
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        _seed(url)
        seeded = time.perf_counter() - started
        engine = open_engine(url)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            base = _median_ms(lambda: conn.execute("SELECT count(*) FROM prize_claims").fetchone())
        vera = Viewer(1, "vera", Role.VERIFIER)
        abe = Viewer(2, "abe", Role.APPROVER)
        lou = Viewer(3, "lou", Role.LOGISTICS)
        hel = Viewer(4, "hel", Role.HELPDESK)
        cam = Viewer(5, "cam", Role.CAMPAIGN_MANAGER, campaigns=frozenset({"camp-2"}))
        middle = claim_pages.queue_page(engine, hel, {"state": "all"}, time.time())
        asked: list[tuple[str, Viewer, dict[str, Any]]] = [
            ("open, oldest first (verifier)", vera, {}),
            ("recommended, to decide (approver)", abe, {}),
            ("approved, to ship (logistics)", lou, {}),
            ("every claim (helpdesk)", hel, {"state": "all"}),
            ("one campaign, one prize, open", vera, {"campaign": "camp-3", "tier": "silver"}),
            ("a campaign manager's one campaign", cam, {"state": "all"}),
            ("delivered, paged past 90 days", hel,
             {"state": "delivered", "after": f"{time.time() - 90 * 86400!r}_CL-00000000"}),
            ("a claim by its number", hel, {"q": middle["claims"][7]["number"]}),
        ]  # fmt: skip
        for what, viewer, query in asked:
            page = _queue(engine, viewer, {k: str(v) for k, v in query.items()})
            assert "<table" in page() or "No " in page()
            ms = _median_ms(page)
            rows.append(Row(f"queue: {what} (ms)", f"{ms:.0f}", f"<= {TARGET_MS}",
                            ms <= TARGET_MS, f"{ms / base:.1f}x a count(*)"))  # fmt: skip
        number = middle["claims"][3]["number"]
        store = DocumentStore(Path("/nonexistent-bench-documents"))
        one = _median_ms(lambda: claim_pages.claim_page(engine, store, vera, number))
        rows.append(Row("one claim's page function, its documents left aside (ms)", f"{one:.0f}",
                        f"<= {TARGET_MS}", one <= TARGET_MS, f"{one / base:.1f}x a count(*)"))  # fmt: skip
        engine.dispose()
    finally:
        _drop_postgres(url)
    print_table(
        f"server_stub/ prize office (PostgreSQL: {CLAIMS:,} claims over 180 days in {CAMPAIGNS}"
        f" campaigns, seeded in {seeded:.0f} s; server time: the page function and its template)",
        f"SELECT count(*) FROM prize_claims: {base:.1f} ms",
        rows,
    )


if __name__ == "__main__":
    run()
