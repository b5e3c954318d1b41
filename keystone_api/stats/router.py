"""Production statistics over HTTP: summary, trend, breakdown (JSON and CSV), order
progress, workstation quality, and the definitions of the rates they carry. Read-only; a
display token may call every route."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal, roles
from keystone_api.deps import SessionDep
from keystone_api.stats import export, frames, rates
from keystone_api.stats import schemas as s
from keystone_api.stats.breakdown import breakdown
from keystone_api.stats.progress_tables import orders_progress, workstation_quality
from keystone_api.stats.scope import Scope
from keystone_api.stats.summary import summary
from keystone_api.stats.trend import trend

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
Reader = Annotated[
    Principal,
    Depends(roles(Role.admin, Role.operator, Role.inspector, Role.collector, Role.display)),
]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV with a header row (the JSON field names)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/definitions",
    response_model=s.DefinitionsOut,
    summary="How each rate is computed: its window, numerator, denominator and one line",
)
def stats_definitions(principal: Reader) -> s.DefinitionsOut:
    return s.DefinitionsOut(items=[s.RateDefinition(**d) for d in rates.public()])


@router.get(
    "/summary",
    response_model=s.SummaryOut,
    summary="A period's production against the previous period, and the live queues",
)
def stats_summary(
    q: Annotated[s.StatsQuery, Query()], session: SessionDep, principal: Reader
) -> s.SummaryOut:
    start, end = q.period
    return summary(session, Scope.of(principal, q), start, end)


@router.get(
    "/trend",
    response_model=s.TrendOut,
    summary="Production by hour, day, week or month of the viewer's time",
)
def stats_trend(
    q: Annotated[s.TrendQuery, Query()], session: SessionDep, principal: Reader
) -> s.TrendOut:
    return trend(session, Scope.of(principal, q), q)


@router.get(
    "/trend.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="The trend as CSV",
)
def stats_trend_csv(
    q: Annotated[s.TrendQuery, Query()], session: SessionDep, principal: Reader
) -> Response:
    frame = frames.trend_frame(session, Scope.of(principal, q), q)
    return _csv(export.to_csv(frame), f"trend-{q.granularity}.csv")


@router.get(
    "/breakdown",
    response_model=s.BreakdownOut,
    summary="Production grouped by robot, collector, robot type, scene, SOP, status ...",
)
def stats_breakdown(
    q: Annotated[s.BreakdownQuery, Query()], session: SessionDep, principal: Reader
) -> s.BreakdownOut:
    return breakdown(session, Scope.of(principal, q), q)


@router.get(
    "/breakdown.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="A breakdown as CSV (every group, up to 10,000)",
)
def stats_breakdown_csv(
    q: Annotated[s.DimensionQuery, Query()], session: SessionDep, principal: Reader
) -> Response:
    frame = frames.breakdown_frame(session, Scope.of(principal, q), q)
    return _csv(export.to_csv(frame), f"breakdown-{q.dimension}.csv")


@router.get(
    "/orders",
    response_model=s.OrdersProgressOut,
    summary="Collection progress per order: target, collected, approved, rejected",
)
def stats_orders(
    q: Annotated[s.OrdersQuery, Query()], session: SessionDep, principal: Reader
) -> s.OrdersProgressOut:
    return orders_progress(session, Scope.of(principal, q), q)


@router.get(
    "/workstations",
    response_model=s.WorkstationsOut,
    summary="Quality per workstation over a period, with its robot and collector",
)
def stats_workstations(
    q: Annotated[s.PagedStatsQuery, Query()], session: SessionDep, principal: Reader
) -> s.WorkstationsOut:
    return workstation_quality(session, Scope.of(principal, q), q)
