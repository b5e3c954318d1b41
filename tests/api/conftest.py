# The edge app fixtures live in tests/conftest.py (pipelines and sync tests use them too);
# re-exported here for modules that import them from this package.
from tests.conftest import client, live_api, world  # noqa: F401
