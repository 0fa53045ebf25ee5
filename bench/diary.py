"""The diary's speed beside what a person would otherwise use: the JSONL `--events` log.

    ./dev.sh bench diary

1. Writing an event while a session runs: every event of a whole calf session (as `show`
   simulates it) into a diary that already holds 10 000 episodes, each its own transaction
   with full sync; alone, and with a second session writing into the same diary at the same
   time. Beside it, the same events through `EventLog` into a JSONL file (flushed, as `--events`
   does), and JSONL with an fsync an event (the diary's durability).
2. A diary of 10 000 episodes (about 80 events each): `crampvoice diary` and `crampvoice diary
   summary` as processes, start to exit; beside it, the same facts read back from 10 000 sessions'
   JSONL event logs (one file of all their lines), parsed and summarised in Python.

Ratios matter more than absolute times: the machine is shared.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.synchronize import Event as Flag
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crampvoice import library  # noqa: E402
from crampvoice.core.events import Log, Say  # noqa: E402
from crampvoice.core.timeline import simulate  # noqa: E402
from crampvoice.diary import Diary  # noqa: E402
from crampvoice.eventlog import EventLog  # noqa: E402

EPISODES = 10_000
Row = tuple[str, str, str, str]


def session_events() -> list[tuple[str, float, dict[str, object]]]:
    """Every event of an unattended calf session, in order, as the session loop writes them."""
    script = library.load(library.find("calf"))
    out: list[tuple[str, float, dict[str, object]]] = []
    for moment in simulate(script):
        effect = moment.effect
        if isinstance(effect, Say):
            out.append(("say", moment.at_s, {"text": effect.text, "cue": effect.cue}))
        elif isinstance(effect, Log):
            out.append((effect.type, moment.at_s, dict(effect.fields)))
    return out


def fill(path: Path, events: list[tuple[str, float, dict[str, object]]], count: int) -> None:
    """`count` episodes a day apart (about 27 years back), written in bulk: a well-used diary."""
    Diary.open(path).close()
    conn = sqlite3.connect(path)
    now = time.time()
    muscles = ["calf", "foot", "hamstring", "quadriceps"]
    with conn:
        for i in range(count):
            started = now - (count - i) * 86400.0 / 3
            cur = conn.execute("INSERT INTO episodes (started, script, title, muscle, relief, length_s, reason, step,"
                               " steps, eased, commands) VALUES (?, 'calf', 'Calf cramp', ?, 1, ?, ?, 6, 6, ?, ?)",
                               (started, muscles[i % 4], 300.0 + i % 400, ["completed", "stopped", None][i % 3],
                                ["yes", "no", ""][i % 3], "next:key pause:voice"))
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                             [(cur.lastrowid, n, at, type_, json.dumps(fields))
                              for n, (type_, at, fields) in enumerate(events)])
    conn.close()


def _writer(path: str, rounds: int, ready: Flag) -> None:
    """Another session writing at the same time, ten events a second (a real one writes a few)."""
    events = session_events()
    with Diary.open(Path(path)) as diary:
        ready.set()
        for _ in range(rounds):
            sink = diary.begin(0.0, print)
            for type_, at, fields in events:
                sink.write(type_, at, **fields)
                time.sleep(0.1)


def write_ms(path: Path, events: list[tuple[str, float, dict[str, object]]], sessions: int,
             sync: str = "FULL") -> list[float]:
    times = []
    with Diary.open(path) as diary:
        diary.connection.execute(f"PRAGMA synchronous={sync}")
        for _ in range(sessions):
            sink = diary.begin(0.0, print)
            for type_, at, fields in events:
                start = time.perf_counter()
                sink.write(type_, at, **fields)
                times.append((time.perf_counter() - start) * 1000)
    return times


def jsonl_ms(path: Path, events: list[tuple[str, float, dict[str, object]]], sessions: int,
             fsync: bool) -> list[float]:
    times = []
    for _ in range(sessions):
        with open(path, "w", encoding="utf-8") as stream:
            log = EventLog(stream, 0.0)
            for type_, at, fields in events:
                start = time.perf_counter()
                log.write(type_, at, **fields)
                if fsync:
                    os.fsync(stream.fileno())
                times.append((time.perf_counter() - start) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cell(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.2f} / p95 {p(values, 0.95):.2f} / max {max(values):.1f} ms"


def run_s(argv: list[str], env: dict[str, str], runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def jsonl_summary_s(path: Path) -> float:
    """What a person with only --events logs would run: read every line, find each session's facts."""
    start = time.perf_counter()
    sessions, ended, eased, length = 0, Counter[str](), 0, 0.0
    with open(path, encoding="utf-8") as f:
        for line in f:
            event = json.loads(line)
            if event["type"] == "start":
                sessions += 1
            elif event["type"] == "end":
                ended[str(event["reason"])] += 1
                length += event["t"]
            elif event["type"] == "answer" and event.get("answer") == "yes":
                eased += 1
    return time.perf_counter() - start


def main() -> None:
    events = session_events()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "XDG_DATA_HOME": str(folder / "data")}
        path = folder / "data" / "crampvoice" / "diary.sqlite3"
        print(f"... filling a diary with {EPISODES} episodes of {len(events)} events", file=sys.stderr)
        fill(path, events, EPISODES)
        size_mb = path.stat().st_size / 1e6
        os.sync()  # the 70 MB just written go to the disk now, not in the middle of the measure
        synced = jsonl_ms(folder / "events.jsonl", events, 10, fsync=True)

        alone = write_ms(path, events, 10)
        ready = multiprocessing.get_context("spawn").Event()
        other = multiprocessing.get_context("spawn").Process(target=_writer, args=(str(path), 100, ready))
        other.start()
        ready.wait()
        together = write_ms(path, events, 10)
        other.terminate()
        other.join()
        normal = write_ms(path, events, 10, sync="NORMAL")
        flushed = jsonl_ms(folder / "events.jsonl", events, 10, fsync=False)
        rows += [
            ("event written, a session alone", cell(alone), cell(synced) + " (JSONL + fsync)",
             f"x{p(alone, 0.95) / p(synced, 0.95):.1f} at p95"),
            ("event written, two sessions at once", cell(together), cell(synced) + " (JSONL + fsync)",
             f"x{p(together, 0.95) / p(synced, 0.95):.1f} at p95"),
            ("(event written, synchronous=NORMAL: no fsync)", cell(normal), cell(flushed) + " (JSONL flushed)",
             f"x{p(normal, 0.95) / p(flushed, 0.95):.0f} at p95"),
        ]
        print("... listing and summarising", file=sys.stderr)
        cv = [sys.executable, "-m", "crampvoice", "diary"]
        listed = run_s(cv, env)
        summed = run_s([*cv, "summary"], env)
        exported = run_s([*cv, "--csv"], env, runs=3)
        bare = run_s([*cv[:-1], "--version"], env)
        logs = folder / "all.jsonl"
        with open(logs, "w", encoding="utf-8") as f:
            one = io.StringIO()
            log = EventLog(one, 0.0)
            for type_, at, fields in events:
                log.write(type_, at, **fields)
            f.write(one.getvalue() * EPISODES)
        scan = [jsonl_summary_s(logs) for _ in range(2)]
        baseline = f"{statistics.median(scan):.2f} s (reading 10 000 sessions' JSONL)"
        rows += [
            (f"`diary` (last 20) of {EPISODES} episodes ({size_mb:.0f} MB)", f"{statistics.median(listed):.2f} s",
             baseline, f"x{statistics.median(listed) / statistics.median(scan):.2f}"),
            ("`diary summary` (5 weeks, rules)", f"{statistics.median(summed):.2f} s", baseline,
             f"x{statistics.median(summed) / statistics.median(scan):.2f}"),
            (f"`diary --csv`, all {EPISODES}", f"{statistics.median(exported):.2f} s", baseline,
             f"x{statistics.median(exported) / statistics.median(scan):.2f}"),
            ("(`crampvoice --version`: the program starting)", f"{statistics.median(bare):.2f} s", "", ""),
        ]
    head: Row = ("measure", "crampvoice", "baseline, same run", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
