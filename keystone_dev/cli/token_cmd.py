"""`keystone token create|list|revoke`: minted tokens for tools, screens and sync senders
(recorded, listed, revocable), and robots' device tokens."""

from __future__ import annotations

import typer

from keystone_api.accounts.models import Role
from keystone_api.preflight import check_database, load_settings

app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)


@app.command()
def create(
    role: Role = typer.Option(
        ..., help="admin, operator, collector, inspector (tools), display, service, robot"
    ),
    device: str | None = typer.Option(None, "--device", help="Device id (robot tokens)."),
    factory: str | None = typer.Option(None, "--factory", help="Bind the token to a factory."),
    organization: str | None = typer.Option(
        None, "--organization", help="Service tokens: the organization it may replicate."
    ),
    label: str = typer.Option("", help="What it is for (shown in `keystone token list`)."),
    ttl_s: int = typer.Option(30 * 24 * 3600, help="Lifetime in seconds."),
) -> None:
    """Print a signed token. Tool, display and service tokens are recorded here (listed,
    revocable); device tokens are bound to the device and its factory."""
    from keystone_api.accounts.registry import mint_recorded
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.fleet.devices import device_token_for

    settings = load_settings(signs_tokens=True)
    check_database(settings.database_url)
    with get_sessionmaker().begin() as session:
        if device is not None or role == Role.robot:
            token = device_token_for(session, settings, device, ttl_s)
        else:
            row, token = mint_recorded(
                session,
                settings,
                role,
                ttl_s=ttl_s,
                factory_id=factory,
                organization_id=organization,
                label=label,
                created_by="cli",
            )
            # On stderr: stdout is the token alone, for TOKEN=$(keystone token create ...).
            typer.echo(f"recorded as {row.id} (keystone token revoke {row.id})", err=True)
    typer.echo(token)


@app.command("list")
def list_tokens(
    all_: bool = typer.Option(False, "--all", help="Also revoked ones."),
) -> None:
    """The recorded tokens, newest first (never the tokens themselves)."""
    from sqlalchemy import select

    from keystone_api.accounts.models import ApiToken
    from keystone_api.db.engine import get_sessionmaker

    settings = load_settings()
    check_database(settings.database_url)
    with get_sessionmaker()() as session:
        stmt = select(ApiToken).order_by(ApiToken.created_at.desc())
        if not all_:
            stmt = stmt.where(ApiToken.revoked_at.is_(None))
        for row in session.execute(stmt).scalars():
            state = "revoked" if row.revoked_at else f"expires {row.expires_at:%Y-%m-%d %H:%M}"
            scope = row.factory_id or "all factories"
            typer.echo(f"{row.id}  {row.kind:<7} {row.role:<9} {scope:<36}  {state}  {row.label}")


@app.command()
def revoke(token_id: str = typer.Argument(..., help="The id `keystone token list` shows.")) -> None:
    """Revoke a recorded token: it is refused from now on."""
    from keystone_api.accounts import registry
    from keystone_api.accounts.models import ApiToken
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.preflight import ConfigError

    settings = load_settings()
    check_database(settings.database_url)
    with get_sessionmaker().begin() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise ConfigError(f"token '{token_id}' not found (`keystone token list`)")
        registry.revoke(session, row, "cli")
    typer.echo(f"revoked {token_id}")
