"""The linear scan's bookkeeping: channels, schemas, metadata and message positions found
front to back, for files without a usable index (streamed, truncated, unindexed)."""

from __future__ import annotations

import struct
from array import array
from typing import Any

import numpy as np

from keystone_pipelines.validator.reader.chunks import OpenedChunk
from keystone_pipelines.validator.reader.model import ChunkMessages, FileInfo, MessageMap
from keystone_pipelines.validator.records import (
    Channel,
    FormatError,
    Metadata,
    Op,
    Schema,
    iter_records,
    parse,
)

_MSG = struct.Struct("<HIQ")  # channel_id, sequence, log_time
MAX_METADATA_RECORDS = 256


def index_chunk_records(
    opened: OpenedChunk, at: int, length: int
) -> tuple[ChunkMessages, dict[str, Any]]:
    """Message positions inside one decompressed chunk, plus the channels and schemas it
    defines (and the framing error that stopped the listing, if any)."""
    times: dict[int, list[int]] = {}
    offsets: dict[int, list[int]] = {}
    extra: dict[str, Any] = {"schemas": [], "channels": [], "error": None}
    try:
        for opcode, off, body in iter_records(opened.records):
            if opcode == Op.MESSAGE:
                if len(body) < _MSG.size + 8:
                    raise FormatError(f"Message record at {off} is {len(body)} bytes long")
                cid, _seq, log_time = _MSG.unpack_from(body)
                times.setdefault(cid, []).append(log_time)
                offsets.setdefault(cid, []).append(off)
            elif opcode == Op.SCHEMA:
                extra["schemas"].append(parse(opcode, body, off))
            elif opcode == Op.CHANNEL:
                extra["channels"].append(parse(opcode, body, off))
    except FormatError as exc:
        extra["error"] = f"records of the chunk at byte {at}: {exc}"
    by_channel = {
        cid: np.column_stack(
            (np.asarray(times[cid], dtype=np.uint64), np.asarray(offsets[cid], dtype=np.uint64))
        )
        for cid in times
    }
    head = opened.head
    msgs = ChunkMessages(
        at, length, head.compression, head.records_len, head.uncompressed_size, by_channel
    )
    return msgs, extra


class ScanCollector:
    def __init__(self, info: FileInfo) -> None:
        self.info = info
        # Messages outside chunks, per channel: log_time, offset, length, flat (24 B each).
        self.loose: dict[int, array[int]] = {}
        # A file with chunk indexes promises its summary lists every channel chunks use.
        self.indexed = info.summary_usable and bool(info.chunk_indexes)
        self.reported: set[tuple[str, int]] = set()

    def top_level(self, opcode: int, at: int, body: memoryview) -> None:
        try:
            if opcode == Op.MESSAGE:
                if len(body) < _MSG.size + 8:
                    raise FormatError(f"Message record at byte {at} is {len(body)} bytes long")
                cid, _seq, log_time = _MSG.unpack_from(body)
                self.loose.setdefault(cid, array("Q")).extend((log_time, at, 9 + len(body)))
            elif opcode in (Op.SCHEMA, Op.CHANNEL):
                self._define(parse(opcode, body, at), in_chunk=False)
            elif opcode == Op.METADATA and len(self.info.metadata) < MAX_METADATA_RECORDS:
                rec = parse(opcode, body, at)
                assert isinstance(rec, Metadata)
                self.info.metadata.setdefault(rec.name, rec.metadata)
        except FormatError as exc:
            self.info.add("error", "BAD_RECORD", str(exc))

    def chunk_extra(self, extra: object, at: int) -> None:
        if not isinstance(extra, dict):
            return
        for rec in extra["schemas"] + extra["channels"]:
            self._define(rec, in_chunk=True)
        if extra["error"]:
            self.info.add("error", "BAD_CHUNK_RECORDS", extra["error"])

    def _define(self, rec: object, in_chunk: bool) -> None:
        info = self.info
        if isinstance(rec, Schema):
            info.schemas.setdefault(rec.id, rec)
            if in_chunk and self.indexed and rec.id not in info.summary_schema_ids:
                self._report("INDEXED_SCHEMA_MISSING_FROM_SUMMARY", rec.id, f"schema {rec.id}")
        elif isinstance(rec, Channel):
            info.channels.setdefault(rec.id, rec)
            if in_chunk and self.indexed and rec.id not in info.summary_channel_ids:
                self._report(
                    "INDEXED_CHANNEL_MISSING_FROM_SUMMARY",
                    rec.id,
                    f"channel {rec.id} ({rec.topic})",
                )

    def _report(self, code: str, rid: int, what: str) -> None:
        if (code, rid) not in self.reported:
            self.reported.add((code, rid))
            self.info.add("error", code, f"indexed chunks use {what}, which the summary omits")

    def result(self, chunks: list[ChunkMessages], complete: bool) -> MessageMap:
        loose = {
            cid: np.asarray(rows, dtype=np.uint64).reshape(-1, 3)
            for cid, rows in self.loose.items()
        }
        used = {cid for c in chunks for cid in c.by_channel} | set(loose)
        undefined = sorted(used - set(self.info.channels))
        if undefined:
            self.info.add(
                "error", "UNKNOWN_CHANNEL", f"messages on channels {undefined[:10]} never defined"
            )
        return MessageMap(method="linear_scan", chunks=chunks, loose=loose, complete=complete)
