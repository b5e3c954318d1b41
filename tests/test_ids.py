from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from keystone_api.ids import id_timestamp_ms, new_id


def test_ids_are_lowercase_short_and_time_ordered() -> None:
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for value in ids[:50]:
        assert value == value.lower()
        assert len(value) <= 64
        assert value[14] == "7"  # UUID version 7


def test_ids_carry_their_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= id_timestamp_ms(value) <= after + 1


@given(st.integers(min_value=1, max_value=50))
def test_ids_made_later_sort_later(n: int) -> None:
    first = new_id()
    later = [new_id() for _ in range(n)]
    assert all(first < v for v in later)
