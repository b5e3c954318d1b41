"""Releasing a task whose recorder went offline.

A real recorder that loses its socket keeps recording and reconnects with backoff (retries
up to ~18 s apart, axon-protocol.md section 7), so its task is not free: given to another
station, the same task would be recorded twice and the first recording would land on a
task that moved on. Staff (not collectors) may release it once the recorder has been away
longer than KEYSTONE_RECORDER_OFFLINE_RELEASE_S; before that the answer says when.
"""

from __future__ import annotations

import math

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, Forbidden
from keystone_api.orders.models import Task
from keystone_api.settings import Settings


def check_offline_release(task: Task, principal: Principal, settings: Settings) -> None:
    since = task.recorder_offline_at
    assert since is not None
    if principal.role not in (Role.admin, Role.operator):
        raise Forbidden(
            f"task '{task.id}' is held by a recorder that went offline (it may still be "
            "recording): only an operator or admin may release it"
        )
    away = (utcnow() - since).total_seconds()
    wait = math.ceil(settings.recorder_offline_release_s - away)
    if wait > 0:
        raise Conflict(
            f"the recorder of task '{task.id}' went offline at {since:%Y-%m-%d %H:%M:%S} UTC "
            f"and may still be recording: it can be released in {wait} s, or sooner when the "
            "recorder is back and no longer holds it",
            {"recorder_offline_at": since.isoformat(), "retry_after_s": wait},
        )
