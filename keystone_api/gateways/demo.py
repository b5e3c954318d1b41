"""The demo robot type: what `keystone dev` and the fleet simulator register their emulated
robots as, shipped with its recorder.yaml / transfer.yaml. Its topics are the ones the
simulated recordings carry (keystone_sim.recording)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.fleet.models import RobotType
from keystone_api.gateways.templates import install_defaults

DEMO_ROBOT_TYPE = "Axon Demo"
_JOINTS = "sensor_msgs/msg/JointState"
_JPEG = "sensor_msgs/msg/CompressedImage"
DEMO_TOPICS: list[dict[str, Any]] = [
    {"name": "/joint_states", "type": _JOINTS, "hz": 500},
    {"name": "/gripper/state", "type": _JOINTS, "hz": 50},
    *(
        {"name": f"/camera_{cam}/image_raw/compressed", "type": _JPEG, "hz": 30}
        for cam in ("left", "right", "head")
    ),
]

# What a simulated recording must show to auto-approve: every content defect the fleet
# simulator injects (keystone_sim.factory.defects) fails one QA check against it.
DEMO_QA_SPEC: dict[str, Any] = {
    "required_topics": [topic["name"] for topic in DEMO_TOPICS],
    "min_duration_s": 2.0,
    "max_gap_s": 0.5,
    "image_sample": 60,
}


def ensure_demo_robot_type(session: Session) -> RobotType:
    """The demo robot type, created if missing, with the shipped templates installed
    (templates an admin has changed are kept)."""
    robot_type = session.execute(
        select(RobotType).where(RobotType.name == DEMO_ROBOT_TYPE)
    ).scalar_one_or_none()
    if robot_type is None:
        number = (session.execute(select(func.max(RobotType.number))).scalar() or 0) + 1
        robot_type = RobotType(
            name=DEMO_ROBOT_TYPE,
            number=number,
            manufacturer="ArcheBase",
            description="Axon recorder demo robot (simulated fleet, keystone dev)",
            topics=DEMO_TOPICS,
            qa_spec=DEMO_QA_SPEC,
        )
        session.add(robot_type)
        session.flush()
    install_defaults(session, robot_type.id)
    return robot_type
