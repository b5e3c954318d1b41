"""One streaming pass over the whole file: the linear scan (tier 2's fallback), the
integrity pass (tier 4), or both at once.

The calling thread reads blocks, frames records and feeds SHA-256 (hashlib releases the
GIL); chunks go to worker threads that decompress and CRC them (zstd, lz4 and zlib release
the GIL too) and, for a scan, list their messages. In-flight work is bounded, so memory
stays at a few blocks plus a few chunks whatever the file size.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from keystone_pipelines.validator.cpu import metered
from keystone_pipelines.validator.reader.budget import BudgetExceeded, DecompressionBudget
from keystone_pipelines.validator.reader.chunks import DEFAULT_MAX_CHUNK, ChunkError, open_chunk
from keystone_pipelines.validator.reader.model import ChunkMessages, FileInfo, MessageMap
from keystone_pipelines.validator.reader.scan import ScanCollector, index_chunk_records
from keystone_pipelines.validator.reader.walk import Walker
from keystone_pipelines.validator.records import Buf, FormatError, Op, op_name
from keystone_pipelines.validator.sources import Source

BLOCK = 4 * 1024 * 1024
# Bytes that chunks handed to the workers may hold at once: the buffers their compressed
# bytes live in plus their decompressed size. With the hasher's queue and the record being
# assembled, a pass stays under ~200 MB above the interpreter whatever the file says.
IN_FLIGHT_BYTES = 96 * 1024 * 1024


@dataclass
class StreamResult:
    sha256: str | None = None
    chunks: int = 0
    chunks_crc_checked: int = 0
    crc_errors: list[str] = field(default_factory=list)  # tier 4 findings (integrity)
    chunks_refused: int = 0  # not opened: the decompression budget was spent
    data_crc_ok: bool | None = None
    complete: bool = False  # the whole file was framed without error
    messages: MessageMap | None = None


@dataclass
class _ChunkOutcome:
    crc_ok: bool | None
    error: str | None = None
    messages: ChunkMessages | None = None
    extra: object = None
    refused: bool = False


def stream_pass(
    src: Source,
    info: FileInfo,
    *,
    hash_file: bool,
    collect: bool,
    workers: int = 2,
    max_chunk: int = DEFAULT_MAX_CHUNK,
    on_records: Callable[[int, Buf], None] | None = None,
    wanted: frozenset[int] = frozenset(),
    budget: DecompressionBudget | None = None,
) -> StreamResult:
    """Read the file once. `collect`: build the message map (linear scan); `hash_file`:
    SHA-256 of every byte. Chunk CRCs are checked whenever chunks are opened.
    `on_records(offset, records)` receives the decompressed records of the chunks whose
    file offsets are in `wanted` (the frame sample riding on this pass). Chunks the
    `budget` cannot pay for are counted in `chunks_refused` and left closed; the file is
    still read (and hashed) to its end."""
    res = StreamResult()
    collector = ScanCollector(info) if collect else None
    pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="mcap-chunk")
    in_flight = _Budget(IN_FLIGHT_BYTES)
    futures: list[tuple[int, Future[_ChunkOutcome]]] = []

    def work(body: memoryview, at: int, cost: int) -> _ChunkOutcome:
        try:
            opened = open_chunk(body, at, max_chunk, budget)
            if on_records is not None and at in wanted:
                on_records(at, opened.records)
            if collector is None:
                return _ChunkOutcome(opened.crc_ok)
            msgs, extra = index_chunk_records(opened, at, 9 + len(body))
            return _ChunkOutcome(opened.crc_ok, messages=msgs, extra=extra)
        except BudgetExceeded:
            return _ChunkOutcome(None, refused=True)
        except (ChunkError, FormatError) as exc:
            return _ChunkOutcome(None, error=str(exc))
        finally:
            in_flight.release(cost)

    charged = metered(work)

    def on_record(opcode: int, at: int, body: memoryview) -> None:
        if opcode == Op.CHUNK:
            res.chunks += 1
            cost = in_flight.acquire(_chunk_cost(body, max_chunk))
            futures.append((at, pool.submit(charged, body, at, cost)))
            return
        if opcode == Op.DATA_END and len(body) >= 4:
            data_crc.expected = int.from_bytes(body[:4], "little")
        if collector is not None:
            collector.top_level(opcode, at, body)

    def on_oversize(opcode: int, at: int, length: int) -> None:
        if opcode in (Op.CHUNK, Op.MESSAGE):
            info.add(
                "error",
                "RECORD_TOO_LARGE",
                f"{op_name(opcode)} record at byte {at} of {length} bytes is above the "
                f"{max_chunk}-byte limit: not read",
            )

    data_crc = _DataCrc(info.data_crc)
    walker = Walker(src.size, on_record, on_oversize, max_record=max_chunk + 1024)
    hasher = _Hasher() if hash_file else None
    offset = 0
    try:
        for block in src.blocks(BLOCK):
            if hasher is not None:
                hasher.put(block)
            walker.feed(block, offset)
            data_crc.update(block, offset, walker.data_end_at)
            offset += len(block)
            if walker.stopped and hasher is None:
                break
        walker.finish()
    finally:
        pool.shutdown(wait=True)
        res.sha256 = hasher.close() if hasher is not None else None
    res.complete = walker.error is None
    if walker.error is not None:
        info.add("error", *walker.error)
    res.data_crc_ok = data_crc.verdict()
    _gather(res, info, futures, collector)
    return res


def _gather(
    res: StreamResult,
    info: FileInfo,
    futures: list[tuple[int, Future[_ChunkOutcome]]],
    collector: ScanCollector | None,
) -> None:
    chunks = []
    for at, fut in futures:
        out = fut.result()
        if out.refused:
            res.chunks_refused += 1
            continue
        if out.error is not None:
            info.add("error", "CHUNK_UNREADABLE", out.error)
            res.crc_errors.append(out.error)
            continue
        if out.crc_ok is not None:
            res.chunks_crc_checked += 1
            if not out.crc_ok:
                res.crc_errors.append(f"chunk at byte {at}: CRC mismatch")
        if out.messages is not None:
            chunks.append(out.messages)
        if collector is not None:
            collector.chunk_extra(out.extra, at)
    if collector is not None:
        # Messages of a chunk left closed are unknown: the map is partial.
        complete = res.complete and not res.chunks_refused
        res.messages = collector.result(chunks, complete=complete)


def _chunk_cost(body: memoryview, max_chunk: int) -> int:
    backing = body.obj if isinstance(body.obj, bytes | bytearray) else body
    usize = int.from_bytes(body[16:24], "little") if len(body) >= 24 else 0
    return len(backing) + min(usize, max_chunk)


class _Budget:
    """A byte budget taken by the one reading thread and given back by the workers."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.free = capacity
        self.cond = threading.Condition()

    def acquire(self, n: int) -> int:
        n = min(n, self.capacity)  # one oversized chunk still gets through, alone
        with self.cond:
            self.cond.wait_for(lambda: self.free >= n)
            self.free -= n
        return n

    def release(self, n: int) -> None:
        with self.cond:
            self.free += n
            self.cond.notify()


class _Hasher:
    """SHA-256 in its own thread, so hashing (the longest job) never waits for reading
    and framing; the queue bound keeps at most a few blocks in memory."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(
            target=metered(self._run), name="mcap-sha256", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        while (block := self.queue.get()) is not None:
            self.sha.update(block)

    def put(self, block: bytes) -> None:
        self.queue.put(block)

    def close(self) -> str:
        self.queue.put(None)
        self.thread.join()
        return self.sha.hexdigest()


class _DataCrc:
    """CRC-32 of the data section (file start up to the DataEnd record), computed only
    when the file may declare one; Axon leaves it at zero, and zero means "not written"."""

    def __init__(self, declared: int | None) -> None:
        self.on = declared != 0  # None: unknown before the scan reaches DataEnd
        self.crc = 0
        self.pending: list[tuple[int, bytes]] = []  # one block behind: DataEnd may straddle
        self.done = False
        self.expected: int | None = None

    def update(self, block: bytes, offset: int, data_end_at: int | None) -> None:
        if not self.on or self.done:
            return
        self.pending.append((offset, block))
        if data_end_at is None:
            while len(self.pending) > 1:
                self.crc = zlib.crc32(self.pending.pop(0)[1], self.crc)
            return
        for off, blk in self.pending:
            self.crc = zlib.crc32(memoryview(blk)[: max(0, data_end_at - off)], self.crc)
        self.pending.clear()
        self.done = True

    def verdict(self) -> bool | None:
        """True/False when a data CRC was declared and checked, None otherwise."""
        if not self.done or not self.expected:
            return None
        return self.crc == self.expected
