"""MCAP records, parsed defensively.

Every length read from the file is checked against the bytes actually present before it is
used, so a field claiming 2^62 bytes raises `FormatError` instead of allocating or reading
past the end. (The `mcap` package's reader trusts those lengths; this module does not.)
Trailing bytes inside a record are ignored, as the specification requires.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import IntEnum
from typing import NamedTuple

MAGIC = b"\x89MCAP0\r\n"
FOOTER_LEN = 1 + 8 + 8 + 8 + 4  # opcode, length, summary_start, summary_offset_start, crc
_U8, _U16, _U32, _U64 = (struct.Struct(f) for f in ("<B", "<H", "<I", "<Q"))
REC_HEAD = struct.Struct("<BQ")


class Op(IntEnum):
    HEADER = 0x01
    FOOTER = 0x02
    SCHEMA = 0x03
    CHANNEL = 0x04
    MESSAGE = 0x05
    CHUNK = 0x06
    MESSAGE_INDEX = 0x07
    CHUNK_INDEX = 0x08
    ATTACHMENT = 0x09
    ATTACHMENT_INDEX = 0x0A
    STATISTICS = 0x0B
    METADATA = 0x0C
    METADATA_INDEX = 0x0D
    SUMMARY_OFFSET = 0x0E
    DATA_END = 0x0F


def op_name(opcode: int) -> str:
    try:
        return Op(opcode).name.title().replace("_", "")
    except ValueError:
        return f"opcode 0x{opcode:02x}"


class FormatError(ValueError):
    """The bytes do not form the record they claim to be; the message says where and why."""


Buf = bytes | bytearray | memoryview


class Cursor:
    """Reads little-endian MCAP fields from buf[pos:end], never past `end`."""

    __slots__ = ("buf", "pos", "end", "what")

    def __init__(self, buf: Buf, pos: int = 0, end: int | None = None, what: str = "record"):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.what = what

    def left(self) -> int:
        return self.end - self.pos

    def need(self, n: int, field: str) -> None:
        if n > self.end - self.pos:
            raise FormatError(f"{self.what}: {field} needs {n} bytes, only {self.left()} left")

    def u8(self) -> int:
        self.need(1, "u8")
        self.pos += 1
        return self.buf[self.pos - 1]

    def u16(self) -> int:
        self.need(2, "u16")
        self.pos += 2
        return int(_U16.unpack_from(self.buf, self.pos - 2)[0])

    def u32(self) -> int:
        self.need(4, "u32")
        self.pos += 4
        return int(_U32.unpack_from(self.buf, self.pos - 4)[0])

    def u64(self) -> int:
        self.need(8, "u64")
        self.pos += 8
        return int(_U64.unpack_from(self.buf, self.pos - 8)[0])

    def take(self, n: int, field: str = "bytes") -> memoryview:
        self.need(n, field)
        self.pos += n
        return memoryview(self.buf)[self.pos - n : self.pos]

    def string(self) -> str:
        return bytes(self.take(self.u32(), "string")).decode("utf-8", "replace")

    def str_map(self) -> dict[str, str]:
        sub = Cursor(self.take(self.u32(), "map"), what=self.what)
        out = {}
        while sub.left():
            key = sub.string()
            out[key] = sub.string()
        return out

    def u16_u64_map(self) -> dict[int, int]:
        raw = self.take(self.u32(), "map")
        if len(raw) % 10:
            raise FormatError(
                f"{self.what}: map of {len(raw)} bytes is not a whole number of entries"
            )
        return {k: v for k, v in struct.iter_unpack("<HQ", raw)}


class Header(NamedTuple):
    profile: str
    library: str


class Footer(NamedTuple):
    summary_start: int
    summary_offset_start: int
    summary_crc: int


class Schema(NamedTuple):
    id: int
    name: str
    encoding: str
    data_len: int
    # The definition text, kept when small (the joint-state check decodes with it).
    data: bytes = b""


SCHEMA_TEXT_KEPT = 256 * 1024


class Channel(NamedTuple):
    id: int
    schema_id: int
    topic: str
    message_encoding: str
    metadata: dict[str, str]


class MessageHead(NamedTuple):
    channel_id: int
    sequence: int
    log_time: int
    publish_time: int


class ChunkHead(NamedTuple):
    message_start_time: int
    message_end_time: int
    uncompressed_size: int
    uncompressed_crc: int
    compression: str
    records_pos: int  # position of the compressed records inside the parsed buffer
    records_len: int


class ChunkIndex(NamedTuple):
    message_start_time: int
    message_end_time: int
    chunk_start_offset: int
    chunk_length: int
    message_index_offsets: dict[int, int]
    message_index_length: int
    compression: str
    compressed_size: int
    uncompressed_size: int


class Statistics(NamedTuple):
    message_count: int
    schema_count: int
    channel_count: int
    attachment_count: int
    metadata_count: int
    chunk_count: int
    message_start_time: int
    message_end_time: int
    channel_message_counts: dict[int, int]


class Metadata(NamedTuple):
    name: str
    metadata: dict[str, str]


class MetadataIndex(NamedTuple):
    offset: int
    length: int
    name: str


class AttachmentIndex(NamedTuple):
    offset: int
    length: int
    log_time: int
    create_time: int
    data_size: int
    name: str
    media_type: str


class SummaryOffset(NamedTuple):
    group_opcode: int
    group_start: int
    group_length: int


def parse(opcode: int, body: Buf, at: int = 0) -> object:
    """Parse a record body (the bytes after opcode and length). Unknown opcodes -> None."""
    c = Cursor(body, what=f"{op_name(opcode)} record at byte {at}")
    if opcode == Op.HEADER:
        return Header(c.string(), c.string())
    if opcode == Op.FOOTER:
        return Footer(c.u64(), c.u64(), c.u32())
    if opcode == Op.SCHEMA:
        sid, name, enc = c.u16(), c.string(), c.string()
        text = c.take(c.u32(), "schema data")
        kept = bytes(text) if len(text) <= SCHEMA_TEXT_KEPT else b""
        return Schema(sid, name, enc, len(text), kept)
    if opcode == Op.CHANNEL:
        return Channel(c.u16(), c.u16(), c.string(), c.string(), c.str_map())
    if opcode == Op.MESSAGE:
        return MessageHead(c.u16(), c.u32(), c.u64(), c.u64())
    if opcode == Op.CHUNK:
        return parse_chunk_head(c)
    if opcode == Op.CHUNK_INDEX:
        return ChunkIndex(
            c.u64(),
            c.u64(),
            c.u64(),
            c.u64(),
            c.u16_u64_map(),
            c.u64(),
            c.string(),
            c.u64(),
            c.u64(),
        )
    if opcode == Op.STATISTICS:
        return Statistics(
            c.u64(), c.u16(), c.u32(), c.u32(), c.u32(), c.u32(), c.u64(), c.u64(), c.u16_u64_map()
        )
    if opcode == Op.METADATA:
        return Metadata(c.string(), c.str_map())
    if opcode == Op.METADATA_INDEX:
        return MetadataIndex(c.u64(), c.u64(), c.string())
    if opcode == Op.ATTACHMENT_INDEX:
        return AttachmentIndex(c.u64(), c.u64(), c.u64(), c.u64(), c.u64(), c.string(), c.string())
    if opcode == Op.SUMMARY_OFFSET:
        return SummaryOffset(c.u8(), c.u64(), c.u64())
    if opcode == Op.DATA_END:
        return c.u32()
    return None


def parse_chunk_head(c: Cursor, with_records: bool = True) -> ChunkHead:
    """A Chunk record's fields; with_records=False parses a peek at its first bytes only."""
    start, end, usize, crc = c.u64(), c.u64(), c.u64(), c.u32()
    compression = c.string()
    records_len = c.u64()
    if with_records:
        c.need(records_len, "chunk records")
    return ChunkHead(start, end, usize, crc, compression, c.pos, records_len)


def iter_records(buf: Buf, start: int = 0, base: int = 0) -> Iterator[tuple[int, int, memoryview]]:
    """(opcode, absolute offset, body) for each record in buf[start:]; `base` is buf's
    offset in the file. Raises FormatError where a record runs past the end."""
    view = memoryview(buf)
    pos, end = start, len(view)
    while pos < end:
        if end - pos < 9:
            raise FormatError(f"{end - pos} stray bytes at byte {base + pos}, too few for a record")
        opcode, length = REC_HEAD.unpack_from(view, pos)
        if length > end - pos - 9:
            raise FormatError(
                f"{op_name(opcode)} record at byte {base + pos} claims {length} bytes, "
                f"only {end - pos - 9} remain"
            )
        yield opcode, base + pos, view[pos + 9 : pos + 9 + length]
        pos += 9 + length


def message_index_entries(body: Buf, at: int) -> tuple[int, memoryview]:
    """(channel id, raw (log_time, offset) u64 pairs) of a MessageIndex record body."""
    c = Cursor(body, what=f"MessageIndex record at byte {at}")
    channel_id = c.u16()
    raw = c.take(c.u32(), "entries")
    if len(raw) % 16:
        raise FormatError(f"MessageIndex record at byte {at}: entries are not 16-byte pairs")
    return channel_id, raw
