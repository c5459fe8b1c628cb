"""The dashboard's HTTP face at /dashboard/: sign-in, sessions, CSRF and security headers, and
each page's function (dashboard_pages) rendered by its template or answered as JSON.

Routes only translate. Every page asks the session who is signed in, and the page function
narrows what it shows to what that person may see.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import secrets
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi import Path as InPath
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from server_stub import metrics
from server_stub.accounts import lockout, sessions, users
from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard import (
    alert_pages,
    claim_pages,
    claim_web,
    demo_phone,
    dispatch_pages,
    dispatch_web,
    documents,
    hourly_chart,
    locks,
    lookup,
    outbox_pages,
    pages,
    settlement_pages,
)
from server_stub.errors import ApiError
from server_stub.limits.throttle import SIGN_IN_ADDRESS, Throttle
from server_stub.records import maker_checker, reports
from server_stub.security_headers import HEADERS
from server_stub.settings import ServerSettings
from server_stub.web_forms import read_form, same

HERE = Path(__file__).parent
COOKIE = "instore_session"
LOGIN_COOKIE = "instore_login"  # the sign-in form's CSRF token, before there is a session
MAX_FORM = 4096  # bytes: the longest form (a conflict's note) is 2,000 characters
MAX_FIELDS = 20
RowId = Annotated[int, InPath(ge=1, le=2**31 - 1)]  # a database id; larger is no row at all

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
)
_templates.globals["ago"] = pages.ago
_templates.globals["hourly_chart"] = hourly_chart.chart
_templates.filters["when"] = pages.when_text
_templates.filters["device_time"] = pages.device_time_text
_STATIC = {
    "dashboard.css": "text/css",
    "dashboard.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}

# what the sign-in page says after a refusal: fixed words, never text from the link
SIGN_IN_ERRORS = {
    "wrong": "Wrong username or password.",
    "locked": "This account is locked for 30 minutes after too many wrong passwords.",
}

Page = Callable[[Engine, Viewer, Mapping[str, str]], dict[str, Any]]


def stores_only(viewer: Viewer) -> None:
    """The stores' pages and forms are not the prize office's (its work is the claims), nor a
    partner's (it sees its settlement only)."""
    if viewer.in_prize_office:
        raise ApiError(
            403, "stores_only", "This page is for the stores; the prize office works under Claims."
        )
    if viewer.partner_only:
        raise ApiError(403, "stores_only", "This page is for the stores; see Settlement.")


def _of_the_stores(function: Page) -> Page:
    def page(engine: Engine, viewer: Viewer, query: Mapping[str, str]) -> dict[str, Any]:
        stores_only(viewer)
        return function(engine, viewer, query)

    return page


PAGES: dict[str, tuple[str, str, Page]] = {  # path -> (title, template, function of the query)
    "": ("Overview", "overview.html", _of_the_stores(lambda e, v, _: pages.overview(e, v))),
    "devices": ("Stores and devices", "devices.html",
                _of_the_stores(lambda e, v, _: pages.stores_and_devices(e, v))),
    "conflicts": ("Conflicts", "conflicts.html", _of_the_stores(pages.conflicts_page)),
    "lookup": ("Lookup", "lookup.html",
               _of_the_stores(lambda e, v, q: lookup.lookup(e, v, q.get("q", "")))),
    "reports": ("Reports", "reports.html", _of_the_stores(pages.reports_page)),
    "claims": ("Claims", "claims.html", claim_pages.queue_page),
    "dispatch": ("Dispatch", "dispatch.html", dispatch_pages.dispatch_page),
    "alerts": ("Alerts", "alerts.html", _of_the_stores(alert_pages.alerts_page)),
    "outbox": ("Messages", "outbox.html", outbox_pages.outbox_page),
    "locks": ("Sign-in locks", "locks.html", locks.locks_page),
    "settlement": ("Settlement", "settlement.html", settlement_pages.settlement_page),
}  # fmt: skip
_STORES = frozenset(Role) - users.OFFICE - {Role.PARTNER}
# whose menu shows each page; each page function refuses everyone else itself
MENU_ROLES: dict[str, frozenset[Role]] = {
    "": _STORES,
    "devices": _STORES,
    "conflicts": _STORES,
    "lookup": _STORES,
    "reports": _STORES,
    "alerts": _STORES,
    "claims": frozenset(Role) - {Role.STORE_MANAGER, Role.PARTNER},
    "dispatch": frozenset({Role.ADMIN, Role.LOGISTICS}),
    "outbox": frozenset({Role.ADMIN, Role.HELPDESK}),
    "locks": frozenset({Role.ADMIN}),
    "settlement": frozenset({Role.ADMIN, Role.CAMPAIGN_MANAGER, Role.PARTNER}),
}
# where the prize office lands at /dashboard/: its own work, not the stores' overview
HOME: dict[Role, str] = {
    Role.VERIFIER: "/dashboard/claims",
    Role.APPROVER: "/dashboard/claims",
    Role.LOGISTICS: "/dashboard/dispatch",
    Role.PARTNER: "/dashboard/settlement",
}


def _secured(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def page_html(template: str, **context: Any) -> str:
    viewer = context.get("viewer")
    role = viewer.role if isinstance(viewer, Viewer) else None
    menu = {p: page for p, page in PAGES.items() if role in MENU_ROLES[p]}
    return _templates.get_template(template).render(pages=menu, **context)


def _render(template: str, status: int = 200, **context: Any) -> Response:
    return _secured(HTMLResponse(page_html(template, **context), status))


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", path="/dashboard",
        secure=request.url.scheme == "https",
    )  # fmt: skip


async def _form(request: Request) -> dict[str, str]:
    """A form's fields, each once (`web_forms.read_form`); a NUL is refused too (400), said on
    a page."""
    form = await read_form(request, MAX_FORM, MAX_FIELDS)
    if any("\x00" in k or "\x00" in v for k, v in form.items()):
        raise ApiError(400, "bad_form", "The form holds a NUL character.")
    return form


def wants_page(request: Request) -> bool:
    """Whether an error should be a page: a person's request at the dashboard, not its JSON."""
    path = request.url.path
    return (
        (path == "/dashboard" or path.startswith("/dashboard/"))
        and request.query_params.get("format") != "json"
        and not path.startswith("/dashboard/static/")
    )


def error_page(status: int, message: str) -> Response:
    return _render("error.html", status, viewer=None, message=message)


def _yield_cpu() -> None:
    """A password-check thread gives way to the server's others (Linux: a thread is a task)."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def mount(
    app: FastAPI, engine: Engine, throttle: Throttle, settings: ServerSettings | None = None
) -> None:
    def signed_in(request: Request) -> sessions.Session | None:
        return sessions.session(engine, request.cookies.get(COOKIE, ""))

    @app.get("/dashboard/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in _STATIC:
            return _secured(Response("not found", 404))
        return _secured(FileResponse(HERE / "static" / name, media_type=_STATIC[name]))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # browsers ask for it beside any page, the JSON ones too
        return _secured(FileResponse(HERE / "static" / "icon.svg", media_type="image/svg+xml"))

    def login_page(request: Request, error: str | None, status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        response = _render("login.html", status, csrf=token, error=error, viewer=None)
        _cookie(response, request, LOGIN_COOKIE, token, 3600)
        return response

    @app.get("/dashboard/login", include_in_schema=False)
    def login_form(request: Request, error: str = "") -> Response:
        return login_page(request, SIGN_IN_ERRORS.get(error))

    # argon2 takes a core for ~50 ms a check: checks run in threads of their own, at most half
    # the cores, at low CPU priority; a sign-in may wait a little, a till's sync never does
    password_checks = ThreadPoolExecutor(
        max(1, (os.cpu_count() or 2) // 2), "password-check", initializer=_yield_cpu
    )

    @app.get("/dashboard", include_in_schema=False)
    def home() -> Response:  # a path, never a URL: the Host header is the client's to write
        return _secured(RedirectResponse("/dashboard/", 303))

    @app.post("/dashboard/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _form(request)
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not same(expected, form.get("csrf", "")):
            return _render("error.html", 403, viewer=None,
                           message="The form had expired. Open the sign-in page again.")  # fmt: skip
        source, name = throttle.source(request), form.get("username", "")
        if await run_in_threadpool(lockout.is_locked, engine, name):  # refused unchecked: a read
            metrics.sign_in_refused("locked")
            return _secured(RedirectResponse("/dashboard/login?error=locked", 303))
        try:  # counted per address, then per name (users.sign_in); see throttle and lockout
            async with throttle.attempt(SIGN_IN_ADDRESS, source) as attempt:
                check = partial(
                    users.sign_in, engine, name, form.get("password", ""), source=source
                )
                viewer = await asyncio.get_running_loop().run_in_executor(password_checks, check)
                attempt.succeeded()
        except users.SignInRefused as refused:
            metrics.wrong_credential("dashboard password", 0.0)
            metrics.sign_in_refused(refused.why)
            error = "locked" if refused.why.startswith("locked") else "wrong"
            return _secured(RedirectResponse(f"/dashboard/login?error={error}", 303))
        except ApiError as held:  # this address is past its wrong passwords: 429, Retry-After
            if held.status != 429:
                raise
            metrics.held_back("dashboard password")
            page = login_page(request, held.message[:1].upper() + held.message[1:] + ".", 429)
            page.headers.update(held.headers)
            return page
        token = await run_in_threadpool(sessions.open_session, engine, viewer.id)
        response = RedirectResponse("/dashboard/", 303)
        _cookie(response, request, COOKIE, token, sessions.IDLE_S * 48)
        response.delete_cookie(LOGIN_COOKIE, path="/dashboard")
        return _secured(response)

    @app.post("/dashboard/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        """Ends the session at the server, CSRF token or not: a forged sign-out from another
        site only signs the person out, and a sign-out that left the session alive would
        leave a stolen cookie working."""
        token = request.cookies.get(COOKIE, "")
        if token:
            await run_in_threadpool(sessions.close_session, engine, token)  # off the event loop
        response = RedirectResponse("/dashboard/login", 303)
        response.delete_cookie(COOKIE, path="/dashboard")
        return _secured(response)

    def page(path: str, shown: tuple[str, str, Page] | None = None) -> None:
        title, template, function = shown or PAGES[path]

        def show(request: Request, format: str = "html") -> Response:
            current = signed_in(request)
            if current is None:
                if format == "json":
                    return _secured(JSONResponse({"error": "not_signed_in"}, 401))
                return _secured(RedirectResponse("/dashboard/login", 303))
            if path == "" and format != "json" and current.viewer.role in HOME:
                return _secured(RedirectResponse(HOME[current.viewer.role], 303))
            data = function(engine, current.viewer, request.query_params)
            if format == "json":
                return _secured(Response(json.dumps(data, default=str), 200,
                                         media_type="application/json"))  # fmt: skip
            return _render(template, title=title, here=path, data=data, csrf=current.csrf,
                           viewer=current.viewer)  # fmt: skip

        app.add_api_route(f"/dashboard/{path}", show, methods=["GET"], include_in_schema=False)

    for path in PAGES:
        page(path)
    if settings is not None and settings.demo_phone_dir:  # `instore demo`'s server only
        folder = Path(settings.demo_phone_dir)
        page("demo-phone", ("Demo phone", "demo_phone.html",
                            lambda _, viewer, query: demo_phone.phone_page(folder, viewer, query)))  # fmt: skip
    documents.mount(app, engine, signed_in, settings)  # a claim's documents, to those who verify
    claim_web.mount(app, engine, signed_in, settings)  # one claim, its decision and checklist
    dispatch_web.mount(app, engine, signed_in, settings)  # the shipping partner's CSV in and out

    @app.get("/dashboard/reports.csv", include_in_schema=False)
    def report_csv(request: Request) -> Response:
        current = signed_in(request)
        if current is None:
            return _secured(RedirectResponse("/dashboard/login", 303))
        stores_only(current.viewer)
        page = pages.reports_page(engine, current.viewer, request.query_params)
        header, rows = reports.to_csv_rows(page["result"])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        name = f"{page['what']}-by-{page['by']}.csv"
        response = Response(out.getvalue(), 200, media_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return _secured(response)

    Action = Callable[[sessions.Session, dict[str, str]], object]

    async def conflict_form(
        request: Request, action: Action, back: str = "/dashboard/conflicts"
    ) -> Response:
        """A form (conflicts, unlocks): carried out for the signed-in person when it carries
        their session's CSRF token, then back to its page; what refuses it is said on a page."""
        form = await _form(request)
        current = await run_in_threadpool(signed_in, request)
        try:
            if current is None:
                raise ApiError(401, "not_signed_in", "Your session ended. Sign in again.")
            if not same(current.csrf, form.get("csrf", "")):
                raise ApiError(403, "bad_csrf", "The form had expired. Open the page again.")
            stores_only(current.viewer)  # a conflict is a store's; the unlock is admins' anyway
            await run_in_threadpool(action, current, form)
        except ApiError as exc:
            return _render("error.html", exc.status, viewer=None, message=exc.message)
        return _secured(RedirectResponse(back, 303))

    @app.post("/dashboard/conflicts/{conflict_id}/propose", include_in_schema=False)
    async def propose(request: Request, conflict_id: RowId) -> Response:
        return await conflict_form(
            request,
            lambda current, form: maker_checker.propose(
                engine, current.viewer, conflict_id, form.get("action", ""), form.get("note", "")
            ),
        )

    @app.post("/dashboard/proposals/{proposal_id}/decide", include_in_schema=False)
    async def decide(request: Request, proposal_id: RowId) -> Response:
        return await conflict_form(
            request,
            lambda current, form: maker_checker.decide(
                engine, current.viewer, proposal_id, form.get("decision") == "approve"
            ),
        )

    @app.post("/dashboard/locks/unlock", include_in_schema=False)
    async def unlock(request: Request) -> Response:
        return await conflict_form(
            request,
            lambda current, form: locks.unlock(engine, current.viewer, form),
            "/dashboard/locks",
        )
