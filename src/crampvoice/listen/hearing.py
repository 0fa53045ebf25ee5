"""Which recogniser hears the person: their own voice for what they taught, the general one for the rest.

`run` and `recognize` both hear through `recognizer_for`, so a file is heard exactly as the
microphone would be. The personal model is built from the takes in seconds and kept beside
them (`model.npz`, which names the takes it was built from: one file, so that a session saving
it late can never pair its model with other takes); it is built again whenever the takes
change. Each take's embeddings are kept too (`takes.npz`, by the take's sound, not its name),
so building again after one more take embeds only that take.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import Audio
from ..core import phrases as P
from ..core.commands import Command, Vocabulary, kept_for, normalise
from ..core.errors import SettingsError
from . import takes
from .embedding import Embedder, Floats
from .moonshine import GeneralRecognizer, MoonshineModel, MoonshineRecognizer, import_error
from .personal import VERSION, Label, PersonalModel, PersonalRecognizer, Samples, embed_take, negatives, spoken_span
from .recognizer import Heard, Recognizer
from .sphinx import SphinxRecognizer, Tuning
from .verifier import VerifiedRecognizer
from .veto import WIRED, MoonshineVeto


@dataclass(frozen=True, slots=True)
class Built:
    model: PersonalModel | None  # None: nothing taught yet
    summary: str  # one sentence for the person (and `passed_over`)
    learnt: bool = False  # built from the takes just now, not read back
    passed_over: str | None = None  # the takes not learnt from, and why


BUILT_FROM = "built_from"  # in the saved model: every entry named like a take it was built beside (`_fingerprint`)
BUILT_NOTE = "built_note"  # ... and what was said of them: words, takes, and the takes passed over (JSON)


def build_from_takes(root: Path | None = None, embedder: Embedder | None = None) -> Built:
    """The person's model: read back when the takes have not changed (no take is opened then),
    else learnt from them again."""
    root = root or takes.voice_dir()
    model_path = root / "model.npz"
    key = _fingerprint(takes.scan(root), root)
    try:
        saved = PersonalModel.from_bytes(model_path.read_bytes())
        if str(saved.arrays.get(BUILT_FROM)) == key:
            note = json.loads(str(saved.arrays[BUILT_NOTE]))
            return Built(saved, _with(f"Listening for your voice: {P.count(note['words'], 'word')} from "
                                      f"{P.count(note['takes'], 'take')}.", note["passed_over"]),
                         passed_over=note["passed_over"])
    except (OSError, ValueError, KeyError):
        pass  # no model yet, one that cannot be read, or one from before the note was kept: build it
    read = takes.read(root)
    found, overruled = _not_overruling(read.takes)
    passed_over = " ".join(n for n in (read.note(root), overruled) if n) or None
    taught = [t for t in found if t.command is not None]
    if not taught:
        return Built(None, _with("No words taught yet, so crampvoice listens with its general recogniser.",
                                 passed_over), passed_over=passed_over)
    words = len({(t.command, t.word) for t in taught})
    started = time.perf_counter()
    embedded = _embedded(read, root, embedder)
    model = PersonalModel.build(_by_label(taught, embedded), _others(found, embedded))
    model.arrays[BUILT_FROM] = np.array(key)
    model.arrays[BUILT_NOTE] = np.array(json.dumps({"words": words, "takes": len(taught), "passed_over": passed_over}))
    _write(model_path, model.to_bytes())
    (root / "model.key").unlink(missing_ok=True)  # where older versions named the takes
    return Built(model, _with(f"Learnt your voice: {P.count(words, 'word')} from {P.count(len(taught), 'take')} "
                              f"in {time.perf_counter() - started:.1f} s. crampvoice now listens for them.",
                              passed_over), learnt=True, passed_over=passed_over)


def _not_overruling(found: list[takes.Take]) -> tuple[list[takes.Take], str | None]:
    """The takes less any that would give stop, pause or emergency's own words to another command
    (taught before `words add` refused it), and a sentence saying so."""
    overruling = [t for t in found if t.command is not None and kept_for(t.word) not in (None, t.command)]
    if not overruling:
        return found, None
    words = sorted({normalise(t.word) for t in overruling})
    return [t for t in found if t not in overruling], (
        f"Not listening for {', '.join(repr(w) for w in words)} in your voice as another command: stop, pause and "
        f"emergency always keep their words. 'crampvoice words remove {words[0]}' deletes those takes.")


def _with(summary: str, passed_over: str | None) -> str:
    return f"{summary} {passed_over}" if passed_over else summary


def recognizer_for(vocabulary: Vocabulary, root: Path | None = None,
                   wait_s: float | None = 0.0) -> tuple[Recognizer, list[str]]:
    """What `run` and `recognize` hear with, and what to tell the person about it. Untaught, the
    general recogniser (`general_recognizer`); taught, `Combined` (`is_personal` tells which).
    `wait_s`: how long an utterance may wait for Moonshine still loading (moonshine.py)."""
    built = build_from_takes(root)
    if built.model is None:
        general, notes = general_recognizer(vocabulary, wait_s=wait_s)
        return general, [*notes, *([built.passed_over] if built.passed_over else [])]
    personal = personal_recognizer(built.model, wait_s=wait_s)
    general, notes = general_recognizer(vocabulary, Combined.heard_by(personal, vocabulary), wait_s)
    return Combined(personal, general), [*notes, built.summary]


def general_recognizer(vocabulary: Vocabulary, skip: frozenset[str] = frozenset(),
                       wait_s: float | None = 0.0) -> tuple[Recognizer, list[str]]:
    """What hears a voice never taught: Moonshine, with pocketsphinx checked by the verifier where
    it makes out nothing and until it has loaded; pocketsphinx and the verifier alone where
    moonshine_cpp is not installed (no wheel for aarch64 Linux). And what to tell the person."""
    verified = VerifiedRecognizer(vocabulary, skip=skip)  # pocketsphinx proposes, the embedding's verifier decides
    if import_error() is not None:
        return verified, _unknown(verified.general)
    return GeneralRecognizer(MoonshineRecognizer(vocabulary, skip=skip), verified, wait_s), []


def hears_with() -> str:
    """Which recogniser hears a voice never taught, on this machine, in words for `doctor`
    (Moonshine loaded to tell: it waits for the load)."""
    why = import_error()
    if why is None:
        model = MoonshineModel.shared()
        if model.wait():
            return (f"Moonshine (English base model) hears any voice, loaded in {model.load_s:.1f} s; "
                    "pocketsphinx and the verifier until it has loaded")
        why = model.error
    return (f"pocketsphinx, checked by the verifier, hears any voice: Moonshine cannot be used here ({why}; "
            "moonshine_cpp has wheels for x86-64 Linux and arm64 macOS only)")


def personal_recognizer(model: PersonalModel, embedder: Embedder | None = None,
                        second: str = "pocketsphinx", veto: str = WIRED,
                        wait_s: float | None = 0.0) -> PersonalRecognizer:
    """The person's model, with a second opinion on a word it is near to acting on
    (`personal.NEAR`): `second` ("pocketsphinx" or "moonshine"), listening for the person's taught
    words and nothing else, must hear that very word (pocketsphinx however unsure of it; a word it
    has no pronunciation of gets none). Moonshine was measured as the second opinion too (bench
    personal --second moonshine). And a check on a word it acts on near its gate (`veto`, one of
    `veto.RULES`; "near" by default): where Moonshine is installed and loaded, a word it writes down
    as other words is not acted on (veto.py); until then, and without moonshine_cpp, the model
    decides as before (`wait_s`: how long a word may wait for Moonshine still loading)."""
    taught = {label.word for label in model.labels}
    words = Vocabulary({c: tuple(label.word for label in model.labels if label.command is c) for c in Command})
    others = frozenset(p for phrases in Vocabulary().phrases.values() for p in phrases if p not in taught)
    opinion: Recognizer = MoonshineRecognizer(words, skip=others) if second == "moonshine" \
        else SphinxRecognizer(words, Tuning(min_confidence=0.0), skip=others)
    check = MoonshineVeto(model.labels, veto, wait_s=wait_s) if veto != "off" and import_error() is None else None
    return PersonalRecognizer(model, embedder or Embedder(), opinion, check)


def is_personal(recognizer: Recognizer) -> bool:
    """Whether it hears with the person's own taught voice."""
    return isinstance(recognizer, Combined)


class Combined:
    """The person's own voice for the commands they taught; for the rest, what hears before any
    teaching (`general_recognizer`).

    A taught command is heard in the person's voice only, every phrase of it: pocketsphinx
    listening for "next" beside a person's taught "next" doubled the false accepts on their
    other words (bench/personal.py: 1.3 % alone, 5.6 % with it), for little gain.
    """

    follows_room = True  # as the person's voice is heard, and its takes were cut

    @classmethod
    def for_person(cls, personal: PersonalRecognizer, vocabulary: Vocabulary, wait_s: float | None = 0.0) -> Combined:
        return cls(personal, general_recognizer(vocabulary, cls.heard_by(personal, vocabulary), wait_s)[0])

    @staticmethod
    def heard_by(personal: PersonalRecognizer, vocabulary: Vocabulary) -> frozenset[str]:
        """The phrases heard in the person's voice only: every phrase of a taught command, and their words."""
        taught = {label.command for label in personal.model.labels}
        return frozenset({p for c in taught for p in vocabulary.phrases[c]} | {normalise(w) for w in personal.words()})

    def __init__(self, personal: Recognizer, general: Recognizer) -> None:
        self.general = general
        self._both: tuple[Recognizer, Recognizer] = (personal, general)

    def expect(self, commands: Iterable[Command]) -> None:
        wanted = frozenset(commands)
        for r in self._both:
            r.expect(wanted)

    def begin(self) -> None:
        for r in self._both:
            r.begin()

    def feed(self, pcm: bytes) -> None:
        for r in self._both:
            r.feed(pcm)

    def end(self) -> Heard:
        first = self._both[0].end()
        if first.command is not None:
            self._both[1].begin()  # not worth decoding
            return first
        then = self._both[1].end()
        return then if then.command is not None or then.confidence > first.confidence else first


def _unknown(sphinx: SphinxRecognizer) -> list[str]:
    return [f"Cannot listen for {p!r}: a word in it is not in pocketsphinx's dictionary. Teach it in your voice "
            f"('crampvoice words add {p} --as COMMAND') or choose another phrase; the other words still work."
            for p in sphinx.unknown]


def _by_label(taught: list[takes.Take], embedded: dict[Path, list[Floats]]) -> dict[Label, list[list[Floats]]]:
    out: dict[Label, list[list[Floats]]] = {}
    for take in taught:
        assert take.command is not None
        out.setdefault(Label(take.command, normalise(take.word)), []).append(embedded[take.path])
    return out


def _others(found: list[takes.Take], embedded: dict[Path, list[Floats]]) -> list[Floats]:
    """What is no command: the shipped bank, less the words the person uses for commands, and the
    person's own takes of other words and of the room."""
    used = {normalise(t.word) for t in found if t.command is not None}
    bank, words = negatives()
    mine = [embedded[t.path][0] for t in found if t.command is None]
    return [e for e, w in zip(bank, words, strict=True) if w not in used] + mine


def _embedded(read: takes.Read, root: Path, embedder: Embedder | None) -> dict[Path, list[Floats]]:
    """Each take's embedding sequences (a command's take with its variants), from `takes.npz` where
    the same sound was embedded before; the file is written again with exactly these takes."""
    cache_path = root / "takes.npz"
    cached = _read_cache(cache_path)
    before = set(cached)
    kept: dict[str, list[Floats]] = {}
    out: dict[Path, list[Floats]] = {}
    for take in read.takes:
        samples = _samples(read.audio[take.path])
        key = f"{'take' if take.command is not None else 'other'} {hashlib.sha1(samples.tobytes()).hexdigest()}"
        if key not in cached:
            embedder = embedder or Embedder()
            cached[key] = embed_take(samples, embedder) if take.command is not None else [embedder.embed(samples)]
        kept[key] = out[take.path] = cached[key]
    if set(kept) != before:
        _write(cache_path, _cache_bytes(kept))
    return out


def _read_cache(path: Path) -> dict[str, list[Floats]]:
    """The embeddings kept in `path`: none if it is missing, unreadable or of another version."""
    try:
        with np.load(path) as saved:
            if int(saved["version"]) != VERSION:
                return {}
            sequences = np.split(saved["vectors"], np.cumsum(saved["lengths"])[:-1])
            starts = np.concatenate([[0], np.cumsum(saved["counts"])])
            return {str(k): sequences[a:b] for k, a, b in zip(saved["keys"], starts[:-1], starts[1:], strict=True)}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}


def _cache_bytes(cache: dict[str, list[Floats]]) -> bytes:
    sequences = [s for kept in cache.values() for s in kept]
    out = io.BytesIO()
    np.savez_compressed(out, allow_pickle=False, keys=np.array(list(cache), dtype=str),
                        counts=np.array([len(kept) for kept in cache.values()], dtype=np.int64),
                        lengths=np.array([len(s) for s in sequences], dtype=np.int64),
                        vectors=np.concatenate(sequences).astype(np.float32), version=np.array(VERSION))
    return out.getvalue()


def _samples(audio: Audio) -> Samples:
    """What the model learns of a take: its voice, cut as an utterance heard is (`spoken_span`)."""
    return spoken_span(np.frombuffer(audio.pcm, dtype="<i2"))


def _fingerprint(found: list[takes.Take], root: Path) -> str:
    """Each entry named like a take, by its size and time, or as what it is when it cannot be one
    (a FIFO, a folder, a link to nothing): any change there builds the model again."""
    lines = []
    for t in found:
        try:
            info = t.path.stat()
            lines.append(f"{t.path.relative_to(root)} {info.st_mode >> 12} {info.st_size} {info.st_mtime_ns}")
        except OSError as e:
            lines.append(f"{t.path.relative_to(root)} {e.errno}")
    return "\n".join(lines)


def _write(path: Path, data: bytes) -> None:
    """Written whole or not at all: a model half written is never read back. Until it is whole it
    has a name of its own, so two sessions building the model at once never write into one file."""
    part: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        part = Path(name)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(part, path)
    except OSError as e:
        if part is not None:
            part.unlink(missing_ok=True)
        raise SettingsError(f"cannot save the voice model in {path.parent} ({e.strerror or e})",
                            "check that the folder can be written to") from None
