"""`keystone sync run`: drain the sync queue in a loop (for running without Dagster);
`keystone sync status`: the queue at a glance."""

from __future__ import annotations

import json
import time

import typer

from keystone_api.preflight import ConfigError, load_settings

app = typer.Typer(help="Edge -> cloud sync of approved episodes.", no_args_is_help=True)


@app.command()
def run(
    once: bool = typer.Option(False, help="Drain until nothing is due, then exit."),
    interval_s: float = typer.Option(10.0, help="Length of one drain pass, in seconds."),
    limit: int | None = typer.Option(None, help="Stop after this many confirmed episodes."),
) -> None:
    """Send queued episodes (and record changes) to the cloud until stopped."""
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.sync.errors import NotConfigured
    from keystone_api.sync.sender import default_worker, drain

    settings = load_settings(signs_tokens=True)
    worker = default_worker()
    confirmed = 0
    while True:
        deadline = None if once else time.monotonic() + interval_s
        left = None if limit is None else limit - confirmed
        try:
            report = drain(
                get_sessionmaker(), settings, limit=left, deadline=deadline, worker=worker
            )
        except NotConfigured as exc:
            raise ConfigError(str(exc)) from None
        confirmed += report.confirmed
        if report.confirmed or report.errors or report.replicas_pushed:
            typer.echo(
                f"synced={len(report.synced)} already={len(report.already_synced)} "
                f"errors={len(report.errors)} bytes={report.bytes_sent} "
                f"replicas={report.replicas_pushed} remaining={report.remaining} "
                f"({report.stopped})"
            )
        if once or (limit is not None and confirmed >= limit):
            return
        if report.stopped in ("empty", "backoff", "blocked"):
            time.sleep(min(interval_s, 1.0))


@app.command()
def status() -> None:
    """Print the sync queue's counts as JSON."""
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.sync.stats import state_counts, sync_queue_depth

    load_settings(signs_tokens=True)
    with get_sessionmaker()() as session:
        typer.echo(
            json.dumps({"queue_depth": sync_queue_depth(session), "states": state_counts(session)})
        )
