"""Trains the out-of-the-box verifier: src/crampvoice/listen/verifier.npz.

    ./dev.sh verifier [--cache DIR]

What it learns from:
- espeak-ng saying every default command phrase (TAKES_PER_PHRASE times) and the synthetic
  corpus's other words and near-misses (TAKES_PER_OTHER times), each in a voice, variant, pace
  and pitch drawn at random, over noise at a random level or clean, cut by the microphone
  path's endpointer;
- the negatives bench/bank.py makes (espeak-ng's everyday words and noise; its command words
  count for their phrase), uncut, as the verifier hears utterances;
- speech-dev's real speakers (../shared/speech-dev), every clip: commands for their phrase,
  other words and noise for "anything else".

The threshold and pocketsphinx's floor are the ones bench/verify.py chose on speech-dev with
speakers held out (THRESHOLD, FLOOR below). The same seed gives the same file; the synthetic
embeddings are cached in DIR (default: the system's temporary folder), and a first run takes
a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import bank as bank_maker  # noqa: E402 - bench/bank.py; `bank` below is its uncut bank
import corpus  # noqa: E402
import listen  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import (  # noqa: E402
    PHRASES,
    Vocabulary,
    normalise,
)
from crampvoice.listen.embedding import Embedder, Floats  # noqa: E402
from crampvoice.listen.endpoint import Endpointer, webrtc_vad  # noqa: E402
from crampvoice.listen.files import read_audio  # noqa: E402
from crampvoice.listen.personal import _train, _unit  # noqa: E402
from crampvoice.listen.recognizer import Heard  # noqa: E402
from crampvoice.listen.sphinx import SphinxRecognizer, Tuning  # noqa: E402
from crampvoice.listen.stream import longest_utterance, recognize  # noqa: E402
from crampvoice.listen.verifier import OTHER, VerifiedRecognizer, Verifier, pool  # noqa: E402

OUT = ROOT / "src" / "crampvoice" / "listen" / "verifier.npz"
REAL = ROOT.parent / "shared" / "speech-dev"
REAL_MAP = {"go": "next", "forward": "next", "backward": "back"}  # as bench/listen.py
PHRASE_LIST = sorted({normalise(p) for ps in PHRASES.values() for p in ps})
TAKES_PER_PHRASE, TAKES_PER_OTHER = 16, 4
VARIANTS = ["", "+m1", "+m3", "+m5", "+f1", "+f2", "+f3", "+f4", "+klatt", "+croak", "+whisper"]
NOISES = (None, "white", "pink", "hum")  # not corpus.py's babble: its sox dither is not seeded
THRESHOLD, FLOOR = 0.03, 0.5  # chosen by bench/verify.py --floors 0.5 0.6 on out-of-fold scores (see its docstring)
STEPS, LEARNING_RATE, L2 = 400, 0.05, 1e-3
OTHER_WEIGHT = 4.0  # "anything else" weighs as much as this many phrases together
REAL_WEIGHT = 3.0  # a real speaker's clip counts as this many synthetic ones


@dataclass(frozen=True, slots=True)
class Example:
    embedding: Floats
    label: str  # a phrase, or OTHER
    real: bool
    group: str  # who said it ("" for synthetic)


def say(text: str, speaker: corpus.Speaker) -> Audio:
    """corpus.say, but with sox's dither seeded (-R): the same text and voice, the same samples."""
    espeak = subprocess.run(["espeak-ng", "-v", speaker.espeak_voice, "-s", str(speaker.rate_wpm),
                             "-p", str(speaker.pitch), "--stdout", text], capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-R", "-t", "wav", "-", "-t", "raw", "-r", str(corpus.RATE_HZ), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-L", "-"], input=espeak, capture_output=True, check=True).stdout
    return corpus._trimmed(Audio(raw, corpus.RATE_HZ))


def synthetic(cache: Path, seed: int = 11) -> list[Example]:
    """espeak-ng's phrases and other words, cut and embedded (cached in `cache`)."""
    path = cache / f"synthetic-r-{seed}-{TAKES_PER_PHRASE}-{TAKES_PER_OTHER}.pkl"
    if path.exists():
        return [Example(e, label, False, "") for e, label in pickle.loads(path.read_bytes())]
    rng = np.random.default_rng(seed)
    embedder = Embedder()
    jobs = [(p, p) for p in PHRASE_LIST for _ in range(TAKES_PER_PHRASE)]
    jobs += [(w, OTHER) for w in corpus.NON_COMMANDS if normalise(w) not in PHRASE_LIST for _ in range(TAKES_PER_OTHER)]
    out = []
    for i, (text, label) in enumerate(jobs):
        speaker = corpus.Speaker(corpus.VOICES[rng.integers(len(corpus.VOICES))],
                                 VARIANTS[rng.integers(len(VARIANTS))].removeprefix("+"),
                                 int(rng.integers(120, 220)), int(rng.integers(25, 75)))
        kind = NOISES[rng.integers(len(NOISES))]
        audio, _ = corpus.mix(say(text, speaker), kind, float(rng.uniform(5, 25)) if kind else None, seed=i)
        utterance = longest_utterance(audio, Endpointer(webrtc_vad(follows_room=VerifiedRecognizer.follows_room)))
        if utterance is not None:
            out.append(Example(embedder.embed(np.frombuffer(utterance.pcm, dtype="<i2")), label, False, ""))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps([(e.embedding, e.label) for e in out]))
    return out


def bank(cache: Path) -> list[Example]:
    """bench/bank.py's negatives, uncut: the verifier hears an utterance whole, where the personal
    model hears only its voice (`spoken_span`); stored as float16, as negatives.npz is."""
    path = cache / "bank-uncut.pkl"
    if path.exists():
        sequences, words = pickle.loads(path.read_bytes())
    else:
        made, words = bank_maker.make(cut=lambda x: x)
        sequences = [s.astype(np.float16).astype(np.float32) for s in made]
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((sequences, words)))
    return [Example(e, normalise(w) if normalise(w) in PHRASE_LIST else OTHER, False, "")
            for e, w in zip(sequences, words, strict=True) if len(e)]


def real_label(row: dict[str, str]) -> str:
    return normalise(row["transcript"]) if row["kind"] == "command" else OTHER


def centre_of(examples: Sequence[Example]) -> Floats:
    centre: Floats = np.concatenate([e.embedding for e in examples if e.label == OTHER]).mean(0).astype(np.float32)
    return centre


def train(examples: Sequence[Example], threshold: float = THRESHOLD, floor: float = FLOOR,
          other_weight: float = OTHER_WEIGHT, real_weight: float = REAL_WEIGHT) -> Verifier:
    """A softmax head over pooled embeddings: one class per phrase, then OTHER."""
    classes = [*PHRASE_LIST, OTHER]
    index = {c: i for i, c in enumerate(classes)}
    centre = centre_of(examples)
    x = np.stack([pool(_unit(e.embedding, centre)) for e in examples]).astype(np.float32)
    y = np.array([index[e.label] for e in examples])
    counts = np.bincount(y, minlength=len(classes)).astype(np.float64)
    per_class = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    per_class[-1] *= other_weight
    weight = per_class[y] * np.array([real_weight if e.real else 1.0 for e in examples])
    w, b, mean, scale = _train(x, y, len(classes), (weight / weight.sum()).astype(np.float32), STEPS)
    return Verifier({"phrases": np.array(classes), "centre": centre, "mean": mean, "scale": scale,
                     "weights": w, "bias": b, "threshold": np.array(threshold, np.float32),
                     "proposal_floor": np.array(floor, np.float32)})


# -- speech-dev's real clips, cut and embedded as bench/verify.py measures them -------------------

MAX_OTHER_UTTERANCES = 5  # of one non-command clip, for training (noise clips have dozens)


@dataclass(frozen=True, slots=True)
class Utterance:
    phrase: str  # pocketsphinx's proposal at no floor; "" for none
    confidence: float
    embedding: Floats


@dataclass(frozen=True, slots=True)
class Clip:
    row: dict[str, str]
    utterances: list[Utterance]

    @property
    def expected(self) -> str:
        return self.row["command"]


class _Recorder:
    """Pocketsphinx at no floor and the embedding, for every utterance; decides nothing, so that
    `recognize` goes through them all."""

    follows_room = False  # as the verifier will hear

    def __init__(self) -> None:
        self.sphinx = SphinxRecognizer(Vocabulary(), Tuning(min_confidence=0.0))
        self.embedder = Embedder()
        self.pcm = bytearray()
        self.log: list[Utterance] = []

    def expect(self, commands: Any) -> None:
        self.sphinx.expect(commands)

    def begin(self) -> None:
        self.sphinx.begin()
        self.pcm.clear()

    def feed(self, pcm: bytes) -> None:
        self.sphinx.feed(pcm)
        self.pcm += pcm

    def end(self) -> Heard:
        heard = self.sphinx.end()
        embedding = self.embedder.embed(np.frombuffer(bytes(self.pcm), dtype="<i2"))
        self.log.append(Utterance(heard.text if heard.command else "", heard.confidence, embedding))
        return Heard(None, "", 0.0)


def clips(folder: Path, cache: Path) -> list[Clip]:
    """Every speech-dev clip's utterances, as the streaming path cuts them (cached)."""
    path = cache / "speech-dev-utterances.pkl"
    if not path.exists():
        recorder, plain = _Recorder(), []
        for row in listen.real_rows(folder):
            recorder.log = []
            recognize(read_audio(folder / row["file"]), recorder)
            plain.append((row, [(u.phrase, u.confidence, u.embedding) for u in recorder.log]))
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(plain))
    return [Clip(row, [Utterance(*u) for u in utterances]) for row, utterances in pickle.loads(path.read_bytes())]


def group_of(clip: Clip) -> str:
    return clip.row["speaker"] or f"noise:{clip.row['file']}"


def examples_of(chosen: Sequence[Clip]) -> list[Example]:
    """Real training examples: a command clip's longest utterance for its phrase; a few of every
    other clip's utterances for OTHER."""
    out = []
    for clip in chosen:
        if not clip.utterances:
            continue
        if clip.expected:
            longest = max(clip.utterances, key=lambda u: len(u.embedding))
            out.append(Example(longest.embedding, real_label(clip.row), True, group_of(clip)))
        else:
            out += [Example(u.embedding, OTHER, True, group_of(clip))
                    for u in clip.utterances[:MAX_OTHER_UTTERANCES] if len(u.embedding)]
    return out


def real_examples(folder: Path, cache: Path) -> list[Example]:
    return examples_of(clips(folder, cache))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "crampvoice-verifier")
    parser.add_argument("--real", type=Path, default=REAL)
    args = parser.parse_args(argv)
    examples = synthetic(args.cache) + bank(args.cache) + real_examples(args.real, args.cache)
    model = train(examples)
    OUT.write_bytes(model.to_bytes())
    print(f"{OUT.relative_to(ROOT)}: {len(examples)} examples ({sum(e.real for e in examples)} real), "
          f"{len(model.phrases) - 1} phrases, {OUT.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
