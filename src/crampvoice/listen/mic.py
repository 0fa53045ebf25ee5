"""The microphone as a session input, through PortAudio (sounddevice, the binding playback uses).

PortAudio hands 20 ms frames to `capture.Capture`; a thread runs them through the same
streaming path as files (stream.py). While the program's own voice plays, and for a guard
time after it, nothing is listened to (half-duplex), so its own "next" and "stop" cannot set
anything off.
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

from ..core.commands import Command
from ..core.errors import CrampvoiceError
from ..core.events import Arrival, CommandGiven, DeviceFailed, Unheard
from ..watchdog import Stall
from . import unheard
from .capture import Capture, sounddevice
from .recognizer import Recognizer
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
                 device: int | None = None, unheard_dir: Path | None = None) -> None:
        self._unheard_dir = unheard_dir  # where utterances not acted on are kept; None: nowhere
        self.recognizer = recognizer
        self._listener = Listener(recognizer)
        self._quiet_since = quiet_since
        self._stop = threading.Event()
        self._failing = threading.Lock()
        self._frames = 0  # read so far: the microphone's sign of life
        self._capture = Capture(device)
        self._threads: list[threading.Thread] = []

    def expect(self, commands: frozenset[Command]) -> None:
        self._listener.recognizer.expect(commands)

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

    def _read(self, put: Callable[[Arrival], None]) -> None:
        while not self._stop.is_set():
            # Frames a busy machine made PortAudio drop are a gap in listening, not a broken
            # microphone; one that sends nothing at all is the watchdog's to judge.
            frame = self._capture.frame(timeout_s=WATCH_S)
            if frame is None:
                continue
            self._frames += 1
            quiet = self._quiet_since()
            if quiet is None or time.monotonic() < quiet + GUARD_S:
                self._listener.drop()  # its own voice, or its echo
                continue
            decision = self._listener.push(frame)
            if decision is not None and decision.heard.command is not None:
                put(CommandGiven(decision.heard.command, by_voice=True, heard=decision.heard.text))
            elif decision is not None:
                put(Unheard(decision.heard.text, decision.heard.confidence, self._keep(decision)))

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
