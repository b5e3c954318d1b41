"""`keystone qa ...` (placeholder until the validator lands)."""

from __future__ import annotations

import typer

app = typer.Typer(help="MCAP quality checks.", no_args_is_help=True)
