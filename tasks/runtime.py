"""What a task needs to know about the run it is part of."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def current_actor(default: str = "local") -> str:
    """``flow-run:<id>`` inside a Prefect flow run, else ``default`` (e.g. ``cli:<command>``).

    Every event row records this, so an operator can tell which run made a change.
    """
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return f"flow-run:{run_id}" if run_id else default


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
