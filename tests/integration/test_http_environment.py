"""Platform calls honour the proxy environment while reading it once per origin, not per call.

``PlatformHttp`` turns requests' ``trust_env`` off (it walked every environment variable on each
of a polling round's thousands of calls) and resolves ``HTTP(S)_PROXY``/``NO_PROXY`` itself: a
real loopback proxy must still see the calls it should carry, and none it should not.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from creatorflow.platforms.errors import TransientPlatformError
from creatorflow.platforms.http import PlatformHttp
from creatorflow.settings import Settings


class _Proxy(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Proxy.seen.append(self.path)  # a proxied request names the whole URL
        body = json.dumps({"via": "proxy"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Proxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client() -> PlatformHttp:
    settings = Settings(http_max_retries=0, http_connect_timeout=2, http_read_timeout=2)
    return PlatformHttp(platform="youtube", settings=settings, classify=lambda reply, account: None)


def test_a_call_goes_through_the_proxy_the_environment_names(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    http = _client()
    for _ in range(3):
        assert http.request("GET", "http://api.platform.invalid/v3/videos") == {"via": "proxy"}
    assert _Proxy.seen == ["http://api.platform.invalid/v3/videos"] * 3
    assert not http.session.trust_env  # the environment is read by PlatformHttp, once


def test_no_proxy_sends_the_call_directly(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "api.platform.invalid")
    http = _client()
    # direct: the .invalid name never resolves, and the proxy hears nothing
    with pytest.raises(TransientPlatformError, match="connection failed"):
        http.request("GET", "http://api.platform.invalid/v3/videos", path="videos.list")
    assert _Proxy.seen == []
