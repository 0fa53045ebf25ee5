"""The speaker-independent recogniser: pocketsphinx's own Decoder, built once.

Two decoders hear every utterance: one against the commands on offer or a loop of phones
(grammar.py), one against the loop alone. The first says which command, if any; the gap
between their scores, per frame, is the confidence.

An utterance is decoded whole once it has ended, not frame by frame as it comes: with the
features normalised over the whole utterance, 67 of 85 real command clips (each from another
microphone) were heard right when this was chosen, against 40 decoded frame by frame. A
command is under a second, so this costs tens of milliseconds after its end.
"""

from __future__ import annotations

import array
import math
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.commands import Command, Vocabulary
from ..core.errors import DeviceError
from . import grammar
from .recognizer import Heard

SAMPLE_RATE_HZ = 16000
SILENT = 8  # a frame no louder than this (of 32767) is digital silence


@dataclass(frozen=True, slots=True)
class Tuning:
    """The knobs, tuned on real recordings split by speaker (bench/tune.py)."""

    word_penalty: float = 1e-2  # pocketsphinx's wip: each word's (and so each phone's) cost
    min_confidence: float = 0.6  # below this a command is not acted on
    confidence_scale: float = 5e-4  # per-frame score gap that maps to a confidence of 0.73
    other_weight: float = 1e-3  # how likely "something else" is, against a command


class SphinxRecognizer:
    """A `Recognizer` for any voice, out of the box: the commands' phrases against a loop of phones."""

    follows_room = False  # tuned, with the verifier, on utterances cut by webrtcvad alone

    def __init__(self, vocabulary: Vocabulary, tuning: Tuning = Tuning(), skip: frozenset[str] = frozenset()) -> None:
        """`skip`: phrases heard another way (the person's own takes of them), left out here."""
        try:
            from pocketsphinx import Decoder, get_model_path
        except ImportError as e:
            raise DeviceError(f"pocketsphinx is not installed ({e})", "reinstall crampvoice: ./dev.sh run") from None
        self.tuning = tuning
        model = Path(get_model_path()) / "en-us"
        pronunciations = _pronunciations(model / "cmudict-en-us.dict", vocabulary)
        self._phrases = {c: tuple(p for p in ps if p not in skip and all(w in pronunciations for w in p.split()))
                         for c, ps in vocabulary.phrases.items()}
        self._by_phrase = {p: c for c, ps in self._phrases.items() for p in ps}
        self.unknown = tuple(p for ps in vocabulary.phrases.values() for p in ps
                             if p not in self._by_phrase and p not in skip)
        with tempfile.TemporaryDirectory(prefix="crampvoice-") as folder:
            dictionary = Path(folder) / "words.dict"
            entries = [f"{w} {pron}" for w, prons in pronunciations.items() for pron in prons]
            entries += [f"{w} {p}" for w, p in grammar.phone_words().items()]
            dictionary.write_text("\n".join(entries) + "\n", encoding="utf-8")
            loop = Path(folder) / "loop.gram"
            loop.write_text(grammar.phone_loop(), encoding="utf-8")
            # dither: the virtual microphone's digital silence otherwise upsets the features;
            # seed: the same audio decodes the same way every time
            common = {"hmm": str(model / "en-us"), "dict": str(dictionary), "samprate": SAMPLE_RATE_HZ,
                      "wip": tuning.word_penalty, "bestpath": False, "loglevel": "FATAL", "dither": True, "seed": 1}
            self._decoder = Decoder(jsgf=str(loop), **common)
            self._loop = Decoder(jsgf=str(loop), **common)
        self._searches: dict[frozenset[Command], str] = {}
        self._wanted: frozenset[Command] = frozenset(c for c, ps in self._phrases.items() if ps)
        self._active: frozenset[Command] | None = None
        self._utterance = bytearray()
        self.last_decode_s = 0.0  # how long the last utterance took to decode, once it had ended

    def phrases(self) -> list[str]:
        """Every phrase it can hear."""
        return sorted(self._by_phrase)

    def expect(self, commands: Iterable[Command]) -> None:
        """Listen for these commands only, from the next utterance on."""
        self._wanted = frozenset(c for c in commands if self._phrases.get(c))

    def begin(self) -> None:
        """A new utterance; whatever was fed before is forgotten, undecoded."""
        self._utterance.clear()

    def feed(self, pcm: bytes) -> None:
        """Part of the utterance. Digital silence (a virtual device, a file's padding) is left
        out: no microphone gives it, and it skews the utterance's mean that features are
        normalised by, enough to lose clear words."""
        samples = array.array("h", pcm)
        if max(samples, default=0) > SILENT or min(samples, default=0) < -SILENT:
            self._utterance += pcm

    def end(self) -> Heard:
        self.last_decode_s = 0.0
        if not self._utterance or not self._wanted:  # digital silence, or no command left to it to hear
            return Heard(None, "", 0.0)
        if self._wanted != self._active:
            self._decoder.activate_search(self._search(self._wanted))
            self._active = self._wanted
        started = time.perf_counter()
        hyp = self._decode(self._decoder)
        words = hyp.hypstr.split() if hyp is not None else []
        phrase = " ".join(w for w in words if not grammar.is_phone_word(w))
        command = self._by_phrase.get(phrase) if len(phrase.split()) == len(words) else None
        if command is None or hyp is None:  # the loop won: no need to score it alone
            self.last_decode_s = time.perf_counter() - started
            return Heard(None, "", 0.0)
        loop = self._decode(self._loop)
        self.last_decode_s = time.perf_counter() - started
        frames = max(1, self._decoder.n_frames())
        gap = (hyp.score - (loop.score if loop is not None else hyp.score)) / frames
        confidence = 1.0 / (1.0 + math.exp(-gap / self.tuning.confidence_scale))
        if confidence < self.tuning.min_confidence:
            return Heard(None, phrase, confidence)
        return Heard(command, phrase, confidence)

    def _decode(self, decoder: Any) -> Any:
        decoder.start_utt()
        decoder.process_raw(bytes(self._utterance), False, True)
        decoder.end_utt()
        return decoder.hyp()

    def _search(self, commands: frozenset[Command]) -> str:
        name = self._searches.get(commands)
        if name is None:
            name = f"commands{len(self._searches)}"
            phrases = [p for c in commands for p in self._phrases[c]]
            text = grammar.jsgf(phrases, self.tuning.other_weight) if phrases else grammar.phone_loop()
            self._decoder.add_jsgf_string(name, text)
            self._searches[commands] = name
        return name


def _pronunciations(path: Path, vocabulary: Vocabulary) -> dict[str, list[str]]:
    """CMUdict's pronunciations ("word(2)" variants too) of every word the vocabulary uses. A word
    CMUdict lacks that is two of its words joined ("crampvoice": "cramp" + "voice") is said as both."""
    wanted = {w for ps in vocabulary.phrases.values() for p in ps for w in p.split()}
    halves = {w: [(w[:i], w[i:]) for i in range(2, len(w) - 1)] for w in wanted}
    looked_for = wanted | {h for pairs in halves.values() for pair in pairs for h in pair}
    found: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            head, _, pron = line.partition(" ")
            word = head.split("(")[0]
            if word in looked_for:
                found.setdefault(word, []).append(pron.strip())
    joined = {w: [f"{a} {b}" for first, second in pairs if first in found and second in found
                  for a in found[first][:1] for b in found[second][:1]][:1]
              for w, pairs in halves.items() if w not in found}
    return {w: found.get(w) or joined[w] for w in wanted if found.get(w) or joined.get(w)}


def sounds_like(vocabulary: Vocabulary) -> dict[str, str]:
    """Words CMUdict says exactly as a word of the vocabulary ("for", "fore" -> "four"; "paws" ->
    "pause"), to that word: a recogniser writing down one word said alone cannot know which
    spelling was meant (core/transcript.py). {} where pocketsphinx is not installed."""
    try:
        from pocketsphinx import get_model_path
    except ImportError:
        return {}
    path = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
    alone = {p for phrases in vocabulary.phrases.values() for p in phrases if " " not in p}
    # Two words of the vocabulary said alike ("to" of "go to sleep", a person's "two"): the one
    # that is a phrase by itself, since that is the one said alone.
    ordered = sorted(_pronunciations(path, vocabulary).items(), key=lambda item: item[0] in alone)
    said = {pron: word for word, prons in ordered for pron in prons}
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            head, _, pron = line.partition(" ")
            word, written = said.get(pron.strip()), head.split("(")[0]
            if word is not None and written != word:
                out.setdefault(written, word)
    return out


_ASIDE = ThreadPoolExecutor(1, thread_name_prefix="crampvoice-sounds")
_LOOKED_UP: dict[tuple[tuple[Command, tuple[str, ...]], ...], Future[dict[str, str]]] = {}


def sounds_later(vocabulary: Vocabulary) -> Future[dict[str, str]]:
    """`sounds_like`, read in a thread of its own (50 ms of CMUdict), off a session's start: once a
    process for the same phrases (a session's general recogniser and its microphone ask alike)."""
    key = tuple(vocabulary.phrases.items())
    if key not in _LOOKED_UP:
        _LOOKED_UP[key] = _ASIDE.submit(sounds_like, vocabulary)
    return _LOOKED_UP[key]
