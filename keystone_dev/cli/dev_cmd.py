"""`keystone dev`: run the whole edge, its cloud and a simulated fleet locally."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import typer


def dev(
    state_dir: Path = typer.Option(Path(".keystone"), help="Where state and logs live."),
    api_port: int = typer.Option(8080, help="The edge API."),
    cloud_api_port: int = typer.Option(8081, help="The cloud instance's API."),
    dagster_port: int = typer.Option(3000, help="The Dagster UI."),
    s3_port: int = typer.Option(8333, help="The edge's embedded SeaweedFS S3 server."),
    cloud_s3_port: int = typer.Option(8334, help="The cloud's embedded SeaweedFS S3 server."),
    mysql: str | None = typer.Option(None, "--mysql", help="Use this MySQL URL, not SQLite."),
    s3: str | None = typer.Option(None, "--s3", help="Use this S3 endpoint, not SeaweedFS."),
    s3_access_key: str = typer.Option("keystone", envvar="KEYSTONE_S3_ACCESS_KEY"),
    s3_secret_key: str = typer.Option("keystone-secret", envvar="KEYSTONE_S3_SECRET_KEY"),
    simulate: bool = typer.Option(True, help="Run the fleet simulator (--no-simulate: idle)."),
    robots: int = typer.Option(4, min=1, max=200, help="Simulated robots and workstations."),
    seconds: float = typer.Option(4.0, min=2.5, help="Length of a simulated recording (s)."),
    interval: float = typer.Option(25.0, min=0.0, help="Seconds between a robot's recordings."),
    defect_rate: float = typer.Option(0.2, min=0.0, max=1.0, help="Share with a defect."),
) -> None:
    """Run SeaweedFS (edge and cloud), the API (edge and cloud roles), Dagster (webserver +
    daemon) and the fleet simulator; print the URLs and a live summary. Ctrl-C stops all."""
    from rich.console import Console

    from keystone_dev.devstack.config import DevConfig
    from keystone_dev.devstack.stack import DevStack

    config = DevConfig(
        state_dir.resolve(),
        api_port,
        cloud_api_port,
        dagster_port,
        s3_port,
        cloud_s3_port,
        mysql,
        s3,
        s3_access_key,
        s3_secret_key,
        simulate,
        robots,
        seconds,
        interval,
        defect_rate,
    )
    stack = DevStack(config)
    console = Console()
    # Ctrl-C, a service manager or a closed terminal: stop the children all the same (set
    # explicitly: a shell's background job starts with SIGINT ignored).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    console.print(f"starting Keystone edge + cloud (logs in {config.state_dir / 'logs'}) ...")
    started = time.monotonic()
    failure: str | None = None
    try:
        stack.start()
        _print_urls(console, stack, time.monotonic() - started)
        _watch(console, stack, started)
    except KeyboardInterrupt:
        console.print("\nstopping ...")
    except RuntimeError as exc:
        failure = str(exc)
        console.print(f"[red]keystone dev: {failure}[/]")
    finally:
        stack.stop()
        console.print("stopped.")
    if failure:
        raise typer.Exit(1)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _print_urls(console: Any, stack: Any, took_s: float) -> None:
    from keystone_dev.devstack.config import (
        ADMIN_PASSWORD,
        CLOUD_READER,
        CLOUD_READER_PASSWORD,
        INSPECTOR_PASSWORD,
    )
    from keystone_sim.factory.target import DEV_COLLECTOR_PASSWORD

    for name, url in stack.urls.items():  # whole, never cut: the display URL has a token
        console.print(f"  {name:<15} {url}", soft_wrap=True, highlight=False)
    console.print(
        f"logins: admin / {ADMIN_PASSWORD}, inspector / {INSPECTOR_PASSWORD}, "
        f"dev-collector-01.. / {DEV_COLLECTOR_PASSWORD}; "
        f"cloud catalog: {CLOUD_READER} / {CLOUD_READER_PASSWORD}"
    )
    dev_json = stack.config.state_dir / "dev.json"
    console.print(f"URLs and tokens for scripts: {os.path.relpath(dev_json)}")
    console.print(f"[green]ready in {took_s:.0f}s.[/] Ctrl-C stops everything.")


def _watch(console: Any, stack: Any, started: float, every_s: float = 3.0) -> None:
    """Redraw the summary until Ctrl-C; stop when an essential process dies."""
    from rich.live import Live

    from keystone_dev.devstack.summary import one_line, render, take

    def check() -> None:
        for proc in stack.failed():
            raise RuntimeError(f"{proc.name} stopped; see {proc.log_path}")

    if not console.is_terminal:
        last = 0.0
        while True:
            check()
            if time.monotonic() - last >= 30:
                console.print(one_line(take(stack)))
                last = time.monotonic()
            time.sleep(1)
    with Live(render(take(stack), started), console=console, auto_refresh=False) as live:
        while True:
            time.sleep(every_s)
            check()
            live.update(render(take(stack), started), refresh=True)
