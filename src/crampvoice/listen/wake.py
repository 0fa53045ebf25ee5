"""Standby's ear: whatever recogniser hears the person (`hearing.recognizer_for`), asked for the
start phrases only and held to the stricter rule of `core/wake.py`.

It is a `Recognizer` itself, so the microphone's one streaming path (mic.py, stream.py) runs it
as it runs a session's: the voice-activity detector frames every 20 ms, and the recogniser is
fed only once an utterance has begun, so silence costs next to nothing. Any recogniser behind
the Protocol will do, the general one out of the box (pocketsphinx checked by the verifier, or
what replaces it) or the person's own model once they have taught a start phrase ("any phrase,
from three to five takes").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..core.commands import Command, Vocabulary
from ..core.wake import START_CONFIDENCE, near_miss, takes_start
from .recognizer import Heard, Recognizer

if TYPE_CHECKING:
    from .phrasegate import PhraseGate


class WakeRecognizer:
    """A `Recognizer` that names `Command.START` or nothing; `taken` is the last start's answer."""

    def __init__(self, inner: Recognizer, vocabulary: Vocabulary, floor: float = START_CONFIDENCE,
                 gate: PhraseGate | None = None) -> None:
        """`gate`: the second check on a phrase the person taught (phrasegate.py), if they taught one."""
        self.inner = inner
        self.gate = gate
        self._utterance = bytearray()
        self.follows_room = inner.follows_room
        self.phrases = vocabulary.phrases[Command.START]
        self.floor = floor
        self.taken: Heard | None = None
        inner.expect({Command.START})

    def expect(self, commands: Iterable[Command]) -> None:
        """Standby listens for a start and nothing else, whatever it is told."""

    def begin(self) -> None:
        self.inner.begin()
        self._utterance.clear()

    def feed(self, pcm: bytes) -> None:
        self.inner.feed(pcm)
        if self.gate is not None:
            self._utterance += pcm

    def end(self) -> Heard:
        """A start, or no command with the phrase guessed only when it was a start phrase (a near miss)."""
        heard = self.inner.end()
        if takes_start(heard.command is Command.START, heard.text, heard.confidence, self.phrases, self.floor) \
                and self._gate_passes(heard.text):
            self.taken = heard
            return Heard(Command.START, heard.text, heard.confidence)
        if near_miss(heard.text, heard.confidence, self.phrases):
            return Heard(None, heard.text, heard.confidence)
        return Heard(None, "", 0.0)

    def _gate_passes(self, phrase: str) -> bool:
        if self.gate is None:
            return True
        return self.gate.passes(phrase, np.frombuffer(bytes(self._utterance), dtype="<i2"))[0]
