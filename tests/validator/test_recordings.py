"""Recordings made with keystone_sim: a good one passes every check; each content defect
fails the check it should, with a score below 0.90; every compression works."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keystone_pipelines.validator import CHECK_NAMES, QaSpec, validate
from keystone_sim.recording import (
    GRIPPER_TOPIC,
    JOINT_TOPIC,
    RAW_TOPIC,
    Gap,
    RecordingFacts,
    write_sidecar,
)
from tests.validator.conftest import CAMERAS

Make = Callable[..., RecordingFacts]


def failed(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.name for c in result.checks if not c.passed}


def test_good_recording_passes_every_check(good: RecordingFacts, qa_spec: QaSpec, tmp_path) -> None:
    sidecar = write_sidecar(tmp_path / "task.json", good, task={"task_id": "task_0001"})
    r = validate(good.path, qa_spec, expected_sha256=good.sha256, sidecar=sidecar)
    assert [c.name for c in r.checks] == list(CHECK_NAMES)
    assert all(c.passed and c.score == 1.0 for c in r.checks), [c.to_dict() for c in r.checks]
    assert r.passed and r.score == 1.0
    assert r.tiers == ["summary", "message_indexes", "frame_sample", "integrity"]
    assert r.sha256 == good.sha256
    assert r.message_count == good.message_count
    assert r.start_ns == good.start_ns and r.end_ns == good.end_ns
    assert {t: s["count"] for t, s in r.topics.items()} == good.topic_counts
    assert r.validator_version and r.formula_version == "2"
    # every camera topic is sampled, all frames decode
    image = r.check("image_integrity")
    assert set(image.data["per_topic"]) == set(CAMERAS)
    assert image.data["failed"] == 0 and image.data["sampled"] >= 270
    # the axon.* metadata records, file_size_bytes patched after closing
    assert set(r.axon) == {
        "axon.sidecar",
        "axon.task",
        "axon.device",
        "axon.recording",
        "axon.topics",
    }
    assert int(r.axon["axon.recording"]["file_size_bytes"]) == good.size
    # Sorted by name, as the recorder lists them.
    assert json.loads(r.axon["axon.recording"]["topics_recorded"]) == sorted(good.topics)
    assert "no data-section CRC" in r.check("integrity").detail
    json.dumps(r.to_dict())


def test_tiers_one_and_two_read_little_and_agree_with_a_full_scan(
    good: RecordingFacts, qa_spec: QaSpec
) -> None:
    quick = validate(
        good.path, qa_spec.merge({"image_sample": 0, "joint_sample": 0}), integrity=False
    )
    assert quick.tiers == ["summary", "message_indexes"]
    assert quick.bytes_read < 0.05 * good.size
    assert quick.passed
    # message indexes give exactly what a linear scan of the same file gives
    from keystone_pipelines.validator.reader.stream import stream_pass
    from keystone_pipelines.validator.reader.summary import read_summary
    from keystone_pipelines.validator.reader.timeline import topic_stats
    from keystone_pipelines.validator.sources import LocalSource

    src = LocalSource(good.path)
    info = read_summary(src)
    scanned = stream_pass(src, info, hash_file=False, collect=True).messages
    src.close()
    scan_stats = {t: s.to_dict() for t, s in topic_stats(info, scanned).items()}
    assert scan_stats == quick.topics


@pytest.mark.parametrize("compression", ["zstd", "lz4", "none"])
def test_every_chunk_compression(make_recording: Make, qa_spec: QaSpec, compression: str) -> None:
    facts = make_recording(f"comp-{compression}", compression=compression)
    r = validate(facts.path, qa_spec, expected_sha256=facts.sha256)
    assert r.passed, [c.to_dict() for c in r.checks if not c.passed]
    assert r.check("structure").detail.startswith("valid MCAP")
    assert (compression if compression != "none" else "none") in r.check("structure").detail
    assert r.check("integrity").data["chunk_crcs_verified"] > 5


def test_unindexed_recording_is_assessed_by_linear_scan(
    make_recording: Make, qa_spec: QaSpec
) -> None:
    facts = make_recording("unindexed", indexed=False)
    r = validate(facts.path, qa_spec, expected_sha256=facts.sha256)
    assert r.tiers == ["summary", "linear_scan", "frame_sample", "integrity"]
    assert "no summary section: assessed by linear scan" in r.check("structure").detail
    assert r.check("structure").passed and r.passed and r.score >= 0.9
    assert r.message_count == facts.message_count
    assert {t: s["count"] for t, s in r.topics.items()} == facts.topic_counts
    assert r.check("image_integrity").data["sampled"] >= 270
    assert r.axon["axon.task"]["task_id"] == "task_0001"  # metadata found by the scan


def test_unchunked_recording_is_scanned_and_its_frames_sampled(
    make_recording: Make, qa_spec: QaSpec
) -> None:
    facts = make_recording("unchunked", chunked=False, duration_s=5.5)
    r = validate(facts.path, qa_spec, expected_sha256=facts.sha256)
    assert "no chunk index: assessed by linear scan" in r.check("structure").detail
    assert r.passed and r.message_count == facts.message_count
    image = r.check("image_integrity")
    assert image.data["sampled"] >= 270 and image.data["chunks_read"] == 0


def test_missing_topic(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("missing", missing_topics=(CAMERAS[2],))
    r = validate(facts.path, qa_spec)
    assert failed(r) == {"required_topics"}
    assert (
        CAMERAS[2] in r.check("required_topics").detail
        and "absent" in r.check("required_topics").detail
    )
    assert r.score < 0.9 and not r.passed


def test_too_short(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("short", duration_s=2.0)
    r = validate(facts.path, qa_spec)
    assert failed(r) == {"duration"}
    assert r.check("duration").detail.startswith("too short: 2.0")
    assert r.score < 0.9


@pytest.mark.parametrize(
    ("topic", "at_s", "length_s"),
    [(CAMERAS[1], 3.0, 0.6), (JOINT_TOPIC, 4.0, 0.3)],
    ids=["camera", "joints-500hz"],
)
def test_gap(
    make_recording: Make, qa_spec: QaSpec, topic: str, at_s: float, length_s: float
) -> None:
    facts = make_recording(f"gap-{topic.split('/')[1]}", gaps=(Gap(topic, at_s, length_s),))
    r = validate(facts.path, qa_spec)
    assert failed(r) == {"gaps"}
    worst = r.check("gaps").data["worst"][0]
    assert worst["topic"] == topic
    assert length_s <= worst["gap_s"] < length_s + 0.05
    assert abs(worst["at_s"] - at_s) < 0.05
    assert r.score < 0.9


def test_gap_limit_per_topic_and_exemption(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("gap-camera_right", gaps=(Gap(CAMERAS[1], 3.0, 0.6),))
    lenient = qa_spec.merge({"max_gap_s_by_topic": {CAMERAS[1]: 1.0}})
    assert validate(facts.path, lenient, integrity=False).check("gaps").passed
    exempt = qa_spec.merge({"max_gap_s_by_topic": {CAMERAS[1]: None}})
    assert validate(facts.path, exempt, integrity=False).passed


def test_corrupt_jpeg_frames(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("corrupt", corrupt_jpeg_fraction=0.1)
    r = validate(facts.path, qa_spec)
    assert failed(r) == {"image_integrity"}
    img = r.check("image_integrity")
    assert 0.05 < img.data["failed"] / img.data["sampled"] < 0.15
    reasons = {f["reason"] for f in img.data["failures"]}
    assert any("does not decode" in x or "truncated" in x for x in reasons)
    assert r.score < 0.9


def test_corrupt_frames_within_tolerance_pass(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("corrupt", corrupt_jpeg_fraction=0.1)
    r = validate(facts.path, qa_spec.merge({"image_failure_tolerance": 0.2}), integrity=False)
    assert r.check("image_integrity").passed and 0.9 <= r.check("image_integrity").score < 1


def test_raw_images_of_the_wrong_size(make_recording: Make, qa_spec: QaSpec) -> None:
    good_raw = make_recording("raw-ok", raw_camera=True)
    assert validate(good_raw.path, qa_spec, integrity=False).passed
    facts = make_recording("raw-bad", raw_camera=True, raw_wrong_size_fraction=0.5)
    r = validate(facts.path, qa_spec, integrity=False)
    assert failed(r) == {"image_integrity"}
    img = r.check("image_integrity")
    assert RAW_TOPIC in img.data["per_topic"]
    assert any("height x step" in f["reason"] for f in img.data["failures"])


def test_sidecar_and_checksum_disagreements(
    good: RecordingFacts, qa_spec: QaSpec, tmp_path
) -> None:
    sidecar = write_sidecar(tmp_path / "t.json", good)
    sidecar["recording"]["message_count"] += 1
    sidecar["recording"]["topics_recorded"].append("/extra")
    r = validate(good.path, qa_spec, sidecar=sidecar)
    detail = r.check("integrity").detail
    assert "sidecar says" in detail and "/extra" in detail and not r.passed
    wrong = validate(good.path, qa_spec, expected_sha256="0" * 64)
    assert "SHA-256 mismatch" in wrong.check("integrity").detail and wrong.score < 0.9


def test_stored_checksum_replaces_the_integrity_read(good: RecordingFacts, qa_spec: QaSpec) -> None:
    import base64

    stored = base64.b64encode(bytes.fromhex(good.sha256)).decode()  # as S3 returns it
    ok = validate(
        good.path, qa_spec, expected_sha256=good.sha256, stored_sha256=stored, integrity="auto"
    )
    assert "integrity" not in ok.tiers and ok.passed
    assert "stored checksum matches" in ok.check("integrity").detail
    bad = validate(
        good.path, qa_spec, expected_sha256="1" * 64, stored_sha256=stored, integrity="auto"
    )
    assert not bad.check("integrity").passed and "integrity" not in bad.tiers
    # an expected checksum with nothing stored: "auto" reads the file once
    read = validate(good.path, qa_spec, expected_sha256=good.sha256, integrity="auto")
    assert "integrity" in read.tiers and read.passed


def test_writer_output_decodes_with_the_ros2_decoder(good: RecordingFacts) -> None:
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    with open(good.path, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        header = reader.get_header()
        assert header.profile == "ros2"
        seen = {}
        for schema, channel, _, msg in reader.iter_decoded_messages():
            assert schema.encoding == "ros2msg" and channel.message_encoding == "cdr"
            seen.setdefault(channel.topic, msg)
    assert set(seen) == set(good.topics)
    assert seen[JOINT_TOPIC].name[0] == "joint_1" and len(seen[JOINT_TOPIC].position) == 7
    assert seen[CAMERAS[0]].format == "jpeg" and bytes(seen[CAMERAS[0]].data[:2]) == b"\xff\xd8"
    assert seen[GRIPPER_TOPIC].name == ["gripper"]


def test_task_and_device_reach_metadata_and_sidecar(make_recording: Make, tmp_path) -> None:
    task = {"task_id": "t-42", "scene": "kitchen", "factory": "f1", "skills": ["pick", "place"]}
    facts = make_recording("task", task=task, duration_s=1.0)
    r = validate(facts.path, integrity=False)
    assert r.axon["axon.task"] == {**task, "skills": '["pick","place"]'}
    assert r.axon["axon.device"]["device_id"] == "sim-robot-0001"
    doc = write_sidecar(tmp_path / "t-42.json", facts)
    assert doc["task"] == task and doc["device"]["ros_distro"] == "humble"


def test_sidecar_format(good: RecordingFacts, tmp_path) -> None:
    doc = write_sidecar(
        tmp_path / "task_0001.json", good, task={"task_id": "task_0001", "scene": "kitchen"}
    )
    on_disk = json.loads((tmp_path / "task_0001.json").read_text())
    assert on_disk == doc
    assert set(doc) == {
        "version",
        "mcap_file",
        "task",
        "device",
        "recording",
        "topics_summary",
        "writer_health",
    }
    assert {"task_id", "scene", "factory"} <= set(doc["task"])
    rec = doc["recording"]
    assert rec["file_size_bytes"] == good.size and rec["checksum_sha256"] == good.sha256
    assert rec["message_count"] == good.message_count
    assert rec["recording_started_at"].endswith("Z") and len(rec["recording_started_at"]) == 24
    assert {t["topic"] for t in doc["topics_summary"]} == set(good.topics)


def test_data_section_crc_is_verified_when_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mcap.writer import Writer

    path = tmp_path / "crc.mcap"
    with open(path, "wb") as f:
        w = Writer(f, enable_data_crcs=True)
        w.start("ros2", "test")
        cid = w.register_channel(
            "/x", "cdr", w.register_schema("std_msgs/msg/Empty", "ros2msg", b"")
        )
        for i in range(100):
            w.add_message(cid, i * 10_000_000, b"\x00\x01\x00\x00", i * 10_000_000)
        w.add_metadata("note", {"key": "value"})
        w.finish()
    r = validate(path)
    assert r.passed and "data-section CRC matches" in r.check("integrity").detail
    data = path.read_bytes()
    at = data.index(b"value")
    path.write_bytes(data[:at] + b"vALUE" + data[at + 5 :])  # outside any chunk
    r = validate(path)
    assert (
        not r.check("integrity").passed
        and "data section CRC mismatch" in r.check("integrity").detail
    )
    assert validate(path, integrity=False).check("integrity").passed  # only tier 4 sees it


def test_a_store_failing_mid_read_is_not_a_verdict(good_bytes: bytes) -> None:
    """An I/O or network failure raises SourceError (retry later), never a failed check."""
    from keystone_pipelines.validator import BytesSource, SourceError

    class Flaky(BytesSource):
        def __init__(self, data: bytes, fail_after: int) -> None:
            super().__init__(data)
            self.fail_after = fail_after

        def read(self, offset: int, length: int) -> bytes:
            if self.bytes_read >= self.fail_after:
                raise SourceError("connection reset")
            return super().read(offset, length)

    for fail_after in (0, 70_000, len(good_bytes) // 2):
        with pytest.raises(SourceError):
            validate(Flaky(good_bytes, fail_after))
