"""Thumbnails for the inspector's contact sheet: kept only when asked, spread over the
recording and over every camera, failed frames kept with their reason."""

from __future__ import annotations

from pathlib import Path

from keystone_pipelines.qa.evidence import contact_sheet_jpg, timeline_png
from keystone_pipelines.validator import QaSpec, validate
from keystone_sim.recording import RecordingSpec, write_recording


def test_thumbnails_are_spread_and_failures_kept(tmp_path: Path) -> None:
    spec = RecordingSpec(duration_s=4, width=320, height=240, corrupt_jpeg_fraction=0.5)
    facts = write_recording(tmp_path / "r.mcap", spec)
    plain = validate(str(facts.path), QaSpec(image_sample=60))
    assert plain.frames == {}
    result = validate(str(facts.path), QaSpec(image_sample=60), thumbnails=4)
    cameras = {t for t, ty in facts.topics.items() if ty.endswith("CompressedImage")}
    assert set(result.frames) == cameras
    for frames in result.frames.values():
        # the 4 spread ones, and failed frames of the sample beyond them (up to 4 more)
        spread = [f for f in frames if f["error"] is None]
        assert 4 <= len(frames) <= 8 and len(spread) <= 4
        times = sorted(f["log_time"] for f in frames)
        assert times[-1] - times[0] > 2e9  # spread over the 4 s, not one moment
        for f in frames:
            assert (f["image"] is None) == (f["error"] is not None)
            if f["image"] is not None:
                assert f["image"].shape[1] == 192 and f["image"].shape[2] == 3
    assert any(f["error"] for frames in result.frames.values() for f in frames)
    sheet = contact_sheet_jpg(result)
    assert sheet is not None and sheet[:2] == b"\xff\xd8"
    assert timeline_png(result)[:4] == b"\x89PNG"
