"""Tune the recogniser's knobs on one half of the speakers; report on the other half.

    ./dev.sh bench tune [--speakers N]

Real recordings (../shared/speech-dev, or --real DIR) and the synthetic corpus are each split
by speaker (no speaker in both halves). For each word penalty and "something else" weight on
the grid, and each confidence floor, half A picks the setting with the most commands right
less four times the false accepts (a false accept costs more than a repeat); half B reports
what that setting does on speakers it has never heard.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import listen
from listen import Result

from crampvoice.listen.sphinx import Tuning

PENALTIES = (1e-3, 1e-2, 1e-1)
OTHER_WEIGHTS = (1.0, 1e-3)
FLOORS = (0.0, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def rates(results: Sequence[Result], floor: float) -> tuple[float, float]:
    commands = [r for r in results if r.expected]
    others = [r for r in results if not r.expected]
    right = sum(r.got == r.expected and r.confidence >= floor for r in commands) / max(1, len(commands))
    wrong = sum(bool(r.got) and r.confidence >= floor for r in others) / max(1, len(others))
    return right, wrong


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", type=int, default=6, help="synthetic speakers (default 6)")
    parser.add_argument("--real", type=Path, default=listen.REAL)
    args = parser.parse_args(argv)
    sets: dict[str, tuple[Path, list[dict[str, str]]]] = {}
    if (args.real / "manifest.csv").exists():
        sets["real"] = (args.real, listen.real_rows(args.real))
    manifest = listen.synthetic(args.speakers, 0.0)
    rows = [r for r in corpus.read_manifest(manifest) if r["kind"] != "long" and r["snr_db"] in ("", "10")]
    sets["synthetic"] = (manifest.parent, rows)
    print(f"{'set':<10} {'penalty':>7} {'other':>6} {'floor':>5}  {'A right':>7} {'A false':>7}  "
          f"{'B right':>7} {'B false':>7}")
    for name, (folder, rows) in sets.items():
        half_a, half_b = listen.split_by_speaker(rows)
        best: tuple[float, str] | None = None
        for penalty, weight in itertools.product(PENALTIES, OTHER_WEIGHTS):
            tuning = Tuning(word_penalty=penalty, other_weight=weight)
            a, b = listen.evaluate("ours", half_a, folder, tuning), listen.evaluate("ours", half_b, folder, tuning)
            for floor in FLOORS:
                (ra, fa), (rb, fb) = rates(a, floor), rates(b, floor)
                line = (f"{name:<10} {penalty:>7g} {weight:>6g} {floor:>5g}  {ra:>7.1%} {fa:>7.1%}  "
                        f"{rb:>7.1%} {fb:>7.1%}")
                print(line, flush=True)
                if best is None or ra - 4 * fa > best[0]:
                    best = (ra - 4 * fa, line)
        if best is not None:
            print(f"chosen on half A: {best[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
