"""Which Keystone edge a simulated fleet works against, and as whom: from the running
`keystone dev` (its `.keystone/dev.json`) or given on the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The password the simulator gives the collector accounts it creates (and `keystone dev`
# seeds): development only, written to dev.json too.
DEV_COLLECTOR_PASSWORD = "collector-dev-password"
DEFAULT_FACTORY = "Demo Factory"
DEFAULT_ROBOT_TYPE = "Axon Demo"


class TargetError(RuntimeError):
    """The edge to simulate against is not known or not usable (one line for the user)."""


@dataclass(frozen=True)
class Target:
    api_url: str
    admin_token: str
    factory: str = DEFAULT_FACTORY  # robots register by factory name ...
    robot_type: str = DEFAULT_ROBOT_TYPE  # ... and robot type name (axon-config)
    collector_password: str = DEV_COLLECTOR_PASSWORD
    state_dir: Path | None = None  # where the edge keeps its state (keystone dev)


def load_dev_file(path: Path) -> Target:
    """The target `keystone dev` wrote; a missing file means no edge is running here."""
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise TargetError(
            f"{path} not found: start `keystone dev` first, or pass --api URL --token TOKEN"
        ) from None
    except ValueError as exc:
        raise TargetError(f"{path} is not valid JSON: {exc}") from None
    try:
        return Target(
            api_url=str(doc["urls"]["api"]),
            admin_token=str(doc["tokens"]["admin"]),
            factory=str(doc["factory"]["name"]),
            robot_type=str(doc["robot_type"]["name"]),
            collector_password=str(doc["accounts"]["collector_password"]),
            state_dir=Path(doc["state_dir"]),
        )
    except (KeyError, TypeError) as exc:
        raise TargetError(f"{path} lacks {exc}: restart `keystone dev` to rewrite it") from None
