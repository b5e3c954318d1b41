"""Every model, imported once so Base.metadata is complete (Alembic, tests)."""

from keystone_api.accounts.models import ApiToken, User
from keystone_api.alerts.models import OperatorEvent
from keystone_api.cloud.models import (
    CloudBatch,
    CloudEpisode,
    CloudEpisodeTag,
    CloudOrder,
    CloudOrganization,
    CloudTask,
)
from keystone_api.db.base import Base
from keystone_api.enrollment.models import EnrollmentSecret
from keystone_api.episodes.labels import EpisodeLabel
from keystone_api.episodes.models import Episode, EpisodeStatusChange, InspectionDecision, QaCheck
from keystone_api.episodes.review_models import InspectionAnnotation, SpotCheck
from keystone_api.fleet.models import (
    DataCollector,
    Inspector,
    Robot,
    RobotType,
    RobotTypeConfig,
    Workstation,
    WorkstationPairing,
)
from keystone_api.gateways.models import TaskUpload
from keystone_api.orders.models import Batch, Order, Task, TaskTransition
from keystone_api.qa.models import QaAssessment, QaReassessMark, QaReassessRequest, QaSpecVersion
from keystone_api.registry.models import (
    Factory,
    Operation,
    Organization,
    Scene,
    Skill,
    Sop,
    Subscene,
    SubsceneSkill,
)
from keystone_api.sync.models import EpisodeSync, ReplicaOutbox, SyncAttempt

__all__ = [
    "ApiToken",
    "EnrollmentSecret",
    "OperatorEvent",
    "Base",
    "Batch",
    "CloudBatch",
    "CloudEpisode",
    "CloudEpisodeTag",
    "CloudOrder",
    "CloudOrganization",
    "CloudTask",
    "DataCollector",
    "Episode",
    "EpisodeLabel",
    "EpisodeStatusChange",
    "EpisodeSync",
    "Factory",
    "InspectionDecision",
    "InspectionAnnotation",
    "SpotCheck",
    "Inspector",
    "Operation",
    "Order",
    "Organization",
    "QaAssessment",
    "QaCheck",
    "QaReassessMark",
    "QaReassessRequest",
    "QaSpecVersion",
    "ReplicaOutbox",
    "Robot",
    "RobotType",
    "RobotTypeConfig",
    "Scene",
    "Skill",
    "Sop",
    "Subscene",
    "SubsceneSkill",
    "SyncAttempt",
    "Task",
    "TaskTransition",
    "TaskUpload",
    "User",
    "Workstation",
    "WorkstationPairing",
]
