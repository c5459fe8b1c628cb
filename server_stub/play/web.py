"""The shopper's web at /play/: routes that read the request, call the engine and the page
functions, and render a template (or answer JSON with `?format=json`). Works without JavaScript.

Every form posts with the visit's CSRF token in the hidden field `csrf`. `/play/` walks a visit
through its steps: a phone number, its one-time password, then codes one after another.
`/play/claim` files a prize claim, `/play/status` shows where one stands.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from server_stub.database.connection import OneConnection
from server_stub.device_api.recheck import Rechecker
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError
from server_stub.notifications.sms import SmsGateway
from server_stub.phones import otp
from server_stub.play import i18n, pages, prize_names, visits, web_redeem, winners
from server_stub.play.claim_form import ClaimDesk
from server_stub.play.forms import read_form, same
from server_stub.play.prize_names import PrizeNames
from server_stub.play.visits import Visit
from server_stub.prizes.documents import DocumentStore

HERE = Path(__file__).parent
COOKIE = "instore_play"
LANG_COOKIE = "instore_play_lang"
FORM_COOKIE = "instore_play_form"  # the CSRF token of a visit not stored yet
STATIC = {"play.css": "text/css"}
RECHECK_S = 1.0  # how long the campaigns read stay this process's view of them
FONTS = HERE / "static" / "fonts"

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
)


class Play:
    """The routes' shared parts: the engine, the device service (its campaign ciphers and the
    address a request came from), the SMS gateway and the document store."""

    def __init__(
        self, engine: Engine, service: SyncService, gateway: SmsGateway, store: DocumentStore
    ) -> None:
        self.engine, self.service, self.gateway = engine, service, gateway
        self.checkers = web_redeem.CheckerCache()
        self.claims = ClaimDesk(self, store)
        self._rechecker: tuple[float, Rechecker, PrizeNames] | None = None
        self._lock = threading.Lock()

    # -- the request's parts -------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return i18n.pick(asked, request.headers.get("accept-language", ""))

    def source(self, request: Request) -> str:
        return self.service.throttle.source(request)

    def visit(self, request: Request, db: OneConnection | None = None) -> Visit:
        """The visit behind the cookie, or an anonymous one (nothing stored until a password
        is sent). `db`: the request's one connection, when it has one."""
        found = visits.find(db or self.engine, request.cookies.get(COOKIE, ""))
        return found or visits.anonymous(request.cookies.get(FORM_COOKIE, ""))

    def rechecker(self) -> Rechecker:
        """The campaigns' ciphers, asked of the database at most once a second: each asking was
        a connection and a query, a tenth of a code entry's work. A campaign changed in another
        server process shows here within that second."""
        return self._campaigns()[1]

    def prize_names(self) -> PrizeNames:
        """The campaigns' prizes in shoppers' words, read with the ciphers (as fresh)."""
        return self._campaigns()[2]

    def _campaigns(self) -> tuple[float, Rechecker, PrizeNames]:
        now = time.monotonic()
        held = self._rechecker
        if held is not None and now - held[0] < RECHECK_S:
            return held
        with self.engine.connect() as conn:
            fresh = self.service.rechecker(conn)
            held = (now, fresh, prize_names.read(conn, fresh))
        with self._lock:
            self._rechecker = held
        return held

    def render(
        self, request: Request, template: str, visit: Visit, data: dict[str, Any],
        status: int = 200, headers: Mapping[str, str] | None = None,
    ) -> Response:  # fmt: skip
        """The page, or its data as JSON with ?format=json; the visit's cookie renewed."""
        lang = self.lang(request)
        if request.query_params.get("format") == "json":
            body = json.dumps({k: v for k, v in data.items() if k != "csrf"}, default=str)
            response: Response = Response(body, status, media_type="application/json")
        else:
            links = [
                (
                    code,
                    _same_page(request, code, data.get("carried") or {}),
                    i18n.say(code, "language.name"),
                )
                for code in i18n.LANGUAGES
            ]
            html = _templates.get_template(template).render(
                t=i18n.translator(lang), lang=lang, language_links=links, csrf=visit.csrf,
                error_words=_error_words(lang, data.get("error"), headers or {}), **data,
            )  # fmt: skip
            response = HTMLResponse(html, status)
        response.headers.update(headers or {})
        secure = request.url.scheme == "https"
        if visit.token:
            response.set_cookie(COOKIE, visit.token, max_age=visits.IDLE_S, httponly=True,
                                samesite="lax", path="/play", secure=secure)  # fmt: skip
        else:  # the anonymous visit's form token, compared with the form's (double submit)
            response.set_cookie(FORM_COOKIE, visit.csrf, max_age=visits.IDLE_S, httponly=True,
                                samesite="lax", path="/play", secure=secure)  # fmt: skip
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                                path="/play", secure=secure)  # fmt: skip
        return response

    def refused(
        self, request: Request, template: str, visit: Visit, data: dict[str, Any], exc: ApiError
    ) -> Response:
        """The page again, saying why in the shopper's language (the server's words when the
        catalogue has none for that code)."""
        error = {"code": exc.code, "message": exc.message, "key": f"error.{exc.code}"}
        return self.render(
            request, template, visit, {**data, "error": error}, exc.status, exc.headers
        )

    # -- /play/ ------------------------------------------------------------------------------

    def step_data(
        self, visit: Visit, lang: str, db: OneConnection | None = None, **more: Any,
    ) -> tuple[str, dict[str, Any]]:  # fmt: skip
        """Which step the visit is at, and its page's data in `lang`."""
        if visit.phone:
            codes = pages.codes_so_far(db or self.engine, self.prize_names(), visit.phone, lang)
            return "codes.html", {"step": "codes", "phone": pages.masked(visit.phone),
                                  "codes": codes, **more}  # fmt: skip
        if visit.pending_phone:
            return "otp.html", {"step": "otp", "phone": pages.masked(visit.pending_phone), **more}
        return "phone.html", {"step": "phone", **more}

    def home(self, request: Request) -> Response:
        with OneConnection(self.engine) as db:
            visit = self.visit(request, db)
            template, data = self.step_data(visit, self.lang(request), db=db)
        return self.render(request, template, visit, data)

    async def act(self, request: Request) -> Response:
        form: dict[str, str] | None = None
        unread: ApiError | None = None
        try:
            form = await read_form(request)
        except ApiError as exc:
            unread = exc
        visit, template, data, error = await run_in_threadpool(self.answered, request, form)
        error = error or unread
        if error is not None:
            return self.refused(request, template, visit, data, error)
        return self.render(request, template, visit, data)

    def answered(
        self, request: Request, form: dict[str, str] | None
    ) -> tuple[Visit, str, dict[str, Any], ApiError | None]:
        """The visit, the form's step and the page after it, in one trip to a worker thread
        (each trip cost a code entry a tenth of a millisecond); a refusal comes back with the
        page of the step the visit is at. No form: one that could not be read. One connection
        for all of it (OneConnection)."""
        with OneConnection(self.engine) as db:
            visit = self.visit(request, db)
            try:
                if form is None:
                    return (visit, *self.step_data(visit, self.lang(request), db=db), None)
                if not same(visit.csrf, form.get("csrf", "")):
                    raise ApiError(403, "bad_csrf", "The page had expired. Please try again.")
                visit, template, data = self.answer(request, visit, form, db)
            except ApiError as exc:
                return (visit, *self.step_data(visit, self.lang(request), db=db), exc)
        return visit, template, data, None

    def answer(
        self, request: Request, visit: Visit, form: dict[str, str],
        db: OneConnection | None = None,
    ) -> tuple[Visit, str, dict[str, Any]]:  # fmt: skip
        """The step the form asks for, then the page after it. With a confirmed phone (a code
        entry, then the codes so far) the campaigns are read once for both: each reading is a
        connection and a query, and a code entry made three."""
        rechecker = self.rechecker() if visit.phone else None
        visit, more = self.step(request, visit, form, rechecker, db)
        return (visit, *self.step_data(visit, self.lang(request), db, **more))

    def step(
        self, request: Request, visit: Visit, form: dict[str, str],
        rechecker: Rechecker | None = None, db: OneConnection | None = None,
    ) -> tuple[Visit, dict[str, Any]]:  # fmt: skip
        """Carry out what the form asks; the visit afterwards and what the page adds. `db`: the
        request's one connection, which a code entry uses; the other steps open their own, so
        it is given back first."""
        lang = self.lang(request)
        if db is not None and not ("code" in form and visit.phone):
            db.release()
        if "leave" in form:
            visits.end(self.engine, visit.token)
            return visits.anonymous(), {}
        if "change" in form:  # another number
            return visits.await_phone(self.engine, visit, ""), {}
        if "code" in form and visit.phone:
            rechecker = rechecker or self.rechecker()
            # a voucher won goes to the phone by SMS too, through the outbox (web_redeem)
            entry = web_redeem.redeem(
                db or self.engine, rechecker, self.checkers.checker(rechecker),
                visit.phone, form["code"], self.source(request), lang,
            )  # fmt: skip
            shown = pages.entry_data(entry, self.prize_names(), lang, _today())
            return visit, {"entry": shown, "typed": form["code"][:60]}
        if "otp" in form and visit.pending_phone:
            otp.check_otp(self.engine, visit.pending_phone, "play", form["otp"].strip())
            return visits.confirm(self.engine, visit, visit.pending_phone), {"welcome": True}
        if "resend" in form and visit.pending_phone:
            self.send_password(request, visit.pending_phone, "play")
            return visit, {"resent": True}
        if "phone" in form:
            phone = otp.normalise_phone(form["phone"], self.region(lang))
            self.send_password(request, phone, "play")
            return visits.await_phone(self.engine, visit, phone), {}
        return visit, {}

    def send_password(self, request: Request, phone: str, purpose: str) -> None:
        words = i18n.say(self.lang(request), "sms.otp", code="{code}")
        otp.send_otp(
            self.engine, self.gateway, phone, purpose, source=self.source(request),
            countries=self.countries(), words=words,
        )  # fmt: skip

    def region(self, lang: str) -> str:
        """Where a number typed without its country code is read as from: the campaigns' one
        country when they name one, else the shopper's language's (Russian: Russia, Kazakh:
        Kazakhstan), else India."""
        countries = self.countries()
        if len(countries) == 1:
            return countries[0]
        return {"ru": "RU", "kk": "KZ"}.get(lang, "IN")

    def countries(self) -> tuple[str, ...]:
        """Where this server's campaigns send SMS: every campaign's list together; a campaign
        without a list allows any country."""
        campaigns = [c.campaign for c in self.rechecker().ciphers.values()]
        if not campaigns or any(not c.sms_countries for c in campaigns):
            return ()
        return tuple(sorted({r for c in campaigns for r in c.sms_countries}))


def _today() -> date:
    return datetime.now(UTC).date()


def _same_page(request: Request, lang: str, carried: Mapping[str, str]) -> str:
    """This page in another language: its path and query, and the win a claim form is for.
    Written here rather than by `URL.include_query_params`, which parsed and rebuilt the whole
    URL for each of the four links: a third of a code entry's rendering."""
    given = {**carried, "lang": lang}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in given]
    return f"{request.url.path}?{urlencode(kept + list(given.items()))}"


def _error_words(lang: str, error: Any, headers: Mapping[str, str]) -> str:
    """A refusal in the shopper's language, with the date or the wait it names; the server's own
    words where the catalogue has none for that code."""
    if not error:
        return ""
    if error["key"] not in i18n.catalogue("en"):
        return str(error["message"])
    dated = re.search(r"\d{4}-\d{2}-\d{2}", error["message"])
    return i18n.say(
        lang, error["key"], date=pages.unbroken(dated.group(0)) if dated else "",
        seconds=headers.get("Retry-After", "60"),
    )  # fmt: skip


def wants_page(request: Request) -> bool:
    """Whether an error should be a shopper's page: anything under /play/ but its files."""
    path = request.url.path
    return (path == "/play" or path.startswith("/play/")) and not path.startswith("/play/static/")


def error_page(request: Request, exc: ApiError) -> Response:
    """A refusal no route of ours answered (no such page, a method not allowed), in words."""
    lang = i18n.pick(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE),
                     request.headers.get("accept-language", ""))  # fmt: skip
    error = {"code": exc.code, "message": exc.message, "key": f"error.{exc.code}"}
    html = _templates.get_template("error.html").render(
        t=i18n.translator(lang), lang=lang, csrf="", error=error, language_links=[],
        error_words=_error_words(lang, error, exc.headers),
    )  # fmt: skip
    return HTMLResponse(html, exc.status, exc.headers)


def mount(
    app: FastAPI, engine: Engine, service: SyncService, gateway: SmsGateway, store: DocumentStore
) -> None:
    play = Play(engine, service, gateway, store)
    Route = Callable[..., Any]
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/play/", play.home), ("POST", "/play/", play.act),
        ("GET", "/play/claim", play.claims.page), ("POST", "/play/claim", play.claims.post),
        ("GET", "/play/status", play.claims.status), ("POST", "/play/status", play.claims.status_post),
        ("GET", "/play/winners", winners.WinnersPage(play).page),
    ]  # fmt: skip
    for method, path, route in routes:
        app.add_api_route(path, route, methods=[method], include_in_schema=False)

    @app.get("/play", include_in_schema=False)
    def slash() -> Response:
        return RedirectResponse("/play/", 303)

    @app.get("/play/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            return Response("not found", 404)
        response = FileResponse(HERE / "static" / name, media_type=STATIC[name])
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @app.get("/play/static/fonts/{name}", include_in_schema=False)
    def font(name: str) -> Response:
        if name not in {p.name for p in FONTS.glob("*.ttf")}:
            return Response("not found", 404)
        response = FileResponse(FONTS / name, media_type="font/ttf")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
