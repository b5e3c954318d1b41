"""Errors of the recorder actions, each with its own code (the UI tells them apart)."""

from __future__ import annotations

from keystone_api.errors import Conflict, DomainError


class RecorderNotConnected(Conflict):
    code = "recorder_not_connected"


class RecorderBusy(Conflict):
    code = "recorder_busy"


class RecorderRefused(Conflict):
    """The recorder answered `success: false`; its message is passed on."""

    code = "recorder_refused"


class RecorderGone(Conflict):
    code = "recorder_disconnected"


class RecorderTimeout(DomainError):
    status_code = 504
    code = "recorder_timeout"
