"""People who sign in to the dashboard: their roles, what each may see, passwords; the lockout
after wrong passwords is `lockout`'s.

Roles: `admin` manages users, stores and devices and sees everything; `campaign_manager` sees
their campaigns in every store; `store_manager` sees only their stores; `helpdesk` reads
everything and may propose conflict resolutions, nothing more. The prize office works on prize
claims only: a `verifier` checks a claim's documents and recommends approving or rejecting it,
an `approver` decides a recommendation someone else made, `logistics` ships approved prizes.
A `partner` is one company of the loyalty coalition (a user_scopes row of kind `partner`) and
sees its own settlement figures, nothing else.
Every page and form asks `Viewer` what the signed-in person may see; nothing is filtered in a
template.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from server_stub.accounts.lockout import LOCK_AFTER as LOCK_AFTER  # read here by callers
from server_stub.accounts.lockout import LOCK_S as LOCK_S
from server_stub.accounts.lockout import SIGN_IN, locked_names
from server_stub.database.connection import reader, writing
from server_stub.database.loyalty_tables import partners
from server_stub.database.schema import stores, user_scopes, users, web_sessions
from server_stub.errors import ApiError, not_found
from server_stub.limits import counters

# argon2id at the OWASP floor's memory (19 MiB) and above: about 50 ms a check on this machine
HASHER = PasswordHasher(time_cost=2, memory_cost=24 * 1024, parallelism=1)
MIN_PASSWORD = 10


class Role(StrEnum):
    ADMIN = "admin"
    CAMPAIGN_MANAGER = "campaign_manager"
    STORE_MANAGER = "store_manager"
    HELPDESK = "helpdesk"
    # the prize office: checks a claim's documents and recommends; decides a recommendation
    # made by someone else; ships approved prizes
    VERIFIER = "verifier"
    APPROVER = "approver"
    LOGISTICS = "logistics"
    # one coalition partner's people: its own settlement figures only (loyalty/settlement.py)
    PARTNER = "partner"


OFFICE = frozenset({Role.VERIFIER, Role.APPROVER, Role.LOGISTICS})  # the prize office's roles


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and what they may see."""

    id: int
    username: str
    role: Role
    stores: frozenset[str] = field(default_factory=frozenset)
    campaigns: frozenset[str] = field(default_factory=frozenset)
    partners: frozenset[str] = field(default_factory=frozenset)  # a partner user's one partner

    @property
    def sees_every_store(self) -> bool:
        return self.role not in (Role.STORE_MANAGER, Role.PARTNER)  # a partner: no store at all

    @property
    def sees_every_campaign(self) -> bool:
        return self.role not in (Role.CAMPAIGN_MANAGER, Role.PARTNER)

    # -- the coalition's settlement (dashboard/settlement_pages.py) -----------------------------

    @property
    def partner_only(self) -> bool:
        """Sees its partner's settlement and nothing else of the dashboard."""
        return self.role is Role.PARTNER

    @property
    def sees_settlement(self) -> bool:
        return self.role in (Role.ADMIN, Role.CAMPAIGN_MANAGER, Role.PARTNER)

    @property
    def sees_every_partner(self) -> bool:
        return self.role in (Role.ADMIN, Role.CAMPAIGN_MANAGER)

    def may_see_store(self, store_id: str) -> bool:
        return self.sees_every_store or store_id in self.stores

    def may_see_campaign(self, campaign_id: str | None) -> bool:
        return self.sees_every_campaign or campaign_id in self.campaigns

    @property
    def may_approve(self) -> bool:
        """Approve a resolution someone else proposed (every role may propose one)."""
        return self.role in (Role.ADMIN, Role.CAMPAIGN_MANAGER)

    # -- the prize office (prizes/verification.py, dashboard/claim_pages.py) --------------------

    @property
    def in_prize_office(self) -> bool:
        """Works on prize claims only: no store's pages (overview, devices, conflicts, lookup,
        reports)."""
        return self.role in OFFICE

    @property
    def sees_claims(self) -> bool:
        """The claims queue and a claim's status and timeline; a store manager's stores ship
        no prizes."""
        return self.role not in (Role.STORE_MANAGER, Role.PARTNER)

    @property
    def sees_claim_documents(self) -> bool:
        """A claim's invoice and ID: those who check or decide claims, nobody else."""
        return self.role in (Role.ADMIN, Role.VERIFIER, Role.APPROVER)

    @property
    def sees_claim_contact(self) -> bool:
        """A winner's phone, email, postal address and ID number whole; everyone else who sees
        the claim (helpdesk, campaign manager) sees them masked."""
        return self.role in (Role.ADMIN, Role.VERIFIER, Role.APPROVER, Role.LOGISTICS)

    @property
    def may_verify(self) -> bool:
        """Start a claim's verification, fill its checklists, recommend approve or reject."""
        return self.role in (Role.ADMIN, Role.VERIFIER)

    @property
    def may_decide_claims(self) -> bool:
        """Decide a claim on a recommendation someone else made."""
        return self.role in (Role.ADMIN, Role.APPROVER)


class SignInRefused(Exception):
    """Wrong name or password, or the account is locked or disabled: said alike to the caller."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ApiError(422, "weak_password", f"a password needs at least {MIN_PASSWORD} characters")


def create_user(
    engine: Engine, username: str, password: str, role: str,
    store_ids: Sequence[str] = (), campaign_ids: Sequence[str] = (),
    partner_ids: Sequence[str] = (),
) -> dict[str, object]:  # fmt: skip
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ApiError(422, "bad_username", "a username is 1 to 64 characters, no spaces")
    try:
        chosen = Role(role)
    except ValueError:
        raise ApiError(422, "bad_role", f"role must be one of {', '.join(Role)}") from None
    if chosen is Role.STORE_MANAGER and not store_ids:
        raise ApiError(422, "no_store", "a store manager needs at least one --store")
    if chosen is Role.CAMPAIGN_MANAGER and not campaign_ids:
        raise ApiError(422, "no_campaign", "a campaign manager needs at least one --campaign")
    if (chosen is Role.PARTNER) != (len(set(partner_ids)) == 1):
        raise ApiError(
            422, "one_partner", "a partner user, and only a partner user, needs one --partner"
        )
    _check_password(password)
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise ApiError(409, "user_exists", f"there is already a user {username!r}")
        known = {r.id for r in conn.execute(select(stores.c.id))}
        unknown = sorted(set(store_ids) - known)
        if unknown:
            raise not_found(f"store {unknown[0]!r}")
        for partner_id in set(partner_ids):
            if (
                conn.execute(select(partners.c.id).where(partners.c.id == partner_id)).first()
                is None
            ):
                raise not_found(f"partner {partner_id!r}")
        user_id = conn.execute(
            insert(users).values(
                username=username, password_hash=HASHER.hash(password), role=chosen.value,
                created=time.time(),
            ).returning(users.c.id)
        ).scalar_one()  # fmt: skip
        scopes = [
            {"user_id": user_id, "kind": "store", "value": s} for s in dict.fromkeys(store_ids)
        ]
        scopes += [
            {"user_id": user_id, "kind": "campaign", "value": c}
            for c in dict.fromkeys(campaign_ids)
        ]
        scopes += [{"user_id": user_id, "kind": "partner", "value": p} for p in set(partner_ids)]
        if scopes:
            conn.execute(insert(user_scopes), scopes)
    return {"id": user_id, "username": username, "role": chosen.value,
            "stores": list(store_ids), "campaigns": list(campaign_ids),
            "partners": sorted(set(partner_ids))}  # fmt: skip


def list_users(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        scopes: dict[int, dict[str, list[str]]] = {}
        for s in conn.execute(select(user_scopes).order_by(user_scopes.c.value)):
            scopes.setdefault(s.user_id, {"store": [], "campaign": [], "partner": []})[
                s.kind
            ].append(s.value)
        locked = locked_names(engine)
        return [
            {
                "username": r.username, "role": r.role, "disabled": bool(r.disabled),
                "locked": r.username in locked,
                "stores": scopes.get(r.id, {}).get("store", []),
                "campaigns": scopes.get(r.id, {}).get("campaign", []),
                "partners": scopes.get(r.id, {}).get("partner", []),
            }
            for r in conn.execute(select(users).order_by(users.c.username))
        ]  # fmt: skip


def _user_id(conn: Connection, username: str) -> int:
    row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
    if row is None:
        raise not_found(f"user {username!r}")
    return int(row.id)


def disable_user(engine: Engine, username: str) -> dict[str, object]:
    """The account stops working at once: its sessions end."""
    with engine.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
        ended = conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount
    return {"username": username, "disabled": True, "sessions_ended": ended}


def reset_password(engine: Engine, username: str, password: str) -> dict[str, object]:
    """A new password; the lock is lifted and every session of the old one ends."""
    _check_password(password)
    with engine.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=HASHER.hash(password))
        )
        counters.clear(conn, SIGN_IN, username)
        conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
    return {"username": username, "password": "reset"}


# A hash to check against when the name is unknown, so a wrong name takes as long as a wrong
# password and does not tell which names exist.
_NOBODY = HASHER.hash("no such user, no such password")


def sign_in(
    engine: Engine, username: str, password: str, now: float | None = None, source: str = ""
) -> Viewer:
    """The person, if the password is theirs and the account usable; else SignInRefused.

    The attempt is counted before the password is checked (lockout.SIGN_IN, one atomic
    statement), and only an attempt the count allows is checked: however many arrive at once,
    no more than LOCK_AFTER are tried before the name is locked for LOCK_S. A right password
    wipes the count. A name nobody has goes the same way, against a stand-in hash, so the
    answer and its time are the same as for a real name. `source` (the address) is noted for
    the admins' list of locked accounts."""
    now = time.time() if now is None else now
    name = username[:64]
    with reader(engine).connect() as conn:  # a NUL is in no name, and PostgreSQL refuses one
        row = None if "\x00" in name else conn.execute(
            select(users).where(users.c.username == name)
        ).first()  # fmt: skip
    count = counters.attempt(engine, SIGN_IN, name, source, now)
    if not count.allowed:
        raise SignInRefused("locked")
    good = _verify(_NOBODY if row is None else row.password_hash, password)
    if good and row is not None and not row.disabled:
        with writing(engine) as conn:
            counters.clear(conn, SIGN_IN, name)
            return viewer(conn, int(row.id))
    if count.reached:
        raise SignInRefused("locked now")
    raise SignInRefused("unknown user" if row is None else "disabled" if good else "wrong password")


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def viewer(conn: Connection, user_id: int) -> Viewer:
    row = conn.execute(select(users).where(users.c.id == user_id)).one()
    scopes = conn.execute(select(user_scopes).where(user_scopes.c.user_id == user_id)).all()
    return Viewer(
        int(row.id), row.username, Role(row.role),
        frozenset(s.value for s in scopes if s.kind == "store"),
        frozenset(s.value for s in scopes if s.kind == "campaign"),
        frozenset(s.value for s in scopes if s.kind == "partner"),
    )  # fmt: skip
