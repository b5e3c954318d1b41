"""The streaming record walker frames records identically whatever the block size
(records straddling blocks, headers split in two), and the scan agrees with the index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from keystone_pipelines.validator import BytesSource
from keystone_pipelines.validator.reader import stream
from keystone_pipelines.validator.reader.indexes import read_message_indexes
from keystone_pipelines.validator.reader.summary import read_summary
from keystone_pipelines.validator.reader.walk import Walker
from keystone_pipelines.validator.records import MAGIC, Op, iter_records
from keystone_sim.recording import RecordingFacts


def _walk(data: bytes, block: int) -> tuple[list[tuple[int, int, bytes]], Walker]:
    seen: list[tuple[int, int, bytes]] = []
    w = Walker(
        len(data), lambda op, at, body: seen.append((op, at, bytes(body))), lambda *a: None, 1 << 30
    )
    for off in range(0, len(data), block):
        w.feed(data[off : off + block], off)
    w.finish()
    return seen, w


@pytest.fixture(scope="module")
def tiny(make_recording: Callable[..., RecordingFacts]) -> bytes:
    facts = make_recording("tiny", width=64, height=48, duration_s=1.0, chunk_size=16 * 1024)
    return Path(facts.path).read_bytes()


@pytest.mark.parametrize("which", ["tiny", "good"])
def test_block_size_does_not_matter(tiny: bytes, good_bytes: bytes, which: str) -> None:
    data = tiny if which == "tiny" else good_bytes
    expected = [
        (op, at, bytes(body)) for op, at, body in iter_records(data[: -len(MAGIC)], len(MAGIC))
    ]
    blocks = (1, 7, 9, 4096) if which == "tiny" else (4096, 65537, len(data))
    for block in blocks:
        seen, w = _walk(data, block)
        assert seen == expected and w.error is None and w.footer_end == len(data) - len(MAGIC)
        cut, _ = _walk(data[: len(data) // 2], block)
        assert cut == [e for e in expected if e[1] + 9 + len(e[2]) <= len(data) // 2]


@pytest.mark.parametrize("block", [5, 9, 100, 1 << 20])
def test_scan_matches_message_indexes(
    tiny: bytes, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "BLOCK", block)
    src = BytesSource(tiny)
    info = read_summary(src)
    indexed = read_message_indexes(src, info)
    assert indexed is not None
    scanned = stream.stream_pass(src, info, hash_file=True, collect=True).messages
    assert scanned is not None and len(scanned.chunks) == len(indexed.chunks)
    for a, b in zip(indexed.chunks, scanned.chunks, strict=True):
        assert a.offset == b.offset and set(a.by_channel) == set(b.by_channel)
        for cid in a.by_channel:
            assert np.array_equal(a.by_channel[cid], b.by_channel[cid])


def test_oversized_records_are_skipped_not_buffered() -> None:
    big = bytes([Op.ATTACHMENT]) + (1000).to_bytes(8, "little") + bytes(1000)
    data = MAGIC + big + bytes([Op.DATA_END]) + (4).to_bytes(8, "little") + bytes(4)
    skipped: list[int] = []
    w = Walker(len(data), lambda *a: None, lambda op, at, n: skipped.append(n), max_record=100)
    for off in range(0, len(data), 64):
        w.feed(data[off : off + 64], off)
    w.finish()
    assert skipped == [1000] and w.data_end_at == 8 + 1009
    assert w.error is not None and "no footer" in w.error[1]
