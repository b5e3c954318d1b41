"""The database going away answers 503 quickly (never a hang) and the API recovers."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import make_url

from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.settings import get_settings
from tests.api.world import auth, tool_token
from tests.support.processes import keystone_api_process
from tests.support.tcp_proxy import TcpProxy


@pytest.mark.slow  # `keystone api` as a process, its database cut and restored
def test_database_down_is_a_quick_503_and_recovery_is_automatic(mysql_url, tmp_path) -> None:
    url = make_url(mysql_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 3306).start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = {"KEYSTONE_DATABASE_URL": through_proxy, "KEYSTONE_DATABASE_CONNECT_TIMEOUT_S": "3"}
    token = auth(tool_token("admin"))
    with keystone_api_process(env, tmp_path / "api.log", "--no-preflight") as base:
        assert httpx.get(base + "/api/v1/scenes", headers=token, timeout=30).status_code == 200
        proxy.stop()
        for _ in range(3):
            # The hang guard: a response must come, well before the client gives up.
            response = httpx.get(base + "/api/v1/scenes", headers=token, timeout=20)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
            assert response.headers["Retry-After"]
        assert httpx.get(base + "/readyz", timeout=20).status_code == 503
        # Robots' writes go through the group commit: its batch fails, each caller gets 503.
        for path, body, robot_token in _robot_writes():
            response = httpx.post(base + path, json=body, headers=robot_token, timeout=20)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 3306, port=proxy.port).start()
        try:
            assert httpx.get(base + "/api/v1/scenes", headers=token, timeout=30).status_code == 200
            assert httpx.get(base + "/readyz", timeout=20).status_code == 200
            # ... and it recovers too (these ids exist nowhere: refused, no longer 503).
            for path, body, robot_token in _robot_writes():
                response = httpx.post(base + path, json=body, headers=robot_token, timeout=20)
                assert response.status_code in (401, 404), response.text
        finally:
            proxy.stop()


def _robot_writes() -> list[tuple[str, dict | None, dict[str, str]]]:
    task_id = "01a21dc2-0000-7000-8000-00000000d0d0"
    task = mint(
        get_settings(),
        TokenClaims("task", task_id, "robot", None, device_id="AB-DOWN", task_id=task_id),
    )
    device = mint(
        get_settings(),
        TokenClaims("device", task_id, "robot", None, device_id="AB-DOWN", token_version=1),
    )
    start = {
        "task_id": task_id,
        "device_id": "AB-DOWN",
        "status": "recording",
        "started_at": "2026-11-27T08:00:00Z",
        "topics": [],
    }
    return [
        ("/api/v1/callbacks/start", start, auth(task)),
        (f"/api/v1/robots/{task_id}/heartbeat", None, auth(device)),
    ]
