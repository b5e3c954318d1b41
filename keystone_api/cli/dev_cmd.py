"""`keystone dev`: run the whole edge locally."""

from __future__ import annotations

from pathlib import Path

import typer


def dev(
    state_dir: Path = typer.Option(Path(".keystone"), help="Where state and logs live."),
    api_port: int = typer.Option(8080),
    dagster_port: int = typer.Option(3000),
    s3_port: int = typer.Option(8333, help="Port of the embedded SeaweedFS S3 server."),
    mysql: str | None = typer.Option(None, "--mysql", help="Use this MySQL URL, not SQLite."),
    s3: str | None = typer.Option(None, "--s3", help="Use this S3 endpoint, not SeaweedFS."),
) -> None:
    """Run SeaweedFS, the API and Dagster (webserver + daemon); Ctrl-C stops them all."""
    from keystone_api.devstack.stack import DevConfig, DevStack

    stack = DevStack(DevConfig(state_dir.resolve(), api_port, dagster_port, s3_port, mysql, s3))
    typer.echo(f"starting Keystone edge (logs in {state_dir}/logs) ...")
    try:
        stack.start()
        for name, url in stack.urls.items():
            typer.echo(f"  {name:<10} {url}")
        typer.echo("ready. Ctrl-C stops everything.")
        stack.watch()
    except KeyboardInterrupt:
        typer.echo("\nstopping ...")
    finally:
        stack.stop()
        typer.echo("stopped.")
