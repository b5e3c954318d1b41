"""Seed a factory for the callback benchmark straight into the database (fast, bulk)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.fleet.models import Robot, RobotType, Workstation
from keystone_api.ids import new_id
from keystone_api.orders.models import Batch, Order, OrderStatus, Task, TaskStatus
from keystone_api.registry.models import (
    Factory,
    Organization,
    Scene,
    Skill,
    Sop,
    Subscene,
    SubsceneSkill,
)


@dataclass
class Seeded:
    factory_id: str
    robots: list[tuple[str, str]]  # (robot id, device id)
    tasks_by_robot: dict[str, list[str]]


def seed(session: Session, robots: int, tasks_per_robot: int) -> Seeded:
    org = Organization(name="Bench Org")
    session.add(org)
    session.flush()
    factory = Factory(organization_id=org.id, name="Bench Factory", number=1)
    rtype = RobotType(name="BenchBot", number=1, topics=[{"name": "/joint_states"}])
    session.add_all([factory, rtype])
    session.flush()
    scene = Scene(factory_id=factory.id, name="Bench")
    skill = Skill(organization_id=org.id, name="bench")
    session.add_all([scene, skill])
    session.flush()
    sub = Subscene(scene_id=scene.id, robot_type_id=rtype.id, name="bench")
    session.add(sub)
    session.flush()
    session.add(SubsceneSkill(subscene_id=sub.id, skill_id=skill.id))
    sop = Sop(skill_id=skill.id, subscene_id=sub.id, name="bench")
    session.add(sop)
    session.flush()
    order = Order(
        factory_id=factory.id,
        scene_id=scene.id,
        subscene_id=sub.id,
        sop_id=sop.id,
        target_episodes=robots * tasks_per_robot,
        status=OrderStatus.active,
    )
    session.add(order)
    session.flush()
    seeded = Seeded(factory.id, [], {})
    now = utcnow()
    for i in range(robots):
        robot = Robot(
            factory_id=factory.id, robot_type_id=rtype.id, device_id=f"AB-F0001-T0001-{i + 1:06d}"
        )
        session.add(robot)
        session.flush()
        ws = Workstation(factory_id=factory.id, name=f"WS-{i:03d}", robot_id=robot.id)
        session.add(ws)
        session.flush()
        batch = Batch(order_id=order.id, workstation_id=ws.id)
        session.add(batch)
        session.flush()
        ids = [new_id() for _ in range(tasks_per_robot)]
        session.execute(
            insert(Task),
            [
                {
                    "id": tid,
                    "order_id": order.id,
                    "batch_id": batch.id,
                    "workstation_id": ws.id,
                    "sop_id": sop.id,
                    "sequence": n,
                    "status": TaskStatus.pending,
                    "robot_id": robot.id,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, tid in enumerate(ids)
            ],
        )
        seeded.robots.append((robot.id, robot.device_id))
        seeded.tasks_by_robot[robot.id] = ids
    return seeded
