"""Evidence that shows the defect (issue 17, deliverable 7), checked by its pixels: a frame
that does not decode is a red tile in its cell of the contact sheet, a truncated upload's
lost frames are red tiles after the last readable one, and the timeline paints the lost
tail, rate drops and missing topics where they are. Clean recordings show no red."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from keystone_pipelines.qa.assess import THUMBNAILS
from keystone_pipelines.qa.evidence import (
    LEFT,
    ROW,
    THUMB_H,
    THUMB_W,
    WIDTH,
    contact_sheet_jpg,
    sheet_layout,
    timeline_png,
)
from keystone_pipelines.validator import QaSpec, validate
from keystone_pipelines.validator.sources import BytesSource
from keystone_sim import byte_damage
from keystone_sim.recording import (
    CAMERA_TOPIC,
    RateDrop,
    RecordingFacts,
    RecordingSpec,
    sidecar_dict,
    write_recording,
)

LEFT_CAM = CAMERA_TOPIC.format("left")
SMALL = {"width": 320, "height": 240, "duration_s": 6.0, "chunk_size": 256 * 1024}


@pytest.fixture(scope="module")
def make(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., RecordingFacts]:
    root = tmp_path_factory.mktemp("evidence")

    def make(name: str, **defects: Any) -> RecordingFacts:
        return write_recording(root / f"{name}.mcap", RecordingSpec(**{**SMALL, **defects}))

    return make


def _decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def _red_share(region: np.ndarray) -> float:
    """Share of the region's pixels that are the evidence's red (BGR 0, 0, 220)."""
    b, g, r = (region[..., i].astype(int) for i in range(3))
    return float(((r > 170) & (g < 60) & (b < 60)).mean())


def _cells(result: Any, sheet: np.ndarray) -> list[tuple[dict[str, Any], float, str]]:
    cells, _, height = sheet_layout(result)
    assert sheet.shape[0] == height
    return [
        (c.frame, _red_share(sheet[c.y : c.y + THUMB_H, c.x : c.x + THUMB_W]), c.topic)
        for c in cells
    ]


def test_undecodable_frames_are_red_in_their_cells(make: Callable[..., RecordingFacts]) -> None:
    facts = make("corrupt", corrupt_jpeg_fraction=0.1)
    result = validate(facts.path, QaSpec(), integrity=False, thumbnails=THUMBNAILS)
    assert not result.check("image_integrity").passed
    cells = _cells(result, _decode(contact_sheet_jpg(result) or b""))
    bad = [(f, red) for f, red, _ in cells if f["error"]]
    good = [(f, red) for f, red, _ in cells if not f["error"]]
    assert bad and good  # the failures are on the sheet beside the good frames
    assert all(red > 0.5 for _, red in bad), [red for _, red in bad]
    assert all(red < 0.05 for _, red in good), [red for _, red in good]
    # Each in its place: a camera's cells run in time order, the red ones among them.
    for topic in {t for _, _, t in cells}:
        times = [f["log_time"] for f, _, t in cells if t == topic]
        assert times == sorted(times)


def test_a_truncated_uploads_lost_frames_are_red_after_the_last_good_one(
    make: Callable[..., RecordingFacts],
) -> None:
    facts = make("to-truncate")
    data = byte_damage.truncate(facts.path.read_bytes(), int(facts.size * 0.6))
    result = validate(
        BytesSource(data, "cut.mcap"), QaSpec(), sidecar=sidecar_dict(facts), thumbnails=6
    )
    # What was readable decodes: the picture must still show that frames were lost.
    assert result.check("image_integrity").passed and not result.check("structure").passed
    cells = _cells(result, _decode(contact_sheet_jpg(result) or b""))
    for topic in {t for _, _, t in cells}:
        row = [(f, red) for f, red, t in cells if t == topic]
        lost = [i for i, (f, _) in enumerate(row) if f["error"]]
        assert lost and lost == list(range(lost[0], len(row))), topic  # the tail, in order
        assert all(row[i][1] > 0.5 for i in lost)
        assert all(red < 0.05 for f, red in row if not f["error"])
        last_good = max(f["log_time"] for f, _ in row if not f["error"])
        assert all(row[i][0]["log_time"] > last_good for i in lost)

    timeline = _decode(timeline_png(result))
    tail = result.check("structure").data["lost_tail"]
    t0 = min(s["first_ns"] for s in result.topics.values())
    scale = (WIDTH - LEFT - 20) / (tail["expected_end_ns"] - t0)
    cut = int(LEFT + (tail["last_ns"] - t0) * scale)
    y = ROW * 1 + 8 + 11  # the first topic's bar
    assert _red_share(timeline[y - 3 : y + 3, cut + 10 : WIDTH - 30]) > 0.9  # the lost tail
    assert _red_share(timeline[y - 3 : y + 3, LEFT + 5 : cut - 5]) < 0.05  # what was read


def test_the_timeline_marks_a_rate_drop_and_a_missing_topic(
    make: Callable[..., RecordingFacts],
) -> None:
    facts = make(
        "dropped",
        rate_drops=(RateDrop(LEFT_CAM, 3.0, 10.0),),
        missing_topics=(CAMERA_TOPIC.format("head"),),
    )
    spec = QaSpec(
        required_topics=[LEFT_CAM, CAMERA_TOPIC.format("head")],
        expected_rate_hz={LEFT_CAM: 30.0},
    )
    result = validate(facts.path, spec, integrity=False)
    img = _decode(timeline_png(result))
    names = sorted(result.topics)
    t0 = min(s["first_ns"] for s in result.topics.values())
    t1 = max(s["last_ns"] for s in result.topics.values())
    scale = (WIDTH - LEFT - 20) / (t1 - t0)
    y = ROW * (names.index(LEFT_CAM) + 1) + 8 + 11
    drop = result.check("rates").data["drops"][0]
    x0 = int(LEFT + drop["at_s"] * 1e9 * scale)
    b, g, r = (img[y - 2 : y + 2, x0 + 2 : x0 + 30, i].astype(int) for i in range(3))
    orange = (r > 200) & (g > 100) & (g < 180) & (b < 60)
    assert orange.mean() > 0.5  # the drop, where it starts
    before = img[y - 2 : y + 2, LEFT + 5 : x0 - 5]
    assert not ((before[..., 2] > 200) & (before[..., 0] < 60)).any()  # green before it
    missing_row = img[ROW * (len(names) + 1) + 8 : ROW * (len(names) + 2) + 8, LEFT : LEFT + 80]
    assert _red_share(missing_row) > 0.02  # "MISSING" in red on the head camera's row


def test_a_clean_recording_shows_no_red(
    make: Callable[..., RecordingFacts], tmp_path: Path
) -> None:
    facts = make("clean")
    result = validate(facts.path, QaSpec(), integrity=False, thumbnails=THUMBNAILS)
    sheet = _decode(contact_sheet_jpg(result) or b"")
    assert all(red < 0.05 for _, red, _ in _cells(result, sheet))
    assert _red_share(_decode(timeline_png(result))) == 0.0


def test_without_a_sidecar_the_cut_is_still_marked(make: Callable[..., RecordingFacts]) -> None:
    facts = make("to-truncate-alone")
    data = byte_damage.truncate(facts.path.read_bytes(), int(facts.size * 0.6))
    result = validate(BytesSource(data, "cut.mcap"), QaSpec(), thumbnails=6)
    tail = result.check("structure").data["lost_tail"]
    assert tail["expected_end_ns"] is None  # how much was lost is unknown
    cells = _cells(result, _decode(contact_sheet_jpg(result) or b""))
    for topic in {t for _, _, t in cells}:
        row = [(f, red) for f, red, t in cells if t == topic]
        assert row[-1][0]["error"] and row[-1][1] > 0.5  # one red tile after the last frame
        assert all(not f["error"] for f, _ in row[:-1])
    timeline = _decode(timeline_png(result))
    t0 = min(s["first_ns"] for s in result.topics.values())
    t1 = max(s["last_ns"] for s in result.topics.values())
    cut = int(LEFT + (tail["last_ns"] - t0) * (WIDTH - LEFT - 20) / (t1 - t0))
    assert _red_share(timeline[ROW + 10 : ROW * 3, cut : cut + 3]) > 0.9  # a line at the cut
