"""`keystone token create`: mint a token for development and tools."""

from __future__ import annotations

import typer

from keystone_api.accounts.models import Role
from keystone_api.preflight import load_settings

app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)


@app.command()
def create(
    role: Role = typer.Option(
        ..., help="admin, operator, collector, inspector, robot, display, service"
    ),
    device: str | None = typer.Option(None, "--device", help="Device id (robot tokens)."),
    factory: str | None = typer.Option(None, "--factory", help="Bind the token to a factory."),
    ttl_s: int = typer.Option(30 * 24 * 3600, help="Lifetime in seconds."),
) -> None:
    """Print a signed token (device tokens are bound to the device and its factory)."""
    from keystone_api.accounts.router import mint_token
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.preflight import check_database

    settings = load_settings()
    if device is not None or role == Role.robot:
        check_database(settings.database_url)
    with get_sessionmaker()() as session:
        typer.echo(mint_token(session, settings, role, factory, device, ttl_s))
