"""What a flow-backed command checks before it starts a flow: mistakes found in a second.

A flow run costs seconds before its first task (without ``PREFECT_API_URL``, Prefect first
starts a temporary server), and a mistake found by a task is recorded as a failed run. So a
command checks first what it can check without a flow: the settings the flow will require and
the records it will look up, and fails with the same one line the flow would have raised.

The checks are keyed by command (``campaign launch``) and read the command's parsed parameters
from click's context, so ``guard_prefect_server`` (which every such command calls right before
its first flow) runs them without each command body repeating them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, inspect

from creatorflow.errors import ConfigError
from creatorflow.settings import get_settings
from creatorflow.wiring import wire


def require_tables(engine: Engine) -> None:
    """``ConfigError`` with the next step when the database was never migrated, or not to the
    revision this code needs (a task would otherwise fail on a missing column mid-run)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from creatorflow.storage.migrate import alembic_config

    if not inspect(engine).has_table("campaigns"):
        raise ConfigError(
            "the database has no creatorflow tables yet: run `creatorflow db upgrade` first"
        )
    heads = set(ScriptDirectory.from_config(alembic_config("")).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        raise ConfigError(
            f"the database is at revision {', '.join(sorted(current)) or 'none'}, this version "
            f"needs {', '.join(sorted(heads))}: run `creatorflow db upgrade` first"
        )


def _launch(params: Mapping[str, Any]) -> None:
    """A launch renders every first email, a dry run included: it needs the sender's details."""
    settings = get_settings()
    settings.require("sender", "postal_address")
    if settings.unsubscribe_base_url:
        settings.require("secret_key")
    require_tables(wire(settings).engine)


def _track(params: Mapping[str, Any]) -> None:
    """The campaign must have been launched (``NotFoundError`` naming the next step)."""
    from creatorflow.services.tracking.tracked_campaigns import tracked_slugs

    wiring = wire()
    require_tables(wiring.engine)
    wiring.call(tracked_slugs, actor="cli:campaign track", slug=params.get("slug"))


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "campaign launch": _launch,
    "campaign track": _track,
}


def check_before_flow() -> None:
    """Run the current command's checks (none outside a command, or for a command without)."""
    # the click bundled with typer 0.2x (its own context stack); older typer uses click's
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - typer without a bundled click
        from click.globals import get_current_context  # type: ignore[no-redef]

    ctx = get_current_context(silent=True)
    if ctx is None:
        return
    names = []  # the command's path below the program, however it was started
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    check = CHECKS.get(" ".join(reversed(names)))
    if check is not None:
        check(get_current_context().params)
