"""How soon a command is acted on after the person stops speaking, as `run` hears, beside the
stock SpeechRecognition way, with how many are heard right and how many taken wrongly.

    ./dev.sh bench decide [--speakers N] [--takes N]

- Out of the box: the synthetic corpus's clean clips (bench/corpus.py, N espeak-ng speakers;
  where each clip's speech ends is known exactly), heard by pocketsphinx checked by the
  verifier: its commands, and its other words and phrases for false accepts.
- The person's own voice: personal-dev's three people (when it is beside the project), seven
  digits taught as seven commands from 3 takes each, and N other takes of each heard as `run`
  hears (the person's model, pocketsphinx the rest); false accepts on N takes of each of
  their three untaught digits. Where a take's speech ends is estimated from its loudness:
  the last 10 ms within 35 dB of its loudest and 6 dB over its quietest tenth.

Each clip goes frame by frame through the microphone's path (`listen.stream.Listener`); the
time to a decision is where in the audio it was decided, less where speech ended, plus the
compute of the frame that decided. Right: the command said was the one acted on; false: a
command acted on where none was said.

On 2026-12-02 (two shared cores): out of the box, 6 speakers, 43.6 % of 204 commands right,
7.6 % of 432 other words taken, decided p50 391 / p95 450 ms after speech ended (the stock
way: 2.9 %, 99.8 %, p50 1071 / p95 1089 ms); the person's own voice, 95.7 % of 210 right,
7.8 % of 90 untaught digits taken (pocketsphinx, checked by the verifier, heard jackson's
"nine" as "no", and the person's model took his "nine" for his "one"), p50 385 / p95
466 ms. Of that, 260 ms is the quiet that ends an utterance, 60 to 100 ms the voice-activity
detector's own hangover after the voice stops, and the rest compute (p50 15 ms for the
person's model; 85 ms for pocketsphinx and the verifier).

On 2026-12-03, after the person's voice came to end an utterance as soon as the room is quiet
again (endpoint.py, `Voice.FAINT`), not when webrtcvad stops saying "voice": the person's own
voice 99.5 % (209/210) right, 6.7 % (6/90) untaught digits taken, p50 322 / p95 385 ms (the
code before, the same day: 97.1 %, 7.8 %, p50 385 / p95 464 ms). Out of the box, which ends
utterances as before: 43.6 %, 7.4 %, p50 387 / p95 448 ms. With faint frames ending them out of
the box too it was p50 319 / p95 358 ms, 43.6 % and 8.1 %; bench verify chose against it.
Ending at 200 ms with no voice instead of 250 gave p95 323 ms for the person's voice and 290
out of the box, but took noise for the person's words (bench personal: 5.1 % of noises).
Later that day, with each take learnt three times in noise over it: 99.5 %, 5.6 % (5/90), p50
319 / p95 382 ms; out of the box, unchanged code, 43.6 %, 7.4 %, p50 377 / p95 434 ms. On
2026-12-04, with pocketsphinx's second opinion on a word just outside its gate: 99.5 %, 5.6 %,
p50 319 / p95 381 ms; out of the box, 43.6 %, 7.4 %, p50 376 / p95 432 ms.

Tried and not kept: deciding at a shorter pause (80 to 160 ms of quiet), unless the phrase
heard could go on into another command's ("go", "go back"). At 160 ms a command was acted
on 100 ms sooner (p95 367 ms for the person's voice, 386 ms out of the box), but the
utterance heard at the pause is shorter than the takes, which end 260 ms into their quiet:
`bench personal` fell from 96.0 % to 94.0 % right, and from 76.4 % to 67.9 % at 10 dB.
Hearing the whole utterance again at its end, where the pause had found no command, gave
96.8 % and 78.0 %, but took 3.2 % of the person's other words (2.1 % before), over the 2 %
limit: two chances to be heard are two chances to be wrong. Shorter pauses lost more
(90.5 % right at 80 ms, for p95 285 ms).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
from listen import stock, synthetic  # noqa: E402
from personal import COMMANDS, DIGITS, SPEAKERS, clip  # noqa: E402
from speech import ms  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.hearing import recognizer_for  # noqa: E402
from crampvoice.listen.recognizer import Recognizer  # noqa: E402
from crampvoice.listen.stream import Listener, frames_ending_quiet  # noqa: E402
from crampvoice.listen.verifier import VerifiedRecognizer  # noqa: E402

OURS, STOCK = "crampvoice, as `run` hears", "stock listen() + recognize_sphinx"
Outcome = tuple[bool, bool, float | None]  # a command was said; the command said was acted on
# (or, none said, none was); ms from the end of speech to the decision


def decide(recognizer: Recognizer, audio: Audio, expected: Command | None, end_ms: float) -> Outcome:
    """The first command acted on in `audio`, through the microphone's path."""
    listener = Listener(recognizer)
    for frame in frames_ending_quiet(audio):
        started = time.perf_counter()
        decision = listener.push(frame)
        if decision is not None and decision.heard.command is not None:
            took_ms = 1000 * (time.perf_counter() - started)
            return expected is not None, decision.heard.command is expected, decision.decided_ms + took_ms - end_ms
    return expected is not None, expected is None, None


def speech_end_ms(audio: Audio) -> float:
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    step = audio.sample_rate_hz // 100
    db = 10 * np.log10(np.array([np.mean(x[i:i + step] ** 2) for i in range(0, len(x) - step, step)]) + 1.0)
    loud = np.nonzero(db > max(db.max() - 35, np.quantile(db, 0.1) + 6))[0]
    return float(10 * (loud[-1] + 1))


def synthetic_outcomes(speakers: int) -> dict[str, list[Outcome]]:
    manifest = synthetic(speakers, 5.0)
    rows = [r for r in corpus.read_manifest(manifest) if r["kind"] in ("command", "speech") and not r["snr_db"]]
    recognizer = VerifiedRecognizer(Vocabulary())
    out: dict[str, list[Outcome]] = {OURS: [], STOCK: []}
    for row in rows:
        audio, end = corpus.load(manifest, row), float(row["speech_end_ms"])
        expected = Command(row["command"]) if row["command"] else None
        out[OURS].append(decide(recognizer, audio, expected, end))
        got, _, decided_ms, _ = stock(str(manifest.parent / row["file"]))
        out[STOCK].append((expected is not None, got == row["command"],
                           None if decided_ms is None or not got else decided_ms - end))
    return out


def personal_outcomes(data: Path, heard_takes: int) -> dict[str, list[Outcome]]:
    out: dict[str, list[Outcome]] = {OURS: []}
    for speaker in SPEAKERS:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            for digit, command in zip(range(len(COMMANDS)), COMMANDS, strict=True):
                for t in range(3):
                    take = takes.spoken_part(clip(data, digit, speaker, t))
                    if take is not None:
                        takes.add(take, command, DIGITS[digit], root)
            recognizer = recognizer_for(Vocabulary(), root)[0]
            for digit in range(len(DIGITS)):
                said = COMMANDS[digit] if digit < len(COMMANDS) else None
                for t in range(3, 3 + heard_takes):
                    audio = clip(data, digit, speaker, t)
                    out[OURS].append(decide(recognizer, audio, said, speech_end_ms(audio)))
    return out


def row(name: str, outcomes: list[Outcome]) -> str:
    said = [right for command, right, _ in outcomes if command]
    false = [not right for command, right, _ in outcomes if not command]
    after = [took / 1000 for command, right, took in outcomes if command and right and took is not None]
    timing = ms(after) if after else "-"
    return (f"| {name} | {100 * sum(said) / len(said):.1f} % ({sum(said)}/{len(said)}) | "
            f"{100 * sum(false) / len(false):.1f} % ({sum(false)}/{len(false)}) | {timing} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, default=6, help="synthetic speakers (default 6)")
    parser.add_argument("--takes", type=int, default=10, help="takes of each taught digit heard, a person")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    args = parser.parse_args()
    blocks: list[tuple[str, Callable[[], dict[str, list[Outcome]]]]] = [
        ("out of the box, synthetic clean clips", lambda: synthetic_outcomes(args.speakers))]
    if (args.data / "audio").is_dir():
        blocks.append(("the person's own voice, personal-dev", lambda: personal_outcomes(args.data, args.takes)))
    for title, measure in blocks:
        print(f"| {title}: decided | commands right | false accepts | after the end of speech (right ones) |")
        print("|---|---|---|---|")
        for way, outcomes in measure().items():
            print(row(way, outcomes))
        print()


if __name__ == "__main__":
    main()
