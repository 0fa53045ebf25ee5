"""The microphone as a session input, through PortAudio (sounddevice, the binding playback uses).

PortAudio hands 20 ms frames to `capture.Capture`; a thread runs them through the same
streaming path as files (stream.py). While the program's own voice plays, and for a guard
time after it, nothing is listened to (half-duplex), so its own "next" and "stop" cannot set
anything off. Full duplex, where asked for and possible (duplex.py): its own voice is taken
out of what is heard instead, and only the commands that matter while it speaks are taken then.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.commands import Command, Vocabulary
from ..core.errors import CrampvoiceError
from ..core.events import Arrival, CommandGiven, DeviceFailed, Unheard
from ..core.transcript import said_in
from ..watchdog import Stall
from . import unheard
from .capture import Capture, sounddevice
from .duplex import WHILE_SPEAKING, Duplex
from .recognizer import Recognizer
from .sphinx import sounds_later
from .stream import Decision, Listener

GUARD_S = 0.4  # after its own speech ends, what the microphone hears is still echo for this long
STALL_S = 2.0  # no audio from the microphone this long, while we were awake to see it: it is gone
WATCH_S = 0.25  # how often the watchdog looks


def is_monitor(name: str) -> bool:
    """A speaker's monitor, which records what the speakers play, not a person: PulseAudio and
    PipeWire name it `SINK.monitor` and describe it as "Monitor of ..."."""
    return name.endswith(".monitor") or name.lower().startswith("monitor of ")


@dataclass(frozen=True, slots=True)
class InputDevice:
    index: int
    name: str
    default: bool

    @property
    def monitor(self) -> bool:
        return is_monitor(self.name)


def input_devices() -> list[InputDevice]:
    """The devices PortAudio can record from."""
    sd = sounddevice()
    default = sd.default.device[0]
    return [InputDevice(i, str(info["name"]), i == default)
            for i, info in enumerate(sd.query_devices()) if info["max_input_channels"] > 0]


@dataclass(frozen=True, slots=True)
class Source:
    """A source of the sound server (PulseAudio or PipeWire), as `pactl` names and describes it."""
    name: str
    description: str

    @property
    def monitor(self) -> bool:
        return is_monitor(self.name) or is_monitor(self.description)


def server_sources() -> tuple[Source | None, list[Source]] | None:
    """The sound server's default source and all its sources; None where no server answers `pactl`
    (or there is no pactl: PortAudio, through ALSA, sees only "pulse" and "default")."""
    env = {**os.environ, "LC_ALL": "C"}  # pactl's labels in English, to be read
    try:
        info, listed = (subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=5, env=env,
                                       check=True) for args in (["info"], ["list", "sources"]))
    except (OSError, subprocess.SubprocessError):  # no pactl, no server, or one that hangs
        return None
    default = re.search(r"^Default Source: (.*)$", info.stdout, re.M)
    sources = [Source(name, description) for name, description in
               re.findall(r"^\s+Name: (.*)\n(?:.*\n)*?\s+Description: (.*)$", listed.stdout, re.M)]
    by_name = {source.name: source for source in sources}
    return (by_name.get(default[1].strip()) if default else None), sources


def find_device(name: str | None) -> int | None:
    """--mic: a device number or part of a name; None for the system's default."""
    if name is None:
        return None
    devices = input_devices()
    for device in devices:
        if name == str(device.index) or name.lower() == device.name.lower():
            return device.index
    matches = [d for d in devices if name.lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0].index
    choices = ", ".join(repr(d.name) for d in devices) or "none"
    raise CrampvoiceError(f"no single microphone matches {name!r}" + (" (several do)" if matches else ""),
                          f"give a number or name from 'crampvoice devices' (found: {choices})")


class MicrophoneSource:
    """A Source and Ears: puts CommandGiven(by_voice=True) for each command heard."""

    def __init__(self, recognizer: Recognizer, quiet_since: Callable[[], float | None],
                 device: int | None = None, unheard_dir: Path | None = None, *, duplex: Duplex | None = None,
                 saying: Callable[[], tuple[str, ...]] = tuple, vocabulary: Vocabulary | None = None) -> None:
        """`duplex`: its own voice taken out, to listen while it speaks (opened before the
        microphone, so that the speakers' monitor leads it); None: half-duplex. `saying`: the
        sentences it is saying and said last; a command heard over them in their words, or in
        words said as they are (`vocabulary`: what is listened for; "weight" is said as "wait"),
        is taken for its own."""
        self._saying = saying
        self._sounds_like = sounds_later(vocabulary or Vocabulary())
        self._unheard_dir = unheard_dir  # where utterances not acted on are kept; None: nowhere
        self.recognizer = recognizer
        self._listener = Listener(recognizer)
        self._quiet_since = quiet_since
        self._stop = threading.Event()
        self._failing = threading.Lock()
        self._frames = 0  # read so far: the microphone's sign of life
        self._duplex = duplex
        self._expecting = threading.Lock()
        self._expected: frozenset[Command] | None = None  # what the session listens for
        self._narrow = False  # listening over its own speech: WHILE_SPEAKING only
        self._over_speech = False  # the utterance under way was heard, in part, while it spoke
        try:
            self._capture = Capture(device)
        except BaseException:
            if duplex is not None:
                duplex.close()
            raise
        self._threads: list[threading.Thread] = []

    def expect(self, commands: frozenset[Command]) -> None:
        with self._expecting:
            self._expected = commands
            self._listener.recognizer.expect(commands & WHILE_SPEAKING if self._narrow else commands)

    def _narrowed(self, narrow: bool) -> None:
        """Over its own speech, only WHILE_SPEAKING is listened for (fewer words to mistake)."""
        if narrow == self._narrow:
            return
        with self._expecting:
            self._narrow = narrow
            if self._expected is not None:
                self._listener.recognizer.expect(self._expected & WHILE_SPEAKING if narrow else self._expected)

    def start(self, put: Callable[[Arrival], None]) -> None:
        self._threads = [threading.Thread(target=self._read, args=(put,), daemon=True, name="crampvoice-mic"),
                         threading.Thread(target=self._watch, args=(put,), daemon=True, name="crampvoice-mic-watch")]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=1.0)
        if not any(t.is_alive() for t in self._threads):
            self._capture.close()
            if self._duplex is not None:
                self._duplex.close()

    def _read(self, put: Callable[[Arrival], None]) -> None:
        while not self._stop.is_set():
            # Frames a busy machine made PortAudio drop are a gap in listening, not a broken
            # microphone; one that sends nothing at all is the watchdog's to judge.
            frame = self._capture.frame(timeout_s=WATCH_S)
            if frame is None:
                continue
            self._frames += 1
            quiet = self._quiet_since()
            speaking = quiet is None or time.monotonic() < quiet + GUARD_S
            if self._duplex is not None:
                # Every frame goes through, in step with the monitor, which says (better than
                # the wall clock for a frame read late) whether its own voice may be in it.
                frame = self._duplex.clean(frame)
                speaking = speaking or self._duplex.quiet_ms < GUARD_S * 1000
            elif speaking:
                self._listener.drop()  # its own voice, or its echo
                continue
            if speaking:
                self._over_speech = True
            elif not self._listener.endpointer.in_utterance:
                self._over_speech = False
            self._narrowed(self._over_speech)
            decision = self._listener.push(frame)
            if decision is None:
                continue
            over_speech, self._over_speech = self._over_speech, speaking
            command = decision.heard.command
            if command is not None and (not over_speech or (command in WHILE_SPEAKING
                                                            and not self._its_own(decision.heard.text))):
                put(CommandGiven(command, by_voice=True, heard=decision.heard.text))
            elif not over_speech:
                put(Unheard(decision.heard.text, decision.heard.confidence, self._keep(decision)))

    def _its_own(self, phrase: str) -> bool:
        """Whether `phrase`, heard over its speech, is in what it is saying or just said: what the
        canceller left of its own "stop" (or its "weight", heard as "wait") is not a person's."""
        sounds_like = self._sounds_like.result()
        return any(said_in(phrase, text, sounds_like) for text in self._saying())

    def _keep(self, decision: Decision) -> str:
        """Where the utterance was kept for a caregiver to hear or teach; "" if it could not be."""
        if decision.utterance is None or self._unheard_dir is None:
            return ""
        try:
            return str(unheard.keep(decision.utterance, decision.heard.text, self._unheard_dir))
        except OSError:
            return ""  # a full or read-only disk: the event says what was guessed, all the same

    def _watch(self, put: Callable[[Arrival], None]) -> None:
        stall = Stall(STALL_S, WATCH_S)
        while not self._stop.wait(WATCH_S):
            if stall.stuck(self._frames):
                self._fail(put, "it stopped sending sound")
                return

    def _fail(self, put: Callable[[Arrival], None], reason: str) -> None:
        with self._failing:  # the reader and the watchdog may both notice: say it once
            if self._stop.is_set():
                return
            self._stop.set()
        put(DeviceFailed(f"The microphone stopped working ({reason}). Carrying on: the keys still work; "
                         "'crampvoice doctor' shows what is wrong."))
