"""`keystone dev` runs each process with its own least-privilege store key, as production
does (keystone_api/storage/roles.py): made at every start on the dev SeaweedFS servers with
their admin identity (the previous start's key is replaced), which only the API keeps: it
makes the robots' keys. An edge store given with --s3-endpoint is not ours to make
identities on: its processes use the keys it was given."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from keystone_api.settings import Settings
from keystone_api.storage.identities import issue
from keystone_api.storage.roles import identity
from keystone_dev.devstack.config import CLOUD_BUCKET, DevConfig


@dataclass(frozen=True)
class ProcessKeys:
    """Environment lines per process, over the edge environment's."""

    api: dict[str, str]  # the edge API and its gateways
    qa: dict[str, str]  # the Dagster code location (QA and the sync job's reads)
    cloud: dict[str, str]  # the cloud API (the receiver)


def _store(cfg: DevConfig, endpoint: str) -> Settings:
    return Settings(
        s3_endpoint_url=endpoint,
        s3_access_key=cfg.s3_access_key,
        s3_secret_key=SecretStr(cfg.s3_secret_key),
        cloud_bucket=CLOUD_BUCKET,
    )


def process_key(cfg: DevConfig, endpoint: str, role: str, *factory_ids: str) -> dict[str, str]:
    """The environment lines of a role's new key on the store at `endpoint`."""
    store = _store(cfg, endpoint)
    who = identity(
        role,
        bucket_template=store.s3_bucket_template,
        cloud_bucket=CLOUD_BUCKET,
        factory_ids=factory_ids,
        dialect=store.s3_identities,
    )
    key = issue(store, who.name, who.policy)
    return {who.access_env: key.access_key, who.secret_env: key.secret_key}


def process_keys(cfg: DevConfig, edge_s3: str, cloud_s3: str) -> ProcessKeys:
    cloud = process_key(cfg, cloud_s3, "cloud")
    if cfg.s3_endpoint is not None:
        return ProcessKeys(api={}, qa={}, cloud=cloud)
    admin = {
        "KEYSTONE_S3_ADMIN_ACCESS_KEY": cfg.s3_access_key,
        "KEYSTONE_S3_ADMIN_SECRET_KEY": cfg.s3_secret_key,
    }
    return ProcessKeys(
        api={**process_key(cfg, edge_s3, "api"), **admin},
        qa=process_key(cfg, edge_s3, "qa"),
        cloud=cloud,
    )


def sync_cloud_key(cfg: DevConfig, cloud_s3: str, *factory_ids: str) -> dict[str, str]:
    """The sync sender's key on the cloud store: writes only these factories' prefixes."""
    return process_key(cfg, cloud_s3, "sync-cloud", *factory_ids)
