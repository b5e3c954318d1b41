"""Decompression-bomb benchmark: one command, prints its figures.

    .venv/bin/python bench/inflation_bench.py [--chunks 120] [--repeat 3]

Makes (in memory) an indexed MCAP of --chunks zstd chunks that each inflate to 64 MiB
(the issue's case: 120 chunks, ~270 KB inflating to 7.5 GiB), then validates it as the
QA pipeline does (tiers 1-3) and as the CLI does (tiers 1-4), with the decompression
budget (the default, 1000 x the file) and without it (a ratio of 1e12: what the
validator did before), and prints wall time, bytes decompressed and the verdict.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from keystone_pipelines.validator import BytesSource, QaSpec, validate  # noqa: E402
from keystone_pipelines.validator.reader import chunks  # noqa: E402
from tests.validator.bombs import inflating_mcap  # noqa: E402  (the tests' bomb maker)

UNBOUNDED = 1e12


def run(data: bytes, ratio: float, integrity: bool) -> tuple[float, int, str]:
    inflated = [0]
    real = chunks._zstd

    def counting(buf: chunks.Buf, size: int) -> bytes:
        out = real(buf, size)
        inflated[0] += len(out)
        return out

    chunks._zstd = counting  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        r = validate(
            BytesSource(data, "bomb.mcap"), QaSpec(), integrity=integrity, max_inflation=ratio
        )
        dt = time.perf_counter() - t0
    finally:
        chunks._zstd = real  # type: ignore[assignment]
    unassessed = [c.name for c in r.checks if "not_assessed" in c.data]
    verdict = f"score {r.score:.2f}, not assessed: {', '.join(unassessed) or '-'}"
    return dt, inflated[0], verdict


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = inflating_mcap(args.chunks)
    declared = args.chunks * 64 * 1024 * 1024
    print(f"bomb: {len(data):,} bytes declaring {declared:,} bytes ({declared / len(data):,.0f}x)")
    for integrity in (False, True):
        label = "tiers 1-4 (CLI)" if integrity else "tiers 1-3 (QA)"
        for name, ratio in (("no budget (before)", UNBOUNDED), ("budget (after)", 1000.0)):
            runs = [run(data, ratio, integrity) for _ in range(args.repeat)]
            times = [t for t, _, _ in runs]
            _, inflated, verdict = runs[-1]
            print(
                f"{label:16s} {name:19s} best {min(times):6.2f} s  median "
                f"{statistics.median(times):6.2f} s  decompressed {inflated:>14,} B  {verdict}"
            )


if __name__ == "__main__":
    main()
