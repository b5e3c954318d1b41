"""The object-store policies of every identity (AWS IAM policy JSON, which SeaweedFS and
MinIO both take). Least privilege, one document per kind of holder:

- a robot writes its recordings under `{factory_id}/{device_id}/` of its factory's bucket;
  it may also read (HEAD) there, because the unmodified Axon daemon HEADs every object it
  uploaded to check its checksum and fails the upload when that is refused
  (axon core/axon_uploader: verifyUpload). Nothing else: no listing, no deleting, no other
  prefix or bucket;
- the API and its gateways read the edge buckets (HEAD, sidecars, LIST to find a recording,
  presigned downloads), nothing more;
- QA (the Dagster code location) reads and lists the edge buckets and writes its evidence
  under `qa/` only;
- the sync sender reads the edge buckets; in the cloud store it writes (and HEADs, resumes
  and aborts its own multipart uploads) under its own factory's prefix only;
- the cloud receiver reads the cloud bucket to verify deliveries.

Bucket names come from KEYSTONE_S3_BUCKET_TEMPLATE (`edge-{factory_id}`), so a process
that serves every factory of an edge is allowed `edge-*`.
"""

from __future__ import annotations

from typing import Any

from keystone_api.storage.layout import EVIDENCE_ROOT

VERSION = "2012-10-17"
# Multipart uploads are authorised as s3:PutObject (create, upload part, complete) by AWS,
# MinIO and SeaweedFS; abort and list-parts have their own actions.
WRITE = ["s3:PutObject"]
READ = ["s3:GetObject"]  # also what HEAD needs
# Listing an upload's parts has two names: AWS's and MinIO's, and SeaweedFS's (which
# refuses the other as a malformed policy).
LIST_PARTS = {"minio": "s3:ListMultipartUploadParts", "iam": "s3:ListParts"}
LIST = ["s3:ListBucket"]
# Encryption at rest of the cloud bucket is not a policy condition here: SeaweedFS accepts
# one on s3:x-amz-server-side-encryption but then refuses every PUT, and MinIO applies it to
# PutObject alone (not to multipart parts). The sender asks for SSE on every object and
# refuses an answer without it (sync/transfer.py); MinIO also encrypts the bucket by
# default (deploy/minio/README.md).


def arn(bucket: str, key_pattern: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key_pattern}" if key_pattern is not None else "")


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def _allow(actions: list[str], resources: list[str], sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def robot_prefix(factory_id: str, device_id: str) -> str:
    return f"{factory_id}/{device_id}/"


def robot(bucket: str, prefix: str) -> dict[str, Any]:
    return _policy(_allow(WRITE + READ, [arn(bucket, prefix + "*")], "RobotOwnPrefix"))


def api(buckets: str) -> dict[str, Any]:
    return _policy(
        _allow(READ, [arn(buckets, "*")], "ReadRecordings"),
        _allow(LIST, [arn(buckets)], "FindRecordings"),
    )


def qa(buckets: str) -> dict[str, Any]:
    return _policy(
        _allow(READ, [arn(buckets, "*")], "ReadRecordings"),
        _allow(LIST, [arn(buckets)], "DiscoverRecordings"),
        _allow(WRITE, [arn(buckets, EVIDENCE_ROOT + "*")], "WriteEvidence"),
    )


def sync_edge(buckets: str) -> dict[str, Any]:
    return _policy(_allow(READ, [arn(buckets, "*")], "ReadApproved"))


def sync_cloud(cloud_bucket: str, factory_ids: tuple[str, ...], dialect: str) -> dict[str, Any]:
    own = [arn(cloud_bucket, f"{factory_id}/*") for factory_id in factory_ids]
    resume = ["s3:AbortMultipartUpload", LIST_PARTS[dialect]]
    return _policy(_allow(WRITE + READ + resume, own, "DeliverOwnFactories"))


def cloud_receiver(cloud_bucket: str) -> dict[str, Any]:
    return _policy(_allow(READ, [arn(cloud_bucket, "*")], "VerifyDeliveries"))


def edge_buckets(bucket_template: str) -> str:
    """The bucket pattern of every factory: `edge-{factory_id}` -> `edge-*`."""
    return bucket_template.replace("{factory_id}", "*")


def enroller(buckets: str) -> dict[str, Any]:
    """MinIO: the user the API makes robots' keys with (KEYSTONE_S3_ADMIN_*). A robot's key
    is a service account of this user, and MinIO grants a service account no more than its
    parent has: so this user has exactly what a robot may have, plus making buckets and
    managing its own service accounts. Even a compromised API mints no stronger key."""
    return _policy(
        _allow(WRITE + READ, [arn(buckets, "*")], "WhatRobotsMayDo"),
        _allow(["s3:CreateBucket", "s3:ListBucket"], [arn(buckets)], "FactoryBuckets"),
        {
            "Sid": "OwnServiceAccounts",
            "Effect": "Allow",
            "Action": [
                "admin:CreateServiceAccount",
                "admin:UpdateServiceAccount",
                "admin:RemoveServiceAccount",
                "admin:ListServiceAccounts",
            ],
        },
    )
