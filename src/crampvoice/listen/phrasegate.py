"""A second, independent check on a taught start phrase: the whole utterance, warped in time onto
the phrase's takes, must be nearer them than the takes' own halves joined to other words are.

The person's model (personal.py) decides on an utterance pooled over time, so it hears "four
seven" in "four" + any word, or "seven four": on personal-dev's three speakers, with five digit
pairs each taught from three takes, it took 40 % of the pairs sharing a word with the phrase.
Dynamic time warping over the whole phrase keeps the order and every part. Its threshold is
learnt from the takes alone: each take's first half joined to the second half of a word from
the shipped negatives, that word's first half joined to the take's second half, and each half
alone, stand in for the hard negatives; the gate lets through what is nearer than the nearest
1 % of them (`SPLICED_QUANTILE`). Tuned on those three speakers (so the figures are not held
out): 87.7 % of their other takes of the phrase let through, 0.7 % of the pairs sharing a word
(at most 2.6 % for one phrase), none of the words alone. The 5 % quantile let through 92.3 %
and 4.0 %.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..core.commands import Command, normalise
from .embedding import Embedder, Floats
from .personal import PersonalModel, Samples, _dtw, _pack, _unit, negatives, spoken_span

SPLICED_QUANTILE = 0.01
NEGATIVES_PER_TAKE = 40  # words of the shipped bank joined to each take's halves
SEED = 0  # which words: the same takes always give the same gate
_Packed = tuple[Floats, npt.NDArray[np.int64]]


class PhraseGate:
    """For each start phrase the person taught: its takes (with their variants) and its threshold."""

    def __init__(self, model: PersonalModel, embedder: Embedder | None = None) -> None:
        a = model.arrays
        self._centre = a["centre"]
        self._embedder = embedder or Embedder()
        ends = np.cumsum(a["take_lengths"])
        sequences = np.split(a["take_vectors"].astype(np.float32), ends[:-1])
        owner, take = a["take_labels"], a["take_ids"]
        bank = [_unit(e, self._centre) for e in negatives()[0] if len(e) >= 4]
        rng = np.random.default_rng(SEED)
        self._takes: dict[str, _Packed] = {}
        self.thresholds: dict[str, float] = {}
        for i, label in enumerate(model.labels):
            if label.command is not Command.START:
                continue
            mine = [s for s, o in zip(sequences, owner, strict=True) if o == i]
            packed = _pack(mine)
            firsts = [sequences[j] for j in np.unique(take, return_index=True)[1] if owner[j] == i]
            spliced = [d for t in firsts for d in self._spliced(t, bank, rng, packed)]
            self._takes[normalise(label.word)] = packed
            self.thresholds[normalise(label.word)] = float(np.quantile(spliced, SPLICED_QUANTILE))

    @staticmethod
    def _spliced(take: Floats, bank: list[Floats], rng: np.random.Generator,
                 packed: _Packed) -> list[float]:
        h = len(take) // 2
        out = []
        for n in rng.choice(len(bank), min(NEGATIVES_PER_TAKE, len(bank)), replace=False):
            other = bank[n]
            k = len(other) // 2
            for s in (np.concatenate([take[:h], other[k:]]), np.concatenate([other[:k], take[h:]]), take[:h], take[h:]):
                out.append(float(_dtw(s[None], np.array([len(s)]), *packed).min()))
        return out

    def phrases(self) -> list[str]:
        return sorted(self._takes)

    def distance(self, phrase: str, samples: Samples) -> float:
        """How far the utterance is from the phrase's nearest take, as a share of its threshold (< 1 passes)."""
        key = normalise(phrase)
        unit = _unit(self._embedder.embed(spoken_span(samples)), self._centre)
        if not len(unit):
            return float("inf")
        return float(_dtw(unit[None], np.array([len(unit)]), *self._takes[key]).min()) / self.thresholds[key]

    def passes(self, phrase: str, samples: Samples) -> tuple[bool, float]:
        """Whether a start heard as `phrase` passes; phrases not taught have no takes to check against."""
        if normalise(phrase) not in self._takes:
            return True, 0.0
        ratio = self.distance(phrase, samples)
        return ratio < 1.0, ratio


def start_gate(model: PersonalModel | None) -> PhraseGate | None:
    """The gate for the start phrases in the person's model; None when none is taught."""
    if model is None or not any(label.command is Command.START for label in model.labels):
        return None
    return PhraseGate(model)
