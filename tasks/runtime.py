"""What a task needs to know about the run it is part of."""

from __future__ import annotations


def current_actor(default: str = "local") -> str:
    """``flow-run:<id>`` inside a Prefect flow run, else ``default`` (e.g. ``cli:<command>``).

    Every event row records this, so an operator can tell which run made a change.
    """
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return f"flow-run:{run_id}" if run_id else default
