"""Fakes for the core's tests and for benchmarks: no device, no sleep, no thread.

Core module: a `FakeClock` that moves only when told, a `ScriptedInbox` that hands
out inputs at given times (moving the clock to them), and a `FakeSpeaker`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from .events import Arrival


class FakeClock:
    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, at: float) -> None:
        if at < self._now:
            raise ValueError(f"a clock cannot go back from {self._now} to {at}")
        self._now = at


class SessionStuck(AssertionError):
    """The session waited for input with no deadline and nothing left to give it."""


class ScriptedInbox:
    """Inputs at given instants; a timeout moves the clock to the deadline at once."""

    def __init__(self, clock: FakeClock, inputs: Iterable[tuple[float, Arrival]] = ()) -> None:
        self.clock = clock
        self._now: deque[Arrival] = deque()
        self._later = deque(sorted(inputs, key=lambda pair: pair[0]))

    def put(self, event: Arrival) -> None:
        self._now.append(event)

    def poll(self, timeout_s: float | None) -> Arrival | None:
        if self._now:
            return self._now.popleft()
        due = None if timeout_s is None else self.clock.now() + timeout_s
        if self._later and (due is None or self._later[0][0] <= due):
            at, event = self._later.popleft()
            self.clock.advance_to(max(at, self.clock.now()))
            return event
        if due is None:
            raise SessionStuck("the session is waiting for input and none is scripted")
        self.clock.advance_to(due)
        return None


class FakeSpeaker:
    """Remembers what it was asked to say; says it in no time."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.silenced = 0
        self.settings: list[tuple[str, int]] = []
        self.closed = False

    def say(self, text: str, cue: bool = False) -> None:
        self.said.append(text)

    def silence(self) -> None:
        self.silenced += 1

    def when_idle(self, callback: Callable[[], None]) -> None:
        callback()

    def adjust(self, setting: str, level: int) -> None:
        self.settings.append((setting, level))

    def quiet_since(self) -> float | None:
        return 0.0

    def close(self) -> None:
        self.closed = True
