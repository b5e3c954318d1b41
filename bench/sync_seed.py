"""Seed the sync benchmark's edge directly in its database: a minimal registry, and approved
episodes (object in the edge store, task, episode, queued sync row) without the HTTP flow,
which the benchmark does not measure."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from keystone_api.db.base import utcnow
from keystone_api.db.engine import make_engine
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import RobotType, Workstation
from keystone_api.orders.models import Batch, Order, Task, TaskStatus
from keystone_api.registry.models import Factory, Organization, Scene, Skill, Sop, Subscene
from keystone_api.settings import get_settings
from keystone_api.storage.s3 import ensure_bucket, make_s3_client
from keystone_api.sync.queue import enqueue_approved


@dataclass
class Edge:
    sessions: sessionmaker[Session]
    s3: Any
    bucket: str
    ids: dict[str, str]


def seed_registry(database_url: str, store: Any) -> Edge:
    sessions = sessionmaker(make_engine(database_url), expire_on_commit=False)
    n = uuid.uuid4().hex[:6]
    with sessions.begin() as s:
        org = Organization(name=f"Bench org {n}", description="")
        s.add(org)
        s.flush()
        factory = Factory(organization_id=org.id, name=f"Bench factory {n}", number=1)
        robot_type = RobotType(name=f"Bench robot {n}", number=1)
        s.add_all([factory, robot_type])
        s.flush()
        scene = Scene(factory_id=factory.id, name="Kitchen")
        skill = Skill(organization_id=org.id, name="fold towel")
        s.add_all([scene, skill])
        s.flush()
        subscene = Subscene(scene_id=scene.id, robot_type_id=robot_type.id, name="Table")
        s.add(subscene)
        s.flush()
        sop = Sop(skill_id=skill.id, subscene_id=subscene.id, name="Fold v1")
        ws = Workstation(factory_id=factory.id, name="WS-01")
        s.add_all([sop, ws])
        s.flush()
        order = Order(
            factory_id=factory.id,
            scene_id=scene.id,
            subscene_id=subscene.id,
            sop_id=sop.id,
            target_episodes=100_000,
        )
        s.add(order)
        s.flush()
        batch = Batch(order_id=order.id, workstation_id=ws.id)
        s.add(batch)
        s.flush()
        ids = {
            "factory": factory.id,
            "order": order.id,
            "batch": batch.id,
            "workstation": ws.id,
            "scene": scene.id,
            "subscene": subscene.id,
            "sop": sop.id,
        }
    s3 = make_s3_client(store.endpoint_url, store.access_key, store.secret_key)
    bucket = get_settings().bucket_for(ids["factory"])
    ensure_bucket(s3, bucket)
    return Edge(sessions, s3, bucket, ids)


def seed_episode(edge: Edge, path: Path, sha256: str) -> str:
    """An approved episode whose MCAP is `path` (uploaded to the edge store), queued."""
    ids = edge.ids
    task_id = str(uuid.uuid4())
    prefix = f"batches/{ids['batch']}/tasks/{task_id}"
    sidecar = json.dumps({"task": {"task_id": task_id}, "recording": {"duration_sec": 30}})
    edge.s3.upload_file(
        str(path),
        edge.bucket,
        f"{prefix}/data.mcap",
        ExtraArgs={"Metadata": {"checksum-sha256": sha256}},
    )
    edge.s3.put_object(Bucket=edge.bucket, Key=f"{prefix}/sidecar.json", Body=sidecar.encode())
    now = utcnow()
    with edge.sessions.begin() as s:
        s.add(
            Task(
                id=task_id,
                order_id=ids["order"],
                batch_id=ids["batch"],
                workstation_id=ids["workstation"],
                sop_id=ids["sop"],
                status=TaskStatus.completed,
            )
        )
        s.flush()
        episode = Episode(
            task_id=task_id,
            factory_id=ids["factory"],
            order_id=ids["order"],
            batch_id=ids["batch"],
            workstation_id=ids["workstation"],
            scene_id=ids["scene"],
            subscene_id=ids["subscene"],
            sop_id=ids["sop"],
            status=EpisodeStatus.auto_approved,
            bucket=edge.bucket,
            mcap_key=f"{prefix}/data.mcap",
            sidecar_key=f"{prefix}/sidecar.json",
            mcap_size_bytes=path.stat().st_size,
            sidecar_size_bytes=len(sidecar),
            checksum_sha256=sha256,
            sidecar_sha256=hashlib.sha256(sidecar.encode()).hexdigest(),
            landed_at=now,
            approved_at=now,
        )
        s.add(episode)
        s.flush()
        enqueue_approved(s, episode, get_settings())
        return episode.id
