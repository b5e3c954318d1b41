"""The daily QA report's frames on SQLite (the dev stack's database): its grouped check
results and hour buckets give the answers they give on MariaDB
(tests/pipelines/test_daily_qa_report.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from keystone_api.db.models import Base
from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck
from keystone_api.stats.frames import REPORT_COLUMNS, REPORT_TABLES, qa_report_frames

DAY = datetime(2026, 3, 2, tzinfo=UTC)
# episode: robot, hour landed, status, failed checks (None: not assessed)
PLAN = {
    1: ("ra", 3, EpisodeStatus.auto_approved, ()),
    2: ("ra", 3, EpisodeStatus.needs_inspection, ("gaps", "duration")),
    3: ("rb", 17, EpisodeStatus.rejected, ("gaps",)),
    4: ("rb", 17, EpisodeStatus.pending_qa, None),
    5: ("rb", 30, EpisodeStatus.rejected, ("gaps",)),  # the next day
}
CHECKS = ("gaps", "duration", "structure")


@pytest.fixture
def session() -> Iterator[Session]:
    # Foreign keys are off (SQLite's default): the rows here need no registries behind them.
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    refs = dict.fromkeys(("order_id", "batch_id", "workstation_id", "scene_id"), "x")
    refs |= {"subscene_id": "x", "sop_id": "x"}
    with Session(engine) as s:
        for n, (robot, hour, status, failed) in PLAN.items():
            landed = DAY + timedelta(hours=hour, minutes=10)
            s.add(
                Episode(
                    id=f"e{n}",
                    task_id=f"t{n}",
                    factory_id="f1",
                    robot_id=robot,
                    status=status,
                    bucket="b",
                    mcap_key=f"k{n}",
                    landed_at=landed,
                    qa_passed=None if failed is None else not failed,
                    **refs,
                )
            )
            for name in CHECKS if failed is not None else ():
                s.add(
                    QaCheck(
                        id=f"c{n}{name}",
                        episode_id=f"e{n}",
                        name=name,
                        passed=name not in failed,
                        score=0.0,
                        validator_version="t",
                        created_at=landed,
                    )
                )
        s.commit()
        yield s
    engine.dispose()


def test_the_days_tables_on_sqlite(session: Session) -> None:
    frames = qa_report_frames(session, "f1", DAY, DAY + timedelta(days=1))
    assert list(frames) == list(REPORT_TABLES)
    assert all(list(frames[t].columns) == REPORT_COLUMNS[t] for t in REPORT_TABLES)

    checks = frames["by_check"]
    assert checks[["check", "checked", "failed", "robots"]].values.tolist() == [
        ["gaps", 3, 2, 2],
        ["duration", 3, 1, 1],
        ["structure", 3, 0, 0],
    ]
    robots = frames["by_robot"]
    counts = ["key", "episodes", "assessed", "failed_qa", "failed_checks"]
    assert robots[counts].values.tolist() == [
        ["ra", 2, 2, 1, 2],
        ["rb", 2, 1, 1, 1],
    ]
    assert list(robots["top_failed_check"]) == ["duration", "gaps"]  # a tie: the first name

    hours = frames["by_hour"].set_index("hour")
    assert len(hours) == 24
    assert hours.loc[3, ["episodes", "failed_qa", "failed_checks"]].tolist() == [2, 1, 2]
    assert hours.loc[17, ["episodes", "assessed", "failed_checks"]].tolist() == [2, 1, 1]
    assert hours["episodes"].sum() == 4
