"""`keystone qa validate PATH_OR_S3_URL... [--spec FILE | --robot-type NAME|ID] [--sha256 HEX]
[--sidecar FILE | --no-sidecar] [--no-integrity] [--json]`.

Given the same file and spec it gives the pipeline's score: the sidecar beside the
recording is read as the pipeline reads it, the spec can be a robot type's from Keystone,
and the frame and joint samples are planned from the file's own index (no randomness).
Checks the spec gives nothing to judge by are listed as not judged, never as passed.

Exit 0 when every file passes (score >= 0.90), 1 when any was assessed and fails, 2 when
any could not be assessed at all (no such file, bad spec, bad arguments). Heavy modules
load inside the command, so `keystone --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from keystone_pipelines.validator.cli_inputs import SpecSource, not_judged, sibling_sidecar

EXIT_PASS, EXIT_FAIL, EXIT_UNASSESSED = 0, 1, 2
# Makes the client for s3:// targets. The validator has no settings of its own: whoever
# mounts the command (keystone_pipelines.qa.cli) says where the object store is.
S3ClientFactory = Callable[[], Any]


def build_app(
    s3_client: S3ClientFactory | None = None, spec_source: SpecSource | None = None
) -> typer.Typer:
    """The `qa` command group; `s3_client` is called once per command, only when a target
    is an s3:// URL (without it such a target cannot be assessed: exit 2); `spec_source`
    answers --robot-type (without it the option is refused)."""
    app = typer.Typer(help="MCAP quality checks.", no_args_is_help=True)
    app.callback()(_group)
    app.command("validate")(_validate_command(s3_client, spec_source))
    return app


def _group() -> None:
    """MCAP quality checks."""


def _validate_command(
    s3_client: S3ClientFactory | None, spec_source: SpecSource | None
) -> Callable[..., None]:
    def validate_cmd(
        targets: Annotated[list[str], typer.Argument(metavar="PATH_OR_S3_URL...")],
        spec: Annotated[Path | None, typer.Option(help="QA spec, JSON or YAML.")] = None,
        robot_type: Annotated[
            str | None,
            typer.Option(
                "--robot-type",
                metavar="NAME|ID",
                help="Use this robot type's QA spec from Keystone's database "
                "(KEYSTONE_DATABASE_URL), as the pipeline does.",
            ),
        ] = None,
        sha256: Annotated[str | None, typer.Option(help="Expected SHA-256 (hex).")] = None,
        sidecar: Annotated[
            Path | None,
            typer.Option(help="Axon sidecar JSON to compare (default: the .json beside it)."),
        ] = None,
        no_sidecar: Annotated[
            bool, typer.Option("--no-sidecar", help="Do not read the sidecar beside it.")
        ] = False,
        no_integrity: Annotated[
            bool, typer.Option("--no-integrity", help="Skip the full read (tier 4).")
        ] = False,
        image_sample: Annotated[
            int | None, typer.Option(help="Frames to decode (overrides the spec).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    ) -> None:
        """Validate MCAP recordings: structure, required topics, duration, gaps, rates,
        timestamps, image integrity, joint states and file integrity, with a score (>= 0.90
        passes). Checks the spec gives nothing to judge by are listed as not judged.

        Exit 0: every file passes; 1: a file was assessed and fails; 2: a file could not be
        assessed (missing, unreadable) or the arguments or spec are bad."""
        qa, described = _spec(spec, robot_type, image_sample, spec_source)
        if sidecar is not None and no_sidecar:
            _fail_usage("--sidecar and --no-sidecar contradict each other")
        found: Path | bool = sidecar if sidecar is not None else not no_sidecar
        _validate(targets, qa, described, sha256, found, not no_integrity, as_json, s3_client)

    return validate_cmd


def _spec(
    spec: Path | None,
    robot_type: str | None,
    image_sample: int | None,
    spec_source: SpecSource | None,
) -> tuple[Any, str]:
    """The spec and a line saying where it came from."""
    from keystone_pipelines.validator.spec import QaSpec, SpecError, load_spec

    if spec is not None and robot_type is not None:
        _fail_usage("--spec and --robot-type both name a spec; give one")
    if robot_type is not None and spec_source is None:
        _fail_usage("--robot-type needs Keystone; this command has no connection to it")
    try:
        if robot_type is not None and spec_source is not None:
            qa, described = spec_source(robot_type)
        elif spec is not None:
            qa, described = load_spec(spec), f"spec file {spec}"
        else:
            qa, described = QaSpec(), "no spec (--spec FILE or --robot-type NAME|ID)"
        if image_sample is not None:
            qa = qa.merge({"image_sample": image_sample})
            described += f", image_sample={image_sample}"
    except SpecError as exc:
        _fail_usage(str(exc))
    return qa, described


def _validate(
    targets: list[str],
    qa: Any,
    described: str,
    sha256: str | None,
    sidecar: Path | bool,
    integrity: bool,
    as_json: bool,
    s3_client: S3ClientFactory | None,
) -> None:
    from keystone_pipelines.validator.sources import normalize_sha256

    if sha256 is not None and normalize_sha256(sha256) is None:
        _fail_usage(f"--sha256 {sha256!r} is not a SHA-256 in hex")
    if (sha256 or isinstance(sidecar, Path)) and len(targets) > 1:
        _fail_usage("--sha256 and --sidecar describe one file; give a single PATH_OR_S3_URL")
    remote = s3_client is not None and any(t.startswith("s3://") for t in targets)
    client = s3_client() if remote and s3_client is not None else None
    outcomes = [_one(t, qa, sha256, sidecar, integrity, client) for t in targets]
    for doc in outcomes:
        doc["spec"] = described
        if doc.get("assessed", True):
            doc["not_judged"] = not_judged(doc)
    if as_json:
        for doc in outcomes:
            typer.echo(json.dumps(doc, separators=(",", ":")))
    else:
        _table(outcomes)
    if any(not d.get("assessed", True) for d in outcomes):
        raise typer.Exit(EXIT_UNASSESSED)
    raise typer.Exit(EXIT_PASS if all(d["passed"] for d in outcomes) else EXIT_FAIL)


def _fail_usage(message: str) -> None:
    typer.echo(f"keystone qa validate: error: {message}", err=True)
    raise typer.Exit(EXIT_UNASSESSED)


def _one(
    target: str,
    qa: Any,
    sha256: str | None,
    sidecar: Path | bool,
    integrity: bool,
    s3_client: Any,
) -> dict[str, Any]:
    from keystone_pipelines.validator.core import validate
    from keystone_pipelines.validator.sources import SourceError, open_source

    try:
        src = open_source(target, s3_client)
    except SourceError as exc:
        return {"path": target, "assessed": False, "passed": False, "error": str(exc)}
    doc: Any = None
    where: str | None = None
    if isinstance(sidecar, Path):
        doc, where = sidecar, str(sidecar)
    elif sidecar:
        doc, where = sibling_sidecar(target, s3_client)
    try:
        result = validate(
            src,
            qa,
            expected_sha256=sha256,
            stored_sha256=src.stored_sha256,
            sidecar=doc,
            integrity=integrity,
        )
    except SourceError as exc:  # the read failed part-way: no verdict on the file
        return {"path": target, "assessed": False, "passed": False, "error": str(exc)}
    finally:
        src.close()
    return {**result.to_dict(), "sidecar": where}


TIER_CODES = {
    "summary": "1",
    "message_indexes": "2",
    "linear_scan": "2(scan)",
    "frame_sample": "3",
    "integrity": "4",
}


def _table(outcomes: list[dict[str, Any]]) -> None:
    """One row per file, then the reasons of every failed check, one per line."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from keystone_pipelines.validator.spec import CHECK_NAMES

    console = Console(file=sys.stdout, width=max(100, Console(file=sys.stdout).width))
    table = Table()
    for col in ("file", "verdict", "score", "tiers", "read", "time"):
        table.add_column(col, overflow="fold")
    reasons = []
    for d in outcomes:
        if not d.get("assessed", True):
            table.add_row(escape(d["path"]), "[yellow]NOT ASSESSED", "-", "-", "-", "-")
            reasons.append(d["error"])
            continue
        verdict = "[green]PASS" if d["passed"] else "[red]FAIL"
        tiers = ",".join(TIER_CODES.get(t, t) for t in d["tiers"])
        read = f"{_size(d['bytes_read'])} of {_size(d['file_size'])}"
        row = (
            escape(d["path"]),
            verdict,
            f"{d['score']:.3f}",
            tiers,
            read,
            f"{d['elapsed_s']:.2f} s",
        )
        table.add_row(*row)
        reasons += [
            f"{d['path']}: {c['name']}: {c['detail']}" for c in d["checks"] if not c["passed"]
        ]
        # Warnings outside the checks (e.g. empty schemas) move no score: say them here.
        reasons += [
            f"{d['path']}: warning: {f['message']}"
            for f in d.get("findings", [])
            if f["severity"] == "warning" and f["check"] not in CHECK_NAMES
        ]
        reasons += [
            f"{d['path']}: not judged: {n['check']}: {n['reason']}" for n in d["not_judged"]
        ]
    if outcomes:
        console.print(f"spec: {escape(outcomes[0]['spec'])}", soft_wrap=True)
    console.print(table)
    for line in reasons:
        console.print(escape(line), soft_wrap=True)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)
