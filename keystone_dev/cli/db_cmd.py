"""`keystone db ...`: schema migrations (Alembic is the only way the schema changes)."""

from __future__ import annotations

import typer

from keystone_api.preflight import check_database, load_settings

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


def _url(url: str | None) -> str:
    return url or load_settings().database_url


@app.command()
def upgrade(
    revision: str = typer.Argument("heads"),
    url: str | None = typer.Option(None, help="Database URL (default KEYSTONE_DATABASE_URL)."),
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from keystone_api.db import migrate

    database_url = _url(url)
    check_database(database_url)
    migrate.upgrade(database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(database_url)}")


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base."),
    url: str | None = typer.Option(None),
) -> None:
    """Revert migrations down to REVISION."""
    from keystone_api.db import migrate

    database_url = _url(url)
    check_database(database_url)
    migrate.downgrade(database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(database_url)}")


@app.command()
def current(url: str | None = typer.Option(None)) -> None:
    """Print the database's schema revision."""
    from keystone_api.db import migrate

    database_url = _url(url)
    check_database(database_url)
    typer.echo(migrate.current_revision(database_url) or "empty (no migrations applied)")
