"""The `keystone` command line. Each domain adds its own sub-commands here."""

from __future__ import annotations

import sys

import typer

from keystone_api.preflight import ConfigError
from keystone_dev.cli import (
    api_cmd,
    db_cmd,
    dev_cmd,
    qa_reassess_cmd,
    simulate_cmd,
    storage_cmd,
    sync_cmd,
    token_cmd,
)
from keystone_pipelines.qa.cli import app as qa_app

app = typer.Typer(
    name="keystone",
    help="Keystone edge: the factory's system of record and data pipeline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cmd.app, name="db")
app.command("api")(api_cmd.serve)
app.command("check")(api_cmd.check)
app.command("gateway")(api_cmd.gateway)
app.command("dev")(dev_cmd.dev)
app.command("simulate")(simulate_cmd.simulate)
qa_app.command("reassess")(qa_reassess_cmd.reassess)
app.add_typer(qa_app, name="qa")
app.add_typer(token_cmd.app, name="token")
app.add_typer(sync_cmd.app, name="sync")
app.add_typer(storage_cmd.app, name="storage")


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        # Bad configuration is a one-line message naming the setting, never a traceback.
        typer.secho(f"keystone: error: {exc}", err=True, fg="red")
        sys.exit(2)


if __name__ == "__main__":
    main()
