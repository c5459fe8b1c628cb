"""The menu tree: each menu shows a screen (`screen`) and reads one input (`choose`), giving the
next place, a short note for the next screen, or the end of the session. Plain functions over a
`Visit` (a database connection inside the request's transaction, the phone, its member if any,
the language): no HTTP here, and tested without it.

    main menu (member)           main menu (no member yet)
      1. Balance                   1. Join -> language -> confirm
      2. Last 3 transactions       2. Prizes
      3. Prizes (paged, 9. More)   3. Check a code
      4. Check a code              0. Exit
      5. Language
      0. Exit

`0` goes back everywhere (from the main menu: exit). A letter where a number belongs, a number
that is no option, or an overlong input shows the same menu again with a short note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from server_stub.catalog.device_config import device_config, named_catalogue
from server_stub.limits import counters
from server_stub.limits.counters import Limit
from server_stub.loyalty import lots, members, partners
from server_stub.loyalty import program as program_rules
from server_stub.loyalty.members import Member
from server_stub.phones.numbers import masked
from server_stub.ussd import texts
from server_stub.ussd.code_check import CodeReader, CodeState
from server_stub.ussd.reply import LIMIT, Reply, clip, option
from server_stub.ussd.sessions import RESUME, ROOT, Place

MAX_INPUT = 64  # a menu number is one or two digits, a code about 20 characters
NAME_ROOM = 40  # a prize's or the program's name past this is cut
PARTNER_ROOM = 16
MORE = "9"
# codes that are not ours, per phone: a shopper mistypes a few, a guesser thousands
WRONG_CODES = Limit("ussd_wrong_code", 10, 3600, 3600, "codes that are not ours")

BALANCE, HISTORY, PRIZES, CODE, CODE_RESULT = "balance", "history", "prizes", "code", "code_result"
JOIN, JOIN_CONFIRM, LANGUAGE = "join", "join_confirm", "language"
MEMBER_ITEMS = (BALANCE, HISTORY, PRIZES, CODE, LANGUAGE)
GUEST_ITEMS = (JOIN, PRIZES, CODE)
MEMBER_ONLY = (BALANCE, HISTORY, LANGUAGE)
_OPTION_WORDS = {BALANCE: "option.balance", HISTORY: "option.history", PRIZES: "option.prizes",
                 CODE: "option.code", LANGUAGE: "option.language", JOIN: "option.join"}  # fmt: skip
_CODE_WORDS: dict[str, str] = {CodeState.UNUSED: "code.unused", CodeState.USED: "code.used",
               CodeState.ENDED: "code.ended", CodeState.NOT_STARTED: "code.not_started"}  # fmt: skip


@dataclass
class Visit:
    """One request's view: what the menus read and write, in its transaction."""

    conn: Connection
    phone: str
    member: Member | None
    lang: str
    now: float
    codes: CodeReader

    def say(self, key: str, **params: Any) -> str:
        return texts.say(self.lang, key, **params)

    def program_name(self) -> str:
        return clip(program_rules.program(self.conn).name, NAME_ROOM)


@dataclass(frozen=True)
class Turn:
    """What an input led to: the next place and a note for its screen, or the end."""

    place: Place
    note: str = ""
    end: str = ""  # the last words, when the session is over


def screen(v: Visit, place: Place, note: str = "") -> Reply:
    """The screen of `place`, with `note` above it (why the last input was not taken)."""
    place = fitting(v, place)
    reply = _SCREENS.get(place.menu, _root)(v, place, note)
    if note and place.menu != CODE:  # the code prompt says its own note in its place
        reply = Reply(f"{note}\n{reply.text}" if reply.text else note, reply.options, reply.end)
    return reply


def choose(v: Visit, place: Place, typed: str) -> Turn:
    typed = typed.strip()
    place = fitting(v, place)
    if len(typed) > MAX_INPUT:
        return Turn(place, v.say("note.too_long"))
    return _CHOICES.get(place.menu, _choose_root)(v, place, typed)


def fitting(v: Visit, place: Place) -> Place:
    """`place`, or the main menu when it is not for this caller: a member's own menus without a
    member (a session resumed after the member was erased), joining once a member."""
    if v.member is None and place.menu in MEMBER_ONLY:
        return Place()
    if v.member is not None and place.menu in (JOIN, JOIN_CONFIRM):
        return Place()
    return place


def start(v: Visit, cut_off: Place | None) -> Place:
    """Where a new session begins: the offer to continue, when an earlier one was cut off."""
    if cut_off is not None:
        return Place(RESUME, {"from": cut_off.as_dict()})
    return Place()


# -- reading a number ------------------------------------------------------------------------


def _number(v: Visit, place: Place, typed: str, most: int) -> int | Turn:
    """The option typed (0 to `most`), or the same place again with a note saying why not."""
    if not (
        typed.isascii() and typed.isdigit()
    ):  # an Arabic-Indic one is a digit to Python, not to a menu
        return Turn(place, v.say("note.not_a_number"))
    chosen = int(typed[:3])
    if chosen > most or len(typed) > 3:
        return Turn(place, v.say("note.no_such_choice"))
    return chosen


def _back_only(v: Visit, place: Place, typed: str) -> Turn:
    """An information screen: 0 goes back, anything else shows it again."""
    chosen = _number(v, place, typed, 0)
    return chosen if isinstance(chosen, Turn) else Turn(Place())


def _back(v: Visit) -> str:
    return option(0, v.say("option.back"))


# -- the main menu ---------------------------------------------------------------------------


def _items(v: Visit) -> tuple[str, ...]:
    return MEMBER_ITEMS if v.member else GUEST_ITEMS


def _root(v: Visit, place: Place, note: str) -> Reply:
    title = v.say("menu.member" if v.member else "menu.guest", program=v.program_name())
    options = [option(i, v.say(_OPTION_WORDS[item])) for i, item in enumerate(_items(v), 1)]
    return Reply(title, (*options, option(0, v.say("option.exit"))))


def _choose_root(v: Visit, place: Place, typed: str) -> Turn:
    items = _items(v)
    chosen = _number(v, Place(), typed, len(items))
    if isinstance(chosen, Turn):
        return chosen
    if chosen == 0:
        return Turn(Place(), end=v.say("end.bye"))
    return Turn(Place(items[chosen - 1]))


def _resume(v: Visit, place: Place, note: str) -> Reply:
    options = (option(1, v.say("option.continue")), option(2, v.say("option.restart")))
    return Reply(v.say("resume.title"), options)


def _choose_resume(v: Visit, place: Place, typed: str) -> Turn:
    chosen = _number(v, place, typed, 2)
    if isinstance(chosen, Turn):
        return chosen
    return Turn(Place.of(place.data.get("from")) if chosen == 1 else Place())


# -- a member's points -----------------------------------------------------------------------


def _balance(v: Visit, place: Place, note: str) -> Reply:
    assert v.member is not None  # fitting() sends a caller without one to the main menu
    held = lots.balance(v.conn, v.member.id, v.now)
    lines = [v.say("balance.points", available=held.available)]
    if held.pending:
        lines.append(v.say("balance.pending", pending=held.pending))
    today = datetime.fromtimestamp(v.now, UTC).date()
    for soon in held.expiring[:3]:  # the soonest first; the screen cuts what does not fit
        words = texts.day(v.lang, soon.on, today)
        lines.append(v.say("balance.expiring", points=soon.points, date=words))
    return Reply("\n".join(lines), (_back(v),))


def _history(v: Visit, place: Place, note: str) -> Reply:
    assert v.member is not None
    moves = lots.history(v.conn, v.member.id, 3)
    if not moves:
        return Reply(v.say("history.none"), (_back(v),))
    names: dict[str, str] = {}
    lines = [v.say("history.title")]
    for move in moves:
        partner = ""
        if move.partner_id:
            if move.partner_id not in names:
                found = partners.get(v.conn, move.partner_id)
                names[move.partner_id] = clip(
                    found.name if found else move.partner_id, PARTNER_ROOM
                )
            partner = names[move.partner_id]
        when = datetime.fromtimestamp(move.at, UTC).strftime("%d.%m")
        key = f"kind.{move.kind}" if f"kind.{move.kind}" in texts.catalogue("en") else "kind.other"
        what = v.say(key, partner=partner).strip()
        lines.append(f"{when} {move.points:+d} {what}")
    return Reply("\n".join(lines), (_back(v),))


def _language(v: Visit, place: Place, note: str) -> Reply:
    key = "join.choose_lang" if place.menu == JOIN else "language.choose"
    names = [option(i, texts.NAMES[lang]) for i, lang in enumerate(texts.LANGUAGES, 1)]
    return Reply(v.say(key), (*names, _back(v)))


def _choose_language(v: Visit, place: Place, typed: str) -> Turn:
    chosen = _number(v, place, typed, len(texts.LANGUAGES))
    if isinstance(chosen, Turn):
        return chosen
    if chosen == 0:
        return Turn(Place())
    lang = texts.LANGUAGES[chosen - 1]
    if place.menu == JOIN:
        v.lang = lang  # the confirmation is in the language chosen
        return Turn(Place(JOIN_CONFIRM, {"lang": lang}))
    if v.member is None:
        return Turn(Place())
    members.set_lang(v.conn, v.member.id, lang)
    v.lang = lang
    return Turn(Place(), texts.say(lang, "language.changed"))


# -- joining -----------------------------------------------------------------------------------


def _join_confirm(v: Visit, place: Place, note: str) -> Reply:
    v.lang = texts.known(place.data.get("lang"))
    words = v.say("join.confirm", program=v.program_name(), phone=masked(v.phone))
    return Reply(words, (option(1, v.say("option.yes")), _back(v)))


def _choose_join_confirm(v: Visit, place: Place, typed: str) -> Turn:
    v.lang = texts.known(place.data.get("lang"))
    chosen = _number(v, place, typed, 1)
    if isinstance(chosen, Turn):
        return chosen
    if chosen == 0:
        return Turn(Place(JOIN))
    # the gateway vouches for the number (the network says who dialled), so no password is asked
    # here; one phone is one member, so joining twice finds the first membership
    member, _ = members.register(v.conn, v.phone, lang=v.lang, via="ussd", now=v.now)
    v.member, v.lang = member, texts.known(member.lang)
    return Turn(Place(), v.say("join.done"))


# -- prizes ------------------------------------------------------------------------------------


def prize_pages(v: Visit) -> list[list[str]]:
    """The catalogue's lines, each prize with its supplier's name, a page each as many as fit
    one screen beside its title and options ("9. More", "0. Back"); a name too long is cut."""
    items = named_catalogue(v.conn, device_config(v.conn, "").catalogue)
    title = v.say("prizes.title")
    footer = len(option(MORE, v.say("option.more"))) + 1 + len(_back(v))
    room = LIMIT - len("CON ") - footer - 1
    pages: list[list[str]] = [[]]
    used = len(title)
    for item in items:
        name = clip(item.name, NAME_ROOM)
        line = (
            v.say("prizes.line_from", name=name, points=item.points,
                  partner=clip(item.partner_name, PARTNER_ROOM))
            if item.partner_name
            else v.say("prizes.line", name=name, points=item.points)
        )  # fmt: skip
        line = clip(line, room - len(title) - 1)
        if pages[-1] and used + 1 + len(line) > room:
            pages.append([])
            used = len(title)
        pages[-1].append(line)
        used += 1 + len(line)
    return pages


def _prizes(v: Visit, place: Place, note: str) -> Reply:
    pages = prize_pages(v)
    if not pages[0]:
        return Reply(v.say("prizes.none"), (_back(v),))
    page = min(_page(place), len(pages) - 1)
    more = (option(MORE, v.say("option.more")),) if page + 1 < len(pages) else ()
    return Reply("\n".join([v.say("prizes.title"), *pages[page]]), (*more, _back(v)))


def _choose_prizes(v: Visit, place: Place, typed: str) -> Turn:
    page = _page(place)
    if typed == MORE and page + 1 < len(prize_pages(v)):
        return Turn(Place(PRIZES, {"page": page + 1}))
    chosen = _number(v, place, typed, 0)
    if isinstance(chosen, Turn):
        return chosen
    return Turn(Place(PRIZES, {"page": page - 1}) if page > 0 else Place())


def _page(place: Place) -> int:
    page = place.data.get("page", 0)
    return page if isinstance(page, int) and page >= 0 else 0


# -- checking a code ---------------------------------------------------------------------------


def _code(v: Visit, place: Place, note: str) -> Reply:
    return Reply(note or v.say("code.prompt"), (_back(v),))


def _choose_code(v: Visit, place: Place, typed: str) -> Turn:
    if typed == "0":
        return Turn(Place())
    if not typed:
        return Turn(place)
    held = counters.peek(v.conn, WRONG_CODES, v.phone, v.now)
    if held is not None and held.reached:
        return Turn(place, end=v.say("code.too_many"))
    answer = v.codes.check(v.conn, typed, v.now)
    if answer.wrong:
        counters.take(v.conn, WRONG_CODES, v.phone, v.now)
        key = "code.mistyped" if answer.state is CodeState.MISTYPED else "code.not_ours"
        return Turn(place, v.say(key))
    return Turn(Place(CODE_RESULT, {"state": answer.state.value, "code": answer.code}))


def _code_result(v: Visit, place: Place, note: str) -> Reply:
    key = _CODE_WORDS.get(str(place.data.get("state")), "code.used")
    words = v.say(key, code=str(place.data.get("code", ""))[:32])
    return Reply(words, (option(1, v.say("option.another_code")), _back(v)))


def _choose_code_result(v: Visit, place: Place, typed: str) -> Turn:
    chosen = _number(v, place, typed, 1)
    if isinstance(chosen, Turn):
        return chosen
    return Turn(Place(CODE) if chosen == 1 else Place())


_SCREENS: dict[str, Callable[[Visit, Place, str], Reply]] = {
    ROOT: _root, RESUME: _resume, BALANCE: _balance, HISTORY: _history, PRIZES: _prizes,
    CODE: _code, CODE_RESULT: _code_result, JOIN: _language, LANGUAGE: _language,
    JOIN_CONFIRM: _join_confirm,
}  # fmt: skip
_CHOICES: dict[str, Callable[[Visit, Place, str], Turn]] = {
    ROOT: _choose_root, RESUME: _choose_resume, BALANCE: _back_only, HISTORY: _back_only,
    PRIZES: _choose_prizes, CODE: _choose_code, CODE_RESULT: _choose_code_result,
    JOIN: _choose_language, LANGUAGE: _choose_language, JOIN_CONFIRM: _choose_join_confirm,
}  # fmt: skip
