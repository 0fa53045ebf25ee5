"""The microphone as a session input: SpeechRecognition's Microphone (PyAudio on PortAudio).

A thread reads 20 ms at a time and runs the same streaming path as files (stream.py). While
the program's own voice plays, and for a guard time after it, nothing is listened to
(half-duplex), so its own "next" and "stop" cannot set anything off.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.commands import Command
from ..core.errors import CrampvoiceError, DeviceError
from ..core.events import Arrival, CommandGiven, DeviceFailed, Unheard
from ..speak.player import quiet_alsa
from ..watchdog import Stall
from .endpoint import FRAME_BYTES, SAMPLE_RATE_HZ, Endpointer, webrtc_vad
from .files import first_line, speech_recognition
from .recognizer import Recognizer
from .stream import Listener

GUARD_S = 0.4  # after its own speech ends, what the microphone hears is still echo for this long
STALL_S = 2.0  # no audio from the microphone this long, while we were awake to see it: it is gone
WATCH_S = 0.25  # how often the watchdog looks
FRAME_SAMPLES = FRAME_BYTES // 2


@dataclass(frozen=True, slots=True)
class InputDevice:
    index: int
    name: str
    default: bool


def input_devices() -> list[InputDevice]:
    """The devices PortAudio can record from."""
    pyaudio = _pyaudio()
    with _quiet_portaudio():
        audio = pyaudio.PyAudio()
    try:
        try:
            default = audio.get_default_input_device_info()["index"]
        except OSError:
            default = None
        return [InputDevice(i, str(info["name"]), i == default)
                for i in range(audio.get_device_count())
                if (info := audio.get_device_info_by_index(i))["maxInputChannels"] > 0]
    finally:
        audio.terminate()


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
                 device: int | None = None) -> None:
        sr = speech_recognition()
        quiet_alsa()
        self._listener = Listener(recognizer, Endpointer(webrtc_vad()))
        self._quiet_since = quiet_since
        self._stop = threading.Event()
        self._failing = threading.Lock()
        self._frames = 0  # read so far: the microphone's sign of life
        try:
            with _quiet_portaudio():
                self._microphone = sr.Microphone(device_index=device, sample_rate=SAMPLE_RATE_HZ,
                                                 chunk_size=FRAME_SAMPLES)
                self._stream: Any = self._microphone.__enter__().stream
        except (OSError, AttributeError, AssertionError) as e:
            raise _no_microphone(first_line(e)) from None
        if self._stream is None:  # SpeechRecognition swallows PortAudio's reason
            raise _no_microphone("PortAudio could not open it")
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
            self._microphone.__exit__(None, None, None)

    def _read(self, put: Callable[[Arrival], None]) -> None:
        while not self._stop.is_set():
            try:
                # SpeechRecognition reads with exception_on_overflow=False: frames a busy machine
                # made us miss are a gap in listening, not a broken microphone.
                frame = self._stream.read(FRAME_SAMPLES)
            except OSError as e:
                self._fail(put, first_line(e))
                return
            self._frames += 1
            quiet = self._quiet_since()
            if quiet is None or time.monotonic() < quiet + GUARD_S:
                self._listener.drop()  # its own voice, or its echo
                continue
            decision = self._listener.push(frame)
            if decision is not None and decision.heard.command is not None:
                put(CommandGiven(decision.heard.command, by_voice=True, heard=decision.heard.text))
            elif decision is not None:
                put(Unheard(decision.heard.text, decision.heard.confidence))

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


def _no_microphone(reason: str) -> DeviceError:
    return DeviceError(f"no microphone could be opened ({reason})",
                       "plug one in, or check 'crampvoice devices' and pass --mic")


@contextlib.contextmanager
def _quiet_portaudio() -> Iterator[None]:
    """PortAudio's JACK and ALSA back ends print to stderr as PyAudio starts them; keep it off
    the person's terminal (failures still come back as exceptions)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _pyaudio() -> Any:
    quiet_alsa()
    try:
        import pyaudio
    except ImportError as e:
        raise DeviceError(f"PyAudio is not installed ({e})", "reinstall crampvoice: ./dev.sh run") from None
    return pyaudio
