"""Out of the box, a second opinion on pocketsphinx: was that really the phrase it proposes?

Pocketsphinx (sphinx.py) hears any voice, but on short words its acoustic model takes other
words and noise for commands. Here it proposes, at a lower confidence than it would act on by
itself, and a small head over the frozen speech embedding (embedding.py) checks each proposal:
the head gives every command phrase, and "anything else", a probability from the utterance's
pooled embedding (the same pooling as the personal model's), and the proposal is acted on
when its phrase gets at least the threshold.

The head's weights ship in the package (`verifier.npz`, made by `bench/verifier.py`: espeak-ng
voices saying every phrase and other words, the shipped negatives, and speech-dev's real
speakers); nothing is fetched. Measured on speech-dev speakers the head and its threshold
never saw (bench/verify.py --floors 0.5 0.6, 5 folds by speaker): 75 % of commands right at
no false accept (of 102 other words and noises), against pocketsphinx alone's 69 % at 2.9 % in
the same run; the check adds 19 ms (p95 23 ms) after the end of speech (79 and 140 ms before
the embedding ran on XNNPACK), and runs only when pocketsphinx proposes a command. A lower
floor (0.4) heard 77 %, but took a synthetic "neck" for "no": pocketsphinx must be half sure
before the verifier is asked.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.commands import Command, Vocabulary, normalise
from .embedding import Embedder, Floats
from .personal import _unit
from .recognizer import Heard
from .sphinx import SphinxRecognizer, Tuning

WEIGHTS = "verifier.npz"
OTHER = ""  # the label of "anything else"
DEFAULT_TUNING = Tuning()


def pool(unit: Floats) -> Floats:
    """An utterance as one vector: the mean and the maximum over time (what the head was trained on)."""
    return np.concatenate([unit.mean(0), unit.max(0)]) if len(unit) else np.zeros(2 * unit.shape[1], np.float32)


class Verifier:
    """The head, as arrays: `phrases` (one class each, then OTHER), `centre`, `mean`, `scale`,
    `weights`, `bias`, and the decision's `threshold` and `proposal_floor` (pocketsphinx's
    confidence below which a proposal is not even checked)."""

    def __init__(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.arrays = arrays
        self.phrases = [str(p) for p in arrays["phrases"]]
        self._index = {p: i for i, p in enumerate(self.phrases)}
        self.threshold = float(arrays["threshold"])
        self.proposal_floor = float(arrays["proposal_floor"])

    @classmethod
    def load(cls) -> Verifier:
        """The weights shipped with the package."""
        data = resources.files("crampvoice.listen").joinpath(WEIGHTS).read_bytes()
        return cls.from_bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> Verifier:
        with np.load(io.BytesIO(data)) as saved:
            return cls({k: saved[k] for k in saved.files})

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez_compressed(out, allow_pickle=False, **self.arrays)
        return out.getvalue()

    def with_decision(self, threshold: float, proposal_floor: float) -> Verifier:
        return Verifier({**self.arrays, "threshold": np.array(threshold, np.float32),
                         "proposal_floor": np.array(proposal_floor, np.float32)})

    def probabilities(self, embedding: Floats) -> npt.NDArray[np.float32]:
        """Every class's probability for one utterance's (n, 96) embedding."""
        a = self.arrays
        z = ((pool(_unit(embedding, a["centre"])) - a["mean"]) / a["scale"]) @ a["weights"] + a["bias"]
        p = np.exp(z - z.max())
        out: npt.NDArray[np.float32] = (p / p.sum()).astype(np.float32)
        return out

    def score(self, embedding: Floats, phrase: str) -> float:
        """How sure the head is that the utterance is `phrase` (0 for a phrase it was not trained on)."""
        i = self._index.get(normalise(phrase))
        if i is None or not len(embedding):
            return 0.0
        return float(self.probabilities(embedding)[i])

    def accepts(self, embedding: Floats, phrase: str, sphinx_confidence: float) -> tuple[bool, float]:
        if sphinx_confidence < self.proposal_floor:
            return False, 0.0
        s = self.score(embedding, phrase)
        return s >= self.threshold, s


class VerifiedRecognizer:
    """A `Recognizer`: pocketsphinx proposes (at the verifier's lower floor), the verifier decides.

    A phrase the verifier was not trained on (a person's own extra words) is left to
    pocketsphinx alone, at its usual confidence."""

    follows_room = False  # following the room, it heard fewer of speech-dev's commands (endpoint.py)

    def __init__(self, vocabulary: Vocabulary, verifier: Verifier | None = None, embedder: Embedder | None = None,
                 tuning: Tuning = DEFAULT_TUNING, skip: frozenset[str] = frozenset()) -> None:
        self.verifier = verifier or Verifier.load()
        self._own_floor = tuning.min_confidence
        floor = min(tuning.min_confidence, self.verifier.proposal_floor)
        self.general = SphinxRecognizer(vocabulary, Tuning(tuning.word_penalty, floor, tuning.confidence_scale,
                                                           tuning.other_weight), skip)
        self._embedder = embedder or Embedder()
        self._utterance = bytearray()
        self.last_verify_s = 0.0  # how long the last check took (0 when there was nothing to check)

    @property
    def unknown(self) -> tuple[str, ...]:
        return self.general.unknown

    def phrases(self) -> list[str]:
        return self.general.phrases()

    def expect(self, commands: Iterable[Command]) -> None:
        self.general.expect(commands)

    def begin(self) -> None:
        self.general.begin()
        self._utterance.clear()

    def feed(self, pcm: bytes) -> None:
        self.general.feed(pcm)
        self._utterance += pcm

    def end(self) -> Heard:
        self.last_verify_s = 0.0
        proposal = self.general.end()
        command = proposal.command
        if command is None:
            return proposal
        if normalise(proposal.text) not in self.verifier.phrases:
            return proposal if proposal.confidence >= self._own_floor else Heard(None, proposal.text,
                                                                                  proposal.confidence)
        started = time.perf_counter()
        samples = np.frombuffer(bytes(self._utterance), dtype="<i2")
        self._embedder._noise = np.random.default_rng(0)  # the same padding each time: the same audio, the same answer
        accepted, score = self.verifier.accepts(self._embedder.embed(samples), proposal.text, proposal.confidence)
        self.last_verify_s = time.perf_counter() - started
        return Heard(command if accepted else None, proposal.text, score)
