"""A decision names time ranges and topics of the recording ("12.0-14.5 s, /camera_left:
occluded"): checked against the recording, stored with the decision, returned by the
episode API."""

from __future__ import annotations

from tests.api.world import ok
from tests.inspection.helpers import episode, flagged, inspect

OCCLUDED = {"start_s": 12.0, "end_s": 14.5, "topic": "/camera_left", "note": "occluded"}


def test_a_rejection_names_time_ranges_and_the_episode_returns_them(world, s3) -> None:
    w = world
    w.order(target=2)
    inspector = w.user("inspector")
    episode_id = flagged(w, s3)
    duration = episode(w, episode_id)["duration_s"]
    assert duration == 30.0  # the finish callback's duration_sec
    whole = {"start_s": 0, "end_s": duration, "note": "arm shakes throughout"}
    ok(
        inspect(
            w,
            inspector,
            episode_id,
            "reject",
            reason="camera occluded",
            annotations=[OCCLUDED, whole],
        )
    )
    detail = episode(w, episode_id)
    assert detail["status"] == "rejected"
    (decision,) = detail["decisions"]
    got = [{k: a[k] for k in ("start_s", "end_s", "topic", "note")} for a in detail["annotations"]]
    assert got == [{**whole, "start_s": 0.0, "topic": None}, OCCLUDED]  # by start time
    assert all(a["decision_id"] for a in detail["annotations"])
    again = inspect(w, inspector, episode_id, "approve")  # decided once
    assert again.status_code == 409 and episode(w, episode_id)["status"] == "rejected"


def test_bad_annotations_are_refused_with_the_reason_and_nothing_is_decided(world, s3) -> None:
    w = world
    w.order(target=2)
    inspector = w.user("inspector")
    episode_id = flagged(w, s3)
    cases = [
        ({**OCCLUDED, "start_s": 14.5, "end_s": 12.0}, "must be before end_s"),
        ({**OCCLUDED, "start_s": 3.0, "end_s": 3.0}, "must be before end_s"),
        ({**OCCLUDED, "end_s": 31.0}, "past the recording's end (30.000 s)"),
        ({**OCCLUDED, "topic": "camera_left"}, "starting with '/'"),
        ({**OCCLUDED, "start_s": -1}, "start_s"),
        ({**OCCLUDED, "note": ""}, "note"),
        ({"start_s": 1, "end_s": 2}, "note"),
        ({**OCCLUDED, "colour": "red"}, "colour"),
    ]
    for annotation, why in cases:
        got = inspect(w, inspector, episode_id, "reject", reason="x", annotations=[annotation])
        assert got.status_code == 422, (annotation, got.text)
        assert why in got.text, (why, got.text)
    second = {**OCCLUDED, "end_s": 99}
    got = inspect(w, inspector, episode_id, "reject", reason="x", annotations=[OCCLUDED, second])
    assert got.status_code == 422 and "annotations[1]" in got.text
    detail = episode(w, episode_id)
    assert detail["status"] == "needs_inspection"
    assert detail["decisions"] == [] and detail["annotations"] == []
