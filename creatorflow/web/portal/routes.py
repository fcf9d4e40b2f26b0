"""The creator portal's pages: ``GET /p/{token}`` and its forms, mounted by ``web/app.py``.

Plain HTML forms (no JavaScript) rendered by the sandboxed ``TemplateEnvironment`` with
autoescape, so nothing a creator types is ever rendered as markup. Every POST checks, in order:
the link (forged 403; expired or revoked 410), the link's rate limit (429), the body's size (413)
and the CSRF token (403); then it calls one service and redirects back to the page (303) with a
fixed message. Refusals (a bad file, someone else's post) show an error page naming the reason.
What only the operator can fix (a platform's quota or account trouble, a template set without
its terms) is logged for the operator and the creator sees a fixed line: no server paths,
account names or quota details reach the page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from creatorflow.errors import CreatorflowError
from creatorflow.platforms.errors import PlatformError
from creatorflow.services.portal import actions, drafts
from creatorflow.services.portal.links import LinkRefused, PortalAccess, check_link
from creatorflow.services.portal.terms import TermsMissing
from creatorflow.services.portal.view import portal_view
from creatorflow.services.tracking.deliverables import ClientFactory
from creatorflow.settings import Settings
from creatorflow.templating import TemplateEnvironment
from creatorflow.web.portal import csrf
from creatorflow.web.portal.links import PAGE_LIMIT, POST_LIMIT, WINDOW, RateLimiter
from creatorflow.web.portal.review_runs import ReviewStarter, start_review_deployment
from creatorflow.web.portal.uploads import (
    FORM_OVERHEAD,
    BadForm,
    BodyTooLarge,
    Form,
    parse_form,
    read_body,
)
from creatorflow.wiring import wire

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}
DONE = {
    "accepted": "Thank you: you accepted the offer and its terms. Your brief is on its way.",
    "declined": "You declined the offer. Thank you for letting us know.",
    "shipping": "Your shipping address is saved.",
    "draft": "Your draft is submitted for review. We will email you the answer.",
    "post": "Your post is recorded. Thank you!",
}
REFUSED = {
    "forged": (403, "This link is not valid", "Check that you opened the whole link."),
    "expired": (410, "This link has expired", "Ask the team for a new link."),
    "revoked": (410, "This link was withdrawn", "Ask the team for a new link."),
}

#: What the creator sees when the operator must fix something first (logged for them).
UNAVAILABLE = {
    "terms": (
        503,
        "This offer is not ready yet",
        "The terms for this offer are not available yet; the brand has been told.",
    ),
    "platform": (
        503,
        "We could not check this post",
        "We could not check this post right now; please try again later.",
    ),
}

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def portal_router(
    *,
    settings: Settings,
    engine: Engine,
    key: bytes,
    start_review: ReviewStarter = start_review_deployment,
    clients: ClientFactory | None = None,
    clock: Clock = _utcnow,
    page_limiter: RateLimiter | None = None,
    post_limiter: RateLimiter | None = None,
) -> APIRouter:
    """The portal's routes; tests pass a clock, platform clients and a review starter."""
    router = APIRouter()
    pages = TemplateEnvironment(settings.templates_dir / "portal")
    page_limits = page_limiter or RateLimiter(PAGE_LIMIT, WINDOW)
    post_limits = post_limiter or RateLimiter(POST_LIMIT, WINDOW)
    body_limit = settings.max_upload_bytes + FORM_OVERHEAD

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = pages.render_file(name, context)
        return HTMLResponse(html, status, headers=HEADERS)

    def error(status: int, title: str, detail: str, token: str | None = None) -> HTMLResponse:
        back = f"/p/{token}" if token else None
        return render("error.html.j2", status, title=title, detail=detail, back=back)

    def unavailable(reason: str, problem: Exception, token: str | None = None) -> HTMLResponse:
        """The fixed page for ``reason``; the problem (paths, accounts) goes to the log only."""
        log.error("portal: %s: %s", type(problem).__name__, problem)
        status, title, detail = UNAVAILABLE[reason]
        return error(status, title, detail, token)

    async def gate(token: str, limiter: RateLimiter) -> tuple[PortalAccess | None, Response | None]:
        try:
            access = await run_in_threadpool(
                check_link, engine=engine, key=key, token=token, now=clock()
            )
        except LinkRefused as refused:
            status, title, detail = REFUSED[refused.reason]
            return None, error(status, title, detail)
        wait = limiter.allow(f"link-{access.link_id}")
        if wait is not None:
            response = error(429, "Too many requests", "Please wait a few minutes and try again.")
            response.headers["Retry-After"] = str(int(wait))
            return None, response
        return access, None

    @router.get("/p/{token}", response_class=HTMLResponse, response_model=None)
    async def portal_page(token: str, request: Request, done: str = "") -> Response:
        access, refusal = await gate(token, page_limits)
        if refusal is not None or access is None:
            return refusal or error(403, "This link is not valid", "")
        try:
            view = await run_in_threadpool(
                portal_view, engine=engine, settings=settings, enrollment_id=access.enrollment_id
            )
        except TermsMissing as exc:
            return unavailable("terms", exc)
        cookie, new = csrf.cookie_value(request)
        response = render(
            "portal.html.j2",
            view=view,
            action=f"/p/{token}",
            csrf_field=csrf.FIELD,
            csrf_token=csrf.form_token(key=key, link_id=access.link_id, cookie=cookie),
            done=DONE.get(done, ""),
            max_upload_mb=f"{settings.max_upload_bytes / 1_000_000:g}",
        )
        if new:
            csrf.set_cookie(response, cookie, secure=request.url.scheme == "https")
        return response

    Handler = Callable[[PortalAccess, Form], Awaitable[str]]

    async def handle(token: str, request: Request, work: Handler) -> Response:
        access, refusal = await gate(token, post_limits)
        if refusal is not None or access is None:
            return refusal or error(403, "This link is not valid", "")
        try:
            body = await read_body(request, limit=body_limit)
            form = parse_form(body, request.headers.get("content-type", ""))
        except BodyTooLarge:
            limit = f"{settings.max_upload_bytes / 1_000_000:g} MB"
            return error(413, "The file is too large", f"Files up to {limit} are accepted.", token)
        except BadForm as exc:
            return error(400, "The form could not be read", str(exc), token)
        if not csrf.is_valid(request, form.get(csrf.FIELD), key=key, link_id=access.link_id):
            return error(
                403, "This form has expired", "Reload your portal page and try again.", token
            )
        try:
            done = await work(access, form)
        except drafts.DraftRefused as exc:
            return error(exc.status, "The draft was not accepted", str(exc), token)
        except TermsMissing as exc:
            return unavailable("terms", exc, token)
        except PlatformError as exc:  # quota, account trouble: the operator's, not the creator's
            return unavailable("platform", exc, token)
        except CreatorflowError as exc:
            return error(400, "That did not work", str(exc), token)
        return RedirectResponse(f"/p/{token}?done={done}", 303, headers=HEADERS)

    @router.post("/p/{token}/offer", response_model=None)
    async def answer_offer(token: str, request: Request) -> Response:
        async def work(access: PortalAccess, form: Form) -> str:
            accepted = form.get("answer") == "accept"
            if not accepted and form.get("answer") != "decline":
                raise BadAnswer("choose accept or decline")
            await run_in_threadpool(
                actions.answer_offer,
                engine=engine,
                settings=settings,
                access=access,
                accepted=accepted,
                terms_version=form.get("terms_version"),
                now=clock(),
            )
            return "accepted" if accepted else "declined"

        return await handle(token, request, work)

    @router.post("/p/{token}/shipping", response_model=None)
    async def shipping(token: str, request: Request) -> Response:
        async def work(access: PortalAccess, form: Form) -> str:
            fields = {name: form.get(name) for name, _, _ in actions.ADDRESS_FIELDS}
            await run_in_threadpool(
                actions.save_shipping_address,
                engine=engine,
                access=access,
                fields=fields,
                now=clock(),
            )
            return "shipping"

        return await handle(token, request, work)

    @router.post("/p/{token}/draft", response_model=None)
    async def submit_draft(token: str, request: Request) -> Response:
        async def work(access: PortalAccess, form: Form) -> str:
            result = await run_in_threadpool(
                drafts.submit_draft,
                engine=engine,
                settings=settings,
                access=access,
                now=clock(),
                link=form.get("link"),
                content=form.files.get("file") or None,
                note=form.get("note"),
            )
            await run_in_threadpool(start_review, result.draft_id)
            return "draft"

        return await handle(token, request, work)

    @router.post("/p/{token}/post", response_model=None)
    async def submit_post(token: str, request: Request) -> Response:
        async def work(access: PortalAccess, form: Form) -> str:
            url, now = form.get("url"), clock()

            def submit() -> object:
                if clients is not None:
                    return actions.submit_post(
                        engine=engine, clients=clients, access=access, url=url, now=now
                    )
                # the platform clients of this request, closed when it is done
                return wire(settings).call(
                    actions.submit_post, actor=access.actor, now=now, access=access, url=url
                )

            await run_in_threadpool(submit)
            return "post"

        return await handle(token, request, work)

    @router.get("/p/{token}/{form}", response_model=None)
    async def form_by_get(token: str, form: str) -> Response:
        """A form's address opened in the browser (a bookmark, a reload): back to the page."""
        return RedirectResponse(f"/p/{token}", 303, headers=HEADERS)

    return router


class BadAnswer(CreatorflowError):
    """The offer form said neither accept nor decline."""
