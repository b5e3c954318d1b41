"""`keystone storage`: the object-store identities of Keystone's processes, least privilege
each (keystone_api/storage/roles.py): print a role's policy, issue (or rotate) its key,
revoke it. Robots' keys are made by the API itself at registration."""

from __future__ import annotations

import json

import typer

from keystone_api.preflight import ConfigError, load_settings
from keystone_api.settings import Settings
from keystone_api.storage.roles import ROLES, ProcessIdentity, identity

app = typer.Typer(help="Object-store identities of Keystone's processes.", no_args_is_help=True)
ROLE_HELP = f"One of {', '.join(ROLES)}."
FactoryIds = typer.Option([], "--factory-id", help="sync-cloud: a factory it delivers (repeat).")


def _identity(settings: Settings, role: str, factory_ids: list[str]) -> ProcessIdentity:
    try:
        return identity(
            role,
            bucket_template=settings.s3_bucket_template,
            cloud_bucket=settings.cloud_bucket,
            factory_ids=tuple(factory_ids),
            dialect=settings.s3_identities,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _store(
    settings: Settings, endpoint: str | None, access: str | None, secret: str | None
) -> Settings:
    """The settings of the store whose identities are managed (the edge's by default; give
    the cloud store's endpoint and admin key for sync-cloud and cloud)."""
    from pydantic import SecretStr

    update: dict[str, object] = {}
    if endpoint:
        update.update(s3_endpoint_url=endpoint, s3_iam_endpoint_url=None)
    if access:
        update["s3_admin_access_key"] = access
    if secret:
        update["s3_admin_secret_key"] = SecretStr(secret)
    return settings.model_copy(update=update)


@app.command()
def policy(
    role: str = typer.Argument(..., help=ROLE_HELP), factory_id: list[str] = FactoryIds
) -> None:
    """Print a role's policy (AWS IAM JSON: MinIO's `mc admin policy create` takes it)."""
    typer.echo(json.dumps(_identity(load_settings(), role, factory_id).policy, indent=2))


@app.command()
def provision(
    role: str = typer.Argument(..., help=ROLE_HELP),
    factory_id: list[str] = FactoryIds,
    endpoint: str | None = typer.Option(None, help="The store (default KEYSTONE_S3_ENDPOINT_URL)."),
    admin_access_key: str | None = typer.Option(
        None, envvar="KEYSTONE_STORE_ADMIN_ACCESS_KEY", help="Key allowed to make identities."
    ),
    admin_secret_key: str | None = typer.Option(
        None, envvar="KEYSTONE_STORE_ADMIN_SECRET_KEY", help="Its secret."
    ),
) -> None:
    """Issue the role's key (a new one each time: the previous stops working) and print it
    as the environment lines of the process that holds it."""
    from keystone_api.storage.identities import IdentityStoreError, issue

    settings = _store(load_settings(), endpoint, admin_access_key, admin_secret_key)
    who = _identity(settings, role, factory_id)
    try:
        key = issue(settings, who.name, who.policy)
    except IdentityStoreError as exc:
        raise ConfigError(exc.message) from None
    typer.echo(f"{who.access_env}={key.access_key}")
    typer.echo(f"{who.secret_env}={key.secret_key}")


@app.command()
def revoke(
    role: str = typer.Argument(..., help=ROLE_HELP),
    factory_id: list[str] = FactoryIds,
    endpoint: str | None = typer.Option(None, help="The store (default KEYSTONE_S3_ENDPOINT_URL)."),
    admin_access_key: str | None = typer.Option(None, envvar="KEYSTONE_STORE_ADMIN_ACCESS_KEY"),
    admin_secret_key: str | None = typer.Option(None, envvar="KEYSTONE_STORE_ADMIN_SECRET_KEY"),
) -> None:
    """Delete the role's identity: its key stops working at once."""
    from keystone_api.storage.identities import IdentityStoreError
    from keystone_api.storage.identities import revoke as revoke_identity

    settings = _store(load_settings(), endpoint, admin_access_key, admin_secret_key)
    who = _identity(settings, role, factory_id)
    try:
        revoke_identity(settings, who.name)
    except IdentityStoreError as exc:
        raise ConfigError(exc.message) from None
    typer.echo(f"revoked {who.name}")
