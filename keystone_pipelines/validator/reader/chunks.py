"""Opening chunks with bounded memory and work: a chunk may lie about its uncompressed
size, and a zstd frame may lie about its content size, so output is capped before anything
is allocated, the validation's decompression budget (budget.py) is charged before each
chunk is opened, and the CRC of what came out is checked."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from keystone_pipelines.validator.reader.budget import DecompressionBudget
from keystone_pipelines.validator.records import (
    Buf,
    ChunkHead,
    Cursor,
    FormatError,
    parse_chunk_head,
)

DEFAULT_MAX_CHUNK = 64 * 1024 * 1024  # Axon writes 4 MiB chunks, mcap defaults to 1 MiB


class ChunkError(FormatError):
    """A chunk that cannot be opened: unknown compression, too large, corrupt, wrong size."""


@dataclass
class OpenedChunk:
    head: ChunkHead
    records: Buf
    crc_ok: bool | None  # None: the writer left the CRC at zero


def decompress(
    compression: str,
    data: Buf,
    size: int,
    cap: int = DEFAULT_MAX_CHUNK,
    budget: DecompressionBudget | None = None,
    at: int = 0,
) -> Buf:
    """Exactly `size` bytes from `data`, or ChunkError (BudgetExceeded when the budget
    cannot pay for `size`). Never allocates more than min(size, cap) + a small margin,
    whatever the compressed stream claims."""
    if size > cap:
        raise ChunkError(f"declares {size} uncompressed bytes, above the {cap}-byte limit")
    if compression == "":
        out: Buf = data  # stored: nothing to inflate, nothing charged
    elif compression in ("zstd", "lz4"):
        if budget is not None:
            budget.take(size, at)
        # A decompressor that fails part-way did the work: its reservation stays spent.
        out = _zstd(data, size) if compression == "zstd" else _lz4(data, size)
        if budget is not None:
            budget.settle(size, len(out))  # at most size + 1: the decompressors stop there
    else:
        raise ChunkError(f"unknown compression {compression!r}")
    if len(out) != size:
        raise ChunkError(f"decompresses to {len(out)} bytes, declares {size}")
    return out


def _zstd(data: Buf, size: int) -> bytes:
    import zstandard

    try:
        declared = zstandard.frame_content_size(data)
    except zstandard.ZstdError as exc:
        raise ChunkError(f"zstd: {exc}") from exc
    dctx = zstandard.ZstdDecompressor()
    try:
        if declared == size:  # the fast one-shot path allocates the declared size: checked
            out: bytes = dctx.decompress(data)
            return out
        if declared >= 0:
            raise ChunkError(f"zstd frame declares {declared} bytes, the chunk {size}")
        # No content size in the frame: stream, reading at most size + 1 bytes.
        reader = dctx.stream_reader(bytes(data), read_across_frames=True)
        return bytes(reader.read(size + 1))
    except zstandard.ZstdError as exc:
        raise ChunkError(f"zstd: {exc}") from exc


def _lz4(data: Buf, size: int) -> bytes:
    import lz4.frame

    dec = lz4.frame.LZ4FrameDecompressor()
    try:
        out: bytes = dec.decompress(bytes(data), max_length=size + 1)
    except RuntimeError as exc:
        raise ChunkError(f"lz4: {exc}") from exc
    return out


def open_chunk(
    body: Buf, at: int, cap: int = DEFAULT_MAX_CHUNK, budget: DecompressionBudget | None = None
) -> OpenedChunk:
    """Parse a Chunk record body (after opcode and length), decompress and CRC-check it.
    BudgetExceeded (before any decompression) when `budget` cannot pay for it."""
    c = Cursor(body, what=f"Chunk record at byte {at}")
    head = parse_chunk_head(c)
    raw = memoryview(body)[head.records_pos : head.records_pos + head.records_len]
    try:
        records = decompress(head.compression, raw, head.uncompressed_size, cap, budget, at)
    except ChunkError as exc:
        raise ChunkError(f"chunk at byte {at}: {exc}") from exc
    crc_ok = None
    if head.uncompressed_crc:
        crc_ok = zlib.crc32(records) == head.uncompressed_crc
    return OpenedChunk(head, records, crc_ok)


def chunk_crc_only(
    body: Buf, at: int, cap: int = DEFAULT_MAX_CHUNK, budget: DecompressionBudget | None = None
) -> bool | None:
    """Tier 4's work per chunk: decompress and compare the CRC; the records are dropped."""
    return open_chunk(body, at, cap, budget).crc_ok
