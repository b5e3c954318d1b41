"""Twenty workstations asking at once never receive the same task; one station asking many
times at once receives one task. Real concurrent HTTP requests against MariaDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.world import auth, build_world, ok


def test_twenty_workstations_at_once_get_distinct_tasks(live_api: str) -> None:
    with httpx.Client(base_url=live_api, timeout=60) as client:
        w = build_world(client, stations=20)
        w.order(target=60)
        tokens = [
            w.login(c["username"], ws["id"])
            for c, ws in zip(w.collectors, w.workstations, strict=True)
        ]

    def ask(i: int) -> dict:
        # One client (connection) per request: truly concurrent requests to the server.
        with httpx.Client(base_url=live_api, timeout=60) as c:
            return ok(
                c.post(
                    f"/api/v1/workstations/{w.workstations[i % 20]['id']}/tasks/next",
                    headers=auth(tokens[i % 20]),
                )
            )

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(ask, range(60)))  # each station asks three times at once
    by_station: dict[str, set[str]] = {}
    for task in results:
        by_station.setdefault(task["workstation_id"], set()).add(task["id"])
    # Every station got exactly one task however often it asked, and no two share one.
    assert len(by_station) == 20
    assert all(len(ids) == 1 for ids in by_station.values())
    all_ids = [next(iter(ids)) for ids in by_station.values()]
    assert len(set(all_ids)) == 20
