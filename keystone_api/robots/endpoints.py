"""The WebSocket URLs handed to robots, built from where robots reach this server."""

from __future__ import annotations

from keystone_api.settings import Settings

RECORDER_PATH = "/recorder"
TRANSFER_PATH = "/transfer"


def ws_base_url(settings: Settings) -> str:
    """Where robots reach the gateways (gateway_url, else public_base_url), as ws:// or
    wss://."""
    base = (settings.gateway_url or settings.public_base_url).rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    if base.startswith("http://"):
        return "ws://" + base.removeprefix("http://")
    return base


def recorder_rpc_url(settings: Settings, device_id: str) -> str:
    # The device id is in the path: the recorder sends no other identity when it dials.
    return f"{ws_base_url(settings)}{RECORDER_PATH}/{device_id}"


def transfer_ws_url(settings: Settings) -> str:
    # The transfer daemon appends "/{device_id}" itself.
    return f"{ws_base_url(settings)}{TRANSFER_PATH}"
