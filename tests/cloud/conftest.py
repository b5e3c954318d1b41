"""The cloud's catalog tests stand on the sync tests' cloud (a `keystone api` process in the
cloud role, its own MariaDB database and SeaweedFS bucket) and the dashboard tests' browser."""

from __future__ import annotations

from tests.dashboard.conftest import browser  # noqa: F401 - headless Chromium
from tests.sync.conftest import cloud, drained, sync_settings  # noqa: F401 - the cloud
