"""The claim form at /play/claim and the status page at /play/status.

A claim starts from a `claim` win: the link on the web's result (`?event=`) or a device's QR
(`?code=&event=&device=&mac=`). The shopper confirms the phone with a one-time password, then
gives name, address, ID and three documents, and gets a claim number. The status page takes a
claim number, sends a one-time password to the phone the claim was filed with, and shows where
the claim stands; it never says whether a number exists, nor anything of its phone: a made-up
number, a real one and a real one whose phone is held by its limits get the same answers.

Where the campaign keeps a public winners list, the form offers to stay off it, and the status
page lets the winner change that choice (`prizes/winners.py`). The claim keeps the page's
language, which the winner's messages are written in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from codes.campaign import Campaign
from codes.common.claim_link import ClaimLink
from server_stub.database.connection import reader
from server_stub.database.schema import prize_claims
from server_stub.errors import ApiError
from server_stub.phones import otp
from server_stub.play import claim_target, pages, visits
from server_stub.play.claim_target import ClaimTarget
from server_stub.play.forms import from_elsewhere, read_form, same
from server_stub.play.visits import Visit
from server_stub.prizes import claims, uploads, winners
from server_stub.prizes.documents import DocumentStore

if TYPE_CHECKING:
    from server_stub.play.web import Play

LOG = logging.getLogger("instore.server.play")
DOCUMENTS = ("invoice", "id_front", "id_back")
ID_TYPES = ("aadhaar", "passport", "national_id", "driving_licence", "voter_id")
TARGET_FIELDS = ("code", "event", "device", "mac")
MAX_FILE = 10 * 1024 * 1024
MAX_CLAIM_BODY = 3 * MAX_FILE + 256 * 1024  # three documents and the fields
# A larger body is read and dropped, then refused with a page (a browser cut off mid-upload shows
# a broken connection, not our words); past this one the connection is simply refused.
HARD_LIMIT = 4 * MAX_CLAIM_BODY
# claims whose documents are read and checked at once by this process: each may hold 30 MB, and
# an image decoded is more; more wait their turn briefly. A form is received before it takes a
# turn (its files spooled to disk past 1 MB), so a slow or stalled upload holds none.
UPLOADS_AT_ONCE = 4
UPLOAD_WAIT_S = 20.0
MAX_FIELD = 64 * 1024  # bytes of one text field: the longest, an address, is 1,000 characters


class ClaimDesk:
    """The claim and status routes, beside /play/'s (`play`: its engine, ciphers, rendering)."""

    def __init__(self, play: Play, store: DocumentStore) -> None:
        self.play, self.store = play, store
        self.engine: Engine = play.engine
        self._uploads = asyncio.Semaphore(UPLOADS_AT_ONCE)

    # -- which win -----------------------------------------------------------------------------

    def target(self, fields: dict[str, str], visit: Visit) -> ClaimTarget:
        rechecker = self.play.rechecker()
        if fields.get("mac"):
            link = ClaimLink(fields.get("code", "")[:64], fields.get("event", "")[:64],
                             fields.get("device", "")[:64], fields["mac"][:64])  # fmt: skip
            return claim_target.from_link(
                self.engine, rechecker, self.play.checkers.checker(rechecker), link
            )
        if not visit.phone:
            raise ApiError(401, "confirm_phone", "Confirm your phone first.")
        return claim_target.from_event(self.engine, rechecker, fields.get("event", ""), visit.phone)

    def claim_data(
        self, fields: dict[str, str], visit: Visit, lang: str = "en", **more: Any
    ) -> dict[str, Any]:
        """The claim page's data at the visit's step: phone, password, form, or filed; the
        prize named in `lang`."""
        carried = {k: fields[k][:64] for k in TARGET_FIELDS if fields.get(k)}
        data: dict[str, Any] = {"carried": carried, "id_types": ID_TYPES, **more}
        if more.get("number"):
            return {**data, "step": "filed"}
        if not visit.phone:
            if fields.get("mac"):  # a QR: show the prize before asking anything
                data["target"] = self._shown(self.target(fields, visit), lang)
            if visit.pending_phone:
                return {**data, "step": "otp", "phone": pages.masked(visit.pending_phone)}
            return {**data, "step": "phone"}
        target = self.target(fields, visit)
        data["target"] = self._shown(target, lang)
        existing = claims.claim_for_code(self.engine, target.campaign, target.serial)
        if existing is not None:
            mine = self._phone_of(existing["number"]) == visit.phone
            return {**data, "step": "already", "number": existing["number"] if mine else ""}
        return {**data, "step": "form", "phone": pages.masked(visit.phone),
                "winners_list": self._has_list(target.campaign)}  # fmt: skip

    def _has_list(self, campaign_id: str) -> bool:
        campaign = self.play.rechecker().campaign(campaign_id)
        return bool(campaign and campaign.winners_list)

    def _campaign_of(self, number: str) -> Campaign | None:
        with reader(self.engine).connect() as conn:
            campaign_id = conn.execute(
                select(prize_claims.c.campaign).where(prize_claims.c.number == number[:16])
            ).scalar()
        return self.play.rechecker().campaign(str(campaign_id or ""))

    def _shown(self, target: ClaimTarget, lang: str) -> dict[str, Any]:
        """The win a page is about: its prize in the shopper's words ("Gold coin"), its code."""
        reward = self.play.prize_names().of(target.campaign, target.tier, lang)
        return {"reward": reward, "code": target.code, "tier": target.tier}

    def _phone_of(self, number: str) -> str | None:
        with reader(self.engine).connect() as conn:
            phone = conn.execute(
                select(prize_claims.c.phone).where(prize_claims.c.number == number[:16])
            ).scalar()
        return str(phone) if phone else None

    # -- /play/claim -----------------------------------------------------------------------------

    def page(self, request: Request) -> Response:
        play = self.play
        visit = play.visit(request)
        fields = dict(request.query_params)
        try:
            data = self.claim_data(fields, visit, play.lang(request))
        except ApiError as exc:
            return play.refused(request, "claim.html", visit, {"step": "none"}, exc)
        return play.render(request, "claim.html", visit, data)

    async def post(self, request: Request) -> Response:
        play = self.play
        visit = await run_in_threadpool(play.visit, request)
        # the win the form is for rides in its address too, so a form refused unread (too
        # large) is shown again for the same win
        fields = {k: v for k, v in request.query_params.items() if k in TARGET_FIELDS}
        try:
            lang = play.lang(request)
            visit, more = await self._received(request, visit, fields)
            data = await run_in_threadpool(self.claim_data, fields, visit, lang, **more)
        except ApiError as exc:
            try:
                data = await run_in_threadpool(self.claim_data, fields, visit, lang)
            except ApiError:
                data = {"step": "none"}
            return play.refused(request, "claim.html", visit, {**data, **_kept(fields)}, exc)
        return play.render(request, "claim.html", visit, data)

    async def _received(
        self, request: Request, visit: Visit, fields: dict[str, str]
    ) -> tuple[Visit, dict[str, Any]]:
        """The form read (its text fields into `fields`) and carried out, a few at a time."""
        size = request.headers.get("content-length", "")
        if not size.isdigit():
            raise ApiError(411, "length_required", "Please send the form again.")
        if int(size) > MAX_CLAIM_BODY:
            await _drain(request)
            raise ApiError(413, "upload_too_large", "Each file may be at most 10 MB.")
        try:
            form = await request.form(
                max_files=len(DOCUMENTS), max_fields=30, max_part_size=MAX_FIELD
            )
        except HTTPException:  # not multipart, too many parts, a field too long
            await _drain(request)
            raise ApiError(
                400, "bad_form", "The form did not arrive as sent. Please send it again."
            ) from None
        except ClientDisconnect:  # nobody hears this; the log says 400, not a server fault
            raise ApiError(400, "incomplete_form", "The form did not arrive whole.") from None
        fields.update({k: v for k, v in form.items() if isinstance(v, str)})
        if not same(visit.csrf, fields.get("csrf", "")):
            raise ApiError(403, "bad_csrf", "The page had expired. Please try again.")
        return await self._step(request, self.play, visit, fields, form)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One of the few claims whose documents are read and checked at once."""
        try:
            await asyncio.wait_for(self._uploads.acquire(), UPLOAD_WAIT_S)
        except TimeoutError:
            raise ApiError(503, "busy", "Many claims are arriving: try again in a minute.",
                           headers={"Retry-After": "60"}) from None  # fmt: skip
        try:
            yield
        finally:
            self._uploads.release()

    async def _step(
        self, request: Request, play: Play, visit: Visit, fields: dict[str, str], form: FormData
    ) -> tuple[Visit, dict[str, Any]]:
        if "otp" in fields and visit.pending_phone and not visit.phone:
            await run_in_threadpool(
                otp.check_otp, self.engine, visit.pending_phone, "claim", fields["otp"].strip()
            )
            return await run_in_threadpool(
                visits.confirm, self.engine, visit, visit.pending_phone
            ), {}
        if "phone" in fields and not visit.phone:
            phone = otp.normalise_phone(fields["phone"], play.region(play.lang(request)))
            await run_in_threadpool(play.send_password, request, phone, "claim")
            return await run_in_threadpool(visits.await_phone, self.engine, visit, phone), {}
        if fields.get("resubmit") and visit.phone:
            async with self._turn():
                files = await _read_files(form)
                await run_in_threadpool(self.resubmit, visit, fields["resubmit"], files)
            return visit, {"number": fields["resubmit"][:16], "resubmitted": True}
        if "name" in fields and visit.phone:
            async with self._turn():
                files = await _read_files(form)
                lang = play.lang(request)
                number = await run_in_threadpool(self.file, visit, fields, files, lang)
            return visit, {"number": number}
        return visit, {}

    def file(
        self, visit: Visit, fields: dict[str, str], files: dict[str, tuple[str, bytes]],
        lang: str = "en",
    ) -> str:  # fmt: skip
        """The claim filed in the page's language; on the campaign's winners list unless the
        winner ticked to stay off it (only a form that offered the choice puts a claim on it)."""
        if fields.get("consent") not in ("on", "yes", "1", "true"):
            raise ApiError(422, "consent_needed", "Please tick the box to agree, then send again.")
        missing = [k for k in DOCUMENTS if k not in files]
        if missing:
            raise ApiError(422, "document_missing", "Please add all three documents.")
        checked = {kind: uploads.check_upload(name, data) for kind, (name, data) in files.items()}
        target = self.target(fields, visit)
        assert visit.phone is not None
        draft = claims.ClaimDraft(
            campaign=target.campaign, serial=target.serial, code=target.code, tier=target.tier,
            value=target.value, event_id=target.event_id, device_id=target.device_id,
            redeemed_at=target.redeemed_at, phone=visit.phone, name=fields.get("name", "").strip(),
            address=fields.get("address", "").strip(), email=fields.get("email", "").strip() or None,
            id_type=fields.get("id_type", ""), id_number=fields.get("id_number", "").strip(),
            invoice_number=fields.get("invoice_number", "").strip() or None, consent=True,
            claim_days=target.claim_days, claims_per_phone=target.claims_per_phone, lang=lang,
            city=fields.get("city", "").strip() or None,
            listed=self._has_list(target.campaign) and not _ticked(fields.get("unlisted")),
        )  # fmt: skip
        return claims.file_claim(self.engine, self.store, draft, files=checked)

    def resubmit(self, visit: Visit, number: str, files: dict[str, tuple[str, bytes]]) -> None:
        """A rejected claim's documents sent once more: those given replace their kind's."""
        if not files:
            raise ApiError(422, "document_missing", "Please add the documents to send again.")
        checked = {kind: uploads.check_upload(name, data) for kind, (name, data) in files.items()}
        assert visit.phone is not None
        claims.resubmit(self.engine, self.store, number[:16], visit.phone, checked)

    # -- /play/status ------------------------------------------------------------------------

    def status_data(
        self, fields: dict[str, str], visit: Visit, lang: str = "en", **more: Any
    ) -> dict[str, Any]:
        """The status page's data at the visit's step: the number, its password, or where the
        claim stands (its prize named in `lang`)."""
        typed = fields.get("claim", "")
        number = claims.normal_number(typed[:40])
        if not typed.strip():
            return {"step": "number", **more}
        if number and visit.phone and self._phone_of(number) == visit.phone:
            shown = claims.status_page(self.engine, number, visit.phone)
            if shown is not None:
                campaign = self._campaign_of(number)
                shown["reward"] = self.play.prize_names().of(
                    campaign.id if campaign else "", shown["tier"], lang
                )
                # the winners list's choice, where the campaign keeps one
                listed = winners.listing(self.engine, number, visit.phone)
                if not (campaign and campaign.winners_list):
                    listed = None
                return {"step": "status", "claim": shown, "number": number, "listed": listed,
                        "steps": pages.claim_steps(shown), **more}  # fmt: skip
        return {"step": "otp", "number": number or typed.strip().upper()[:16], **more}

    def status(self, request: Request) -> Response:
        """A claim number in the link (`?claim=`) is taken as typed in the form, and a password
        with it (`&otp=`) as typed in the next; but from a link on another site, the number only
        waits in the form, so no other site can text a claim's phone or sign its visitor in."""
        play = self.play
        visit = play.visit(request)
        fields = dict(request.query_params)
        if from_elsewhere(request):
            data = self.status_data(fields, visit, play.lang(request))
            if data["step"] == "otp":
                data["step"] = "number"
            return play.render(request, "status.html", visit, data)
        try:
            if fields.get("otp"):  # the shopper's own link with both: as the form's second step
                visit = self._confirm_status(visit, fields)
            elif fields.get("claim"):
                self._send_status_password(request, play, visit, fields["claim"])
        except ApiError as exc:
            data = self.status_data(fields, visit, play.lang(request))
            return play.refused(request, "status.html", visit, data, exc)
        data = self.status_data(fields, visit, play.lang(request))
        return play.render(request, "status.html", visit, data)

    async def status_post(self, request: Request) -> Response:
        play = self.play
        visit = await run_in_threadpool(play.visit, request)
        fields: dict[str, str] = {}
        try:
            fields = await read_form(request)
            if not same(visit.csrf, fields.get("csrf", "")):
                raise ApiError(403, "bad_csrf", "The page had expired. Please try again.")
            more: dict[str, Any] = {}
            if fields.get("otp"):
                visit = await run_in_threadpool(self._confirm_status, visit, fields)
            elif fields.get("listed") in ("0", "1") and visit.phone:
                await run_in_threadpool(self._set_listed, visit, fields)
                more = {"listed_saved": True}
            elif fields.get("claim"):
                await run_in_threadpool(
                    self._send_status_password, request, play, visit, fields["claim"]
                )
        except ApiError as exc:
            data = await run_in_threadpool(self.status_data, fields, visit, play.lang(request))
            return play.refused(request, "status.html", visit, data, exc)
        data = await run_in_threadpool(self.status_data, fields, visit, play.lang(request), **more)
        return play.render(request, "status.html", visit, data)

    def _set_listed(self, visit: Visit, fields: dict[str, str]) -> None:
        """The winner's own claim on the winners list or off it; any other number, or a
        campaign without a list, is answered as no such claim."""
        assert visit.phone is not None
        number = claims.normal_number(fields.get("claim", "")[:40]) or ""
        campaign = self._campaign_of(number) if number else None
        if not (campaign and campaign.winners_list):
            raise ApiError(404, "not_found", "There is no such claim for this phone number.")
        winners.set_listed(self.engine, number, visit.phone, fields["listed"] == "1")

    def _claim_phone(self, typed: str) -> str | None:
        number = claims.normal_number(typed[:40])
        return self._phone_of(number) if number else None

    def _send_status_password(self, request: Request, play: Play, visit: Visit, typed: str) -> None:
        """A password to the claim's phone, answered alike whether the number exists or not.
        The visit keeps nothing of that phone (its pages would show it masked), and a phone
        the limits hold is answered as a number that is no claim's: otherwise a second ask, or
        a held phone, would tell a stranger the number is real. The limits still hold: at most
        5 codes an hour reach the phone, however many ask."""
        phone = self._claim_phone(typed)
        if phone is None or phone == visit.phone:
            return
        try:
            play.send_password(request, phone, "status")
        except ApiError as exc:
            if exc.code == "sms_failed":  # the gateway is down: the shopper should ask again
                raise
            LOG.info("status password for a claim not sent: %s", exc.code)

    def _confirm_status(self, visit: Visit, fields: dict[str, str]) -> Visit:
        """The claim's phone confirmed by the password sent to it. Every failure is the same
        answer (wrong, expired, spent, none sent, no such claim), so none tells a stranger that
        the number is real."""
        phone = self._claim_phone(fields.get("claim", ""))
        try:
            if phone is None:
                raise ApiError(401, "otp_wrong", "no such claim")
            otp.check_otp(self.engine, phone, "status", fields.get("otp", "").strip())
        except ApiError:
            raise ApiError(
                401,
                "otp_wrong",
                "That code is not right, or it no longer works: ask for a new one.",
            ) from None
        return visits.confirm(self.engine, visit, phone)


def _ticked(value: str | None) -> bool:
    return value in ("on", "yes", "1", "true")


def _kept(fields: dict[str, str]) -> dict[str, Any]:
    """What the shopper typed, back in the form after a refusal (never the files)."""
    keep = ("name", "address", "email", "id_type", "id_number", "invoice_number", "city",
            "unlisted")  # fmt: skip
    return {"typed": {k: fields[k][:500] for k in keep if k in fields}}


async def _drain(request: Request) -> None:
    """The rest of a refused body read and dropped, so the browser hears the answer: a server
    that closes a connection with unread data resets it, and the browser shows that instead."""
    with contextlib.suppress(RuntimeError, ClientDisconnect):  # RuntimeError: all of it was read
        async for _ in request.stream():
            pass


async def _read_files(form: FormData) -> dict[str, tuple[str, bytes]]:
    """Each document's name and bytes; one past MAX_FILE is refused before it is all read."""
    files: dict[str, tuple[str, bytes]] = {}
    for kind in DOCUMENTS:
        part = form.get(kind)
        if not isinstance(part, UploadFile) or not part.filename:
            continue
        data = await part.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise ApiError(413, "upload_too_large", "Each file may be at most 10 MB.")
        files[kind] = (part.filename, data)
    return files
