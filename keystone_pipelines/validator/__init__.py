"""The MCAP validator: a plain library (no Dagster, no keystone_api: it is given an S3
client where it reads from a store), used by the QA pipeline, the `keystone qa validate`
command line and the tests.

    from keystone_pipelines.validator import QaSpec, validate, validate_s3_object

    # the QA pipeline: tiers 1-3 by ranged GETs, integrity from the upload's checksum
    result = validate_s3_object(s3, "edge-f1", "f1/robot-7/2025-12-20/task_0001.mcap",
                                spec, expected_sha256=callback_sha256, sidecar=sidecar_doc)
    # a shell, a test: a path (or an s3:// URL with s3_client=...), tier 4 included
    # unless integrity=False
    result = validate("task_0001.mcap", spec, expected_sha256=hex_sha)
    result.passed, result.score, result.to_dict()

Importing this package is cheap; numpy, OpenCV and the readers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keystone_pipelines.validator.core import validate, validate_s3_object
    from keystone_pipelines.validator.result import (
        VALIDATOR_VERSION,
        CheckResult,
        ValidationResult,
    )
    from keystone_pipelines.validator.sources import (
        BytesSource,
        LocalSource,
        S3Source,
        Source,
        SourceError,
        open_source,
    )
    from keystone_pipelines.validator.spec import (
        CHECK_NAMES,
        QaSpec,
        SpecError,
        load_spec,
        parse_spec,
    )

__all__ = [
    "CHECK_NAMES",
    "VALIDATOR_VERSION",
    "BytesSource",
    "CheckResult",
    "LocalSource",
    "QaSpec",
    "S3Source",
    "Source",
    "SourceError",
    "SpecError",
    "ValidationResult",
    "load_spec",
    "open_source",
    "parse_spec",
    "validate",
    "validate_s3_object",
]

# Exports load on first use, so `keystone --help` does not pay for pydantic models, numpy
# or OpenCV (the CLI module imports this package).
_LAZY = {
    **dict.fromkeys(("validate", "validate_s3_object"), "core"),
    **dict.fromkeys(("VALIDATOR_VERSION", "CheckResult", "ValidationResult"), "result"),
    **dict.fromkeys(
        ("BytesSource", "LocalSource", "S3Source", "Source", "SourceError", "open_source"),
        "sources",
    ),
    **dict.fromkeys(("CHECK_NAMES", "QaSpec", "SpecError", "load_spec", "parse_spec"), "spec"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"keystone_pipelines.validator.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(name)
