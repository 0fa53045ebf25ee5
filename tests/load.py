"""Deliberate CPU load for the tests and benchmarks: plain busy loops, always stopped."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

BUSY_LOOP = ["sh", "-c", "while :; do :; done"]
LOWER = ["nice", "-n", "10"]  # the program at a lower priority than the load, as the issue found it


@contextmanager
def busy(per_core: int) -> Iterator[None]:
    """`per_core` busy loops for each core, at normal priority, killed on the way out whatever happens."""
    loops: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(per_core * (os.cpu_count() or 1)):
            loops.append(subprocess.Popen(BUSY_LOOP, stdin=subprocess.DEVNULL))
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()
