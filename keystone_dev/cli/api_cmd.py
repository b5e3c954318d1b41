"""`keystone api`: serve the app with uvicorn; `keystone check`: preflight the settings."""

from __future__ import annotations

import os
from typing import Any

import typer

from keystone_api.preflight import check_database, check_object_store, load_settings
from keystone_api.settings import get_settings

WS_MAX_FRAME_BYTES = 1024 * 1024


def check() -> None:
    """Check that the database and the object store are reachable with these settings."""
    settings = load_settings(signs_tokens=True)
    check_database(settings.database_url)
    check_object_store(settings)
    typer.echo("configuration ok: database and object store reachable")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="TCP port."),
    workers: int = typer.Option(
        1,
        help="uvicorn worker processes; more than one serves the robot gateways apart "
        "(run `keystone gateway` beside it).",
    ),
    tls_cert: str | None = typer.Option(None, help="PEM certificate: serve HTTPS (TLS 1.3 only)."),
    tls_key: str | None = typer.Option(None, help="PEM private key for --tls-cert."),
    preflight: bool = typer.Option(True, help="Check database and object store first."),
) -> None:
    """Serve the Keystone API."""
    settings = load_settings(signs_tokens=True)
    if preflight:
        check_database(settings.database_url)
        check_object_store(settings)
    if bool(tls_cert) != bool(tls_key):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    if tls_cert and workers > 1:
        raise typer.BadParameter("TLS is served by one worker; terminate TLS in a proxy to scale")
    if workers > 1 and settings.gateways == "on":
        # Live sockets cannot be shared between workers: the gateways go to their own
        # process (`keystone gateway`), robots are sent there (KEYSTONE_GATEWAY_URL).
        os.environ["KEYSTONE_GATEWAYS"] = "off"
        get_settings.cache_clear()
        typer.echo(
            "keystone: serving the API without the robot gateways (several workers); "
            "run `keystone gateway` and set KEYSTONE_GATEWAY_URL",
            err=True,
        )
    _run(host, port, workers, tls_cert, tls_key)


def gateway(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8081, help="TCP port robots' WebSockets reach."),
    preflight: bool = typer.Option(True, help="Check the database first."),
) -> None:
    """Serve only the robot gateways (recorder and transfer WebSockets, recorder actions,
    device-state stream), in one process, beside `keystone api --workers N`."""
    settings = load_settings(signs_tokens=True)
    if preflight:
        check_database(settings.database_url)
    os.environ["KEYSTONE_GATEWAYS"] = "only"
    get_settings.cache_clear()
    _run(host, port, 1, None, None)


def _run(host: str, port: int, workers: int, tls_cert: str | None, tls_key: str | None) -> None:
    import uvicorn

    from keystone_api.http_protocol import HTTP_PROTOCOL

    options: dict[str, Any] = dict(
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        # uvicorn's own protocol plus a header-read timeout (KEYSTONE_HEADER_TIMEOUT_S):
        # half-open requests are closed, not held.
        http=HTTP_PROTOCOL,
        ws="websockets-sansio",
        # The gateways refuse frames over 256 KiB themselves (with a reason); uvicorn's cap
        # only bounds what a misbehaving client can make the server buffer.
        ws_max_size=WS_MAX_FRAME_BYTES,
        log_level="info",
    )
    if workers > 1:
        uvicorn.run("keystone_api.app:create_app", workers=workers, **options)
        return
    config = uvicorn.Config(
        "keystone_api.app:create_app", ssl_certfile=tls_cert, ssl_keyfile=tls_key, **options
    )
    if tls_cert:
        tls13_only(config)
    uvicorn.Server(config).run()


def tls13_only(config: Any) -> None:
    """The device-to-edge channel is TLS 1.3 (the specification's security model); uvicorn
    has no option for a minimum version, so its loaded SSL context is tightened."""
    import ssl

    config.load()
    assert config.ssl is not None
    config.ssl.minimum_version = ssl.TLSVersion.TLSv1_3
