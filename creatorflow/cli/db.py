"""`creatorflow db ...`"""

from __future__ import annotations

import typer

from creatorflow.cli.app import db_app
from creatorflow.settings import get_settings
from creatorflow.storage.migrate import upgrade


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the database at CREATORFLOW_DATABASE_URL."""
    settings = get_settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}")
