"""Episodes awaiting an inspector, made over the edge's real HTTP API, and the inspection
calls the tests make."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.flows import record_one, record_qa
from tests.api.world import World, auth, ok


def flagged(w: World, s3: Any, station: int = 0, failing: tuple[str, ...] = ("gaps",)) -> str:
    """A recording through the whole flow, flagged by QA: needs_inspection."""
    episode = record_one(w, s3, station)
    record_qa(episode["id"], 0.5, failing=failing)
    return str(episode["id"])


def approved(w: World, s3: Any, station: int = 0) -> str:
    """A recording through the whole flow, auto-approved by QA."""
    episode = record_one(w, s3, station)
    record_qa(episode["id"], 0.97)
    return str(episode["id"])


def spot_share(w: World, share: float) -> None:
    ok(
        w.client.patch(
            f"/api/v1/robot-types/{w.robot_type_id}",
            json={"spot_check_share": share},
            headers=auth(w.admin),
        )
    )


def episode(w: World, episode_id: str, token: str | None = None) -> dict[str, Any]:
    got = w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(token or w.admin))
    return dict(ok(got))


def inspect(w: World, token: str, episode_id: str, decision: str, **body: Any) -> httpx.Response:
    return w.client.post(
        f"/api/v1/episodes/{episode_id}/inspection",
        json={"decision": decision, **body},
        headers=auth(token),
    )
