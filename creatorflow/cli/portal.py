"""`creatorflow campaign portal-link | shipping`: the creator portal's operator commands."""

from __future__ import annotations

from pathlib import Path

import typer

from creatorflow.cli.app import campaign_app, command


@campaign_app.command("portal-link")
def campaign_portal_link(
    slug: str = typer.Argument(..., help="Campaign slug."),
    creator: str = typer.Argument(..., help="PLATFORM:HANDLE, e.g. instagram:anna.glow"),
    revoke: bool = typer.Option(False, "--revoke", help="Withdraw the creator's links."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to act as of."),
) -> None:
    """Print the creator's signed portal link (reused while valid), or --revoke every link."""
    from creatorflow.services.portal.links import issue_link, revoke_links

    run = command("cli:campaign portal-link", as_of)
    if revoke:
        count = run(revoke_links, campaign_slug=slug, creator=creator)
        typer.echo(f"revoked {count} link(s) of {creator} in {slug}")
        return
    link = run(issue_link, campaign_slug=slug, creator=creator)
    typer.echo(link.url)
    typer.echo(f"valid until {link.expires_at:%Y-%m-%d %H:%M} UTC", err=True)


@campaign_app.command("shipping")
def campaign_shipping(
    slug: str = typer.Argument(..., help="Campaign slug."),
    out: Path = typer.Option(..., "--out", help="CSV file to write (replaced if it exists)."),
) -> None:
    """Write the shipping addresses creators gave in the portal, for the fulfilment team."""
    from creatorflow.services.portal.shipping import export_shipping

    run = command("cli:campaign shipping")
    count = run(export_shipping, campaign_slug=slug, out=out)
    typer.echo(f"wrote {count} address(es) to {out}")
