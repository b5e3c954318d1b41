"""What the fleet simulator does on purpose, said on the alert it causes.

`keystone dev` runs a simulator that damages a share of the recordings (a missing topic, a
gap, corrupt frames ...) and sets KEYSTONE_SIMULATED_DEFECT_RATE to that share. Its QA
failure rate then sits near the share and QaFailureRateHigh fires all day: on a demo that
reads as a fault unless the alert says whose doing it is. The alert keeps its state and
severity (the threshold is the specification's); it gains `simulated` and a sentence.

A failure rate beyond what the simulator explains (its share plus the alert's own
threshold) is not marked: then something else fails too, and the alert says that.
"""

from __future__ import annotations

from dataclasses import replace

from keystone_api.alerts.rules import THRESHOLDS, AlertState, Thresholds

QA_ALERT = "QaFailureRateHigh"


def explained_by_simulator(
    alert: AlertState, defect_rate: float | None, t: Thresholds = THRESHOLDS
) -> AlertState:
    if alert.name != QA_ALERT or defect_rate is None or defect_rate <= 0:
        return alert
    share = f"{defect_rate * 100:.0f} %"
    rate = alert.value
    if rate is not None and rate > defect_rate + t.qa_failure_rate:
        note = (
            f" The fleet simulator damages {share} of recordings on purpose; "
            f"{rate * 100:.1f} % failing is more than it explains: look for a real fault."
        )
        return replace(alert, description=alert.description + note)
    note = (
        f" Simulated: the fleet simulator of `keystone dev` damages {share} of recordings on "
        "purpose (--defect-rate), so failures near that share are its doing, not a fault."
    )
    return replace(alert, simulated=True, description=alert.description + note)


def mark_simulated(alerts: list[AlertState], defect_rate: float | None) -> list[AlertState]:
    return [explained_by_simulator(a, defect_rate) for a in alerts]
