"""Tier 2: every chunk's message indexes, read directly (no chunk is decompressed).

The MessageIndex records sit right after their chunk; one read per chunk fetches them plus
the first bytes of the next chunk, so each chunk index is checked against the chunk record
it points at for free. The result gives exact per-topic times, counts and gaps.
"""

from __future__ import annotations

import numpy as np

from keystone_pipelines.validator.reader.model import ChunkMessages, FileInfo, MessageMap
from keystone_pipelines.validator.records import (
    ChunkIndex,
    Cursor,
    FormatError,
    Op,
    iter_records,
    message_index_entries,
    parse_chunk_head,
)
from keystone_pipelines.validator.sources import Source

HEAD_PEEK = 64  # enough for a chunk record's fields up to its compression name
MAX_INDEX_BYTES = 64 * 1024 * 1024  # ~2.5 MB per GB of Axon recording


def read_message_indexes(src: Source, info: FileInfo) -> MessageMap | None:
    """The message map from message indexes, or None (with a finding saying why) when the
    file has no usable index and needs a linear scan."""
    stats = info.statistics
    if not info.chunk_indexes:
        if stats is not None and stats.message_count == 0:
            return MessageMap(method="summary")
        info.add("warning", "NO_CHUNK_INDEX", "no chunk index: assessed by linear scan")
        return None
    if any(not ci.message_index_offsets for ci in info.chunk_indexes):
        info.add("warning", "NO_MESSAGE_INDEX", "no message indexes: assessed by linear scan")
        return None
    if info.errors():  # the summary omits channels the chunks use: only a scan sees them all
        return None
    cis = sorted(info.chunk_indexes, key=lambda c: c.chunk_start_offset)
    if sum(ci.message_index_length for ci in cis) > MAX_INDEX_BYTES:
        info.add("warning", "INDEX_TOO_LARGE", "message indexes too large: linear scan")
        return None
    blobs = src.read_many(_ranges(cis))
    mm = MessageMap(method="message_indexes")
    try:
        _check_chunk_heads(cis, blobs)
        for i, ci in enumerate(cis):
            mi_blob = memoryview(blobs[2 * i + 1])[: ci.message_index_length]
            mm.chunks.append(_chunk_messages(ci, mi_blob))
    except FormatError as exc:
        info.add("error", "BAD_MESSAGE_INDEX", f"message index unusable: {exc}")
        return None
    if not _counts_agree(info, mm):
        return None
    return mm


def _ranges(cis: list[ChunkIndex]) -> list[tuple[int, int]]:
    out = []
    for ci in cis:
        out.append((ci.chunk_start_offset, HEAD_PEEK))
        out.append((ci.chunk_start_offset + ci.chunk_length, ci.message_index_length))
    return out


def _check_chunk_heads(cis: list[ChunkIndex], blobs: list[bytes]) -> None:
    """Each chunk index must point at a Chunk record that agrees with it."""
    for i, ci in enumerate(cis):
        head = blobs[2 * i]
        at = ci.chunk_start_offset
        if len(head) < 9 or head[0] != Op.CHUNK:
            raise FormatError(f"chunk index {i} points at byte {at}, which is not a Chunk record")
        length = int.from_bytes(head[1:9], "little")
        if length != ci.chunk_length - 9:
            raise FormatError(
                f"chunk record at byte {at} claims {length} bytes, its index says "
                f"{ci.chunk_length - 9}"
            )
        try:
            peek = Cursor(head, 9, what=f"Chunk record at byte {at}")
            ch = parse_chunk_head(peek, with_records=False)
        except FormatError:
            continue  # fields past the peek window (e.g. a long compression name)
        if (ch.uncompressed_size, ch.compression, ch.records_len) != (
            ci.uncompressed_size,
            ci.compression,
            ci.compressed_size,
        ):
            raise FormatError(f"chunk record at byte {at} disagrees with its chunk index")


def _chunk_messages(ci: ChunkIndex, blob: memoryview) -> ChunkMessages:
    base = ci.chunk_start_offset + ci.chunk_length
    if len(blob) < ci.message_index_length:
        raise FormatError(f"message indexes after the chunk at byte {ci.chunk_start_offset} cut")
    by_channel: dict[int, np.ndarray] = {}
    wanted = {off: cid for cid, off in ci.message_index_offsets.items()}
    for opcode, at, body in iter_records(blob, 0, base):
        if opcode != Op.MESSAGE_INDEX:
            continue
        channel_id, raw = message_index_entries(body, at)
        if wanted.pop(at, None) != channel_id:
            raise FormatError(f"MessageIndex at byte {at} is not where its chunk index says")
        arr = np.frombuffer(raw, dtype="<u8").reshape(-1, 2)
        if len(arr) and (
            int(arr[:, 1].max()) >= ci.uncompressed_size
            or int(arr[:, 0].min()) < ci.message_start_time
            or int(arr[:, 0].max()) > ci.message_end_time
        ):
            raise FormatError(f"MessageIndex at byte {at} has entries outside its chunk")
        by_channel[channel_id] = arr
    if wanted:
        raise FormatError(f"chunk index at {ci.chunk_start_offset} names missing message indexes")
    return ChunkMessages(
        offset=ci.chunk_start_offset,
        length=ci.chunk_length,
        compression=ci.compression,
        compressed_size=ci.compressed_size,
        uncompressed_size=ci.uncompressed_size,
        by_channel=by_channel,
    )


def _counts_agree(info: FileInfo, mm: MessageMap) -> bool:
    stats = info.statistics
    if stats is None:
        return True
    counts: dict[int, int] = {}
    for chunk in mm.chunks:
        for cid, arr in chunk.by_channel.items():
            counts[cid] = counts.get(cid, 0) + len(arr)
    total = sum(counts.values())
    if stats.channel_message_counts:
        for cid in set(counts) | set(stats.channel_message_counts):
            got, want = counts.get(cid, 0), stats.channel_message_counts.get(cid, 0)
            if got != want:
                info.add(
                    "error",
                    "INDEX_COUNT_MISMATCH",
                    f"message indexes count {got} messages on {info.topic_of(cid)}, "
                    f"statistics say {want}: assessed by linear scan",
                )
                return False
    if total != stats.message_count:
        # Messages outside chunks are not in any message index: only a scan finds them.
        info.add(
            "warning" if total < stats.message_count else "error",
            "MESSAGES_OUTSIDE_INDEX",
            f"indexes hold {total} of {stats.message_count} messages: assessed by linear scan",
        )
        return False
    return True
