"""Setting a simulated fleet up through the API, as a factory's admin would: a collector
account and a workstation per robot, each robot paired at its workstation once it has
registered, and work for the stations (the demo orders scheduled, a new one when they run
dry). Every step looks before it creates, so a second run reuses what the first made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

# Orders the simulator may schedule and create; it never touches other orders.
DEMO_ORDER_PREFIX = "Demo order"


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, resp: httpx.Response) -> None:
        super().__init__(f"{method} {path}: HTTP {resp.status_code} {resp.text[:300]}")
        self.status = resp.status_code
        try:
            self.code = str(resp.json()["error"]["code"])
        except (ValueError, KeyError, TypeError):
            self.code = ""


class ProvisionError(RuntimeError):
    """The edge lacks something the fleet needs (said in one line)."""


class AdminApi:
    """The few admin calls the simulator needs, on a synchronous client."""

    def __init__(self, base_url: str, token: str, timeout: float = 30) -> None:
        self.client = httpx.Client(
            base_url=base_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
        )

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        resp = self.client.request(method, path, json=body, params=params or None)
        if resp.status_code >= 300:
            raise ApiError(method, path, resp)
        return resp.json() if resp.content else None

    def items(self, path: str, **filters: Any) -> list[dict[str, Any]]:
        return list(self.call("GET", path, limit=500, **filters)["items"])

    def named(self, path: str, name: str, **filters: Any) -> dict[str, Any] | None:
        for item in self.items(path, name_contains=name, **filters):
            if item.get("name") == name:
                return item
        return None


def enrollment_url(api: AdminApi, factory_id: str, fleet: str, ttl_s: int = 24 * 3600) -> str:
    """A fresh enrollment secret for the fleet's robots, as the URL `axon-config register`
    takes (`http://enroll:SECRET@edge:8080`): robots enroll as real ones do."""
    body = {"factory_id": factory_id, "label": f"simulated fleet '{fleet}'", "ttl_s": ttl_s}
    return str(api.call("POST", "/api/v1/enrollment-secrets", body)["enroll_url"])


def workstation_name(fleet: str, index: int) -> str:
    return f"{fleet}-ws-{index:02d}"


def collector_username(fleet: str, index: int) -> str:
    return f"{fleet}-collector-{index:02d}"


@dataclass(frozen=True)
class StationAccount:
    index: int
    workstation_id: str
    username: str
    password: str


def ensure_station(
    api: AdminApi, factory_id: str, fleet: str, index: int, password: str
) -> StationAccount:
    """The fleet's collector (with a login) and workstation number `index`."""
    username = collector_username(fleet, index)
    name = f"{fleet} collector {index:02d}"
    if api.named("/api/v1/data-collectors", name, factory_id=factory_id) is None:
        body = {
            "factory_id": factory_id,
            "name": name,
            "employee_code": f"{fleet[:8].upper()}-{index:03d}",
            "username": username,
            "password": password,
        }
        api.call("POST", "/api/v1/data-collectors", body)
    ws_name = workstation_name(fleet, index)
    ws = api.named("/api/v1/workstations", ws_name, factory_id=factory_id)
    if ws is None:
        ws = api.call("POST", "/api/v1/workstations", {"factory_id": factory_id, "name": ws_name})
    return StationAccount(index, ws["id"], username, password)


def pair_robot(api: AdminApi, workstation_id: str, robot_id: str, name: str) -> None:
    """Name the robot and put it at its workstation (it registered itself, nameless; an
    admin places it)."""
    robot = api.call("GET", f"/api/v1/robots/{robot_id}")
    if robot["name"] != name:
        api.call("PATCH", f"/api/v1/robots/{robot_id}", {"name": name})
    ws = api.call("GET", f"/api/v1/workstations/{workstation_id}")
    if ws["robot_id"] == robot_id:
        return
    body = {"robot_id": robot_id, "data_collector_id": ws["data_collector_id"]}
    api.call("PUT", f"/api/v1/workstations/{workstation_id}/pairing", body)


@dataclass(frozen=True)
class WorkSource:
    """What new demo orders are for: a subscene of the fleet's robot type, and its SOP."""

    factory_id: str
    subscene_id: str
    sop_id: str


def find_work_source(api: AdminApi, factory_id: str, robot_type_id: str) -> WorkSource:
    for scene in api.items("/api/v1/scenes", factory_id=factory_id):
        subscenes = api.items(
            "/api/v1/subscenes", scene_id=scene["id"], robot_type_id=robot_type_id
        )
        for subscene in subscenes:
            sops = api.items("/api/v1/sops", subscene_id=subscene["id"])
            if sops:
                return WorkSource(factory_id, subscene["id"], sops[-1]["id"])
    raise ProvisionError(
        f"factory {factory_id} has no subscene with an SOP for robot type {robot_type_id}: "
        "create them (keystone dev seeds a demo scene, subscene and SOP)"
    )


def schedule_demo_orders(api: AdminApi, source: WorkSource, workstation_ids: list[str]) -> int:
    """Top up the open demo orders on the fleet's workstations; returns tasks created."""
    created = 0
    for status in ("pending", "active"):
        orders = api.items(
            "/api/v1/orders",
            factory_id=source.factory_id,
            subscene_id=source.subscene_id,
            status=status,
        )
        for order in orders:
            if not str(order.get("name", "")).startswith(DEMO_ORDER_PREFIX):
                continue
            body = {"workstation_ids": workstation_ids}
            created += len(api.call("POST", f"/api/v1/orders/{order['id']}/schedule", body))
    return created


def create_demo_order(
    api: AdminApi, source: WorkSource, workstation_ids: list[str], target: int
) -> dict[str, Any]:
    body = {
        "factory_id": source.factory_id,
        "subscene_id": source.subscene_id,
        "sop_id": source.sop_id,
        "name": f"{DEMO_ORDER_PREFIX} (simulated fleet)",
        "target_episodes": max(1, min(target, 100_000)),
        "workstation_ids": workstation_ids,
    }
    return dict(api.call("POST", "/api/v1/orders", body))
