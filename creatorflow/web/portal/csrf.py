"""CSRF protection for every portal form: a cookie and a field that must agree.

The page sets a random ``cf_portal_csrf`` cookie (HttpOnly, SameSite=Strict, path ``/p/``) and
puts ``HMAC(secret key, link id + cookie)`` in each form; a POST needs both, and another site can
read neither. The HMAC binds the field to the link, so a form copied from one creator's page is
refused on another's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "cf_portal_csrf"
FIELD = "csrf_token"


def cookie_value(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a new one (and True: set it on the response)."""
    value = request.cookies.get(COOKIE, "")
    if len(value) == 43 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(32), True


def form_token(*, key: bytes, link_id: int, cookie: str) -> str:
    message = f"portal-csrf:{link_id}:{cookie}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_valid(request: Request, submitted: str, *, key: bytes, link_id: int) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(form_token(key=key, link_id=link_id, cookie=cookie), submitted)


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE, value, httponly=True, samesite="strict", secure=secure, path="/p/", max_age=86400
    )
