"""The one-click unsubscribe endpoint (RFC 8058), served by ``creatorflow web``.

``POST /u/{token}`` with the body ``List-Unsubscribe=One-Click`` is what mail providers send when
the recipient presses "Unsubscribe": no cookies, no login, no redirect. ``GET /u/{token}`` is for
people who open the link in a browser: a plain page whose button makes the same POST (a GET never
unsubscribes, since link scanners fetch every URL in a message). The token is verified with
``SECRET_KEY`` before anything is touched; a forged or altered token gets 400 and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from creatorflow.domain.unsubscribe import InvalidToken, UnsubscribeRequest, read_token
from creatorflow.services.replies.opt_outs import unsubscribe
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for

ONE_CLICK = "One-Click"
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto;">
{body}
</body></html>
"""
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status, headers=_HEADERS)


def _one_click_body(raw: bytes, content_type: str) -> bool:
    """RFC 8058: ``List-Unsubscribe=One-Click``, form-urlencoded or multipart/form-data."""
    text = raw.decode("utf-8", "replace")
    if content_type.startswith("multipart/form-data"):
        return 'name="List-Unsubscribe"' in text and ONE_CLICK in text
    return ONE_CLICK in parse_qs(text).get("List-Unsubscribe", [])


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app; settings are read when the app is built, not at import."""
    settings = settings or get_settings()
    settings.require("secret_key")
    assert settings.secret_key is not None
    key = settings.secret_key.get_secret_value().encode()
    engine = engine_for(settings.database_url)
    app = FastAPI(title="creatorflow unsubscribe", docs_url=None, redoc_url=None, openapi_url=None)
    from creatorflow.web.portal.routes import portal_router  # the creator portal (issue 18)

    app.include_router(portal_router(settings=settings, engine=engine, key=key))
    from creatorflow.web.webhooks import webhooks_router  # Instagram webhooks (issue 17)

    app.include_router(webhooks_router(settings=settings, engine=engine))

    def verify(token: str) -> UnsubscribeRequest | None:
        try:
            return read_token(token, key=key)
        except InvalidToken:
            return None

    @app.get("/u/{token}", response_class=HTMLResponse)
    def confirm_page(token: str) -> HTMLResponse:
        if verify(token) is None:
            return _page("Invalid link", "<p>This unsubscribe link is not valid.</p>", 400)
        return _page(
            "Unsubscribe",
            "<h1>Unsubscribe</h1><p>Stop all emails from us to this address?</p>"
            f'<form method="post" action="/u/{escape(token)}">'
            f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">'
            '<button type="submit">Unsubscribe</button></form>',
        )

    @app.post("/u/{token}", response_model=None)
    async def one_click(token: str, request: Request) -> Response:
        wanted = verify(token)
        if wanted is None:
            return PlainTextResponse("invalid unsubscribe token\n", 400, headers=_HEADERS)
        body = await request.body()
        if not _one_click_body(body, request.headers.get("content-type", "")):
            return PlainTextResponse(
                "expected the body List-Unsubscribe=One-Click\n", 400, headers=_HEADERS
            )
        await run_in_threadpool(  # database work off the event loop
            unsubscribe,
            engine=engine,
            request=wanted,
            now=datetime.now(UTC),
            actor="web:unsubscribe",
        )
        return _page(
            "Unsubscribed",
            "<h1>You are unsubscribed</h1><p>We will not email this address again.</p>",
        )

    @app.get("/healthz", response_class=PlainTextResponse)
    def health() -> str:
        return "ok\n"

    return app
