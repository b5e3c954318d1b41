"""The simulator on a terminal: a progress bar per robot and for the fleet (recorded,
uploaded and ACKed, decided by QA), and the summary table at the end."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from keystone_sim.factory.defects import EXPECTED
from keystone_sim.factory.events import FleetEvents
from keystone_sim.factory.records import FleetReport, Recording


class ProgressEvents(FleetEvents):
    def __init__(self, progress: Progress, robots: int, episodes: int) -> None:
        self.progress = progress
        total = episodes or None
        per_robot = -(-episodes // robots) if episodes else None
        self.per_robot = per_robot
        self.robots: dict[str, TaskID] = {}
        self.recorded_bar = progress.add_task("fleet: recorded", total=total)
        self.acked_bar = progress.add_task("fleet: uploaded + ACKed", total=total)
        self.decided_bar = progress.add_task("fleet: QA decided", total=total)

    def robot_ready(self, device_id: str, index: int) -> None:
        self.robots[device_id] = self.progress.add_task(
            f"robot {index:02d} {device_id}", total=self.per_robot
        )

    def recorded(self, rec: Recording) -> None:
        self.progress.advance(self.robots[rec.device_id])
        self.progress.advance(self.recorded_bar)

    def acked(self, rec: Recording) -> None:
        self.progress.advance(self.acked_bar)

    def decided(self, rec: Recording) -> None:
        self.progress.advance(self.decided_bar)

    def problem(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{message}[/]")


def make_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<36}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=False,
    )


SHORT = {"auto_approved": "auto", "needs_inspection": "flagged"}


def summary_table(report: FleetReport) -> Table:
    """By defect kind: recorded, uploaded, ACKed, QA's decisions (auto-approved, flagged
    for an inspector, none yet) and how many went the way the defect should take them."""
    table = Table(
        title="Simulated fleet by defect kind: recorded, uploaded, ACKed; QA's decisions "
        "(auto-approved, flagged, none yet); ok: decided as the kind should be",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    table.add_column("kind", no_wrap=True, min_width=14)
    for name in ("rec", "upl", "ACK", "auto", "flagged", "open"):
        table.add_column(name, justify="right")
    table.add_column("expect")
    table.add_column("ok", justify="right")
    for kind in [*report.kinds(), None]:
        rows = [r for r in report.recordings if kind is None or r.kind == kind]
        table.add_row(
            kind or "[b]all[/]",
            str(report.count("recorded", kind)),
            str(report.count("uploaded", kind)),
            str(report.count("acked", kind)),
            str(report.count("auto_approved", kind)),
            str(report.count("needs_inspection", kind)),
            str(report.count("undecided", kind)),
            SHORT.get(EXPECTED.get(kind or "", ""), ""),
            str(sum(1 for r in rows if r.as_expected)),
        )
    return table


def print_summary(console: Console, report: FleetReport) -> None:
    console.print(summary_table(report))
    for error in report.errors:
        console.print(f"[red]{error}[/]")
    pending = [r for r in report.recordings if not (r.acked and r.decision)]
    for rec in pending[:20]:
        state = "not ACKed" if not rec.acked else "no QA decision yet"
        console.print(f"[yellow]{rec.task_id} ({rec.kind}) on {rec.device_id}: {state}[/]")
