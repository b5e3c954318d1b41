"""A collector cannot log in at a workstation where another collector is at work (it locked
them out mid-recording): a 409 that names who is there and what they are doing. Staff force
it by logging that collector out of the station, and the pairing history says who did."""

from __future__ import annotations

from tests.api.flows import callback, start_body, take_task
from tests.api.world import World, auth, ok


def _login(w: World, collector: int, station: int):  # type: ignore[no-untyped-def]
    username = w.collectors[collector]["username"]
    body = {
        "username": username,
        "password": w.passwords[username],
        "workstation_id": w.workstations[station]["id"],
    }
    return w.client.post("/api/v1/auth/login", json=body)


def test_a_busy_station_is_not_taken_over_unless_staff_release_it(world: World) -> None:
    w = world
    w.order(target=2)
    _, _, cfg = take_task(w, 0)  # collector 0 at station 0
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ws = w.workstations[0]["id"]
    station = ok(w.client.get(f"/api/v1/workstations/{ws}", headers=auth(w.admin)))
    assert station["status"] == "recording"

    taken = _login(w, 1, 0)
    assert taken.status_code == 409, taken.text
    error = taken.json()["error"]
    assert error["details"]["status"] == "recording"
    assert error["details"]["data_collector_id"] == w.collectors[0]["id"]
    assert w.collectors[0]["name"] in error["message"] and "recording" in error["message"]
    # A wrong password learns nothing about the station; its own collector comes back in.
    body = {"username": w.collectors[1]["username"], "password": "wrong", "workstation_id": ws}
    assert w.client.post("/api/v1/auth/login", json=body).status_code == 401
    assert _login(w, 0, 0).status_code == 200
    # The intruder cannot release the station itself (not theirs)...
    intruder = ok(_login(w, 1, 1))["access_token"]
    released = w.client.post(f"/api/v1/workstations/{ws}/logout", headers=auth(intruder))
    assert released.status_code == 404
    station = ok(w.client.get(f"/api/v1/workstations/{ws}", headers=auth(w.admin)))
    assert station["data_collector_id"] == w.collectors[0]["id"]

    # ... an operator can, and is named in the station's pairing history.
    operator = w.user("operator")
    ok(w.client.post(f"/api/v1/workstations/{ws}/logout", headers=auth(operator)))
    history = ok(w.client.get(f"/api/v1/workstations/{ws}/pairings", headers=auth(w.admin)))
    me = ok(w.client.get("/api/v1/auth/me", headers=auth(operator)))
    assert history[0]["changed_by"] == f"user:{me['name']}"
    assert history[0]["data_collector_id"] is None
    assert _login(w, 1, 0).status_code == 200


def test_a_collector_on_a_break_keeps_the_station(world: World) -> None:
    w = world
    token = ok(_login(w, 0, 0))["access_token"]
    ws = w.workstations[0]["id"]
    ok(w.client.post(f"/api/v1/workstations/{ws}/break/start", headers=auth(token)))
    taken = _login(w, 1, 0)
    assert taken.status_code == 409 and taken.json()["error"]["details"]["status"] == "on_break"
    ok(w.client.post(f"/api/v1/workstations/{ws}/break/end", headers=auth(token)))
    assert _login(w, 1, 0).status_code == 200  # idle: the station is free to take
