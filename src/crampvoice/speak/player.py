"""Interruptible playback through PortAudio (sounddevice) on one stream kept open.

PortAudio reaches PulseAudio or PipeWire through ALSA's pulse plugin, or a sound card
directly. The stream runs for the whole session, playing silence between sentences:
no device is opened per sentence, a stop takes effect at the next callback (a few ms),
and a sentence counts as finished when its last sample reaches the speaker — not when
PortAudio has drained its buffers, which through the pulse plugin takes a second more.
"""

from __future__ import annotations

import atexit
import ctypes
import threading
from typing import Any

from ..audio import SAMPLE_WIDTH_BYTES, Audio
from ..core.errors import DeviceError

NO_OUTPUT_HINT = ("connect speakers or headphones and check the sound settings "
                  "(is PulseAudio or PipeWire running?), or run with --text")


# PortAudio's "high" output latency (35 ms through the pulse plugin, against 9 ms for "low"): on a
# busy machine "low" underran and lost 14 % of a session's speech; a stop may take 26 ms longer.
LATENCY = "high"

_ALSA_HANDLER: list[Any] = []  # the callback must outlive the call that installs it


def quiet_alsa() -> None:
    """Keep ALSA's own diagnostics ("underrun occurred") off the person's terminal.

    Real failures still reach us as PortAudio errors.
    """
    if _ALSA_HANDLER:
        return
    try:
        alsa = ctypes.cdll.LoadLibrary("libasound.so.2")
    except OSError:
        return  # not ALSA: nothing to quieten
    handler = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
    _ALSA_HANDLER.append(handler(lambda *_: None))
    alsa.snd_lib_error_set_handler(_ALSA_HANDLER[0])


class SoundDevicePlayer:
    def __init__(self, sample_rate_hz: int, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as e:
            raise DeviceError(f"PortAudio is not available ({e})",
                              "install it with 'sudo apt-get install libportaudio2', or run with --text") from None
        quiet_alsa()
        self._sd: Any = sounddevice
        self.sample_rate_hz = sample_rate_hz
        self._lock = threading.Lock()
        self._data = memoryview(b"")
        self._position = 0
        self._done = threading.Event()
        self._done.set()
        self._ends_at: float | None = None  # when the last sample is heard, in the stream's clock
        self.frames_pulled = 0  # grows while the device takes samples (silence too): its sign of life
        self.device = device
        self._stream: Any = self._open(device)

    def _open(self, device: int | str | None) -> Any:
        try:
            info = self._sd.query_devices(device, "output")
            stream = self._sd.RawOutputStream(samplerate=self.sample_rate_hz, channels=1, dtype="int16",
                                              device=device, callback=self._feed, latency=LATENCY)
            stream.start()
        except (ValueError, self._sd.PortAudioError) as e:
            raise DeviceError(f"no audio output device could be opened ({e})", NO_OUTPUT_HINT) from None
        self.name = str(info["name"])
        return stream

    def candidates(self) -> list[int | str | None]:
        """Where to try playing after a failure: this device again, the default, then every other output."""
        try:
            others = [i for i, info in enumerate(self._sd.query_devices()) if info["max_output_channels"] > 0]
        except self._sd.PortAudioError:
            others = []
        return list(dict.fromkeys([self.device, None, *others]))

    def running(self) -> bool:
        """Whether the stream still runs (its thread alive in PortAudio): on a frozen sound server
        it does, waiting on the server, and takes samples again by itself once the server answers.
        A stream the server dropped, or a device that is gone, has stopped."""
        try:
            return bool(self._stream.active)
        except self._sd.PortAudioError:
            return False

    def reopen(self, device: int | str | None) -> None:
        """Play through a new stream on `device` from now on, and close the old one.

        DeviceError if it cannot be opened. May block for long on a frozen sound server: call
        it from a thread nobody waits on.
        """
        stream = self._open(device)
        with self._lock:
            old, self._stream = self._stream, stream
        _close(old, self._sd)

    def play(self, audio: Audio) -> threading.Event:
        """Start playing at once; the event is set when the sound has been heard, or stopped."""
        if audio.sample_rate_hz != self.sample_rate_hz or audio.channels != 1:
            raise ValueError(f"the player plays {self.sample_rate_hz} Hz mono, not {audio.sample_rate_hz} Hz")
        done = threading.Event()
        with self._lock:
            self._done.set()
            self._data, self._position, self._done, self._ends_at = memoryview(audio.pcm), 0, done, None
        return done

    def stop(self) -> None:
        with self._lock:
            self._data, self._position = memoryview(b""), 0
            self._done.set()

    def close(self) -> None:
        self.stop()
        _close(self._stream, self._sd)

    def abandon(self) -> None:
        """Leave the stream be: a thread is stuck inside PortAudio on a frozen sound server, where
        every call waits 30 s. PortAudio's own clean-up at exit would wait on it too, and a person
        must not be kept from ending the program; the system frees the device when we are gone."""
        atexit.unregister(getattr(self._sd, "_exit_handler", self.abandon))

    def _feed(self, out: Any, frames: int, when: Any, _status: Any) -> None:
        wanted = frames * SAMPLE_WIDTH_BYTES
        with self._lock:
            self.frames_pulled += frames
            chunk = self._data[self._position:self._position + wanted]
            self._position += len(chunk)
            out[:len(chunk)] = chunk
            out[len(chunk):] = bytes(wanted - len(chunk))
            if self._done.is_set():
                return
            now = when.currentTime or self._stream.time
            if self._ends_at is None and self._position >= len(self._data):
                heard_at = when.outputBufferDacTime or (now + self._stream.latency)
                self._ends_at = heard_at + len(chunk) / SAMPLE_WIDTH_BYTES / self.sample_rate_hz
            if self._ends_at is not None and now >= self._ends_at:
                self._done.set()


def _close(stream: Any, sd: Any) -> None:
    try:
        stream.abort()
        stream.close()
    except sd.PortAudioError:
        pass  # the device has gone already
