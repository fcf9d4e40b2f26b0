"""What every task shares: the wiring of its service call, its retry policy, its run's name.

A task body is then one call: ``run_service(service, **values)`` builds the engine, settings,
clients and actor the service asks for (``creatorflow.wiring``) and closes what it opened. The
flows that fan out take their task runner from here too (``ConfiguredTaskRunner``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from creatorflow.mail.errors import MailConnectionError, TemporaryMailError
from creatorflow.mail.inbox import InboxUnavailable
from creatorflow.platforms.errors import TransientPlatformError
from creatorflow.settings import Settings, SettingsError, get_settings
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


def task_runner_for(settings: Settings, *, max_workers: int) -> TaskRunner[Any]:
    """The task runner ``CREATORFLOW_TASK_RUNNER`` names, for a flow that fans out batches.

    ``thread``: ``max_workers`` threads of the flow's process. ``dask``: the Dask cluster at
    ``CREATORFLOW_DASK_ADDRESS``, or a local cluster started for the run when that is empty; the
    tasks take only ids and dates, so any process with the project installed can run them.
    """
    if settings.task_runner == "dask":
        try:
            from prefect_dask.task_runners import DaskTaskRunner
        except ImportError:
            raise SettingsError(
                "CREATORFLOW_TASK_RUNNER=dask needs prefect-dask: pip install -e '.[dask]'"
            ) from None
        return DaskTaskRunner(address=settings.dask_address or None)
    return ThreadPoolTaskRunner(max_workers=max_workers)


class ConfiguredTaskRunner(TaskRunner[PrefectFuture[Any]]):
    """The runner ``task_runner_for`` picks from the settings when a flow run starts.

    A flow's decorator runs at import, before settings may be read (a worker's environment is
    its own), so the flow holds this runner; each run enters a fresh copy (Prefect calls
    ``duplicate``), which starts the configured runner and hands it every task submitted.
    """

    def __init__(self, *, max_workers: int) -> None:
        self.max_workers = max_workers
        self._runner: TaskRunner[Any] | None = None
        super().__init__()  # type: ignore[no-untyped-call]

    def duplicate(self) -> ConfiguredTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def __enter__(self) -> ConfiguredTaskRunner:
        runner = task_runner_for(get_settings(), max_workers=self.max_workers)
        super().__enter__()
        try:
            self._runner = runner.__enter__()
        except BaseException:
            super().__exit__(None, None, None)
            raise
        self.logger.debug("tasks run on %s", self._runner.name)
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        runner, self._runner = self._runner, None
        try:
            if runner is not None:
                runner.__exit__(exc_type, exc_value, traceback)
        finally:
            super().__exit__(exc_type, exc_value, traceback)

    def submit(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Any = None,
        dependencies: Any = None,
    ) -> PrefectFuture[Any]:
        if self._runner is None:
            raise RuntimeError("The task runner must be started before submitting work.")
        if not isinstance(self._runner, ThreadPoolTaskRunner):
            # bound for another process: Prefect's ``quote`` does not survive pickling (a tuple
            # subclass, it comes back wrapping a 1-tuple), and only spares threads a walk
            parameters = {
                k: v.unwrap() if isinstance(v, quote) else v for k, v in parameters.items()
            }
        future: PrefectFuture[Any] = self._runner.submit(task, parameters, wait_for, dependencies)
        return future


class _QuietCompletions(logging.Filter):
    """Drops a task run's bare ``Finished in state Completed()`` line from its run's logs.

    A tracking run finishes dozens of task runs, and each logged that line, saying nothing the
    task run's state does not: the run history read as a wall of them. A task that finishes any
    other way (failed, cached, retrying, completed with a message) is still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and record.msg == BARE_COMPLETION)


BARE_COMPLETION = "Finished in state Completed()"
_QUIET_COMPLETIONS = _QuietCompletions()
# The logger Prefect's task engine logs through, in every process that runs tasks (the CLI,
# `serve`, a worker, a Dask worker): each imports this module with its tasks.
_TASK_RUN_LOGGER = logging.getLogger("prefect.task_runs")
if _QUIET_COMPLETIONS not in _TASK_RUN_LOGGER.filters:
    _TASK_RUN_LOGGER.addFilter(_QUIET_COMPLETIONS)
