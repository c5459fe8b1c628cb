"""The HTTP face of the server (FastAPI). Routes only translate; the work is in server functions."""

from __future__ import annotations

import gc
import hmac
import json
import os
import sys
import time
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from server_stub import metrics
from server_stub.accounts.users import Role, Viewer
from server_stub.admin import device_control
from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.dashboard import dispatch_web, pages, web
from server_stub.database.connection import admin_token
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError, describe, unstorable
from server_stub.limits.throttle import ADMIN_TOKEN
from server_stub.notifications import delivery, sms
from server_stub.play import claim_form, member_web
from server_stub.play import web as play_web
from server_stub.prizes import documents
from server_stub.records import conflicts, reports
from server_stub.request_layers import (
    BodyLimit,
    RequestTimer,
    configure_logging,
    error_response,
    log_request,
)
from server_stub.security_headers import HEADERS, SecurityHeaders
from server_stub.settings import ServerSettings
from server_stub.ussd import web as ussd_web
from sync import protocol
from sync.protocol import (
    MAX_BATCH,
    BalanceRequest,
    BalanceResponse,
    ClaimRequest,
    ClaimResponse,
    CodeSendRequest,
    CodeSent,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    Ident,
    Name,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
    ReleaseRequest,
    ReleaseResponse,
    SpendConfirmation,
    SpendConfirmRequest,
    WireEvent,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": words}
    for status, words in (
        (400, "not JSON"), (401, "not signed, badly signed, replayed or the clock is off"),
        (403, "revoked"), (404, "no such thing"), (409, "already so"), (413, "too large"),
        (422, "not what this endpoint takes"),
        (429, "too many wrong tokens from this address; Retry-After says when to try again"),
        (503, "the database is unavailable"),
    )
}  # fmt: skip


# a filter's text: no control characters (C0 or C1), which no stored id holds and PostgreSQL
# cannot compare (NUL), so the schema says so and such a request is refused as invalid
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"


class NewStore(BaseModel):
    id: Ident = Field(min_length=1, max_length=64)
    name: Name = Field(min_length=1, max_length=200)


class NewDevice(BaseModel):
    store: Ident = Field(min_length=1, max_length=64)
    name: Name = Field(min_length=1, max_length=200)


class Resolution(BaseModel):
    action: conflicts.Action
    by: Name = Field(min_length=1, max_length=128)
    note: Name = Field(min_length=1, max_length=2000)


DATABASE_VARIABLE = "INSTORE_SERVER_DB"  # how `instore server --workers N` hands workers its --db
LOG_LEVEL_VARIABLE = "INSTORE_LOG_LEVEL"  # ... and its --log-level
METRICS_TOKEN_VARIABLE = "INSTORE_METRICS_TOKEN_FILE"  # ... and its --metrics-token-file


def metrics_token(path: str | None) -> str | None:
    """The token in a --metrics-token-file (its first line), or None without one."""
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        token = f.readline().strip()
    if len(token) < 16:
        raise ApiError(422, "weak_token", f"{path}: the metrics token needs 16 characters or more")
    return token


def app_from_environment() -> FastAPI:
    """The app in a worker process that uvicorn started (it can pass no objects, only names)."""
    from server_stub.database.connection import open_engine

    configure_logging(os.environ.get(LOG_LEVEL_VARIABLE, "info"))
    token = metrics_token(os.environ.get(METRICS_TOKEN_VARIABLE))
    engine = open_engine(os.environ[DATABASE_VARIABLE])
    service = SyncService(engine, ServerSettings.from_environment())
    app = create_app(engine, service, metrics_token=token)
    tune_garbage_collector()
    tune_thread_switching()
    return app


def tune_garbage_collector() -> None:
    """For a server process, once it has started.

    A 500-event push makes tens of thousands of short-lived objects. With Python's default
    thresholds the collector ran many times per push, walking the objects of every earlier
    generation: a quarter of a push's time. Reference counting frees these objects anyway; the
    collector only needs to run now and then, and never over what start-up made (frozen).
    """
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


SWITCH_INTERVAL_S = 0.001  # Python's default is 0.005


def tune_thread_switching() -> None:
    """For a server process: a thread waiting for the interpreter lock takes it after 1 ms of
    another thread's running, not Python's 5. A request's thread waits for the lock after each
    answer from the database while other requests' threads run Python. /play/'s code entries in
    bench/play_bench.py on a loaded machine, four runs of each in turn: p95 94, 62, 54 and 229
    ms at 1 ms, 198, 117, 85 and 167 ms at 5 ms; the server's CPU a code no higher."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def create_app(
    engine: Engine, service: SyncService | None = None, metrics_token: str | None = None
) -> FastAPI:
    """The app; /metrics answers this machine, and with `metrics_token` whoever presents it."""
    service = service or SyncService(engine)

    def _source(request: Request) -> str:
        """The address a request came from: X-Forwarded-For only from a trusted proxy."""
        return service.throttle.source(request)

    # No /docs page: it loads its scripts from a CDN, blank in a store without internet.
    # /openapi.json describes the API; any OpenAPI viewer reads it. No redirect from a path
    # with or without its last slash: Starlette's names the host the client claimed.
    app = FastAPI(
        title="instore server", version=str(protocol.PROTOCOL_VERSION), responses=ERRORS,
        docs_url=None, redoc_url=None, redirect_slashes=False,
    )  # fmt: skip
    streamed = {
        "/play/claim": claim_form.HARD_LIMIT,
        dispatch_web.IMPORT_PATH: dispatch_web.HARD_LIMIT,
    }
    app.add_middleware(BodyLimit, streamed=streamed)
    app.add_middleware(RequestTimer, observers=(log_request, metrics.observe_request))
    app.add_middleware(SecurityHeaders)
    with engine.connect() as conn:
        token = admin_token(conn)
    web.mount(app, engine, service.throttle, service.settings)
    play_web.mount(
        app, engine, service, sms.gateway_for(service.settings.sms_gateway),
        documents.store_for(service.settings, engine.url.render_as_string(hide_password=False)),
    )  # fmt: skip
    member_web.mount(
        app, engine, sms.gateway_for(service.settings.sms_gateway), service.throttle.source
    )
    ussd_web.mount(app, engine, service)

    def refusal(request: Request, exc: ApiError) -> Response:
        """An error as a page for a person at the dashboard, as JSON for everyone else."""
        if web.wants_page(request):
            return web.error_page(exc.status, exc.message)
        if play_web.wants_page(request):
            return play_web.error_page(request, exc)
        return error_response(exc)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return refusal(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return refusal(request, ApiError(422, "bad_request", describe(exc.errors())))

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)  # SQLite's word for an integer past 64 bits
    async def unstorable_value(request: Request, exc: Exception) -> Response:
        return refusal(request, unstorable())

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return refusal(request, ApiError(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """A fault of the server's own: said without a traceback, with the usual headers (this
        answer leaves outside every middleware); the traceback goes to the log."""
        words = "the server failed to answer this request; it is in the server's log"
        response = refusal(request, ApiError(500, "server_error", words))
        response.headers.update(HEADERS)
        return response

    # -- devices (signed) -------------------------------------------------------------------

    async def relay(request: Request) -> Response:
        body = await request.body()
        began = time.perf_counter()
        status, answer, headers = await run_in_threadpool(
            service.handle, request.method, request.url.path, request.headers, body,
            _source(request),
        )  # fmt: skip
        if request.url.path == "/v1/claim":
            metrics.claimed(status, time.perf_counter() - began)
        elif request.url.path == "/v1/enroll" and status in (401, 429):
            if status == 401:
                metrics.wrong_credential("enrollment token", 0.0)
            else:
                metrics.held_back("enrollment token")
        return Response(answer, status, headers, media_type="application/json")

    for path, model, answer, summary in (
        ("/v1/enroll", EnrollRequest, EnrollResponse, "Trade a one-time token for identity, keys and rules"),
        ("/v1/push", PushRequest, PushResponse, "Send up to 500 events; a verdict for each"),
        ("/v1/pull", PullRequest, PullResponse, "Changes since the device's cursor"),
        ("/v1/claim", ClaimRequest, ClaimResponse, "Claim a code before redeeming it online"),
        ("/v1/balance", BalanceRequest, BalanceResponse, "A member's balance at the server"),
        ("/v1/release", ReleaseRequest, ReleaseResponse, "Give back a claim the device could not save"),
        ("/v1/otp/send", CodeSendRequest, CodeSent, "Text a member a one-time password (a spend, a registration)"),
        ("/v1/otp/confirm", SpendConfirmRequest, SpendConfirmation, "A spend's token for the member's right code"),
        ("/v1/members/register", RegisterRequest, RegisterResponse, "Find a member by phone, or register one with the code"),
    ):  # fmt: skip
        app.add_api_route(
            path, relay, methods=["POST"], summary=summary, responses={200: {"model": answer}},
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}},
        )  # fmt: skip

    # -- admin (bearer token) ---------------------------------------------------------------

    async def admin_only(request: Request, authorization: Annotated[str, Header()] = "") -> None:
        """Counted per address before the token is compared: past its wrong tokens an address
        gets 429 whatever it sends. Async, so waiting its turn holds no thread (see throttle)."""
        try:
            async with service.throttle.attempt(ADMIN_TOKEN, _source(request)) as attempt:
                # as bytes: compare_digest refuses a str with non-ASCII text a client may send
                if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
                    metrics.wrong_credential("admin token", 0.0)
                    raise ApiError(
                        401, "not_admin", "this needs the admin token (Authorization: Bearer ...)"
                    )
                attempt.succeeded()
        except ApiError as exc:
            if exc.status == 429:
                metrics.held_back("admin token")
            raise

    guarded = [Depends(admin_only)]

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    everyone = Viewer(0, "metrics", Role.ADMIN)

    def database_state() -> dict[str, float]:
        tiles = pages.overview(engine, everyone)["tiles"]
        return {
            "conflicts_open": tiles["open_conflicts"],
            "devices_silent": tiles["devices_silent"],
        }

    throttle = service.throttle
    metrics.mount(app, metrics_token, throttle.hold, throttle.failed, database_state, _source)

    @app.get("/v1/admin/stores", dependencies=guarded)
    def stores() -> list[dict[str, Any]]:
        return store_setup.list_stores(engine)

    @app.post("/v1/admin/stores", dependencies=guarded)
    def new_store(body: NewStore) -> dict[str, Any]:
        return store_setup.create_store(engine, body.id, body.name)

    @app.get("/v1/admin/campaigns", dependencies=guarded)
    def campaigns() -> list[dict[str, Any]]:
        return campaign_setup.list_campaigns(engine)

    @app.get("/v1/admin/devices", dependencies=guarded)
    def devices() -> list[dict[str, Any]]:
        return enrollment.list_devices(engine)

    @app.post("/v1/admin/devices", dependencies=guarded)
    def enroll(body: NewDevice) -> dict[str, Any]:
        return enrollment.enroll_device(engine, body.store, body.name)

    @app.post("/v1/admin/devices/{device_id}/revoke", dependencies=guarded)
    def revoke(device_id: str) -> dict[str, Any]:
        return device_control.revoke_device(engine, device_id)

    @app.get("/v1/admin/conflicts", dependencies=guarded)
    def conflict_list(
        state: Literal["open", "resolved"] | None = None,
        kind: conflicts.Kind | None = None,
        store: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
    ) -> list[dict[str, Any]]:
        return conflicts.list_conflicts(engine, state, kind, store)

    @app.post("/v1/admin/conflicts/{conflict_id}/resolve", dependencies=guarded)
    def resolve(
        conflict_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: Resolution
    ) -> dict[str, Any]:
        return conflicts.resolve(engine, conflict_id, body.action, body.by, body.note)

    @app.get("/v1/admin/reports/{what}", dependencies=guarded)
    def report(what: reports.ReportName, by: reports.GroupName = "day") -> dict[str, Any]:
        return reports.report(engine, what, by)

    # -- the SMS gateway's delivery reports (bearer $INSTORE_SMS_TOKEN) ----------------------

    sms_token = sms.gateway_token()  # $INSTORE_SMS_TOKEN

    def sms_gateway_only(request: Request, authorization: Annotated[str, Header()] = "") -> None:
        delivery.check_token(authorization, sms_token, throttle, _source(request))

    # not in /openapi.json (the devices' and admins' API): a gateway's, described in
    # docs/operations.md, and its 503 without a token is no fault of the server's
    @app.post("/v1/sms/report", dependencies=[Depends(sms_gateway_only)], include_in_schema=False)
    def sms_report(body: delivery.Report) -> dict[str, Any]:
        return delivery.record_report(engine, body.id, body.status)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (EnrollRequest, PushRequest, WireEvent, PullRequest, ClaimRequest,
                          BalanceRequest, ReleaseRequest, CodeSendRequest, SpendConfirmRequest,
                          RegisterRequest):  # fmt: skip
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            # the server reads each pushed event alone (one malformed event is rejected by
            # itself), so the model takes any items; the spec still says what an event is
            events = components["PushRequest"]["properties"]["events"]
            events.update(items={"$ref": "#/components/schemas/WireEvent"}, maxItems=MAX_BATCH)
            app.openapi_schema = json.loads(json.dumps(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
