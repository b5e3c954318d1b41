"""The fleet simulator behind `keystone simulate` and `keystone dev`: emulated Axon robots
and their collectors working a real Keystone edge through its API."""

from keystone_sim.factory.fleet import Fleet, FleetOptions
from keystone_sim.factory.records import FleetReport, Recording
from keystone_sim.factory.target import Target, TargetError, load_dev_file

__all__ = [
    "Fleet",
    "FleetOptions",
    "FleetReport",
    "Recording",
    "Target",
    "TargetError",
    "load_dev_file",
]
