"""MCAP-only uploads (the Axon daemon's `upload_mode: "mcap_only"`, `require_json_sidecar:
false`): no sidecar object, its facts in the MCAP's `axon.*` metadata records. Keystone
once left such a task in `uploading` forever and never ACKed; now the upload is verified
and registered from the MCAP's own records, or refused with the reason (issue 19, #2).

The gateway tests drive the emulated daemon in its `mcap_only` mode, and an emulated robot
whose objects are altered in the real store before its `upload_complete` goes out."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from keystone_api.episodes.embedded_sidecar import EmbeddedSidecarMissing, from_metadata
from keystone_api.episodes.verify import VerificationFailed, verify_pair
from keystone_api.storage.layout import axon_keys
from keystone_api.storage.s3 import ensure_bucket
from tests.gateways.harness import Site, count_episodes, upload_row
from tests.gateways.test_unverifiable_uploads import _bucket, _refused, _uploaded_and_held
from tests.gateways.test_upload_faults import _recorded

DATA = Path(__file__).parents[1] / "data"
# Written by the real axon-recorder (tests/data/axon-real/README.md), and its sidecar.
REAL = DATA / "axon-real/01a2454e-4f0c-722b-bd15-7fdd2f29d085.mcap"
# A valid MCAP with a summary but no axon.* records (the MCAP conformance suite).
PLAIN = DATA / "mcap-conformance/OneMessage/OneMessage-ch-chx-mx-pad-rch-rsh-st-sum.mcap"
BUCKET = "mcap-only"


def _land_alone(s3: Any, data: bytes) -> Any:
    """The MCAP as an MCAP-only daemon leaves it: with its checksum metadata, no sidecar."""
    ensure_bucket(s3, BUCKET)
    key = axon_keys("f-only", "dev-1", "2026-12-05", REAL.stem)
    sha = hashlib.sha256(data).hexdigest()
    s3.put_object(Bucket=BUCKET, Key=key.mcap_key, Body=data, Metadata={"checksum-sha256": sha})
    s3.delete_object(Bucket=BUCKET, Key=key.sidecar_key)
    return key


def test_a_real_recording_stands_for_its_sidecar(s3: Any) -> None:
    data = REAL.read_bytes()
    key = _land_alone(s3, data)
    landed = verify_pair(s3, BUCKET, key, complete=True)
    uploaded = json.loads(REAL.with_suffix(".json").read_text())
    # The facts the recorder wrote into both agree (the sidecar's checksum aside: a file
    # cannot hold its own hash; the store's metadata and the robot's report state it).
    del uploaded["recording"]["checksum_sha256"]
    assert landed.sidecar == uploaded
    assert landed.sidecar_key is None and landed.sidecar_sha256 is None
    assert landed.checksum_sha256 == hashlib.sha256(data).hexdigest()
    assert landed.mcap_size_bytes == len(data) == landed.sidecar["recording"]["file_size_bytes"]


def test_until_the_uploader_says_it_is_complete_a_missing_sidecar_is_not_yet(s3: Any) -> None:
    key = _land_alone(s3, REAL.read_bytes())
    with pytest.raises(VerificationFailed) as info:
        verify_pair(s3, BUCKET, key)
    assert info.value.reason == "missing_sidecar"  # the landing sensor waits for it


def test_an_mcap_without_axon_records_is_refused_with_the_reason(s3: Any) -> None:
    key = _land_alone(s3, PLAIN.read_bytes())
    with pytest.raises(VerificationFailed) as info:
        verify_pair(s3, BUCKET, key, complete=True)
    assert info.value.reason == "no_sidecar"
    assert "axon.task, axon.recording metadata record" in info.value.message


@pytest.mark.parametrize(
    ("record", "field", "value", "said"),
    [
        ("axon.recording", "file_size_bytes", "12ab", "is not a count"),
        ("axon.recording", "message_count", "-3", "is not a count"),
        ("axon.recording", "duration_sec", "NaN", "out of range"),
        ("axon.recording", "topics_recorded", "/a,/b", "not JSON"),
        ("axon.task", "skills", '["fold", 3]', "not a JSON list of strings"),
    ],
)
def test_a_metadata_value_of_the_wrong_shape_is_refused_naming_it(
    record: str, field: str, value: str, said: str
) -> None:
    metadata = {
        "axon.task": {"task_id": "t", "scene": "", "factory": "", "skills": "[]"},
        "axon.recording": {"file_size_bytes": "00000000000000000010", "duration_sec": "1.5"},
    }
    metadata[record][field] = value
    with pytest.raises(EmbeddedSidecarMissing) as info:
        from_metadata(metadata)
    assert said in str(info.value)
    assert field in str(info.value) or said == "not JSON"


@pytest.mark.anyio
async def test_a_daemon_in_mcap_only_mode_is_acked_and_its_task_completes(
    site: Site, s3: Any
) -> None:
    robot, _, _, task_id = await _recorded(site, upload_mode="mcap_only")
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    detail = await site.wait_status(task_id, "completed")
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["sidecar_key"] is None and count_episodes(task_id) == 1
    mcap_key = episode["mcap_key"]
    listed = s3.list_objects_v2(Bucket=_bucket(site), Prefix=mcap_key.rsplit("/", 1)[0])
    assert [o["Key"] for o in listed["Contents"]] == [mcap_key]  # no sidecar was uploaded
    assert upload_row(task_id).state == "acked"


@pytest.mark.anyio
async def test_the_gateway_acks_and_registers_an_mcap_only_upload(site: Site, s3: Any) -> None:
    robot, task_id, hold, mcap_key = await _uploaded_and_held(site)
    s3.delete_object(Bucket=_bucket(site), Key=mcap_key[: -len(".mcap")] + ".json")
    # The emulator wrote the same facts into the sidecar and the MCAP's records (it deletes
    # both on ACK).
    facts = json.loads((robot.data_dir / f"{task_id}.json").read_text())
    hold.set()
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    detail = await site.wait_status(task_id, "completed")
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["task_id"] == task_id and count_episodes(task_id) == 1
    assert episode["sidecar_key"] is None
    assert episode["duration_s"] == pytest.approx(facts["recording"]["duration_sec"])
    assert upload_row(task_id).state == "acked"


@pytest.mark.anyio
async def test_an_mcap_only_upload_without_records_fails_the_task_never_acked(
    site: Site, s3: Any
) -> None:
    robot, task_id, hold, mcap_key = await _uploaded_and_held(site)
    bucket = _bucket(site)
    s3.delete_object(Bucket=bucket, Key=mcap_key[: -len(".mcap")] + ".json")
    s3.put_object(Bucket=bucket, Key=mcap_key, Body=PLAIN.read_bytes())
    hold.set()
    detail = await _refused(site, robot, task_id)
    assert "no_sidecar" in detail["failure_reason"]
    assert "axon.task" in detail["failure_reason"]
