"""CDR decoders for ROS 2 messages: from the schema's own definition text when the file
carries it, else from the definitions bundled in `msgdefs/` (Axon's recorder writes empty
schemas without `recording.schema_search_paths`, axon-protocol.md section 7).

The definitions are composed the way ROS 2 bags store them (the type's text, then each
dependency after a line of '=' and `MSG: pkg/Type`) and handed to mcap_ros2's decoder."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

MSGDEFS = Path(__file__).resolve().parents[1] / "msgdefs"
_NUMBERS = ("float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32")
PRIMITIVES = frozenset(("bool", "byte", "char", "int64", "uint64", "string", "wstring", *_NUMBERS))
MAX_MESSAGE = 1024 * 1024  # a larger "joint state" is not one: refused before decoding
_SEP = "=" * 80
_lock = threading.Lock()

Decoder = Callable[[bytes], Any]


def _path(full_type: str) -> Path | None:
    pkg, _, name = full_type.replace("/msg/", "/").partition("/")
    if not pkg or not name or not re.fullmatch(r"\w+", pkg) or not re.fullmatch(r"\w+", name):
        return None
    p = MSGDEFS / pkg / "msg" / f"{name}.msg"
    return p if p.is_file() else None


def _field_types(text: str, pkg: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or "=" in line.split()[0]:
            continue
        base = re.sub(r"(\[.*\]|<=\d+)$", "", line.split()[0])
        if base in PRIMITIVES or base.startswith("string<="):
            continue
        if base == "Header":
            out.append("std_msgs/Header")
        else:
            out.append(base if "/" in base else f"{pkg}/{base}")
    return out


@lru_cache(maxsize=32)
def bundled_definition(full_type: str) -> str | None:
    """The composed definition text of a bundled type, or None when none is bundled."""
    root = _path(full_type)
    if root is None:
        return None
    parts, seen, todo = [root.read_text()], {full_type}, _field_types(root.read_text(), "")
    pkg = full_type.split("/")[0]
    todo = _field_types(parts[0], pkg)
    while todo:
        dep = todo.pop(0).replace("/msg/", "/")
        if dep in seen:
            continue
        seen.add(dep)
        p = _path(dep)
        if p is None:
            return None  # a dependency we do not ship: no decoder rather than a wrong one
        text = p.read_text()
        parts.append(f"{_SEP}\nMSG: {dep}\n{text}")
        todo += _field_types(text, dep.split("/")[0])
    return "\n".join(parts)


@lru_cache(maxsize=64)
def _generate(schema_name: str, text: str) -> Decoder | None:
    from mcap_ros2._dynamic import generate_dynamic

    try:
        decoders = generate_dynamic(schema_name, text)
    except Exception:  # noqa: BLE001 - a definition we cannot read gives no decoder
        return None
    return decoders.get(schema_name)


def decoder_for(schema_name: str, schema_text: bytes) -> tuple[Decoder | None, str]:
    """(decoder or None, where its definition came from: "file" or "bundled")."""
    text = schema_text.decode("utf-8", "replace").strip() if schema_text else ""
    source = "file" if text else "bundled"
    if not text:
        text = bundled_definition(schema_name) or ""
    if not text:
        return None, source
    with _lock:  # lru_cache is thread-safe, but generate once, not once per thread
        return _generate(schema_name, text), source


def decode(decoder: Decoder, data: bytes | memoryview) -> Any:
    """One message; raises ValueError for anything that does not decode."""
    if len(data) > MAX_MESSAGE:
        raise ValueError(f"message of {len(data)} B is larger than {MAX_MESSAGE} B")
    try:
        return decoder(bytes(data))
    except Exception as exc:  # noqa: BLE001 - any decoder error is the message's defect
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
