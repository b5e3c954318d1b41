"""What the dev fleet simulator causes on purpose is said on the alert: a QA failure rate
within its defect share (plus the alert's own threshold) is marked simulated; beyond that,
or without a simulator, the alert is left a fault; no other alert is touched."""

from __future__ import annotations

import pytest

from keystone_api.alerts.rules import AlertState
from keystone_api.alerts.simulation import explained_by_simulator, mark_simulated
from keystone_api.settings import Settings


def qa_alert(rate: float) -> AlertState:
    return AlertState(
        name="QaFailureRateHigh",
        severity="warning",
        firing=rate > 0.10,
        factory_id="f1",
        value=rate,
        threshold=0.10,
        unit="ratio",
        since=None,
        description="6 of 30 episodes assessed in the last hour failed a QA check.",
    )


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.3])
def test_a_rate_the_simulator_explains_is_marked_and_says_why(rate: float) -> None:
    alert = explained_by_simulator(qa_alert(rate), 0.2)
    assert alert.simulated
    assert (alert.firing, alert.severity) == (rate > 0.10, "warning")  # the rule's verdict stays
    assert "fleet simulator" in alert.description and "20 %" in alert.description
    assert alert.description.startswith("6 of 30 episodes")


def test_a_rate_beyond_the_simulators_share_is_left_a_fault_and_says_so() -> None:
    alert = explained_by_simulator(qa_alert(0.31), 0.2)
    assert not alert.simulated and alert.firing
    assert "31.0 % failing is more than it explains" in alert.description


@pytest.mark.parametrize("defect_rate", [None, 0.0])
def test_without_a_simulator_nothing_changes(defect_rate: float | None) -> None:
    assert explained_by_simulator(qa_alert(0.2), defect_rate) == qa_alert(0.2)


def test_only_the_qa_alert_is_explained_by_injected_defects() -> None:
    queue = AlertState(
        name="UploadQueueHigh",
        severity="warning",
        firing=True,
        factory_id="f1",
        value=8,
        threshold=5,
        unit="files",
        since=None,
        description="1 robot(s) hold more than 5 recordings not yet uploaded.",
    )
    assert mark_simulated([queue, qa_alert(0.2)], 0.2) == [
        queue,
        explained_by_simulator(qa_alert(0.2), 0.2),
    ]


def test_the_setting_is_a_share() -> None:
    assert Settings(simulated_defect_rate=0.2).simulated_defect_rate == 0.2
    with pytest.raises(ValueError, match="less than or equal to 1"):
        Settings(simulated_defect_rate=20)
