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

In noise a phrase lies farther from its clean takes (and from their variants in noise of the
model's own making) than the hard negatives do, and the gate turned most of it away. Standby
hears the room before anyone speaks: where that is not quiet, a phrase the takes turn away is
put once more to the takes with the room's noise mixed in, at the phrase's own level over it,
under the same threshold (`bench gate`, the gate alone on the same people: 52.5 -> 75.8 % of
phrases caught at 20 dB, 33.3 -> 60.8 % at 10 dB; hard negatives let through 0.2 % clean as
before, 0.0 -> 0.4 % in noise; 33 ms where it is asked). Learning the threshold again from those
noisy takes caught more (80 %, 71 %) and let 1.1 % through in noise: not taken.

Where noise goes on, the endpointer's utterance also holds noise on either side of the phrase
(the utterance starts on noise webrtcvad takes for voice), which no take has; `spoken_span` does
not cut it away when the noise comes and goes. So a phrase weighed in the room's noise is first
cut to where it stands out of the room (`over_the_room`): on bench standby's phrases the model
proposed, the gate let 53 / 43 / 33 % through at 20 / 10 / 5 dB instead of 42 / 23 / 25 %. It
costs one more embedding: 44 ms (p95 59 ms) in all where it is asked.

A phrase said haltingly, a pause between its words that its takes do not have, lies farther from
them than a hard negative: a phrase the gate turns away is weighed once more with each such pause
shortened (`pauses_shortened`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..core.commands import Command, normalise
from . import takes
from .embedding import SAMPLE_RATE_HZ, Embedder, Floats
from .personal import (
    AROUND_MS,
    SPAN_FRAME_MS,
    SPAN_HOP,
    PersonalModel,
    Samples,
    _dtw,
    _pack,
    _unit,
    negatives,
    spoken_span,
    voiced,
)

SPLICED_QUANTILE = 0.01
NEGATIVES_PER_TAKE = 40  # words of the shipped bank joined to each take's halves
SEED = 0  # which words: the same takes always give the same gate
ROOM_MIN_S = 0.5  # the room heard at least this long before a phrase, for its noise to be matched
QUIET_ROOM_DB = 30.0  # a phrase this far over the room: its takes as they are will do
ROOM_FRAME_MS = 20  # `over_the_room` weighs a phrase's loudness 20 ms at a time ...
ROOM_MARGIN_DB = 3.0  # ... and keeps what is louder than the room's loudest tenth by this
_HOP = SAMPLE_RATE_HZ * ROOM_FRAME_MS // 1000
PAUSE_KEPT_MS = 40  # a pause between a phrase's words is weighed again shortened to this (george's "four",
                    # 300 ms, "seven": 1.25 of the threshold as said; shortened to 40 ms 0.73, to 100 ms 0.88)
_Packed = tuple[Floats, npt.NDArray[np.int64]]


class PhraseGate:
    """For each start phrase the person taught: its takes (with their variants) and its threshold."""

    def __init__(self, model: PersonalModel, embedder: Embedder | None = None,
                 take_audio: Mapping[str, Sequence[Samples]] | None = None) -> None:
        """`take_audio`: each start phrase's takes as recorded (`start_takes`), to hear them in the
        room's noise; without them, a phrase is put to the takes as learnt only."""
        self._take_audio = {normalise(k): [spoken_span(t) for t in v] for k, v in (take_audio or {}).items()}
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

    def distance(self, phrase: str, samples: Samples, room: Samples | None = None) -> float:
        """How far the utterance is from the phrase's nearest take, as a share of its threshold (< 1
        passes). Where that is 1 or more, the phrase is weighed once more with any long pause between
        its words shortened (`pauses_shortened`); and where the room heard before it is noisy, cut
        to where its voice stands out of the room's noise (`over_the_room`), against the takes as
        learnt and the takes with the room's noise in them: the nearest of all."""
        key = normalise(phrase)
        heard = spoken_span(samples)
        ratio = self._ratio(key, heard, self._takes[key])
        if ratio >= 1.0 and len(shorter := pauses_shortened(heard)):
            ratio = min(ratio, self._ratio(key, shorter, self._takes[key]))
        if ratio < 1.0 or room is None:
            return ratio
        if (in_room := self.heard_in_the_room(samples, room)) is None:
            return ratio
        heard, voice_power = in_room
        ratio = min(ratio, self._ratio(key, heard, self._takes[key]))
        if in_the_room := self._in_the_room(key, voice_power, room):
            ratio = min(ratio, self._ratio(key, heard, _pack(in_the_room)))
        return ratio

    def _ratio(self, key: str, heard: Samples, takes: _Packed) -> float:
        unit = _unit(self._embedder.embed(heard), self._centre)
        if not len(unit):
            return float("inf")
        return float(_dtw(unit[None], np.array([len(unit)]), *takes).min()) / self.thresholds[key]

    def heard_in_the_room(self, samples: Samples, room: Samples) -> tuple[Samples, float] | None:
        """The phrase as the gate weighs it in the room's noise: cut to where its voice stands out of
        the room (`over_the_room`, then `spoken_span`), and its own power over the room; None where
        the room is not noisy enough to weigh it so (`_voice_power`)."""
        heard = spoken_span(over_the_room(samples, room))
        voice_power = self._voice_power(heard, room)
        return None if voice_power is None else (heard, voice_power)

    @staticmethod
    def _voice_power(heard: Samples, room: Samples) -> float | None:
        """The phrase's own power over the room's noise; None where the room was not heard long
        enough, is quiet beside the phrase (its takes as they are will do), or is as loud as it."""
        if len(room) < ROOM_MIN_S * SAMPLE_RATE_HZ:
            return None
        noise_power = float(np.mean(room.astype(np.float64) ** 2))
        voice_power = float(np.mean(heard.astype(np.float64) ** 2)) - noise_power
        if voice_power <= 0 or voice_power > noise_power * 10 ** (QUIET_ROOM_DB / 10):
            return None
        return voice_power

    def _in_the_room(self, key: str, voice_power: float, room: Samples) -> list[Floats]:
        """The phrase's takes with the room's noise mixed in at the phrase's own level over it."""
        noise = room.astype(np.float64)
        mixed = []
        for take in self._take_audio.get(key, []):
            x = take.astype(np.float64)
            gain = np.sqrt(np.mean(x**2) / voice_power)
            noisy = np.clip(x + gain * np.resize(noise, len(x)), -32768, 32767).astype(np.int16)
            unit = _unit(self._embedder.embed(spoken_span(noisy)), self._centre)
            if len(unit):
                mixed.append(unit)
        return mixed

    def passes(self, phrase: str, samples: Samples, room: Samples | None = None) -> tuple[bool, float]:
        """Whether a start heard as `phrase` passes (`room`: what was heard before it, if anything);
        phrases not taught have no takes to check against."""
        if normalise(phrase) not in self._takes:
            return True, 0.0
        ratio = self.distance(phrase, samples, room)
        return ratio < 1.0, ratio


def over_the_room(samples: Samples, room: Samples | None) -> Samples:
    """The utterance from its first to its last 20 ms that is louder than the room's loudest tenth
    by ROOM_MARGIN_DB, AROUND_MS either side: where noise goes on, the endpointer's utterance
    also holds the noise around the phrase, which its takes did not have. The whole utterance where
    no room was heard, or nothing stands out of it."""
    if room is None or len(room) < ROOM_MIN_S * SAMPLE_RATE_HZ:
        return samples
    loud = np.flatnonzero(_levels(samples) > np.percentile(_levels(room), 90) + ROOM_MARGIN_DB)
    if not len(loud):
        return samples
    hop, around = _HOP, AROUND_MS // ROOM_FRAME_MS
    return samples[max(0, loud[0] - around) * hop:(loud[-1] + 1 + around) * hop]


def pauses_shortened(samples: Samples) -> Samples:
    """The phrase with each quiet between its words (`voiced`) longer than PAUSE_KEPT_MS shortened
    to that, its two ends kept: a person in pain may say the phrase haltingly, and a pause its
    takes do not have takes it farther from them than a hard negative. Empty where there is no such
    pause."""
    kept = PAUSE_KEPT_MS // SPAN_FRAME_MS
    loud = voiced(samples)
    gaps = np.flatnonzero(np.diff(loud) > kept + 1)
    if not len(gaps):
        return samples[:0]
    keep = np.ones(len(samples), bool)
    for g in gaps:
        quiet_from, voice_again = (loud[g] + 1) * SPAN_HOP, loud[g + 1] * SPAN_HOP
        keep[quiet_from + kept // 2 * SPAN_HOP:voice_again - (kept - kept // 2) * SPAN_HOP] = False
    return samples[keep]


def _levels(samples: Samples) -> npt.NDArray[np.float64]:
    """Each 20 ms's level, dB."""
    n = len(samples) // _HOP
    x = samples[:n * _HOP].astype(np.float64).reshape(n, _HOP)
    levels: npt.NDArray[np.float64] = 10 * np.log10(np.mean(x * x, axis=1) + 1.0)
    return levels


def start_takes(root: Path | None = None) -> dict[str, list[Samples]]:
    """Each start phrase's takes in the voice folder, as recorded, and no other take opened (one that
    cannot be read is passed over, as the model passes it over)."""
    read = takes.read(root, of={Command.START})
    found: dict[str, list[Samples]] = {}
    for take in read.takes:
        found.setdefault(normalise(take.word), []).append(np.frombuffer(read.audio[take.path].pcm, "<i2"))
    return found


def start_gate(model: PersonalModel | None, root: Path | None = None,
               embedder: Embedder | None = None) -> PhraseGate | None:
    """The gate for the start phrases in the person's model, their takes read from the voice folder
    `root`; None when none is taught."""
    if model is None or not any(label.command is Command.START for label in model.labels):
        return None
    return PhraseGate(model, embedder, start_takes(root))
