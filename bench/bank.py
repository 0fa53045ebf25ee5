"""Makes the negatives the personal recogniser learns against: src/crampvoice/listen/negatives.npz.

    ./dev.sh bank

espeak-ng says 194 everyday words (command words among them: the recogniser drops the ones a
person uses for their commands) six times each, in a voice, variant, pace, pitch and level
drawn at random, and 60 seconds of generated noise (white, pink and brown, some with a
knock). Half the takes of each word, and half the noises, are cut off above 3 to 6 kHz, as a
phone or a cheap microphone hears: with full-band negatives only, the head could tell a
negative by its bandwidth rather than its word, and took more of a person's own untaught
words, said on a narrow-band microphone, for commands. Each becomes its sequence of frozen
embeddings (crampvoice.listen.embedding) of its voice as the recogniser cuts it
(`personal.spoken_span`), stored as float16. The same seed gives the same
file; it takes a few minutes on two cores.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crampvoice.audio import read_wav, to_mono_16k  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.personal import spoken_span  # noqa: E402

OUT = ROOT / "src" / "crampvoice" / "listen" / "negatives.npz"
WORDS = """yes no okay hello hi hey thanks thank please sorry water coffee tea milk bread food dinner lunch breakfast
door window light lamp chair table bed sofa kitchen bathroom phone music radio television book paper pen cup
plate spoon fork knife good bad fine great help nurse doctor mum dad mother father brother sister baby dog cat
bird car bus train walk run sit stand sleep wake eat drink read write open close turn left right up down on
off in out over under here there where what when why who how which this that these those today tomorrow
yesterday morning evening night time clock hour minute week month year red blue green yellow black white big
small hot cold warm cool happy sad tired hungry thirsty pain hurt itch blanket pillow shoes socks shirt coat
hat glasses remote volume louder quieter channel stop go next back pause play forward backward again more less
finish start wait maybe later now soon never always alright really well see look listen hear call come bring
take give want need like love hate know think mean about around because before after between garden shopping
weather rain sun""".split()  # noqa: SIM905 - a paragraph of words reads better than a list
# No numbers: the personal recogniser is measured on people saying digits (bench/personal.py).
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
VARIANTS = ["", "+m1", "+m3", "+m5", "+f1", "+f2", "+f3", "+f4", "+klatt", "+croak", "+whisper"]
TAKES = 6  # the last half of them narrow-band
NOISES = 60  # every second one narrow-band


def spoken(word: str, rng: np.random.Generator, folder: Path) -> np.ndarray:
    voice = VOICES[rng.integers(len(VOICES))] + VARIANTS[rng.integers(len(VARIANTS))]
    path = folder / "word.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rng.integers(120, 200)), "-p", str(rng.integers(25, 75)),
                    "-w", str(path), word], check=True)
    samples = np.frombuffer(to_mono_16k(read_wav(path)).pcm, dtype="<i2").astype(np.float64)
    return np.clip(samples * 10 ** (rng.uniform(-12, 0) / 20), -32768, 32767).astype(np.int16)


def noise(i: int, rng: np.random.Generator) -> np.ndarray:
    n = 16000
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.arange(len(spectrum)), 1)
    x = np.fft.irfft(spectrum / f ** (0.5 * (i % 3)), n)
    x *= 10 ** rng.uniform(1.5, 3.5) / (x.std() + 1e-9)
    if i % 2:
        start = int(rng.integers(0, n - 3000))
        x[start:start + 3000] *= 6  # a knock
    return np.clip(x, -32768, 32767).astype(np.int16)


def narrow(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Cut off above `cutoff_hz` (a steep Butterworth-like roll-off, applied in the Fourier domain)."""
    spectrum = np.fft.rfft(x.astype(np.float64))
    spectrum /= 1 + (np.fft.rfftfreq(len(x), 1 / 16000) / cutoff_hz) ** 16
    return np.clip(np.fft.irfft(spectrum, len(x)), -32768, 32767).astype(np.int16)


def make(cut: Callable[[np.ndarray], np.ndarray] = spoken_span) -> tuple[list[np.ndarray], list[str]]:
    """The bank: each take's and noise's embedding sequence, and its word ("" for noise), `cut`
    first. The personal model's bank is cut to the voice; the verifier, which hears utterances
    whole, learns from the same bank uncut (bench/verifier.py)."""
    rng = np.random.default_rng(7)
    embedder = Embedder()
    words = list(dict.fromkeys(WORDS))
    sequences, labels = [], []
    with tempfile.TemporaryDirectory() as folder:
        for word in words:
            for j in range(TAKES):
                x = spoken(word, rng, Path(folder))
                if j >= TAKES // 2:  # phone-like (3 to 4 kHz) for all but the last, which is 4 to 6 kHz
                    x = narrow(x, rng.uniform(3000, 4000) if j < TAKES - 1 else rng.uniform(4000, 6000))
                sequences.append(embedder.embed(cut(x)))
                labels.append(word)
    for i in range(NOISES):
        x = noise(i, rng)
        if i % 2:
            x = narrow(x, rng.uniform(3000, 6000))
        sequences.append(embedder.embed(cut(x)))
        labels.append("")
    return sequences, labels


def main() -> None:
    sequences, labels = make()
    np.savez_compressed(OUT, vectors=np.concatenate(sequences).astype(np.float16),
                        lengths=np.array([len(s) for s in sequences]), words=np.array(labels))
    print(f"{OUT.relative_to(ROOT)}: {len(sequences)} sequences ({len(set(labels)) - 1} words x {TAKES}, "
          f"{NOISES} noises), {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
