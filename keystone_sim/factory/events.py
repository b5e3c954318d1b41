"""What a running fleet tells its watcher (progress bars, a log, or nobody)."""

from __future__ import annotations

import logging

from keystone_sim.factory.records import Recording

log = logging.getLogger("keystone_sim.factory")


class FleetEvents:
    """The silent watcher; subclasses show progress."""

    def robot_ready(self, device_id: str, index: int) -> None:
        pass

    def recorded(self, rec: Recording) -> None:
        pass

    def acked(self, rec: Recording) -> None:
        pass

    def decided(self, rec: Recording) -> None:
        pass

    def problem(self, message: str) -> None:
        pass


class LogEvents(FleetEvents):
    """One log line per event: for a fleet running unattended (under `keystone dev`)."""

    def robot_ready(self, device_id: str, index: int) -> None:
        log.info("robot %02d online: %s", index, device_id)

    def recorded(self, rec: Recording) -> None:
        log.info("recorded %s on %s (%s)", rec.task_id, rec.device_id, rec.kind)

    def acked(self, rec: Recording) -> None:
        log.info("uploaded and ACKed %s", rec.task_id)

    def decided(self, rec: Recording) -> None:
        mark = "as expected" if rec.as_expected else f"expected {rec.expected}"
        log.info("QA decided %s: %s (%s, %s)", rec.task_id, rec.decision, rec.kind, mark)

    def problem(self, message: str) -> None:
        log.warning("%s", message)
