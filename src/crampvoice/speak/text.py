"""The speaker used with --text, and after speech gives out: nothing is heard; the text view
prints every line.

It still keeps the pace of speech: each line takes as long as `show` says it takes to say
(the timeline's estimate, with the same breath between sentences), and only then is the
speaker idle. Otherwise a session in text would race through its spoken steps in
milliseconds, and a person listening from bed would not be guided. Holds keep their own
time either way. The pacing lives here, in the shell, so fake-clock tests stay instant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..core.timeline import SENTENCE_GAP_S, estimate_speech_s


class TextSpeaker:
    """Says nothing aloud; idle once the lines given would have been said."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy_until = -SENTENCE_GAP_S  # when the last line would have been said (monotonic s)
        self._idle: Callable[[], None] | None = None
        self._timer: threading.Timer | None = None
        self._scheduled = 0  # which timer is the live one: a cancelled one may still fire

    def say(self, text: str, cue: bool = False) -> None:
        with self._lock:
            starts = max(self._busy_until + SENTENCE_GAP_S, time.monotonic())
            self._busy_until = starts + estimate_speech_s(text)

    def silence(self) -> None:
        with self._lock:
            self._busy_until = time.monotonic() - SENTENCE_GAP_S
        self._schedule()

    def when_idle(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._idle = callback
        self._schedule()

    def adjust(self, setting: str, level: int) -> None:
        pass

    def quiet_since(self) -> float | None:
        return 0.0

    def close(self) -> None:
        with self._lock:
            self._idle = None
            if self._timer is not None:
                self._timer.cancel()

    def _schedule(self) -> None:
        """Call the idle callback when the last line would have been said (at once if it has)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self._idle is None:
                return
            self._scheduled += 1
            self._timer = threading.Timer(max(0.0, self._busy_until - time.monotonic()), self._fire,
                                          args=(self._scheduled,))
            self._timer.daemon = True
            self._timer.start()

    def _fire(self, scheduled: int) -> None:
        with self._lock:
            if scheduled != self._scheduled:
                return
            callback, self._idle = self._idle, None
        if callback is not None:
            callback()
