"""Settings for a block of a test, seen by every app of this process (the apps read
get_settings() per request, so the session's live server follows too)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from keystone_api.settings import get_settings


def new_scrape_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, as `openssl rand -base64 32` gives


@contextmanager
def settings_env(**values: str) -> Iterator[None]:
    """KEYSTONE_<NAME>=value for each name=value, restored afterwards."""
    names = {f"KEYSTONE_{k.upper()}": v for k, v in values.items()}
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(names)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
