"""The phrase gate alone, in noise: as built, and against its takes with the room's own noise in them.

    ./dev.sh bench gate [--seeds N] [--data DIR] [--speech DIR]

Standby hears the room before anyone speaks, and its phrase gate (listen/phrasegate.py) puts a
phrase its takes turn away to the takes once more with the room's noise mixed in. This measures
that on the gate alone. The people, phrases, takes, positives and the hard negatives are those
`bench standby` draws (`standby.draw`), and so are the noise file and stretch over each phrase;
here the noise is over the phrase only, and each whole clip is put to the gate (no stream, no
model proposing). "The room" is 1.5 s of the same noise file at the same gain as over the phrase,
from a stretch that does not overlap it. The hard negatives are put to the gate clean, and with
a speech-dev noise over them at 10 dB.

Ways, by the ratio of the phrase's distance to its threshold (< 1 passes):
  takes as learnt        the gate without the room (`PhraseGate.distance(phrase, samples)`)
  + takes in the room    the gate as standby runs it, the room given (built)
  + threshold again      as above, its threshold learnt again from the takes in the room's noise
                         as PhraseGate learns its own (their halves joined to the shipped bank's
                         words): not built, measured beside it

Not held out: the gate's one number was chosen on these three speakers. Identical runs differ by
up to 6 points: the embedding pads each clip with random noise, which flips decisions near the
threshold.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from personal import SPEAKERS, speech_dev  # noqa: E402
from standby import SNRS, draw  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import normalise  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.personal import Samples, _dtw, _pack, _unit, negatives  # noqa: E402
from crampvoice.listen.phrasegate import NEGATIVES_PER_TAKE, SPLICED_QUANTILE, PhraseGate  # noqa: E402

RATE_HZ = 16000
ROOM_S = 1.5  # the room's noise heard before the phrase
HARD_SNR_DB = 10.0
WAYS = ("takes as learnt", "+ takes in the room (standby)", "+ threshold again")
Sound = npt.NDArray[np.float64]  # samples, as 16-bit values
COLUMNS = (*(f"{s} dB" if s else "clean" for s in SNRS), "hard negatives, clean", f"hard negatives, {HARD_SNR_DB:g} dB")


def in_noise(audio: Audio, noise: Audio, snr_db: float, rng: np.random.Generator,
             aside: np.random.Generator) -> tuple[Sound, Sound]:
    """`personal.noisy(audio, noise, snr_db, rng)`, the very same draws and samples, and the noise
    the room had before it: ROOM_S of the same file at the same gain, another stretch (`aside`)."""
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    n = np.frombuffer(noise.pcm, "<i2").astype(np.float64)
    start = int(rng.integers(0, max(1, len(n) - len(x))))
    over = np.resize(n[start:], len(x))
    gain = np.sqrt(np.mean(x**2) / (np.mean(over**2) + 1e-9)) / 10 ** (snr_db / 20)
    mixed = np.clip(x + gain * over, -32768, 32767)
    room = int(ROOM_S * RATE_HZ)
    apart = [s for s in range(0, max(1, len(n) - room), RATE_HZ // 10) if s + room <= start or s >= start + len(x)]
    at = int(aside.choice(apart)) if apart else int(aside.integers(0, max(1, len(n) - room)))
    return mixed.astype("<i2").astype(np.float64), gain * np.resize(n[at:], room)


class Gate:
    """The phrase gate three ways: as learnt, in the room, and in the room with its threshold learnt again."""

    def __init__(self, gate: PhraseGate, phrase: str, cpu_s: list[tuple[float, float, float]]) -> None:
        self.gate, self.phrase = gate, phrase
        self.cpu_s = cpu_s  # each way's CPU on a decision in noise
        self.bank = [_unit(e, gate._centre) for e in negatives()[0] if len(e) >= 4]

    def ratios(self, samples: Sound, room: Sound | None) -> tuple[float, float, float]:
        heard = np.clip(samples, -32768, 32767).astype(np.int16)
        began = time.process_time()
        as_built = self.gate.distance(self.phrase, heard)
        if room is None:
            return (as_built,) * 3
        built_s = time.process_time() - began
        began = time.process_time()
        in_the_room = self.gate.distance(self.phrase, heard, room.astype(np.int16))
        room_s = time.process_time() - began
        began = time.process_time()
        again = self._threshold_again(heard, room.astype(np.int16), in_the_room)
        self.cpu_s.append((built_s, room_s, room_s + time.process_time() - began))
        return as_built, in_the_room, again

    def _threshold_again(self, heard: Samples, room: Samples, in_the_room: float) -> float:
        """The ratio in the room, to a threshold learnt as PhraseGate learns its own but from the takes
        in the room's noise (their halves joined to the shipped bank's words), against those takes
        and the gate's own."""
        key, gate = normalise(self.phrase), self.gate
        if (in_room := gate.heard_in_the_room(heard, room)) is None:
            return in_the_room
        heard, voice_power = in_room
        noisy_takes = gate._in_the_room(key, voice_power, room)
        unit = _unit(gate._embedder.embed(heard), gate._centre)
        if not noisy_takes or not len(unit):
            return in_the_room
        both = _pack(noisy_takes + [r[:n] for r, n in zip(*gate._takes[key], strict=True)])
        nearest = float(_dtw(unit[None], np.array([len(unit)]), *both).min())
        rng = np.random.default_rng(0)
        spliced = []
        for take in noisy_takes:
            h = len(take) // 2
            for k in rng.choice(len(self.bank), NEGATIVES_PER_TAKE, replace=False):
                other = self.bank[k]
                m = len(other) // 2
                spliced += [np.concatenate([take[:h], other[m:]]), np.concatenate([other[:m], take[h:]]),
                            take[:h], take[h:]]
        spliced.sort(key=len)  # warped in batches of like lengths, through little padding
        distances = np.concatenate([_dtw(*_pack(spliced[i:i + 64]), *both).min(1) for i in range(0, len(spliced), 64)])
        return nearest / float(np.quantile(distances, SPLICED_QUANTILE))


def measure(data: Path, speaker: str, seed: int, *, talk: list[Audio], noises: list[Audio], embedder: Embedder,
            cpu_s: list[tuple[float, float, float]]) -> dict[str, list[tuple[float, float, float]]]:
    """`bench standby`'s draws for this person and seed, in its order; each column's ratios (each
    way's CPU on a decision in noise added to `cpu_s`)."""
    person = draw(data, speaker, seed, talk=talk, noises=noises, embedder=embedder)
    gate, rng = Gate(person.gate, person.phrase, cpu_s), person.rng
    hard = [x for source, x in person.pieces if source == "hard negatives"]
    aside = np.random.default_rng([seed, SPEAKERS.index(speaker), 7])
    out: dict[str, list[tuple[float, float, float]]] = {c: [] for c in COLUMNS}
    for snr, column in zip(SNRS, COLUMNS, strict=False):
        for p in person.positives:
            if snr is None:
                out[column].append(gate.ratios(np.frombuffer(p.pcm, "<i2").astype(np.float64), None))
            else:
                out[column].append(gate.ratios(*in_noise(p, noises[int(rng.integers(len(noises)))], snr, rng, aside)))
    over = np.random.default_rng([seed, SPEAKERS.index(speaker), 11])
    for h in hard:
        out[COLUMNS[-2]].append(gate.ratios(np.frombuffer(h.pcm, "<i2").astype(np.float64), None))
        out[COLUMNS[-1]].append(gate.ratios(*in_noise(h, noises[int(over.integers(len(noises)))], HARD_SNR_DB,
                                                      over, aside)))
    return out


def table(found: dict[str, list[tuple[float, float, float]]], cpu_s: list[tuple[float, float, float]]) -> None:
    print("| the gate | " + " | ".join(f"{c} (of {len(found[c])})" for c in COLUMNS) +
          " | CPU a decision in noise, p50 / p95 |")
    print("|---|" + "---|" * (len(COLUMNS) + 1))
    for i, way in enumerate(WAYS):
        shares = (f"{100 * np.mean([r[i] < 1.0 for r in found[c]]):.1f} %" for c in COLUMNS)
        ms = 1000 * np.array([c[i] for c in cpu_s])
        print(f"| {way} | " + " | ".join(shares) + f" | {np.median(ms):.0f} / {np.percentile(ms, 95):.0f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    args = parser.parse_args()
    if not args.data.is_dir() or not args.speech.is_dir():
        sys.exit(f"needs personal-dev at {args.data} and speech-dev at {args.speech} (give --data and --speech)")
    others = speech_dev(args.speech)
    noises = [x for kind, _, x in others if kind == "noise"]
    talk = [x for kind, _, x in others if kind != "noise"]
    embedder = Embedder()
    found: dict[str, list[tuple[float, float, float]]] = {c: [] for c in COLUMNS}
    cpu_s: list[tuple[float, float, float]] = []
    for seed in range(args.seeds):
        for speaker in SPEAKERS:
            for column, ratios in measure(args.data, speaker, seed, talk=talk, noises=noises,
                                              embedder=embedder, cpu_s=cpu_s).items():
                found[column] += ratios
            print(f"{speaker}, seed {seed}: done", file=sys.stderr, flush=True)
    table(found, cpu_s)


if __name__ == "__main__":
    main()
