"""`keystone simulate`: a simulated fleet of Axon robots and collectors against an edge."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from keystone_api.preflight import ConfigError

if TYPE_CHECKING:
    from keystone_sim.factory import Target


def simulate(
    robots: int = typer.Option(4, min=1, max=500, help="Robots (one workstation each)."),
    episodes: int = typer.Option(12, min=0, help="Recordings in all; 0: until Ctrl-C."),
    seconds: float = typer.Option(4.0, min=2.5, help="Length of a clean recording (s)."),
    defect_rate: float = typer.Option(0.2, min=0.0, max=1.0, help="Share with a defect."),
    api: str | None = typer.Option(
        None, "--api", help="The edge's URL (default: the running `keystone dev`, dev.json)."
    ),
    token: str | None = typer.Option(
        None, envvar="KEYSTONE_ADMIN_TOKEN", help="An admin token for --api."
    ),
    factory: str = typer.Option("Demo Factory", help="Factory the robots register in (--api)."),
    robot_type: str = typer.Option("Axon Demo", help="Robot type they register as (--api)."),
    collector_password: str | None = typer.Option(None, help="For the collector accounts."),
    dev_file: Path = typer.Option(Path(".keystone/dev.json"), help="Written by keystone dev."),
    fleet: str = typer.Option("sim", help="Names this fleet's workstations and collectors."),
    work_dir: Path | None = typer.Option(
        None, help="Robots' local state (default: under the state dir)."
    ),
    interval: float = typer.Option(0.0, min=0.0, help="Seconds between one robot's recordings."),
    width: int = typer.Option(320, min=16, max=4096, help="Camera width (px)."),
    height: int = typer.Option(240, min=16, max=4096, help="Camera height (px)."),
    seed: int = typer.Option(0, help="Seed of the defect plan and pauses."),
    decision_timeout: float = typer.Option(300.0, min=0.0, help="Wait this long for QA."),
    progress: bool = typer.Option(True, help="Progress bars (--no-progress: log lines)."),
    report_file: Path | None = typer.Option(
        None, "--report", help="Also write every recording's outcome here (JSON)."
    ),
) -> None:
    """Emulated Axon robots record, upload and wait for upload_ack, driven by collectors
    through the API; recordings carry defects at --defect-rate; ends with a summary by
    defect kind once every episode reached a QA decision (or --decision-timeout)."""
    from rich.console import Console

    from keystone_sim.factory import Fleet, FleetOptions, FleetReport
    from keystone_sim.factory.events import FleetEvents, LogEvents
    from keystone_sim.factory.provision import ApiError, ProvisionError
    from keystone_sim.factory.report import ProgressEvents, make_progress, print_summary

    target = _target(api, token, factory, robot_type, dev_file)
    if collector_password:
        target = dataclasses.replace(target, collector_password=collector_password)
    base = target.state_dir or Path(".keystone")
    options = FleetOptions(
        robots=robots,
        episodes=episodes,
        seconds=seconds,
        interval_s=interval,
        defect_rate=defect_rate,
        width=width,
        height=height,
        fleet=fleet,
        work_dir=work_dir or base / "fleets" / fleet,
        seed=seed,
        decision_timeout_s=decision_timeout,
    )
    console = Console()
    logging.basicConfig(
        level=logging.INFO if not progress else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main(events: FleetEvents) -> FleetReport:
        sim = Fleet(target, options, events)
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        assert current is not None
        loop.add_signal_handler(signal.SIGTERM, current.cancel)
        try:
            await sim.run()
        except asyncio.CancelledError:
            console.print("stopped.")
        return sim.report

    try:
        if progress:
            with make_progress(console) as bars:
                report = asyncio.run(main(ProgressEvents(bars, robots, episodes)))
        else:
            report = asyncio.run(main(LogEvents()))
    except (ProvisionError, ApiError) as exc:
        raise ConfigError(str(exc)) from None
    print_summary(console, report)
    if report_file is not None:
        report_file.write_text(json.dumps(dataclasses.asdict(report), indent=1))
    if episodes and not (report.complete and len(report.recordings) == episodes):
        raise typer.Exit(1)


def _target(
    api: str | None, token: str | None, factory: str, robot_type: str, dev_file: Path
) -> Target:
    from keystone_sim.factory import Target, TargetError, load_dev_file

    if api is None:
        try:
            return load_dev_file(dev_file)
        except TargetError as exc:
            raise ConfigError(str(exc)) from None
    if not token:
        raise ConfigError("--api needs --token (or KEYSTONE_ADMIN_TOKEN): an admin token")
    return Target(api, token, factory, robot_type)
