"""The hour's asset checks. Each is declared per partition, so every evaluation names its
hour (without a partitions_def Dagster records none and the UI showed "-"), and each is
computed from that hour's HourSummary only (the episodes that landed in it). The assets
evaluate them as they materialize; the landing sensor reports them for an hour in which
nothing landed (hours.py)."""

from __future__ import annotations

import warnings

import dagster as dg

from keystone_pipelines.defs.episodes.partitions import hourly
from keystone_pipelines.qa.summary import HourSummary
from keystone_pipelines.resources import KeystoneResource

# The specification's alert threshold.
QA_FAILURE_RATE_LIMIT = 0.10


def _hourly_spec(name: str, asset: str, description: str) -> dg.AssetCheckSpec:
    # Partitioned check specs are a preview in Dagster 1.13; its warning would be logged at
    # every load of the code location (each daemon tick's code server), so it is silenced
    # here, where the choice is made.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset, description=description, partitions_def=hourly)


STUCK_PENDING_QA = _hourly_spec(
    "stuck_pending_qa",
    "episode_qa",
    "No episode that landed this hour waits for QA beyond the limit",
)
QA_FAILURE_RATE = _hourly_spec(
    "qa_failure_rate",
    "review_gate",
    "QA failure rate of this hour's episodes at most 10 % (alert threshold)",
)
AWAITING_INSPECTION = _hourly_spec(
    "awaiting_inspection",
    "review_gate",
    "No episode that landed this hour waits for an inspector",
)


def qa_checks(s: HourSummary, keystone: KeystoneResource) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            asset_key=STUCK_PENDING_QA.asset_key,
            check_name=STUCK_PENDING_QA.name,
            passed=s.stuck == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "stuck": s.stuck,
                "episodes_in_hour": s.landed,
                "limit_s": keystone.stuck_after_s,
            },
        )
    ]


def gate_checks(s: HourSummary, keystone: KeystoneResource) -> list[dg.AssetCheckResult]:
    rate = s.failure_rate
    base = keystone.public_base_url.rstrip("/")
    return [
        dg.AssetCheckResult(
            asset_key=QA_FAILURE_RATE.asset_key,
            check_name=QA_FAILURE_RATE.name,
            passed=rate is None or rate <= QA_FAILURE_RATE_LIMIT,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "failure_rate": round(rate, 4) if rate is not None else 0.0,
                "assessed": s.assessed,
                "episodes_in_hour": s.landed,
                "limit": QA_FAILURE_RATE_LIMIT,
            },
        ),
        dg.AssetCheckResult(
            asset_key=AWAITING_INSPECTION.asset_key,
            check_name=AWAITING_INSPECTION.name,
            # Spot checks wait for an inspector too (held from sync until decided).
            passed=s.awaiting_inspection == 0 and s.spot_checks_waiting == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "awaiting_inspection": s.awaiting_inspection,
                "spot_checks_waiting": s.spot_checks_waiting,
                "episodes_in_hour": s.landed,
                "inspection_queue": dg.MetadataValue.url(f"{base}/dashboard/inspection"),
            },
        ),
    ]


def as_evaluation(result: dg.AssetCheckResult, partition: str) -> dg.AssetCheckEvaluation:
    """A check result reported outside a run (by a sensor), for its hour."""
    assert result.asset_key is not None and result.check_name is not None
    return dg.AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        partition=partition,
    )
