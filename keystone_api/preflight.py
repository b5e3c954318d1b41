"""Checks of the configuration that fail with one line naming the setting at fault."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from keystone_api.settings import Settings, get_settings


class ConfigError(Exception):
    """A setting is wrong; the message names it and says what was found."""


# The key this codebase once shipped as its default: known to anyone who read it.
FORMER_DEFAULT_SECRET = "dev-insecure-change-me-dev-insecure-change-me"
MIN_SECRET_BYTES = 32


def load_settings(*, signs_tokens: bool = False) -> Settings:
    """The settings, or a ConfigError naming the one at fault. `signs_tokens`: this process
    issues or checks tokens (api, gateway, sync, token minting, the code location)."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "KEYSTONE_" + str(err["loc"][0]).upper() if err.get("loc") else "settings"
        raise ConfigError(f"{name}: {err['msg']}") from None
    if signs_tokens:
        check_signing_key(settings)
    return settings


def check_signing_key(settings: Settings) -> None:
    """Refuse a JWT key anyone could know or guess: unset, the former built-in default, or
    shorter than 32 bytes (HS256 needs 256 bits of key to be as strong as its hash)."""
    secret = settings.jwt_secret.get_secret_value()
    how = f"set it to at least {MIN_SECRET_BYTES} random bytes, e.g. `openssl rand -base64 48`"
    if not secret:
        raise ConfigError(f"KEYSTONE_JWT_SECRET: not set (tokens would be forgeable); {how}")
    if secret == FORMER_DEFAULT_SECRET:
        raise ConfigError(f"KEYSTONE_JWT_SECRET: is the old built-in default; {how}")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        size = len(secret.encode())
        raise ConfigError(f"KEYSTONE_JWT_SECRET: {size} bytes is too short; {how}")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


def check_database(url: str) -> None:
    from keystone_api.db.engine import make_engine

    try:
        engine = make_engine(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"KEYSTONE_DATABASE_URL: not a valid SQLAlchemy URL ({exc})") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise ConfigError(
            f"KEYSTONE_DATABASE_URL: cannot connect to {_safe_url(url)} ({reason})"
        ) from None
    finally:
        engine.dispose()


def check_object_store(settings: Settings) -> None:
    from keystone_api.storage.s3 import make_s3_client

    client = make_s3_client(
        settings.s3_endpoint_url,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_region,
        retries=1,
        connect_timeout=3,
        read_timeout=10,
    )
    try:
        client.list_buckets()
    except EndpointConnectionError:
        raise ConfigError(
            f"KEYSTONE_S3_ENDPOINT_URL: no object store answers at {settings.s3_endpoint_url}"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
            raise ConfigError(
                "KEYSTONE_S3_ACCESS_KEY / KEYSTONE_S3_SECRET_KEY: rejected by the object store "
                f"at {settings.s3_endpoint_url} ({code})"
            ) from None
        raise ConfigError(f"KEYSTONE_S3_ENDPOINT_URL: object store error {code}") from None
    except (BotoCoreError, ValueError) as exc:
        raise ConfigError(f"KEYSTONE_S3_ENDPOINT_URL: {exc}") from None
