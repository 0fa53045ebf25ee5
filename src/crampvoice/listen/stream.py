"""The one streaming path, for a microphone and for files alike: 20 ms frames in, decisions out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..audio import Audio, to_mono_16k
from .endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE_HZ, Endpointer, Mark, endpointer_for
from .recognizer import DecidesEarly, Heard, HearsTheRoom, Recognizer


@dataclass(frozen=True, slots=True)
class Decision:
    heard: Heard
    decided_ms: int  # the position in the audio at which it was decided
    utterance: Audio | None = None  # what was decided on; None for talk that went on too long


class Listener:
    def __init__(self, recognizer: Recognizer, endpointer: Endpointer | None = None) -> None:
        """`endpointer`: by default the one the recogniser asks for (its detector following the
        room or not, `Recognizer.follows_room`)."""
        self.recognizer = recognizer
        self.endpointer = endpointer or endpointer_for(recognizer.follows_room)
        self.position_ms = 0
        self._utterance = bytearray()  # as the recogniser was fed it: a few seconds at most
        self._early = recognizer if isinstance(recognizer, DecidesEarly) else None
        self._room = recognizer if isinstance(recognizer, HearsTheRoom) else None
        self._decided = False  # this utterance's command was decided before its end

    def push(self, frame: bytes) -> Decision | None:
        """One 20 ms frame (16 kHz, 16-bit, mono); a decision when an utterance has ended, or
        before, when the recogniser is sure of a command already (`DecidesEarly`)."""
        self.position_ms += FRAME_MS
        if self._room is not None:
            self._room.room(frame)
        step = self.endpointer.push(frame)
        if step is None:
            return None
        if step.mark is Mark.START:
            self.recognizer.begin()
            self._utterance, self._decided = bytearray(), False
        for f in step.frames:
            self.recognizer.feed(f)
            self._utterance += f
        if self._decided:  # the rest of an utterance already acted on
            return None
        if step.mark is Mark.CONTINUE and self._early is not None and (heard := self._early.early()) is not None:
            self._decided = True
            return Decision(heard, self.position_ms, Audio(bytes(self._utterance), SAMPLE_RATE_HZ))
        if step.mark is Mark.END:
            return Decision(self.recognizer.end(), self.position_ms, Audio(bytes(self._utterance), SAMPLE_RATE_HZ))
        if step.mark is Mark.TOO_LONG:
            self.recognizer.begin()  # not worth decoding
            self._utterance = bytearray()
            return Decision(Heard(None, "", 0.0), self.position_ms)
        return None

    def drop(self) -> None:
        """Forget the utterance under way, if any (the program has begun to speak)."""
        self.recognizer.begin()
        self.endpointer.reset()


def frames(audio: Audio) -> Iterator[bytes]:
    """16 kHz mono 20 ms frames of any audio, the last padded with silence."""
    pcm = to_mono_16k(audio).pcm
    for i in range(0, len(pcm), FRAME_BYTES):
        yield pcm[i:i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0")


def frames_ending_quiet(audio: Audio, tail_ms: int = 400) -> Iterator[bytes]:
    """The frames of `audio` and then `tail_ms` of silence, so that its last word ends."""
    yield from frames(audio)
    yield from frames(Audio(bytes(FRAME_BYTES * (tail_ms // FRAME_MS)), SAMPLE_RATE_HZ))


def utterances(source: Iterable[bytes], endpointer: Endpointer) -> Iterator[Audio]:
    """Each utterance in a stream of frames, cut as the microphone path cuts them (talk that
    goes on too long is dropped)."""
    current = bytearray()
    for frame in source:
        step = endpointer.push(frame)
        if step is None or step.mark is Mark.TOO_LONG:
            continue
        if step.mark is Mark.START:
            current = bytearray()
        current += b"".join(step.frames)
        if step.mark is Mark.END:
            yield Audio(bytes(current), SAMPLE_RATE_HZ)


def recognize(audio: Audio, recognizer: Recognizer, tail_ms: int = 400) -> Decision | None:
    """The first command in `audio`, as the microphone path would act on it; else the last
    utterance heard; None if nothing was. Silence is added at the end so the last word ends.

    Each file gets a voice-activity detector of its own: webrtcvad adapts to what it has heard.
    """
    listener = Listener(recognizer)
    last = None
    for frame in frames_ending_quiet(audio, tail_ms):
        decision = listener.push(frame)
        if decision is not None:
            if decision.heard.command is not None:
                listener.drop()
                return decision
            last = decision
    listener.drop()
    return last


def longest_utterance(audio: Audio, endpointer: Endpointer) -> Audio | None:
    """The longest stretch of speech in `audio`, cut as the microphone path cuts an utterance with
    `endpointer` (so that a recogniser learns from exactly what it will hear); None if there is
    no speech."""
    return max(utterances(frames_ending_quiet(audio), endpointer),
               key=lambda u: len(u.pcm), default=None)
