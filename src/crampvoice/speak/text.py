"""The speaker used with --text: nothing is heard; the text view prints every line."""

from __future__ import annotations

from collections.abc import Callable


class TextSpeaker:
    """Says nothing aloud and is always idle at once."""

    def say(self, text: str, cue: bool = False) -> None:
        pass

    def silence(self) -> None:
        pass

    def when_idle(self, callback: Callable[[], None]) -> None:
        callback()

    def adjust(self, setting: str, level: int) -> None:
        pass

    def quiet_since(self) -> float | None:
        return 0.0

    def close(self) -> None:
        pass
