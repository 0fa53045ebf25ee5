"""The speech embedding's cost per utterance: on XNNPACK, as crampvoice runs it, beside the
TensorFlow Lite interpreter's plain kernels, which are what the wheel runs unless asked.

    ./dev.sh bench embed [--rounds N]

Every utterance is a real recording in tests/data (people's commands, other words and
phrases, and takes), cut as the microphone path cuts it; each is embedded both ways, one
after the other, N times over, so the two share the machine's load. Each utterance's pad
noise is the same for both, so the vectors can be compared: the largest difference is shown.
CPU is the process's own time for one utterance; the ratio is of the medians.

On 2026-12-02 (two cores shared with other jobs), 56 utterances, 3 rounds: plain p50 75 /
p95 161 ms, XNNPACK p50 28 / p95 59 ms, x0.37; largest difference 7e-05 (vectors run to 50).
The personal model embeds every utterance it hears, so this is most of its CPU while people talk.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from speech import ms  # noqa: E402

from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.files import read_audio  # noqa: E402


def cpu_s(embedder: Embedder, samples: np.ndarray) -> tuple[float, np.ndarray]:
    embedder._noise = np.random.default_rng(0)  # the same pad noise both ways
    started = time.process_time()
    vectors = embedder.embed(samples)
    return time.process_time() - started, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    utterances = []
    for path in sorted((ROOT / "tests" / "data").rglob("*.wav")):
        cut = takes.spoken_part(read_audio(path))  # as a take is cut
        if cut is not None:
            utterances.append(np.frombuffer(cut.pcm, dtype="<i2"))
    ways = {"plain kernels (the wheel as it comes)": Embedder(xnnpack=False), "XNNPACK (crampvoice)": Embedder()}
    times: dict[str, list[float]] = {way: [] for way in ways}
    largest = 0.0
    for _ in range(args.rounds):
        for samples in utterances:
            outputs = []
            for way, embedder in ways.items():
                seconds, vectors = cpu_s(embedder, samples)
                times[way].append(seconds)
                outputs.append(vectors)
            largest = max(largest, float(np.abs(outputs[0] - outputs[1]).max()))
    plain, fast = times.values()
    print(f"{len(utterances)} utterances, {args.rounds} rounds; CPU per utterance")
    for way, values in times.items():
        print(f"  {way:<40}{ms(values)}")
    print(f"  XNNPACK / plain, medians: x{statistics.median(fast) / statistics.median(plain):.2f}; "
          f"largest difference between their vectors: {largest:.0e}")


if __name__ == "__main__":
    main()
