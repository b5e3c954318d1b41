"""`keystone dev`'s signing keys: random per state directory, kept across starts, and the
cloud's its own (a state directory from before it had one gets one, the edge's kept)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from keystone_dev.devstack.config import dev_keys


def test_the_edge_and_the_cloud_get_their_own_lasting_keys(tmp_path: Path) -> None:
    keys = dev_keys(tmp_path)
    assert keys.edge != keys.cloud and min(len(keys.edge), len(keys.cloud)) >= 32
    assert dev_keys(tmp_path) == keys  # the next start signs with the same keys
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    (tmp_path / "other").mkdir()
    assert dev_keys(tmp_path / "other") != keys  # another installation, other keys


def test_a_state_directory_of_one_key_gets_the_clouds_added(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"jwt_secret": "e" * 64}))
    keys = dev_keys(tmp_path)
    assert keys.edge == "e" * 64 and keys.cloud != keys.edge
    assert json.loads((tmp_path / "secrets.json").read_text())["cloud_jwt_secret"] == keys.cloud
