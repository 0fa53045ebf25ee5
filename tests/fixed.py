"""A recogniser that hears the same for every utterance, for tests of what is built around one."""

from __future__ import annotations

from crampvoice.listen.recognizer import Heard


class Fixed:
    """Every utterance is `heard`; `ended` counts the utterances it was asked about."""

    follows_room = False

    def __init__(self, heard: Heard) -> None:
        self.heard, self.ended = heard, 0

    def expect(self, commands: object) -> None:
        pass

    def begin(self) -> None:
        pass

    def feed(self, pcm: bytes) -> None:
        pass

    def end(self) -> Heard:
        self.ended += 1
        return self.heard
