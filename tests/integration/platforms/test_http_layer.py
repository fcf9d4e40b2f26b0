"""The shared HTTP layer: timeouts, connection errors, Retry-After, secrets kept out of messages."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from creatorflow.platforms.base import AccountProfile
from creatorflow.platforms.errors import (
    PlatformError,
    TransientPlatformError,
    next_pacific_midnight,
    redact,
)
from creatorflow.platforms.http import retry_after_seconds
from creatorflow.platforms.registry import client_for
from creatorflow.platforms.youtube import YouTubeClient
from creatorflow.sandbox import SANDBOX_YOUTUBE_KEY, SandboxServers, World
from creatorflow.settings import Settings, SettingsError


def test_slow_answers_time_out_and_are_retried(
    world: World,
    sandbox: SandboxServers,
    make_settings: Callable[..., Settings],
    sleeps: list[float],
) -> None:
    world.add_account("youtube", "mia", followers=10)
    sandbox.youtube.fail("slow", delay=0.6)
    client = YouTubeClient(make_settings(http_read_timeout=0.2), sleep=sleeps.append)
    try:
        assert isinstance(client.lookup(["mia"])["mia"], AccountProfile)
    finally:
        client.close()
    assert len(sleeps) == 1  # one timeout, then success


def test_backoff_grows_exponentially_with_jitter(
    sandbox: SandboxServers, make_settings: Callable[..., Settings], sleeps: list[float]
) -> None:
    sandbox.youtube.fail("server_error", times=None)
    client = YouTubeClient(
        make_settings(http_backoff_base=1.0, http_max_retries=4), sleep=sleeps.append
    )
    with pytest.raises(TransientPlatformError):
        client.lookup(["mia"])
    client.close()
    assert sandbox.youtube.calls() == 5
    for attempt, delay in enumerate(sleeps):
        assert 2**attempt <= delay <= 1.5 * 2**attempt


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Mon, 01 Mar 2027 09:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_no_key_or_token_reaches_the_log(
    world: World,
    sandbox: SandboxServers,
    make_settings: Callable[..., Settings],
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.add_account("youtube", "mia", followers=10)
    sandbox.youtube.fail("rate_limit", times=2)
    caplog.set_level(logging.DEBUG)
    client = YouTubeClient(make_settings(), sleep=sleeps.append)
    client.lookup(["mia"])
    client.close()
    assert caplog.records and "retry 1/4" in caplog.text
    assert SANDBOX_YOUTUBE_KEY not in caplog.text


def test_redact_strips_query_secrets_and_bearer_tokens() -> None:
    text = "GET /v3/channels?id=1&key=AIzaXYZ and Bearer act.abc plus raw s3cr3tvalue"
    cleaned = redact(text, ["s3cr3tvalue"])
    assert cleaned == "GET /v3/channels?id=1&key=*** and Bearer *** plus raw ***"
    assert "AIza" not in str(PlatformError("youtube", "https://x/?key=AIzaXYZ"))


def test_quota_resets_at_the_next_midnight_pacific() -> None:
    winter = datetime(2027, 1, 15, 7, 59, tzinfo=UTC)  # 23:59 PST on the 14th
    assert next_pacific_midnight(winter) == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    summer = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    assert next_pacific_midnight(summer) == datetime(2027, 7, 2, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("platform", "field", "variable"),
    [
        ("youtube", "youtube_api_key", "CREATORFLOW_YOUTUBE_API_KEY"),
        ("instagram", "instagram_user_id", "CREATORFLOW_INSTAGRAM_USER_ID"),
        ("tiktok", "tiktok_access_token", "CREATORFLOW_TIKTOK_ACCESS_TOKEN"),
    ],
)
def test_registry_names_the_missing_variable(
    platform: str, field: str, variable: str, make_settings: Callable[..., Settings]
) -> None:
    with pytest.raises(SettingsError, match=variable):
        client_for(platform, make_settings(**{field: None}))


def _closed_port() -> tuple[socket.socket, int]:
    """A port nobody listens on."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    return probe, int(probe.getsockname()[1])


def _truncating_server() -> tuple[socket.socket, int]:
    """A server that promises 100 bytes of JSON and hangs up after one."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                conn.sendall(b"Content-Length: 100\r\n\r\n{")

    threading.Thread(target=serve, daemon=True).start()
    return server, int(server.getsockname()[1])


@pytest.mark.parametrize(
    ("server", "message"),
    [(_closed_port, "connection failed"), (_truncating_server, "cut off in transit")],
    ids=["connection-refused", "answer-cut-off-in-transit"],
)
def test_transport_failures_are_transient_and_retried(
    server: Callable[[], tuple[socket.socket, int]],
    message: str,
    make_settings: Callable[..., Settings],
    sleeps: list[float],
) -> None:
    listening, port = server()
    settings = make_settings(youtube_base_url=f"http://127.0.0.1:{port}", http_max_retries=2)
    client = YouTubeClient(settings, sleep=sleeps.append)
    try:
        with pytest.raises(TransientPlatformError, match=message) as caught:
            client.lookup(["mia"])
    finally:
        client.close()
        listening.close()
    assert len(sleeps) == 2 and SANDBOX_YOUTUBE_KEY not in str(caught.value)


def test_an_unusable_base_url_fails_at_once_naming_the_setting(
    make_settings: Callable[..., Settings], sleeps: list[float]
) -> None:
    client = YouTubeClient(make_settings(youtube_base_url="htp://nowhere"), sleep=sleeps.append)
    try:
        with pytest.raises(PlatformError, match="CREATORFLOW_YOUTUBE_BASE_URL") as caught:
            client.lookup(["mia"])
    finally:
        client.close()
    assert not isinstance(caught.value, TransientPlatformError) and sleeps == []
    assert SANDBOX_YOUTUBE_KEY not in str(caught.value)
