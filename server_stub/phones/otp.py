"""One-time passwords by SMS: a shopper proves a phone is theirs before playing, claiming a prize
or reading a claim's status.

A code is six digits from `secrets`, works for 10 minutes and once. The database keeps only
HMAC-SHA256 of it (bound to the phone and purpose), keyed with a pepper the server makes on first
use and keeps in the `meta` table. So a copy of `otp_codes` alone gives no code away; a copy of
the whole database does, since a million guesses against a known pepper take about a second.
What protects a code then is that it lives 10 minutes. Codes are compared in constant time and
never written anywhere else: not in a log line, not in an error, not in `sms_messages`.

Guessing: each try at a code is counted in one atomic statement before the code is compared, so
however many guesses arrive at once, in however many threads or server processes, at most five
are compared; the fifth wrong one ends the code. Only the newest code sent to a phone for a
purpose counts: asking for a new one ends the one before.

Sending is limited in the database (`limits.counters`), so the limits hold across every server
process: a new code for a phone and purpose no sooner than 60 s after the last; at most 5 codes
to a phone, 20 asked for from one address (an IPv6 client's /64) and 30 to one number prefix
(the number without its last four digits: numbers bought for SMS pumping come in such blocks)
in an hour. Each hourly limit is a window from its first code; the code that reaches the limit
holds the phone, address or prefix for an hour from then.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, select, update

from server_stub.database.connection import insert_ignore, reader, writing
from server_stub.database.schema import meta, otp_codes
from server_stub.errors import ApiError
from server_stub.limits import counters
from server_stub.limits.counters import Count, Limit
from server_stub.limits.throttle import address_key
from server_stub.notifications.sms import SmsGateway, send_sms
from server_stub.phones.numbers import masked, normalise_phone, prefix_of, region_of

__all__ = ["DEFAULT_WORDS", "PURPOSES", "Sent", "check_otp", "normalise_phone", "send_otp"]

LOG = logging.getLogger("instore.server.play")

# member: signing in at /member/; spend, register: a member at a till or kiosk (device_api)
PURPOSES = ("play", "claim", "status", "member", "spend", "register")
DIGITS = 6
LIFETIME_S = 600.0
MOST_TRIES = 5
KEEP_S = 86_400.0  # rows older than a day are purged
PURGE_EVERY_S = 60.0
PEPPER_KEY = "otp_pepper"
DEFAULT_WORDS = "Your code is {code}. It works for 10 minutes. Do not share it."

WAIT = Limit("otp_wait", 1, 60, 60, "codes")  # per phone and purpose
PER_PHONE = Limit("otp_phone", 5, 3600, 3600, "codes")
PER_ADDRESS = Limit("otp_address", 20, 3600, 3600, "codes")
PER_PREFIX = Limit("otp_prefix", 30, 3600, 3600, "codes")

_SIX_DIGITS = re.compile(r"\d{6}")
_purged = [0.0]  # when this process last purged old codes


@dataclass(frozen=True)
class Sent:
    sms_id: str
    expires: float  # when the code stops working


def send_otp(
    engine: Engine, gateway: SmsGateway, phone: str, purpose: str, source: str,
    countries: Iterable[str] = (), words: str = DEFAULT_WORDS, now: float | None = None,
) -> Sent:  # fmt: skip
    """Make a code for `phone` (E.164) and `purpose`, and text it in `words` (its "{code}"
    replaced). `source` is the address that asked; `countries` the campaign's ISO regions, empty
    for any. Raises ApiError: 422 bad_phone or country_not_served; 429 otp_wait or otp_limit
    with Retry-After; 503 sms_failed (then the shopper may ask again at once)."""
    _check_purpose(purpose)
    if words.count("{code}") != 1 or _SIX_DIGITS.search(words.replace("{code}", "")):
        raise ValueError("the words need {code} once and no other six-digit number")
    phone = normalise_phone(phone, "ZZ")  # already E.164: read again, never trusted
    served = {c.upper() for c in countries}
    if served and region_of(phone) not in served:
        raise ApiError(
            422, "country_not_served",
            "this campaign cannot send codes to phone numbers from that country",
        )  # fmt: skip
    now = time.time() if now is None else now
    checks = _checks(phone, purpose, address_key(source))
    with reader(engine).connect() as conn:  # whoever is held costs a read, not a write
        for limit, who in checks:
            seen = counters.peek(conn, limit, who, now)
            if seen is not None and seen.reached:
                raise _refused(limit, phone, Count(seen.n + 1, seen.ends, seen.most), now)
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    with writing(engine) as conn:
        for limit, who in checks:
            noted = source if limit in (PER_PHONE, PER_PREFIX) else None  # who pumped, for staff
            count = counters.take(conn, limit, who, now, source=noted)
            if not count.allowed:  # this transaction, every count in it, is rolled back
                raise _refused(limit, phone, count, now)
        row_id = conn.execute(
            otp_codes.insert()
            .values(
                phone=phone,
                purpose=purpose,
                code_hash=_hash(_pepper(conn), phone, purpose, code),
                created=now,
                expires=now + LIFETIME_S,
                tries=0,
            )
            .returning(otp_codes.c.id)
        ).scalar_one()
        if now - _purged[0] > PURGE_EVERY_S:
            _purged[0] = now
            conn.execute(delete(otp_codes).where(otp_codes.c.created < now - KEEP_S))
            counters.purge(conn, now)
    try:
        sms_id = send_sms(engine, gateway, phone, words.replace("{code}", code), kind="otp")
    except Exception:
        # not delivered (sms_failed, or the server failed on the way): no code to wait for, so the shopper may ask again at once; the hourly
        # counts stay, or a failing gateway would be an unlimited way to try numbers
        with writing(engine) as conn:
            conn.execute(delete(otp_codes).where(otp_codes.c.id == row_id))
            counters.clear(conn, WAIT, f"{purpose} {phone}")
        LOG.warning("one-time password to %s (%s) not sent", masked(phone), purpose)
        raise
    LOG.info("one-time password sent to %s (%s)", masked(phone), purpose)
    return Sent(sms_id, now + LIFETIME_S)


def check_otp(
    engine: Engine, phone: str, purpose: str, code: str, now: float | None = None
) -> None:
    """Return when `code` is the newest code sent to `phone` for `purpose`, and mark it used.
    Raises ApiError: 401 otp_wrong (with the tries left), 410 otp_expired (also once used),
    429 otp_spent (five wrong tries ended it), 404 otp_none (no code was sent)."""
    _check_purpose(purpose)
    now = time.time() if now is None else now
    typed = _digits(code)
    t = otp_codes
    with writing(engine) as conn:
        row = conn.execute(
            select(t.c.id, t.c.expires, t.c.tries, t.c.used)
            .where(t.c.phone == phone, t.c.purpose == purpose)
            .order_by(t.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise ApiError(404, "otp_none", "no code was sent to this number; ask for one")
        _refuse_unusable(row.used, row.expires, row.tries, now)
        # counted before it is compared, in one statement: a guess that finds no row left to
        # count is never compared, so at most MOST_TRIES ever are
        tries = conn.execute(
            update(t)
            .where(t.c.id == row.id, t.c.used.is_(None), t.c.expires > now,
                   t.c.tries < MOST_TRIES)
            .values(tries=t.c.tries + 1)
            .returning(t.c.tries, t.c.code_hash)
        ).first()  # fmt: skip
        if tries is None:  # another request used it or spent it since the read above
            again = conn.execute(select(t.c.used, t.c.expires, t.c.tries).where(t.c.id == row.id))
            latest = again.one()
            _refuse_unusable(latest.used, latest.expires, latest.tries, now)
            raise _spent()
        expected = _hash(_pepper(conn), phone, purpose, typed)
        if hmac.compare_digest(expected, tries.code_hash):
            conn.execute(update(t).where(t.c.id == row.id).values(used=now))
            return
        left = MOST_TRIES - int(tries.tries)
    if left <= 0:
        raise _spent()
    raise ApiError(401, "otp_wrong", f"wrong code, {left} {'try' if left == 1 else 'tries'} left")


def _checks(phone: str, purpose: str, address: str) -> list[tuple[Limit, str]]:
    """Each limit a new code passes, and whom it counts against; the wait first, so a shopper
    pressing "send again" early spends none of the hourly allowance."""
    return [
        (WAIT, f"{purpose} {phone}"),
        (PER_PHONE, phone),
        (PER_ADDRESS, address),
        (PER_PREFIX, prefix_of(phone)),
    ]


def _refused(limit: Limit, phone: str, count: Count, now: float) -> ApiError:
    wait = count.retry_after(now)
    headers = {"Retry-After": str(wait)}
    if limit is WAIT:
        return ApiError(
            429, "otp_wait", f"a code was sent a moment ago; you can ask for another in {wait} s",
            headers=headers,
        )  # fmt: skip
    whose = {
        PER_PHONE.what: "to this number",
        PER_ADDRESS.what: "from this connection",
        PER_PREFIX.what: "to numbers like this one",
    }[limit.what]
    LOG.warning("one-time password to %s refused: %d %s an hour", masked(phone), limit.most, whose)
    minutes = max(1, round(wait / 60))
    return ApiError(
        429, "otp_limit",
        f"too many codes were asked for {whose}; try again in {minutes} min", headers=headers,
    )  # fmt: skip


def _refuse_unusable(used: float | None, expires: float, tries: int, now: float) -> None:
    if used is not None:
        raise ApiError(410, "otp_expired", "this code was used already; ask for a new one")
    if tries >= MOST_TRIES:
        raise _spent()
    if expires <= now:
        raise ApiError(410, "otp_expired", "this code has expired; ask for a new one")


def _spent() -> ApiError:
    return ApiError(
        429, "otp_spent", "too many wrong codes: this code no longer works; ask for a new one"
    )


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"a one-time password's purpose is one of {PURPOSES}, not {purpose!r}")


def _digits(typed: str) -> str:
    """The digits of what was typed, in any script ("१२३ ४५६" is 123456); anything else is
    dropped, and what is not six digits simply does not match."""
    return "".join(
        str(d) for d in (unicodedata.decimal(c, None) for c in typed[:64]) if d is not None
    )


def _hash(pepper: bytes, phone: str, purpose: str, code: str) -> str:
    return hmac.new(pepper, f"{phone}\n{purpose}\n{code}".encode(), hashlib.sha256).hexdigest()


def _pepper(conn: Connection) -> bytes:
    """The server's key for code hashes, made on first use (two processes at once make one)."""
    find = select(meta.c.value).where(meta.c.key == PEPPER_KEY)
    value = conn.execute(find).scalar()
    if value is None:
        conn.execute(insert_ignore(conn, meta).values(key=PEPPER_KEY, value=secrets.token_hex(32)))
        value = conn.execute(find).scalar_one()
    return bytes.fromhex(value)
