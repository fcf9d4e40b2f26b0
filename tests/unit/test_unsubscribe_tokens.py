"""Unsubscribe tokens are opaque to the reader and unforgeable without the key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.unsubscribe import InvalidToken, make_token, read_token

KEY = b"k" * 32


@given(
    local=st.from_regex(r"[a-z0-9._+-]{1,30}", fullmatch=True),
    slug=st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True),
)
def test_a_token_reads_back_to_its_address_and_campaign(local: str, slug: str) -> None:
    email = f"{local}@example.com"
    request = read_token(make_token(email, slug, key=KEY), key=KEY)
    assert (request.email, request.campaign_slug) == (email, slug)


def test_the_address_is_normalised_before_signing() -> None:
    token = make_token("  Ana@Example.COM ", "spring-glow", key=KEY)
    assert read_token(token, key=KEY).email == "ana@example.com"
    assert "ana" not in token.split(".")[1]


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = make_token("ana@example.com", "spring-glow", key=b"other-key" * 4)
    with pytest.raises(InvalidToken):
        read_token(token, key=KEY)


def test_changing_the_address_inside_a_token_invalidates_it() -> None:
    token = make_token("ana@example.com", "spring-glow", key=KEY)
    forged = make_token("bob@example.com", "spring-glow", key=b"x" * 32).split(".")[0]
    with pytest.raises(InvalidToken):
        read_token(f"{forged}.{token.split('.')[1]}", key=KEY)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "YQ.YQ"])
def test_malformed_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        read_token(garbage, key=KEY)
