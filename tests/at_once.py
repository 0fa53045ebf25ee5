"""Several sessions doing something at the same instant: each call in a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(*calls: Callable[[], object]) -> list[Exception]:
    """Run every call in its own thread, all let go together; what they raised."""
    start = threading.Barrier(len(calls))
    failed: list[Exception] = []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
        except Exception as e:
            failed.append(e)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed
