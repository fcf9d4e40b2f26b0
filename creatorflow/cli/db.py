"""`creatorflow db ...`"""

from __future__ import annotations

import typer

from creatorflow.cli.app import db_app
from creatorflow.errors import InputError
from creatorflow.settings import get_settings
from creatorflow.storage.migrate import upgrade


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the database at CREATORFLOW_DATABASE_URL."""
    from alembic.util import CommandError

    settings = get_settings()
    try:
        upgrade(settings.database_url, revision)
    except CommandError as exc:  # an unknown or ambiguous revision: alembic's own words
        raise InputError(f"REVISION: {exc}") from None
    typer.echo(f"database at revision {revision}")
