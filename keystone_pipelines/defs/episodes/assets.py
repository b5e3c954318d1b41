"""Episodes as hourly-partitioned assets: the landed recordings of an hour, their QA, and the
review gate (auto-approval and inspector decisions). Per-episode truth lives in MySQL; each
materialization shows the hour at a glance."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.episodes.metadata import hour_metadata
from keystone_pipelines.defs.episodes.partitions import hour_window, hourly
from keystone_pipelines.qa.run import run_qa
from keystone_pipelines.qa.summary import hour_summary
from keystone_pipelines.resources import KeystoneResource

# The specification's alert threshold.
QA_FAILURE_RATE_LIMIT = 0.10
GROUP = "episodes"


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    kinds={"s3", "mysql"},
    description="Recordings that landed in the object store this hour, verified and "
    "registered as episodes (by the transfer gateway or the landing sensor).",
)
def landed_recordings(
    context: dg.AssetExecutionContext, keystone: KeystoneResource
) -> dg.MaterializeResult:
    start, _ = hour_window(context.partition_key)
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    return dg.MaterializeResult(
        metadata={
            "hour": dg.MetadataValue.text(start.strftime("%Y-%m-%d %H:00 UTC")),
            "episodes_landed": s.landed,
            "bytes_landed": s.bytes_landed,
            **{f"registered_by_{k}": v for k, v in sorted(s.by_source.items())},
        }
    )


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    deps=[landed_recordings],
    kinds={"python"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL),
    check_specs=[
        dg.AssetCheckSpec(
            "stuck_pending_qa",
            asset="episode_qa",
            description="No episode waits for QA beyond the limit",
        )
    ],
    description="QA of the hour's recordings: structure, required topics, duration, gaps, "
    "image integrity and integrity; score >= 0.90 auto-approves.",
)
def episode_qa(context: dg.AssetExecutionContext, keystone: KeystoneResource):  # type: ignore[no-untyped-def]
    start, end = hour_window(context.partition_key)
    report = run_qa(
        keystone.sessions(),
        keystone.s3(),
        keystone.settings(),
        start,
        end,
        token=context.run.run_id,
        workers=keystone.qa_workers,
        lease_s=keystone.claim_lease_s,
    )
    context.log.info(f"assessed {len(report.assessed)} episodes, {len(report.errors)} errors")
    if report.errors:
        # Claims were released: the retry (or the next run) takes these episodes again.
        raise dg.Failure(
            description=f"{len(report.errors)} episodes could not be assessed",
            metadata={
                "errors": dg.MetadataValue.md(
                    "\n".join(f"- `{e}`: {msg[:200]}" for e, msg in report.errors[:20])
                )
            },
        )
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    return dg.MaterializeResult(
        metadata={**hour_metadata(s, keystone), "assessed_in_this_run": len(report.assessed)},
        check_results=[
            dg.AssetCheckResult(
                check_name="stuck_pending_qa",
                passed=s.stuck == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"stuck": s.stuck, "limit_s": keystone.stuck_after_s},
            )
        ],
    )


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    deps=[episode_qa],
    kinds={"python"},
    check_specs=[
        dg.AssetCheckSpec(
            "qa_failure_rate",
            asset="review_gate",
            description="QA failure rate at most 10 % (alert threshold)",
        ),
        dg.AssetCheckSpec(
            "awaiting_inspection",
            asset="review_gate",
            description="No episode of the hour waits for an inspector",
        ),
    ],
    description="The review gate: auto-approved episodes and inspectors' decisions. "
    "Re-materialized when an inspector decides.",
)
def review_gate(context: dg.AssetExecutionContext, keystone: KeystoneResource):  # type: ignore[no-untyped-def]
    start, _ = hour_window(context.partition_key)
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    rate = s.failure_rate
    base = keystone.public_base_url.rstrip("/")
    return dg.MaterializeResult(
        metadata=hour_metadata(s, keystone),
        check_results=[
            dg.AssetCheckResult(
                check_name="qa_failure_rate",
                passed=rate is None or rate <= QA_FAILURE_RATE_LIMIT,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "failure_rate": round(rate, 4) if rate is not None else 0.0,
                    "assessed": s.assessed,
                    "limit": QA_FAILURE_RATE_LIMIT,
                },
            ),
            dg.AssetCheckResult(
                check_name="awaiting_inspection",
                passed=s.awaiting_inspection == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "awaiting_inspection": s.awaiting_inspection,
                    "inspection_queue": dg.MetadataValue.url(f"{base}/dashboard/inspection"),
                },
            ),
        ],
    )
