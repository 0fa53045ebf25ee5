"""Benchmarks, each beside the baseline a person would otherwise have, measured in the same run.

    ./dev.sh bench            # about three minutes
    ./dev.sh bench --long     # adds the whole ten-minute calf routine on the real clock

Ratios matter more than absolute times: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import speech  # noqa: E402 - after the path is set

from crampvoice import library  # noqa: E402
from crampvoice.core.events import Log  # noqa: E402
from crampvoice.core.timeline import simulate  # noqa: E402

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
Row = tuple[str, str, str, str]

# A faster honest proxy for a long session: 24 holds of 1 to 4 s with rests, about a minute.
PROXY = """\
crampvoice: 1
title: Timing proxy
safety: [Get help if it lasts.]
steps:
""" + "".join(f"  - stretch: Hold number {i}.\n    hold: {1 + i % 4}\n    repeat: 2\n    rest: 1\n" for i in range(12))

# What a person might otherwise script: print, sleep for the hold, print.
NAIVE = """\
import json, sys, time
start = time.monotonic()
for hold in json.loads(sys.argv[1]):
    print(json.dumps({"t": time.monotonic() - start, "type": "hold_start"}), flush=True)
    time.sleep(hold)
    print(json.dumps({"t": time.monotonic() - start, "type": "hold_end"}), flush=True)
"""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def instruction_s(argv: list[str], runs: int = 7) -> list[float]:
    """Seconds from starting a process to the line after "Step 1 of ...": the first instruction."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) as proc:
            assert proc.stdout is not None
            while not proc.stdout.readline().startswith("Step 1 of"):
                pass
            proc.stdout.readline()
            times.append(time.perf_counter() - start)
            proc.kill()
    return times


def launch_rows() -> list[Row]:
    ours = instruction_s([*CRAMPVOICE, "run", "calf", "--text", "--keyboard", "--no-diary"])
    bare = instruction_s([sys.executable, "-c", "print('Step 1 of 6:'); print('Pull your toes up.')"])
    ratio = statistics.median(ours) / statistics.median(bare)
    return [("launch to first instruction printed (p50)", f"{statistics.median(ours) * 1000:.0f} ms",
             f"{statistics.median(bare) * 1000:.0f} ms (bare python printing it)", f"x{ratio:.1f}")]


def hold_errors(argv: list[str], expected: list[float]) -> tuple[list[float], list[float]]:
    """Per-hold error in ms, by the program's own events and by this process's clock."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdout is not None
        lines = [(time.monotonic(), json.loads(line)) for line in proc.stdout if line.startswith("{")]
    starts = [(at, e) for at, e in lines if e["type"] == "hold_start"]
    ends = [(at, e) for at, e in lines if e["type"] == "hold_end"]
    pairs = list(zip(starts, ends, strict=True))
    assert len(pairs) == len(expected), (len(pairs), len(expected))
    by_events = [abs(e["t"] - s["t"] - want) * 1000 for ((_, s), (_, e)), want in zip(pairs, expected, strict=True)]
    by_clock = [abs(ea - sa - want) * 1000 for ((sa, _), (ea, _)), want in zip(pairs, expected, strict=True)]
    return by_events, by_clock


def timing_rows(script_path: Path, label: str) -> list[Row]:
    script = library.load(script_path)
    moments = simulate(script)
    expected = [float(str(m.effect.fields["seconds"])) for m in moments
                if isinstance(m.effect, Log) and m.effect.type == "hold_start"]
    ours_ev, ours_clock = hold_errors([*CRAMPVOICE, "run", str(script_path), "--text", "--keyboard", "--no-diary",
                                       "--events", "-"], expected)
    _, naive_clock = hold_errors([sys.executable, "-c", NAIVE, json.dumps(expected)], expected)

    def cell(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.1f} / p95 {percentile(values, 0.95):.1f} / max {max(values):.1f} ms"

    return [
        (f"hold error by events, {label}", cell(ours_ev), "", ""),
        (f"hold error by outside clock, {label}", cell(ours_clock), cell(naive_clock) + " (print+sleep loop)",
         f"x{statistics.median(ours_clock) / max(statistics.median(naive_clock), 1e-3):.1f}"),
    ]


def table(rows: list[Row]) -> str:
    head: Row = ("measure", "crampvoice", "baseline, same run", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--long", action="store_true", help="also run the ten-minute calf routine")
    args = parser.parse_args()
    rows: list[Row] = []
    steps: list[Callable[[], list[Row]]] = [launch_rows, speech.render_rows, speech.live_rows]
    with tempfile.TemporaryDirectory() as tmp:
        proxy = Path(tmp) / "proxy.yaml"
        proxy.write_text(PROXY)
        steps.append(lambda: timing_rows(proxy, "24 holds, 1 min"))
        if args.long:
            steps.append(lambda: timing_rows(library.find("calf"), "calf, 10 min"))
        for step in steps:
            rows += step()
            print(f"... {rows[-1][0]}", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
