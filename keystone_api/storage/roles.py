"""The object-store identities of Keystone's own processes, each with the least it needs
(policies in storage/policies.py), and how to provision them on a store.

On the edge store:
- `api`: the API and the robot gateways (read the recordings: HEAD, sidecars, LIST to find
  one, presigned downloads). It also needs the identity credentials that make robots' keys
  (KEYSTONE_S3_ADMIN_*), which no other process has;
- `qa`: the Dagster code location (discover and read recordings, write evidence under
  `qa/`; its sync job reads the approved recordings with the same key);
- `sync`: `keystone sync run` apart from Dagster (read the approved recordings).
On the cloud store:
- `sync-cloud`: an edge's sync sender, writing only under its factories' prefixes;
- `cloud`: the cloud API (the receiver), reading the cloud bucket to verify deliveries.
And on MinIO, `enroller`: the user whose service accounts robots' keys are (its policy
caps theirs); made once with `mc`, its key is the API's KEYSTONE_S3_ADMIN_*.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from keystone_api.storage import policies

ROLES = ("api", "qa", "sync", "sync-cloud", "cloud", "enroller")


@dataclass(frozen=True)
class ProcessIdentity:
    role: str
    name: str  # the identity's name in the store (<= 32 characters: MinIO's limit)
    store: str  # edge | cloud
    policy: dict[str, Any]
    # The settings a process takes the key from.
    access_env: str = "KEYSTONE_S3_ACCESS_KEY"
    secret_env: str = "KEYSTONE_S3_SECRET_KEY"


def identity(
    role: str,
    *,
    bucket_template: str,
    cloud_bucket: str,
    factory_ids: tuple[str, ...] = (),
    dialect: str = "minio",
) -> ProcessIdentity:
    """`dialect`: the store's identity API (KEYSTONE_S3_IDENTITIES), which names a few
    actions its own way."""
    buckets = policies.edge_buckets(bucket_template)
    if role == "api":
        return ProcessIdentity(role, "ks-api", "edge", policies.api(buckets))
    if role == "qa":
        return ProcessIdentity(role, "ks-qa", "edge", policies.qa(buckets))
    if role == "sync":
        return ProcessIdentity(role, "ks-sync", "edge", policies.sync_edge(buckets))
    if role == "cloud":
        return ProcessIdentity(role, "ks-cloud", "cloud", policies.cloud_receiver(cloud_bucket))
    if role == "enroller":  # a MinIO user, made with mc (deploy/minio/README.md)
        return ProcessIdentity(
            role,
            "ks-enroller",
            "edge",
            policies.enroller(buckets),
            "KEYSTONE_S3_ADMIN_ACCESS_KEY",
            "KEYSTONE_S3_ADMIN_SECRET_KEY",
        )
    if role == "sync-cloud":
        if not factory_ids:
            raise ValueError("sync-cloud: name the factories whose prefixes it may write")
        # One identity per edge (its factories), named by a digest: factory ids are UUIDs.
        digest = hashlib.sha256(",".join(sorted(factory_ids)).encode()).hexdigest()[:16]
        return ProcessIdentity(
            role,
            f"ks-sync-{digest}",
            "cloud",
            policies.sync_cloud(cloud_bucket, factory_ids, dialect),
            "KEYSTONE_CLOUD_S3_ACCESS_KEY",
            "KEYSTONE_CLOUD_S3_SECRET_KEY",
        )
    raise ValueError(f"unknown role '{role}' (one of {', '.join(ROLES)})")
