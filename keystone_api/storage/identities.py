"""Object-store identities made at run time: each robot's own key, and the keys of
Keystone's own processes, each allowed by one policy (storage/policies.py).

Two backends, chosen by KEYSTONE_S3_IDENTITIES:
- `iam`: the AWS IAM API (SeaweedFS serves it on its S3 port with
  `-s3.iam.readOnly=false`; AWS itself): a user per holder, an inline policy, access keys;
- `minio`: MinIO's admin API (the `minio` package's MinioAdmin): a service account per
  holder, named after it, with the holder's policy inline.
Both issue a new secret on every call and make the holder's earlier keys stop working, so
issuing is also rotating; revoking removes the holder. Secrets are handed out, never kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from keystone_api.errors import Unavailable
from keystone_api.settings import Settings

POLICY_NAME = "keystone"


@dataclass(frozen=True)
class StoreKey:
    access_key: str
    secret_key: str


class IdentityStoreError(Unavailable):
    """The store's identity service refused or did not answer: nothing was issued."""

    code = "store_identities_unavailable"


class Identities(Protocol):
    def issue(self, name: str, policy: dict[str, Any]) -> StoreKey: ...

    def revoke(self, name: str) -> None: ...


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class IamIdentities:
    """The AWS IAM API: one user per holder, its inline policy, one access key at a time.

    An IAM user may make keys for itself (SeaweedFS allows it and cannot be told not to):
    so rotating deletes every key but the new one, listed after it was made, and revoking
    takes the policy away first (every key of the user is then powerless), then the user."""

    def __init__(self, client: Any) -> None:
        self.iam = client

    def issue(self, name: str, policy: dict[str, Any]) -> StoreKey:
        try:
            self.iam.create_user(UserName=name)
        except ClientError as exc:
            if _code(exc) != "EntityAlreadyExists":
                raise
        self.iam.put_user_policy(
            UserName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
        # AWS allows two keys a user: make room, make the new one, then delete whatever
        # else exists by now (a key made meanwhile by the holder itself included).
        self._delete_keys(name)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self._delete_keys(name, keep=key["AccessKeyId"])
        return StoreKey(key["AccessKeyId"], key["SecretAccessKey"])

    def revoke(self, name: str) -> None:
        for step in (
            lambda: self.iam.delete_user_policy(UserName=name, PolicyName=POLICY_NAME),
            lambda: self._delete_keys(name),
            lambda: self.iam.delete_user(UserName=name),
        ):
            try:
                step()
            except ClientError as exc:
                if _code(exc) not in ("NoSuchEntity", "NoSuchEntityException"):
                    raise

    def _delete_keys(self, name: str, keep: str | None = None) -> None:
        listed = self.iam.list_access_keys(UserName=name).get("AccessKeyMetadata") or []
        for key in listed:
            if key["AccessKeyId"] != keep:
                self.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])


class MinioIdentities:
    """MinIO's admin API: each holder is a service account of the enroller (the identity
    Keystone is given for this), named after the holder, its policy inline. MinIO grants
    a service account the intersection of its own policy and its parent's, so an enroller
    allowed only what robots may do cannot mint anything stronger (deploy/minio/)."""

    def __init__(self, admin: Any, parent: str) -> None:
        self.admin = admin
        self.parent = parent

    def issue(self, name: str, policy: dict[str, Any]) -> StoreKey:
        self._remove(name)
        answer = json.loads(
            self.admin.add_service_account(
                name=name, description=f"keystone: {name}", policy=policy
            )
        )
        credentials = answer.get("credentials", answer)
        return StoreKey(credentials["accessKey"], credentials["secretKey"])

    def revoke(self, name: str) -> None:
        self._remove(name)

    def _remove(self, name: str) -> None:
        listed = json.loads(self.admin.list_service_account(self.parent) or "{}")
        for account in listed.get("accounts") or []:
            if account.get("name") == name:
                self.admin.delete_service_account(account["accessKey"])


def admin_credentials(settings: Settings) -> tuple[str, str]:
    access = settings.s3_admin_access_key or settings.s3_access_key
    secret = settings.s3_admin_secret_key or settings.s3_secret_key
    return access, secret.get_secret_value()


def _iam(settings: Settings) -> IamIdentities:
    import boto3
    from botocore.config import Config

    access, secret = admin_credentials(settings)
    client = boto3.client(
        "iam",
        endpoint_url=settings.s3_iam_endpoint_url or settings.s3_endpoint_url,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name=settings.s3_region,
        # No retries: CreateAccessKey is not idempotent (a retried one leaves a second key;
        # the caller's next issue deletes it). SeaweedFS serves IAM calls one at a time and
        # slows with its number of users (~1.3 s a registration at 200 robots).
        config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 1}),
    )
    return IamIdentities(client)


def _minio(settings: Settings) -> MinioIdentities:
    from urllib.parse import urlsplit

    from minio import MinioAdmin
    from minio.credentials import StaticProvider

    access, secret = admin_credentials(settings)
    url = urlsplit(settings.s3_iam_endpoint_url or settings.s3_endpoint_url)
    admin = MinioAdmin(
        endpoint=url.netloc,
        credentials=StaticProvider(access, secret),
        region=settings.s3_region,
        secure=url.scheme == "https",
    )
    return MinioIdentities(admin, access)


_backends: dict[tuple[str, str, str], Identities] = {}


def identities(settings: Settings) -> Identities:
    """The backend for these settings (a client is made once per endpoint and key)."""
    access, _ = admin_credentials(settings)
    key = (settings.s3_identities, settings.s3_iam_endpoint_url or settings.s3_endpoint_url, access)
    if key not in _backends:
        _backends[key] = _minio(settings) if settings.s3_identities == "minio" else _iam(settings)
    return _backends[key]


def issue(settings: Settings, name: str, policy: dict[str, Any]) -> StoreKey:
    """Issue (or rotate) a holder's key; IdentityStoreError (503) when the store says no."""
    return calling("issue a store key for", name, lambda: identities(settings).issue(name, policy))


def revoke(settings: Settings, name: str) -> None:
    calling("revoke the store key of", name, lambda: identities(settings).revoke(name))


T = TypeVar("T")


def calling(doing: str, name: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except (ClientError, BotoCoreError, OSError) as exc:
        raise _unavailable(doing, name, exc) from None
    except Exception as exc:
        if type(exc).__module__.startswith("minio"):  # MinioAdminException and its kin
            raise _unavailable(doing, name, exc) from None
        raise


def _unavailable(doing: str, name: str, exc: Exception) -> IdentityStoreError:
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    hint = ""
    if reason in (
        "403",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
    ):
        hint = " (check KEYSTONE_S3_ADMIN_ACCESS_KEY / KEYSTONE_S3_ADMIN_SECRET_KEY)"
    return IdentityStoreError(
        f"the object store did not let Keystone {doing} '{name}': {reason}{hint}",
        {"identity": name, "reason": reason},
    )
