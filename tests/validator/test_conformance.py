"""The MCAP reader-conformance corpus (416 files): no crash; `valid` files pass
`structure` and give the message counts of their expected .json; the spec-MUST
violations report the summary omission as a finding."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from keystone_pipelines.validator import validate

# The MCAP format's public reader-conformance files (MIT, see its LICENSE), kept in the repo
# so a clean clone tests them wherever it lives.
CORPUS = Path(__file__).resolve().parents[1] / "data" / "mcap-conformance"
ROWS = list(csv.DictReader((CORPUS / "MANIFEST.tsv").open(), delimiter="\t"))


def test_corpus_is_complete() -> None:
    assert len(ROWS) == 416
    assert sum(r["label"] == "valid" for r in ROWS) == 244


def _expected(row: dict[str, str]) -> list[dict[str, object]]:
    doc = json.loads((CORPUS / row["path"]).with_suffix(".json").read_text())
    return doc["records"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("row", ROWS, ids=[r["path"] for r in ROWS])
def test_conformance_file(row: dict[str, str]) -> None:
    records = _expected(row)
    messages = [r for r in records if r["type"] == "Message"]
    result = validate(CORPUS / row["path"])
    codes = {f["code"] for f in result.findings}
    assert "INTERNAL_ERROR" not in codes
    assert result.message_count == len(messages)
    structure = result.check("structure")
    if row["label"] == "valid":
        assert structure.passed, structure.detail
        per_topic = {}
        channels = {
            dict(r["fields"])["id"]: dict(r["fields"])["topic"]
            for r in records
            if r["type"] == "Channel"
        }
        for m in messages:
            topic = channels[dict(m["fields"])["channel_id"]]
            per_topic[topic] = per_topic.get(topic, 0) + 1
        assert {t: s["count"] for t, s in result.topics.items() if s["count"]} == per_topic
    else:
        omissions = set(row["pymcap_doctor_errors"].split(","))
        assert omissions <= codes, (omissions, result.findings)
        assert not structure.passed
        assert any("summary omits" in f["message"] for f in result.findings)
