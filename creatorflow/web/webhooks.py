"""Instagram webhooks, served by ``creatorflow web``: Meta's handshake and signed notifications.

``GET /webhooks/instagram`` is the verification handshake Meta makes when the callback URL is
registered: ``hub.mode=subscribe`` and ``hub.verify_token`` equal to
``CREATORFLOW_INSTAGRAM_VERIFY_TOKEN`` get ``hub.challenge`` back as plain text; anything else 403.
``POST /webhooks/instagram`` carries notifications signed with the app secret
(``X-Hub-Signature-256``, HMAC-SHA256 of the raw body, compared in constant time): a missing
signature is 401, a wrong one 403, a body over ``MAX_BODY`` 413, one that is not a notification
400, and in every one of those cases nothing is stored. A good one has its events stored once each
(``services/tracking/mentions.store_incoming``, requests arriving together committed together:
``GroupCommit``) and is answered at once: the lookups happen
in the tracking run, never here, because Meta resends anything not answered 200 within seconds.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from creatorflow.domain.webhook_events import MalformedNotification, signature_valid
from creatorflow.services.tracking.mentions import Incoming, Received, incoming, store_incoming
from creatorflow.settings import Settings

PATH = "/webhooks/instagram"
#: Meta batches at most a few hundred small updates per POST; anything this large is not Meta.
MAX_BODY = 512 * 1024
_CHALLENGE_MAX = 256
_HEADERS = {"Cache-Control": "no-store"}
log = logging.getLogger(__name__)


def _text(message: str, status: int) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status, headers=_HEADERS)


def webhooks_router(
    *,
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """The two endpoints; secrets are read once here and never logged or echoed."""
    secret = settings.instagram_app_secret
    token = settings.instagram_verify_token
    app_secret = secret.get_secret_value().encode() if secret else b""
    verify_token = token.get_secret_value().encode() if token else b""
    brand_account = settings.instagram_user_id
    inbox = GroupCommit(engine)
    router = APIRouter()

    @router.get(PATH, response_model=None)
    def handshake(request: Request) -> Response:
        params = request.query_params
        given = params.get("hub.verify_token", "").encode()
        challenge = params.get("hub.challenge", "")
        if not verify_token:
            return _text("webhooks are not configured (CREATORFLOW_INSTAGRAM_VERIFY_TOKEN)", 403)
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(given, verify_token):
            return _text("verification refused", 403)
        if not challenge or len(challenge) > _CHALLENGE_MAX or not challenge.isprintable():
            return _text("hub.challenge missing or not a short printable value", 400)
        return PlainTextResponse(challenge, headers=_HEADERS)

    @router.post(PATH, response_model=None)
    async def receive(request: Request) -> Response:
        if not app_secret:
            return _text("webhooks are not configured (CREATORFLOW_INSTAGRAM_APP_SECRET)", 503)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return _text(f"body larger than {MAX_BODY} bytes", 413)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                return _text(f"body larger than {MAX_BODY} bytes", 413)
        header = request.headers.get("x-hub-signature-256")
        if not header:
            return _text("missing X-Hub-Signature-256", 401)
        if not signature_valid(bytes(body), header, app_secret):
            log.warning("instagram webhook refused: signature does not match the body")
            return _text("invalid X-Hub-Signature-256", 403)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return _text("the body is not JSON", 400)
        try:
            item = incoming(payload=payload, brand_account=brand_account, now=clock())
        except MalformedNotification as exc:
            return _text(f"not an Instagram notification: {exc}", 400)
        received = await inbox.store(item)
        return JSONResponse(received.as_json(), headers=_HEADERS)

    return router


class GroupCommit:
    """Concurrent requests' events stored together: one transaction (one disk sync) for all the
    notifications that arrived while the previous one was committing.

    Each request is answered only once its own rows are committed, so an answered event is
    never lost; on a burst, the commits stop being one per request (SQLite syncs each commit
    to disk: a few milliseconds that would otherwise be paid a thousand times in a row).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: list[tuple[Incoming, asyncio.Future[Received]]] = []
        self._lock: asyncio.Lock | None = None

    async def store(self, item: Incoming) -> Received:
        if not item.rows:
            return Received(0, item.mine, item.ignored)
        if self._lock is None:
            self._lock = asyncio.Lock()
        future: asyncio.Future[Received] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        async with self._lock:  # whoever holds it commits everything waiting, its own included
            if not future.done():
                batch, self._pending = self._pending, []
                try:
                    results = await run_in_threadpool(  # database work off the event loop
                        store_incoming, self.engine, [i for i, _ in batch]
                    )
                except BaseException as exc:  # every waiting request fails (Meta resends)
                    failure = exc if isinstance(exc, Exception) else RuntimeError("interrupted")
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_exception(failure)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for (_, waiting), result in zip(batch, results, strict=True):
                        waiting.set_result(result)
        return await future
