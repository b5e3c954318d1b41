"""Image messages in every supported layout (ROS 2 CDR, ROS 1, Foxglove protobuf and JSON)
are found and judged: good frames pass, broken ones are named."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from keystone_pipelines.validator import QaSpec, validate
from keystone_pipelines.validator.checks.codecs import ImageMsg, check_frame, extract

IMG = np.dstack([np.tile(np.arange(64, dtype=np.uint8), (48, 1))] * 3)
JPEG = cv2.imencode(".jpg", IMG)[1].tobytes()
PNG = cv2.imencode(".png", IMG)[1].tobytes()
RAW = IMG.tobytes()


def _pb_field(num: int, value: bytes | int) -> bytes:
    def varint(n: int) -> bytes:
        out = b""
        while True:
            out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                return out

    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    return varint(num << 3 | 2) + varint(len(value)) + value


def _ros1_string(s: bytes) -> bytes:
    return struct.pack("<I", len(s)) + s


def _cdr_foxglove_compressed(data: bytes, fmt: str) -> bytes:
    out = b"\x00\x01\x00\x00" + struct.pack("<iI", 1, 2)  # timestamp
    out += struct.pack("<I", 4) + b"cam\x00"  # frame_id
    out += struct.pack("<I", len(data)) + data
    out += bytes(-(len(out) - 4) % 4)
    return out + struct.pack("<I", len(fmt) + 1) + fmt.encode() + b"\x00"


CASES = {
    "foxglove-protobuf-compressed": (
        "foxglove.CompressedImage",
        "protobuf",
        _pb_field(4, b"cam") + _pb_field(2, JPEG) + _pb_field(3, b"jpeg"),
    ),
    "foxglove-protobuf-raw": (
        "foxglove.RawImage",
        "protobuf",
        _pb_field(2, 64)
        + _pb_field(3, 48)
        + _pb_field(4, b"bgr8")
        + _pb_field(5, 192)
        + _pb_field(6, RAW),
    ),
    "foxglove-json-compressed": (
        "foxglove.CompressedImage",
        "json",
        json.dumps({"data": base64.b64encode(PNG).decode(), "format": "png"}).encode(),
    ),
    "foxglove-json-raw": (
        "foxglove.RawImage",
        "json",
        json.dumps(
            {
                "width": 64,
                "height": 48,
                "encoding": "rgb8",
                "step": 192,
                "data": base64.b64encode(RAW).decode(),
            }
        ).encode(),
    ),
    "ros1-compressed": (
        "sensor_msgs/CompressedImage",
        "ros1",
        struct.pack("<III", 7, 1, 2)
        + _ros1_string(b"cam")
        + _ros1_string(b"jpeg")
        + _ros1_string(JPEG),
    ),
    "ros1-raw": (
        "sensor_msgs/Image",
        "ros1",
        struct.pack("<III", 7, 1, 2)
        + _ros1_string(b"cam")
        + struct.pack("<II", 48, 64)
        + _ros1_string(b"mono8")
        + b"\x00"
        + struct.pack("<I", 64)
        + _ros1_string(IMG[:, :, 0].tobytes()),
    ),
    "foxglove-msgs-cdr-compressed": (
        "foxglove_msgs/msg/CompressedImage",
        "cdr",
        _cdr_foxglove_compressed(JPEG, "jpeg"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_layouts(case: str) -> None:
    schema, encoding, data = CASES[case]
    img = extract(schema, encoding, data)
    assert check_frame(img) is None, case


def test_broken_frames_are_named() -> None:
    assert "truncated" in str(check_frame(ImageMsg("compressed", JPEG[: len(JPEG) // 2], "jpeg")))
    assert "does not decode" in str(check_frame(ImageMsg("compressed", b"\x00" * 64 + JPEG[64:])))
    assert "empty" in str(check_frame(ImageMsg("compressed", b"")))
    assert "height x step" in str(check_frame(ImageMsg("raw", RAW[:-5], "bgr8", 64, 48, 192)))
    assert "step" in str(check_frame(ImageMsg("raw", RAW, "bgr8", 64, 48, 100)))
    assert "unknown raw encoding" in str(check_frame(ImageMsg("raw", RAW, "weird", 64, 48, 192)))
    with pytest.raises(ValueError):
        extract("sensor_msgs/msg/CompressedImage", "cdr", b"\x00\x01\x00\x00\xff\xff\xff\xff")
    with pytest.raises(ValueError):
        extract("foxglove.CompressedImage", "protobuf", b"\x12\xff\xff\xff\xff\x0f")


def test_foxglove_protobuf_recording_is_sampled(tmp_path: Path) -> None:
    from mcap.writer import Writer

    path = tmp_path / "foxglove.mcap"
    with open(path, "wb") as f:
        w = Writer(f)
        w.start("", "test")
        sid = w.register_schema("foxglove.CompressedImage", "protobuf", b"(descriptor)")
        cid = w.register_channel("/cam", "protobuf", sid)
        for i in range(60):
            frame = JPEG if i % 20 else JPEG[:100]  # 3 of 60 broken
            w.add_message(cid, i * 33_000_000, _pb_field(2, frame) + _pb_field(3, b"jpeg"), 0)
        w.finish()
    r = validate(path, QaSpec(image_sample=60, required_topics=["/cam"]))
    image = r.check("image_integrity")
    assert image.data["sampled"] == 60 and image.data["failed"] == 3 and not image.passed
