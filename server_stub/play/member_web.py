"""The member's page at /member/: routes that read the request, call the page functions
(`member_pages`) and render a template, or answer JSON with `?format=json`. Works without
JavaScript, in the shopper's web's four languages and look.

A visit is play's kind (`visits`: a token in a cookie, its hash stored, CSRF on every form),
under cookies of its own scoped to /member, confirmed by a one-time password of purpose
"member" (the limits of `phones.otp` hold: a code a minute, five an hour to a phone, twenty from
an address). `/member/` walks a visit through a phone number, its password, then the member's
page; a phone that is no member yet is offered to join, in a language it chooses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from server_stub.errors import ApiError
from server_stub.notifications.sms import SmsGateway
from server_stub.phones import otp
from server_stub.play import i18n, member_pages, pages, visits
from server_stub.play.forms import read_form, same
from server_stub.play.visits import Visit

HERE = Path(__file__).parent
PATH = "/member"
COOKIE = "instore_member"
LANG_COOKIE = "instore_member_lang"
FORM_COOKIE = "instore_member_form"  # the CSRF token of a visit not stored yet
PURPOSE = "member"
CSS = HERE / "static" / "member.css"

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
)


class MemberDesk:
    """The member's page's routes over the engine, the address a request came from and the
    SMS gateway the passwords go through."""

    def __init__(self, engine: Engine, gateway: SmsGateway, source: Any) -> None:
        self.engine, self.gateway, self._source = engine, gateway, source

    # -- the request's parts -------------------------------------------------------------------

    def asked_lang(self, request: Request) -> str | None:
        """The language the reader chose here (?lang=, or its cookie); None when none."""
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return asked if asked in i18n.LANGUAGES else None

    def lang(self, request: Request, member_lang: str | None = None) -> str:
        """The language chosen here, else the member's own, else the browser's, else English."""
        chosen = self.asked_lang(request)
        if chosen:
            return chosen
        if member_lang in i18n.LANGUAGES:
            return str(member_lang)
        return i18n.pick(None, request.headers.get("accept-language", ""))

    def visit(self, request: Request) -> Visit:
        found = visits.find(self.engine, request.cookies.get(COOKIE, ""))
        return found or visits.anonymous(request.cookies.get(FORM_COOKIE, ""))

    # -- pages ---------------------------------------------------------------------------------

    def step_data(self, visit: Visit, page: int = 1, **more: Any) -> tuple[str, dict[str, Any]]:
        """The template and data of the step the visit is at."""
        if visit.phone:
            data = member_pages.page_data(self.engine, visit.phone, time.time(), page)
            template = {"join": "member_join.html", "blocked": "member_blocked.html"}.get(
                data["step"], "member.html"
            )
            return template, {**data, **more}
        if visit.pending_phone:
            return "member_otp.html", {"step": "otp", "phone": pages.masked(
                visit.pending_phone), **more}  # fmt: skip
        return "member_phone.html", {"step": "phone", **more}

    def home(self, request: Request) -> Response:
        visit = self.visit(request)
        template, data = self.step_data(visit, _page(request))
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
            data = {**data, "error": {"code": error.code, "message": error.message}}
            return self.render(request, template, visit, data, error.status, error.headers)
        return self.render(request, template, visit, data)

    def answered(
        self, request: Request, form: dict[str, str] | None
    ) -> tuple[Visit, str, dict[str, Any], ApiError | None]:
        """The visit, then the page after the form's step; a refusal comes back with the page
        of the step the visit is at, and why."""
        visit = self.visit(request)
        try:
            if form is None:
                return (visit, *self.step_data(visit), None)
            if not same(visit.csrf, form.get("csrf", "")):
                raise ApiError(403, "bad_csrf", "The page had expired. Please try again.")
            visit, more = self.step(request, visit, form)
            return (visit, *self.step_data(visit, **more), None)
        except ApiError as exc:
            return (visit, *self.step_data(visit), exc)

    def step(
        self, request: Request, visit: Visit, form: dict[str, str]
    ) -> tuple[Visit, dict[str, Any]]:
        """Carry out what the form asks; the visit afterwards and what the page adds."""
        lang = self.lang(request)
        if "leave" in form:
            visits.end(self.engine, visit.token)
            return visits.anonymous(), {"left": True}
        if "join" in form and visit.phone:
            chosen = form.get("lang", "")
            if chosen not in i18n.LANGUAGES:
                raise ApiError(422, "bad_lang", "Choose one of the languages listed.")
            _, made = member_pages.join(self.engine, visit.phone, chosen, time.time())
            if not made:  # registering again finds the first, in the language it chose
                return visit, {"already": True}
            return visit, {"joined": True, "chosen_lang": chosen}
        if visit.phone:  # signed in: another number only after signing out
            return visit, {}
        if "change" in form:
            return visits.await_phone(self.engine, visit, ""), {}
        if "otp" in form and visit.pending_phone:
            otp.check_otp(self.engine, visit.pending_phone, PURPOSE, form["otp"].strip())
            return visits.confirm(self.engine, visit, visit.pending_phone), {"welcome": True}
        if "resend" in form and visit.pending_phone:
            self.send_password(request, visit.pending_phone, lang)
            return visit, {"resent": True}
        if "phone" in form:
            phone = otp.normalise_phone(form["phone"], member_pages.typed_region(self.engine, lang))
            self.send_password(request, phone, lang)
            return visits.await_phone(self.engine, visit, phone), {}
        return visit, {}

    def send_password(self, request: Request, phone: str, lang: str) -> None:
        words = i18n.say(lang, "sms.otp", code="{code}")
        otp.send_otp(self.engine, self.gateway, phone, PURPOSE, source=self._source(request),
                     words=words)  # fmt: skip

    def render(
        self, request: Request, template: str, visit: Visit, data: dict[str, Any],
        status: int = 200, headers: Mapping[str, str] | None = None,
    ) -> Response:  # fmt: skip
        """The page (or its data as JSON with ?format=json), in the language chosen here, a
        language just chosen to join in, or the member's own; the visit's cookie renewed."""
        lang = data.get("chosen_lang") or self.lang(request, data.get("member_lang"))
        if request.query_params.get("format") == "json":
            body = json.dumps({k: v for k, v in data.items() if k != "csrf"}, default=str)
            response: Response = Response(body, status, media_type="application/json")
        else:
            say = i18n.translator(lang)
            html = _templates.get_template(template).render(
                t=say, lang=lang, csrf=visit.csrf, languages=_languages(),
                language_links=_language_links(request),
                day=lambda on: member_pages.day_words(say, on, _today()),
                error_words=_error_words(lang, data.get("error"), headers or {}), **data,
            )  # fmt: skip
            response = HTMLResponse(html, status)
        response.headers.update(headers or {})
        response.headers["Cache-Control"] = "no-store"  # a member's points, on a shared phone
        secure = request.url.scheme == "https"
        if visit.token:
            response.set_cookie(COOKIE, visit.token, max_age=visits.IDLE_S, httponly=True,
                                samesite="lax", path=PATH, secure=secure)  # fmt: skip
        else:
            if request.cookies.get(COOKIE):  # signed out (or ended): the old cookie goes
                response.delete_cookie(COOKIE, path=PATH, secure=secure, httponly=True,
                                       samesite="lax")  # fmt: skip
            response.set_cookie(FORM_COOKIE, visit.csrf, max_age=visits.IDLE_S, httponly=True,
                                samesite="lax", path=PATH, secure=secure)  # fmt: skip
        chosen = request.query_params.get("lang") or data.get("chosen_lang")
        if chosen in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, str(chosen), max_age=365 * 86400, httponly=True,
                                samesite="lax", path=PATH, secure=secure)  # fmt: skip
        return response


def _page(request: Request) -> int:
    """The history page asked for; anything that is not a page number is the first."""
    asked = request.query_params.get("page", "1")
    return int(asked) if asked.isdigit() and len(asked) < 4 else 1


def _today() -> date:
    return datetime.now(UTC).date()  # the days shown are UTC days, as the lots' expiry


def _languages() -> list[tuple[str, str]]:
    return [(code, i18n.say(code, "language.name")) for code in i18n.LANGUAGES]


def _language_links(request: Request) -> list[tuple[str, str, str]]:
    """This page in each language (the history page kept)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in ("page",)]
    return [
        (code, f"{PATH}/?{urlencode([*kept, ('lang', code)])}", i18n.say(code, "language.name"))
        for code in i18n.LANGUAGES
    ]


def _error_words(lang: str, error: Any, headers: Mapping[str, str]) -> str:
    """A refusal in the reader's language, with the wait it names; the server's own words where
    the catalogue has none for that code."""
    if not error:
        return ""
    key = f"error.{error['code']}"
    if key not in i18n.catalogue("en"):
        return str(error["message"])
    return i18n.say(lang, key, seconds=headers.get("Retry-After", "60"), date="")


def mount(app: FastAPI, engine: Engine, gateway: SmsGateway, source: Any) -> None:
    """GET and POST /member/ (and /member to it), and the page's stylesheet. `source(request)`:
    the address a request came from (the server's trusted-proxy rule)."""
    desk = MemberDesk(engine, gateway, source)
    app.add_api_route(f"{PATH}/", desk.home, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{PATH}/", desk.act, methods=["POST"], include_in_schema=False)

    @app.get(PATH, include_in_schema=False)
    def slash() -> Response:
        return RedirectResponse(f"{PATH}/", 303)

    @app.get(f"{PATH}/static/member.css", include_in_schema=False)
    def css() -> Response:
        response = FileResponse(CSS, media_type="text/css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
