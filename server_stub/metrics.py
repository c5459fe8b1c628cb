"""What an operator's Prometheus reads at /metrics, and who may read it.

Requests by route template (never the raw path: a scanner trying ten thousand paths adds no
series) and status, and their latency; wrong tokens and the answers the throttle held back;
dashboard sign-ins refused and accounts locked; events ingested by verdict, conflicts by kind,
online-claim latency; connections dropped for sending their headers too slowly.

Imports no room: rooms and the HTTP face count through it. With `instore server --workers N`
each worker keeps its numbers in files under PROMETHEUS_MULTIPROC_DIR (`instore server` makes
one), and /metrics, whichever worker answers, adds up every worker's.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.routing import Match
from starlette.types import Scope

from server_stub.errors import ApiError
from server_stub.records import conflicts

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
if not os.environ.get(MULTIPROCESS_VARIABLE):
    # one process: its CPU, memory and open files too (with several, each worker's would be
    # a different process's, so they are left out)
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)

# Device API calls answer in milliseconds; a push of 500 events or a dashboard page may take a
# second on a busy PostgreSQL.
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "instore_http_requests", "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"], registry=REGISTRY,
)  # fmt: skip
LATENCY = Histogram(
    "instore_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
    ["route", "method"], buckets=_SECONDS, registry=REGISTRY,
)  # fmt: skip
WRONG_TOKENS = Counter(
    "instore_wrong_credentials", "Wrong admin tokens, enrollment tokens, dashboard passwords and"
    " metrics tokens presented", ["what"], registry=REGISTRY,
)  # fmt: skip
THROTTLED = Counter(
    "instore_throttled", "Answers held back by the throttle (a source past its free tries)",
    ["what"], registry=REGISTRY,
)  # fmt: skip
SIGN_IN_REFUSED = Counter(
    "instore_sign_in_refused", "Dashboard sign-ins refused, by why", ["why"], registry=REGISTRY
)
LOCKOUTS = Counter(
    "instore_lockouts", "Dashboard accounts locked after too many wrong passwords",
    registry=REGISTRY,
)  # fmt: skip
EVENTS = Counter(
    "instore_events_ingested", "Events pushed by devices, by verdict; a retry answered with its"
    " first verdict counts as repeat", ["verdict"], registry=REGISTRY,
)  # fmt: skip
CONFLICTS = Counter(
    "instore_conflicts", "Conflicts found at ingest, by kind", ["kind"], registry=REGISTRY
)
CLAIMS = Histogram(
    "instore_claim_duration_seconds", "Time to answer an online claim, by HTTP status (200: won"
    " or lost, 429: too many, 422: refused)", ["status"], buckets=_SECONDS, registry=REGISTRY,
)  # fmt: skip
SLOW_HEADERS = Counter(
    "instore_slow_headers_dropped", "Connections closed for not sending a request's headers in"
    " time (slowloris)", registry=REGISTRY,
)  # fmt: skip

# Labels come from these sets only, so a changed message elsewhere cannot grow the series.
_VERDICTS = frozenset({"accepted", "duplicate", "conflict", "rejected", "repeat"})
_CONFLICT_KINDS = frozenset(conflicts.KINDS)
_REFUSALS = frozenset({"unknown user", "wrong password", "locked", "locked now", "disabled"})
_CREDENTIALS = frozenset({"admin token", "enrollment token", "dashboard password", "metrics token"})


def _bounded(value: str, known: frozenset[str]) -> str:
    return value if value in known else "other"


def wrong_credential(what: str, wait: float) -> None:
    """A wrong token or password; `wait` is what the throttle made its answer wait."""
    label = _bounded(what, _CREDENTIALS)
    WRONG_TOKENS.labels(label).inc()
    if wait > 0:
        THROTTLED.labels(label).inc()


def held_back(what: str) -> None:
    """An answer the throttle held back (429): its address was past its wrong tries."""
    THROTTLED.labels(_bounded(what, _CREDENTIALS)).inc()


def sign_in_refused(why: str) -> None:
    SIGN_IN_REFUSED.labels(_bounded(why, _REFUSALS)).inc()
    if why == "locked now":
        LOCKOUTS.inc()


def ingested(verdicts: Iterable[str], conflict_reasons: Iterable[str]) -> None:
    """A push's verdicts, and the reasons of its new conflicts (`kind: words`)."""
    for verdict, n in Tally(_bounded(v, _VERDICTS) for v in verdicts).items():
        EVENTS.labels(verdict).inc(n)
    for reason in conflict_reasons:
        CONFLICTS.labels(_bounded(reason.partition(":")[0], _CONFLICT_KINDS)).inc()


def claimed(status: int, seconds: float) -> None:
    CLAIMS.labels(str(status)).observe(seconds)


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """Count a request by its route's template and status, and note how long it took (one of
    request_layers.RequestTimer's observers)."""
    route, method = route_template(scope), scope["method"]
    REQUESTS.labels(route, method if method in _METHODS else "other", str(status)).inc()
    LATENCY.labels(route, method if method in _METHODS else "other").observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The path as the app declares it (`/dashboard/conflicts/{conflict_id}/propose`), or
    `unmatched` for a path no route takes."""
    route = scope.get("route")
    if route is None:  # refused before routing (a body too large), or a copy of the scope routed
        app = scope.get("app")
        partial = None
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            match, _ = candidate.matches(scope)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and partial is None:
                partial = candidate  # the path, another method
        route = route or partial
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


# -- reading /metrics --------------------------------------------------------------------------

FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def from_this_machine(client_host: str, headers: Mapping[str, str]) -> bool:
    """A request from loopback that no proxy passed on: a proxy on this machine forwarding a
    request from elsewhere names the real client in one of these headers."""
    return is_loopback(client_host) and not any(h in headers for h in FORWARDED)


class State(Collector):
    """Numbers read from the database at each scrape: open conflicts, silent devices."""

    def __init__(self, read: Callable[[], Mapping[str, float]]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        values = self.read()
        for name, words in (
            ("conflicts_open", "Conflicts waiting for a person"),
            ("devices_silent", "Enrolled devices silent longer than their store allows"),
        ):
            if name in values:
                yield GaugeMetricFamily(f"instore_{name}", words, value=values[name])


def exposition(state: Collector | None = None) -> bytes:
    """Every number in Prometheus' text format: this process's, or with several workers every
    worker's added up; then the database's, read now."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    if path:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if state is not None:
        now = CollectorRegistry()
        now.register(state)
        body += generate_latest(now)
    return body


def mount(
    app: FastAPI,
    token: str | None,
    hold: Callable[[str, str], None],  # the throttle: 429 when an address is held
    wrong_token: Callable[[str, str], float],  # ... and its count of a wrong token
    read_state: Callable[[], Mapping[str, float]],
    source: Callable[[Request], str],
) -> None:
    """GET /metrics: to this machine without a token; with `token`, to whoever presents it."""
    state = State(read_state)

    @app.get("/metrics", include_in_schema=False)
    def metrics_page(request: Request, authorization: Annotated[str, Header()] = "") -> Response:
        host = request.client.host if request.client else ""
        if token and authorization:
            hold(source(request), "metrics token")  # a held address: 429, token or not
            if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
                wrong_credential("metrics token", wrong_token(source(request), "metrics token"))
                raise ApiError(401, "not_allowed", "wrong metrics token")
        elif not from_this_machine(host, request.headers):
            if token:
                raise ApiError(
                    401, "not_allowed", "send the metrics token (Authorization: Bearer ...)"
                )
            raise ApiError(
                403, "not_allowed", "only this machine may read /metrics; start the server with"
                " --metrics-token-file to let a Prometheus elsewhere in",
            )  # fmt: skip
        return Response(exposition(state), 200, media_type=CONTENT_TYPE)
