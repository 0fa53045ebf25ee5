"""What every recogniser does: one utterance in, one command (or none) out.

The stream (stream.py) hands a recogniser each utterance the voice-activity detector finds;
`run`, `recognize` and the benchmarks choose which recogniser, so they can be combined and
measured side by side: pocketsphinx for any voice (sphinx.py), the person's own voice learnt
from their takes (personal.py), or both (`Combined`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..core.commands import Command


@dataclass(frozen=True, slots=True)
class Heard:
    command: Command | None  # None: no command (not sure enough, or something else)
    text: str  # the phrase it heard, or its best guess when it is not sure; "" for something else
    confidence: float  # 0 to 1


class Recognizer(Protocol):
    follows_room: bool  # whether its voice-activity detector follows the room (endpoint.py): a quiet room
    # boosted, and an utterance ended as soon as the room is quiet again

    def expect(self, commands: Iterable[Command]) -> None:
        """Listen for these commands only, from the next utterance on."""
        ...

    def begin(self) -> None:
        """A new utterance; whatever was fed before is forgotten, undecoded."""
        ...

    def feed(self, pcm: bytes) -> None:
        """Part of the utterance: 16 kHz, 16-bit, mono."""
        ...

    def end(self) -> Heard:
        """The utterance has ended: what it was."""
        ...


@runtime_checkable
class DecidesEarly(Protocol):
    """A recogniser that may be sure of a command before the quiet ending its utterance is over."""

    def early(self) -> Heard | None:
        """Asked after each frame of an utterance: a command it is sure of already (then the
        utterance's end asks nothing more), or None to wait for the end."""
        ...


@runtime_checkable
class HearsTheRoom(Protocol):
    """A recogniser that also wants the room's own sound: every frame heard, before the endpointer."""

    def room(self, frame: bytes) -> None:
        """A 20 ms frame as heard, in an utterance or not (before its `begin` where it starts one)."""
        ...
