"""The gateways' two doors to the menus, each a thin adapter over `UssdService.answer`.

`POST /ussd/callback`: Africa's Talking's form (`sessionId`, `serviceCode`, `phoneNumber`,
`networkCode`, `text`: every input of the session so far joined by `*`), answered `text/plain`,
`CON ...` to go on or `END ...` to finish.

`POST /ussd/json`: gateways that post JSON with the person's whole answer to the screen they
saw, one answer a request, and a flag on the first:

    {"session_id": "8f3c...", "msisdn": "+77011234567", "input": "2", "new_session": false}

answered `{"session_id": ..., "message": "1. Balance\\n...", "continue_session": true}` (the
message without CON/END: the flag says which). On `new_session` the input is the code dialled,
not an answer.

Only the gateway may call: anyone else could name any phone and read its member's points. The
token in $INSTORE_USSD_TOKEN goes in the callback URL the gateway is given (`?token=...`; most
gateways cannot add headers) or as `Authorization: Bearer ...`. Without the variable set, only
this machine may call (a gateway simulator, the demo, a test; behind a trusted proxy the caller
is the address it forwards): anyone else gets 503. Wrong tokens are counted per address (429 past 10 in 10 minutes). Whatever
goes wrong is answered in the gateway's own shape (an `END` text, a JSON body), never as a
server error page: a gateway shows the phone nothing else.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StrictBool, StrictStr, ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from server_stub import web_forms
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError
from server_stub.ussd import texts
from server_stub.ussd.reply import Reply
from server_stub.ussd.service import Call, UssdService

TOKEN_VARIABLE = "INSTORE_USSD_TOKEN"
CREDENTIAL = "ussd token"  # wrong ones counted per address under this name
MAX_BODY = 8192  # bytes: a session's inputs are a few dozen characters; beyond is no person's
MAX_FIELDS = 12
TEXT = "text/plain; charset=utf-8"


class JsonCall(BaseModel):
    """The JSON gateways' request."""

    session_id: StrictStr = Field(max_length=200)
    msisdn: StrictStr = Field(max_length=200)
    input: StrictStr = Field(default="", max_length=MAX_BODY)
    new_session: StrictBool = False
    service_code: StrictStr = Field(default="", max_length=200)  # noted, not needed


def gateway_token() -> str:
    """The token shared with the gateway: $INSTORE_USSD_TOKEN, "" when unset."""
    return os.environ.get(TOKEN_VARIABLE, "").strip()


def mount(app: FastAPI, engine: Engine, service: SyncService) -> None:
    ussd = UssdService(engine, service)
    token = gateway_token()
    throttle = service.throttle

    def let_in(request: Request) -> None:
        """ApiError unless the request carries the gateway's token."""
        source = throttle.source(request)
        if not token:
            if _this_machine(source):
                return
            raise ApiError(503, "no_token_set", f"start the server with ${TOKEN_VARIABLE} first")
        throttle.hold(source, CREDENTIAL)
        given = request.query_params.get("token") or ""
        bearer = request.headers.get("authorization", "")
        if bearer.startswith("Bearer "):
            given = bearer[len("Bearer ") :]
        # as bytes: compare_digest refuses a str with non-ASCII text a client may send
        if not hmac.compare_digest(given.encode(), token.encode()):
            throttle.failed(source, CREDENTIAL)
            raise ApiError(401, "wrong_token", "this is for the USSD gateway, with its token")

    @app.post("/ussd/callback", include_in_schema=False)
    async def callback(request: Request) -> Response:
        try:
            let_in(request)
            form = await web_forms.read_form(request, MAX_BODY, MAX_FIELDS)
        except ApiError as exc:
            return _plain(_refused(exc), exc.status, exc.headers)
        session_id, phone = form.get("sessionId", ""), form.get("phoneNumber", "")
        if not session_id or not phone:
            return _plain(_words("end.bad_request"), 400)
        text = form.get("text", "")
        call = Call(session_id, phone, tuple(text.split("*")) if text else ())
        reply = await run_in_threadpool(ussd.answer, call)
        return _plain(reply)

    @app.post("/ussd/json", include_in_schema=False)
    async def json_call(request: Request) -> Response:
        try:
            let_in(request)
            body = await request.body()
            if len(body) > MAX_BODY:
                raise ApiError(413, "too_large", f"the request is over {MAX_BODY} bytes")
            asked = JsonCall.model_validate(json.loads(body))
        except ApiError as exc:
            return _json("", _refused(exc), exc.status, exc.headers)
        except (ValueError, ValidationError):  # not JSON, or not this shape
            return _json("", _words("end.bad_request"), 400)
        inputs = (asked.input,) if asked.input or not asked.new_session else ()
        call = Call(asked.session_id, asked.msisdn, inputs, chained=False, new=asked.new_session)
        reply = await run_in_threadpool(ussd.answer, call)
        return _json(asked.session_id, reply)


def _this_machine(source: str) -> bool:
    try:
        return ipaddress.ip_address(source.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


def _words(key: str) -> Reply:
    return Reply(texts.say(texts.DEFAULT, key), end=True)


def _refused(exc: ApiError) -> Reply:
    """A refusal a gateway shows as the session's end: a wait, or the request not read."""
    if exc.status == 429:
        wait = int((exc.headers or {}).get("Retry-After", "600"))
        minutes = max(1, math.ceil(wait / 60))
        return Reply(texts.say(texts.DEFAULT, "end.too_many", minutes=minutes), end=True)
    return _words("end.bad_request")


def _plain(reply: Reply, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(reply.body, status, headers, media_type=TEXT)


def _json(
    session_id: str, reply: Reply, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {
        "session_id": session_id, "message": reply.body[4:], "continue_session": not reply.end,
    }  # fmt: skip
    return Response(json.dumps(body, ensure_ascii=False), status, headers,
                    media_type="application/json")  # fmt: skip
