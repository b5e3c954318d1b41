"""Evidence pictures for an inspector, stored next to a flagged recording:

- timeline.png: every topic's span as a bar, with the worst gaps marked in red and
  topics missing from the spec's required list marked as empty rows;
- contact_sheet.jpg: sampled frames of each camera over the recording (when the validator
  kept thumbnails), failed frames framed in red.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from keystone_api.storage.layout import evidence_prefix

WIDTH, ROW, LEFT = 1200, 28, 330
THUMB_W, THUMB_H, PER_ROW = 192, 144, 6


def _put(img: np.ndarray, text: str, xy: tuple[int, int], color=(30, 30, 30), scale=0.45) -> None:  # type: ignore[no-untyped-def]
    cv2.putText(img, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def timeline_png(result: Any) -> bytes:
    topics = dict(sorted(result.topics.items()))
    gaps: list[dict[str, Any]] = next(
        (c.data.get("worst", []) for c in result.checks if c.name == "gaps"), []
    )
    required: list[str] = next(
        (c.data.get("missing", []) for c in result.checks if c.name == "required_topics"), []
    )
    names = list(topics) + [t for t in required if t not in topics]
    firsts = [s["first_ns"] for s in topics.values() if s.get("first_ns") is not None]
    lasts = [s["last_ns"] for s in topics.values() if s.get("last_ns") is not None]
    t0, t1 = (min(firsts), max(lasts)) if firsts else (0, 1)
    span = max(t1 - t0, 1)
    img = np.full((ROW * (len(names) + 2), WIDTH, 3), 255, np.uint8)
    _put(img, f"{result.path}  score {result.score:.2f}  {span / 1e9:.1f} s", (8, 18))
    scale = (WIDTH - LEFT - 20) / span

    def x(ns: float) -> int:
        return int(LEFT + (ns - t0) * scale)

    for i, topic in enumerate(names):
        y = ROW * (i + 1) + 8
        stats = topics.get(topic)
        _put(img, topic[-44:], (8, y + 14))
        if not stats or stats.get("first_ns") is None:
            _put(img, "MISSING", (LEFT, y + 14), (0, 0, 220))
            continue
        cv2.rectangle(
            img, (x(stats["first_ns"]), y + 4), (x(stats["last_ns"]), y + 18), (120, 170, 60), -1
        )
        over = (
            g
            for g in gaps
            if g.get("topic") == topic
            and g.get("limit_s") is not None
            and g["gap_s"] > g["limit_s"]
        )
        for gap in over:  # only gaps over the spec's limit are marked
            start = t0 + gap["at_s"] * 1e9
            cv2.rectangle(
                img,
                (x(start), y),
                (max(x(start + gap["gap_s"] * 1e9), x(start) + 2), y + 22),
                (0, 0, 220),
                -1,
            )
    ok, png = cv2.imencode(".png", img)
    assert ok
    return png.tobytes()


def contact_sheet_jpg(result: Any) -> bytes | None:
    frames = getattr(result, "frames", None) or {}
    if not frames:
        return None
    rows: list[np.ndarray] = []
    t0 = result.start_ns or 0
    for topic, unsorted in sorted(frames.items()):
        items = sorted(unsorted, key=lambda f: f.get("log_time", 0))
        label = np.full((22, THUMB_W * PER_ROW, 3), 255, np.uint8)
        _put(label, topic, (4, 16))
        rows.append(label)
        for start in range(0, len(items), PER_ROW):
            strip = np.full((THUMB_H, THUMB_W * PER_ROW, 3), 40, np.uint8)
            for j, frame in enumerate(items[start : start + PER_ROW]):
                tile = _tile(frame, t0)
                strip[:, j * THUMB_W : (j + 1) * THUMB_W] = tile
            rows.append(strip)
    ok, jpg = cv2.imencode(".jpg", np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return jpg.tobytes()


def _tile(frame: Any, t0: int) -> np.ndarray:
    """One thumbnail: the decoded picture, or a red tile saying why it failed."""
    image, error, log_time = frame.get("image"), frame.get("error"), frame.get("log_time", 0)
    tile = np.full((THUMB_H, THUMB_W, 3), 60, np.uint8)
    if image is not None:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        tile = cv2.resize(image, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)
    if error:
        cv2.rectangle(tile, (0, 0), (THUMB_W - 1, THUMB_H - 1), (0, 0, 220), 4)
        _put(tile, error[:28], (6, THUMB_H - 10), (0, 0, 255), 0.4)
    _put(tile, f"{(log_time - t0) / 1e9:.1f} s", (6, 16), (255, 255, 255), 0.4)
    return tile


def store_evidence(s3: Any, bucket: str, mcap_key: str, result: Any) -> list[str]:
    prefix = evidence_prefix(mcap_key)
    keys = []
    pictures = [
        ("timeline.png", timeline_png(result), "image/png"),
        ("contact_sheet.jpg", contact_sheet_jpg(result), "image/jpeg"),
    ]
    for name, body, content_type in pictures:
        if body is None:
            continue
        key = prefix + name
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        keys.append(key)
    return keys
