"""Watchdogs that judge a device by its own progress, not by the machine's speed.

A device (a speaker pulling samples, a microphone giving frames) is given up on only after
it has made no progress for a while that we were awake to see: each look counts for at most
twice the interval between looks. On a machine so busy that the watchdog itself runs late,
the thread feeding the device is late for the same reason, and that is not held against the
device.
"""

from __future__ import annotations

import time

LATE_FACTOR = 2.0  # a look that comes later than this many intervals counts as this many


class Stall:
    """Tells when a progress counter has stood still for `limit_s` of time seen awake."""

    def __init__(self, limit_s: float, every_s: float) -> None:
        self.limit_s, self.every_s = limit_s, every_s
        self._seen: int | None = None
        self._still_s = 0.0
        self._looked_at = time.monotonic()

    def stuck(self, progress: int) -> bool:
        """Look once more (about every `every_s`); True once the device has stood still too long."""
        now = time.monotonic()
        elapsed, self._looked_at = now - self._looked_at, now
        if progress != self._seen:
            self._seen, self._still_s = progress, 0.0
            return False
        self._still_s += min(elapsed, LATE_FACTOR * self.every_s)
        return self._still_s >= self.limit_s
