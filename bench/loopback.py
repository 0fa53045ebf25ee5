"""Every bundled script's sentences said by the whole program through the virtual loopback, with
nobody speaking: the commands it takes from its own voice, and the share of a core it uses,
listening while it speaks (full duplex) beside half-duplex (the default), in one run.

    ./dev.sh bench loopback [--only calf foot ...]

A private PulseAudio server (tests/pulse.py) loops the speaker's monitor back into the
microphone through `module-loopback` (60 ms asked for), as a laptop's speakers reach its
microphone; the loopback's delay drifts while it settles, and may start shorter than the time
the monitor is read ahead of the microphone (docs/benchmarks.md). For each bundled script,
`crampvoice run` says every sentence it can say, one step each (tests/test_bargein_live.py's
`every_sentence`), once half-duplex and once with `--listen-while-speaking`, each in a sound
server of its own (a fresh loopback, as a session meets one).

- its own commands: `command` events in the session's events (none is the target);
- CPU: the child's user and system time over the time it ran (the model's load included).

Half-duplex hears nothing while it speaks, so it takes none of its own words: it is there for
the CPU.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests import pulse  # noqa: E402
from tests.test_bargein_live import every_sentence  # noqa: E402

from crampvoice import library  # noqa: E402

WAYS = {"half-duplex (the default)": [], "full duplex": ["--listen-while-speaking"]}


def session(script: Path, extra: list[str], folder: Path) -> tuple[list[str], float, float]:
    """Its own commands (what was heard), the share of a core, and seconds, for one session."""
    with pulse.pulse_server() as server:
        pulse.loop_back(server)
        env = {**server, "XDG_DATA_HOME": str(folder / "data"), "XDG_CONFIG_HOME": str(folder / "config")}
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        done = subprocess.run([sys.executable, "-m", "crampvoice", "run", str(script), "--events", "-", *extra],
                              check=False, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=1800)
        took = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    if not events or events[-1].get("type") != "end":
        sys.exit(f"{script.name}: the session did not end ({done.stderr.strip()[-300:]})")
    return [f"{e['command']} ({e.get('heard', '')})" for e in events if e["type"] == "command"], cpu / took, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="bundled scripts by name (calf, foot, ...)")
    args = parser.parse_args()
    if not pulse.available():
        sys.exit("PulseAudio is not installed: ./dev.sh bench installs it")
    names = [e.name for e in library.entries() if not args.only or e.name in args.only]
    print("| script | way | its own commands | share of a core | seconds |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            script = Path(folder) / f"{name}.yaml"
            script.write_text(every_sentence(name))
            for way, extra in WAYS.items():
                own, share, took = session(script, extra, Path(folder))
                print(f"| {name} | {way} | {len(own)} {', '.join(own)} | {100 * share:.1f} % | {took:.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()
