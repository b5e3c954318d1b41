"""`keystone qa`: the validator's command line, reading s3:// URLs with the object store
client of Keystone's settings (KEYSTONE_S3_*). The validator itself takes a client and
knows nothing of Keystone's configuration."""

from __future__ import annotations

from typing import Any

from keystone_pipelines.validator.cli import build_app


def _keystone_s3_client() -> Any:
    # Imported here: `keystone --help` must not pay for settings and boto3.
    from keystone_api.settings import get_settings
    from keystone_api.storage.s3 import s3_client_from_settings

    return s3_client_from_settings(get_settings())


app = build_app(s3_client=_keystone_s3_client)
