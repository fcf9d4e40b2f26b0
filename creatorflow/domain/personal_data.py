"""The rules of personal data: who a request names, what is kept of an erased person, and when.

An erased person leaves only keyed hashes behind (HMAC-SHA256 with the secret key of the
normalised address and of each ``platform:handle``): enough to recognise them in an import or a
shortlist, useless to anyone without the key. The event log keeps its rows (figures and stage
history depend on them) but an erased person's events keep only ``SAFE_DETAIL_KEYS``, each value
redacted of the person's identifiers: the log holds nothing erasure cannot remove. Pure: no I/O,
time is given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from creatorflow.domain.handles import normalise_email, normalise_handle
from creatorflow.domain.model import Platform, Stage

IdentityKind = Literal["email", "handle"]

#: What erasure leaves in place of a redacted piece of text.
REDACTED = "[erased]"
#: How a rejected import row or an excluded candidate is explained.
ERASED_ON_REQUEST = "erased on request"
#: The days over which cold contacts are counted for the cap across campaigns.
CAP_WINDOW = timedelta(days=90)
#: Stages that mean the person answered (whatever the answer): retention keeps them.
ANSWERED = frozenset({Stage.REPLIED, Stage.ACCEPTED, Stage.DECLINED, Stage.POSTED, Stage.OPTED_OUT})
#: Stages of a contact who never answered: retention erases them once old enough.
UNANSWERED = frozenset({Stage.CONTACTED, Stage.FINISHED, Stage.BOUNCED})

#: Keys of an event's detail an erased person's events keep (values redacted): the stage
#: history (``from``/``to``), what happened and how, never who (addresses, names, handles,
#: subjects, old values of changed fields, source file lines).
SAFE_DETAIL_KEYS = frozenset(
    {
        "from",
        "to",
        "reason",
        "cause",
        "step",
        "status",
        "stage",
        "tier",
        "followers",
        "platform",
        "provenance",
        "period",
        "classification",
        "failure",
        "smtp_code",
        "smtp_status",
        "attempts",
        "count",
        "enrollments",
        "erased",
    }
)


@dataclass(frozen=True)
class Identity:
    """A person as a request names them: a normalised address or ``platform:handle``."""

    kind: IdentityKind
    value: str

    def __str__(self) -> str:
        return self.value


def parse_identity(raw: str) -> Identity:
    """``EMAIL`` or ``PLATFORM:HANDLE`` as typed; ``ValueError`` names what is wrong."""
    text = raw.strip()
    prefix, colon, rest = text.partition(":")
    if colon and "@" not in prefix:
        try:
            platform = Platform(prefix.strip().lower())
        except ValueError:
            raise ValueError(
                f"{prefix.strip()!r} is not a platform (expected EMAIL or PLATFORM:HANDLE)"
            ) from None
        return handle_identity(platform, rest)
    return Identity("email", normalise_email(text))


def handle_identity(platform: Platform | str, handle: str) -> Identity:
    plat = Platform(platform)
    return Identity("handle", f"{plat.value}:{normalise_handle(plat, handle)}")


def email_identity(address: str) -> Identity:
    return Identity("email", normalise_email(address))


def identity_digest(identity: Identity, *, key: bytes) -> str:
    """HMAC-SHA256 (hex) of ``kind:value``: the only trace an erased person leaves."""
    message = f"{identity.kind}:{identity.value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def erased_label(creator_id: int) -> str:
    """How an erased creator is shown in reports and listings."""
    return f"erased creator #{creator_id}"


def erased_handle(account_id: int) -> str:
    """An erased account's handle: unique per platform, naming nobody."""
    return f"erased-{account_id}"


def _forms(secret: str) -> set[str]:
    """A secret as text may hold it: itself, and as JSON escapes it (``Zo\\u00eb``)."""
    escaped = json.dumps(secret)[1:-1]
    return {secret.lower(), escaped.lower(), json.dumps(secret.lower())[1:-1]}


def search_terms(secrets: Iterable[str]) -> list[str]:
    """Lower-cased substrings a stored text holding any secret contains (for a SQL prefilter)."""
    terms: set[str] = set()
    for secret in secrets:
        if secret and secret.strip():
            terms |= _forms(secret.strip())
    return sorted(terms, key=lambda t: (-len(t), t))


def _pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({s.strip() for s in secrets if s and s.strip()}, key=lambda s: (-len(s), s))
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    # a name inside a longer word ("Jo" in "Joanna") is not that name
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-])", re.IGNORECASE)


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every whole occurrence of a secret replaced by ``REDACTED``."""
    pattern = _pattern(secrets)
    return text if pattern is None else pattern.sub(REDACTED, text)


def redact_value(value: Any, secrets: Sequence[str]) -> Any:
    """``value`` (JSON: dicts, lists, strings, numbers) with every string redacted."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {redact(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    return value


def scrub_detail(detail: Mapping[str, Any] | None, secrets: Sequence[str]) -> dict[str, Any]:
    """An erased person's event detail: the safe keys with scalar values, redacted."""
    kept: dict[str, Any] = {"erased": True}
    for key, value in (detail or {}).items():
        if key in SAFE_DETAIL_KEYS and (value is None or isinstance(value, str | int | float)):
            kept[key] = redact(value, secrets) if isinstance(value, str) else value
    return kept


def redact_reason(reason: str, secrets: Sequence[str], *, limit: int = 200) -> str:
    """An operator's reason for an erasure, without the identifiers it may repeat."""
    text = " ".join(redact(reason, secrets).split())
    return text[:limit] or "erasure request"


def cap_reason(
    contacts: Iterable[tuple[int, datetime]], *, now: datetime, limit: int
) -> str | None:
    """Why a person may not be contacted cold again, or ``None``.

    ``contacts`` are (campaign id, first email) of the person's cold contacts by other campaigns;
    those within ``CAP_WINDOW`` before ``now`` count once per campaign. At ``limit`` or more,
    a new campaign would make one too many in some 90 days.
    """
    since = now - CAP_WINDOW
    recent = {campaign for campaign, at in contacts if since < at <= now}
    if len(recent) < limit:
        return None
    return (
        f"contacted by {len(recent)} campaigns in the last {CAP_WINDOW.days} days "
        f"(at most {limit} per person)"
    )


def retention_cutoff(now: datetime, days: int) -> datetime | None:
    """Contacts last emailed before this moment are erased; ``None`` when retention is off."""
    return None if days <= 0 else now - timedelta(days=days)


def never_answered(stages: Iterable[Stage | str]) -> bool:
    """Whether a person's enrollments show a contact and no answer (retention may erase them)."""
    seen = {Stage(s) for s in stages}
    return bool(seen & UNANSWERED) and not seen & ANSWERED
