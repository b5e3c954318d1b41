"""Synthetic Axon-like recordings: MCAP files (profile ros2, ros2msg schemas, CDR messages)
plus the sidecar JSON of `spec/axon-protocol.md` sections 5 and 6.

    facts = write_recording(tmp / "task_0001.mcap", RecordingSpec(duration_s=12))
    write_sidecar(tmp / "task_0001.json", facts)  # -> the sidecar dict, also written

`RecordingSpec` says what to record (topics and rates, resolution, compression, chunk
size, index or not, task and device); `write_recording` returns `RecordingFacts` (path,
size, sha256, message and per-topic counts, start/end times, the axon.* metadata).

Fast by construction (~300 MB/s): JPEG frames are encoded once per process into a small
pool and made distinct per frame with a JPEG comment, CDR bytes come from templates, and
the official `mcap` writer does the framing, chunking and indexing. Like Axon's recorder,
it writes no data-section CRC and patches `file_size_bytes` in axon.recording after close.

Like the real recorder's files when asked (`write_batch_s`): messages written per topic in
batches, so chunks overlap in time and most messages are out of log-time order;
`schema_text=False` writes every schema with empty data, as Axon's recorder does without
`recording.schema_search_paths` (axon-protocol.md section 7).

Content defects for QA tests are spec options: `missing_topics`, `gaps`, `rate_drops`,
`clock_jumps`, `corrupt_jpeg_fraction`, `raw_camera` + `raw_wrong_size_fraction`,
`joint_nan_fraction`, `frozen_joints`, `joint_amplitude`, a short `duration_s`,
`schema_text=False`, `indexed=False` (no summary, no index), `chunked=False`; byte-level
damage (truncation, flipped bytes, lying lengths) is in `keystone_sim.byte_damage`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

RECORDER_VERSION = "0.2.0"
# 2025-12-20T10:30:00Z, the protocol page's example day.
DEFAULT_START_NS = 1_766_226_600_000_000_000
JOINTS = ("joint_1", "joint_2", "joint_3", "joint_4", "joint_5", "joint_6", "joint_7")
CAMERA_TOPIC = "/camera_{}/image_raw/compressed"
JOINT_TOPIC = "/joint_states"
GRIPPER_TOPIC = "/gripper/state"
RAW_TOPIC = "/camera_wrist/image_raw"
# `file_size_bytes` in `axon.recording` is patched in place after the file is closed (as
# the Axon recorder does), so it is written as fixed-width digits first.
_SIZE_PLACEHOLDER = "0" * 20


@dataclass(frozen=True)
class Gap:
    """Drop every message of `topic` logged in [at_s, at_s + length_s) from the start."""

    topic: str
    at_s: float
    length_s: float


@dataclass(frozen=True)
class RateDrop:
    """From `at_s` on, `topic` publishes at `rate_hz` only (a camera falling to 15 Hz)."""

    topic: str
    at_s: float
    rate_hz: float


@dataclass(frozen=True)
class ClockJump:
    """Messages of `topic` written from `at_s` on are logged (and stamped) `back_s`
    earlier: its log times go back in the file. stamp_only: the log times stay right and
    only the messages' header stamps go back (a sensor's clock, not the recorder's)."""

    topic: str
    at_s: float
    back_s: float
    stamp_only: bool = False


@dataclass
class RecordingSpec:
    """What to record. Defaults: the Axon layout (3 JPEG cameras 640x480 at 30 Hz, joints at
    500 Hz, gripper at 50 Hz, zstd chunks of 4 MiB, summary and every index)."""

    duration_s: float = 10.0
    start_ns: int = DEFAULT_START_NS
    cameras: tuple[str, ...] = ("left", "right", "head")
    camera_rate_hz: float = 30.0
    width: int = 640
    height: int = 480
    jpeg_quality: int = 80
    joint_rate_hz: float = 500.0
    gripper_rate_hz: float = 50.0
    compression: Literal["zstd", "lz4", "none"] = "zstd"
    chunk_size: int = 4 * 1024 * 1024
    indexed: bool = True  # False: no summary, no index of any kind (a streamed file)
    chunked: bool = True  # False: messages outside chunks (no compression, no chunk index)
    frame_pool: int = 24  # distinct JPEGs per camera; more makes chunks less compressible
    seed: int = 0
    task_id: str = "task_0001"
    # Task and device as in the sidecar (section 5), None: just the task_id / a simulated
    # robot. The axon.task and axon.device metadata records carry the same values.
    task: dict[str, Any] | None = None
    device: dict[str, str] | None = None
    # defects
    missing_topics: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()
    rate_drops: tuple[RateDrop, ...] = ()
    clock_jumps: tuple[ClockJump, ...] = ()
    # /joint_states: a share of messages with a NaN position, every message the same
    # positions (a frozen encoder), or positions swinging +-joint_amplitude (rad).
    joint_nan_fraction: float = 0.0
    frozen_joints: bool = False
    joint_amplitude: float = 1.0
    corrupt_jpeg_fraction: float = 0.0  # of frames on every camera topic, spread evenly
    raw_camera: bool = False  # add RAW_TOPIC (sensor_msgs/msg/Image, bgr8) at raw_rate_hz
    raw_width: int = 160
    raw_height: int = 120
    raw_rate_hz: float = 15.0
    raw_wrong_size_fraction: float = 0.0
    metadata: bool = True  # the axon.* metadata records
    # How the real recorder writes (axon-protocol.md section 7). Each topic's worker
    # flushes its messages every write_batch_s (0: the file is in log-time order).
    write_batch_s: float = 0.0
    schema_text: bool = True  # False: schemas with empty data (no schema_search_paths)
    recorder_version: str = RECORDER_VERSION
    # False: axon.topics says frequency_hz 0.0 for every topic, as Axon 0.4.0 writes it.
    measured_frequency: bool = True

    def topics(self) -> dict[str, str]:
        """Topic -> ROS 2 type of every topic this spec records (missing ones excluded)."""
        out = {JOINT_TOPIC: "sensor_msgs/msg/JointState"}
        for cam in self.cameras:
            out[CAMERA_TOPIC.format(cam)] = "sensor_msgs/msg/CompressedImage"
        out[GRIPPER_TOPIC] = "sensor_msgs/msg/JointState"
        if self.raw_camera:
            out[RAW_TOPIC] = "sensor_msgs/msg/Image"
        return {t: ty for t, ty in out.items() if t not in self.missing_topics}


@dataclass
class RecordingFacts:
    """What was written: enough to build the sidecar and to check a validator against."""

    path: Path
    size: int
    sha256: str
    message_count: int
    topics: dict[str, str]  # topic -> message type
    topic_counts: dict[str, int]
    start_ns: int
    end_ns: int
    corrupt_frames: int = 0
    wrong_size_frames: int = 0
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    task: dict[str, Any] = field(default_factory=dict)
    device: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


# --- ROS 2 messages in CDR (little endian), from templates built once per topic ---------

_TIME = "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n"
_HEADER = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
_SEP = "=" * 80 + "\n"
_DEPS = _SEP + _HEADER + _SEP + _TIME
DEFINITIONS = {
    "sensor_msgs/msg/JointState": "std_msgs/Header header\nstring[] name\nfloat64[] position\n"
    "float64[] velocity\nfloat64[] effort\n" + _DEPS,
    "sensor_msgs/msg/CompressedImage": "std_msgs/Header header\nstring format\nuint8[] data\n"
    + _DEPS,
    "sensor_msgs/msg/Image": "std_msgs/Header header\nuint32 height\nuint32 width\n"
    "string encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n" + _DEPS,
}
Encoder = Callable[[int, int, bool], bytes]  # (log_time ns, sequence, damaged) -> CDR


class _Cdr:
    """A minimal CDR writer: alignment counts from after the 4-byte encapsulation header."""

    def __init__(self) -> None:
        self.b = bytearray(b"\x00\x01\x00\x00")

    def align(self, n: int) -> int:
        self.b += bytes(-(len(self.b) - 4) % n)
        return len(self.b)

    def u32(self, v: int) -> None:
        self.align(4)
        self.b += struct.pack("<I", v)

    def string(self, s: str) -> None:
        self.u32(len(s) + 1)
        self.b += s.encode() + b"\x00"

    def header(self, frame_id: str) -> None:
        self.b += bytes(8)  # stamp, patched per message at offset 4
        self.string(frame_id)


def _stamp(buf: bytearray, log_time: int) -> None:
    stamp = log_time - 5_000_000  # captured 5 ms before it was logged
    struct.pack_into("<iI", buf, 4, stamp // 1_000_000_000, stamp % 1_000_000_000)


def _joint_state_encoder(
    frame_id: str, names: tuple[str, ...], amplitude: float = 1.0, frozen: bool = False
) -> Encoder:
    """Positions amplitude*sin(t + j), velocities cos(t + j); a damaged message has a NaN
    first position; frozen: the positions at t=0 for ever."""
    import math

    c = _Cdr()
    c.header(frame_id)
    c.u32(len(names))
    for name in names:
        c.string(name)
    offsets = []
    for _ in range(3):  # position, velocity, effort
        c.u32(len(names))
        offsets.append(c.align(8))
        c.b += bytes(8 * len(names))
    template, fmt = bytes(c.b), f"<{len(names)}d"

    def encode(log_time: int, seq: int, damaged: bool) -> bytes:
        buf = bytearray(template)
        _stamp(buf, log_time)
        x = 0.0 if frozen else log_time / 1e9
        pos = [amplitude * math.sin(x + j) for j in range(len(names))]
        if damaged:
            pos[0] = math.nan
        struct.pack_into(fmt, buf, offsets[0], *pos)
        struct.pack_into(fmt, buf, offsets[1], *(math.cos(x + j) for j in range(len(names))))
        return bytes(buf)

    return encode


def _compressed_image_encoder(frame_id: str, frames: Callable[[int, bool], bytes]) -> Encoder:
    c = _Cdr()
    c.header(frame_id)
    c.string("jpeg")
    c.align(4)
    template = bytes(c.b)

    def encode(log_time: int, seq: int, damaged: bool) -> bytes:
        head = bytearray(template)
        _stamp(head, log_time)
        data = frames(seq, damaged)
        return b"".join((head, struct.pack("<I", len(data)), data))

    return encode


def _raw_image_encoder(frame_id: str, width: int, height: int) -> Encoder:
    """bgr8 frames; a damaged one is a row short (data length != height x step)."""
    c = _Cdr()
    c.header(frame_id)
    c.u32(height)
    c.u32(width)
    c.string("bgr8")
    c.b += b"\x00"  # is_bigendian
    c.u32(width * 3)  # step
    c.align(4)
    template = bytes(c.b)
    pixels = bytes(range(256)) * (width * height * 3 // 256 + 1)

    def encode(log_time: int, seq: int, damaged: bool) -> bytes:
        head = bytearray(template)
        _stamp(head, log_time)
        n = width * 3 * (height - 1 if damaged else height)
        return b"".join((head, struct.pack("<I", n), pixels[seq % 256 : seq % 256 + n]))

    return encode


@lru_cache(maxsize=8)
def _frame_pool(width: int, height: int, quality: int, count: int, seed: int) -> list[bytes]:
    """`count` distinct JPEGs (noise texture + moving shapes), encoded once per process."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    base: Any = cv2.resize(cells, (width, height), interpolation=cv2.INTER_LINEAR)
    frames = []
    for i in range(count):
        img: Any = cv2.add(
            np.roll(base, (i * 7) % width, axis=1),
            rng.integers(0, 6, base.shape, dtype=np.uint8),
        )
        x, y = int(rng.integers(0, max(1, width - 60))), int(rng.integers(0, max(1, height - 40)))
        cv2.rectangle(img, (x, y), (x + 60, y + 40), (int(i * 37 % 255), 80, 200), -1)
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        frames.append(enc.tobytes())
    return frames


def _jpeg_with_comment(jpeg: bytes, text: str) -> bytes:
    """Insert a COM segment after SOI: every frame gets distinct bytes, still a valid JPEG."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _corrupt(jpeg: bytes, k: int) -> bytes:
    """Two kinds of broken frame: cut in half (no end marker) or a destroyed header."""
    if k % 2:
        return jpeg[: len(jpeg) // 2]
    return b"\x00" * 64 + jpeg[64:]


def _times(spec: RecordingSpec, topic: str, rate: float, salt: int) -> list[int]:
    """Log times of one topic: a steady rate with +-10 % jitter, minus the spec's gaps."""
    import numpy as np

    period = 1e9 / rate
    n = int(spec.duration_s * rate) + 1
    rng = np.random.default_rng(spec.seed * 1000 + salt)
    jitter = rng.uniform(-0.1, 0.1, n) * period
    jitter[0] = 0
    t = spec.start_ns + np.arange(n) * period + jitter
    t = t[t <= spec.start_ns + spec.duration_s * 1e9]
    for gap in spec.gaps:
        if gap.topic == topic:
            lo = spec.start_ns + gap.at_s * 1e9
            t = t[(t < lo) | (t >= lo + gap.length_s * 1e9)]
    for drop in spec.rate_drops:
        if drop.topic == topic:
            lo = spec.start_ns + drop.at_s * 1e9
            keep = max(1, round(rate / drop.rate_hz))
            t = np.concatenate([t[t < lo], t[t >= lo][::keep]])
    return [int(x) for x in t]


def _logged(spec: RecordingSpec, topic: str, t: int, stamps: bool = False) -> int:
    """The log time (stamps: the header stamp's time) a message made at t is written with:
    clock_jumps move it back."""
    for jump in spec.clock_jumps:
        applies = stamps or not jump.stamp_only
        if applies and jump.topic == topic and t >= spec.start_ns + jump.at_s * 1e9:
            t -= int(jump.back_s * 1e9)
    return t


def _every(fraction: float, n: int) -> set[int]:
    """Indexes of ~fraction*n items spread evenly over range(n)."""
    if fraction <= 0 or n == 0:
        return set()
    k = max(1, round(fraction * n))
    return {int(i * n / k + n / (2 * k)) for i in range(k)}


def write_recording(path: str | os.PathLike[str], spec: RecordingSpec) -> RecordingFacts:
    """Write an Axon-like MCAP file at `path` and return its facts (size, SHA-256...)."""
    from mcap.writer import CompressionType, IndexType, Writer

    _INDEXES = IndexType.CHUNK | IndexType.MESSAGE | IndexType.METADATA

    path = Path(path)
    topics = spec.topics()
    compression = {
        "zstd": CompressionType.ZSTD,
        "lz4": CompressionType.LZ4,
        "none": CompressionType.NONE,
    }[spec.compression]
    indexed = spec.indexed
    events: list[tuple[int, int, int]] = []  # (log_time, topic number, sequence)
    names = list(topics)
    for i, topic in enumerate(names):
        rate = _rate(spec, topic)
        events.extend((t, i, seq) for seq, t in enumerate(_times(spec, topic, rate, i)))
    events.sort()
    if spec.write_batch_s > 0:
        events = _flush_order(events, spec)

    counts = dict.fromkeys(names, 0)
    encoders = [_encoder(spec, topic, topics[topic]) for topic in names]
    corrupt_sets = {
        i: _every(spec.corrupt_jpeg_fraction, sum(1 for e in events if e[1] == i))
        for i, t in enumerate(names)
        if topics[t].endswith("CompressedImage")
    }
    if JOINT_TOPIC in names:
        i = names.index(JOINT_TOPIC)
        corrupt_sets[i] = _every(spec.joint_nan_fraction, sum(1 for e in events if e[1] == i))
    wrong = _every(spec.raw_wrong_size_fraction, sum(1 for e in events if names[e[1]] == RAW_TOPIC))
    n_corrupt = n_wrong = 0
    with open(path, "wb") as stream:
        writer = Writer(
            stream,
            chunk_size=spec.chunk_size,
            compression=compression,
            # No attachment index: mcap's writer would add an empty group that doctors flag.
            index_types=_INDEXES if indexed else IndexType.NONE,
            repeat_channels=indexed,
            repeat_schemas=indexed,
            use_statistics=indexed,
            use_summary_offsets=indexed,
            use_chunking=spec.chunked,
        )
        writer.start(profile="ros2", library=f"keystone_sim/{RECORDER_VERSION}")
        channel_ids, schema_ids = [], {}
        for topic in names:
            kind = topics[topic]
            if kind not in schema_ids:  # one schema per message type, shared by its topics
                text = DEFINITIONS[kind].encode() if spec.schema_text else b""
                schema_ids[kind] = writer.register_schema(kind, "ros2msg", text)
            channel_ids.append(writer.register_channel(topic, "cdr", schema_ids[kind]))
        for t, i, seq in events:
            topic = names[i]
            damaged = seq in corrupt_sets.get(i, ()) or (topic == RAW_TOPIC and seq in wrong)
            n_corrupt += damaged and topic not in (RAW_TOPIC, JOINT_TOPIC)
            n_wrong += damaged and topic == RAW_TOPIC
            logged, stamped = _logged(spec, topic, t), _logged(spec, topic, t, stamps=True)
            data = encoders[i](stamped, seq, damaged)
            writer.add_message(channel_ids[i], logged, data, logged - 1_000_000, seq)
            counts[topic] += 1
        start = min(e[0] for e in events) if events else spec.start_ns
        end = max(e[0] for e in events) if events else spec.start_ns
        metadata = _axon_metadata(spec, path, topics, counts, start, end) if spec.metadata else {}
        for name, values in metadata.items():
            writer.add_metadata(name, values)
        writer.finish()
    size = path.stat().st_size
    if metadata:
        _patch_size(path, size)
        metadata["axon.recording"]["file_size_bytes"] = f"{size:020d}"
    return RecordingFacts(
        path=path,
        size=size,
        sha256=file_sha256(path),
        message_count=len(events),
        topics=topics,
        topic_counts=counts,
        start_ns=start,
        end_ns=end,
        corrupt_frames=n_corrupt,
        wrong_size_frames=n_wrong,
        metadata=metadata,
        task=_task(spec),
        device=_device(spec),
    )


def _flush_order(
    events: list[tuple[int, int, int]], spec: RecordingSpec
) -> list[tuple[int, int, int]]:
    """The order Axon's recorder writes in: each topic's worker queues its messages and
    flushes them every write_batch_s (its first flush staggered by the topic), and all that
    is left at the end. Each topic stays in order; across topics the file is not."""
    batch = int(spec.write_batch_s * 1e9)
    end = max(e[0] for e in events) if events else spec.start_ns
    keyed = []
    for t, i, seq in events:
        phase = batch * ((i * 0.37) % 1)
        flush = spec.start_ns + phase + ((t - spec.start_ns - phase) // batch + 1) * batch
        keyed.append((min(int(flush), end), i, t, seq))
    keyed.sort()
    return [(t, i, seq) for _, i, t, seq in keyed]


def _rate(spec: RecordingSpec, topic: str) -> float:
    if topic == JOINT_TOPIC:
        return spec.joint_rate_hz
    if topic == GRIPPER_TOPIC:
        return spec.gripper_rate_hz
    if topic == RAW_TOPIC:
        return spec.raw_rate_hz
    return spec.camera_rate_hz


def _encoder(spec: RecordingSpec, topic: str, msg_type: str) -> Encoder:
    if topic == JOINT_TOPIC:
        return _joint_state_encoder("base_link", JOINTS, spec.joint_amplitude, spec.frozen_joints)
    if topic == GRIPPER_TOPIC:
        return _joint_state_encoder("gripper", ("gripper",))
    if msg_type == "sensor_msgs/msg/Image":
        return _raw_image_encoder("wrist", spec.raw_width, spec.raw_height)
    cam = spec.cameras.index(topic.split("/")[1].removeprefix("camera_"))
    pool = _frame_pool(spec.width, spec.height, spec.jpeg_quality, spec.frame_pool, spec.seed)
    frame_id = f"camera_{spec.cameras[cam]}"

    def frames(seq: int, damaged: bool) -> bytes:
        jpeg = _jpeg_with_comment(pool[(seq * 5 + cam * 7) % len(pool)], f"{topic} {seq}")
        return _corrupt(jpeg, seq) if damaged else jpeg

    return _compressed_image_encoder(frame_id, frames)


def _iso(ns: int) -> str:
    dt = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _task(spec: RecordingSpec) -> dict[str, Any]:
    return {"task_id": spec.task_id, "scene": "", "factory": ""} | (spec.task or {})


def _device(spec: RecordingSpec) -> dict[str, str]:
    default = {"device_id": "sim-robot-0001", "hostname": "sim", "ros_distro": "humble"}
    return default | (spec.device or {})


def _axon_metadata(
    spec: RecordingSpec,
    path: Path,
    topics: dict[str, str],
    counts: dict[str, int],
    start: int,
    end: int,
) -> dict[str, dict[str, str]]:
    """The five axon.* metadata records: string values, lists as compact JSON (keys sorted,
    as the recorder's JSON library writes them)."""
    duration = (end - start) / 1e9

    def compact(value: object) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def frequency(topic: str) -> float:
        if not spec.measured_frequency or not duration:
            return 0.0
        return round(counts[topic] / duration, 1)

    return {
        "axon.sidecar": {"version": "1.0", "mcap_file": path.name},
        "axon.task": {k: v if isinstance(v, str) else compact(v) for k, v in _task(spec).items()},
        "axon.device": _device(spec),
        "axon.recording": {
            "recorder_version": spec.recorder_version,
            "recording_started_at": _iso(start),
            "recording_finished_at": _iso(end),
            "duration_sec": f"{duration:.3f}",
            "message_count": str(sum(counts.values())),
            "file_size_bytes": _SIZE_PLACEHOLDER,
            "topics_recorded": compact(sorted(topics)),
        },
        "axon.topics": {
            "topics_summary": compact(
                [
                    {
                        "topic": t,
                        "message_type": topics[t],
                        "message_count": counts[t],
                        "frequency_hz": frequency(t),
                    }
                    for t in sorted(topics)
                ]
            )
        },
    }


def _patch_size(path: Path, size: int) -> None:
    """Patch `file_size_bytes` in place, after closing, the way Axon's recorder does."""
    with open(path, "r+b") as f:
        f.seek(max(0, path.stat().st_size - 4 * 1024 * 1024))
        base = f.tell()
        tail = f.read()
        at = tail.rfind(_SIZE_PLACEHOLDER.encode())
        if at >= 0:
            f.seek(base + at)
            f.write(f"{size:020d}".encode())


def file_sha256(path: str | os.PathLike[str]) -> str:
    """A file's SHA-256 (hex), read in blocks: the recorder's and the upload daemon's."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            h.update(block)
    return h.hexdigest()


def sidecar_dict(
    facts: RecordingFacts,
    *,
    task: dict[str, Any] | None = None,
    device: dict[str, Any] | None = None,
    writer_health: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The sidecar JSON object of protocol section 5, for the recording `facts`."""
    duration = facts.duration_s
    return {
        "version": "1.0",
        "mcap_file": facts.path.name,
        "task": {"task_id": facts.path.stem, "scene": "", "factory": ""}
        | facts.task
        | (task or {}),
        "device": {"device_id": "sim-robot-0001", "hostname": "sim", "ros_distro": "humble"}
        | facts.device
        | (device or {}),
        "recording": {
            "recorder_version": RECORDER_VERSION,
            "recording_started_at": _iso(facts.start_ns),
            "recording_finished_at": _iso(facts.end_ns),
            "duration_sec": round(duration, 3),
            "message_count": facts.message_count,
            "file_size_bytes": facts.size,
            "topics_recorded": list(facts.topics),
            "checksum_sha256": facts.sha256,
        },
        "topics_summary": [
            {
                "topic": t,
                "message_type": ty,
                "message_count": facts.topic_counts[t],
                "frequency_hz": round(facts.topic_counts[t] / duration, 1) if duration else 0.0,
            }
            for t, ty in facts.topics.items()
        ],
        "writer_health": writer_health
        or {
            "state": "idle",
            "writer_stall_suspected": False,
            "writer_partial_failures": 0,
            "writer_queue_overflows": 0,
            "error": None,
        },
    }


def write_sidecar(
    path: str | os.PathLike[str],
    facts: RecordingFacts,
    *,
    task: dict[str, Any] | None = None,
    device: dict[str, Any] | None = None,
    writer_health: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the sidecar JSON (`<task_id>.json`) for `facts` at `path`; returns the object.
    `task` and `device` override what the recording's spec said."""
    doc = sidecar_dict(facts, task=task, device=device, writer_health=writer_health)
    Path(path).write_text(json.dumps(doc, indent=1))
    return doc
