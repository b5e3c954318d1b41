"""The episode search on SQLite (`make dev`'s database): the same answers as on MariaDB
(test_search.py) for the filters whose SQL differs most (free text beyond ASCII, LIKE's
wildcards, labels, skills)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from keystone_api.db.models import Base
from keystone_api.episodes.labels import EpisodeLabel
from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck
from keystone_api.episodes.schemas import EpisodeFilters
from keystone_api.episodes.search import filtered, task_text
from keystone_api.registry.models import SubsceneSkill

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TASKS = {
    "e1": {"task_id": "task_0001", "scene": "Küche", "operator_name": "Zoë Ångström"},
    "e2": {"task_id": "task_0002", "scene": "Kitchen", "skills": ["fold towel", "50% folded"]},
    "e3": {"task_id": "task_0003", "scene": "Laundry", "skills": ["sort socks"]},
}


def _episode(n: int, **extra: Any) -> Episode:
    sidecar = {"task": TASKS[f"e{n}"], "device": {"device_id": "secret-device"}}
    refs = {k: "x" for k in ("order_id", "batch_id", "workstation_id", "scene_id", "sop_id")}
    return Episode(
        id=f"e{n}",
        task_id=f"t{n}",
        factory_id="f1",
        bucket="b",
        mcap_key=f"k{n}",
        landed_at=T0 + timedelta(minutes=n),
        sidecar=sidecar,
        task_text=task_text(sidecar),
        **refs,
        **extra,
    )


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")  # foreign keys off: no registries behind the rows
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                _episode(1, subscene_id="s1", status=EpisodeStatus.auto_approved, qa_score=1.0),
                _episode(2, subscene_id="s1", status=EpisodeStatus.needs_inspection, qa_score=0.5),
                _episode(3, subscene_id="s2", status=EpisodeStatus.rejected, qa_score=0.2),
                SubsceneSkill(subscene_id="s2", skill_id="socks", position=0),
                QaCheck(
                    episode_id="e2",
                    name="gaps",
                    passed=False,
                    score=0.0,
                    validator_version="t",
                    created_at=T0,
                ),
                EpisodeLabel(episode_id="e2", label="night-shift", created_by="i", created_at=T0),
                EpisodeLabel(episode_id="e3", label="night-shift", created_by="i", created_at=T0),
                EpisodeLabel(episode_id="e3", label="occluded", created_by="i", created_at=T0),
            ]
        )
        s.commit()
        yield s
    engine.dispose()


def _ids(session: Session, **filters: Any) -> list[str]:
    stmt = filtered(select(Episode), EpisodeFilters.model_validate(filters))
    return [e.id for e in session.execute(stmt).scalars()]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["e3", "e2", "e1"]),  # newest first
        ({"q": "ÅNGSTRÖM"}, ["e1"]),
        ({"q": "küche"}, ["e1"]),
        ({"q": "task_000"}, ["e3", "e2", "e1"]),
        ({"q": "task_0002"}, ["e2"]),
        ({"q": "50%"}, ["e2"]),
        ({"q": "%"}, ["e2"]),  # a literal percent sign, not "anything"
        ({"q": "_"}, ["e3", "e2", "e1"]),  # the task ids' underscores
        ({"q": "secret-device"}, []),  # only the task block is searched
        ({"q": "operator_name"}, []),  # values, not keys
        ({"label": ["night-shift"]}, ["e3", "e2"]),
        ({"label": ["night-shift", "occluded"]}, ["e3"]),
        ({"skill_id": "socks"}, ["e3"]),
        ({"failed_check": "gaps"}, ["e2"]),
        ({"score_min": 0.3, "score_max": 0.9}, ["e2"]),
        ({"status": ["rejected", "auto_approved"]}, ["e3", "e1"]),
    ],
)
def test_the_search_on_sqlite(
    session: Session, filters: dict[str, Any], expected: list[str]
) -> None:
    assert _ids(session, **filters) == expected
