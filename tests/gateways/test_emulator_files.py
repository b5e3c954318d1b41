"""The Axon emulator writes files and sends messages of the shape the real recorder and
daemon do (axon-protocol.md section 7; the real files in tests/data/axon-real): each
property measured the same way on the real recorder's files and on the emulator's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keystone_api.episodes.embedded_sidecar import from_metadata
from keystone_pipelines.validator import QaSpec, validate
from keystone_sim.axon.content import write_task_recording
from keystone_sim.axon.s3 import S3Target
from keystone_sim.axon.transfer import TransferDaemon, Upload
from keystone_sim.recording import RecordingSpec
from tests.support.axon_files import CDR, MOCK, TOPICS, layout, real_sidecar, shape

TASK = {
    "task_id": "01a2454e-0000-7000-8000-000000000001",
    "device_id": "AB-F0001-T0001-000001",
    "scene": "Kitchen",
    "subscene": "Counter",
    "factory": "Demo Factory",
    "order_id": "01a2454e-0000-7000-8000-0000000000aa",
    "skills": ["fold towel", "wipe counter"],
    "data_collector_id": "01a2454e-0000-7000-8000-0000000000bb",
    "operator_name": "axreal collector",
    "start_callback_url": "http://edge/api/v1/callbacks/start",
}
START_NS = 1_796_459_555_000_000_000
# Big enough for several 4 MiB chunks, as the real CDR recording has (3 cameras, 4 s).
SEVERAL_CHUNKS = RecordingSpec(duration_s=4.0)


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording as an emulated robot whose recorder.yaml sets the search paths makes it."""
    out = tmp_path_factory.mktemp("robot")
    files = write_task_recording(
        out, TASK, 4.0, START_NS, SEVERAL_CHUNKS, schema_search_paths=["/opt/ros/humble/share"]
    )
    return files.mcap


def test_the_sidecar_has_the_real_recorders_shape_and_format(emulated: Path) -> None:
    raw = emulated.with_suffix(".json").read_text()
    doc = json.loads(raw)
    assert shape(doc) == shape(real_sidecar(CDR))  # every key, every type, nothing more
    assert "writer_health" not in doc and doc["device"]["ros_distro"] == ""
    assert {t["frequency_hz"] for t in doc["topics_summary"]} == {0.0}
    assert doc["recording"]["recorder_version"] == "0.4.0"
    assert doc["recording"]["topics_recorded"] == sorted(TOPICS)
    assert doc["recording"]["file_size_bytes"] == emulated.stat().st_size  # a plain number
    # Written as the recorder's JSON library writes it: keys sorted, indented by two.
    assert raw == json.dumps(doc, indent=2, sort_keys=True)
    real = CDR.with_suffix(".json").read_text()
    assert real == json.dumps(json.loads(real), indent=2, sort_keys=True)
    # The marker beside the pair.
    done = emulated.with_name(emulated.name + ".done")
    assert done.read_bytes() == MOCK.with_name(MOCK.name + ".done").read_bytes() == b"done\n"


def test_the_metadata_records_have_the_real_recorders_shape(emulated: Path) -> None:
    mine, real = layout(emulated).metadata, layout(CDR).metadata
    assert {k: sorted(v) for k, v in mine.items()} == {k: sorted(v) for k, v in real.items()}
    for metadata, size in ((mine, emulated.stat().st_size), (real, CDR.stat().st_size)):
        padded = metadata["axon.recording"]["file_size_bytes"]
        assert len(padded) == 20 and padded.startswith("0") and int(padded) == size
        assert metadata["axon.device"]["ros_distro"] == ""
    # They hold the sidecar's facts: an MCAP-only upload rebuilds the sidecar from them.
    sidecar = json.loads(emulated.with_suffix(".json").read_text())
    del sidecar["recording"]["checksum_sha256"]
    assert from_metadata(mine) == sidecar


def test_messages_are_written_in_batches_as_the_real_recorder_does(emulated: Path) -> None:
    mine, real = layout(emulated), layout(CDR)
    for found in (mine, real):
        assert found.chunks > 1 and found.overlapping_chunks >= 1  # chunk ranges overlap
        assert found.out_of_order > found.messages / 2  # most messages out of log-time order
        assert found.topic_backwards == 0  # but each topic in order
    # Order is the reader's job: the validator sorts, and the recording passes.
    result = validate(emulated, QaSpec(required_topics=TOPICS, max_gap_s=0.5))
    assert result.passed and result.score == 1.0 and not result.findings


def test_schemas_are_empty_without_search_paths(tmp_path: Path) -> None:
    files = write_task_recording(tmp_path, TASK, 1.0, START_NS)
    assert layout(files.mcap).empty_schemas == layout(CDR).empty_schemas
    assert layout(CDR).empty_schemas == (
        "sensor_msgs/msg/CompressedImage",
        "sensor_msgs/msg/JointState",
    )
    result = validate(files.mcap, QaSpec())
    assert [f["code"] for f in result.findings] == ["EMPTY_SCHEMA"]


class _Socket:
    """Stands for the daemon's WebSocket: keeps what it is sent."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, text: str) -> None:
        self.frames.append(json.loads(text))


@pytest.mark.anyio
async def test_transfer_messages_carry_their_fields_only_inside_data(tmp_path: Path) -> None:
    target = S3Target("http://127.0.0.1:1", "bucket", "key", "secret")
    daemon = TransferDaemon("AB-F0001-T0001-000001", "1", "ws://edge/transfer", tmp_path, target)
    socket = _Socket()
    daemon._conn = socket  # type: ignore[assignment]
    await daemon._report("connected")
    await daemon._requested("no-such-task")
    upload = Upload("t-1", "waiting_ack", "1/AB-F0001-T0001-000001/2026-12-05/t-1.mcap", 11697)
    upload.checksum_sha256 = "13db05bebb94d77ccf8b29184e37542d6e9886d724690f16f8c268290144c099"
    await daemon._complete(upload)
    assert [f["type"] for f in socket.frames] == [
        "connected",
        "upload_not_found",
        "upload_complete",
    ]
    for frame in socket.frames:
        assert set(frame) == {"type", "timestamp", "data"}
        assert frame["timestamp"].endswith("Z") and len(frame["timestamp"]) == 24
    complete = socket.frames[-1]["data"]
    assert complete == {
        "task_id": "t-1",
        "bytes_uploaded": 0,  # the real daemon's values
        "duration_ms": 0,
        "status": "uploaded_wait_ack",
        "s3_key": upload.s3_key,
        "object_key": upload.s3_key,
        "file_size_bytes": 11697,
        "checksum_sha256": upload.checksum_sha256,
        "upload_mode": "mcap_json",
    }
