"""The loopback bridge's API without HTTP: any POS, in any language, calls the till through it.

`Bridge.handle(method, path, headers, body)` answers (status, JSON body); `http_server` only
carries bytes to and from it. Business answers (a refused code, an unknown member) are 200 with
their status word; 4xx are for requests the bridge cannot take, always `{"error", "message"}`.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_type_hints
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.json_schema import models_json_schema

from pos_plugin.answers import STATUS_WORDS, Answer
from pos_plugin.checkout import Checkout, Till
from pos_plugin.token import current_token
from sync.protocol import MAX_CATEGORIES  # as many as the server takes in one accrual
from terminal.results import Status

log = logging.getLogger("instore.pos")

MAX_BODY = 64 * 1024  # a code, a receipt number: nothing a POS sends comes near this
Text = Field(min_length=1, max_length=200)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CodeBody(_Body):
    code: str = Text


class CheckoutBody(_Body):
    cashier: str | None = Field(default=None, max_length=100)


class BasketLine(_Body):
    """One line of the basket: its amount and, optionally, its product category (the earn
    rules may count a category more or less: fuel twice, tobacco not at all)."""

    amount: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    category: str | None = Field(default=None, min_length=1, max_length=64)


class PayBody(_Body):
    receipt_id: str = Field(min_length=1, max_length=64)
    total: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    member: str | None = Field(default=None, max_length=200)
    # the basket's lines, for the earn rules' categories; without them the total counts once
    lines: list[BasketLine] | None = Field(default=None, max_length=1000)

    def categories(self) -> dict[str, float] | None:
        """The lines' amounts added up per category; lines of no category count once."""
        basket: dict[str, float] = {}
        for line in self.lines or ():
            if line.category is not None:
                basket[line.category] = basket.get(line.category, 0.0) + line.amount
        return basket or None


class RefundBody(_Body):
    """A receipt (all it redeemed and earned) or one event; one of the two is required."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"minLength": 1}}}
                for name in ("receipt_id", "event_id")
            ]
        },
    )
    receipt_id: str = Field(default="", max_length=64)
    event_id: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=200)


class MemberBody(_Body):
    member: str = Text


class SpendBody(_Body):
    member: str = Text
    points: int = Field(gt=0, le=1_000_000_000)
    item: str = Text
    # the member's code, when an answer said needs_code (a spend above the program's threshold)
    code: str | None = Field(default=None, max_length=64)


class CodeAgainBody(_Body):
    """Text the member another code: for a spend of `points`, or a registration of `member`."""

    member: str = Text
    purpose: Literal["spend", "register"] = "spend"
    points: int = Field(default=0, ge=0, le=1_000_000_000)


class RegisterBody(_Body):
    phone: str = Text
    code: str | None = Field(default=None, max_length=64)  # once an answer said needs_code
    lang: str = Field(default="en", max_length=8)
    card: str | None = Field(default=None, max_length=64)


def _answer_model() -> type[BaseModel]:
    """The JSON schema of an `Answer`, made from the dataclass itself, so the two cannot drift:
    `status` is one of the status words, and a field left out of `to_dict()` is optional."""
    words = StrEnum("AnswerStatus", {word.upper(): word for word in STATUS_WORDS})  # type: ignore[misc]
    hints = get_type_hints(Answer)
    declared: dict[str, Any] = {}
    for f in dataclasses.fields(Answer):
        hint: Any = hints[f.name]
        if f.name == "status":
            declared[f.name] = (words, ...)
        elif f.name == "message":
            declared[f.name] = (hint, ...)
        elif f.name == "items":
            declared[f.name] = (list["AnswerModel"] | None, None)  # type: ignore[valid-type]
        elif f.name == "warnings":
            declared[f.name] = (list[str] | None, None)
        else:
            declared[f.name] = (hint | None, None)
    model: type[BaseModel] = create_model("AnswerModel", __doc__=Answer.__doc__, **declared)
    model.model_rebuild()
    return model


AnswerModel = _answer_model()


class CheckoutCreated(BaseModel):
    checkout_id: str
    status: str
    message: str


class StatusModel(BaseModel):
    """The device's sync status (the same object as `instore terminal status --json`)."""

    model_config = ConfigDict(extra="allow")
    online: bool
    pending: int
    conflicts: int
    rejected: int
    alerts: int
    overdue: bool


class ErrorModel(BaseModel):
    error: str
    message: str


class BridgeError(Exception):
    def __init__(self, status: int, code: str, message: str, allow: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.allow = status, code, message, allow


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # `{checkout_id}` marks the path parameter
    summary: str
    body: type[_Body] | None
    answer: type[BaseModel]
    run: Callable[[Bridge, Any, str], dict[str, Any]]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            "^" + self.template.replace("{checkout_id}", "(?P<checkout_id>[^/]+)") + "$"
        )


Reply = tuple[int, dict[str, Any] | list[Any], dict[str, str]]


class Bridge:
    """The bridge's routes over one Till."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self._patterns = [(route, route.pattern) for route in ROUTES]

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        began = time.perf_counter()
        path = urlsplit(target).path
        try:
            if method == "GET" and path == "/openapi.json":
                return 200, openapi(), {}
            route, checkout_id = self._route(method, path)
            self._authorise(headers)
            data = route.run(self, self._parse(route, body), checkout_id)
            status = 200
        except BridgeError as exc:
            extra = {"Allow": exc.allow} if exc.allow else {}
            return exc.status, {"error": exc.code, "message": exc.message}, extra
        log.info(
            "%s %s -> %s (%.1f ms)", method, path, data.get("status", status),
            (time.perf_counter() - began) * 1000,
        )  # fmt: skip
        return status, data, {}

    def _route(self, method: str, path: str) -> tuple[Route, str]:
        allowed = []
        for route, pattern in self._patterns:
            found = pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, unquote(found.groupdict().get("checkout_id") or "")
            allowed.append(route.method)
        if allowed:
            raise BridgeError(
                405, "method_not_allowed", f"{path} takes {', '.join(allowed)} only.",
                allow=", ".join(allowed),
            )  # fmt: skip
        raise BridgeError(404, "not_found", f"There is no {path} here; see /openapi.json.")

    def _authorise(self, headers: Mapping[str, str]) -> None:
        given = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = given.partition(" ")
        expected = self.till.engine(lambda t: current_token(t.ledger))
        if (
            expected is None
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(token.strip().encode(), expected.encode())
        ):
            raise BridgeError(
                401, "not_authorised",
                "Send 'Authorization: Bearer TOKEN' with this till's token"
                " (shown by 'instore pos token').",
            )  # fmt: skip

    @staticmethod
    def _parse(route: Route, body: bytes) -> Any:
        if route.body is None:
            return None
        if len(body) > MAX_BODY:
            raise BridgeError(413, "too_large", f"Requests are at most {MAX_BODY} bytes.")
        try:
            data = json.loads(body or b"{}", parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError):
            raise BridgeError(400, "bad_json", "The request body is not JSON.") from None
        except RecursionError:
            raise BridgeError(400, "bad_json", "The request body is nested too deeply.") from None
        try:
            return route.body.model_validate(data)
        except RecursionError:
            raise BridgeError(400, "bad_json", "The request body is nested too deeply.") from None
        except ValidationError as exc:
            raise BridgeError(422, "bad_input", _describe(exc)) from None

    def checkout(self, checkout_id: str) -> Checkout:
        found = self.till.find(checkout_id)
        if found is None:
            raise BridgeError(
                404,
                "no_checkout",
                f"No open checkout {checkout_id!r}: start one with POST /v1/checkout.",
            )
        return found


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "Check the request: " + "; ".join(parts) + "."


def _answer(answer: Answer) -> dict[str, Any]:
    return answer.to_dict()


def _new_checkout(bridge: Bridge, body: CheckoutBody, _: str) -> dict[str, Any]:
    basket = bridge.till.checkout(body.cashier)
    return {"checkout_id": basket.checkout_id, "status": "open", "message": "Basket open."}


def _pay(bridge: Bridge, body: PayBody, checkout_id: str) -> dict[str, Any]:
    basket = bridge.checkout(checkout_id)
    categories = body.categories()
    if categories is not None and len(categories) > MAX_CATEGORIES:
        raise BridgeError(
            422, "bad_input", f"A basket's lines name at most {MAX_CATEGORIES} categories."
        )
    if body.member:
        named = basket.member(body.member)
        if named.status != Status.VALID:
            return _answer(named)
    paid = basket.pay(body.receipt_id, body.total, categories)
    log.info("checkout %s: %s", checkout_id, paid.message)
    return _answer(paid)


def _refund(bridge: Bridge, body: RefundBody, _: str) -> dict[str, Any]:
    target = body.receipt_id or body.event_id
    if not target:
        raise BridgeError(422, "bad_input", "Give receipt_id or event_id.")
    return _answer(bridge.till.refund(target, body.reason))


ROUTES = (
    Route("POST", "/v1/scan", "What a code is; changes nothing", CodeBody, AnswerModel,
          lambda b, body, _: _answer(b.till.scan(body.code))),
    Route("POST", "/v1/checkout", "Open a basket", CheckoutBody, CheckoutCreated, _new_checkout),
    Route("POST", "/v1/checkout/{checkout_id}/apply", "Hold a code for this basket", CodeBody,
          AnswerModel, lambda b, body, cid: _answer(b.checkout(cid).apply(body.code))),
    Route("POST", "/v1/checkout/{checkout_id}/pay",
          "Redeem the basket's codes on this receipt and earn its points", PayBody, AnswerModel,
          _pay),
    Route("POST", "/v1/checkout/{checkout_id}/cancel", "Free the basket's codes", None,
          AnswerModel, lambda b, _, cid: _answer(b.checkout(cid).cancel())),
    Route("POST", "/v1/refund", "Void a receipt's redemptions and points, or one event",
          RefundBody, AnswerModel, _refund),
    Route("POST", "/v1/member", "A member's points balance", MemberBody, AnswerModel,
          lambda b, body, _: _answer(b.till.member(body.member))),
    Route("POST", "/v1/spend", "Exchange a member's points for an item", SpendBody, AnswerModel,
          lambda b, body, _: _answer(b.till.spend(body.member, body.points, body.item,
                                                   code=body.code))),
    Route("POST", "/v1/code", "Text the member another code (a spend or a registration)",
          CodeAgainBody, AnswerModel,
          lambda b, body, _: _answer(b.till.send_code(body.member, body.purpose, body.points))),
    Route("POST", "/v1/register", "Register a member by phone, with the code texted to it",
          RegisterBody, AnswerModel,
          lambda b, body, _: _answer(b.till.register(body.phone, body.code, body.lang,
                                                      body.card))),
    Route("GET", "/v1/status", "Is this till in sync: pending, conflicts, alerts", None,
          StatusModel, lambda b, _, __: b.till.status()),
)  # fmt: skip


_OPENAPI: dict[str, Any] | None = None


def openapi() -> dict[str, Any]:
    """The bridge's OpenAPI 3.1 document, built once from the request and answer models."""
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = _build_openapi()
    return _OPENAPI


def _build_openapi() -> dict[str, Any]:
    models: list[type[BaseModel]] = [AnswerModel, CheckoutCreated, StatusModel, ErrorModel]
    models += [r.body for r in ROUTES if r.body is not None]
    _, schemas = models_json_schema(
        [(m, "validation") for m in dict.fromkeys(models)],
        ref_template="#/components/schemas/{model}",
    )

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}  # fmt: skip

    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        responses: dict[str, Any] = {
            "200": {"description": "The answer", **ref(route.answer)},
            "401": {"description": "Missing or wrong bearer token", **ref(ErrorModel)},
        }
        if route.body is not None:
            responses["400"] = {"description": "The body is not JSON", **ref(ErrorModel)}
            responses["413"] = {"description": "The body is too large", **ref(ErrorModel)}
            responses["422"] = {"description": "A field is missing or wrong", **ref(ErrorModel)}
        operation: dict[str, Any] = {"summary": route.summary, "responses": responses}
        if "{checkout_id}" in route.template:
            responses["404"] = {"description": "No such checkout", **ref(ErrorModel)}
            operation["parameters"] = [
                {
                    "name": "checkout_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ]
        if route.body is not None:
            operation["requestBody"] = {"required": True, **ref(route.body)}
        paths.setdefault(route.template, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "instore till bridge", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
