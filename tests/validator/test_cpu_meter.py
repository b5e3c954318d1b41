"""The validator's CPU meter counts the helper threads' work, and only theirs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from keystone_pipelines.validator.cpu import measure, metered


def _burn(seconds: float) -> None:
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


def test_metered_helper_threads_are_counted_and_others_not() -> None:
    with measure() as meter:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(metered(_burn), [0.05, 0.05]))
        outsider = threading.Thread(target=_burn, args=(0.2,))  # not metered
        outsider.start()
        outsider.join()
    assert 0.1 <= meter.seconds < 0.3


def test_without_a_meter_metered_is_the_function_itself() -> None:
    assert metered(_burn) is _burn
