"""The pure rules of personal data: who a request names, what an erased person's events keep."""

from __future__ import annotations

import pytest

from creatorflow.domain.personal_data import (
    REDACTED,
    Identity,
    identity_digest,
    parse_identity,
    redact,
    redact_reason,
    scrub_detail,
)


@pytest.mark.parametrize(
    ("typed", "identity"),
    [
        (" Zoe@Mail.Example ", Identity("email", "zoe@mail.example")),
        ("instagram:@Zoe.Glow", Identity("handle", "instagram:zoe.glow")),
        (
            "YouTube:UCzoemarchetti000000000a",
            Identity("handle", "youtube:UCzoemarchetti000000000a"),
        ),
    ],
)
def test_a_request_names_a_normalised_address_or_platform_handle(
    typed: str, identity: Identity
) -> None:
    assert parse_identity(typed) == identity


@pytest.mark.parametrize("typed", ["myspace:zoe", "instagram:", "not an address", "a@b"])
def test_anything_else_is_refused_with_the_reason(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_identity(typed)


def test_the_hash_needs_the_key_and_tells_addresses_from_handles() -> None:
    email = Identity("email", "zoe@mail.example")
    assert identity_digest(email, key=b"k1") == identity_digest(email, key=b"k1")
    assert identity_digest(email, key=b"k1") != identity_digest(email, key=b"k2")
    same_text = Identity("handle", "zoe@mail.example")
    assert identity_digest(email, key=b"k1") != identity_digest(same_text, key=b"k1")
    assert "zoe" not in identity_digest(email, key=b"k1")


def test_redaction_takes_whole_identifiers_only() -> None:
    secrets = ["Jo", "jo@mail.example"]
    text = "Jo <jo@mail.example> wrote to Joanna"
    assert redact(text, secrets) == f"{REDACTED} <{REDACTED}> wrote to Joanna"
    assert (
        redact_reason("asked by jo@mail.example\n twice", secrets) == f"asked by {REDACTED} twice"
    )


def test_an_erased_persons_event_keeps_the_stage_history_and_nothing_that_names_them() -> None:
    detail = {
        "from": "contacted",
        "to": "replied",
        "reason": "reply from zoe@mail.example",
        "changes": {"email": ["old@mail.example", "zoe@mail.example"]},
        "source": "creators.csv:3",
        "handle": "zoe.glow",
    }
    kept = scrub_detail(detail, ["zoe@mail.example", "zoe.glow"])
    assert kept == {"erased": True, "from": "contacted", "to": "replied",
                    "reason": f"reply from {REDACTED}"}  # fmt: skip
