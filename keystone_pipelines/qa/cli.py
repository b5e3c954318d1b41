"""`keystone qa`: the validator's command line with Keystone's own inputs: s3:// URLs read
with the object store client of Keystone's settings (KEYSTONE_S3_*), and `--robot-type
NAME|ID` read from Keystone's database (KEYSTONE_DATABASE_URL, read-only: the same row the
QA pipeline reads, so both judge by the same spec). The validator itself takes a client
and a spec and knows nothing of Keystone's configuration."""

from __future__ import annotations

from typing import Any

from keystone_pipelines.validator.cli import build_app


def _keystone_s3_client() -> Any:
    # Imported here: `keystone --help` must not pay for settings and boto3.
    from keystone_api.settings import get_settings
    from keystone_api.storage.s3 import s3_client_from_settings

    return s3_client_from_settings(get_settings())


def robot_type_spec(ref: str) -> tuple[Any, str]:
    """The QA spec of the robot type whose id or name is `ref`, as the pipeline reads it
    (parse_spec of the robot type's qa_spec), and a line naming it and its spec version."""
    from sqlalchemy import or_, select
    from sqlalchemy.exc import SQLAlchemyError

    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.fleet.models import RobotType
    from keystone_api.qa.spec_versions import latest_version, spec_digest
    from keystone_pipelines.validator.spec import SpecError, parse_spec

    try:
        with get_sessionmaker()() as session:
            rows = (
                session.execute(
                    select(RobotType).where(or_(RobotType.id == ref, RobotType.name == ref))
                )
                .scalars()
                .all()
            )
            if not rows:
                raise SpecError(f"no robot type {ref!r} (by id or name) in Keystone's database")
            robot_type = rows[0]
            own = dict(robot_type.qa_spec or {})
            latest = latest_version(session, robot_type.id)
    except SQLAlchemyError as exc:
        raise SpecError(
            f"cannot read robot type {ref!r} from Keystone's database "
            f"(KEYSTONE_DATABASE_URL): {type(exc).__name__}: {str(exc).splitlines()[0]}"
        ) from None
    version = (
        f"version {latest.version}"
        if latest is not None and latest.spec_digest == spec_digest(own)
        else "unversioned"
    )
    return parse_spec(own), f"robot type {robot_type.name} ({robot_type.id}), spec {version}"


app = build_app(s3_client=_keystone_s3_client, spec_source=robot_type_spec)
