"""Minting, listing and revoking enrollment secrets, and checking the one a robot shows.

The robot's `axon-config` sends the secret as HTTP Basic (`--keystone-url
http://enroll:SECRET@edge:8080`); the user name is not checked (only the secret is secret).
A secret belongs to one factory and enrolls robots of that factory only; it can expire,
be one-time, and be revoked. `device.json` keeps the URL with the secret in clear on every
robot, so expiring or one-time secrets keep a stolen robot from enrolling others.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.enrollment.models import EnrollmentSecret
from keystone_api.errors import NotFound, Unauthorized

# A one-time secret still lets its robot download the config templates for this long after
# it enrolled (axon-config fetches them right after registering, with the same URL).
TEMPLATE_GRACE = timedelta(hours=1)
HINT_LENGTH = 6


class EnrollmentRequired(Unauthorized):
    """401 with a Basic challenge: the caller should present the factory's secret."""

    code = "enrollment_required"
    challenge = 'Basic realm="keystone enrollment"'


HOW = (
    "register with the factory's enrollment secret as HTTP Basic: "
    "axon-config register --keystone-url http://enroll:SECRET@HOST:PORT"
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mint(
    session: Session,
    factory_id: str,
    *,
    label: str = "",
    one_time: bool = False,
    ttl_s: int | None = None,
    created_by: str = "",
) -> tuple[EnrollmentSecret, str]:
    """A new secret of a factory: (its row, the secret itself, shown once)."""
    secret = secrets.token_urlsafe(32)
    row = EnrollmentSecret(
        factory_id=factory_id,
        label=label,
        secret_sha256=digest(secret),
        hint=secret[:HINT_LENGTH],
        one_time=one_time,
        expires_at=utcnow() + timedelta(seconds=ttl_s) if ttl_s else None,
        created_by=created_by[:100],
    )
    session.add(row)
    session.flush()
    return row, secret


def revoke(session: Session, row: EnrollmentSecret, by: str) -> EnrollmentSecret:
    row.revoke(by)
    session.flush()
    return row


def basic_secret(authorization: str | None) -> str | None:
    """The password of an HTTP Basic `Authorization` header, or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise EnrollmentRequired("malformed HTTP Basic credentials; " + HOW) from None
    _, sep, password = decoded.partition(":")
    return password if sep and password else None


def _find(session: Session, secret: str, *, lock: bool) -> EnrollmentSecret | None:
    stmt = select(EnrollmentSecret).where(EnrollmentSecret.secret_sha256 == digest(secret))
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def enroll(
    session: Session, factory_id: str | None, factory_name: str, authorization: str | None
) -> EnrollmentSecret:
    """The secret that admits a robot into this factory, counted as used; 401 otherwise.
    Locked, so a one-time secret enrolls exactly one robot however many race for it."""
    secret = basic_secret(authorization)
    if secret is None:
        raise EnrollmentRequired("enrollment secret missing: " + HOW)
    row = _find(session, secret, lock=True)
    # An unknown factory, or another factory's secret, is refused like an unknown secret:
    # an anonymous caller learns nothing about which factories exist.
    if row is None or row.factory_id != factory_id:
        raise EnrollmentRequired(f"enrollment secret not valid for factory '{factory_name}'")
    refusal = row.refusal()
    if refusal is not None:
        raise EnrollmentRequired(f"{refusal}; ask an admin for a new one")
    row.uses += 1
    row.last_used_at = utcnow()
    return row


def admits_templates(session: Session, authorization: str | None) -> bool:
    """Whether an HTTP Basic secret may read the config templates: a secret that enrolls,
    or a one-time one whose robot enrolled within TEMPLATE_GRACE."""
    secret = basic_secret(authorization)
    row = _find(session, secret, lock=False) if secret else None
    if row is None or row.revoked_at is not None:
        return False
    if row.refusal() is None:
        return True
    used = row.last_used_at
    return row.one_time and used is not None and utcnow() - used <= TEMPLATE_GRACE


def get(session: Session, secret_id: str) -> EnrollmentSecret:
    row = session.get(EnrollmentSecret, secret_id)
    if row is None:
        raise NotFound(f"enrollment secret '{secret_id}' not found")
    return row
