"""Where utterances start and end, 20 ms at a time.

A start is a few voiced frames close together (webrtcvad decides each frame); what came just
before is kept, so the first consonant is not lost, even where it fell in the quiet that ended
the utterance before: webrtcvad hears no voice in an unvoiced start ("s" of "stop"), and a
noise just before such a word ended there, with the "s" in it (Moonshine heard "Sub"; with the
lead-in kept, "Stop": bench general); not where the detector follows the room (below). An
end is a short run of frames with no voice in them: shorter than SpeechRecognition's 0.8 s,
since commands are one to three words and the person is waiting. Speech that goes on too long
is a sentence, not a command, and is dropped.

Where the person's own voice is heard (their takes, and `run` once they have taught it), the
detector follows the room (`Room`), in two ways:

- webrtcvad decides on how loud a frame is, not only on how far it stands out of the room: a
  word said 30 dB softer than usual (the phone across the room, a weak voice) over a quiet
  room is mostly not heard as speech. So it hears a quiet room boosted until the room's floor
  is at QUIET_ROOM_DBFS; a louder room is heard as it is, since turning it down would make it
  miss words in noise. Words said 30 dB softer than taught: 65 % heard instead of 48 %
  (bench/personal.py).
- webrtcvad goes on saying "voice" for 60 to 120 ms after a word ends (its hangover), and the
  person waited through all of it. So a frame that stands less than ROOM_DB out of the room's
  floor has no voice in it, whatever webrtcvad says (`Voice.FAINT`). A command in the person's
  voice is acted on 60 to 80 ms sooner (bench/decide.py: p95 385 ms instead of 464), and in
  noise that goes on around a word the utterance ends with the word instead of running on into
  the noise (47.7 % heard instead of 32.5 %, bench/personal.py). Until the room has been heard
  for KNOWN_FRAMES (a file that starts with its word), no frame is faint: the floor would be
  the word itself. ROOM_DB has the value `personal.spoken_span` takes for voice over a quiet
  tenth (SPOKEN_DB), not tuned; on the tuning people (george and lucas, seeds 2 and 3) 6, 10
  and 14 dB heard 46.7, 51.5 and 55.2 % in noise all along, and the other measures alike.
  Ending at 200 ms with no voice instead of 250 was tried too: 60 ms sooner again, but noise
  was taken for the person's words (5.1 % of noises instead of none).

The general recogniser hears as webrtcvad alone decides: pocketsphinx and its verifier were
tuned on utterances cut so. With the boost they heard 71.8 % of speech-dev's commands
instead of 75.3 %; with faint frames ending utterances, 72.9 % and 2 of 102 other clips taken
instead of none (bench/verify.py), for decisions p95 358 ms instead of 464.
"""

from __future__ import annotations

import collections
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FRAME_MS = 20
SAMPLE_RATE_HZ = 16000
FRAME_BYTES = SAMPLE_RATE_HZ * FRAME_MS // 1000 * 2
ROOM_DB = 10.0  # a frame within this of the room's floor has no voice in it, whatever webrtcvad says
QUIET_ROOM_DBFS = -55.0  # a room quieter than this is heard as if it were this loud ...
MOST_BOOST_DB = 20.0  # ... boosted by at most this
ROOM_FRAMES = 50  # the room's floor is the quietest tenth of the last second ...
KNOWN_FRAMES = 25  # ... and no frame is FAINT until the room has been heard this long
SILENT_DBFS = -80.0  # a frame this quiet is digital silence, not a room


@dataclass(frozen=True, slots=True)
class Timing:
    start_frames: int = 3  # voiced frames ...
    start_window: int = 5  # ... within this many: speech has started
    preroll_ms: int = 300  # kept from before the start
    end_ms: int = 250  # no voice this long: the utterance has ended ("next step" holds together)
    longest_ms: int = 2500  # voiced longer than this: a sentence, not a command


class Voice(enum.Enum):
    NONE = "none"  # webrtcvad hears no voice
    FAINT = "faint"  # it does, but the frame stands less than ROOM_DB out of the room: it may start an
    # utterance, but does not hold one open
    SPEECH = "speech"


class Mark(enum.Enum):
    START = "start"  # an utterance began: the frames given are its first (preroll included)
    CONTINUE = "continue"  # more of it
    END = "end"  # it ended with the frames given
    TOO_LONG = "too long"  # it went on too long: forget it


@dataclass(frozen=True, slots=True)
class Step:
    mark: Mark
    frames: tuple[bytes, ...]


class Endpointer:
    def __init__(self, hear: Callable[[bytes], Voice], timing: Timing = Timing(),
                 lead_in_from_last: bool = True) -> None:
        """`lead_in_from_last`: an utterance right after another takes its lead-in from that one's
        quiet end (`endpointer_for` says where)."""
        self._hear = hear
        self.timing = timing
        self._lead_in_from_last = lead_in_from_last
        # The frames before an utterance, whether each was voiced; during one, with lead_in_from_last,
        # its frames too, as not voiced: its quiet end is the lead-in of one that starts right after.
        self._recent: collections.deque[tuple[bytes, bool]] = collections.deque(
            maxlen=max(timing.preroll_ms // FRAME_MS, timing.start_window))
        self._in_utterance = False
        self._skipping = False  # after a too-long stretch, until it is quiet again
        self._quiet_frames = 0
        self._frames = 0

    @property
    def in_utterance(self) -> bool:
        return self._in_utterance

    def push(self, frame: bytes) -> Step | None:
        """One 20 ms frame of 16 kHz 16-bit mono; what it means, if anything."""
        voice = self._hear(frame)
        t = self.timing
        if not self._in_utterance:
            voiced = voice is not Voice.NONE
            self._recent.append((frame, voiced))
            window = list(self._recent)[-t.start_window:]
            if self._skipping:
                self._skipping = len(window) < t.start_window or any(v for _, v in window)
                return None
            if sum(v for _, v in window) < t.start_frames:
                return None
            self._in_utterance, self._quiet_frames, self._frames = True, 0, len(self._recent)
            frames = tuple(f for f, _ in self._recent)
            self._recent.clear()
            return Step(Mark.START, frames)
        self._frames += 1
        if self._lead_in_from_last:
            self._recent.append((frame, False))
        self._quiet_frames = 0 if voice is Voice.SPEECH else self._quiet_frames + 1
        if self._quiet_frames * FRAME_MS >= t.end_ms:
            self._in_utterance = False
            return Step(Mark.END, (frame,))
        if self._frames * FRAME_MS > t.longest_ms + t.preroll_ms:
            self._in_utterance, self._skipping = False, True
            self._recent.clear()  # quiet is waited for afresh
            return Step(Mark.TOO_LONG, ())
        return Step(Mark.CONTINUE, (frame,))

    def reset(self) -> None:
        """Forget everything: an utterance under way is dropped (the program began to speak)."""
        self._recent.clear()
        self._in_utterance = self._skipping = False


def endpointer_for(follows_room: bool, timing: Timing = Timing()) -> Endpointer:
    """Utterances cut as a recogniser asks (`Recognizer.follows_room`): by webrtcvad alone, an
    utterance right after another taking its lead-in from that one's quiet end; or following the
    room (the person's voice), without: there an utterance's end holds the word's faint tail, and
    carried into the next, the person's model took more of their other words (bench personal, one
    seed: 2.0 % instead of 1.1 %)."""
    return Endpointer(webrtc_vad(follows_room=follows_room), timing, lead_in_from_last=not follows_room)


class Room:
    """Follows the room's floor (the quietest tenth of the last ROOM_FRAMES frames since any
    digital silence) and boosts a frame heard over a quiet room as if the room were
    QUIET_ROOM_DBFS."""

    def __init__(self) -> None:
        self._levels: collections.deque[float] = collections.deque(maxlen=ROOM_FRAMES)

    def hear(self, frame: bytes) -> tuple[bytes, float]:
        """The frame as the detector is to hear it, and how many dB it stands out of the room
        (infinitely many until the room is known)."""
        x = np.frombuffer(frame, "<i2").astype(np.float64)
        level_db = 10 * math.log10(float(np.mean(x * x)) / 32768**2 + 1e-12)
        if level_db <= SILENT_DBFS:  # no room is this quiet: the microphone was muted, or the file is silent
            self._levels.clear()  # so the room is heard afresh after it
            return frame, -math.inf
        self._levels.append(level_db)
        floor = sorted(self._levels)[len(self._levels) // 10]
        above_db = level_db - floor if len(self._levels) >= KNOWN_FRAMES else math.inf
        gain_db = min(MOST_BOOST_DB, QUIET_ROOM_DBFS - floor)
        if gain_db <= 0:
            return frame, above_db
        return np.clip(x * 10 ** (gain_db / 20), -32768, 32767).astype("<i2").tobytes(), above_db


def webrtc_vad(aggressiveness: int = 2, follows_room: bool = False) -> Callable[[bytes], Voice]:
    """webrtcvad's decision on each frame. With `follows_room` (`Room`), it hears a quiet room
    boosted, and a frame within ROOM_DB of the room's floor is FAINT."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    if not follows_room:
        return lambda frame: Voice.SPEECH if vad.is_speech(frame, SAMPLE_RATE_HZ) else Voice.NONE
    room = Room()

    def hear(frame: bytes) -> Voice:
        heard, above_db = room.hear(frame)
        if not vad.is_speech(heard, SAMPLE_RATE_HZ):
            return Voice.NONE
        return Voice.SPEECH if above_db >= ROOM_DB else Voice.FAINT

    return hear
