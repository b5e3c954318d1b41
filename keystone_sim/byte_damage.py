"""Byte-level damage to a good MCAP recording, for validator tests and fault drills:
truncation, flipped bytes, a bad magic, absurd lengths, a footer pointing nowhere, a
chunk lying about its size. Each function takes the file's bytes and returns new bytes.

Content-level defects (missing topics, gaps, corrupt frames) are options of
`keystone_sim.recording.RecordingSpec`.
"""

from __future__ import annotations

import io
import os
import struct
from typing import NamedTuple

MAGIC = b"\x89MCAP0\r\n"
_FOOTER = 1 + 8 + 8 + 8 + 4


class ChunkSpan(NamedTuple):
    offset: int  # of the Chunk record
    length: int  # of the whole record
    index_offset: int | None  # of its ChunkIndex record in the summary, if any


def footer_offset(data: bytes | bytearray) -> int:
    return len(data) - len(MAGIC) - _FOOTER


def summary_start(data: bytes) -> int:
    """Where the summary section starts (0: the file has none)."""
    return int(struct.unpack_from("<Q", data, footer_offset(data) + 9)[0])


def chunks(data: bytes) -> list[ChunkSpan]:
    """The chunks of a well-formed indexed file, with their chunk index records."""
    from mcap.reader import make_reader

    summary = make_reader(io.BytesIO(data)).get_summary()
    if summary is None:
        return []
    start, end = summary_start(data), footer_offset(data)
    out = []
    for ci in summary.chunk_indexes:
        # Find the ChunkIndex record in the summary by its chunk_start_offset field.
        needle = struct.pack(
            "<QQQ", ci.message_start_time, ci.message_end_time, ci.chunk_start_offset
        )
        at = data.find(needle, start, end)
        out.append(ChunkSpan(ci.chunk_start_offset, ci.chunk_length, at - 9 if at >= 0 else None))
    return out


def truncate(data: bytes, at: int) -> bytes:
    return data[:at]


def flip_bytes(data: bytes, offset: int, count: int = 1) -> bytes:
    out = bytearray(data)
    for i in range(offset, min(offset + count, len(out))):
        out[i] ^= 0xFF
    return bytes(out)


def bad_magic(data: bytes) -> bytes:
    return b"\x89MCAQ0\r\n" + data[8:]


def set_record_length(data: bytes, record_offset: int, length: int = 2**62) -> bytes:
    """Make the record at `record_offset` claim `length` bytes (default: absurd)."""
    out = bytearray(data)
    struct.pack_into("<Q", out, record_offset + 1, length)
    return bytes(out)


def footer_past_end(data: bytes, beyond: int = 1000) -> bytes:
    """Point the footer's summary_start past the end of the file (summary CRC zeroed, so
    only the bad offset is wrong)."""
    out = bytearray(data)
    at = footer_offset(data)
    struct.pack_into("<QQI", out, at + 9, len(data) + beyond, 0, 0)
    return bytes(out)


def lie_uncompressed_size(data: bytes, chunk: ChunkSpan, size: int, where: str = "both") -> bytes:
    """Make a chunk declare `size` uncompressed bytes (e.g. 2**40, or fewer than the
    truth): in its record and its chunk index so the two agree ("both"), or in only one
    of them ("chunk", "index") so they disagree."""
    out = bytearray(data)
    if where in ("both", "chunk"):
        struct.pack_into("<Q", out, chunk.offset + 9 + 16, size)
    if where in ("both", "index") and chunk.index_offset is not None:
        # ChunkIndex: start, end, chunk_start_offset, chunk_length, map, mi_length,
        # compression, compressed_size, uncompressed_size (last field).
        rec_len = struct.unpack_from("<Q", out, chunk.index_offset + 1)[0]
        struct.pack_into("<Q", out, chunk.index_offset + 9 + rec_len - 8, size)
        _zero_summary_crc(out)
    return bytes(out)


def _zero_summary_crc(out: bytearray) -> None:
    struct.pack_into("<I", out, footer_offset(out) + 25, 0)


def random_bytes(n: int, seed: int = 0, with_magic: bool = False) -> bytes:
    """n random bytes; with_magic: framed by the MCAP magic so readers go further in."""
    import random

    body = random.Random(seed).randbytes(n)
    return MAGIC + body + MAGIC if with_magic else body


def write(path: str | os.PathLike[str], data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return os.fspath(path)
