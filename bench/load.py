"""Speech out on a busy machine: speech heard and first sound, at 0, 1 and 2 busy loops a core.

    ./dev.sh bench load

The program runs at `nice -n 10` under plain busy loops at normal priority, as the issue found
it. Speech heard is what reaches the virtual speaker over a whole session of tests/data/short.yaml,
as a ratio to the idle run; first sound is from a sentence being queued on a quiet speaker (its
`say` event) to its first loud frame. The baseline is the espeak-ng command line, started at the
same priority under the same load; for speech heard, crampvoice as it was before this work
(commit ca8b728, its `src/` taken with `git archive`), in the same run.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.load import LOWER, busy  # noqa: E402
from tests.pulse import Monitor, available, pulse_server  # noqa: E402

SHORT = ROOT / "tests" / "data" / "short.yaml"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
BEFORE = "ca8b728"  # the watchdog with a fixed 2 s for every audio call
QUIET_S = 0.5  # a sentence counts for first sound only when the speaker was quiet this long before it
Row = tuple[str, str, str, str]


def session(env: dict[str, str], monitor: Monitor) -> tuple[float, list[float], bool]:
    """Seconds heard, first-sound latencies, and whether speech was given up on."""
    monitor.caught_up(time.monotonic())
    started = time.monotonic()
    says: list[float] = []
    fresh = tempfile.TemporaryDirectory(prefix="crampvoice-bench-")  # each session a first one: like for like
    env = {**env, "XDG_DATA_HOME": fresh.name}
    with fresh, subprocess.Popen([*LOWER, *CRAMPVOICE, "run", str(SHORT), "--keyboard", "--events", "-"], env=env,
                                 text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        notices = 0
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "say":
                says.append(time.monotonic())
            notices += event["type"] == "notice"
    ended = time.monotonic()
    monitor.caught_up(ended + 0.3)
    latencies = []
    for at in says:
        quiet = all(peak <= Monitor.LOUD for t, peak in monitor.frames if at - QUIET_S <= t < at)
        if quiet and (later := [t for t, peak in monitor.frames if t >= at and peak > Monitor.LOUD]):
            latencies.append(later[0] - at)
    return monitor.loud_between(started, math.inf), latencies, notices > 0  # late-read frames too


def before(tmp: str) -> dict[str, str] | None:
    """PYTHONPATH for crampvoice as it was before, or None without git."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "src"], check=False,
                             capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    return {"PYTHONPATH": str(Path(tmp) / "src")}


def cli_first_sound(env: dict[str, str], monitor: Monitor, runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        time.sleep(0.5)
        t0 = time.monotonic()
        with subprocess.Popen([*LOWER, "espeak-ng", "-v", "en-us", "-s", "160", "Rub the calf."], env=env) as proc:
            out.append(monitor.first_loud_after(t0, timeout_s=60) - t0)
            proc.wait()
    return out


def heard(seconds: float, idle_s: float, gave_up: bool) -> str:
    return f"{seconds:.1f} s = {seconds / idle_s:.0%} of idle" + (", speech given up" if gave_up else "")


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.0f} ms (n={len(values)})" if values else "none"


def rows() -> list[Row]:
    if not available():
        return [("speech under load", "skipped: PulseAudio is not installed", "", "")]
    out: list[Row] = []
    with pulse_server() as env, tempfile.TemporaryDirectory() as tmp:
        old = before(tmp)
        monitor = Monitor(env)
        threading.Event().wait(0.5)
        idle: list[float] = []
        for per_core in (0, 1, 2):
            with busy(per_core):
                heard_s, latencies, gave_up = session(env, monitor)
                cli = cli_first_sound(env, monitor)
                old_s, _, old_gave_up = session({**env, **old}, monitor) if old else (0.0, [], False)
            idle = idle or [heard_s, old_s]
            out.append((f"speech heard, {per_core} busy loops a core", heard(heard_s, idle[0], gave_up),
                        heard(old_s, idle[1], old_gave_up) + f" (before, {BEFORE})" if old else "",
                        f"x{heard_s / old_s:.1f}" if old_s else ""))
            out.append((f"first sound, {per_core} busy loops a core", ms(latencies), ms(cli) + " (espeak-ng CLI)",
                        f"x{statistics.median(latencies) / statistics.median(cli):.2f}" if latencies else ""))
        monitor.close()
    return out


def main() -> None:
    from run import table

    print(table(rows()))


if __name__ == "__main__":
    main()
