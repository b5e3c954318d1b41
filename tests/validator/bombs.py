"""Small MCAP files whose chunks inflate hugely (decompression bombs), made in memory.

One chunk's records (a single Message of `inflated` bytes, almost all zeros) are
compressed once and that record is repeated: `chunks` x `inflated` bytes to decompress
from a file of a few KB per chunk. The file is otherwise well formed (CRCs, message
indexes, summary, statistics), so a reader cannot tell it from a recording of a very
still scene before it decompresses.
"""

from __future__ import annotations

import zlib

import zstandard
from mcap.data_stream import RecordBuilder
from mcap.records import (
    Channel,
    Chunk,
    ChunkIndex,
    DataEnd,
    Footer,
    Header,
    McapRecord,
    MessageIndex,
    Schema,
    Statistics,
)

MAGIC = b"\x89MCAP0\r\n"
T0 = 1_766_226_600_000_000_000
STEP_NS = 100_000_000
MESSAGE_HEAD = 2 + 4 + 8 + 8  # channel id, sequence, log time, publish time


def _records(inflated: int) -> bytes:
    """One Message record of `inflated` bytes in all (header included)."""
    body = inflated - 9
    head = bytearray([0x05]) + body.to_bytes(8, "little")
    head += (1).to_bytes(2, "little") + (0).to_bytes(4, "little")
    head += T0.to_bytes(8, "little") + T0.to_bytes(8, "little")
    return bytes(head) + bytes(body - MESSAGE_HEAD)


def _write(out: bytearray, *records: McapRecord) -> int:
    start = len(out)
    builder = RecordBuilder()
    for rec in records:
        rec.write(builder)
    out += builder.end()
    return start


def inflating_mcap(
    chunks: int = 32,
    inflated: int = 64 * 1024 * 1024,
    *,
    indexed: bool = True,
    declared: int | None = None,
    topic: str = "/camera_head/image_raw/compressed",
    schema: str = "sensor_msgs/msg/CompressedImage",
) -> bytes:
    """An MCAP of `chunks` zstd chunks that each inflate to `inflated` bytes. `indexed`:
    summary, chunk and message indexes (else a streamed file, read by a linear scan).
    `declared`: the uncompressed size the chunks claim (default: the truth); the zstd
    frames then carry no content size, so only decompressing tells the lie."""
    records = _records(inflated)
    if declared is None:
        payload = zstandard.ZstdCompressor().compress(records)
    else:
        payload = _frame_without_size(records)
    crc = zlib.crc32(records)
    size = inflated if declared is None else declared
    out = bytearray(MAGIC)
    sch = Schema(id=1, name=schema, encoding="ros2msg", data=b"")
    chan = Channel(id=1, topic=topic, message_encoding="cdr", schema_id=1, metadata={})
    _write(out, Header(profile="ros2", library="keystone-tests bomb"), sch, chan)
    indexes = []
    for i in range(chunks):
        t = T0 + i * STEP_NS
        chunk = Chunk(
            message_start_time=t,
            message_end_time=t,
            uncompressed_size=size,
            uncompressed_crc=crc,
            compression="zstd",
            data=payload,
        )
        at = _write(out, chunk)
        length = len(out) - at
        mi_at = _write(out, MessageIndex(channel_id=1, records=[(t, 0)]))
        indexes.append(
            ChunkIndex(
                message_start_time=t,
                message_end_time=t,
                chunk_start_offset=at,
                chunk_length=length,
                message_index_offsets={1: mi_at},
                message_index_length=len(out) - mi_at,
                compression="zstd",
                compressed_size=len(payload),
                uncompressed_size=size,
            )
        )
    _write(out, DataEnd(data_section_crc=0))
    if not indexed:
        _write(out, Footer(summary_start=0, summary_offset_start=0, summary_crc=0))
        return bytes(out + MAGIC)
    stats = Statistics(
        message_count=chunks,
        schema_count=1,
        channel_count=1,
        attachment_count=0,
        metadata_count=0,
        chunk_count=chunks,
        message_start_time=T0,
        message_end_time=T0 + (chunks - 1) * STEP_NS,
        channel_message_counts={1: chunks},
    )
    summary_at = _write(out, sch, chan, stats, *indexes)
    _write(out, Footer(summary_start=summary_at, summary_offset_start=0, summary_crc=0))
    return bytes(out + MAGIC)


def _frame_without_size(data: bytes) -> bytes:
    """Streamed compression: the frame does not say how much comes out."""
    cctx = zstandard.ZstdCompressor(write_content_size=False)
    obj = cctx.compressobj()
    return obj.compress(data) + obj.flush()
