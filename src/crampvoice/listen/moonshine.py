"""Moonshine: a general English speech recogniser, for any voice, out of the box.

`moonshine_cpp` (0.1.4, MIT, by Moonshine AI) ships the English *base* model inside its wheel
(encoder, merged decoder and tokenizer, 61 MiB on disk) with ONNX Runtime; nothing is fetched
for English. Its wheels are for x86-64 Linux and macOS on arm64 only: elsewhere (a Raspberry
Pi's aarch64 Linux) it is not installed and pocketsphinx hears alone (hearing.py).

Its Python `transcribe()` for arrays is broken in 0.1.4 (it calls `ctypes.c_float_p`, which
does not exist), so the C function underneath, `moonshine_transcribe(handle, float *, n, char
**)`, is called here with the utterance as 32-bit floats in [-1, 1].

The model is loaded once per process, in a thread of its own (`MoonshineModel.shared`), and
warmed up with one short transcription there: loading takes about 0.3 s and the first
transcription twice the next ones, and neither must fall on the first command a person says.
Until it is ready, `GeneralRecognizer` hears with pocketsphinx and the verifier, as before.
ctypes lets go of the interpreter lock for the C calls, so the load does not hold up the
session's own threads.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ..core.commands import Command, Vocabulary
from ..core.errors import DeviceError
from ..core.transcript import command_in, words_of
from .recognizer import Heard, Recognizer

SAMPLE_RATE_HZ = 16000
BASE = 1  # moonshine_cpp's MOONSHINE_MODEL_TYPE_BASE
WARM_UP_S = 1.0  # of quiet noise transcribed once after loading


def import_error() -> str | None:
    """Why moonshine_cpp cannot be used here, or None when it can."""
    try:
        import moonshine_cpp  # noqa: F401
    except (ImportError, OSError) as e:  # OSError: its bundled libraries do not load on this machine
        return f"{type(e).__name__}: {e}"
    return None


class MoonshineModel:
    """The English base model, loaded once per process in the background."""

    _shared: ClassVar[MoonshineModel | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lib: Any = None
        self._handle = -1
        self._ready = threading.Event()
        self._lock = threading.Lock()  # one transcription at a time on the one handle
        self.error: str | None = None  # why it could not be loaded
        self.load_s = 0.0  # import, load and warm-up, in its own thread

    @classmethod
    def shared(cls) -> MoonshineModel:
        """The process's model, its load started (in a daemon thread) on the first call."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
                threading.Thread(target=cls._shared.load, name="moonshine-load", daemon=True).start()
            return cls._shared

    def load(self) -> None:
        started = time.perf_counter()
        try:
            from moonshine_cpp import moonshine_cpp as m

            folder = Path(m.__file__).parent / "models" / "base-en"
            handle = m.moonshine_lib.moonshine_load_model(
                *(str(folder / name).encode() for name in ("encoder_model.ort", "decoder_model_merged.ort",
                                                            "tokenizer.bin")), BASE)
            if handle < 0:
                raise OSError(f"moonshine_load_model failed on {folder}")
            self._lib, self._handle = m.moonshine_lib, handle
            noise = np.random.default_rng(0).normal(0, 30, int(WARM_UP_S * SAMPLE_RATE_HZ)).astype(np.int16)
            self.transcribe(noise)
        except (ImportError, OSError, DeviceError) as e:
            self.error = f"{type(e).__name__}: {e}"
        self.load_s = time.perf_counter() - started
        self._ready.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Whether it is loaded (after waiting up to `timeout_s`; None: until it is, or failed)."""
        self._ready.wait(timeout_s)
        return self.usable

    @property
    def usable(self) -> bool:
        return self._ready.is_set() and self._handle >= 0

    def transcribe(self, samples: npt.NDArray[np.int16]) -> str:
        """What was said in 16 kHz 16-bit samples; "" for nothing it could make out."""
        x = np.ascontiguousarray(samples, dtype=np.float32) / 32768.0
        text = ctypes.c_char_p()
        with self._lock:
            error = self._lib.moonshine_transcribe(self._handle, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                   len(x), ctypes.byref(text))
            said = (text.value or b"").decode("utf-8", "replace")
            if text.value is not None:
                self._lib.moonshine_free_text(text)
        if error != 0:
            raise DeviceError(f"Moonshine could not transcribe (error {error})", "run crampvoice doctor")
        return said


class MoonshineRecognizer:
    """A `Recognizer`: the whole utterance transcribed, and acted on only when all of it names one
    phrase (core/transcript.py: fillers and repeats allowed). `skip`: phrases heard another way (the
    person's own takes of them), never acted on here."""

    follows_room = False  # as pocketsphinx and the verifier beside it (GeneralRecognizer)

    def __init__(self, vocabulary: Vocabulary, model: MoonshineModel | None = None,
                 skip: frozenset[str] = frozenset()) -> None:
        self.model = model or MoonshineModel.shared()
        self._vocabulary = vocabulary
        self._skip = skip
        self._wanted = frozenset(Command)
        self._utterance = bytearray()
        self.last_transcript = ""  # for benchmarks: what the model wrote down
        self.last_transcribe_s = 0.0

    def expect(self, commands: Iterable[Command]) -> None:
        self._wanted = frozenset(commands)

    def begin(self) -> None:
        self._utterance.clear()

    def feed(self, pcm: bytes) -> None:
        self._utterance += pcm

    def end(self) -> Heard:
        samples = np.frombuffer(bytes(self._utterance), dtype="<i2")
        self.last_transcript, self.last_transcribe_s = "", 0.0
        if not samples.any():
            return Heard(None, "", 0.0)
        started = time.perf_counter()
        self.last_transcript = self.model.transcribe(samples)
        self.last_transcribe_s = time.perf_counter() - started
        return self.heard(self.last_transcript)

    def heard(self, transcript: str) -> Heard:
        """What a transcript means now."""
        command, phrase = command_in(transcript, self._vocabulary)
        if command is None or phrase in self._skip:
            return Heard(None, " ".join(words_of(transcript)), 0.0)
        if command not in self._wanted:
            return Heard(None, phrase, 0.0)
        return Heard(command, phrase, 1.0)


class GeneralRecognizer:
    """What hears a voice never taught: Moonshine decides; where it makes out no words at all (it
    returns nothing for some one-second isolated words), or before it has loaded, `fallback`
    (pocketsphinx, checked by the verifier) decides."""

    follows_room = False

    def __init__(self, moonshine: MoonshineRecognizer, fallback: Recognizer, wait_s: float | None = 0.0) -> None:
        """`wait_s`: how long an utterance's end may wait for the model still loading (None: until
        it is; `recognize` waits, so that a file is always heard the same way)."""
        self.moonshine = moonshine
        self.fallback = fallback
        self._wait_s = wait_s
        self.last_by = ""  # "moonshine" or "fallback": who decided the last utterance

    def expect(self, commands: Iterable[Command]) -> None:
        wanted = frozenset(commands)
        self.moonshine.expect(wanted)
        self.fallback.expect(wanted)

    def begin(self) -> None:
        self.moonshine.begin()
        self.fallback.begin()

    def feed(self, pcm: bytes) -> None:
        self.moonshine.feed(pcm)
        self.fallback.feed(pcm)

    def end(self) -> Heard:
        if self.moonshine.model.wait(self._wait_s):
            heard = self.moonshine.end()
            if heard.text:
                self.fallback.begin()  # not worth decoding
                self.last_by = "moonshine"
                return heard
        self.moonshine.begin()
        self.last_by = "fallback"
        return self.fallback.end()
