"""A recording's sidecar, parsed strictly: RFC 8259 JSON or a refusal that says why.

Python's json module accepts more than JSON: NaN, Infinity and -Infinity, numbers that
overflow to infinity (1e999), and an object with the same key twice (the last one wins,
where other parsers keep the first). Each of these once landed, was ACKed and approved,
and then could never be sent: the cloud's JSON has no such values (httpx refuses to
encode them, MariaDB's JSON_VALID refuses NaN). A duplicate key is refused too: two
readers of the same bytes would disagree on the recording's facts.

Used by every reader of sidecar bytes: the landing verification (before a robot is
ACKed), the sync sender (before a payload is built) and the cloud receiver.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn


class SidecarInvalid(ValueError):
    """The bytes are not a strict JSON object; the message says what is wrong."""


def _constant(name: str) -> NoReturn:
    raise SidecarInvalid(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise SidecarInvalid(f"the number {text[:40]} is out of range (it overflows to infinity)")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SidecarInvalid(f"the key {key[:80]!r} appears twice in one object")
        out[key] = value
    return out


def loads_strict(raw: bytes | str) -> Any:
    """Any strict JSON value; raises SidecarInvalid."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(
            text, parse_constant=_constant, parse_float=_float, object_pairs_hook=_object
        )
    except SidecarInvalid:
        raise
    except UnicodeDecodeError as exc:
        raise SidecarInvalid(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise SidecarInvalid("nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer with too many digits
        raise SidecarInvalid(f"not JSON ({exc})") from None


def parse_sidecar(raw: bytes | str) -> dict[str, Any]:
    """A sidecar document: a strict JSON object."""
    doc = loads_strict(raw)
    if not isinstance(doc, dict):
        raise SidecarInvalid("not a JSON object")
    return doc
