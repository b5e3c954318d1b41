"""Evidence pictures for an inspector, stored next to a flagged recording. Each shows the
defect where it is, not only that there is one:

- timeline.png: every topic's span as a bar; gaps over the spec's limit in red, rate drops
  (the rates check's windows) in orange with their rate, topics that should be there and
  are not as MISSING rows, and a truncated recording's lost tail (to where the sidecar says
  it ended) as a red band over every row;
- contact_sheet.jpg: sampled frames of each camera in time order; a frame that does not
  decode is a red tile in its place, and a truncated recording's lost frames are red tiles
  after the last readable one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from keystone_api.storage.layout import evidence_prefix

WIDTH, ROW, LEFT = 1200, 28, 330
THUMB_W, THUMB_H, PER_ROW, LABEL_H = 192, 144, 6, 22
RED, ORANGE, GREEN = (0, 0, 220), (0, 140, 255), (120, 170, 60)  # BGR
LOST = "truncated: not in the file"


def _put(img: np.ndarray, text: str, xy: tuple[int, int], color=(30, 30, 30), scale=0.45) -> None:  # type: ignore[no-untyped-def]
    cv2.putText(img, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _check_data(result: Any, name: str) -> dict[str, Any]:
    return next((c.data for c in result.checks if c.name == name), {})


def _tail(result: Any) -> dict[str, Any] | None:
    tail = _check_data(result, "structure").get("lost_tail")
    return tail if isinstance(tail, dict) else None


def timeline_png(result: Any) -> bytes:
    topics = dict(sorted(result.topics.items()))
    gaps: list[dict[str, Any]] = _check_data(result, "gaps").get("worst", [])
    drops: list[dict[str, Any]] = _check_data(result, "rates").get("drops", [])
    tail = _tail(result)
    missing = list(_check_data(result, "required_topics").get("missing", []))
    missing += (tail or {}).get("absent_topics", [])
    names = list(topics) + sorted({t for t in missing if t not in topics})
    firsts = [s["first_ns"] for s in topics.values() if s.get("first_ns") is not None]
    lasts = [s["last_ns"] for s in topics.values() if s.get("last_ns") is not None]
    t0, t1 = (min(firsts), max(lasts)) if firsts else (0, 1)
    end = (tail or {}).get("expected_end_ns") or t1
    span = max(end - t0, 1)
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
            _put(img, "MISSING", (LEFT, y + 14), RED)
            continue
        cv2.rectangle(img, (x(stats["first_ns"]), y + 4), (x(stats["last_ns"]), y + 18), GREEN, -1)
        for drop in (d for d in drops if d.get("topic") == topic):
            start = t0 + drop["at_s"] * 1e9
            right = max(x(start + drop["length_s"] * 1e9), x(start) + 2)
            cv2.rectangle(img, (x(start), y + 4), (right, y + 18), ORANGE, -1)
            _put(img, f"{drop['rate_hz']:g} Hz", (x(start) + 3, y + 15), (255, 255, 255), 0.4)
        over = (
            g
            for g in gaps
            if g.get("topic") == topic
            and g.get("limit_s") is not None
            and g["gap_s"] > g["limit_s"]
        )
        for gap in over:  # only gaps over the spec's limit are marked
            start = t0 + gap["at_s"] * 1e9
            right = max(x(start + gap["gap_s"] * 1e9), x(start) + 2)
            cv2.rectangle(img, (x(start), y), (right, y + 22), RED, -1)
    if tail is not None:
        _mark_tail(img, tail, x, len(names))
    ok, png = cv2.imencode(".png", img)
    assert ok
    return png.tobytes()


def _mark_tail(img: np.ndarray, tail: dict[str, Any], x: Any, rows: int) -> None:
    """The lost tail: a red band from the last readable message to the expected end (a red
    line at the cut when the sidecar does not say how long the recording was)."""
    top, bottom = ROW + 4, ROW * (rows + 1) + 4
    cut = x(tail["last_ns"])
    end = tail.get("expected_end_ns")
    if end:
        cv2.rectangle(img, (cut, top), (x(end), bottom), RED, -1)
        lost = (end - tail["last_ns"]) / 1e9
        _put(img, f"truncated: {lost:.1f} s lost", (cut + 4, bottom + 16), RED)
    else:
        cv2.rectangle(img, (cut, top), (cut + 3, bottom), RED, -1)
        _put(img, "truncated here", (cut + 6, bottom + 16), RED)


@dataclass(frozen=True)
class Cell:
    topic: str
    frame: dict[str, Any]
    x: int
    y: int


def sheet_layout(result: Any) -> tuple[list[Cell], list[tuple[str, int]], int]:
    """Where every tile of the contact sheet goes: (cells, topic label rows (topic, y),
    height). Frames in time order per camera, lost ones after the readable ones."""
    frames: dict[str, list[dict[str, Any]]] = dict(getattr(result, "frames", None) or {})
    tail = _tail(result)
    if tail is not None:
        for topic in frames or _image_topics(result):
            frames[topic] = [*frames.get(topic, []), *_lost_frames(frames.get(topic, []), tail)]
    cells: list[Cell] = []
    labels: list[tuple[str, int]] = []
    y = 0
    for topic, unsorted in sorted(frames.items()):
        items = sorted(unsorted, key=lambda f: f.get("log_time", 0))
        labels.append((topic, y))
        y += LABEL_H
        for start in range(0, len(items), PER_ROW):
            for j, frame in enumerate(items[start : start + PER_ROW]):
                cells.append(Cell(topic, frame, j * THUMB_W, y))
            y += THUMB_H
    return cells, labels, y


def _image_topics(result: Any) -> list[str]:
    return [t for t, s in result.topics.items() if "Image" in str(s.get("message_type", ""))]


def _lost_frames(kept: list[dict[str, Any]], tail: dict[str, Any]) -> list[dict[str, Any]]:
    """Red tiles for what the cut took, spread over the lost span at the sample's spacing."""
    last, end = tail["last_ns"], tail.get("expected_end_ns")
    if not end:
        return [{"log_time": last + 1, "image": None, "error": LOST}]
    times = sorted(f.get("log_time", 0) for f in kept)
    readable = max(last - (times[0] if times else last), 1)
    k = max(1, min(PER_ROW, round(max(len(kept), PER_ROW) * (end - last) / readable)))
    step = (end - last) / k
    return [
        {"log_time": int(last + (j + 0.5) * step), "image": None, "error": LOST} for j in range(k)
    ]


def contact_sheet_jpg(result: Any) -> bytes | None:
    cells, labels, height = sheet_layout(result)
    if not cells:
        return None
    sheet = np.full((height, THUMB_W * PER_ROW, 3), 40, np.uint8)
    for topic, y in labels:
        sheet[y : y + LABEL_H] = 255
        _put(sheet, topic, (4, y + 16))
    t0 = result.start_ns or 0
    for cell in cells:
        sheet[cell.y : cell.y + THUMB_H, cell.x : cell.x + THUMB_W] = _tile(cell.frame, t0)
    ok, jpg = cv2.imencode(".jpg", sheet, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return jpg.tobytes()


def _tile(frame: Any, t0: int) -> np.ndarray:
    """One thumbnail: the decoded picture, or a red tile saying why there is none."""
    image, error, log_time = frame.get("image"), frame.get("error"), frame.get("log_time", 0)
    tile = np.full((THUMB_H, THUMB_W, 3), 60, np.uint8)
    if image is not None:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        tile = cv2.resize(image, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)
    if error:
        if image is None:
            tile[:] = RED  # nothing to show: the whole tile is red, readable at any size
        else:
            cv2.rectangle(tile, (0, 0), (THUMB_W - 1, THUMB_H - 1), RED, 6)
        _put(tile, error[:28], (8, THUMB_H - 12), (255, 255, 255), 0.4)
    _put(tile, f"{(log_time - t0) / 1e9:.1f} s", (8, 18), (255, 255, 255), 0.4)
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
