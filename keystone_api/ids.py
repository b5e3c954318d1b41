"""Identifiers: lowercase, time-ordered, at most 64 characters.

IDs become object-store keys, Dagster partition metadata and URL segments. MariaDB
compares Dagster's keys case-insensitively on their first 64 characters, so every ID
is a lowercase UUIDv7 (RFC 9562): 36 characters, sortable by creation time.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    """A new UUIDv7 as a lowercase string; monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same (or an earlier, after a clock step) millisecond: keep order by
            # bumping the 12-bit counter, borrowing the next millisecond on overflow.
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
    return str(uuid.UUID(int=value))


def id_timestamp_ms(value: str) -> int:
    """The creation time (epoch milliseconds) encoded in a UUIDv7."""
    return uuid.UUID(value).int >> 80
