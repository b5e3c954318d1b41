"""An Axon robot emulator written from spec/axon-protocol.md: registration and templates
(`config`), the recorder (`recorder`), the transfer daemon (`transfer`), and both together
(`robot.AxonRobot`). Used by the tests, the benchmark and the fleet simulator."""

from keystone_sim.axon.config import Registration, RegistrationError, register, render_template
from keystone_sim.axon.faults import Faults
from keystone_sim.axon.recorder import Recorder
from keystone_sim.axon.robot import AxonRobot
from keystone_sim.axon.s3 import S3Target
from keystone_sim.axon.transfer import TransferDaemon
from keystone_sim.axon.wsclient import Backoff

__all__ = [
    "AxonRobot",
    "Backoff",
    "Faults",
    "Recorder",
    "Registration",
    "RegistrationError",
    "S3Target",
    "TransferDaemon",
    "register",
    "render_template",
]
