"""What an SMTP refusal means: RFC 5321 reply codes read with their RFC 3463 enhanced status.

The outbox acts on the meaning, not on the number. 4xx is temporary: nothing was delivered.
5.2.2 (mailbox full, and a bare 552) is a "persistent transient" failure: retried in a later run,
with a limit. 5.1.x names a dead address (suppress it), except 5.1.7 and 5.1.8, which are about
our sender. 5.7.x is policy: the person exists, our mail was refused (a deliverability signal).
Any other 5xx is permanent for this message.
"""

from __future__ import annotations

import re

from creatorflow.mail.errors import PermanentMailError, TemporaryMailError

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)")
#: 5.1.x codes about the sender's address, not the recipient's.
_SENDER_STATUSES = frozenset({"5.1.7", "5.1.8"})
#: Reply text kept with the outbox row (servers write a line, sometimes a paragraph).
REPLY_CHARS = 300


def reply_text(reply: bytes | str) -> str:
    """The server's reply as one line of text (multi-line replies joined)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:REPLY_CHARS]


def enhanced_status(text: str) -> str | None:
    """The RFC 3463 code a reply text starts with (``5.1.1``), if any."""
    found = _ENHANCED.match(text)
    return ".".join(found.groups()) if found else None


def refusal(
    code: int, reply: bytes | str, *, where: str, phase: str
) -> TemporaryMailError | PermanentMailError:
    """The error for a refusal at ``phase`` (``mail``, ``rcpt``, ``data`` or ``end``)."""
    text = reply_text(reply)
    status = enhanced_status(text)
    message = f"{where}: {code} {text}".rstrip()
    if 400 <= code < 500 or code < 200:
        full = status == "4.2.2"
        return TemporaryMailError(message, code=code, status=status, reply=text, persistent=full)
    if status == "5.2.2" or (status is None and code == 552):
        return TemporaryMailError(message, code=code, status=status, reply=text, persistent=True)
    if status is not None:
        dead = status.startswith("5.1.") and status not in _SENDER_STATUSES and phase != "mail"
    else:
        dead = phase == "rcpt" and code in (550, 551, 553)
    return PermanentMailError(message, code=code, address_unknown=dead, status=status, reply=text)
