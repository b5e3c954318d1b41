"""A sequential record walker: fed consecutive blocks of the file, it frames records and
hands each complete one to a callback, copying only records that straddle two blocks.

It never trusts a length it has not checked against the file size, never buffers more
than `max_record` bytes for one record (bigger ones are skipped, and reported by the
callback owner), and stops at the first record whose framing cannot be right, naming it.
"""

from __future__ import annotations

from collections.abc import Callable

from keystone_pipelines.validator.records import MAGIC, REC_HEAD, Op, op_name

OnRecord = Callable[[int, int, memoryview], None]  # (opcode, offset, body)
OnOversize = Callable[[int, int, int], None]  # (opcode, offset, length)
PLAUSIBLE_LENGTH = 1 << 40


class Walker:
    def __init__(
        self,
        size: int,
        on_record: OnRecord,
        on_oversize: OnOversize,
        max_record: int,
        start: int = len(MAGIC),
    ) -> None:
        self.size = size
        self.on_record = on_record
        self.on_oversize = on_oversize
        self.max_record = max_record
        self.pos = start  # absolute offset of the next unread byte we care about
        self.rec_at = start  # start of the record being assembled
        self.partial: bytearray | None = None  # a record straddling blocks, being assembled
        self.partial_op: int | None = None  # None while its 9-byte header is assembled
        self.want = 0
        self.section = "data section"
        self.footer_end: int | None = None
        self.data_end_at: int | None = None
        self.last_record = "magic"
        self.error: tuple[str, str] | None = None  # (code, message) when walking stopped

    @property
    def stopped(self) -> bool:
        return self.error is not None or self.footer_end is not None

    def feed(self, block: bytes | memoryview, block_off: int) -> None:
        view = memoryview(block)
        end = block_off + len(view)
        while not self.stopped and self.pos < end:
            i = self.pos - block_off
            if i < 0:
                raise ValueError("blocks must be consecutive")
            if self.partial is None:
                if len(view) - i >= 9:
                    opcode, length = REC_HEAD.unpack_from(view, i)
                    self._start(opcode, length, self.pos, view, i)
                else:  # the record header itself straddles two blocks
                    self.rec_at, self.partial_op, self.want = self.pos, None, 9
                    self.partial = bytearray(view[i:])
                    self.pos = end
                continue
            take = min(self.want - len(self.partial), len(view) - i)
            self.partial += view[i : i + take]
            self.pos += take
            if len(self.partial) < self.want:
                continue
            assembled, self.partial = self.partial, None
            if self.partial_op is None:
                opcode, length = REC_HEAD.unpack_from(assembled)
                self._start(opcode, length, self.rec_at, None, 0)
            else:
                self._emit(self.partial_op, self.rec_at, memoryview(assembled)[9:])

    def _start(self, opcode: int, length: int, at: int, view: memoryview | None, i: int) -> None:
        """A record header at absolute offset `at`; its bytes are at view[i:], or view is
        None when the header was assembled from two blocks."""
        remain = self.size - at - 9
        if opcode == 0 or length > PLAUSIBLE_LENGTH:
            self.error = (
                "BAD_RECORD",
                f"corrupt record at byte {at} in the {self.section} (opcode 0x{opcode:02x}, "
                f"length {length}) after a {self.last_record} record",
            )
            return
        if length > remain:
            self.error = (
                "TRUNCATED",
                f"truncated: file ends inside the {self.section} ({op_name(opcode)} record at "
                f"byte {at} claims {length} bytes, {max(remain, 0)} remain)",
            )
            return
        total = 9 + length
        self.rec_at = at
        if length > self.max_record:
            self.on_oversize(opcode, at, length)
            self.pos = at + total  # skip it without buffering
            self.last_record = op_name(opcode)
        elif view is not None and i + total <= len(view):
            self.pos = at + total
            self._emit(opcode, at, view[i + 9 : i + total])
        else:
            have = b"" if view is None else view[i:]
            self.partial = bytearray(REC_HEAD.pack(opcode, length) if view is None else have)
            self.partial_op, self.want = opcode, total
            self.pos = at + len(self.partial)
            if len(self.partial) == self.want:  # an empty record assembled from two blocks
                assembled, self.partial = self.partial, None
                self._emit(opcode, at, memoryview(assembled)[9:])

    def _emit(self, opcode: int, at: int, body: memoryview) -> None:
        self.last_record = op_name(opcode)
        if opcode == Op.DATA_END:
            self.data_end_at = at
            self.section = "summary"
        elif opcode == Op.FOOTER:
            self.footer_end = at + 9 + len(body)
            self.section = "footer"
        self.on_record(opcode, at, body)

    def finish(self) -> None:
        """End of the byte stream: name what is missing, if anything."""
        if self.error is not None:
            return
        if self.partial is not None:
            what = "record header" if self.partial_op is None else op_name(self.partial_op)
            self.error = (
                "TRUNCATED",
                f"truncated: file ends inside the {self.section} ({what} at byte {self.rec_at})",
            )
        elif self.footer_end is None:
            self.error = (
                "TRUNCATED",
                f"truncated: no footer; file ends at byte {self.size} after a complete "
                f"{self.last_record} record in the {self.section}",
            )
        elif self.size - self.footer_end != len(MAGIC):
            self.error = (
                "TRUNCATED",
                f"truncated: file ends {self.size - self.footer_end} bytes after the footer, "
                "inside the closing magic"
                if self.size - self.footer_end < len(MAGIC)
                else f"{self.size - self.footer_end - len(MAGIC)} stray bytes after the footer",
            )
