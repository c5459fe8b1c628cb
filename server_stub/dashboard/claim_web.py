"""The prize office's claim page and forms over HTTP; what they do is prizes/verification.py, what
the page shows is claim_pages.py, the rest of the dashboard (sessions, CSRF, templates) web.py.

- GET /dashboard/claims/{number}: one claim (or ?format=json);
- POST /dashboard/claims/{number}/take: start its verification;
- POST /dashboard/claims/{number}/documents/{id}/checks: a document's checklist (a box's name
  sent: it passes);
- POST /dashboard/claims/{number}/decision: `decision` (approve, reject), `reason` (one of the
  list's, or words of one's own), `note` (free text), `csrf`;
- POST /dashboard/claims/bulk: `action` (take, approve, reject), each ticked `claim`, `reason`,
  `note`, `csrf`: the queue again, with a result per claim.

Every form needs its session's CSRF token. A refusal (two-person rule, a checklist not done) is
the claim's page again with the refusal's words and its status (403, 409, 422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from server_stub.accounts import sessions
from server_stub.dashboard import claim_pages
from server_stub.errors import ApiError
from server_stub.prizes import verification
from server_stub.prizes.documents import store_for
from server_stub.settings import ServerSettings
from server_stub.web_forms import same

MAX_FORM = 32 * 1024  # a note of 1,000 characters in any script, percent-encoded; 100 claims
MAX_FIELDS = 2 * verification.MAX_BULK
# what the claim's page says after a form went through: fixed words, never text from the link
DONE = {
    "taken": "Verification started.",
    "checked": "Checklist saved.",
    "recommended": "Recommendation saved: an approver decides it.",
    "decided": "Decision saved. The winner is told.",
}


async def fields(request: Request) -> dict[str, list[str]]:
    """A form's fields, each with every value sent (a bulk form ticks many claims); too large,
    too many fields or a NUL is refused in words."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ApiError(413, "too_large", f"The form is over {MAX_FORM // 1024} KB.")
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    except ValueError:
        raise ApiError(400, "bad_form", f"The form has more than {MAX_FIELDS} fields.") from None
    if any("\x00" in k or any("\x00" in v for v in vs) for k, vs in parsed.items()):
        raise ApiError(400, "bad_form", "The form holds a NUL character.")
    return parsed


def one(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0]


def mount(
    app: FastAPI, engine: Engine, signed_in: Callable[[Request], sessions.Session | None],
    settings: ServerSettings | None = None,
) -> None:  # fmt: skip
    from server_stub.dashboard import web  # web mounts this module: its names, once both exist

    store = store_for(settings or ServerSettings.from_environment(), str(engine.url))

    def claim_response(
        current: sessions.Session, number: str, status: int = 200, json: bool = False,
        **extra: Any,
    ) -> Response:  # fmt: skip
        data = claim_pages.claim_page(engine, store, current.viewer, number)
        if json:
            return web._secured(JSONResponse(data, status))
        title = f"Claim {data['claim']['number']}"
        return web._render("claim.html", status, title=title, here="claims", data=data,
                           csrf=current.csrf, viewer=current.viewer, **extra)  # fmt: skip

    @app.get("/dashboard/claims/{number}", include_in_schema=False)
    def claim(request: Request, number: str, format: str = "html", done: str = "") -> Response:
        current = signed_in(request)
        if current is None:
            if format == "json":
                return web._secured(JSONResponse({"error": "not_signed_in"}, 401))
            return web._secured(RedirectResponse("/dashboard/login", 303))
        return claim_response(current, number, json=format == "json", done=DONE.get(done))

    Action = Callable[[sessions.Session, dict[str, list[str]]], str]  # -> a key of DONE

    async def claim_form(request: Request, number: str, action: Action) -> Response:
        """A form about one claim, carried out for the signed-in person when it carries their
        session's CSRF token; then back to the claim's page, or that page with the refusal."""
        form = await fields(request)
        current = await run_in_threadpool(signed_in, request)
        if current is None:
            return web.error_page(401, "Your session ended. Sign in again.")
        if not same(current.csrf, one(form, "csrf")):
            return web.error_page(403, "The form had expired. Open the page again.")
        try:
            done = await run_in_threadpool(action, current, form)
        except ApiError as refused:
            if refused.status == 404 or refused.code == "not_for_stores":
                raise
            status, words = refused.status, refused.message
            return await run_in_threadpool(
                lambda: claim_response(current, number, status, error=words)
            )
        where = quote(number[:20], safe="-")
        return web._secured(RedirectResponse(f"/dashboard/claims/{where}?done={done}", 303))

    @app.post("/dashboard/claims/bulk", include_in_schema=False)
    async def bulk(request: Request) -> Response:
        form = await fields(request)
        current = await run_in_threadpool(signed_in, request)
        if current is None:
            return web.error_page(401, "Your session ended. Sign in again.")
        if not same(current.csrf, one(form, "csrf")):
            return web.error_page(403, "The form had expired. Open the page again.")

        def carried_out() -> Response:
            claim_pages.may_see_claims(current.viewer)
            status, refusal, results = 200, None, None
            try:
                results = verification.bulk(
                    engine, current.viewer, form.get("claim", []), one(form, "action"),
                    one(form, "reason"), one(form, "note"),
                )  # fmt: skip
            except ApiError as refused:
                status, refusal = refused.status, refused.message
            query = {k: one(form, k) for k in ("campaign", "tier", "state")}
            data = claim_pages.queue_page(engine, current.viewer, query) | {"results": results}
            return web._render("claims.html", status, title="Claims", here="claims", data=data,
                               csrf=current.csrf, viewer=current.viewer, error=refusal)  # fmt: skip

        return await run_in_threadpool(carried_out)

    @app.post("/dashboard/claims/{number}/take", include_in_schema=False)
    async def take(request: Request, number: str) -> Response:
        def started(current: sessions.Session, form: dict[str, list[str]]) -> str:
            verification.start(engine, current.viewer, number)
            return "taken"

        return await claim_form(request, number, started)

    @app.post("/dashboard/claims/{number}/documents/{document_id}/checks", include_in_schema=False)
    async def checks(request: Request, number: str, document_id: str) -> Response:
        def saved(current: sessions.Session, form: dict[str, list[str]]) -> str:
            ticked = [k for k in form if k in verification.CHECKS]
            verification.save_checks(engine, current.viewer, number, document_id, ticked)
            return "checked"

        return await claim_form(request, number, saved)

    @app.post("/dashboard/claims/{number}/decision", include_in_schema=False)
    async def decision(request: Request, number: str) -> Response:
        def acted(current: sessions.Session, form: dict[str, list[str]]) -> str:
            answer = verification.act(
                engine, current.viewer, number, one(form, "decision"), one(form, "reason"),
                one(form, "note"),
            )  # fmt: skip
            return "decided" if answer["decided"] else "recommended"

        return await claim_form(request, number, acted)
