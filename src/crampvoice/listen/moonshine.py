"""Moonshine: a general English speech recogniser, for any voice, out of the box.

`moonshine_cpp` (0.1.4, MIT, by Moonshine AI) ships the English *base* model inside its wheel
(encoder, merged decoder and tokenizer, 61 MiB on disk) with ONNX Runtime; nothing is fetched
for English. Its wheels are for x86-64 Linux and macOS on arm64 only: elsewhere (a Raspberry
Pi's aarch64 Linux) it is not installed and pocketsphinx hears alone (hearing.py).

Its Python `transcribe()` for arrays is broken in 0.1.4 (it calls `ctypes.c_float_p`, which
does not exist), so the C function underneath, `moonshine_transcribe(handle, float *, n, char
**)`, is called here with the utterance as 32-bit floats in [-1, 1].

The model is loaded once per process, in a thread of its own (`MoonshineModel.shared`), and
warmed up with two short transcriptions there: loading takes about 0.3 s and the first
transcriptions cost more than the next ones, and neither must fall on the first command a person
says. The warm-up is loud noise: warmed up on quiet noise (which the decoder makes nothing of),
the next transcription still took 0.5 s of CPU instead of 0.05 to 0.1 s.
Until it is ready, `GeneralRecognizer` hears with pocketsphinx and the verifier, as before.
ctypes lets go of the interpreter lock for the C calls, so the load does not hold up the
session's own threads.
"""

from __future__ import annotations

import atexit
import ctypes
import math
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ..core.commands import Command, Vocabulary
from ..core.errors import DeviceError
from ..core.transcript import command_in, words_of
from .personal import spoken_span
from .recognizer import Heard, Recognizer
from .sphinx import sounds_later

SAMPLE_RATE_HZ = 16000
BASE = 1  # moonshine_cpp's MOONSHINE_MODEL_TYPE_BASE
WARM_UP_S = 1.0  # of loud noise transcribed after loading, then half of it
EXIT_WAIT_S = 30.0  # at most, for a load under way when the process ends
QUIET_DB, QUIET_MS = 30.0, 100  # an utterance's end is guessed after this long this far under its loudest ...
GUESS_PAD_MS = 300  # ... and what came before transcribed with this much digital silence after it
GOES_ON_QUIET_MS = 300  # a guess that may go on into another command's phrase ("go", "go back") waits this long


def _level_db(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(10 * np.log10(np.mean(x * x) + 1.0)) if len(x) else -math.inf


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
        self._worker: ThreadPoolExecutor | None = None  # for transcriptions begun before an utterance ends

    @classmethod
    def shared(cls) -> MoonshineModel:
        """The process's model, its load started (in a daemon thread) on the first call."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
                threading.Thread(target=cls._shared.load, name="moonshine-load", daemon=True).start()
                # A process that ends while the model loads is aborted by ONNX Runtime (SIGABRT, its
                # globals torn down under the loading thread): the exit waits for the load instead.
                atexit.register(cls._shared._ready.wait, EXIT_WAIT_S)
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
            noise = np.random.default_rng(0).normal(0, 3000, int(WARM_UP_S * SAMPLE_RATE_HZ)).astype(np.int16)
            self.transcribe(noise)
            self.transcribe(noise[:len(noise) // 2])
        except (ImportError, OSError, DeviceError) as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:  # whatever happened, nothing waits for it any longer (the exit waits for this)
            self.load_s = time.perf_counter() - started
            self._ready.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Whether it is loaded (after waiting up to `timeout_s`; None: until it is, or failed)."""
        self._ready.wait(timeout_s)
        return self.usable

    @property
    def usable(self) -> bool:
        return self._ready.is_set() and self._handle >= 0

    def later(self, samples: npt.NDArray[np.int16]) -> Future[str]:
        """`transcribe`, in the model's own thread."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="moonshine")
        return self._worker.submit(self.transcribe, samples.copy())

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
    person's own takes of them), never acted on here.

    The transcription starts in the quiet that ends an utterance, not at its end: once QUIET_MS of
    frames have been QUIET_DB under the utterance's loudest, what came before is transcribed in the
    model's own thread while the endpointer waits out its 250 ms; if the voice comes back, that
    guess is dropped and the whole utterance is transcribed at its end (one guess an utterance:
    in talk, every pause would start another; bench live measured 12.5 % of a core with talk
    playing when each pause did). The guess is given
    GUESS_PAD_MS of silence after it, as long as the quiet the whole utterance would end with:
    cut off short, Moonshine heard 4 fewer of 74 of speech-dev's commands ("Stop" as nothing, "Go"
    as "God"); padded, the same 75 of 83 utterances as whole ones, its work begun p50 270 ms
    sooner (30 and 100 are the first values tried; 20 and 25 dB heard 74 and 76).

    When the guess names a command, it is acted on at once (`early`, asked by the stream after
    each frame), without waiting out the rest of the quiet: the guess is what the end would have
    used anyway, unless the voice came back. A phrase that may go on into another command's
    ("go" of "go back") waits for GOES_ON_QUIET_MS of quiet: at the end, "go" was the slowest
    command decided (p95 451 ms on speech-dev, 413 ms when it waits 300 ms; bench general).

    Where it makes out nothing (it returns nothing for some one-second isolated words), the
    utterance is transcribed once more cut to its voice, without the quiet around it, as soon
    as the guess has made out nothing (so in the quiet, not at the end): of the
    utterances cut from speech-dev, 76 of its 85 commands heard instead of 75, still none of its
    102 other clips taken; of personal-dev's digits, 108 of 150 written down instead of 98.
    Cut so every time, it heard 71 of the 85.
    """

    follows_room = False  # cut at the room's floor (endpoint.py), it heard 73 of speech-dev's 85 commands, not 76

    def __init__(self, vocabulary: Vocabulary, model: MoonshineModel | None = None,
                 skip: frozenset[str] = frozenset()) -> None:
        self.model = model or MoonshineModel.shared()
        self._vocabulary = vocabulary
        self._sounds_like = sounds_later(vocabulary)
        self._skip = skip
        self._wanted = frozenset(Command)
        self._utterance = bytearray()
        self._loudest_db, self._quiet_ms = -math.inf, 0
        self._guess: Future[str] | None = None
        self._guessed = False  # one guess an utterance: in talk, every pause would start another
        self._guess_heard: Heard | None = None  # what the guess means, once it is transcribed
        self._guess_retried = False  # the guess made out nothing, and is now the voice alone's (spoken_span)
        self._guess_samples = np.zeros(0, np.int16)  # what the guess was made of, before its padding
        said = vocabulary.command_for
        phrases = [p for ps in vocabulary.phrases.values() for p in ps]
        self._goes_on = frozenset(p for p in phrases for q in phrases  # "go" of "go back": another command
                                  if q.startswith(p + " ") and said(q) is not said(p))
        self._hearable = self._any_hearable()
        self.last_transcript = ""  # for benchmarks: what the model wrote down
        self.last_wait_s = 0.0  # how long the end waited for the transcript

    def expect(self, commands: Iterable[Command]) -> None:
        self._wanted = frozenset(commands)
        self._hearable = self._any_hearable()

    def _any_hearable(self) -> bool:
        """Whether a command wanted now has a phrase left to it (not all heard in the person's voice)."""
        return any(p not in self._skip for c in self._wanted for p in self._vocabulary.phrases.get(c, ()))

    def begin(self) -> None:
        self._utterance.clear()
        self._loudest_db, self._quiet_ms, self._guess, self._guessed = -math.inf, 0, None, False
        self._guess_heard, self._guess_retried = None, False

    def feed(self, pcm: bytes) -> None:
        self._utterance += pcm
        level = _level_db(pcm)
        if level > self._loudest_db - QUIET_DB:
            self._loudest_db = max(self._loudest_db, level)
            self._quiet_ms, self._guess, self._guess_heard, self._guess_retried = 0, None, None, False
            return
        self._quiet_ms += len(pcm) * 1000 // (2 * SAMPLE_RATE_HZ)
        if self._quiet_ms >= QUIET_MS and not self._guessed and self._hearable and self.model.usable:
            self._guessed = True
            self._guess_samples = np.frombuffer(bytes(self._utterance), dtype="<i2")
            self._guess = self.model.later(np.concatenate([self._guess_samples,
                                                           np.zeros(GUESS_PAD_MS * SAMPLE_RATE_HZ // 1000, np.int16)]))

    def early(self) -> Heard | None:
        """The guess's command, once it is transcribed, while the quiet goes on. A phrase that
        could be the start of another command's ("go" of "go back") waits until the quiet has
        lasted GOES_ON_QUIET_MS. The voice coming back before then drops the guess as before.
        Where the guess made out nothing, the voice alone is transcribed at once, as the end
        would have done (`end`)."""
        if self._guess is None or not self._guess.done():
            return None
        if self._guess_heard is None:
            said = self._guess.result()
            if not words_of(said) and not self._guess_retried:
                self._guess_retried = True
                self._guess = self.model.later(spoken_span(self._guess_samples))
                return None
            self._guess_heard = self.heard(said)
        heard = self._guess_heard
        if heard.command is None or (heard.text in self._goes_on and self._quiet_ms < GOES_ON_QUIET_MS):
            return None
        self.last_transcript, self.last_wait_s = self._guess.result(), 0.0
        return heard

    def end(self) -> Heard:
        samples = np.frombuffer(bytes(self._utterance), dtype="<i2")
        self.last_transcript, self.last_wait_s = "", 0.0
        if not samples.any() or not self._hearable or not self.model.usable:  # nothing, nothing to hear, no model
            return Heard(None, "", 0.0)
        started = time.perf_counter()
        said = self._guess.result() if self._guess is not None else self.model.transcribe(samples)
        if not words_of(said) and not self._guess_retried:  # nothing made out: once more, the voice alone
            said = self.model.transcribe(spoken_span(samples))
        self.last_transcript, self.last_wait_s = said, time.perf_counter() - started
        return self.heard(self.last_transcript)

    def heard(self, transcript: str) -> Heard:
        """What a transcript means now."""
        command, phrase = command_in(transcript, self._vocabulary, self._sounds_like.result())
        if command is None or phrase in self._skip:
            return Heard(None, " ".join(words_of(transcript)), 0.0)
        if command not in self._wanted:
            return Heard(None, phrase, 0.0)
        return Heard(command, phrase, 1.0)


class GeneralRecognizer:
    """What hears a voice never taught: Moonshine decides; before it has loaded, `fallback`
    (pocketsphinx, checked by the verifier) does. With `when_nothing`, the fallback also decides
    where Moonshine makes out no words at all (it returns nothing for some one-second isolated
    words): measured, that took one more of speech-dev's other words and heard no more of its
    commands (bench/general.py), so it is off."""

    def __init__(self, moonshine: MoonshineRecognizer, fallback: Recognizer, wait_s: float | None = 0.0,
                 when_nothing: bool = False, follows_room: bool = False) -> None:
        """`wait_s`: how long an utterance's end may wait for the model still loading (None: until
        it is; `recognize` waits, so that a file is always heard the same way). `follows_room`:
        whether utterances are cut as the person's voice is (endpoint.py)."""
        self.follows_room = follows_room
        self.moonshine = moonshine
        self.fallback = fallback
        self._wait_s = wait_s
        self._when_nothing = when_nothing
        self._fallback_listens = True  # may decide this utterance: the model was not loaded as it began
        self.last_by = ""  # "moonshine" or "fallback": who decided the last utterance

    def expect(self, commands: Iterable[Command]) -> None:
        wanted = frozenset(commands)
        self.moonshine.expect(wanted)
        self.fallback.expect(wanted)

    def begin(self) -> None:
        self.moonshine.begin()
        self.fallback.begin()
        self._fallback_listens = self._when_nothing or not self.moonshine.model.usable

    def feed(self, pcm: bytes) -> None:
        self.moonshine.feed(pcm)
        self.fallback.feed(pcm)  # kept, not decoded: pocketsphinx and the verifier work only at the end

    def early(self) -> Heard | None:
        """Moonshine's early decision (MoonshineRecognizer.early), when it decides this utterance."""
        heard = None if self._fallback_listens else self.moonshine.early()
        if heard is not None:
            self.last_by = "moonshine"
        return heard

    def end(self) -> Heard:
        if self.moonshine.model.wait(self._wait_s):
            heard = self.moonshine.end()
            if heard.text or not self._when_nothing:
                self.fallback.begin()  # not worth decoding
                self.last_by = "moonshine"
                return heard
        self.moonshine.begin()
        self.last_by = "fallback"
        return self.fallback.end()
