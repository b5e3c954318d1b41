"""The recordings of the real axon-recorder (tests/data/axon-real) validate as its README
says: the mock plugin's file fails image integrity only (its payloads are not CDR), the CDR
plugin's passes with a perfect score against a spec requiring its five topics; both carry
the empty-schema warning (the recorder ran without `recording.schema_search_paths`), which
costs no score."""

from __future__ import annotations

from pathlib import Path

import pytest

from keystone_pipelines.validator import QaSpec, validate
from keystone_sim.recording import RecordingFacts
from tests.support.axon_files import CDR, MOCK, TOPICS, layout, real_sidecar, sidecar_of

SPEC = QaSpec(required_topics=TOPICS)


def _empty_schema_findings(findings: list[dict[str, str]]) -> list[dict[str, str]]:
    return [f for f in findings if f["code"] == "EMPTY_SCHEMA"]


def test_the_mock_plugins_recording_fails_image_integrity_and_joint_states() -> None:
    result = validate(MOCK, SPEC, sidecar=sidecar_of(MOCK))
    verdicts = {c.name: c.passed for c in result.checks}
    assert verdicts == {
        "structure": True,
        "required_topics": True,
        "duration": True,
        "gaps": True,
        "rates": True,
        "timestamps": True,
        "image_integrity": False,
        # The mock plugin's joint payloads are ASCII text too: no JointState decodes.
        "joint_states": False,
        "integrity": True,
    }
    assert not result.passed
    assert "0/255 frames decode" in result.check("image_integrity").detail
    assert result.message_count == 425 and set(result.topics) == set(TOPICS)
    # The sidecar's SHA-256 is the file's; the data-section CRC is not written (Axon).
    assert "SHA-256 matches" in result.check("integrity").detail
    assert result.sha256 == real_sidecar(MOCK)["recording"]["checksum_sha256"]


def test_the_cdr_plugins_recording_passes_with_a_perfect_score() -> None:
    result = validate(CDR, SPEC, sidecar=sidecar_of(CDR))
    assert result.passed and result.score == 1.0
    assert all(c.passed and c.score == 1.0 for c in result.checks)
    assert result.message_count == 2145
    assert result.check("image_integrity").detail.startswith("300/300 frames decode")
    # Order is the reader's job: the file's chunks overlap in time and most messages are
    # written out of log-time order, as the protocol page says of the real recorder.
    shape = layout(CDR)
    assert (shape.chunks, shape.overlapping_chunks, shape.out_of_order) == (11, 10, 1778)
    assert shape.topic_backwards == 0


@pytest.mark.parametrize("mcap", [MOCK, CDR], ids=["mock", "cdr"])
def test_empty_schemas_are_a_warning_that_costs_no_score(mcap: Path) -> None:
    result = validate(mcap, SPEC, sidecar=sidecar_of(mcap))
    (finding,) = _empty_schema_findings(result.findings)
    assert finding["severity"] == "warning" and finding["check"] == "schemas"
    assert "sensor_msgs/msg/JointState" in finding["message"]
    assert "sensor_msgs/msg/CompressedImage" in finding["message"]
    assert "schema_search_paths" in finding["message"]
    assert result.findings[0] == finding  # first: consumers keep the first few
    structure = result.check("structure")
    assert structure.passed and structure.score == 1.0 and not structure.data["findings"]


def test_recordings_with_their_schema_text_carry_no_such_finding(good: RecordingFacts) -> None:
    result = validate(good.path, QaSpec())
    assert not _empty_schema_findings(result.findings)


def test_the_real_files_sidecars_and_their_embedded_metadata_agree() -> None:
    """An MCAP-only upload stands for its sidecar with the axon.* metadata records: for
    the real recorder's files they rebuild the sidecar exactly, but for its checksum."""
    from keystone_api.episodes.embedded_sidecar import from_metadata
    from keystone_api.episodes.sidecar import parse_sidecar

    for mcap in (MOCK, CDR):
        raw = sidecar_of(mcap).read_bytes()
        sidecar = parse_sidecar(raw)  # the strict parser of the landing path takes it
        rebuilt = from_metadata(layout(mcap).metadata)
        del sidecar["recording"]["checksum_sha256"]
        assert rebuilt == sidecar
    # Beside the pair the recorder leaves `<task>.mcap.done` (kept for the mock file).
    assert MOCK.with_name(MOCK.name + ".done").read_bytes() == b"done\n"
