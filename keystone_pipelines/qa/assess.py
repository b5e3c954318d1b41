"""Assess one claimed episode: validate its recording (tiers 1-3 by ranged GETs, integrity
from the upload), record every check, the score and the decided status through keystone_api's
QA service, and store evidence pictures next to a flagged recording."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from keystone_api.db.unit_of_work import unit_of_work_in
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.episodes.qa import CheckResult, QaOutcome, record_qa_result
from keystone_api.settings import Settings
from keystone_pipelines.qa.spec_for import SpecCache
from keystone_pipelines.validator import VALIDATOR_VERSION, ValidationResult
from keystone_pipelines.validator.cpu import measure
from keystone_pipelines.validator.score import FORMULA_VERSION
from keystone_pipelines.validator.sources import S3Source, SourceError

log = logging.getLogger("keystone.qa")

# Below this size a full re-hash (tier 4) costs less than a second: always verify it.
FULL_HASH_BELOW_BYTES = 64 * 1024 * 1024
# Frames per camera kept for a flagged episode's contact sheet (decoded at 1/4 size).
THUMBNAILS = 6
SUMMARY_KEYS = (
    "tiers",
    "bytes_read",
    "bytes_by_tier",
    "file_size",
    "message_count",
    "duration_s",
    "axon",
    "sha256",
)


@dataclass(frozen=True)
class Assessment:
    episode_id: str
    status: str
    score: float
    failing: list[str]
    evidence: list[str]


def _outcome(result: ValidationResult) -> QaOutcome:
    summary = {k: v for k, v in result.to_dict().items() if k in SUMMARY_KEYS}
    summary["findings"] = result.findings[:20]
    return QaOutcome(
        score=result.score,
        checks=[CheckResult(c.name, c.passed, c.score, c.detail, c.data) for c in result.checks],
        validator_version=result.validator_version,
        formula_version=result.formula_version or FORMULA_VERSION,
        summary=summary,
    )


def _missing_object(reason: str) -> QaOutcome:
    """The recording vanished from the store after it was registered: an inspector must see
    that, so it becomes a failed structure check rather than an error that retries forever."""
    check = CheckResult("structure", False, 0.0, f"recording unreadable: {reason}")
    return QaOutcome(
        score=0.0,
        checks=[check],
        validator_version=VALIDATOR_VERSION,
        formula_version=FORMULA_VERSION,
        summary={"error": reason},
    )


def validate_episode(
    session: Session, s3: Any, episode: Episode, specs: SpecCache | None = None
) -> tuple[QaOutcome, Any]:
    from keystone_pipelines.validator.core import validate

    used = (specs or SpecCache()).used(session, episode)
    spec = used.spec
    try:
        src = S3Source(s3, episode.bucket, episode.mcap_key)
    except SourceError as exc:
        if exc.not_found:
            return _missing_object(str(exc)), None
        raise
    try:
        # The store's own checksum when the upload carried one; else the uploader's declared
        # x-amz-meta-checksum-sha256, already checked against the sidecar at landing.
        stored = src.stored_sha256 or episode.checksum_sha256
        integrity: Any = True if src.size < FULL_HASH_BELOW_BYTES else "auto"
        with measure() as cpu:
            result = validate(
                src,
                spec,
                stored_sha256=stored,
                sidecar=episode.sidecar,
                integrity=integrity,
                thumbnails=THUMBNAILS,
            )
    finally:
        src.close()
    # The history names the spec version (and effective spec) that judged the recording.
    outcome = replace(
        _outcome(result),
        robot_type_id=used.robot_type_id,
        robot_type_spec=used.robot_type_spec,
        spec_digest=used.digest,
    )
    # The validator's own CPU (its helper threads' too): the pipeline benchmark separates
    # it from the orchestration's overhead.
    outcome.summary["validator_cpu_s"] = round(cpu.seconds, 4)
    return outcome, result


def assess(
    sessions: sessionmaker[Session],
    s3: Any,
    settings: Settings,
    episode_id: str,
    token: str,
    actor: str,
    specs: SpecCache | None = None,
) -> Assessment:
    with sessions() as session:
        episode = session.get(Episode, episode_id)
        if episode is None or episode.qa_claim_token != token:
            return Assessment(episode_id, "skipped", 0.0, [], [])
        outcome, result = validate_episode(session, s3, episode, specs)
        bucket, mcap_key = episode.bucket, episode.mcap_key
    evidence: list[str] = []
    if outcome.score < settings.qa_auto_approve_score and result is not None:
        from keystone_pipelines.qa.evidence import store_evidence

        try:
            evidence = store_evidence(s3, bucket, mcap_key, result)
        except Exception as exc:  # noqa: BLE001 - pictures help inspectors; never block QA
            log.warning("evidence for %s failed: %s", episode_id, exc)

    def record(session: Session) -> EpisodeStatus | str:
        episode = record_qa_result(
            session, settings, episode_id, outcome, actor, claim_token=token, evidence=evidence
        )
        return episode.status

    status = unit_of_work_in(sessions, record)
    failing = [c.name for c in outcome.checks if not c.passed]
    return Assessment(
        episode_id,
        status.value if isinstance(status, EpisodeStatus) else status,
        outcome.score,
        failing,
        evidence,
    )
