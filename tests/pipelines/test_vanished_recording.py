"""A registered recording that is gone from the store: QA records a failed structure check
(an inspector sees it) instead of an error retried forever. Told by the source's
`not_found`, not by the text of the store's error."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.storage.s3 import ensure_bucket
from keystone_pipelines.qa.assess import validate_episode

BUCKET = "qa-vanished"


def test_a_recording_gone_from_the_store_fails_its_structure_check(db: Session, s3: Any) -> None:
    ensure_bucket(s3, BUCKET)
    episode = Episode(
        bucket=BUCKET, mcap_key="f1/r1/2026-01-01/gone.mcap", subscene_id="none", sop_id="none"
    )
    outcome, result = validate_episode(db, s3, episode)
    assert result is None and outcome.score == 0.0
    (check,) = outcome.checks
    assert check.name == "structure" and not check.passed
    assert check.detail.startswith("recording unreadable: s3://qa-vanished/")
