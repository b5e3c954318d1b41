"""How many bytes one validation may decompress: a budget relative to the file's size.

The per-chunk cap (chunks.DEFAULT_MAX_CHUNK) bounds memory, not work: a 265 KB file of
120 zstd chunks that each inflate to 64 MiB of zeros made the validator decompress
7.5 GB (2 s for the frame sample, 7 s with the integrity pass, the files still "passed"
structure and integrity). So all chunks of one validation share one budget of
max(INFLATION_FLOOR, MAX_INFLATION x file size) bytes, charged with each chunk's declared
uncompressed size before it is decompressed; the decompressors never return more than
that declared size (+1 byte to catch the lie), so the budget also holds on actual output.
A chunk refused by the budget is not a defect of the file: the checks that needed it
answer "not assessed" with `reason()`, and a person looks.

MAX_INFLATION, from real data (decompressed bytes / file size, whole file and worst
chunk): Axon's real recordings 2.7x (text payloads) and 64x (77x one chunk: the same JPEG
published over and over); keystone_sim's Axon layout 3.7x (zstd), 1.0x (lz4), 5.8x with a
raw camera, 32x with a single repeated frame; the MCAP conformance files under 1x. 1000x
leaves a 13x margin over the worst of them: e.g. a camera with its lens cap on, whose raw
frames compress to almost nothing, still fits beside the joint states.
"""

from __future__ import annotations

import threading

from keystone_pipelines.validator.records import FormatError

INFLATION_FLOOR = 64 * 1024 * 1024  # small files may still open one full-size chunk
MAX_INFLATION = 1000


class BudgetExceeded(FormatError):
    """This chunk would take the validation past its decompression budget."""


class DecompressionBudget:
    """Bytes left to decompress, shared by the threads that open chunks."""

    def __init__(
        self, file_size: int, ratio: float = MAX_INFLATION, floor: int = INFLATION_FLOOR
    ) -> None:
        self.file_size = file_size
        self.ratio, self.floor = ratio, floor
        self.limit = max(floor, int(ratio * file_size))
        self.spent = 0
        self._refused: dict[int, int] = {}  # file offset -> declared size, of chunks left closed
        self._lock = threading.Lock()

    def take(self, size: int, at: int) -> None:
        """Reserve `size` bytes for the chunk at byte `at`, or BudgetExceeded."""
        with self._lock:
            if self.spent + size > self.limit:
                self._refused[at] = size  # by offset: tiers 3 and 4 may both ask for it
                raise BudgetExceeded(
                    f"chunk at byte {at} declares {size} uncompressed bytes, beyond the "
                    f"decompression budget ({self.limit - self.spent} of {self.limit} left)"
                )
            self.spent += size

    def settle(self, reserved: int, actual: int) -> None:
        """Charge what really came out instead of what was reserved."""
        with self._lock:
            self.spent += actual - reserved

    @property
    def exceeded(self) -> bool:
        return bool(self._refused)

    def reason(self) -> str:
        with self._lock:
            n, declared = len(self._refused), sum(self._refused.values())
        return (
            f"decompression budget exceeded: {n} chunks declaring {declared:,} bytes left "
            f"closed after {self.spent:,} bytes (budget {self.limit:,} bytes: {self.ratio:g}x "
            f"the {self.file_size:,}-byte file, at least {self.floor:,})"
        )
