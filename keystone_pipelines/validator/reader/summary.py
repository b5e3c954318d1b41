"""Tier 1: magic, header, footer, summary section, statistics and metadata records.

Reads the first 4 KiB, the last 64 KiB and, when the summary is longer, the rest of it:
well under a megabyte for a multi-gigabyte recording.
"""

from __future__ import annotations

import zlib

from keystone_pipelines.validator.reader.model import FileInfo
from keystone_pipelines.validator.records import (
    FOOTER_LEN,
    MAGIC,
    REC_HEAD,
    AttachmentIndex,
    Channel,
    ChunkIndex,
    FormatError,
    Metadata,
    MetadataIndex,
    Op,
    Schema,
    Statistics,
    SummaryOffset,
    iter_records,
    op_name,
    parse,
)
from keystone_pipelines.validator.sources import Source

HEAD_BYTES = 4096
TAIL_BYTES = 64 * 1024
MAX_SUMMARY = 16 * 1024 * 1024  # bounded memory; an 8 GB Axon file has ~1 MB of summary
MAX_METADATA = 1024 * 1024  # per record
MAX_METADATA_TOTAL = 8 * 1024 * 1024


def read_summary(src: Source) -> FileInfo:
    info = FileInfo(size=src.size)
    if src.size == 0:
        info.readable = False
        info.add("error", "EMPTY", "empty file (0 bytes)")
        return info
    head = src.read(0, min(src.size, HEAD_BYTES))
    if not head.startswith(MAGIC):
        info.readable = False
        if MAGIC.startswith(head):
            info.add("error", "TRUNCATED", f"truncated: file ends inside the magic ({src.size} B)")
        else:
            info.add("error", "BAD_MAGIC", f"bad magic: file starts with {head[:8].hex()}")
        return info
    _read_header(src, head, info)
    if src.size < len(MAGIC) * 2 + FOOTER_LEN + 9:
        info.add("error", "TRUNCATED", f"truncated: {src.size} bytes leave no room for a footer")
        return info
    tail_start = max(0, src.size - TAIL_BYTES)
    tail = src.read(tail_start, src.size - tail_start)
    if not tail.endswith(MAGIC):
        # The linear scan names the exact place; here we only know the end is wrong.
        info.add("error", "NO_CLOSING_MAGIC", "file does not end with the MCAP magic (truncated?)")
        return info
    footer_pos = src.size - len(MAGIC) - FOOTER_LEN
    opcode, length = REC_HEAD.unpack_from(tail, footer_pos - tail_start)
    if opcode != Op.FOOTER or length < FOOTER_LEN - 9:
        info.add("error", "BAD_FOOTER", f"no footer record at byte {footer_pos}")
        return info
    footer = parse(Op.FOOTER, tail[footer_pos - tail_start + 9 :], footer_pos)
    assert footer is not None
    info.footer = footer  # type: ignore[assignment]
    _read_data_end(src, info, footer_pos, tail_start, tail)
    _read_summary_section(src, info, footer_pos, tail_start, tail)
    return info


def _read_data_end(
    src: Source, info: FileInfo, footer_pos: int, tail_start: int, tail: bytes
) -> None:
    """The DataEnd record just before the summary (or the footer): its data-section CRC
    tells tier 4 whether there is a CRC to verify (0: not written, as with Axon)."""
    assert info.footer is not None
    end = info.footer.summary_start or footer_pos
    at = end - 13
    if not 8 < at <= footer_pos:
        return
    raw = tail[at - tail_start : end - tail_start] if at >= tail_start else src.read(at, 13)
    if len(raw) == 13 and raw[0] == Op.DATA_END and int.from_bytes(raw[1:9], "little") == 4:
        info.data_crc = int.from_bytes(raw[9:13], "little")


def _read_header(src: Source, head: bytes, info: FileInfo) -> None:
    try:
        if len(head) < 17:
            raise FormatError(f"truncated: file ends inside the header record ({src.size} B)")
        opcode, length = REC_HEAD.unpack_from(head, 8)
        if opcode != Op.HEADER:
            raise FormatError(f"first record is {op_name(opcode)}, not a Header")
        if length > src.size - 17:
            raise FormatError(f"Header record claims {length} bytes, only {src.size - 17} remain")
        body = head[17 : 17 + length] if 17 + length <= len(head) else src.read(17, length)
        info.header = parse(Op.HEADER, body, 8)  # type: ignore[assignment]
    except FormatError as exc:
        info.add("error", "BAD_HEADER", str(exc))


def _read_summary_section(
    src: Source, info: FileInfo, footer_pos: int, tail_start: int, tail: bytes
) -> None:
    footer = info.footer
    assert footer is not None
    start = footer.summary_start
    if start == 0:
        info.add("warning", "NO_SUMMARY", "no summary section: assessed by linear scan")
        return
    if not 8 <= start <= footer_pos:
        info.add(
            "error",
            "FOOTER_OUT_OF_RANGE",
            f"footer points past the end: summary_start={start}, file size {src.size}",
        )
        return
    if footer.summary_offset_start and not start <= footer.summary_offset_start <= footer_pos:
        info.add(
            "error",
            "FOOTER_OUT_OF_RANGE",
            f"footer's summary_offset_start={footer.summary_offset_start} is outside the summary",
        )
        return
    if footer_pos - start > MAX_SUMMARY:
        info.add(
            "error", "SUMMARY_TOO_LARGE", f"summary of {footer_pos - start} bytes is too large"
        )
        return
    if start >= tail_start:
        section = tail[start - tail_start : footer_pos - tail_start + FOOTER_LEN]
    else:
        section = src.read(start, tail_start - start) + tail[: footer_pos - tail_start + FOOTER_LEN]
    summary_len = footer_pos - start
    if footer.summary_crc:
        # CRC of the summary plus the footer's fields before the CRC itself.
        crc = zlib.crc32(memoryview(section)[: summary_len + FOOTER_LEN - 4])
        if crc != footer.summary_crc:
            info.add("error", "SUMMARY_CRC", "summary CRC mismatch: summary unusable")
            return
    try:
        _parse_summary(info, memoryview(section)[:summary_len], start)
    except FormatError as exc:
        info.add("error", "SUMMARY_UNREADABLE", f"summary unreadable: {exc}")
        info.chunk_indexes.clear()
        return
    info.summary_usable = True
    _check_summary(info, start)
    _read_metadata(src, info)


def _parse_summary(info: FileInfo, section: memoryview, base: int) -> None:
    offsets: list[SummaryOffset] = []
    seen: dict[int, tuple[int, int]] = {}  # opcode -> span, for summary offset checks
    for opcode, at, body in iter_records(section, 0, base):
        rec = parse(opcode, body, at)
        lo, hi = seen.get(opcode, (at, at))
        seen[opcode] = (min(lo, at), max(hi, at + 9 + len(body)))
        if isinstance(rec, Schema):
            info.schemas[rec.id] = rec
            info.summary_schema_ids.add(rec.id)
        elif isinstance(rec, Channel):
            info.channels[rec.id] = rec
            info.summary_channel_ids.add(rec.id)
        elif isinstance(rec, Statistics):
            info.statistics = rec
        elif isinstance(rec, ChunkIndex):
            info.chunk_indexes.append(rec)
        elif isinstance(rec, MetadataIndex):
            info.metadata_indexes.append(rec)
        elif isinstance(rec, AttachmentIndex):
            info.attachment_indexes.append(rec)
        elif isinstance(rec, SummaryOffset):
            offsets.append(rec)
        elif opcode in (Op.MESSAGE, Op.CHUNK, Op.HEADER, Op.FOOTER):
            info.add("warning", "UNEXPECTED_RECORD", f"{op_name(opcode)} in the summary at {at}")
    for so in offsets:
        lo, hi = seen.get(so.group_opcode, (-1, -1))
        if (so.group_start, so.group_start + so.group_length) != (lo, hi) and so.group_length:
            info.add(
                "warning",
                "SUMMARY_OFFSET_MISMATCH",
                f"summary offset for {op_name(so.group_opcode)} does not match its group",
            )


def _check_summary(info: FileInfo, summary_start: int) -> None:
    """Index consistency visible from the summary alone."""
    indexed = bool(info.chunk_indexes)
    for ch in info.channels.values():
        if ch.schema_id and ch.schema_id not in info.schemas:
            info.add(
                "error" if indexed else "info",
                "INDEXED_SCHEMA_MISSING_FROM_SUMMARY",
                f"summary channel {ch.id} ({ch.topic}) uses schema {ch.schema_id}, "
                "which the summary omits",
            )
    missing = sorted(
        {cid for ci in info.chunk_indexes for cid in ci.message_index_offsets} - set(info.channels)
    )
    if missing:
        info.add(
            "error",
            "INDEXED_CHANNEL_MISSING_FROM_SUMMARY",
            f"chunk indexes use channels {missing[:10]} that the summary omits",
        )
    stats = info.statistics
    if stats:
        orphans = sorted(set(stats.channel_message_counts) - set(info.channels))
        if orphans:
            info.add(
                "error",
                "STATISTICS_CHANNEL_MISSING_FROM_SUMMARY",
                f"statistics count messages on channels {orphans[:10]} that the summary omits",
            )
        if indexed and stats.chunk_count != len(info.chunk_indexes):
            info.add(
                "error",
                "STATISTICS_CHUNK_COUNT",
                f"statistics say {stats.chunk_count} chunks, the summary indexes "
                f"{len(info.chunk_indexes)}",
            )
        counted = sum(stats.channel_message_counts.values())
        if stats.channel_message_counts and counted != stats.message_count:
            info.add(
                "error",
                "STATISTICS_INCONSISTENT",
                f"statistics: message_count {stats.message_count} but channels sum to {counted}",
            )
    prev_end = 8
    for i, ci in enumerate(sorted(info.chunk_indexes, key=lambda c: c.chunk_start_offset)):
        end = ci.chunk_start_offset + ci.chunk_length
        if ci.chunk_start_offset < prev_end or end + ci.message_index_length > summary_start:
            info.add(
                "error",
                "CHUNK_INDEX_OUT_OF_RANGE",
                f"chunk index {i} points at bytes {ci.chunk_start_offset}..{end}, outside the "
                "data section or overlapping another chunk",
            )
            info.summary_usable = False
            return
        prev_end = end


def _read_metadata(src: Source, info: FileInfo) -> None:
    wanted = [m for m in info.metadata_indexes if 9 < m.length <= MAX_METADATA]
    wanted = [m for m in wanted if m.offset + m.length <= src.size][:256]
    while sum(m.length for m in wanted) > MAX_METADATA_TOTAL:
        wanted.pop()
    if len(wanted) < len(info.metadata_indexes):
        info.add("warning", "METADATA_INDEX", "some metadata indexes are out of range or too long")
    for m, raw in zip(wanted, src.read_many([(m.offset, m.length) for m in wanted]), strict=True):
        try:
            opcode, length = REC_HEAD.unpack_from(raw, 0)
            if opcode != Op.METADATA or length > len(raw) - 9:
                raise FormatError(f"no Metadata record at byte {m.offset}")
            rec = parse(Op.METADATA, memoryview(raw)[9 : 9 + length], m.offset)
            assert isinstance(rec, Metadata)
            info.metadata[rec.name] = rec.metadata
        except FormatError as exc:
            info.add("warning", "METADATA_UNREADABLE", f"metadata {m.name!r}: {exc}")
