"""`axon-config register`, as the protocol page describes it: register (only 201 counts),
download the two templates (a 404 on either skips both), fill their `{{ name }}`
placeholders from the flattened registration (an unknown name is an error), and read the
rendered recorder.yaml / transfer.yaml into what the recorder and the daemon need."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

log = logging.getLogger("keystone_sim.axon")
USER_AGENT = "axon-config/1.0"
TEMPLATES = ("recorder.yaml", "transfer.yaml")


class RegistrationError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"Keystone register failed (HTTP {status}): {body}")
        self.status = status
        self.body = body


class TemplateError(RuntimeError):
    pass


def _ws_from_http(url: str) -> str:
    url = url.rstrip("/")
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def template_context(
    response: dict[str, Any], keystone_url: str, factory: str, robot_type: str, config_dir: str
) -> dict[str, str]:
    """The client's placeholder values: the response flattened (`endpoints.x`), plus the
    values axon-config adds. Empty values are left out (so using one is an error)."""
    state = dict(response)
    state.setdefault("factory", factory)
    state.setdefault("robot_type", robot_type)
    base = keystone_url.rstrip("/")
    state["keystone_url"] = base
    state["registered_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    endpoints = dict(state.get("endpoints") or {})
    ws_base = (
        endpoints.get("keystone_ws_url") or state.get("keystone_ws_url") or _ws_from_http(base)
    )
    defaults = {"recorder_rpc_url": ws_base + "/rpc", "transfer_ws_url": ws_base + "/transfer"}
    endpoints["keystone_ws_url"] = ws_base
    for key, default in defaults.items():
        endpoints[key] = endpoints.get(key) or state.get(key) or default
    state["endpoints"] = endpoints
    for key in ("keystone_ws_url", "recorder_rpc_url", "transfer_ws_url"):
        state[key] = endpoints[key]
    values: dict[str, str] = {}

    def flatten(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                flatten(v, f"{prefix}.{k}" if prefix else str(k))
        elif prefix and (text := _scalar(value)):
            values[prefix] = text

    flatten(state, "")
    if state.get("robot_type"):
        values["robot_model"] = str(state["robot_type"])
    if config_dir:
        values["config_dir"] = config_dir
    return values


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


def render_template(text: str, values: dict[str, str]) -> str:
    out, pos = [], 0
    while (start := text.find("{{", pos)) >= 0:
        out.append(text[pos:start])
        end = text.find("}}", start + 2)
        if end < 0:
            raise TemplateError("unclosed template placeholder")
        key = text[start + 2 : end].strip()
        if not key:
            raise TemplateError("empty template placeholder")
        if key not in values:
            raise TemplateError(f"unknown template placeholder: {key}")
        out.append(values[key])
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


@dataclass
class Registration:
    """What the robot keeps after `axon-config register` (its device.json and configs)."""

    response: dict[str, Any]
    context: dict[str, str]
    templates: dict[str, str] | None  # rendered recorder.yaml / transfer.yaml, None if 404

    @property
    def device_id(self) -> str:
        return str(self.response["device_id"])

    @property
    def factory_id(self) -> str:
        return str(self.response["factory_id"])

    @property
    def token(self) -> str | None:
        token = self.response.get("ws_client_auth_token")
        return str(token) if token else None

    def recorder_config(self) -> dict[str, Any]:
        return yaml.safe_load(self.templates["recorder.yaml"]) if self.templates else {}

    def transfer_config(self) -> dict[str, Any]:
        return yaml.safe_load(self.templates["transfer.yaml"]) if self.templates else {}


async def register(
    http: httpx.AsyncClient,
    keystone_url: str,
    factory: str,
    robot_type: str,
    *,
    config_dir: Path | None = None,
    bearer: str | None = None,
) -> Registration:
    base = keystone_url.rstrip("/")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    resp = await http.post(
        f"{base}/api/v1/devices/register",
        content=json.dumps({"factory": factory, "robot_type": robot_type}),
        headers=headers,
        timeout=10,
    )
    if resp.status_code != 201:  # only 201 is success; even a 200 is a failure
        raise RegistrationError(resp.status_code, resp.text)
    body = resp.json()
    if not isinstance(body, dict):
        raise RegistrationError(resp.status_code, "register response is not a JSON object")
    context = template_context(body, base, factory, robot_type, str(config_dir or ""))
    rendered = await download_templates(http, base, context, bearer)
    registration = Registration(body, context, rendered)
    if config_dir is not None:
        save(registration, config_dir)
    return registration


async def refresh(http: httpx.AsyncClient, keystone_url: str, config_dir: Path) -> Registration:
    """`axon-config refresh`: a registered robot (its device.json) downloads its templates
    again; it does not register a second time."""
    response = json.loads((config_dir / "device.json").read_text())
    base = keystone_url.rstrip("/")
    factory, robot_type = str(response["factory"]), str(response["robot_type"])
    context = template_context(response, base, factory, robot_type, str(config_dir))
    registration = Registration(response, context, await download_templates(http, base, context))
    save(registration, config_dir)
    return registration


async def download_templates(
    http: httpx.AsyncClient, base: str, context: dict[str, str], bearer: str | None = None
) -> dict[str, str] | None:
    """With the userinfo of `base` as HTTP Basic (as libcurl sends it for axon-config), or
    the robot's device token when it registered with one."""
    headers = {"User-Agent": USER_AGENT}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    raw: dict[str, str] = {}
    for name in TEMPLATES:
        url = f"{base}/api/v1/robot_types/{context['robot_type_id']}/configs/{name}"
        resp = await http.get(url, headers=headers, timeout=10)
        if resp.status_code == 404:
            log.warning("config template not found (HTTP 404): %s; skipped both", url)
            return None
        resp.raise_for_status()
        raw[name] = resp.text
    return {name: render_template(text, context) for name, text in raw.items()}


def save(registration: Registration, config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "device.json").write_text(json.dumps(registration.response, indent=2))
    for name, text in (registration.templates or {}).items():
        (config_dir / name).write_text(text)
