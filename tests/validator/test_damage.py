"""Damaged files made from a good recording: each fails with a named reason, and the
validator never crashes, hangs or takes memory from a length it has not checked.

The damaged files are validated in a child process, so a hang is caught by a timeout and
the peak memory (ru_maxrss) of the whole run is measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from keystone_sim import byte_damage
from keystone_sim.recording import RecordingFacts

CHILD = """
import json, sys, time
from keystone_pipelines.validator import QaSpec, validate
spec = QaSpec(**json.loads(sys.argv[2]))
for path in sorted(__import__("pathlib").Path(sys.argv[1]).glob("*.mcap")):
    t = time.perf_counter()
    r = validate(path, spec)
    print(json.dumps({"name": path.stem, "elapsed": time.perf_counter() - t, **r.to_dict()}))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so the child would report the
# (large) pytest worker it was forked from.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"maxrss_kb": int(hwm.split()[1])}))
"""
ABSURD = str(2**62)


def _damaged(good: RecordingFacts, data: bytes) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    """name -> (bytes, words one of which the failing checks' details must contain)."""
    size = len(data)
    summary = byte_damage.summary_start(data)
    footer = byte_damage.footer_offset(data)
    chunks = byte_damage.chunks(data)
    first, third = chunks[0], chunks[3]
    cases: dict[str, tuple[bytes, tuple[str, ...]]] = {
        "empty": (b"", ("empty file",)),
        "bad-magic": (byte_damage.bad_magic(data), ("bad magic",)),
        "random": (byte_damage.random_bytes(1 << 20, seed=1), ("bad magic",)),
        "random-framed": (
            byte_damage.random_bytes(1 << 20, seed=2, with_magic=True),
            ("corrupt record", "truncated", "footer", "Header"),
        ),
        "flip-in-chunk": (
            byte_damage.flip_bytes(data, third.offset + third.length // 2, 16),
            (f"chunk at byte {third.offset}",),
        ),
        "absurd-chunk-length": (byte_damage.set_record_length(data, first.offset), (ABSURD,)),
        "absurd-header-length": (byte_damage.set_record_length(data, 8), (ABSURD,)),
        "absurd-summary-record": (byte_damage.set_record_length(data, summary), (ABSURD,)),
        "absurd-message-index": (
            byte_damage.set_record_length(data, first.offset + first.length),
            (ABSURD,),
        ),
        "footer-past-end": (byte_damage.footer_past_end(data), ("footer points past the end",)),
        "chunk-claims-1tb": (
            byte_damage.lie_uncompressed_size(data, first, 2**40),
            ("above the", "limit"),
        ),
        "chunk-index-disagrees": (
            byte_damage.lie_uncompressed_size(data, third, 12345, where="index"),
            ("disagrees with its chunk index",),
        ),
        "chunk-claims-less": (
            byte_damage.lie_uncompressed_size(data, first, 4096),
            ("declares",),
        ),
    }
    cuts = {
        "inside-magic": 4,
        "after-magic": 8,
        "inside-header": 20,
        "inside-first-chunk": first.offset + first.length // 2,
        "half": size // 2,
        "at-summary": summary,
        "inside-summary": summary + 50,
        "inside-footer": footer + 5,
        "inside-closing-magic": size - 4,
        "last-byte": size - 1,
        **{f"cut-{i}": size * i // 9 + 13 for i in range(1, 9)},
    }
    for name, at in cuts.items():
        cases[f"truncated-{name}"] = (byte_damage.truncate(data, at), ("truncated",))
    return cases


@pytest.fixture(scope="module")
def damage_run(good: RecordingFacts, good_bytes: bytes, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("damaged")
    cases = _damaged(good, good_bytes)
    for name, (data, _) in cases.items():
        byte_damage.write(root / f"{name}.mcap", data)
    spec = {"required_topics": ["/joint_states"], "min_duration_s": 1}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,  # hang guard only: the whole run takes a few seconds
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    results = {d["name"]: d for d in lines[:-1]}
    assert set(results) == set(cases)
    return cases, results, lines[-1]["maxrss_kb"]


def test_every_damaged_file_fails_with_a_named_reason(damage_run) -> None:  # type: ignore[no-untyped-def]
    cases, results, _ = damage_run
    for name, (_, words) in cases.items():
        r = results[name]
        assert not r["passed"] and r["score"] < 0.9, name
        codes = {f["code"] for f in r["findings"]}
        assert "INTERNAL_ERROR" not in codes, (name, r["findings"])
        details = " | ".join(c["detail"] for c in r["checks"] if not c["passed"])
        assert any(w in details for w in words), (name, words, details)
        structure = next(c for c in r["checks"] if c["name"] == "structure")
        integrity = next(c for c in r["checks"] if c["name"] == "integrity")
        assert not structure["passed"] or not integrity["passed"], name


def test_damaged_files_use_bounded_memory(damage_run) -> None:  # type: ignore[no-untyped-def]
    _, results, maxrss_kb = damage_run
    # a chunk claiming 1 TB, records claiming 2^62 bytes: none of it is allocated
    assert maxrss_kb < 400 * 1024, maxrss_kb
    assert (
        "claims 4611686018427387904 bytes" in results["absurd-chunk-length"]["checks"][0]["detail"]
    )


def test_truncated_files_name_the_place(damage_run) -> None:  # type: ignore[no-untyped-def]
    _, results, _ = damage_run

    def detail(name: str) -> str:
        return str(results[name]["checks"][0]["detail"])

    assert "inside the summary" in detail("truncated-inside-summary")
    assert "inside the closing magic" in detail("truncated-last-byte")
    assert "inside the data section" in detail("truncated-half")
    assert "no footer" in detail("truncated-at-summary")
    # what is readable before the cut is still assessed by the linear scan
    half = results["truncated-half"]
    assert "linear_scan" in half["tiers"] and half["message_count"] > 0


def test_truncated_file_keeps_its_readable_messages(
    good: RecordingFacts, good_bytes: bytes
) -> None:
    from keystone_pipelines.validator import BytesSource, validate

    r = validate(BytesSource(good_bytes[: len(good_bytes) // 2]), integrity=False)
    assert 0.2 * good.message_count < r.message_count < 0.8 * good.message_count
    assert not r.check("structure").passed
