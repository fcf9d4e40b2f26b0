"""What every task shares: the wiring of its service call, its retry policy, its run's name.

A task body is then one call: ``run_service(service, **values)`` builds the engine, settings,
clients and actor the service asks for (``creatorflow.wiring``) and closes what it opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from prefect.tasks import exponential_backoff

from creatorflow.mail.errors import MailConnectionError, TemporaryMailError
from creatorflow.mail.inbox import InboxUnavailable
from creatorflow.platforms.errors import TransientPlatformError
from creatorflow.settings import Settings
from creatorflow.wiring import current_actor, run_as_of, wire

T = TypeVar("T")


def run_service(
    service: Callable[..., T], /, *, settings: Settings | None = None, **arguments: Any
) -> T:
    """Call ``service`` with ``arguments`` and the wiring it declares (engine, clients, ...).

    The actor is the flow run, else ``task:<task name>`` (a task run on its own).
    """
    from prefect.runtime import task_run

    actor = current_actor(f"task:{task_run.task_name or 'local'}")
    return wire(settings).call(service, actor=actor, **arguments)


def retry_only_on(*errors: type[BaseException]) -> Callable[[Any, Any, Any], bool]:
    """A ``retry_condition_fn`` that retries a failed task only when it raised one of ``errors``.

    Transient faults (a deferred SMTP reply, a timeout, a throttled API) are worth another try;
    a bad password or an unknown account fails at once with its message.
    """

    def should_retry(task: Any, task_run: Any, state: Any) -> bool:
        try:
            state.result()
        except errors:
            return True
        except Exception:
            return False
        return False

    should_retry.__name__ = f"retry_only_on_{'_'.join(e.__name__ for e in errors)}"
    return should_retry


#: Timeouts, 5xx and throttling; a bad key, unknown account or spent quota fails at once.
retry_transient_only = retry_only_on(TransientPlatformError)
#: The mail server unreachable or deferring; the outbox makes a retried send safe.
mail_trouble = retry_only_on(MailConnectionError, TemporaryMailError)
#: The mailbox unreachable; each inbound message is recorded once, so reading again is safe.
mailbox_unreachable = retry_only_on(InboxUnavailable)


def retrying(condition: Callable[[Any, Any, Any], bool], *, backoff: float = 10) -> dict[str, Any]:
    """``@task`` options: three retries with jittered exponential backoff, when ``condition``."""
    return {
        "retries": 3,
        "retry_delay_seconds": exponential_backoff(backoff_factor=backoff),
        "retry_jitter_factor": 0.5,
        "retry_condition_fn": condition,
    }


def run_parameters() -> tuple[Mapping[str, Any], datetime]:
    """The flow run's parameters and its ``as_of`` (the one UTC rule; now when absent), for names.

    A run name is cosmetic: an ``as_of`` that does not parse names the run by the current time.
    """
    from prefect.runtime import flow_run

    params: Mapping[str, Any] = flow_run.parameters or {}
    as_of = params.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = datetime.fromisoformat(as_of)
        except ValueError:
            as_of = None
    return params, run_as_of(as_of if isinstance(as_of, datetime) else None)
