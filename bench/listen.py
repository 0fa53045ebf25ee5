"""Listening, measured beside the stock SpeechRecognition way, in the same run.

    ./dev.sh bench listen [--speakers N] [--minutes M] [--real DIR]

crampvoice: `crampvoice recognize`'s path (webrtcvad endpointing, pocketsphinx grammar with a
phone loop). Baseline: what the SpeechRecognition documentation shows, `Recognizer.listen()`
(energy threshold, 0.8 s pause) then `recognize_sphinx(audio, keyword_entries=...)` with every
command phrase at sensitivity 0.5, the first keyword found taken as the command.

Real recordings: ../shared/speech-dev if it is there (or --real DIR with a manifest.csv of
file,kind,transcript,...,speaker). Synthetic: bench/corpus.py, cached under the user's cache
folder. Accuracy figures do not depend on the machine; times do (read the ratios).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402

from crampvoice.core.commands import PHRASES, Vocabulary  # noqa: E402
from crampvoice.listen.files import read_audio, speech_recognition  # noqa: E402
from crampvoice.listen.sphinx import SphinxRecognizer, Tuning  # noqa: E402
from crampvoice.listen.stream import recognize  # noqa: E402

REAL = ROOT.parent / "shared" / "speech-dev"
REAL_MAP = {"go": "next", "forward": "next", "backward": "back"}  # speech-dev's words in DESIGN.md's table
SENSITIVITY = 0.5
BY_PHRASE = {p: c.value for c, ps in PHRASES.items() for p in ps}
KEYWORDS = [(p, SENSITIVITY) for p in BY_PHRASE]


@dataclass(frozen=True, slots=True)
class Result:
    expected: str  # "" for no command
    got: str
    confidence: float
    words: int  # in what was said
    decided_ms: int | None
    speech_end_ms: int | None
    cpu_s: float


# -- the two recognisers, one clip at a time (in worker processes) ---------------------------

_recognizer: list[SphinxRecognizer] = []


Answer = tuple[str, float, int | None, float]  # command ("" for none), confidence, decided_ms, CPU s


DEFAULT = Tuning()


def ours(path: str, tuning: Tuning = DEFAULT) -> Answer:
    if not _recognizer or _recognizer[0].tuning != tuning:
        _recognizer[:] = [SphinxRecognizer(Vocabulary(), tuning)]
    started = time.process_time()
    decision = recognize(read_audio(Path(path)), _recognizer[0])
    command = decision.heard.command.value if decision and decision.heard.command else ""
    decided_ms = decision.decided_ms + round(1000 * _recognizer[0].last_decode_s) if decision else None
    confidence = decision.heard.confidence if decision else 0.0
    return command, confidence, decided_ms, time.process_time() - started


def stock(path: str) -> Answer:
    sr = speech_recognition()
    started = time.process_time()
    recognizer = sr.Recognizer()
    with sr.AudioFile(path) as source:
        try:
            audio = recognizer.listen(source, timeout=None, phrase_time_limit=5)
        except sr.WaitTimeoutError:
            return "", 0.0, None, time.process_time() - started
        decided_ms = round(1000 * source.audio_reader.tell() / source.SAMPLE_RATE)
    decoding = time.perf_counter()
    text = _keywords_heard(sr, recognizer, audio)
    decided_ms += round(1000 * (time.perf_counter() - decoding))
    found = sorted((text.find(p), p) for p in BY_PHRASE if p in text)
    return (BY_PHRASE[found[0][1]] if found else ""), 1.0, decided_ms, time.process_time() - started


def _keywords_heard(sr: Any, recognizer: Any, audio: Any) -> str:
    """The stock call: the keyword phrases found, or "" for none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(recognizer.recognize_sphinx(audio, keyword_entries=KEYWORDS))
    except (sr.UnknownValueError, IndexError):  # IndexError: pocketsphinx on an empty phrase
        return ""


def _run(job: tuple[str, str, Tuning]) -> Answer:
    which, path, tuning = job
    return ours(path, tuning) if which == "ours" else stock(path)


def evaluate(which: str, rows: Sequence[dict[str, str]], folder: Path, tuning: Tuning = DEFAULT,
             workers: int = 2) -> list[Result]:
    jobs = [(which, str(folder / r["file"]), tuning) for r in rows]
    with ProcessPoolExecutor(workers) as pool:
        answers = list(pool.map(_run, jobs, chunksize=8))
    return [Result(r.get("command", ""), got, confidence, len(r["transcript"].split()), decided,
                   int(r["speech_end_ms"]) if r.get("speech_end_ms") else None, cpu)
            for r, (got, confidence, decided, cpu) in zip(rows, answers, strict=True)]


# -- figures ----------------------------------------------------------------------------------

def accuracy(results: Sequence[Result]) -> str:
    commands = [r for r in results if r.expected]
    right = sum(r.got == r.expected for r in commands)
    return f"{right / len(commands):.1%} ({right}/{len(commands)})" if commands else "-"


def false_accepts(results: Sequence[Result]) -> str:
    others = [r for r in results if not r.expected]
    wrong = sum(bool(r.got) for r in others)
    return f"{wrong / len(others):.1%} ({wrong}/{len(others)})" if others else "-"


def one_word(results: Sequence[Result]) -> str:
    return accuracy([r for r in results if r.words == 1])


def longer(results: Sequence[Result]) -> str:
    return accuracy([r for r in results if r.words > 1])


def latency(results: Sequence[Result]) -> str:
    gaps = sorted(r.decided_ms - r.speech_end_ms for r in results
                  if r.got and r.got == r.expected and r.decided_ms is not None and r.speech_end_ms)
    if len(gaps) < 2:
        return "-"
    return f"p50 {statistics.median(gaps):.0f} / p95 {gaps[int(0.95 * (len(gaps) - 1))]:.0f} ms"


def real_rows(folder: Path) -> list[dict[str, str]]:
    rows = corpus.read_manifest(folder / "manifest.csv")
    for row in rows:
        word = row["transcript"]
        row["command"] = REAL_MAP.get(word, word) if row["kind"] == "command" else ""
    return rows


def split_by_speaker(rows: Sequence[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Two halves with no speaker in both (alternate speakers, in sorted order)."""
    speakers = sorted({r["speaker"] for r in rows})
    first = set(speakers[::2])
    return [r for r in rows if r["speaker"] in first], [r for r in rows if r["speaker"] not in first]


def synthetic(speakers: int, minutes: float) -> Path:
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("crampvoice")) / f"corpus-v2-{speakers}-{minutes:g}"
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        print(f"building the synthetic corpus in {folder} (once; cached) ...", file=sys.stderr)
        corpus.build(folder, speakers, minutes)
    return manifest


# -- live: CPU while listening, on the virtual microphone ----------------------------------------

def cpu_while_listening(long: Path, seconds: float = 20.0) -> tuple[str, str]:
    """Share of one core used by each way of listening, while `long` (non-command talk over
    noise) plays into PulseAudio's virtual microphone."""
    from tests import pulse

    if not pulse.available():
        return "-", "-"
    figures = []
    with pulse.pulse_server() as env:
        for which in ("ours", "stock"):
            child = subprocess.Popen([sys.executable, __file__, "--listen-live", which, str(seconds)], env=env,
                                     stdout=subprocess.PIPE, text=True)
            player = subprocess.Popen(["paplay", "--device=micfeed", str(long)], env=env)
            out, _ = child.communicate(timeout=seconds + 60)
            player.kill()
            player.wait()
            figures.append(out.strip().splitlines()[-1] if out.strip() else "-")
    return figures[0], figures[1]


def _listen_live(which: str, seconds: float) -> None:
    """In a child process: listen for `seconds`, print the share of a core used."""
    ended = time.monotonic() + seconds
    if which == "ours":
        from crampvoice.listen.mic import MicrophoneSource

        source = MicrophoneSource(SphinxRecognizer(Vocabulary()), lambda: 0.0)
        heard: list[object] = []
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        source.start(heard.append)
        time.sleep(seconds)
        source.close()
    else:
        sr = speech_recognition()
        recognizer = sr.Recognizer()
        with sr.Microphone(sample_rate=16000) as mic:
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.monotonic()
            while time.monotonic() < ended:
                try:
                    audio = recognizer.listen(mic, timeout=1, phrase_time_limit=5)
                except sr.WaitTimeoutError:
                    continue
                _keywords_heard(sr, recognizer, audio)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{100 * cpu / (time.monotonic() - started):.1f} % of a core")


# -- the table ---------------------------------------------------------------------------------

def table(rows: Sequence[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'crampvoice':<{w2}}  stock listen() + recognize_sphinx(keyword_entries)")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:<{w2}}  {b}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", type=int, default=6, help="synthetic speakers, spread over all (default 6)")
    parser.add_argument("--minutes", type=float, default=5.0, help="of long non-command audio (default 5)")
    parser.add_argument("--real", type=Path, default=REAL, help="a folder of real recordings with a manifest.csv")
    parser.add_argument("--listen-live", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.listen_live:
        _listen_live(args.listen_live[0], float(args.listen_live[1]))
        return 0

    lines: list[tuple[str, str, str]] = []

    def both(name: str, rows: Sequence[dict[str, str]], folder: Path,
             *figures: tuple[str, Callable[[Sequence[Result]], str]]) -> None:
        mine, theirs = evaluate("ours", rows, folder), evaluate("stock", rows, folder)
        for label, figure in figures:
            lines.append((f"{name}: {label}", figure(mine), figure(theirs)))
        lines.append((f"{name}: CPU s per clip (mean)", f"{statistics.mean(r.cpu_s for r in mine):.3f}",
                      f"{statistics.mean(r.cpu_s for r in theirs):.3f}"))

    if (args.real / "manifest.csv").exists():
        real = real_rows(args.real)
        both("real recordings", real, args.real, ("commands right", accuracy),
             ("false accepts on other words and noise", false_accepts))
        for i, half in enumerate(split_by_speaker(real)):
            both(f"real, speaker half {'AB'[i]}", half, args.real, ("commands right", accuracy),
                 ("false accepts", false_accepts))
    manifest = synthetic(args.speakers, args.minutes)
    rows = corpus.read_manifest(manifest)
    for snr in ("", "20", "10", "5"):
        subset = [r for r in rows if r["kind"] != "long" and r["snr_db"] == snr]
        both(f"synthetic {'clean' if not snr else snr + ' dB'}", subset, manifest.parent,
             ("commands right", accuracy), ("  one-word phrases right", one_word),
             ("  longer phrases right", longer), ("false accepts on other words", false_accepts),
             ("decided after end of speech (incl. decoding)", latency))
    long = [r for r in rows if r["kind"] == "long"]
    for row in long:
        minutes = corpus.load(manifest, row).duration_s / 60
        mine = _long_false_accepts("ours", manifest.parent / row["file"])
        theirs = _long_false_accepts("stock", manifest.parent / row["file"])
        lines.append((f"false accepts in {minutes:.1f} min of non-command talk (per hour)",
                      f"{mine} ({mine * 60 / minutes:.0f}/h)", f"{theirs} ({theirs * 60 / minutes:.0f}/h)"))
    if long:
        lines.append(("CPU while listening (live, virtual microphone)",
                      *cpu_while_listening(manifest.parent / long[0]["file"])))
    print()
    table(lines)
    return 0


def _long_false_accepts(which: str, path: Path) -> int:
    """Commands acted on in a long non-command recording, fed as the microphone would feed it."""
    if which == "ours":
        from crampvoice.listen.endpoint import Endpointer, webrtc_vad
        from crampvoice.listen.stream import Listener, frames

        listener = Listener(SphinxRecognizer(Vocabulary()), Endpointer(webrtc_vad()))
        return sum(1 for f in frames(read_audio(path))
                   if (d := listener.push(f)) is not None and d.heard.command is not None)
    sr = speech_recognition()
    recognizer = sr.Recognizer()
    count = 0
    with sr.AudioFile(str(path)) as source:
        while source.audio_reader.tell() < source.FRAME_COUNT:
            try:
                audio = recognizer.listen(source, timeout=2, phrase_time_limit=5)
            except sr.WaitTimeoutError:
                continue
            if len(audio.frame_data) == 0:
                break
            count += bool(_keywords_heard(sr, recognizer, audio).strip())
    return count


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    sys.exit(main())
