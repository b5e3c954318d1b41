"""`joint_states`: a sample of sensor_msgs/JointState messages spread over the recording,
decoded (checks/ros2_defs.py: the file's definitions, else the bundled ones) and judged:

- NaN or infinite position, velocity or effort: always a failure;
- frozen: a topic the spec lists in `moving_joint_topics` whose sampled positions never
  change over the whole recording (a dead encoder, a publisher repeating its last value);
- out of range: a joint position outside the spec's `joint_limits`.

Cheap like the frame sample: chunks already read for frames are reused (FrameSampler's
listeners), a few more are read only when they hold no frames, and never the whole file.
The header stamps of the sample also feed the `timestamps` check."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

from keystone_pipelines.validator.checks.ros2_defs import Decoder, decode, decoder_for
from keystone_pipelines.validator.checks.sample import BATCH, _spread
from keystone_pipelines.validator.reader.budget import BudgetExceeded, DecompressionBudget
from keystone_pipelines.validator.reader.chunks import ChunkError, open_chunk
from keystone_pipelines.validator.reader.model import FileInfo, MessageMap
from keystone_pipelines.validator.records import REC_HEAD, Buf, FormatError, Op
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check, unjudged
from keystone_pipelines.validator.sources import Source
from keystone_pipelines.validator.spec import QaSpec

JOINT_SCHEMAS = frozenset({"sensor_msgs/msg/JointState", "sensor_msgs/JointState"})
MAX_CHUNKS_PER_TOPIC = 8


@dataclass
class JointRow:
    log_time: int
    stamp_ns: int
    names: list[str]
    position: list[float]
    velocity: list[float]
    effort: list[float]


@dataclass
class JointSample:
    rows: dict[str, list[JointRow]] = field(default_factory=dict)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # topic, log_time, why
    definitions: dict[str, str] = field(default_factory=dict)  # topic -> "file" | "bundled"
    chunks_refused: int = 0
    bytes_read: int = 0


class JointSampler:
    """Plans which joint messages to decode, takes them from chunks others open
    (`on_records`) and reads the rest itself (`finish`)."""

    def __init__(
        self,
        info: FileInfo,
        mm: MessageMap,
        spec: QaSpec,
        max_chunk: int,
        budget: DecompressionBudget | None,
        preferred: set[int],
    ) -> None:
        self.info, self.max_chunk, self.budget = info, max_chunk, budget
        self.result = JointSample()
        self.decoders: dict[int, Decoder] = {}
        self.chunks: dict[int, dict[int, list[int]]] = {}
        self.loose: list[tuple[int, int, int]] = []  # cid, file offset, length
        self.done: set[int] = set()
        self.lengths = {c.offset: c.length for c in mm.chunks}
        self._lock = threading.Lock()  # on_records runs on the frame sampler's threads
        for cid, ch in info.channels.items():
            name = info.schema_name(cid)
            if name not in JOINT_SCHEMAS or ch.message_encoding != "cdr":
                continue
            schema = info.schemas.get(ch.schema_id)
            dec, source = decoder_for(name, schema.data if schema else b"")
            self.result.definitions[ch.topic] = source
            self.result.rows.setdefault(ch.topic, [])
            if dec is None:
                self.result.errors.append((ch.topic, 0, f"no definition decodes {name}"))
                continue
            self.decoders[cid] = dec
            self._plan(cid, mm, spec.joint_sample, preferred)

    def _plan(self, cid: int, mm: MessageMap, sample: int, preferred: set[int]) -> None:
        holders = [c for c in mm.chunks if len(c.by_channel.get(cid, ()))]
        k = min(len(holders), MAX_CHUNKS_PER_TOPIC)
        per_chunk = math.ceil(sample / k) if k else 0
        for j in range(k):
            window = holders[j * len(holders) // k : (j + 1) * len(holders) // k]
            # A chunk the frame sample (or another joint topic) opens anyway costs nothing.
            shared = preferred | set(self.chunks)
            pick = next((c for c in window if c.offset in shared), window[len(window) // 2])
            offsets = sorted(int(o) for o in pick.by_channel[cid][:, 1])
            chosen = [offsets[i] for i in _spread(len(offsets), per_chunk)]
            self.chunks.setdefault(pick.offset, {})[cid] = chosen
        rows = mm.loose.get(cid)
        if rows is not None and len(rows):
            for i in _spread(len(rows), sample):
                self.loose.append((cid, int(rows[i][1]), int(rows[i][2])))

    @property
    def wanted(self) -> set[int]:
        return set(self.chunks)

    def on_records(self, chunk_offset: int, records: Buf) -> None:
        planned = self.chunks.get(chunk_offset)
        if planned is None:
            return
        with self._lock:
            if chunk_offset in self.done:
                return
            self.done.add(chunk_offset)
            for cid, offs in planned.items():
                for off in offs:
                    self._decode_at(cid, records, off)

    def finish(self, src: Source) -> JointSample:
        todo = sorted(set(self.chunks) - self.done)
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            blobs = src.read_many([(off, self.lengths[off]) for off in batch])
            self.result.bytes_read += sum(len(b) for b in blobs)
            for off, blob in zip(batch, blobs, strict=True):
                self._open(off, blob)
        if self.loose:
            blobs = src.read_many([(off, n) for _, off, n in self.loose])
            self.result.bytes_read += sum(len(b) for b in blobs)
            for (cid, _, _), blob in zip(self.loose, blobs, strict=True):
                self._decode_at(cid, blob, 0)
        return self.result

    def _open(self, offset: int, blob: bytes) -> None:
        try:
            if len(blob) < 9 or blob[0] != Op.CHUNK:
                raise FormatError(f"no Chunk record at byte {offset}")
            opened = open_chunk(memoryview(blob)[9:], offset, self.max_chunk, self.budget)
        except BudgetExceeded:
            self.result.chunks_refused += 1
            return
        except (ChunkError, FormatError) as exc:
            for cid in self.chunks[offset]:
                self.result.errors.append((self.info.topic_of(cid), 0, f"chunk unreadable: {exc}"))
            return
        self.on_records(offset, opened.records)

    def _decode_at(self, cid: int, buf: Buf, off: int) -> None:
        topic = self.info.topic_of(cid)
        view = memoryview(buf)
        if off + 9 > len(view):
            self.result.errors.append((topic, 0, "message missing"))
            return
        opcode, length = REC_HEAD.unpack_from(view, off)
        if opcode != Op.MESSAGE or length < 22 or off + 9 + length > len(view):
            self.result.errors.append((topic, 0, "no Message record where the index says"))
            return
        body = view[off + 9 : off + 9 + length]
        log_time = int.from_bytes(body[6:14], "little")
        try:
            msg = decode(self.decoders[cid], body[22:])
            row = JointRow(
                log_time,
                int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec),
                [str(n) for n in msg.name],
                [float(x) for x in msg.position],
                [float(x) for x in msg.velocity],
                [float(x) for x in msg.effort],
            )
        except (ValueError, AttributeError, TypeError) as exc:
            self.result.errors.append((topic, log_time, f"does not decode: {exc}"[:200]))
            return
        self.result.rows[topic].append(row)


def stamp_backsteps(sample: JointSample | None) -> list[dict[str, Any]]:
    """Header stamps that go back while log times go forward, per topic (first one)."""
    out: list[dict[str, Any]] = []
    for topic, rows in sorted((sample.rows if sample else {}).items()):
        ordered = sorted(rows, key=lambda r: r.log_time)
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b.stamp_ns < a.stamp_ns:
                back = round((a.stamp_ns - b.stamp_ns) / 1e9, 6)
                out.append(
                    {"topic": topic, "kind": "header.stamp", "at_ns": b.log_time, "back_s": back}
                )
                break
    return out


def joint_check(spec: QaSpec, sample: JointSample | None, readable: bool) -> CheckResult:
    if not readable:
        return make_check("joint_states", False, 0.0, "not assessed: file unreadable")
    if spec.joint_sample == 0:
        return unjudged("joint_states", "joint sample disabled (joint_sample=0)")
    sample = sample or JointSample()
    absent = [t for t in spec.moving_joint_topics if not sample.rows.get(t)]
    if not sample.rows and not absent:
        return unjudged("joint_states", "no sensor_msgs/JointState topic in the recording")
    problems: list[dict[str, Any]] = [
        {"topic": t, "kind": "undecodable", "at_ns": lt, "detail": why}
        for t, lt, why in sample.errors
    ]
    problems += [{"topic": t, "kind": "absent", "detail": "no messages sampled"} for t in absent]
    limits = spec.joint_limits
    for topic, rows in sorted(sample.rows.items()):
        problems += _nan_and_range(topic, rows, limits)
        moving = topic in spec.moving_joint_topics and len(rows) > 1
        if moving and all(r.position == rows[0].position for r in rows):
            problems.append(
                {
                    "topic": topic,
                    "kind": "frozen",
                    "detail": f"positions identical in all {len(rows)} sampled messages",
                }
            )
    sampled = {t: len(r) for t, r in sample.rows.items()}
    unjudged_parts = [
        "frozen" if not spec.moving_joint_topics else "",
        "ranges" if not limits else "",
    ]
    data: dict[str, Any] = {
        "sampled": sampled,
        "definitions": sample.definitions,
        "problems": problems[:20],
        "not_judged_parts": [p for p in unjudged_parts if p],
    }
    parts = data["not_judged_parts"]
    note = "; not judged: " + ", ".join(parts) if parts else ""
    total = sum(sampled.values())
    if not problems:
        text = f"{total} joint messages sane on {len(sampled)} topics{note}"
        return make_check("joint_states", True, 1.0, text, **data)
    kinds = sorted({p["kind"] for p in problems})
    first = problems[0]
    bad_share = min(1.0, len(problems) / max(1, total))
    score = 0.5 if "frozen" in kinds or "absent" in kinds else 0.9 * (1 - bad_share)
    return make_check(
        "joint_states",
        False,
        score,
        f"{', '.join(kinds)}: {first['topic']} {first['detail']}{note}",
        **data,
    )


def _nan_and_range(
    topic: str, rows: list[JointRow], limits: dict[str, tuple[float, float]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    nan_seen = range_seen = 0
    for r in rows:
        for field_name in ("position", "velocity", "effort"):
            values = getattr(r, field_name)
            bad = [i for i, v in enumerate(values) if not math.isfinite(v)]
            if bad and nan_seen < 5:
                joint = r.names[bad[0]] if bad[0] < len(r.names) else f"#{bad[0]}"
                out.append(
                    {
                        "topic": topic,
                        "kind": "nan",
                        "at_ns": r.log_time,
                        "detail": f"{joint} {field_name} is {values[bad[0]]}",
                    }
                )
                nan_seen += 1
        for name, value in zip(r.names, r.position, strict=False):
            lim = limits.get(name)
            if lim and math.isfinite(value) and not lim[0] <= value <= lim[1] and range_seen < 5:
                out.append(
                    {
                        "topic": topic,
                        "kind": "out_of_range",
                        "at_ns": r.log_time,
                        "detail": f"{name} position {value:.4g} outside [{lim[0]:g}, {lim[1]:g}]",
                    }
                )
                range_seen += 1
    return out
