"""Shipping approved prizes: the file the shipping partner ships from, and the file it sends back.

- **Export** (`export`): a campaign's approved claims, oldest approval first, with what a parcel
  needs (claim number, name, address, city, phone, tier and prize) and empty `carrier`,
  `tracking` and `delivered_on` columns for the partner to fill. `in_transit` exports the
  dispatched claims not yet delivered instead, their carrier and tracking filled: the sheet on
  which the partner writes delivered dates. Those are never in the file to ship, so no parcel
  goes out twice. Every text cell is guarded against formulas (`csv_cells.guarded`): a winner
  types their own name and address.
- **Import** (`import_tracking`): the partner's file (`tracking_file` reads it) moves each claim
  forward through `claims.move`, so each step is in the claim's timeline with who imported it,
  and its messages go out: carrier and tracking move an approved claim to `dispatched`, a
  delivered date a dispatched one to `delivered` (both in one row: both steps). Good rows are
  applied and bad ones listed by line with the reason; a row the server already holds changes
  nothing, so the same file imported twice changes nothing the second time, and says so.
  Nothing moves backward, and a recorded carrier, tracking number or delivered date is never
  overwritten: a row that would is a bad row.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, select

from server_stub.database.connection import reader, writing
from server_stub.database.schema import campaigns, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claims
from server_stub.prizes.claim_form import checked_text
from server_stub.prizes.tracking_file import COLUMNS, read_tracking
from server_stub.records.csv_cells import guarded

Which = Literal["to_ship", "in_transit"]
WHICH: dict[str, str] = {"to_ship": "approved", "in_transit": "dispatched"}  # -> the status
EXPORT_COLUMNS = (
    "claim", "name", "address", "city", "phone", "tier", "prize", *COLUMNS[1:],
)  # fmt: skip
SHIPPING = ("approved", "dispatched", "delivered")
_TEXT_LIMIT = 64  # prize_claims.carrier and .tracking
_SHORTENED = re.compile(r"\d+(\.\d+)?E\+\d+", re.IGNORECASE)  # 3.40434E+17: a spreadsheet's
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits, where \d takes any script's
_EARTH_S = 14 * 3600.0  # a date is "today" somewhere on earth from UTC-12 to UTC+14
_CHUNK = 500  # claim numbers looked up per query
# claims moved per transaction: one commit (an fsync) per claim was most of an import's time;
# a few hundred hold SQLite's one writer for a fraction of a second at a time
_BATCH = 200


@dataclass(frozen=True)
class Export:
    campaign: str
    which: Which
    header: tuple[str, ...]
    rows: list[list[str]]  # guarded
    left_out: int  # approved claims whose winner's details were erased: no address to ship to

    def csv_bytes(self) -> bytes:
        """The file: UTF-8 with a byte-order mark (Excel then reads a Hindi name as Hindi),
        CR LF line ends."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def filename(self, now: float | None = None) -> str:
        day = datetime.fromtimestamp(time.time() if now is None else now, UTC).date()
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.campaign)[:64]
        return f"dispatch-{safe}-{self.which.replace('_', '-')}-{day.isoformat()}.csv"


def export(engine: Engine, campaign: str, which: str = "to_ship") -> Export:
    """The file for the shipping partner: `to_ship` (approved) or `in_transit` (dispatched,
    not delivered) claims of one campaign. 404 `not_found` for a campaign the server does not
    know; 422 `bad_request` for another `which`."""
    if which not in WHICH:
        raise ApiError(422, "bad_request", f"export {', '.join(WHICH)}; not {which[:40]!r}")
    c = prize_claims.c
    query = (
        select(
            c.number, c.name, c.address, c.city, c.phone, c.tier, c.carrier, c.tracking, c.erased
        )
        .where(c.campaign == campaign, c.status == WHICH[which])
        .order_by(c.updated, c.number)  # the oldest step first: who has waited longest
    )
    with reader(engine).connect() as conn:
        prizes = _prizes(conn, campaign)
        if prizes is None and not _has_claims(conn, campaign):
            raise ApiError(404, "not_found", f"no campaign {campaign[:64]!r}")
        found = conn.execute(query).all()
    rows = [
        [guarded(cell) for cell in (
            r.number, r.name, r.address, r.city or "", r.phone, r.tier,
            (prizes or {}).get(r.tier) or r.tier, r.carrier or "", r.tracking or "", "",
        )]
        for r in found if r.erased is None
    ]  # fmt: skip
    chosen: Which = "to_ship" if which == "to_ship" else "in_transit"
    return Export(campaign, chosen, EXPORT_COLUMNS, rows, len(found) - len(rows))


def counts(engine: Engine) -> list[dict[str, Any]]:
    """Per campaign with a prize approved or further on: how many claims are approved (to
    ship), dispatched (on their way) and delivered; campaigns in order of their id."""
    c = prize_claims.c
    query = (
        select(c.campaign, c.status, func.count().label("n"))
        .where(c.status.in_(SHIPPING))
        .group_by(c.campaign, c.status)
    )
    found: dict[str, dict[str, Any]] = {}
    with reader(engine).connect() as conn:
        for row in conn.execute(query):
            found.setdefault(row.campaign, {"campaign": row.campaign} | dict.fromkeys(SHIPPING, 0))
            found[row.campaign][row.status] = row.n
    return [found[k] for k in sorted(found)]


# -- import -----------------------------------------------------------------------------------

Outcome = Literal["applied", "unchanged", "nothing", "bad"]


@dataclass
class _Plan:
    line: int
    claim: str  # the number as written, or as the cell said when it is none
    outcome: Outcome
    reason: str = ""
    steps: list[str] = field(default_factory=list)
    carrier: str = ""
    tracking: str = ""
    day: str = ""
    status: str = ""


def import_tracking(
    engine: Engine, data: bytes, actor: str, now: float | None = None
) -> dict[str, Any]:
    """Apply the partner's file (see the module's words); `actor` is who imported it, named in
    each claim's timeline. Answers:

    {rows, applied: [{line, claim, steps}], unchanged: [{line, claim, status}], nothing:
    [{line, claim, status}] (a claim with no carrier, tracking or date: not shipped yet),
    bad: [{line, claim, reason}], dispatched, delivered (claims moved), summary (in words)}.

    A file refused whole raises (`tracking_file`) and changes nothing."""
    now = time.time() if now is None else now
    actor = checked_text("actor", actor, 200, required=True, what="who imports the file") or ""
    rows = read_tracking(data)
    plans = [_Plan(r.line, _shown(r.claim), "bad") for r in rows]
    first_line: dict[str, int] = {}
    for plan, row in zip(plans, rows, strict=True):
        number = claims.normal_number(row.claim) if row.claim else None
        if not row.claim:
            plan.reason = "no claim number"
        elif number is None:
            plan.reason = f"{plan.claim!r} is not a claim number (CL- and 8 letters or digits)"
        elif number in first_line:
            plan.claim, plan.reason = number, f"listed again (first on line {first_line[number]})"
        else:
            first_line[number] = row.line
            plan.claim, plan.outcome = number, "applied"
    states = _states(engine, [p.claim for p in plans if p.outcome == "applied"])
    latest = datetime.fromtimestamp(now + _EARTH_S, UTC).date()
    for plan, row in zip(plans, rows, strict=True):
        if plan.outcome == "applied":
            _plan(plan, row.carrier, row.tracking, row.delivered_on, states.get(plan.claim), latest)
    moving = [p for p in plans if p.outcome == "applied"]
    for at in range(0, len(moving), _BATCH):
        with writing(engine) as conn:
            for plan in moving[at : at + _BATCH]:
                _apply(conn, plan, actor, now)
    return _result(plans)


def _states(engine: Engine, numbers: list[str]) -> dict[str, Mapping[str, Any]]:
    c = prize_claims.c
    found: dict[str, Mapping[str, Any]] = {}
    with reader(engine).connect() as conn:
        for at in range(0, len(numbers), _CHUNK):
            query = select(c.number, c.status, c.carrier, c.tracking, c.delivered_on, c.created)
            for row in conn.execute(query.where(c.number.in_(numbers[at : at + _CHUNK]))):
                found[row.number] = dict(row._mapping)
    return found


def _plan(
    plan: _Plan, carrier: str, tracking: str, day: str, state: Mapping[str, Any] | None,
    latest: date,
) -> None:  # fmt: skip
    """What the row asks of its claim: the steps to take, or nothing, or why it cannot be."""

    def bad(reason: str) -> None:
        plan.outcome, plan.reason = "bad", reason

    if state is None:
        return bad(f"no claim {plan.claim}: check the number")
    plan.status = status = state["status"]
    problem = _cells_problem(carrier, tracking, day, state, latest)
    if problem:
        return bad(problem)
    plan.carrier, plan.tracking, plan.day = carrier, tracking, day
    if not (carrier or day):
        plan.outcome = "nothing"
        return None
    if status in ("received", "in_verification"):
        return bad(f"not approved yet ({status.replace('_', ' ')}): it is not to be shipped")
    if status == "rejected":
        return bad("rejected: it is not to be shipped")
    if status == "approved":
        if not carrier:
            return bad("not dispatched yet: give its carrier and tracking number with the date")
        plan.steps = ["dispatched", *(["delivered"] if day else [])]
        return None
    held = (state["carrier"] or "", state["tracking"] or "")
    if carrier and _key(carrier, tracking) != _key(*held):
        return bad(
            f"already dispatched with {held[0]} {held[1]}: an import never changes a parcel's"
            " carrier or tracking number"
        )
    if status == "dispatched":
        plan.steps = ["delivered"] if day else []
    elif not day:  # delivered: a row of carrier and tracking alone is the step before
        return bad(
            f"delivered on {state['delivered_on'] or 'a date not recorded'} already: with no"
            " delivered date this row would move it back to dispatched"
        )
    elif day != state["delivered_on"]:
        return bad(
            f"already delivered on {state['delivered_on'] or 'a date not recorded'}: an import"
            " never changes a delivered date"
        )
    if not plan.steps:
        plan.outcome = "unchanged"
    return None


def _cells_problem(
    carrier: str, tracking: str, day: str, state: Mapping[str, Any], latest: date
) -> str:
    if bool(carrier) != bool(tracking):
        return (
            "carrier without a tracking number" if carrier else "tracking number without a carrier"
        )
    for name, value in (("carrier", carrier), ("tracking number", tracking)):
        try:
            checked_text(name, value, _TEXT_LIMIT, required=False)
        except ApiError as exc:
            return exc.message
    if _SHORTENED.fullmatch(tracking):
        return (
            f"tracking number {tracking!r} was shortened by a spreadsheet: format the column as"
            " text and export again"
        )
    if not day:
        return ""
    try:
        when = date.fromisoformat(day) if _DAY.fullmatch(day) else None
    except ValueError:
        when = None
    if when is None:
        return (
            f"delivered_on {_shown(day)!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-14"
        )
    if when > latest:
        return f"delivered_on {day} is in the future"
    filed = datetime.fromtimestamp(state["created"] - _EARTH_S, UTC).date()
    if when < filed:
        return f"delivered_on {day} is before the claim was filed ({filed.isoformat()})"
    return ""


def _apply(conn: Connection, plan: _Plan, actor: str, now: float) -> None:
    """The row's steps, all or none (a savepoint of their own): a claim moved by someone else
    since the file was read is a bad row, and the rows beside it stand."""
    try:
        with conn.begin_nested():
            for step in plan.steps:
                if step == "dispatched":
                    claims.move_in(conn, plan.claim, step, actor, carrier=plan.carrier,
                                   tracking=plan.tracking, now=now)  # fmt: skip
                else:
                    claims.move_in(conn, plan.claim, step, actor, f"delivered on {plan.day}",
                                   delivered_on=plan.day, now=now)  # fmt: skip
    except ApiError as exc:
        plan.outcome, plan.reason, plan.steps = "bad", exc.message, []


def _result(plans: Iterable[_Plan]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": 0, "applied": [], "unchanged": [], "nothing": [], "bad": []}
    for p in plans:
        out["rows"] += 1
        if p.outcome == "bad":
            out["bad"].append({"line": p.line, "claim": p.claim, "reason": p.reason})
        if p.outcome == "applied":
            out["applied"].append({"line": p.line, "claim": p.claim, "steps": p.steps})
        if p.outcome in ("unchanged", "nothing"):
            out[p.outcome].append({"line": p.line, "claim": p.claim, "status": p.status})
    for step in ("dispatched", "delivered"):
        out[step] = sum(step in a["steps"] for a in out["applied"])
    return out | {"summary": summary(out)}


def summary(result: Mapping[str, Any]) -> str:
    """The import in a sentence, for the page and the command."""
    parts = []
    if result["dispatched"] or result["delivered"]:
        parts.append(
            f"{_count(result['dispatched'], 'claim')} dispatched, {result['delivered']} delivered"
        )
    else:
        parts.append("nothing changed")
    if result["unchanged"]:
        parts.append(f"{_count(len(result['unchanged']), 'row')} already recorded")
    if result["nothing"]:
        parts.append(f"{_count(len(result['nothing']), 'row')} with nothing to record yet")
    if result["bad"]:
        parts.append(
            f"{_count(len(result['bad']), 'bad row')}, listed by line: fix and import again"
        )
    said = "; ".join(parts)
    if not result["applied"] and not result["bad"] and result["unchanged"]:
        said += " (this file was imported before)"
    return said[:1].upper() + said[1:] + "."


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _key(carrier: str, tracking: str) -> tuple[str, str]:
    return " ".join(carrier.split()).casefold(), "".join(tracking.split()).casefold()


def _shown(cell: str) -> str:
    """A cell as a message may repeat it: at most 40 characters, none a control character."""
    cell = cell[:40]
    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in cell)


def _prizes(conn: Connection, campaign: str) -> dict[str, str] | None:
    """The campaign's tier descriptions ("Gold coin") by tier name; None for a campaign the
    server does not hold (claims can outlive it)."""
    data = conn.execute(select(campaigns.c.data).where(campaigns.c.id == campaign)).scalar()
    if data is None:
        return None
    tiers = json.loads(data).get("tiers", [])
    return {str(t.get("name")): str(t.get("description") or "") for t in tiers}


def _has_claims(conn: Connection, campaign: str) -> bool:
    query = select(prize_claims.c.number).where(prize_claims.c.campaign == campaign).limit(1)
    return conn.execute(query).first() is not None
