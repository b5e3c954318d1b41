"""Tier 3: decode a sample of camera frames spread over the whole recording and over
every camera topic. Whole chunks are read (a few percent of the file) and never the file
front to back; when tier 4 streams the file anyway, the sample rides on that stream and
costs no extra bytes."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from keystone_pipelines.validator.checks.codecs import (
    IMAGE_SCHEMAS,
    ImageMsg,
    check_frame,
    extract,
    thumbnail,
)
from keystone_pipelines.validator.checks.images import FrameSample
from keystone_pipelines.validator.cpu import metered
from keystone_pipelines.validator.reader.budget import BudgetExceeded, DecompressionBudget
from keystone_pipelines.validator.reader.chunks import DEFAULT_MAX_CHUNK, ChunkError, open_chunk
from keystone_pipelines.validator.reader.model import FileInfo, MessageMap
from keystone_pipelines.validator.records import REC_HEAD, Buf, FormatError, Op
from keystone_pipelines.validator.sources import Source
from keystone_pipelines.validator.spec import QaSpec

MIN_SPREAD = 8  # chunks per topic at least, so a sample never comes from one moment only
MAX_CHUNKS = 64  # chunks read at most, whatever the sample size asks
BATCH = 8  # chunks read and decoded at a time
LOOSE_BATCH_BYTES = 16 * 1024 * 1024


def image_channels(info: FileInfo, spec: QaSpec) -> dict[int, str]:
    """Channel id -> topic of the channels to sample."""
    out = {}
    for cid, ch in info.channels.items():
        if info.schema_name(cid) not in IMAGE_SCHEMAS:
            continue
        if spec.image_topics is None or ch.topic in spec.image_topics:
            out[cid] = ch.topic
    return out


def _spread(n_items: int, k: int) -> list[int]:
    if k >= n_items:
        return list(range(n_items))
    return sorted({int((j + 0.5) * n_items / k) for j in range(k)})


class FrameSampler:
    """Plans the sample from the message map, then decodes frames from chunk records as
    they arrive (`on_records`, called by tier 4's workers) or reads what is still
    missing itself (`finish`)."""

    def __init__(
        self,
        info: FileInfo,
        mm: MessageMap,
        spec: QaSpec,
        max_chunk: int = DEFAULT_MAX_CHUNK,
        thumbnails: int = 0,
        budget: DecompressionBudget | None = None,
    ) -> None:
        self.info, self.mm, self.max_chunk = info, mm, max_chunk
        self.budget = budget
        self.thumbnails = thumbnails
        self.keep: set[tuple[int, int]] = set()  # (record or chunk offset, offset within)
        self.channels = image_channels(info, spec)
        self.result = FrameSample(topics=sorted(set(self.channels.values())))
        self.chunks: dict[int, dict[int, list[int]]] = {}  # chunk file offset -> cid -> offs
        self.loose: list[tuple[int, int, int, int]] = []  # cid, log_time, offset, length
        self._plan(spec.image_sample)
        self._lock = threading.Lock()
        self._done: set[int] = set()
        self._failed_shown: dict[str, int] = {}
        # Others that want the opened chunks too (the joint-state sample): no second read.
        self.listeners: list[Callable[[int, Buf], None]] = []

    def _plan(self, sample: int) -> None:
        mm, channels = self.mm, self.channels
        if not channels or sample <= 0:
            return
        per_topic = math.ceil(sample / len(set(channels.values())))
        budget = max(1, MAX_CHUNKS // len(channels))
        for cid in channels:
            holders = [c for c in mm.chunks if len(c.by_channel.get(cid, ()))]
            if holders:
                total = sum(len(c.by_channel[cid]) for c in holders)
                k = min(
                    len(holders),
                    budget,
                    max(MIN_SPREAD, math.ceil(per_topic * len(holders) / total)),
                )
                picked = [holders[j] for j in _spread(len(holders), k)]
                offsets = np.concatenate([c.by_channel[cid][:, 1] for c in picked])
                owners = np.concatenate([np.full(len(c.by_channel[cid]), c.offset) for c in picked])
                chosen = _spread(len(offsets), per_topic)
                for j in chosen:
                    per_chunk = self.chunks.setdefault(int(owners[j]), {})
                    per_chunk.setdefault(cid, []).append(int(offsets[j]))
                for j in (chosen[i] for i in _spread(len(chosen), self.thumbnails)):
                    self.keep.add((int(owners[j]), int(offsets[j])))
            rows = mm.loose.get(cid)
            if rows is not None and len(rows):
                chosen = _spread(len(rows), per_topic)
                for j in chosen:
                    t, off, n = (int(x) for x in rows[j])
                    self.loose.append((cid, t, off, n))
                for j in (chosen[i] for i in _spread(len(chosen), self.thumbnails)):
                    self.keep.add((int(rows[j][1]), 0))

    @property
    def wanted(self) -> set[int]:
        return set(self.chunks)

    def on_records(self, chunk_offset: int, records: Buf) -> None:
        """Decode the planned frames of one opened chunk (thread-safe)."""
        for listener in self.listeners:
            listener(chunk_offset, records)
        wanted = self.chunks.get(chunk_offset)
        if wanted is None:
            return
        verdicts = [
            (cid, *self._judge_at(cid, records, off, chunk_offset))
            for cid, offs in wanted.items()
            for off in offs
        ]
        with self._lock:
            self._done.add(chunk_offset)
            self.result.chunks_read += 1
            for cid, log_time, why in verdicts:
                self._record(cid, log_time, why)

    def finish(self, src: Source) -> FrameSample:
        """Read and decode whatever the stream did not deliver (all of it, without one)."""
        todo = sorted(set(self.chunks) - self._done)
        lengths = {c.offset: c.length for c in self.mm.chunks}
        with ThreadPoolExecutor(2, thread_name_prefix="frames") as pool:
            # A few chunks at a time: memory stays at BATCH chunks whatever the sample.
            for i in range(0, len(todo), BATCH):
                batch = todo[i : i + BATCH]
                blobs = src.read_many([(off, lengths[off]) for off in batch])
                self.result.bytes_read += sum(len(b) for b in blobs)
                list(pool.map(metered(self._open_and_decode), batch, blobs))
        batch_rows: list[tuple[int, int, int, int]] = []
        for row in [*self.loose, None]:  # loose messages, in batches of ~16 MiB
            if row is not None:
                batch_rows.append(row)
            if batch_rows and (row is None or sum(r[3] for r in batch_rows) > LOOSE_BATCH_BYTES):
                blobs = src.read_many([(o, n) for _, _, o, n in batch_rows])
                self.result.bytes_read += sum(len(b) for b in blobs)
                for (cid, t, off, _), blob in zip(batch_rows, blobs, strict=True):
                    self._record(cid, t, self._judge_at(cid, blob, 0, off)[1])
                batch_rows = []
        return self.result

    def _open_and_decode(self, offset: int, blob: bytes) -> None:
        try:
            if len(blob) < 9 or blob[0] != Op.CHUNK:
                raise FormatError(f"no Chunk record at byte {offset}")
            opened = open_chunk(memoryview(blob)[9:], offset, self.max_chunk, self.budget)
            if opened.crc_ok is False:
                self.info.add("error", "CHUNK_CRC", f"chunk at byte {offset}: CRC mismatch")
        except BudgetExceeded:
            # Not a defect of the frames: they were not looked at (the check says so).
            with self._lock:
                self.result.chunks_refused += 1
            return
        except (ChunkError, FormatError) as exc:
            self.info.add("error", "CHUNK_UNREADABLE", str(exc))
            times = self._index_times(offset)
            with self._lock:
                for cid, offs in self.chunks[offset].items():
                    for off in offs:
                        self._record(cid, times.get((cid, off), 0), f"chunk unreadable: {exc}")
            for cid, offs in self.chunks[offset].items():
                for off in offs:  # drawn where they fall, at the time the index gives
                    t = times.get((cid, off), 0)
                    self._thumbnail(cid, offset, off, t, None, "chunk unreadable")
            return
        self.on_records(offset, opened.records)

    def _record(self, cid: int, log_time: int, why: str | None) -> None:
        topic = self.channels[cid]
        self.result.attempted[topic] = self.result.attempted.get(topic, 0) + 1
        if why is not None:
            self.result.failures.append((topic, log_time, why))

    def _judge_at(self, cid: int, buf: Buf, off: int, at: int) -> tuple[int, str | None]:
        """(log time, None or why not) for the Message record at buf[off:]."""
        view = memoryview(buf)
        if off + 9 > len(view):
            return 0, f"message at {off} of the record at byte {at} is missing"
        opcode, length = REC_HEAD.unpack_from(view, off)
        if opcode != Op.MESSAGE or length < 22 or off + 9 + length > len(view):
            return 0, f"no Message record at {off} of the record at byte {at}"
        body = view[off + 9 : off + 9 + length]
        log_time = int.from_bytes(body[6:14], "little")
        ch = self.info.channels[cid]
        try:
            img = extract(self.info.schema_name(cid), ch.message_encoding, body[22:])
        except (FormatError, UnicodeDecodeError, ValueError) as exc:
            self._thumbnail(cid, at, off, log_time, None, f"does not parse: {exc}")
            return log_time, f"message does not parse: {exc}"
        why = check_frame(img)
        self._thumbnail(cid, at, off, log_time, img, why)
        return log_time, why

    def _thumbnail(
        self, cid: int, at: int, off: int, log_time: int, img: ImageMsg | None, why: str | None
    ) -> None:
        topic = self.channels[cid]
        with self._lock:
            if (at, off) not in self.keep:
                # A frame that failed is shown too (the contact sheet must show the defect,
                # not only the sample's good frames), up to as many per topic as thumbnails.
                if why is None or not self.thumbnails:
                    return
                shown = self._failed_shown.get(topic, 0)
                if shown >= self.thumbnails:
                    return
                self._failed_shown[topic] = shown + 1
        picture = thumbnail(img) if img is not None and why is None else None
        with self._lock:
            self.result.frames.setdefault(topic, []).append(
                {"log_time": log_time, "image": picture, "error": why}
            )

    def _index_times(self, chunk_offset: int) -> dict[tuple[int, int], int]:
        """(channel, offset in the chunk) -> log time, from the message index."""
        chunk = next((c for c in self.mm.chunks if c.offset == chunk_offset), None)
        if chunk is None:
            return {}
        return {
            (cid, int(off)): int(t)
            for cid in self.chunks.get(chunk_offset, {})
            for t, off in chunk.by_channel.get(cid, ())
        }
