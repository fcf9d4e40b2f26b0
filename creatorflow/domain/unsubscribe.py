"""Unsubscribe tokens: an opaque, unforgeable HMAC over (address, campaign).

The token carries the address and campaign slug (base64url) plus a SHA-256 HMAC under the
``SECRET_KEY``; the endpoint needs no database look-up to know what to suppress, and an altered
address or campaign invalidates the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass


class InvalidToken(ValueError):
    """The token is malformed or its signature does not match."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    email: str
    campaign_slug: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def _unb64(text: str) -> bytes:
    """Strict base64url without padding: the one spelling ``_b64`` produces, nothing else.

    ``urlsafe_b64decode`` skips characters outside the alphabet and ignores the unused bits of
    the last character, so ``YQ`` and ``YR`` both decode to ``a``; a token that differs from
    its canonical spelling is an altered token.
    """
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.b64decode(
        text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
    )
    if _b64(data) != text:
        raise ValueError("not the canonical base64url spelling")
    return data


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"creatorflow-unsubscribe\x00" + payload, hashlib.sha256).digest()


def make_token(email: str, campaign_slug: str, *, key: bytes) -> str:
    """The token for ``email`` in ``campaign_slug`` (the address is normalised first)."""
    payload = f"{email.strip().lower()}\x00{campaign_slug}".encode()
    return f"{_b64(payload)}.{_b64(_signature(key, payload))}"


def read_token(token: str, *, key: bytes) -> UnsubscribeRequest:
    """Verify ``token`` and return what it asks for; raise ``InvalidToken`` otherwise."""
    try:
        payload_part, signature_part = token.split(".")
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidToken("malformed unsubscribe token") from exc
    if not hmac.compare_digest(signature, _signature(key, payload)):
        raise InvalidToken("unsubscribe token signature does not match")
    try:
        email, slug = payload.decode("utf-8").split("\x00")
    except ValueError as exc:
        raise InvalidToken("malformed unsubscribe token") from exc
    return UnsubscribeRequest(email=email, campaign_slug=slug)
