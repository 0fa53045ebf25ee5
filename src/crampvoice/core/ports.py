"""The small interfaces the session loop talks to. Core module: Protocols only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .commands import Command
from .events import Arrival


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...


class Inbox(Protocol):
    """Where every input source puts what happened; the session's only wait."""

    def put(self, event: Arrival) -> None: ...

    def poll(self, timeout_s: float | None) -> Arrival | None:
        """The next input, or None once `timeout_s` has passed (None: wait for one)."""
        ...


class Speaker(Protocol):
    def say(self, text: str, cue: bool = False) -> None:
        """Queue speech; return at once."""
        ...

    def silence(self) -> None:
        """Stop speaking now and drop what is queued."""
        ...

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from any thread) once everything queued is said or silenced."""
        ...

    def adjust(self, setting: str, level: int) -> None:
        """Set "rate" or "volume" to a level from -4 to +4 (0: the person's own)."""
        ...

    def quiet_since(self) -> float | None:
        """None while sound is playing; else when it last stopped (monotonic s). For the microphone."""
        ...

    def close(self) -> None: ...


class Sink(Protocol):
    """Where a session's events go: the --events log, the diary. Never raises: a sink that fails says so once."""

    def write(self, type_: str, at: float, **fields: object) -> None: ...


class Ears(Protocol):
    """A source that listens: told which commands the session can take now."""

    def expect(self, commands: frozenset[Command]) -> None: ...


class Source(Protocol):
    """Keys, a microphone: puts inputs into the inbox from a thread of its own."""

    def start(self, put: Callable[[Arrival], None]) -> None: ...

    def close(self) -> None: ...
