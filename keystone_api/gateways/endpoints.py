"""The WebSocket URLs handed to robots, built from where robots reach this server.

The transfer daemon dials `{transfer_ws_url}/{device_id}` and sends no header of its own
(axon-protocol.md section 8), so its URL carries a per-device key as a path segment:
`/transfer/k/{key}/{device_id}`. The key is an HMAC of the robot and its token version
under the server's signing key: nothing to store, and rotating the robot's token (or
archiving it) changes or voids it with the device token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from keystone_api.settings import Settings

RECORDER_PATH = "/recorder"
TRANSFER_PATH = "/transfer"
TRANSFER_KEYED_PATH = TRANSFER_PATH + "/k"
TRANSFER_KEY_LENGTH = 32  # base64url characters: 192 bits


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
    # The device id is in the path: the recorder sends its device token as Bearer.
    return f"{ws_base_url(settings)}{RECORDER_PATH}/{device_id}"


def transfer_key(settings: Settings, robot_id: str, token_version: int) -> str:
    signing_key = settings.jwt_secret.get_secret_value().encode()
    message = f"keystone transfer socket\n{robot_id}\n{token_version}".encode()
    mac = hmac.new(signing_key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:TRANSFER_KEY_LENGTH]


def transfer_key_matches(settings: Settings, robot_id: str, token_version: int, key: str) -> bool:
    return hmac.compare_digest(transfer_key(settings, robot_id, token_version), key)


def transfer_ws_url(settings: Settings, robot_id: str, token_version: int) -> str:
    # The transfer daemon appends "/{device_id}" itself.
    key = transfer_key(settings, robot_id, token_version)
    return f"{ws_base_url(settings)}{TRANSFER_KEYED_PATH}/{key}"
