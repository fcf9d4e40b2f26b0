"""The composition root: the engine, platform clients and inbox reader from Settings.

Prefect tasks and CLI commands get what a service needs here and nowhere else, so services see
only their ports, tests hand them small fakes, and a new adapter is wired in one place. The mail
transport is the one exception, on purpose: the sending services build it from these Settings
(``mail.transport.transport_for``) at the moment they need it, after a dry run has returned and
before anything is claimed, so a bad ``CREATORFLOW_MAIL_URL`` neither fails a preview nor leaves
a claim behind; tests pass their own with ``transport=``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from creatorflow.domain.as_of import as_utc
from creatorflow.domain.model import Platform
from creatorflow.mail.inbox import Inbox, open_inbox
from creatorflow.platforms.base import PlatformClient
from creatorflow.platforms.clients import PlatformClients, platform_clients
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for

T = TypeVar("T")


@dataclass(frozen=True)
class Wiring:
    """The adapters of one command or task run, built from one ``Settings``."""

    settings: Settings

    @property
    def engine(self) -> Engine:
        return engine_for(self.settings.database_url)  # one engine per URL and process

    def inbox(self) -> Inbox:
        settings = self.settings
        return open_inbox(
            settings.inbox_url.get_secret_value(),
            timeout=settings.http_read_timeout,
            ca_file=settings.mail_ca_file,
        )

    @contextmanager
    def platform_client(self, platform: Platform) -> Iterator[PlatformClient]:
        """One platform's client, its HTTP session closed when the block ends."""
        client = client_for(platform, self.settings)
        try:
            yield client
        finally:
            close_client(client)

    def platform_clients(self) -> AbstractContextManager[PlatformClients]:
        """Clients built on first use per platform, all closed when the block ends."""
        return platform_clients(self.settings)

    def call(
        self,
        service: Callable[..., T],
        /,
        *,
        actor: str,
        now: datetime | None = None,
        **arguments: Any,
    ) -> T:
        """``service(**arguments)``, plus what it requires of engine, settings, clients, actor, now.

        A service names what it needs; only required parameters not in ``arguments`` are wired
        (an optional one such as ``clients=None`` or ``inbox=None`` is a test seam with its own
        default), and ``now`` only when given. Platform clients opened for the call are closed
        when it returns, even on an error.
        """
        required = {
            name
            for name, parameter in inspect.signature(service).parameters.items()
            if parameter.default is inspect.Parameter.empty and name not in arguments
        }
        with ExitStack() as stack:
            offered: dict[str, Callable[[], Any]] = {
                "engine": lambda: self.engine,
                "settings": lambda: self.settings,
                "clients": lambda: stack.enter_context(self.platform_clients()),
                "actor": lambda: actor,
                "now": lambda: now,
            }
            if now is None:
                del offered["now"]
            wired = {name: make() for name, make in offered.items() if name in required}
            return service(**wired, **arguments)


def wire(settings: Settings | None = None) -> Wiring:
    """The wiring for ``settings`` (default: the process's ``get_settings()``)."""
    return Wiring(settings if settings is not None else get_settings())


def run_as_of(as_of: datetime | None) -> datetime:
    """The moment a run acts as of: ``as_of`` read as UTC (naive included), else now."""
    return as_utc(as_of, now=datetime.now(UTC))


def current_actor(default: str = "local") -> str:
    """``flow-run:<id>`` inside a Prefect flow run, else ``default`` (e.g. ``cli:<command>``).

    Every event row records this, so an operator can tell which run made a change.
    """
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return f"flow-run:{run_id}" if run_id else default
