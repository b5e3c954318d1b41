"""`keystone api`: serve the app with uvicorn; `keystone check`: preflight the settings."""

from __future__ import annotations

import typer

from keystone_api.preflight import check_database, check_object_store, load_settings


def check() -> None:
    """Check that the database and the object store are reachable with these settings."""
    settings = load_settings()
    check_database(settings.database_url)
    check_object_store(settings)
    typer.echo("configuration ok: database and object store reachable")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="TCP port."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
    tls_cert: str | None = typer.Option(None, help="PEM certificate: serve HTTPS (TLS 1.3 only)."),
    tls_key: str | None = typer.Option(None, help="PEM private key for --tls-cert."),
    preflight: bool = typer.Option(True, help="Check database and object store first."),
) -> None:
    """Serve the Keystone API."""
    import uvicorn

    settings = load_settings()
    if preflight:
        check_database(settings.database_url)
        check_object_store(settings)
    if bool(tls_cert) != bool(tls_key):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    uvicorn.run(
        "keystone_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=True,
        log_level="info",
    )
