"""`creatorflow campaign respond` and `creatorflow web`."""

from __future__ import annotations

import typer

from creatorflow.cli.app import app, campaign_app, command
from creatorflow.errors import InputError
from creatorflow.settings import get_settings


@campaign_app.command("respond")
def campaign_respond(
    slug: str = typer.Argument(..., help="Campaign slug."),
    creator: str = typer.Argument(..., help="PLATFORM:HANDLE, e.g. instagram:anna.glow"),
    accepted: bool = typer.Option(False, "--accepted", help="The creator accepted the offer."),
    declined: bool = typer.Option(False, "--declined", help="The creator declined."),
    fee: str | None = typer.Option(None, "--fee", help="Agreed fee (default: the offer)."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record it at."),
) -> None:
    """Record a creator's answer: --accepted sends the brief, --declined ends the sequence."""
    from creatorflow.services.replies.answers import parse_fee, record_response

    if accepted == declined:
        raise InputError("say either --accepted or --declined")
    if fee is not None and declined:
        raise InputError("--fee only goes with --accepted")
    run = command("cli:campaign respond", as_of)
    result = run(
        record_response, campaign_slug=slug, creator=creator, accepted=accepted, fee=parse_fee(fee)
    )
    typer.echo(result.summary())


@app.command("web")
def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
) -> None:
    """Serve unsubscribe (/u/TOKEN), the creator portal (/p/TOKEN) and Instagram webhooks."""
    import uvicorn

    from creatorflow.web.app import create_app

    application = create_app(get_settings())  # fails early when SECRET_KEY is missing
    # no access log: the path carries the token, which names the address it unsubscribes
    uvicorn.run(
        application, host=host, port=port, log_level="info", proxy_headers=True, access_log=False
    )
