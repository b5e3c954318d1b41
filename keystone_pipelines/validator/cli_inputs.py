"""What `keystone qa validate` gives the validator besides the file, found the way the QA
pipeline finds it, so both give the same score for the same file and spec: the sidecar
beside the recording (`<task>.json` next to `<task>.mcap`, on disk or in the store), and
the spec (a file, or a robot type's from Keystone through the command's SpecSource)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A robot type's name or id -> (its spec, a line saying where it came from); raises
# SpecError when there is no such robot type or Keystone cannot be reached.
SpecSource = Callable[[str], tuple[Any, str]]
MAX_SIDECAR = 1024 * 1024  # a sidecar is a few KB; a larger "sidecar" is not read


def sibling_sidecar(target: str, s3_client: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(the sidecar document, where it was) for a recording, or (None, None) when there is
    none beside it. An unreadable one is returned as {"_error": ...}, as validate() does."""
    if not target.endswith(".mcap"):
        return None, None
    where = target[: -len(".mcap")] + ".json"
    if where.startswith("s3://"):
        return _from_store(where, s3_client)
    path = Path(where)
    if not path.is_file():
        return None, None
    if path.stat().st_size > MAX_SIDECAR:
        return {"_error": f"sidecar {where} is larger than {MAX_SIDECAR} bytes"}, where
    try:
        return json.loads(path.read_text()), where
    except (OSError, ValueError) as exc:
        return {"_error": f"sidecar unreadable: {exc}"}, where


def _from_store(url: str, client: Any) -> tuple[dict[str, Any] | None, str | None]:
    if client is None:
        return None, None
    from botocore.exceptions import ClientError

    bucket, _, key = url[5:].partition("/")
    try:
        obj = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_SIDECAR}")
        body = obj["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            return None, None
        return {"_error": f"sidecar unreadable: {code or exc}"}, url
    try:
        return json.loads(body), url
    except ValueError as exc:
        return {"_error": f"sidecar unreadable: {exc}"}, url


def not_judged(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The checks of one result the spec gave nothing to judge by, with why."""
    out = []
    for c in doc.get("checks", []):
        data = c.get("data", {})
        if data.get("not_judged"):
            out.append({"check": c["name"], "reason": data["not_judged"]})
        elif data.get("not_judged_parts"):  # judged in part (joint_states: NaN yes, ranges no)
            parts = ", ".join(data["not_judged_parts"])
            out.append({"check": c["name"], "reason": f"{parts}: the spec sets no limits for it"})
    return out
