"""The synthetic corpus the recogniser is tested and measured on, made with espeak-ng.

Every command phrase and 70 other words and short phrases (near-misses among them), spoken
by every English espeak-ng voice and every voice variant, at three rates and three pitches;
each clip clean and mixed with white, pink, babble and hum noise at 20, 10 and 5 dB SNR; and
long stretches of non-command speech over noise. Deterministic: the same arguments write the
same files.

    python bench/corpus.py OUT [--speakers N] [--minutes M]

writes OUT/manifest.csv (file, kind, transcript, command, speaker, noise, snr_db, speech_end_ms)
and the WAVs (16 kHz mono). The benchmark caches it; tests/data/corpus is a small sample of it.
"""

from __future__ import annotations

import argparse
import array
import csv
import functools
import math
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crampvoice.audio import Audio, from_samples, read_wav, write_wav  # noqa: E402
from crampvoice.core.commands import PHRASES  # noqa: E402

RATE_HZ = 16000
VOICES = ("en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
RATES_WPM = (140, 175, 210)
PITCHES = (35, 50, 65)
NOISES = ("white", "pink", "babble", "hum")
SNRS_DB = (20, 10, 5)
LEAD_S, TAIL_S = 0.4, 0.8  # noise before and after the words, so the endpointer hears them end

NON_COMMANDS = (
    # near-misses of the command words
    # (not homophones: "weight" is "wait", "paws" is "pause", "know" is "no" to any ear)
    "text", "neck", "nest", "stuff", "top", "shop", "pass", "peat", "pete", "beat", "bag", "pack", "black",
    "wake", "west", "nice", "rest", "stock", "quick", "hell", "helm", "yet", "yellow", "snow", "slow",
    "fast", "loud", "quiet", "timer", "tide", "reveal", "goat", "sleep", "pose", "peas", "tap",
    # numbers, directions, little words
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "left", "right", "up", "down", "on", "off", "in", "out", "the", "and", "oh", "hmm", "okay",
    # short phrases someone in pain, or a television, might say
    "ouch", "that hurts", "I am in pain", "my leg", "hold on", "oh no", "good night", "thank you",
    "turn it off", "what time is it", "the weather tonight", "breaking news", "call my daughter",
)

BABBLE_TEXT = (
    "The weather tonight will be cold with some rain in the north.",
    "Our top story this evening is about the new bridge across the river.",
    "She said she would call back after the match had finished.",
    "Add two cups of flour and stir until the mixture is smooth.",
)


@dataclass(frozen=True, slots=True)
class Speaker:
    voice: str
    variant: str
    rate_wpm: int
    pitch: int

    @property
    def name(self) -> str:
        return f"{self.voice}+{self.variant or 'default'}@{self.rate_wpm}p{self.pitch}"

    @property
    def espeak_voice(self) -> str:
        return f"{self.voice}+{self.variant}" if self.variant else self.voice


@functools.cache
def variants() -> tuple[str, ...]:
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True).stdout
    return tuple(line.split()[4].removeprefix("!v/") for line in out.splitlines()[1:] if line.strip())


def speakers(n: int | None = None) -> list[Speaker]:
    """Every voice plain, then every variant (on the voices in turn); with `n`, that many spread
    evenly over the list. Rates and pitches cycle over whichever are chosen."""
    every = [("", v) for v in VOICES] + [(variant, VOICES[i % len(VOICES)]) for i, variant in enumerate(variants())]
    if n is not None and n < len(every):
        every = [every[round(i * len(every) / n)] for i in range(n)]
    return [Speaker(voice, variant, RATES_WPM[i % 3], PITCHES[(i // 3) % 3])
            for i, (variant, voice) in enumerate(every)]


def command_of(phrase: str) -> str:
    return next((c.value for c, ps in PHRASES.items() if phrase in ps), "")


def say(text: str, speaker: Speaker) -> Audio:
    """espeak-ng's speech, resampled to 16 kHz by sox (band-limited, as a sound card's would be)."""
    espeak = subprocess.run(["espeak-ng", "-v", speaker.espeak_voice, "-s", str(speaker.rate_wpm),
                             "-p", str(speaker.pitch), "--stdout", text], capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE_HZ), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-L", "-"], input=espeak, capture_output=True, check=True).stdout
    return _trimmed(Audio(raw, RATE_HZ))


def _trimmed(audio: Audio, threshold: int = 100) -> Audio:
    s = audio.samples()
    loud = [i for i, x in enumerate(s) if abs(x) > threshold]
    return from_samples(s[loud[0]:loud[-1] + 1], RATE_HZ) if loud else audio


def noise(kind: str, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    if kind == "white":
        return [rng.gauss(0, 1) for _ in range(n)]
    if kind == "pink":  # Paul Kellet's economical filter on white noise
        b0 = b1 = b2 = 0.0
        out = []
        for _ in range(n):
            w = rng.gauss(0, 1)
            b0, b1, b2 = 0.99765 * b0 + w * 0.0990460, 0.96300 * b1 + w * 0.2965164, 0.57000 * b2 + w * 1.0526913
            out.append(b0 + b1 + b2 + w * 0.1848)
        return out
    if kind == "hum":  # mains hum with harmonics
        phase = rng.random() * 2 * math.pi
        return [sum(a * math.sin(2 * math.pi * f * i / RATE_HZ + phase) for f, a in ((50, 1.0), (100, 0.5), (150, 0.3)))
                for i in range(n)]
    if kind == "babble":
        loop = _babble()
        start = rng.randrange(len(loop))
        return [loop[(start + i) % len(loop)] for i in range(n)]
    raise ValueError(kind)


@functools.cache
def _babble() -> tuple[float, ...]:
    """Four synthetic voices talking at once."""
    tracks = [say(text, Speaker(voice, "", 175, 50)).samples()
              for text, voice in zip(BABBLE_TEXT, ("en-us", "en", "en-gb-x-rp", "en-029"), strict=True)]
    n = min(len(t) for t in tracks)
    return tuple(sum(t[i] for t in tracks) / len(tracks) for i in range(n))


def _power(values: Sequence[float]) -> float:
    return sum(v * v for v in values) / max(1, len(values))


def mix(speech: Audio, kind: str | None, snr_db: float | None, seed: int) -> tuple[Audio, int]:
    """Speech with LEAD_S before and TAIL_S after, over noise at `snr_db` (clean if None);
    and where the speech ends, in ms."""
    lead, tail = round(LEAD_S * RATE_HZ), round(TAIL_S * RATE_HZ)
    voice = [0.0] * lead + [float(x) for x in speech.samples()] + [0.0] * tail
    end_ms = round(1000 * (lead + speech.frames) / RATE_HZ)
    if kind is None or snr_db is None:
        noisy = voice
    else:
        sound = noise(kind, len(voice), seed)
        scale = math.sqrt(_power(voice[lead:lead + speech.frames]) / (_power(sound) * 10 ** (snr_db / 10)))
        noisy = [v + scale * n for v, n in zip(voice, sound, strict=True)]
    peak = max(1.0, *(abs(v) for v in noisy))
    gain = min(1.0, 30000 / peak)
    return from_samples(array.array("h", (round(v * gain) for v in noisy)), RATE_HZ), end_ms


@dataclass(frozen=True, slots=True)
class Clip:
    file: str
    kind: str  # command | speech | long
    transcript: str
    command: str
    speaker: str
    noise: str
    snr_db: str
    speech_end_ms: int


def clips(out: Path, n_speakers: int | None) -> Iterator[Clip]:
    phrases = [p for ps in PHRASES.values() for p in ps] + list(NON_COMMANDS)
    for s_index, speaker in enumerate(speakers(n_speakers)):
        for p_index, phrase in enumerate(phrases):
            speech = say(phrase, speaker)
            kind = "command" if command_of(phrase) else "speech"
            for noise_kind, snr in [(None, None)] + [(NOISES[(s_index + p_index) % 4], s) for s in SNRS_DB]:
                name = f"{speaker.name}_{phrase.replace(' ', '-')}_{noise_kind or 'clean'}{snr or ''}.wav"
                audio, end_ms = mix(speech, noise_kind, snr, seed=hash((s_index, p_index, snr)) & 0xFFFF)
                write_wav(out / name, audio)
                yield Clip(name, kind, phrase, command_of(phrase), speaker.name, noise_kind or "clean",
                           str(snr or ""), end_ms)


def long_stretch(out: Path, minutes: float, seed: int = 7) -> Clip:
    """Minutes of non-command talk (the bundled scripts' instructions and TV-like sentences,
    which say "next", "stop" and "repeat" in passing) by many voices, pauses between, over
    quiet noise of every kind."""
    rng = random.Random(seed)
    texts = list(BABBLE_TEXT) + _script_sentences()
    voices = speakers()
    pieces: list[float] = []
    while len(pieces) < minutes * 60 * RATE_HZ:
        speech = say(rng.choice(texts), rng.choice(voices))
        pieces += [float(x) for x in speech.samples()] + [0.0] * round(rng.uniform(0.3, 1.5) * RATE_HZ)
    background = noise(rng.choice(NOISES), len(pieces), seed)
    scale = math.sqrt(_power(pieces) / (_power(background) * 10 ** (15 / 10)))
    mixed = array.array("h", (max(-32768, min(32767, round(v + scale * n))) for v, n in zip(pieces, background,
                                                                                          strict=True)))
    name = f"long-{minutes:g}min.wav"
    write_wav(out / name, from_samples(mixed, RATE_HZ))
    return Clip(name, "long", "", "", "many", "mixed", "15", 0)


def _script_sentences() -> list[str]:
    from crampvoice import library
    from crampvoice.core.events import Say
    from crampvoice.core.timeline import simulate

    said = {m.effect.text for e in library.entries() for m in simulate(library.load(e.path))
            if isinstance(m.effect, Say)}
    return sorted(said)


SAMPLE_PHRASES = ("next", "next step", "go back", "repeat", "say that again", "pause please", "stop", "carry on",
                  "text", "neck", "stuff", "top", "pass", "I am in pain", "the weather tonight", "hold on")


def sample(out: Path) -> Path:
    """The small fixed sample the tests use: one American voice, clean and at 10 dB babble."""
    out.mkdir(parents=True, exist_ok=True)
    speaker = Speaker("en-us", "", 175, 50)
    rows = []
    for i, phrase in enumerate(SAMPLE_PHRASES):
        speech = say(phrase, speaker)
        for kind, snr in ((None, None), ("babble", 10)):
            name = f"{phrase.replace(' ', '-')}_{kind or 'clean'}{snr or ''}.wav"
            audio, end_ms = mix(speech, kind, snr, seed=i)
            write_wav(out / name, audio)
            rows.append(Clip(name, "command" if command_of(phrase) else "speech", phrase, command_of(phrase),
                             speaker.name, kind or "clean", str(snr or ""), end_ms))
    return _write_manifest(out, rows)


def build(out: Path, n_speakers: int | None, minutes: float) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rows = list(clips(out, n_speakers))
    if minutes > 0:
        rows.append(long_stretch(out, minutes))
    return _write_manifest(out, rows)


def _write_manifest(out: Path, rows: Sequence[Clip]) -> Path:
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(Clip.__slots__)
        writer.writerows([getattr(row, k) for k in Clip.__slots__] for row in rows)
    return manifest


def read_manifest(manifest: Path) -> list[dict[str, str]]:
    with open(manifest, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(manifest: Path, row: dict[str, str]) -> Audio:
    return read_wav(manifest.parent / row["file"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--speakers", type=int, help="this many speakers, spread over all (default: all)")
    parser.add_argument("--minutes", type=float, default=5.0, help="of long non-command audio")
    parser.add_argument("--sample", action="store_true", help="write the tests' small fixed sample instead")
    args = parser.parse_args(argv)
    manifest = sample(args.out) if args.sample else build(args.out, args.speakers, args.minutes)
    print(f"wrote {manifest} ({len(read_manifest(manifest))} clips)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
