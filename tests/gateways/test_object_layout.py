"""Both recording layouts are first-class: Axon's {factory}/{device}/{date}/{task}.mcap+.json
and the specification's batches/{batch}/tasks/{task}/, and a task's recording is found in
either when its key is not known (a daemon that reports no key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keystone_api.ids import new_id
from keystone_api.storage.layout import axon_keys, evidence_prefix, parse_key, spec_keys
from keystone_api.storage.locate import find_recording
from tests.support.objects import put_pair


def test_keys_of_both_layouts_parse() -> None:
    axon = parse_key("f1/AB-F0001-T0001-000001/2026-11-27/t1.json")
    assert axon is not None and axon.layout == "axon" and axon.kind == "sidecar"
    assert axon.mcap_key == "f1/AB-F0001-T0001-000001/2026-11-27/t1.mcap"
    spec = parse_key("batches/b1/tasks/t1/data.mcap")
    assert spec is not None and spec.layout == "spec" and spec.sidecar_key.endswith("sidecar.json")
    assert parse_key("f1/dev/not-a-date/t1.mcap") is None
    assert parse_key("f1/dev/2026-11-27/t1.mcap.qa/frame.jpg") is None
    evidence = evidence_prefix(axon.mcap_key)  # QA's own prefix, never a robot's
    assert evidence == "qa/f1/AB-F0001-T0001-000001/2026-11-27/t1/"
    assert parse_key(evidence + "frame-0001.jpg") is None


def test_find_recording_in_either_layout(s3) -> None:  # type: ignore[no-untyped-def]
    bucket = f"edge-{new_id()}"
    factory, device = new_id(), "AB-F0001-T0001-000001"
    now = datetime(2026, 11, 27, 0, 5, tzinfo=UTC)
    days = {"today": now, "yesterday": now - timedelta(days=1), "older": now - timedelta(days=9)}
    tasks = {}
    for name, day in days.items():
        tasks[name] = new_id()
        key = axon_keys(factory, device, day.strftime("%Y-%m-%d"), tasks[name])
        put_pair(s3, bucket, key, b"\x89MCAP0\r\n" + name.encode())
    for name in days:  # the HEADs of today and yesterday, then the listing
        found = find_recording(
            s3, bucket, tasks[name], factory_id=factory, device_id=device, now=now
        )
        assert found is not None and found.task_id == tasks[name]
        assert found.date == days[name].strftime("%Y-%m-%d")
    batch, spec_task = new_id(), new_id()
    put_pair(s3, bucket, spec_keys(batch, spec_task), b"\x89MCAP0\r\nspec")
    found = find_recording(
        s3, bucket, spec_task, factory_id=factory, device_id=device, batch_id=batch
    )
    assert found is not None and found.layout == "spec"
    assert find_recording(s3, bucket, new_id(), factory_id=factory, device_id=device) is None


def test_demo_robot_type_ships_with_its_templates(db) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.gateways.demo import DEMO_ROBOT_TYPE, ensure_demo_robot_type
    from keystone_api.gateways.templates import find_template, upsert_template

    robot_type = ensure_demo_robot_type(db)
    assert robot_type.name == DEMO_ROBOT_TYPE
    recorder = find_template(db, robot_type.id, "recorder.yaml").content
    assert "/camera_head/image_raw/compressed" in recorder and "{{ recorder_rpc_url }}" in recorder
    custom = 'device: "{{ device_id }}"\n'
    upsert_template(db, robot_type.id, "transfer.yaml", custom)
    again = ensure_demo_robot_type(db)  # idempotent, keeps admins' edits
    assert again.id == robot_type.id
    assert find_template(db, robot_type.id, "transfer.yaml").content == custom
