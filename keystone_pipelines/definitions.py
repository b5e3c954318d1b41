"""The one Dagster Definitions object of the Keystone code location."""

from __future__ import annotations

import dagster as dg

defs = dg.Definitions(assets=[], sensors=[], jobs=[])
