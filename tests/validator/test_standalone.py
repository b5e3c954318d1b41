"""The validator is a library of its own: it imports, validates and runs its command line
in a process where keystone_api cannot be imported at all (it is given an S3 client, it
never reaches for Keystone's settings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from keystone_sim.recording import RecordingFacts

# Any import of keystone_api (or a module below it) fails in the child process.
POISON = """
import importlib.abc, sys

class NoKeystoneApi(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "keystone_api" or name.startswith("keystone_api."):
            raise ImportError(f"the validator imported {name}")
        return None

sys.meta_path.insert(0, NoKeystoneApi())
"""

SCRIPT = """
import importlib, json, pkgutil, sys
import keystone_pipelines.validator as validator

for mod in pkgutil.walk_packages(validator.__path__, "keystone_pipelines.validator."):
    importlib.import_module(mod.name)
from keystone_pipelines.validator import SourceError, validate
from keystone_pipelines.validator.cli import build_app
from typer.testing import CliRunner

result = validate(sys.argv[1], integrity=True)
try:
    validate("s3://bucket/key.mcap")
    s3_refused = False
except SourceError:
    s3_refused = True
cli = CliRunner().invoke(build_app(), ["validate", sys.argv[1], "--json", "--no-integrity"])
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "keystone_api")
print(json.dumps({"passed": result.passed, "tiers": result.tiers, "s3_refused": s3_refused,
                  "cli_exit": cli.exit_code, "keystone_api": loaded}))
"""


def test_the_validator_runs_without_keystone_api(good: RecordingFacts) -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", POISON + SCRIPT, str(good.path)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["passed"] is True and "integrity" in doc["tiers"]
    assert doc["s3_refused"] is True and doc["cli_exit"] == 0
    assert doc["keystone_api"] == []
