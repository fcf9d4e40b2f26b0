"""The HTTP machinery shared by the three sandbox API servers: threads, faults, request log.

Each platform module subclasses ``ApiServer`` and implements ``route(request)``; this module
handles everything that is the same for all three: a ``ThreadingHTTPServer`` on 127.0.0.1 with an
ephemeral port in a background thread, injected faults (consumed in order, optionally only for one
path) and a log of every request (secrets redacted) so tests count calls and YouTube units.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from creatorflow.sandbox.world import World

SECRET_PARAMS = frozenset({"key", "access_token"})

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The server encountered a temporary error.</p></body></html>"
)


@dataclass
class Fault:
    """One injected failure.

    kind:
      ``auth``        bad key / invalid token        ``expired``    expired token
      ``permission``  missing permission or scope    ``quota``      quota / daily limit spent
      ``rate_limit``  429-style throttling           ``server_error`` 5xx with the platform's body
      ``slow``        sleep ``delay`` s, then answer  ``html``       502 HTML error page
      ``malformed``   200 with broken JSON            ``body``       ``status`` + ``body`` verbatim
    ``retry_after`` adds a Retry-After header; ``code`` picks a Meta error code for ``rate_limit``
    (4, 17, 32, 613, 80002) and ``delay`` its regain time in minutes; ``path`` limits the
    fault to paths containing that text, ``token`` to requests made with that token (a TikTok
    creator's own token) and ``account`` to requests about that account (the Instagram
    business-discovery username, the TikTok token owner's handle): a platform fault usually
    hits one creator, not every call.
    """

    kind: str
    times: int | None = 1  # None: until cleared
    path: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    code: int | None = None
    status: int | None = None
    body: Any = None
    token: str | None = None
    account: str | None = None

    def hits(self, server: ApiServer, request: Request) -> bool:
        """Whether this fault applies to ``request``."""
        if self.path is not None and self.path not in request.path:
            return False
        if self.token is not None and request_token(request) != self.token:
            return False
        return self.account is None or server.account_of(request) == self.account


@dataclass
class _Periodic:
    """A fault hitting every ``every``-th request it matches (``ApiServer.fail_every``)."""

    every: int
    fault: Fault
    seen: int = 0


@dataclass
class Request:
    """What the handler parsed, handed to ``route``."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Response:
    status: int
    body: Any  # JSON-serialisable, or str for raw text
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    params: dict[str, str]  # key/access_token replaced by "***"
    body: Any
    status: int
    units: int  # YouTube quota units charged; 0 elsewhere
    fault: str | None


class _Listener(ThreadingHTTPServer):
    """The sandbox's HTTP server: a client that hangs up mid-answer is not a sandbox error.

    Timeout tests and cancelled runs close their connections while an answer is on its way;
    the standard library printed a traceback for each ("Exception occurred during processing
    of request") into the test output. Any other error still prints as before.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ApiServer:
    """Base for the per-platform servers; start()/stop() or use as a context manager."""

    platform_name = "sandbox"

    def __init__(self, world: World) -> None:
        self.world = world
        self.log: list[LoggedRequest] = []
        self._faults: list[Fault] = []
        self._periodic: list[_Periodic] = []  # ``fail_every``
        self._lock = threading.Lock()
        self._httpd: _Listener | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> str:
        """Listen on 127.0.0.1 (ephemeral port) in a daemon thread; returns the base URL."""
        handler = _make_handler(self)
        self._httpd = _Listener(("127.0.0.1", 0), handler)
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.platform_name}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults and log -----------------------------------------------------------------------
    def fail(self, kind: str, *, times: int | None = 1, **options: Any) -> Fault:
        """Inject a fault for the next ``times`` matching requests (``None``: until cleared)."""
        fault = Fault(kind=kind, times=times, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._periodic.clear()

    def fail_every(self, every: int, kind: str, **options: Any) -> Fault:
        """Inject a fault into every ``every``-th matching request (``every=20``: 5 % of the
        calls), until cleared: a platform that throttles now and then, not all the time."""
        if every < 1:
            raise ValueError("every must be at least 1")
        fault = Fault(kind=kind, times=None, **options)
        with self._lock:
            self._periodic.append(_Periodic(every, fault))
        return fault

    def _take_periodic_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for periodic in self._periodic:
                if periodic.fault.hits(self, request):
                    periodic.seen += 1
                    if periodic.seen % periodic.every == 0:
                        return periodic.fault
        return None

    def calls(self, path_contains: str = "") -> int:
        """How many requests reached the server (whose path contains the text)."""
        with self._lock:
            return sum(1 for entry in self.log if path_contains in entry.path)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.hits(self, request):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _record(self, request: Request, status: int, units: int, fault: str | None) -> None:
        params = {k: ("***" if k in SECRET_PARAMS else v) for k, v in request.params.items()}
        entry = LoggedRequest(
            request.method, request.path, params, request.body, status, units, fault
        )
        with self._lock:
            self.log.append(entry)

    # -- to implement -------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def fault_response(self, fault: Fault, request: Request) -> Response:
        """The platform's body for ``auth``/``expired``/``permission``/``quota``/``rate_limit``/
        ``server_error`` faults."""
        raise NotImplementedError

    def units_for(self, request: Request) -> int:
        """Quota units a request costs (YouTube only)."""
        return 0

    def account_of(self, request: Request) -> str | None:
        """The account a request is about (``Fault.account``); None when it names none."""
        return None

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        fault = self._take_fault(request) or self._take_periodic_fault(request)
        units = self.units_for(request)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if fault is None:
            response = self.route(request)
        elif fault.kind == "html":
            response = Response(fault.status or 502, HTML_ERROR_PAGE, content_type="text/html")
        elif fault.kind == "malformed":
            response = Response(fault.status or 200, '{"items": [{"id": "broken"', {})
        elif fault.kind == "body":
            response = Response(fault.status or 200, fault.body)
        else:
            response = self.fault_response(fault, request)
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        self._record(request, response.status, units, fault.kind if fault else None)
        return response


def _make_handler(server: ApiServer) -> Callable[..., BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # one small answer per request: without this, Nagle + delayed ACK add ~40 ms each
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # keep test output clean; the request log is ``server.log``

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
            request = Request(method, parts.path, params, dict(self.headers.items()), body)
            try:
                response = server.handle(request)
            except Exception as exc:  # a bug in the sandbox: answer 500, never hang the client
                response = Response(500, {"error": {"message": f"sandbox bug: {exc!r}"}})
            payload = (
                response.body if isinstance(response.body, str) else json.dumps(response.body)
            ).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self._serve("POST")

    return Handler


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("Authorization") or request.headers.get("authorization")
    if value and value.lower().startswith("bearer "):
        return value[7:].strip()
    return None


def request_token(request: Request) -> str | None:
    """The token a request carries: a Bearer header or the ``access_token`` parameter."""
    return bearer_token(request) or request.params.get("access_token")
